/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Learned entries (bpfroute_host4/6) from user space, by the rules the
 * kernel learns with (bpf/learn.h) and expires with (host_alive() in
 * bpf/bpfroute_tc.bpf.c): the same lifetime, the same refusals, the same
 * notion of expired and dead. The agent installs what the kernel could not,
 * evicts and sweeps; everything here takes the time as an argument
 * (CLOCK_BOOTTIME ns) so that tests can drive it with a fake clock.
 */
#ifndef BPFROUTE_HOSTS_H
#define BPFROUTE_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "bpfroute_abi.h"
#include "bpfroute_policy.h"
#include "maps.h"

#define HOSTS_NSEC_PER_SEC BPFROUTE_NSEC_PER_SEC

/* Where an address was learned: the answer's rule, name, time and server. */
struct hosts_origin {
	__u32 ifindex;		/* the rule's target */
	__u16 rule;		/* the rule's id */
	__u64 name_id;		/* bpfroute_names key of the question */
	__u64 ts_ns;		/* when the answer was seen: lifetimes start here */
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

/* A cursor over a learned map, read in batches. */
struct hosts_cursor {
	__u64 token;		/* the kernel's batch position (a bucket) */
	bool started;
	bool done;		/* the last batch has been read */
};

/* The descriptor and key size of the map of a family (4 or 6). */
int hosts_fd(const struct bpfroute_maps *m, int family);
size_t hosts_key_size(int family);

/*
 * A record's TTL as a lifetime: a TTL with the top bit set reads as 0
 * (RFC 2181 section 8), then clamped to [min_ttl, max_ttl].
 */
__u64 hosts_lifetime_ns(const struct bpfroute_conf *conf, __u32 ttl);

/* max(last use, expiry): what LRU order and idle time count from. */
__u64 hosts_since(const struct bpfroute_host *h);

/* Past its expiry: may be evicted (it may still carry a connection). */
bool hosts_expired(const struct bpfroute_host *h, __u64 now);

/* Expired and idle for its idle_timeout: a miss for the classifier, swept. */
bool hosts_dead(const struct bpfroute_host *h, __u64 now);

/* Destinations a router never forwards to, as bpf/forward.h defines them. */
bool hosts_addr_special(int family, const __u8 *addr);

/*
 * Never learned: special, the gateway's own or a tunnel endpoint
 * (bpfroute_excl4/6), or a trusted resolver (bpfroute_resolv).
 */
bool hosts_refused(const struct bpfroute_maps *m, int family, const __u8 *addr);

/* Is addr (of family 4 or 6) one of the origin's servers? */
bool hosts_is_server(const struct hosts_origin *o, int family, const __u8 *addr);

/*
 * Install or renew one address, as bpf/learn.h does: expires at
 * o->ts_ns + lifetime, a renewal never shortens, and takes the rule, target,
 * name and idle timeout of the latest answer. No refusal check and no
 * eviction: -E2BIG when the map is full. Returns enum hosts_result or -errno.
 */
int hosts_put(const struct bpfroute_maps *m, const struct bpfroute_conf *conf,
	      const struct hosts_origin *o, int family, const __u8 *addr, __u32 ttl, __u64 now);

/*
 * Delete the entry at key if it is still the one `seen` describes (same
 * expiry and last use: not renewed, not used since) and expired at now, dead
 * too if need_dead. The entry is taken out with lookup-and-delete; if it
 * changed in the instant between the check and the delete, it is put back.
 * Returns 0 if deleted, -EAGAIN if kept, -ENOENT if already gone, or -errno.
 */
int hosts_reap(int fd, const void *key, const struct bpfroute_host *seen, __u64 now,
	       bool need_dead);

/*
 * Read up to *n entries from the cursor on into keys (key size of the
 * family each) and vals; *n is set to how many came. c->done after the last.
 */
int hosts_batch(int fd, struct hosts_cursor *c, void *keys, struct bpfroute_host *vals, __u32 *n);

/* Remember a question's name (lower-case wire form) under id, once. */
int hosts_name_put(const struct bpfroute_maps *m, __u64 id, const __u8 *wire, size_t len);

/* CLOCK_BOOTTIME in ns: the datapath's clock (bpf_ktime_get_boot_ns()). */
__u64 hosts_now_ns(void);

#endif /* BPFROUTE_HOSTS_H */
