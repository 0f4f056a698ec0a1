// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The TC classifier on each LAN interface's clsact ingress hook.
 *
 * A packet whose destination falls in a route of bpfroute_route4/6 is
 * forwarded as a router would (TTL/hop limit decremented) straight to the
 * route's target device with bpf_redirect(): no routing table, no policy
 * rule. Everything else continues untouched to the stack. For an L3 target
 * such as WireGuard the kernel drops the MAC header itself on redirect
 * (__bpf_redirect_no_mac()), so the program never strips it.
 *
 * Learned addresses (exact hosts, from DNS answers) live in hash maps and are
 * looked up before the configured prefixes: a /32 or /128 is the longest
 * prefix there is. The miss path is kept to these lookups: most traffic of a
 * gateway is not steered and must not pay for what steered traffic needs.
 *
 * The second program, on LAN egress, learns from DNS answers on their way to
 * clients (dns_answer.h); queries are recorded here on ingress
 * (dns_query.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bpfroute_abi.h"
#include "maps.h"
#include "parsing.h"
#include "forward.h"
#include "lookup.h"
#include "stats.h"
#include "dns_answer.h"
#include "nat.h"
#include "mtu.h"
#include "next_hop.h"
#include "xdp_stage.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline int pass(__u32 stat)
{
	count(stat, 1);
	return TC_ACT_OK;
}

/*
 * An Ethernet target needs the next hop's MACs: a learned entry's own from
 * this second, else from the FIB when it knows them (next_hop.h), else from
 * bpf_redirect_neigh(), which resolves the neighbour. The headers are read
 * again: masquerade may have moved them.
 */
static __always_inline int redirect_ether(struct __sk_buff *skb, const struct target *t,
					  struct bpfroute_target *tg, __u8 family)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	const struct bpfroute_conf *conf;
	struct bpf_fib_lookup fib = {};
	__u32 ifindex = t->ifindex, zero = 0;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	bool keep;
	__u64 w;

	conf = bpf_map_lookup_elem(&BPFROUTE_MAP_CONF, &zero);
	keep = t->host && conf && (conf->flags & BPFROUTE_CONF_F_NH_CACHE);
	if ((void *)(eth + 1) > end)
		goto neigh;
	w = keep ? next_hop_cached(tg, t->host, t->now) : 0;
	if (w) {
		next_hop_set_cached(eth, tg, w);
		return bpf_redirect(ifindex, 0);
	}
	if (family == 4) {
		iph = data + ETH_HLEN;
		if ((void *)(iph + 1) > end)
			goto neigh;
		next_hop_params4(&fib, iph, ifindex, 0);
	} else {
		ip6h = data + ETH_HLEN;
		if ((void *)(ip6h + 1) > end)
			goto neigh;
		next_hop_params6(&fib, ip6h, ifindex, 0);
	}
	if (next_hop_found(bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_OUTPUT), &fib,
			   ifindex)) {
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
		eth = data;
		if ((void *)(eth + 1) > end)
			goto neigh;
		next_hop_set_macs(eth, &fib);
		if (keep)
			next_hop_keep(tg, t->host, t->now, &fib);
		return bpf_redirect(ifindex, 0);
	}
neigh:
	return bpf_redirect_neigh(ifindex, NULL, 0, 0);
}

/*
 * Hand a hit to its target. On an L3 device (WireGuard, TUN) the kernel
 * drops the MAC header itself on redirect (__bpf_redirect_no_mac()).
 */
static __always_inline int steer(struct __sk_buff *skb, const struct target *t,
				 struct bpfroute_target *tg, __u8 family)
{
	count_steered(t, skb->len);
	if (tg && (tg->flags & BPFROUTE_TARGET_F_ETHER))
		return redirect_ether(skb, t, tg, family);
	return bpf_redirect(t->ifindex, 0);
}

/*
 * A hit whose target device is down (BPFROUTE_TARGET_F_DOWN): the kernel
 * would drop the redirect without a trace. Strict (the default), it is
 * dropped here and counted, never leaked; with `strict no` it goes on to the
 * stack as the packet it came in as, to take the ordinary route. Decided
 * before the packet is changed: the stack decrements the TTL itself.
 */
static __always_inline int target_down(const struct bpfroute_target *tg)
{
	if (tg->flags & BPFROUTE_TARGET_F_FALLBACK)
		return pass(BPFROUTE_STAT_PASS_TARGET_DOWN);
	count(BPFROUTE_STAT_DROP_TARGET_DOWN, 1);
	return TC_ACT_SHOT;
}

/*
 * Forward a checked packet to its target (tg: its bpfroute_target entry):
 * fitted to the target's MTU first (mtu.h: a SYN's MSS clamped, a packet
 * too big answered with ICMP instead), masqueraded on the way if the target
 * asks for it (nat.h), dropped if that fails, since an untranslated packet
 * must never enter the tunnel.
 */
static __always_inline int forward(struct __sk_buff *skb, const struct target *t,
				   struct bpfroute_target *tg, __u8 family)
{
	int ret;

	ret = mtu_guard(skb, t->ifindex, family);
	if (ret != MTU_STEER)
		return ret;
	if (tg && (tg->flags & (BPFROUTE_TARGET_F_MASQ | BPFROUTE_TARGET_F_DRAIN))) {
		ret = nat_masquerade(skb, tg, t->ifindex, family);
		if (ret && ret != NAT_PASS)
			return TC_ACT_SHOT;
	}
	return steer(skb, t, tg, family);
}

/*
 * The XDP stage's verdict in the frame's metadata (xdp_stage.h), read before
 * anything may move the data: BPFROUTE_XDP_META_MISS (with its EXPIRED bit)
 * if it already found no route, else 0.
 */
static __always_inline __u32 xdp_verdict(struct __sk_buff *skb)
{
	__u32 *meta = (void *)(long)skb->data_meta;

	if ((void *)(meta + 1) > (void *)(long)skb->data ||
	    (*meta & ~BPFROUTE_XDP_META_EXPIRED) != BPFROUTE_XDP_META_MISS)
		return 0;
	return *meta;
}

static __always_inline int classify_ipv4(struct __sk_buff *skb, struct hdr_cursor *c)
{
	struct bpfroute_addr4 daddr;
	struct bpfroute_target *tg;
	bool found, expired;
	struct iphdr *iph;
	struct target t;

	iph = parse_iphdr(c);
	if (!iph)
		return pass(BPFROUTE_STAT_PASS_MALFORMED);
	/* A query is recorded, then forwarded like any packet. */
	if (!(iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) &&
	    l4_dport(c->pos, c->end, iph->protocol) == bpf_htons(DNS_PORT))
		dns_record_query(skb, iph->ttl);

	__builtin_memcpy(daddr.addr, &iph->daddr, sizeof(daddr.addr));
	found = lookup4(daddr.addr, &t, &expired);
	if (expired)
		count(BPFROUTE_STAT_HOST_EXPIRED, 1);
	if (!found)
		return pass(BPFROUTE_STAT_MISS);
	if (t.bypass) {
		count_bypass(&t, skb->len);
		return TC_ACT_OK;
	}
	/* A rule for a client group: other sources take the ordinary path. */
	if (!client_steered(&t, 4, (__u8 *)&iph->saddr))
		return pass(BPFROUTE_STAT_PASS_NOT_CLIENT);

	/* From here on the packet is ours to forward: check it as the stack would. */
	if (!ipv4_header_valid(skb, iph, c->end))
		return pass(BPFROUTE_STAT_PASS_MALFORMED);
	if (bpfroute_ipv4_special((__u8 *)&iph->saddr) ||
	    (dest_checked(&t) && bpfroute_ipv4_special(daddr.addr)))
		return pass(BPFROUTE_STAT_PASS_SPECIAL);
	if (dest_checked(&t) && bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL4, daddr.addr))
		return pass(BPFROUTE_STAT_PASS_EXCLUDED);
	/* The stack drops it and sends ICMP time exceeded (RFC 1812 5.3.1). */
	if (iph->ttl <= 1)
		return pass(BPFROUTE_STAT_PASS_TTL);

	/* One lookup of the target for both: is it up, how is it forwarded to. */
	tg = bpf_map_lookup_elem(&BPFROUTE_MAP_TARGETS, &t.ifindex);
	if (tg && (tg->flags & BPFROUTE_TARGET_F_DOWN))
		return target_down(tg);
	ipv4_decrease_ttl(iph);
	return forward(skb, &t, tg, 4);
}

static __always_inline int classify_ipv6(struct __sk_buff *skb, struct hdr_cursor *c)
{
	struct bpfroute_addr6 daddr;
	struct bpfroute_target *tg;
	bool found, expired;
	struct ipv6hdr *ip6h;
	struct target t;

	ip6h = parse_ipv6hdr(c);
	if (!ip6h)
		return pass(BPFROUTE_STAT_PASS_MALFORMED);
	if (l4_dport(c->pos, c->end, ip6h->nexthdr) == bpf_htons(DNS_PORT))
		dns_record_query(skb, ip6h->hop_limit);

	__builtin_memcpy(daddr.addr, &ip6h->daddr, sizeof(daddr.addr));
	found = lookup6(daddr.addr, &t, &expired);
	if (expired)
		count(BPFROUTE_STAT_HOST_EXPIRED, 1);
	if (!found)
		return pass(BPFROUTE_STAT_MISS);
	if (t.bypass) {
		count_bypass(&t, skb->len);
		return TC_ACT_OK;
	}
	if (!client_steered(&t, 6, (__u8 *)&ip6h->saddr))
		return pass(BPFROUTE_STAT_PASS_NOT_CLIENT);

	if (!ipv6_header_valid(skb, ip6h))
		return pass(BPFROUTE_STAT_PASS_MALFORMED);
	if (bpfroute_ipv6_special((__u8 *)&ip6h->saddr) ||
	    (dest_checked(&t) && bpfroute_ipv6_special(daddr.addr)))
		return pass(BPFROUTE_STAT_PASS_SPECIAL);
	if (dest_checked(&t) && bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL6, daddr.addr))
		return pass(BPFROUTE_STAT_PASS_EXCLUDED);
	/* The stack sends ICMPv6 time exceeded (RFC 4443 3.3). */
	if (ip6h->hop_limit <= 1)
		return pass(BPFROUTE_STAT_PASS_TTL);

	tg = bpf_map_lookup_elem(&BPFROUTE_MAP_TARGETS, &t.ifindex);
	if (tg && (tg->flags & BPFROUTE_TARGET_F_DOWN))
		return target_down(tg);
	ip6h->hop_limit--;	/* no header checksum in IPv6 */
	return forward(skb, &t, tg, 6);
}

SEC("tc")
int bpfroute_steer(struct __sk_buff *skb)
{
	__u32 verdict = xdp_verdict(skb);
	struct hdr_cursor c = {
		.pos = (void *)(long)skb->data,
		.end = (void *)(long)skb->data_end,
	};
	struct ethhdr *eth;

	/*
	 * The XDP stage parsed the frame as IPv4 or IPv6 and found no route:
	 * what is left is the verdict this stage would give, counted as it
	 * would count it, without its work. There is no query to record: the
	 * stage leaves DNS to TC without a verdict.
	 */
	if (verdict) {
		if (skb->vlan_present)
			return pass(BPFROUTE_STAT_PASS_VLAN);
		if (skb->pkt_type != PACKET_HOST)
			return pass(BPFROUTE_STAT_PASS_NOT_FOR_US);
		if (verdict & BPFROUTE_XDP_META_EXPIRED)
			count(BPFROUTE_STAT_HOST_EXPIRED, 1);
		return pass(BPFROUTE_STAT_MISS);
	}

	/*
	 * Headers split off the linear data (some NICs' header split, paged
	 * skbs): pull the most an Ethernet, IPv6 or optioned IPv4 header needs.
	 * Linear packets, the usual case, pay one comparison.
	 */
	if (c.pos + ETH_HLEN + 60 > c.end && skb->len > c.end - c.pos) {
		bpf_skb_pull_data(skb, skb->len < ETH_HLEN + 60 ? skb->len : ETH_HLEN + 60);
		c.pos = (void *)(long)skb->data;
		c.end = (void *)(long)skb->data_end;
	}

	eth = parse_ethhdr(&c);
	if (!eth)
		return pass(BPFROUTE_STAT_PASS_MALFORMED);

	/*
	 * A tagged frame belongs to the VLAN's own device: the kernel untags it
	 * before ingress (vlan_present) or, without acceleration, the tag is
	 * still in the data. Steering it here would mix L2 domains; operators
	 * attach bpfroute to the VLAN device (`interface lan0.100`) instead.
	 */
	if (skb->vlan_present || eth->h_proto == bpf_htons(ETH_P_8021Q) ||
	    eth->h_proto == bpf_htons(ETH_P_8021AD))
		return pass(BPFROUTE_STAT_PASS_VLAN);

	if (eth->h_proto != bpf_htons(ETH_P_IP) && eth->h_proto != bpf_htons(ETH_P_IPV6))
		return pass(BPFROUTE_STAT_PASS_NOT_IP);

	/* A router forwards only frames addressed to its own MAC. */
	if (skb->pkt_type != PACKET_HOST)
		return pass(BPFROUTE_STAT_PASS_NOT_FOR_US);

	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return classify_ipv4(skb, &c);
	return classify_ipv6(skb, &c);
}

/*
 * The XDP stage on a LAN interface, when a target accepts XDP frames
 * (xdp_stage.h): forwards what it can, passes the rest to bpfroute_steer.
 */
SEC("xdp")
int bpfroute_xdp(struct xdp_md *ctx)
{
	return xdp_stage(ctx);
}

/*
 * LAN egress: answers on their way to clients, from a resolver upstream or
 * on the gateway itself. Every packet goes on unchanged; only its reading
 * may install routes.
 */
SEC("tc")
int bpfroute_learn(struct __sk_buff *skb)
{
	dns_learn_answer(skb);
	return TC_ACT_OK;
}

/*
 * Ingress of every masqueraded target device: replies to masqueraded flows
 * and ICMP errors about them go back to their clients (nat.h); everything
 * else, the gateway's own traffic through the tunnel among it, continues
 * untouched. Works on L3 devices (WireGuard, TUN: no MAC header) and on
 * Ethernet ones.
 */
SEC("tc")
int bpfroute_unnat(struct __sk_buff *skb)
{
	return nat_unnat(skb);
}
