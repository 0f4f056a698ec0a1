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
 * The miss path is kept to one map lookup: most traffic of a gateway is not
 * steered and must not pay for what steered traffic needs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bpfroute_abi.h"
#include "maps.h"
#include "parsing.h"
#include "forward.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void count(__u32 stat, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&BPFROUTE_MAP_STATS, &stat);

	if (v)
		*v += n;	/* per-CPU: no other writer */
}

static __always_inline int pass(__u32 stat)
{
	count(stat, 1);
	return TC_ACT_OK;
}

static __always_inline int steer(struct __sk_buff *skb, struct bpfroute_route *route)
{
	/* Shared entry, written from every CPU: atomic adds. */
	__sync_fetch_and_add(&route->packets, 1);
	__sync_fetch_and_add(&route->bytes, skb->len);
	count(BPFROUTE_STAT_STEERED, 1);
	count(BPFROUTE_STAT_BYTES_STEERED, skb->len);
	return bpf_redirect(route->ifindex, 0);
}

static __always_inline int classify_ipv4(struct __sk_buff *skb, struct hdr_cursor *c)
{
	struct bpfroute_key4 key = { .prefixlen = 32 };
	struct bpfroute_route *route;
	struct iphdr *iph;

	iph = parse_iphdr(c);
	if (!iph)
		return pass(BPFROUTE_STAT_PASS_MALFORMED);

	__builtin_memcpy(key.addr, &iph->daddr, sizeof(key.addr));
	route = bpf_map_lookup_elem(&BPFROUTE_MAP_ROUTE4, &key);
	if (!route)
		return pass(BPFROUTE_STAT_MISS);

	/* From here on the packet is ours to forward: check it as the stack would. */
	if (!ipv4_header_valid(skb, iph, c->end))
		return pass(BPFROUTE_STAT_PASS_MALFORMED);
	if (ipv4_addr_special(key.addr) || ipv4_addr_special((__u8 *)&iph->saddr))
		return pass(BPFROUTE_STAT_PASS_SPECIAL);
	if (bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL4, key.addr))
		return pass(BPFROUTE_STAT_PASS_EXCLUDED);
	/* The stack drops it and sends ICMP time exceeded (RFC 1812 5.3.1). */
	if (iph->ttl <= 1)
		return pass(BPFROUTE_STAT_PASS_TTL);

	ipv4_decrease_ttl(iph);
	return steer(skb, route);
}

static __always_inline int classify_ipv6(struct __sk_buff *skb, struct hdr_cursor *c)
{
	struct bpfroute_key6 key = { .prefixlen = 128 };
	struct bpfroute_addr6 saddr;
	struct bpfroute_route *route;
	struct ipv6hdr *ip6h;

	ip6h = parse_ipv6hdr(c);
	if (!ip6h)
		return pass(BPFROUTE_STAT_PASS_MALFORMED);

	__builtin_memcpy(key.addr, &ip6h->daddr, sizeof(key.addr));
	route = bpf_map_lookup_elem(&BPFROUTE_MAP_ROUTE6, &key);
	if (!route)
		return pass(BPFROUTE_STAT_MISS);

	if (!ipv6_header_valid(skb, ip6h))
		return pass(BPFROUTE_STAT_PASS_MALFORMED);
	/* Copied: the special-address test reads aligned words. */
	__builtin_memcpy(saddr.addr, &ip6h->saddr, sizeof(saddr.addr));
	if (ipv6_addr_special(key.addr) || ipv6_addr_special(saddr.addr))
		return pass(BPFROUTE_STAT_PASS_SPECIAL);
	if (bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL6, key.addr))
		return pass(BPFROUTE_STAT_PASS_EXCLUDED);
	/* The stack sends ICMPv6 time exceeded (RFC 4443 3.3). */
	if (ip6h->hop_limit <= 1)
		return pass(BPFROUTE_STAT_PASS_TTL);

	ip6h->hop_limit--;	/* no header checksum in IPv6 */
	return steer(skb, route);
}

SEC("tc")
int bpfroute_steer(struct __sk_buff *skb)
{
	struct hdr_cursor c = {
		.pos = (void *)(long)skb->data,
		.end = (void *)(long)skb->data_end,
	};
	struct ethhdr *eth;

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
