/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The capacities of the maps the config sizes (bpfroute_rules, and
 * bpfroute_route4/6), decided before anything is loaded, and the kernel
 * memory the maps take at those sizes.
 */
#ifndef BPFROUTE_CAPACITY_H
#define BPFROUTE_CAPACITY_H

#include <stddef.h>
#include <linux/types.h>

#include "config.h"
#include "pindir.h"

struct capacity {
	__u32 rules;		/* bpfroute_rules' max_entries */
	__u32 prefixes[2];	/* bpfroute_route4's and bpfroute_route6's */
};

/*
 * The capacities for cfg. Maps not pinned yet (pd NULL, or no pin) get what
 * the config asks for (config_rules_capacity(), config_prefixes_capacity()).
 * A pinned map keeps its size: libbpf reuses a pin only with the same
 * max_entries, and a new map would lose its entries. So a pinned map that is
 * too small for the config, or not the size max-rules or max-prefixes sets,
 * is refused with one line, "FILE[:LINE]: reason", saying that `unload`
 * resizes it; nothing is changed. -E2BIG then, or -errno.
 */
int capacity_plan(const struct config *cfg, const struct pindir *pd, struct capacity *cap);

struct bpf_object;
/* Size the maps of an opened, not yet loaded, object. */
int capacity_apply(struct bpf_object *obj, const struct capacity *cap);

/* The kernel memory one map takes, estimated (capacity.c says how). */
struct capacity_mem {
	char name[32];
	const char *type;	/* "hash", "lpm_trie", ... */
	__u32 max_entries;
	__u32 entry_bytes;	/* what one entry takes */
	__u64 bytes;		/* at most, full */
};

/*
 * The maps of the datapath at the capacities cap, and the learned tables
 * at max_routes, largest first: *mem (freed by the caller), *n, *total.
 */
int capacity_memory(const struct capacity *cap, __u32 max_routes, struct capacity_mem **mem,
		    size_t *n, __u64 *total);

#endif /* BPFROUTE_CAPACITY_H */
