/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The XDP stage: on a LAN interface, before an skb exists, forward the hits
 * whose target accepts XDP frames (`target DEV xdp`: a NIC with
 * ndo_xdp_xmit, a veth whose peer runs XDP or GRO) and pass everything else
 * to the TC stage unchanged, which then does what it always does.
 *
 * The stage forwards only what needs nothing TC has: a frame to this
 * interface's MAC, IPv4 without fragments or IPv6, not DNS (queries are
 * recorded in TC), a live route to an Ethernet target that is not
 * masqueraded, a header the stack would accept, a forwardable address, a TTL
 * that survives, and a next hop whose MAC the kernel knows: bpf_fib_lookup()
 * through the target device (BPF_FIB_LOOKUP_OUTPUT restricts the lookup to
 * routes via that device), the same answer bpf_redirect_neigh() gets in TC.
 * Any doubt is XDP_PASS: TC checks again, counts the verdict, resolves
 * neighbours, sends ICMP. A packet the stage forwards is counted here, as
 * STEERED and XDP_STEERED, and never reaches TC.
 */
#ifndef BPFROUTE_XDP_STAGE_H
#define BPFROUTE_XDP_STAGE_H

#include "forward.h"
#include "lookup.h"
#include "next_hop.h"

#define XDP_STAGE_FLAGS	(BPFROUTE_TARGET_F_ETHER | BPFROUTE_TARGET_F_XDP | \
			 BPFROUTE_TARGET_F_MASQ | BPFROUTE_TARGET_F_DRAIN)

static __always_inline bool mac_equal(const __u8 *a, const __u8 *b)
{
	__u8 diff = 0;

	for (int i = 0; i < ETH_ALEN; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

/* The target's entry allows the XDP stage to forward to it. */
static __always_inline bool xdp_target_ok(__u32 ifindex)
{
	const struct bpfroute_target *tg = bpf_map_lookup_elem(&BPFROUTE_MAP_TARGETS, &ifindex);

	return tg && (tg->flags & XDP_STAGE_FLAGS) ==
		     (BPFROUTE_TARGET_F_ETHER | BPFROUTE_TARGET_F_XDP);
}

/* MACs of the next hop, and the redirect; the caller has decremented the TTL. */
static __always_inline int xdp_send(struct xdp_md *ctx, struct ethhdr *eth,
				    const struct bpf_fib_lookup *fib, const struct target *t,
				    bool expired)
{
	if (expired)	/* a dead learned entry under a live prefix */
		count(BPFROUTE_STAT_HOST_EXPIRED, 1);
	next_hop_set_macs(eth, fib);
	count_steered(t, ctx->data_end - ctx->data);
	count(BPFROUTE_STAT_XDP_STEERED, 1);
	return bpf_redirect(t->ifindex, 0);
}

/*
 * A miss goes to TC with its verdict in the metadata, so the TC stage does not
 * pay for the same lookups again (the most common packet pays once). If the
 * driver keeps no metadata, TC simply looks up itself.
 */
static __always_inline int xdp_pass_miss(struct xdp_md *ctx, bool expired)
{
	__u32 *meta;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return XDP_PASS;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > (void *)(long)ctx->data)
		return XDP_PASS;
	*meta = BPFROUTE_XDP_META_MISS | (expired ? BPFROUTE_XDP_META_EXPIRED : 0);
	return XDP_PASS;
}

static __always_inline int xdp_ipv4(struct xdp_md *ctx, struct hdr_cursor *c, struct ethhdr *eth)
{
	struct bpf_fib_lookup fib = {};
	struct bpfroute_addr4 daddr;
	struct iphdr *iph;
	bool expired;
	struct target t;

	iph = parse_iphdr(c);
	if (!iph || (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) ||
	    l4_dport(c->pos, c->end, iph->protocol) == bpf_htons(DNS_PORT))
		return XDP_PASS;
	__builtin_memcpy(daddr.addr, &iph->daddr, sizeof(daddr.addr));
	if (!lookup4(daddr.addr, &t, &expired))
		return xdp_pass_miss(ctx, expired);
	if (!xdp_target_ok(t.ifindex))
		return XDP_PASS;
	if (!ipv4_header_sane(iph, c->end, bpf_ntohs(iph->tot_len), c->end - (void *)iph) ||
	    bpfroute_ipv4_special(daddr.addr) || bpfroute_ipv4_special((__u8 *)&iph->saddr) ||
	    bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL4, daddr.addr) || iph->ttl <= 1)
		return XDP_PASS;

	next_hop_params4(&fib, iph, t.ifindex, bpf_ntohs(iph->tot_len));
	if (!next_hop_found(bpf_fib_lookup(ctx, &fib, sizeof(fib), BPF_FIB_LOOKUP_OUTPUT), &fib,
			    t.ifindex))
		return XDP_PASS;
	ipv4_decrease_ttl(iph);
	return xdp_send(ctx, eth, &fib, &t, expired);
}

static __always_inline int xdp_ipv6(struct xdp_md *ctx, struct hdr_cursor *c, struct ethhdr *eth)
{
	struct bpf_fib_lookup fib = {};
	struct bpfroute_addr6 daddr;
	struct ipv6hdr *ip6h;
	bool expired;
	struct target t;
	__u32 plen;

	ip6h = parse_ipv6hdr(c);
	if (!ip6h || l4_dport(c->pos, c->end, ip6h->nexthdr) == bpf_htons(DNS_PORT))
		return XDP_PASS;
	__builtin_memcpy(daddr.addr, &ip6h->daddr, sizeof(daddr.addr));
	if (!lookup6(daddr.addr, &t, &expired))
		return xdp_pass_miss(ctx, expired);
	if (!xdp_target_ok(t.ifindex))
		return XDP_PASS;
	/* A jumbogram (payload length 0) is TC's. */
	plen = bpf_ntohs(ip6h->payload_len);
	if (plen == 0 || plen > c->end - (void *)(ip6h + 1) ||
	    bpfroute_ipv6_special(daddr.addr) || bpfroute_ipv6_special((__u8 *)&ip6h->saddr) ||
	    bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL6, daddr.addr) || ip6h->hop_limit <= 1)
		return XDP_PASS;

	next_hop_params6(&fib, ip6h, t.ifindex, sizeof(*ip6h) + plen);
	if (!next_hop_found(bpf_fib_lookup(ctx, &fib, sizeof(fib), BPF_FIB_LOOKUP_OUTPUT), &fib,
			    t.ifindex))
		return XDP_PASS;
	ip6h->hop_limit--;
	return xdp_send(ctx, eth, &fib, &t, expired);
}

static __always_inline int xdp_stage(struct xdp_md *ctx)
{
	struct hdr_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	const struct bpfroute_lan *lan;
	__u32 ifindex = ctx->ingress_ifindex;
	struct ethhdr *eth;

	eth = parse_ethhdr(&c);
	if (!eth)
		return XDP_PASS;
	/* A router forwards frames to its own MAC only (pkt_type is not known yet). */
	lan = bpf_map_lookup_elem(&BPFROUTE_MAP_LANS, &ifindex);
	if (!lan || !mac_equal(eth->h_dest, lan->mac))
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return xdp_ipv4(ctx, &c, eth);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return xdp_ipv6(ctx, &c, eth);
	return XDP_PASS;	/* VLAN tags, ARP, ...: TC's */
}

#endif /* BPFROUTE_XDP_STAGE_H */
