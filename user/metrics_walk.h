/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The figures of `metrics` that need a walk over every entry: traffic and
 * entries per target device and per domain rule (the learned tables, the
 * configured and added prefixes) and the masqueraded flows per target.
 *
 * With a million learned entries a whole walk takes tens of milliseconds,
 * which the agent must not spend in one go: it walks in steps of a bounded
 * cost (metrics_walk_step()), one per turn of its loop, and serves the last
 * complete walk. `bpfroute metrics` walks everything at once.
 *
 * Traffic per target and per rule is the sum of the per-entry counters of
 * the entries there now: an entry removed (expired, evicted, `route del`)
 * takes its counts with it, so these sums can go down.
 */
#ifndef BPFROUTE_METRICS_WALK_H
#define BPFROUTE_METRICS_WALK_H

#include <stdbool.h>
#include <linux/types.h>

#include "bpfroute_abi.h"
#include "maps.h"

struct hosttable;

/* Traffic of one target device, by where its entries came from. */
enum metrics_origin { METRICS_LEARNED, METRICS_PREFIX, METRICS_ORIGINS };

struct metrics_target {
	__u32 ifindex;
	__u64 entries[2];			/* learned entries: IPv4, IPv6 */
	__u64 packets[METRICS_ORIGINS];
	__u64 bytes[METRICS_ORIGINS];
	__u64 flows;				/* masqueraded flows (nat_out) */
};

/*
 * Per-rule series for at most this many rules. A list of 200,000 names
 * would make as many series of each per-rule metric, more than a
 * Prometheus server should take from one target: past the bound, the
 * rules that have learned entries get series as the walk meets them, and
 * the entries of the others are counted together
 * (bpfroute_rule_entries_unlabelled). Per-target series cover everything.
 */
#define METRICS_RULES_MAX	1024
#define METRICS_RULE_SLOTS	(2 * METRICS_RULES_MAX)	/* open addressing, half full */

struct metrics_rule {
	__u32 id;
	bool used;
	__u64 entries[2];			/* learned entries: IPv4, IPv6 */
	__u64 packets;
	__u64 bytes;
};

/* Room for every target device, and one for entries whose device is gone. */
#define METRICS_TARGETS_MAX	(BPFROUTE_MAX_TARGETS + 1)

struct metrics_agg {
	struct metrics_target target[METRICS_TARGETS_MAX];
	__u32 n_targets;
	struct metrics_rule rule[METRICS_RULE_SLOTS];	/* by a hash of the rule id */
	__u32 n_rules;				/* used slots */
	__u64 rules_unlabelled;			/* entries of rules past the bound */
	__u64 prefixes[2];			/* configured and added prefixes */
	__u64 flows;				/* nat_out entries */
	__u64 done_ns;				/* when the walk ended (agentrec_now()) */
};

/* The slot of rule id; with add, made if there is room. NULL if none. */
struct metrics_rule *metrics_rule_slot(struct metrics_agg *g, __u32 id, bool add);

struct metrics_walk {
	struct metrics_agg *work;		/* being filled */
	struct metrics_agg *done;		/* the last complete walk */
	bool have_done;
	int phase;				/* enum in metrics_walk.c */
	__u32 pos;				/* the next slot of a table */
	bool have_key;				/* key: where a map walk goes on */
	union {
		struct bpfroute_key4 k4;
		struct bpfroute_key6 k6;
		struct bpfroute_flow_key flow;
	} key;
	__u32 seen;				/* keys of this map so far: a bound */
	__u32 last;				/* index of the last target found */
};

/* Cost units of a step: a table slot costs 1, a map key (a syscall or two) this. */
#define METRICS_WALK_KEY_COST	128
/* A step of the agent: 32768 slots (2 MiB of table) or 256 keys, under a millisecond. */
#define METRICS_WALK_BUDGET	32768

int metrics_walk_init(struct metrics_walk *w);
void metrics_walk_free(struct metrics_walk *w);

/* Is a walk under way (started, not yet complete)? */
bool metrics_walk_busy(const struct metrics_walk *w);

/*
 * Go on with the walk (or start one) for up to budget units; ht[0] and ht[1]
 * the IPv4 and IPv6 learned tables as mapped now. Returns 1 if the walk
 * completed (then w->done holds it), 0 if there is more, or -errno.
 */
int metrics_walk_step(struct metrics_walk *w, const struct bpfroute_maps *m,
		      const struct hosttable *ht4, const struct hosttable *ht6, __u64 budget);

/* A whole walk at once (`bpfroute metrics`). */
int metrics_walk_all(struct metrics_walk *w, const struct bpfroute_maps *m,
		     const struct hosttable *ht4, const struct hosttable *ht6);

#endif /* BPFROUTE_METRICS_WALK_H */
