/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Learned entries from user space, by the rules the kernel learns with
 * (bpf/learn.h) and expires with (host_alive() in bpf/lookup.h): the same
 * lifetime, the same refusals, the same notion of expired and dead, all
 * from include/bpfroute_policy.h. The agent installs what the kernel could
 * not, evicts and sweeps; everything here takes the time as an argument
 * (seconds of CLOCK_MONOTONIC, the datapath's clock) so that tests can drive
 * it with a fake clock.
 */
#ifndef BPFROUTE_HOSTS_H
#define BPFROUTE_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "bpfroute_abi.h"
#include "bpfroute_policy.h"
#include "hosttable.h"
#include "maps.h"

#define HOSTS_NSEC_PER_SEC BPFROUTE_NSEC_PER_SEC

/* Where an address was learned: the answer's rule, name, time and server. */
struct hosts_origin {
	__u32 ifindex;		/* the rule's target */
	__u32 rule;		/* the rule's id */
	__u8 clients;		/* the rule's client group; 0: every client */
	__u64 name_id;		/* bpfroute_names key of the question */
	__u32 ts;		/* when the answer was seen, seconds: lifetimes start here */
	/*
	 * The server(s) that may have answered, 16 bytes each (IPv4 in the
	 * first 4, the rest zero): never learned, trusted or not, so that an
	 * answer cannot steer DNS itself into the tunnel (as bpf/learn.h).
	 */
	const __u8 (*servers)[16];
	size_t n_servers;
};

/* What hosts_put() did. Negative values are errors (-errno). */
enum hosts_result {
	HOSTS_INSTALLED,	/* a new entry */
	HOSTS_RENEWED,		/* an existing entry changed (expiry, target, rule) */
	HOSTS_UNCHANGED,	/* an existing entry already said all of it */
	HOSTS_STALE,		/* the answer is so old the entry would be dead: skipped */
};

/*
 * A record's TTL as a lifetime in seconds: a TTL with the top bit set reads
 * as 0 (RFC 2181 section 8), then clamped to [min_ttl, max_ttl].
 */
__u32 hosts_lifetime_s(const struct bpfroute_conf *conf, __u32 ttl);

/* max(last use, expiry): what LRU order and idle time count from. */
__u32 hosts_since(const struct bpfroute_host *h);

/* Past its expiry: may be evicted (it may still carry a connection). */
bool hosts_expired(const struct bpfroute_host *h, __u32 now);

/* Expired and idle for idle_timeout (bpfroute_conf's): a miss for the classifier. */
bool hosts_dead(const struct bpfroute_host *h, __u32 now, __u32 idle_timeout);

/* Destinations a router never forwards to, as bpfroute_policy.h defines them. */
bool hosts_addr_special(int family, const __u8 *addr);

/*
 * Never learned: special, the gateway's own or a tunnel endpoint
 * (bpfroute_excl4/6), inside a bypass prefix, or a trusted resolver
 * (bpfroute_resolv).
 */
bool hosts_refused(const struct bpfroute_maps *m, int family, const __u8 *addr);

/* Is addr (of family 4 or 6) one of the origin's servers? */
bool hosts_is_server(const struct hosts_origin *o, int family, const __u8 *addr);

/*
 * Install or renew one address (4 or 16 bytes, of ht's family), as
 * bpf/learn.h does: expires at o->ts + lifetime, a renewal never shortens,
 * and takes the rule, target and name of the latest answer.
 * No refusal check and no eviction: -E2BIG when the table is full
 * (max-routes) or crowded. Returns enum hosts_result or -errno.
 */
int hosts_put(struct hosttable *ht, const struct bpfroute_conf *conf,
	      const struct hosts_origin *o, const __u8 *addr, __u32 ttl, __u32 now);

/*
 * Delete the entry in slot s if it is still as `seen` left it (the same
 * state word: not renewed, not deleted) and expired at now, and dead too
 * by dead_by's idle timeout unless dead_by is NULL (an eviction), by
 * BPFROUTE_TABLE_GRACE_S at least: a packet that found it alive at the last
 * moment has written its last use by then. Returns 0 if deleted, -EAGAIN if
 * kept, -ENOENT if no longer there.
 */
int hosts_reap(struct hosttable *ht, struct bpfroute_host *s, const struct bpfroute_host *seen,
	       __u32 now, const struct bpfroute_conf *dead_by);

/* Remember a question's name (lower-case wire form) under id, once. */
int hosts_name_put(const struct bpfroute_maps *m, __u64 id, const __u8 *wire, size_t len);

/* CLOCK_MONOTONIC in ns: the datapath's clock (bpf_ktime_get_ns() and coarse). */
__u64 hosts_now_ns(void);

/* The same in the whole seconds learned entries keep. */
static inline __u32 hosts_seconds(__u64 ns)
{
	return bpfroute_seconds(ns);
}

#endif /* BPFROUTE_HOSTS_H */
