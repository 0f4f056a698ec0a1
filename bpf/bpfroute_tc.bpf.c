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
#include "stats.h"
#include "dns_answer.h"
#include "nat.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline int pass(__u32 stat)
{
	count(stat, 1);
	return TC_ACT_OK;
}

/* Where a hit goes, and whose counters it feeds. */
struct target {
	__u32 ifindex;
	__u64 *packets;
	__u64 *bytes;
};

static __always_inline int steer(struct __sk_buff *skb, const struct target *t)
{
	/* Shared entry, written from every CPU: atomic adds. */
	__sync_fetch_and_add(t->packets, 1);
	__sync_fetch_and_add(t->bytes, skb->len);
	count(BPFROUTE_STAT_STEERED, 1);
	count(BPFROUTE_STAT_BYTES_STEERED, skb->len);
	return bpf_redirect(t->ifindex, 0);
}

/*
 * Forward a checked packet to its target: masqueraded on the way if the
 * target asks for it (nat.h), dropped if that fails, since an untranslated
 * packet must never enter the tunnel. Other targets cost one lookup.
 */
static __always_inline int forward(struct __sk_buff *skb, const struct target *t, __u8 family)
{
	const struct bpfroute_target *tg;
	int ret;

	tg = bpf_map_lookup_elem(&BPFROUTE_MAP_TARGETS, &t->ifindex);
	if (tg && (tg->flags & (BPFROUTE_TARGET_F_MASQ | BPFROUTE_TARGET_F_DRAIN))) {
		ret = nat_masquerade(skb, tg, t->ifindex, family);
		if (ret && ret != NAT_PASS)
			return TC_ACT_SHOT;
	}
	return steer(skb, t);
}

/*
 * A learned entry steers until it expires, and after that for as long as it
 * keeps being used: idle_timeout seconds without a packet past
 * max(expiry, last use) and it is a miss, whether or not the agent has
 * removed it yet. last_used_ns is written at most once a second, so a busy
 * entry does not bounce its cache line between CPUs on every packet.
 */
static __always_inline bool host_alive(struct bpfroute_host *h)
{
	__u64 now = bpf_ktime_get_boot_ns();

	if (bpfroute_host_dead(h, now)) {
		count(BPFROUTE_STAT_HOST_EXPIRED, 1);
		return false;
	}
	if (now - h->last_used_ns > BPFROUTE_NSEC_PER_SEC)
		h->last_used_ns = now;
	return true;
}

/* The route for a destination: a live learned host, else the longest prefix. */
static __always_inline bool lookup4(const __u8 *daddr, struct target *t)
{
	struct bpfroute_key4 key = { .prefixlen = 32 };
	struct bpfroute_route *route;
	struct bpfroute_host *host;

	host = bpf_map_lookup_elem(&BPFROUTE_MAP_HOST4, daddr);
	if (host && host_alive(host)) {
		*t = (struct target){ host->ifindex, &host->packets, &host->bytes };
		return true;
	}
	__builtin_memcpy(key.addr, daddr, sizeof(key.addr));
	route = bpf_map_lookup_elem(&BPFROUTE_MAP_ROUTE4, &key);
	if (!route)
		return false;
	*t = (struct target){ route->ifindex, &route->packets, &route->bytes };
	return true;
}

static __always_inline bool lookup6(const __u8 *daddr, struct target *t)
{
	struct bpfroute_key6 key = { .prefixlen = 128 };
	struct bpfroute_route *route;
	struct bpfroute_host *host;

	host = bpf_map_lookup_elem(&BPFROUTE_MAP_HOST6, daddr);
	if (host && host_alive(host)) {
		*t = (struct target){ host->ifindex, &host->packets, &host->bytes };
		return true;
	}
	__builtin_memcpy(key.addr, daddr, sizeof(key.addr));
	route = bpf_map_lookup_elem(&BPFROUTE_MAP_ROUTE6, &key);
	if (!route)
		return false;
	*t = (struct target){ route->ifindex, &route->packets, &route->bytes };
	return true;
}

/* The destination port of a UDP or TCP header at l4, network order, or 0. */
static __always_inline __u16 l4_dport(void *l4, void *end, __u8 proto)
{
	__u16 *ports = l4;

	if (proto != IPPROTO_UDP_ && proto != IPPROTO_TCP_)
		return 0;
	if ((void *)(ports + 2) > end)
		return 0;
	return ports[1];
}

static __always_inline int classify_ipv4(struct __sk_buff *skb, struct hdr_cursor *c)
{
	struct bpfroute_addr4 daddr;
	struct iphdr *iph;
	struct target t;

	iph = parse_iphdr(c);
	if (!iph)
		return pass(BPFROUTE_STAT_PASS_MALFORMED);
	/* A query is recorded, then forwarded like any packet. */
	if (!(iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) &&
	    l4_dport(c->pos, c->end, iph->protocol) == bpf_htons(DNS_PORT))
		dns_record_query(skb);

	__builtin_memcpy(daddr.addr, &iph->daddr, sizeof(daddr.addr));
	if (!lookup4(daddr.addr, &t))
		return pass(BPFROUTE_STAT_MISS);

	/* From here on the packet is ours to forward: check it as the stack would. */
	if (!ipv4_header_valid(skb, iph, c->end))
		return pass(BPFROUTE_STAT_PASS_MALFORMED);
	if (bpfroute_ipv4_special(daddr.addr) || bpfroute_ipv4_special((__u8 *)&iph->saddr))
		return pass(BPFROUTE_STAT_PASS_SPECIAL);
	if (bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL4, daddr.addr))
		return pass(BPFROUTE_STAT_PASS_EXCLUDED);
	/* The stack drops it and sends ICMP time exceeded (RFC 1812 5.3.1). */
	if (iph->ttl <= 1)
		return pass(BPFROUTE_STAT_PASS_TTL);

	ipv4_decrease_ttl(iph);
	return forward(skb, &t, 4);
}

static __always_inline int classify_ipv6(struct __sk_buff *skb, struct hdr_cursor *c)
{
	struct bpfroute_addr6 daddr;
	struct ipv6hdr *ip6h;
	struct target t;

	ip6h = parse_ipv6hdr(c);
	if (!ip6h)
		return pass(BPFROUTE_STAT_PASS_MALFORMED);
	if (l4_dport(c->pos, c->end, ip6h->nexthdr) == bpf_htons(DNS_PORT))
		dns_record_query(skb);

	__builtin_memcpy(daddr.addr, &ip6h->daddr, sizeof(daddr.addr));
	if (!lookup6(daddr.addr, &t))
		return pass(BPFROUTE_STAT_MISS);

	if (!ipv6_header_valid(skb, ip6h))
		return pass(BPFROUTE_STAT_PASS_MALFORMED);
	if (bpfroute_ipv6_special(daddr.addr) || bpfroute_ipv6_special((__u8 *)&ip6h->saddr))
		return pass(BPFROUTE_STAT_PASS_SPECIAL);
	if (bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL6, daddr.addr))
		return pass(BPFROUTE_STAT_PASS_EXCLUDED);
	/* The stack sends ICMPv6 time exceeded (RFC 4443 3.3). */
	if (ip6h->hop_limit <= 1)
		return pass(BPFROUTE_STAT_PASS_TTL);

	ip6h->hop_limit--;	/* no header checksum in IPv6 */
	return forward(skb, &t, 6);
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
