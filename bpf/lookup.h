/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The route for a destination, as both stages see it: a live learned host
 * (hosts.h: one line of a filter for a miss, one slot for a hit, whatever
 * the table's size), else the longest configured prefix (LPM tries). A /32
 * or /128 is the longest prefix there is, so the hosts come first.
 */
#ifndef BPFROUTE_LOOKUP_H
#define BPFROUTE_LOOKUP_H

#include "bpfroute_abi.h"
#include "bpfroute_policy.h"
#include "maps.h"
#include "parsing.h"
#include "stats.h"
#include "dns_packet.h"
#include "hosts.h"

/* Where a hit goes, and whose counters it feeds. */
struct target {
	__u32 ifindex;
	__u64 *packets;
	__u64 *bytes;
	struct bpfroute_host *host;	/* a learned entry's, NULL for a prefix route */
	__u32 now;			/* for a learned entry: this second */
	bool bypass;			/* a bypass prefix: pass, never steer */
	__u8 clients;			/* the client group it steers for; 0: every client */
};

/*
 * A learned entry steers until it expires, and after that for as long as it
 * keeps being used: the idle timeout without a packet past
 * max(expiry, last use) and it is a miss, whether or not the agent has
 * removed it yet. last_used is written at most once a second, so a busy
 * entry does not bounce its cache line between CPUs on every packet. The
 * coarse clock is the last tick's time: no clock source read per packet.
 */
static __always_inline bool host_alive(struct bpfroute_host *h, __u32 now)
{
	const struct bpfroute_conf *conf;
	__u32 zero = 0;

	/* An array's lookup is inlined: an address, no call. */
	conf = bpf_map_lookup_elem(&BPFROUTE_MAP_CONF, &zero);
	if (conf && bpfroute_host_dead(h, now, conf->idle_timeout))
		return false;
	if (now > h->last_used)
		h->last_used = now;
	return true;
}

/*
 * Could a configured prefix cover this destination? bpfroute_pfxsum has a
 * bit per value of its first 16 bits: a destination in none, all of them
 * while no prefix is configured, skips the trie.
 */
static __always_inline bool prefix_may_cover(__u32 fam, const __u8 *daddr)
{
	__u32 top = (__u32)daddr[0] << 8 | daddr[1];
	__u32 idx = fam * BPFROUTE_PFXSUM_WORDS + (top >> 6);
	__u64 *w = bpf_map_lookup_elem(&BPFROUTE_MAP_PFXSUM, &idx);

	return w && (*w >> (top & 63)) & 1;
}

/*
 * The route of a destination (16 bytes, IPv4 in the first 4): a live learned
 * host, else the longest configured prefix (t->bypass set if that prefix is
 * a bypass: the caller passes the packet). *expired tells whether a learned
 * entry past its life was found (and skipped): the stage that gives the
 * packet its verdict counts it (BPFROUTE_STAT_HOST_EXPIRED), so a packet the
 * XDP stage passes to TC is counted once.
 */
static __always_inline bool lookup_host(__u8 family, const __u8 *addr, struct target *t,
					bool *expired)
{
	struct bpfroute_host *host = hosts_lookup(family, addr);
	__u32 now;

	*expired = false;
	if (!host)
		return false;
	now = bpfroute_seconds(bpf_ktime_get_coarse_ns());
	*expired = !host_alive(host, now);
	if (*expired)
		return false;
	*t = (struct target){ host->ifindex, &host->packets, &host->bytes, host, now,
			      false, host->clients };
	return true;
}

static __always_inline bool lookup4(const __u8 *daddr, struct target *t, bool *expired)
{
	struct bpfroute_key4 key = { .prefixlen = 32 };
	struct bpfroute_route *route;
	__u8 addr[16] = {};

	__builtin_memcpy(addr, daddr, 4);
	if (lookup_host(4, addr, t, expired))
		return true;
	if (!prefix_may_cover(0, daddr))
		return false;
	__builtin_memcpy(key.addr, daddr, sizeof(key.addr));
	route = bpf_map_lookup_elem(&BPFROUTE_MAP_ROUTE4, &key);
	if (!route)
		return false;
	*t = (struct target){ route->ifindex, &route->packets, &route->bytes, NULL, 0,
			      route->flags & BPFROUTE_ROUTE_F_BYPASS, route->clients };
	return true;
}

static __always_inline bool lookup6(const __u8 *daddr, struct target *t, bool *expired)
{
	struct bpfroute_key6 key = { .prefixlen = 128 };
	struct bpfroute_route *route;

	if (lookup_host(6, daddr, t, expired))
		return true;
	if (!prefix_may_cover(1, daddr))
		return false;
	__builtin_memcpy(key.addr, daddr, sizeof(key.addr));
	route = bpf_map_lookup_elem(&BPFROUTE_MAP_ROUTE6, &key);
	if (!route)
		return false;
	*t = (struct target){ route->ifindex, &route->packets, &route->bytes, NULL, 0,
			      route->flags & BPFROUTE_ROUTE_F_BYPASS, route->clients };
	return true;
}

/*
 * Is the hit's source one of the clients it steers for? A rule or route
 * without a group (clients 0) steers every client and costs nothing more;
 * one with a group costs an LPM lookup of the source, after the hit only,
 * so the miss path never pays for groups. saddr: 4 or 16 bytes of family.
 */
static __always_inline bool client_steered(const struct target *t, __u8 family,
					   const __u8 *saddr)
{
	struct bpfroute_key6 k6 = { .prefixlen = 128 };
	struct bpfroute_key4 k4 = { .prefixlen = 32 };
	__u64 *mask;

	if (!t->clients)
		return true;
	if (t->clients > BPFROUTE_MAX_CLIENT_GROUPS)
		return false;
	if (family == 4) {
		__builtin_memcpy(k4.addr, saddr, sizeof(k4.addr));
		mask = bpf_map_lookup_elem(&BPFROUTE_MAP_CLI4, &k4);
	} else {
		__builtin_memcpy(k6.addr, saddr, sizeof(k6.addr));
		mask = bpf_map_lookup_elem(&BPFROUTE_MAP_CLI6, &k6);
	}
	return mask && (*mask >> (t->clients - 1)) & 1;
}

/*
 * Must a hit's destination be checked against the addresses never steered
 * (special ones, the gateway's own, tunnel endpoints)? Not a learned
 * entry's: the learner and the agent refuse to learn those addresses, and a
 * new exclusion deletes a learned entry of its address (user/excl.c). Only a
 * prefix route's hit pays for the check.
 */
static __always_inline bool dest_checked(const struct target *t)
{
	return !t->host;
}

/*
 * A hit on a bypass prefix: the packet goes on untouched, counted on the
 * entry (`bpfroute routes` shows what a bypass kept) and as PASS_BYPASS.
 */
static __always_inline void count_bypass(const struct target *t, __u32 len)
{
	__sync_fetch_and_add(t->packets, 1);
	__sync_fetch_and_add(t->bytes, len);
	count(BPFROUTE_STAT_PASS_BYPASS, 1);
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
