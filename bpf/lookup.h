/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The route for a destination, as both stages see it: a live learned host
 * (hash maps, O(1) whatever their size), else the longest configured prefix
 * (LPM tries). A /32 or /128 is the longest prefix there is, so the hosts
 * come first.
 */
#ifndef BPFROUTE_LOOKUP_H
#define BPFROUTE_LOOKUP_H

#include "bpfroute_abi.h"
#include "bpfroute_policy.h"
#include "maps.h"
#include "parsing.h"
#include "stats.h"
#include "dns_packet.h"

/* Where a hit goes, and whose counters it feeds. */
struct target {
	__u32 ifindex;
	__u64 *packets;
	__u64 *bytes;
};

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

	if (bpfroute_host_dead(h, now))
		return false;
	if (now - h->last_used_ns > BPFROUTE_NSEC_PER_SEC)
		h->last_used_ns = now;
	return true;
}

/*
 * *expired tells whether a learned entry past its life was found (and
 * skipped): the stage that gives the packet its verdict counts it
 * (BPFROUTE_STAT_HOST_EXPIRED), so a packet the XDP stage passes to TC is
 * counted once.
 */
static __always_inline bool lookup4(const __u8 *daddr, struct target *t, bool *expired)
{
	struct bpfroute_key4 key = { .prefixlen = 32 };
	struct bpfroute_route *route;
	struct bpfroute_host *host;

	host = bpf_map_lookup_elem(&BPFROUTE_MAP_HOST4, daddr);
	*expired = host && !host_alive(host);
	if (host && !*expired) {
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

static __always_inline bool lookup6(const __u8 *daddr, struct target *t, bool *expired)
{
	struct bpfroute_key6 key = { .prefixlen = 128 };
	struct bpfroute_route *route;
	struct bpfroute_host *host;

	host = bpf_map_lookup_elem(&BPFROUTE_MAP_HOST6, daddr);
	*expired = host && !host_alive(host);
	if (host && !*expired) {
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

/* Counters of a steered packet: the entry's (shared, atomic) and the totals. */
static __always_inline void count_steered(const struct target *t, __u32 len)
{
	__sync_fetch_and_add(t->packets, 1);
	__sync_fetch_and_add(t->bytes, len);
	count(BPFROUTE_STAT_STEERED, 1);
	count(BPFROUTE_STAT_BYTES_STEERED, len);
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

#endif /* BPFROUTE_LOOKUP_H */
