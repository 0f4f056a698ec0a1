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
 * masqueraded and up, a source the hit's client group holds, a header the
 * stack would accept, a forwardable address, a TTL that survives, not a TCP
 * SYN (TC clamps its MSS, mtu.h), a frame that fits the target's MTU (TC
 * answers one too big), and a next hop whose MAC the kernel knows:
 * bpf_fib_lookup() through the target device (BPF_FIB_LOOKUP_OUTPUT
 * restricts the lookup to routes via that device), the same answer
 * bpf_redirect_neigh() gets in TC.
 * Any doubt is XDP_PASS: TC checks again, counts the verdict, resolves
 * neighbours, sends ICMP. A packet the stage forwards is counted here, as
 * STEERED and XDP_STEERED, and never reaches TC.
 */
#ifndef BPFROUTE_XDP_STAGE_H
#define BPFROUTE_XDP_STAGE_H

#include "forward.h"
#include "lookup.h"
#include "next_hop.h"
#include "mtu.h"

/*
 * A target that is down (BPFROUTE_TARGET_F_DOWN) is TC's too: it drops or
 * passes the packet as the target's strictness says, and counts it.
 */
#define XDP_STAGE_FLAGS	(BPFROUTE_TARGET_F_ETHER | BPFROUTE_TARGET_F_XDP | \
			 BPFROUTE_TARGET_F_MASQ | BPFROUTE_TARGET_F_DRAIN | \
			 BPFROUTE_TARGET_F_DOWN)

/*
 * Is the frame addressed to the LAN interface it came in on? A router
 * forwards frames to its own MAC only; XDP comes before the stack has a
 * pkt_type. Asked on a hit only: a miss goes to TC, which knows pkt_type.
 */
static __always_inline bool xdp_for_us(struct xdp_md *ctx, const struct ethhdr *eth)
{
	__u32 ifindex = ctx->ingress_ifindex;
	const struct bpfroute_lan *lan = bpf_map_lookup_elem(&BPFROUTE_MAP_LANS, &ifindex);

	/* Two loads a side: a MAC is 6 bytes, the map's copy 2-byte aligned, like the frame's. */
	return lan && *(const __u32 *)eth->h_dest == *(const __u32 *)lan->mac &&
	       *(const __u16 *)(eth->h_dest + 4) == *(const __u16 *)(lan->mac + 4);
}

/* The target's entry, if it allows the XDP stage to forward to it. */
static __always_inline struct bpfroute_target *xdp_target(__u32 ifindex)
{
	struct bpfroute_target *tg = bpf_map_lookup_elem(&BPFROUTE_MAP_TARGETS, &ifindex);

	if (!tg || (tg->flags & XDP_STAGE_FLAGS) !=
		   (BPFROUTE_TARGET_F_ETHER | BPFROUTE_TARGET_F_XDP))
		return NULL;
	return tg;
}

/*
 * The next hop's MACs into the frame: a learned entry's own from this second
 * (next_hop.h) if the frame fits the target's MTU, else the FIB's, which
 * checks the MTU with the tot_len it is given. False: the frame is too big
 * for the target, or the FIB has no next hop through it with a known MAC.
 */
static __always_inline bool xdp_next_hop(struct xdp_md *ctx, struct ethhdr *eth,
					 struct bpf_fib_lookup *fib, const struct target *t,
					 struct bpfroute_target *tg)
{
	const struct bpfroute_conf *conf;
	__u32 zero = 0, mtu = 0;
	bool keep;
	__u64 w;

	conf = bpf_map_lookup_elem(&BPFROUTE_MAP_CONF, &zero);
	keep = t->host && conf && (conf->flags & BPFROUTE_CONF_F_NH_CACHE);
	w = keep ? next_hop_cached(tg, t->host, t->now) : 0;
	if (w) {
		if (bpf_check_mtu(ctx, t->ifindex, &mtu, 0, 0) != BPF_MTU_CHK_RET_SUCCESS)
			return false;
		next_hop_set_cached(eth, tg, w);
		return true;
	}
	if (!next_hop_found(bpf_fib_lookup(ctx, fib, sizeof(*fib), BPF_FIB_LOOKUP_OUTPUT), fib,
			    t->ifindex))
		return false;
	next_hop_set_macs(eth, fib);
	if (keep)
		next_hop_keep(tg, t->host, t->now, fib);
	return true;
}

/* The counters and the redirect; the caller has written the MACs and the TTL. */
static __always_inline int xdp_send(struct xdp_md *ctx, const struct target *t, bool expired)
{
	if (expired)	/* a dead learned entry under a live prefix */
		count(BPFROUTE_STAT_HOST_EXPIRED, 1);
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
	struct bpfroute_target *tg;
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
	if (t.bypass)
		return XDP_PASS;	/* TC looks it up again and counts it */
	tg = xdp_target(t.ifindex);
	/* A source outside the hit's client group: TC passes it on and counts it. */
	if (!tg || !xdp_for_us(ctx, eth) || !client_steered(&t, 4, (__u8 *)&iph->saddr))
		return XDP_PASS;
	if (!ipv4_header_sane(iph, c->end, bpf_ntohs(iph->tot_len), c->end - (void *)iph) ||
	    bpfroute_ipv4_special((__u8 *)&iph->saddr) ||
	    (dest_checked(&t) && (bpfroute_ipv4_special(daddr.addr) ||
				  bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL4, daddr.addr))) ||
	    iph->ttl <= 1 || mtu_tcp_syn(c->pos, c->end, iph->protocol))
		return XDP_PASS;

	next_hop_params4(&fib, iph, t.ifindex, bpf_ntohs(iph->tot_len));
	if (!xdp_next_hop(ctx, eth, &fib, &t, tg))
		return XDP_PASS;
	ipv4_decrease_ttl(iph);
	return xdp_send(ctx, &t, expired);
}

static __always_inline int xdp_ipv6(struct xdp_md *ctx, struct hdr_cursor *c, struct ethhdr *eth)
{
	struct bpf_fib_lookup fib = {};
	struct bpfroute_addr6 daddr;
	struct bpfroute_target *tg;
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
	if (t.bypass)
		return XDP_PASS;	/* TC looks it up again and counts it */
	tg = xdp_target(t.ifindex);
	if (!tg || !xdp_for_us(ctx, eth) || !client_steered(&t, 6, (__u8 *)&ip6h->saddr))
		return XDP_PASS;
	/* A jumbogram (payload length 0) is TC's. */
	plen = bpf_ntohs(ip6h->payload_len);
	if (plen == 0 || plen > c->end - (void *)(ip6h + 1) ||
	    bpfroute_ipv6_special((__u8 *)&ip6h->saddr) ||
	    (dest_checked(&t) && (bpfroute_ipv6_special(daddr.addr) ||
				  bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL6, daddr.addr))) ||
	    ip6h->hop_limit <= 1 || mtu_tcp_syn(c->pos, c->end, ip6h->nexthdr))
		return XDP_PASS;

	next_hop_params6(&fib, ip6h, t.ifindex, sizeof(*ip6h) + plen);
	if (!xdp_next_hop(ctx, eth, &fib, &t, tg))
		return XDP_PASS;
	ip6h->hop_limit--;
	return xdp_send(ctx, &t, expired);
}

static __always_inline int xdp_stage(struct xdp_md *ctx)
{
	struct hdr_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct ethhdr *eth;

	eth = parse_ethhdr(&c);
	if (!eth)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return xdp_ipv4(ctx, &c, eth);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return xdp_ipv6(ctx, &c, eth);
	return XDP_PASS;	/* VLAN tags, ARP, ...: TC's */
}

#endif /* BPFROUTE_XDP_STAGE_H */
