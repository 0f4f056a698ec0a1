/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The learned tables from the BPF side: include/bpfroute_table.h's algorithm
 * on the inner maps of bpfroute_host4/6. A table's size is its map's
 * max_entries, read from the map itself: a program that holds a table always
 * probes it with its own size, whatever user space swaps in meanwhile.
 */
#ifndef BPFROUTE_BPF_HOSTS_H
#define BPFROUTE_BPF_HOSTS_H

#include "bpfroute_abi.h"
#include "bpfroute_policy.h"
#include "maps.h"

typedef void *bpfroute_table_t;
#define TABLE_SLOT(t, i)                                                    \
	({                                                                  \
		__u32 k_ = (i);                                             \
		(struct bpfroute_host *)bpf_map_lookup_elem((t), &k_);      \
	})
#define TABLE_BLOCK(f, i)                                                   \
	({                                                                  \
		__u32 k_ = (i);                                             \
		(__u64 *)bpf_map_lookup_elem((f), &k_);                     \
	})
/* vmlinux.h's types are CO-RE relocatable: these read the map itself. */
#define TABLE_SLOTS(t) (((struct bpf_map *)(t))->max_entries)
#define TABLE_ID(t) (((struct bpf_map *)(t))->id)

/* A put takes its steps under bpf_loop() (hosts_put() below). */
static __always_inline int hosts_put(__u32 role, __u64 h, bool count, __u32 max_live);
#define TABLE_PUT(role, t, h, fresh, ctl, max_live) hosts_put(role, h, (ctl) != NULL, max_live)

#include "bpfroute_table.h"

/*
 * The learner's work area, one per CPU: the entry being learned, and the
 * put walking a table for it. A bpf_loop() callback finds the table again
 * by family and role (a map pointer cannot be kept in a map).
 */
struct hosts_scratch {
	struct bpfroute_host fresh;	/* also what gives the tables' slots their BTF */
	struct bpfroute_table_walk walk;
	__u32 family;			/* 4 or 6 */
	__u32 role;			/* enum bpfroute_hosts_role of the table */
	__u32 table_id;			/* the map the walk is on */
	__u32 count;			/* count live entries against walk.max_live */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hosts_scratch);
} BPFROUTE_MAP_HSCRATCH SEC(".maps");

static __always_inline struct hosts_scratch *hosts_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&BPFROUTE_MAP_HSCRATCH, &zero);
}

static __always_inline void *hosts_role(void *outer, __u32 role)
{
	return bpf_map_lookup_elem(outer, &role);
}

static __always_inline void *hosts_outer(__u32 family)
{
	return family == 4 ? (void *)&BPFROUTE_MAP_HOST4 : (void *)&BPFROUTE_MAP_HOST6;
}

/*
 * The live-or-not entry of an address (16 bytes, IPv4 in the first 4, the
 * rest 0), or NULL. A miss reads one line of the filter and no more, but for
 * the filter's rare false positives.
 */
static __always_inline struct bpfroute_host *hosts_lookup(__u8 family, const __u8 *addr)
{
	void *outer = hosts_outer(family), *flt, *tbl;
	const struct bpfroute_conf *conf;
	__u32 zero = 0;
	__u64 w[2], h;

	conf = bpf_map_lookup_elem(&BPFROUTE_MAP_CONF, &zero);
	flt = hosts_role(outer, BPFROUTE_HOSTS_FILTER);
	tbl = hosts_role(outer, BPFROUTE_HOSTS_TABLE);
	if (!conf || !flt || !tbl)
		return NULL;
	bpfroute_table_key(addr, w);
	h = bpfroute_table_hash(conf, w);
	if (!bpfroute_filter_test(flt, h))
		return NULL;
	return bpfroute_table_find(tbl, h, w);
}

/* One step of the put in the scratch, on the table of its family and role. */
static long hosts_put_step(__u32 idx, void *ctx)
{
	struct hosts_scratch *s = hosts_scratch();
	struct bpfroute_hostctl *ctl = NULL;
	__u32 fam;
	void *t;

	(void)idx;
	(void)ctx;
	if (!s)
		return 1;
	t = hosts_role(hosts_outer(s->family), s->role);
	fam = s->family == 4 ? 0 : 1;
	if (s->count)
		ctl = bpf_map_lookup_elem(&BPFROUTE_MAP_HOSTCTL, &fam);
	if (!t || (s->count && !ctl)) {
		s->walk.result = BPFROUTE_TABLE_CROWDED;
		return 1;
	}
	/*
	 * The agent swapped a new table into the role between two steps (a
	 * program sees the swap at once; the agent waits for it to end): the
	 * walk starts over there, where an address must be found from its
	 * first probe on.
	 */
	if (TABLE_ID(t) != s->table_id) {
		s->table_id = TABLE_ID(t);
		s->walk.p = 0;
		s->walk.waits = 0;
	}
	return bpfroute_table_step(t, &s->walk, &s->fresh, ctl);
}

/* Put the scratch's fresh entry (hash h) in the table of a role. */
static __always_inline int hosts_put(__u32 role, __u64 h, bool count, __u32 max_live)
{
	struct hosts_scratch *s = hosts_scratch();
	__u64 key[2];

	if (!s)
		return BPFROUTE_TABLE_CROWDED;
	bpfroute_table_key(s->fresh.addr, key);
	bpfroute_table_walk_init(&s->walk, key, h, BPFROUTE_TABLE_LEARN, max_live);
	s->role = role;
	s->table_id = 0;	/* the first step takes the role's table */
	s->count = count;
	bpf_loop(BPFROUTE_TABLE_STEPS, hosts_put_step, NULL, 0);
	return s->walk.result < 0 ? BPFROUTE_TABLE_CROWDED : s->walk.result;
}

/*
 * Learn the scratch's fresh entry (its addr, fields and lifetime set) in its
 * family's tables: bpfroute_table_learn(), the filters first.
 */
static __always_inline int hosts_learn(__u32 family, const struct bpfroute_conf *conf)
{
	void *outer = hosts_outer(family), *tbl, *flt, *ntbl, *nflt;
	struct hosts_scratch *s = hosts_scratch();
	__u32 fam = family == 4 ? 0 : 1;
	struct bpfroute_hostctl *ctl;

	ctl = bpf_map_lookup_elem(&BPFROUTE_MAP_HOSTCTL, &fam);
	tbl = hosts_role(outer, BPFROUTE_HOSTS_TABLE);
	flt = hosts_role(outer, BPFROUTE_HOSTS_FILTER);
	if (!s || !ctl || !tbl || !flt)
		return BPFROUTE_TABLE_CROWDED;
	s->family = family;
	ntbl = hosts_role(outer, BPFROUTE_HOSTS_NEXT_TABLE);
	nflt = hosts_role(outer, BPFROUTE_HOSTS_NEXT_FILTER);
	/* During the swap a role may hold the new table twice for a moment. */
	if (ntbl == tbl)
		ntbl = NULL;
	if (nflt == flt)
		nflt = NULL;
	return bpfroute_table_learn(tbl, flt, ntbl, nflt, ctl, conf, &s->fresh);
}

#endif /* BPFROUTE_BPF_HOSTS_H */
