/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The learned tables from user space: the inner maps of bpfroute_host4/6
 * mapped into this process (BPF_F_MMAPABLE), worked on in place with the
 * same algorithm and the same atomic operations as the BPF programs
 * (include/bpfroute_table.h). Making tables, installing them, and rebuilding
 * one beside the other (grow, shrink, clean) are here too.
 */
#ifndef BPFROUTE_HOSTTABLE_H
#define BPFROUTE_HOSTTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "bpfroute_abi.h"
#include "bpfroute_policy.h"
#include "maps.h"

/* One inner map, mapped: a table (slots) or a filter (blocks). */
struct table_map {
	int fd;			/* -1: none */
	__u32 id;
	__u32 n;		/* slots or blocks: max_entries, a power of two */
	void *mem;		/* n * 64 bytes, shared with the kernel */
	size_t len;		/* of the mapping */
};

typedef const struct table_map *bpfroute_table_t;
#define TABLE_SLOT(t, i) ((i) < (t)->n ? (struct bpfroute_host *)(t)->mem + (i) : NULL)
#define TABLE_BLOCK(f, i) \
	((i) < (f)->n ? (__u64 *)(f)->mem + (size_t)(i) * BPFROUTE_FILTER_WORDS : NULL)
#define TABLE_SLOTS(t) ((t)->n)

#include "bpfroute_table.h"

/* A family's learned table and filter as the datapath has them, mapped. */
struct hosttable {
	int family;				/* 4 or 6 */
	int outer;				/* bpfroute_host4/6, borrowed */
	struct table_map role[BPFROUTE_HOSTS_ROLES];	/* fd -1: role empty */
	struct bpfroute_hostctl *ctl;		/* the family's counters, mapped */
	void *ctl_mem;
	size_t ctl_len;
};

/* The role's map, or NULL if the role is empty. */
static inline const struct table_map *hosttable_role(const struct hosttable *ht, int role)
{
	return ht->role[role].fd >= 0 ? &ht->role[role] : NULL;
}

/*
 * How inner maps and the programs' BTF are opened by id. BPF_MAP_GET_FD_BY_ID
 * and BPF_BTF_GET_FD_BY_ID need CAP_SYS_ADMIN: NULL (the default) calls them
 * directly, the sandboxed agent asks its helper (privhelper.c). Returns an
 * fd, or -errno.
 */
enum hosttable_obj { HOSTTABLE_MAP, HOSTTABLE_BTF };
extern int (*hosttable_fd_by_id)(enum hosttable_obj kind, __u32 id);

/* Map a family's tables as they are now. 0, or -errno. */
int hosttable_open(const struct bpfroute_maps *m, int family, struct hosttable *ht);
void hosttable_close(struct hosttable *ht);

/*
 * A table of `slots` (table) or its filter (filter), made afresh and mapped;
 * not yet in any role.
 */
int table_map_create(const struct bpfroute_maps *m, int family, bool filter, __u32 slots,
		     struct table_map *tm);
void table_map_close(struct table_map *tm);

/* Put tm (NULL: nothing) in a role of the family's array of maps, and in ht. */
int hosttable_set_role(struct hosttable *ht, int role, const struct table_map *tm);

/*
 * For a fresh or reloaded instance: give each family a table (of `slots`)
 * and a filter if it has none, and clear what a rebuild interrupted by a
 * crash left in the next roles. Call with the pin directory locked.
 */
int hosttable_setup(const struct bpfroute_maps *m, __u32 slots);

/* The LIVE slot of an address (16 bytes, IPv4 in the first 4), or NULL. */
struct bpfroute_host *hosttable_find(const struct hosttable *ht, const struct bpfroute_conf *conf,
				     const __u8 *addr);

/*
 * The entry of an address as the classifier finds it (hosts_lookup() in
 * bpf/hosts.h): the filter first, then the table. A LIVE slot, which may be
 * past its life (bpfroute_host_dead()), or NULL.
 */
struct bpfroute_host *hosttable_lookup(const struct hosttable *ht,
				       const struct bpfroute_conf *conf, const __u8 *addr);

/* Learn fresh as the kernel does (bpfroute_table_learn()): enum bpfroute_table_result. */
int hosttable_learn(struct hosttable *ht, const struct bpfroute_conf *conf,
		    const struct bpfroute_host *fresh);

/* Delete slot s of the table, seen LIVE as st: false if it changed since. */
bool hosttable_kill(struct hosttable *ht, struct bpfroute_host *s, __u32 st);

/*
 * Call fn on every LIVE slot of the family's learned table (st: its state as
 * read), the table open meanwhile; fn may rewrite or kill the slot.
 */
int hosttable_each_live(const struct bpfroute_maps *m, int family,
			void (*fn)(struct hosttable *ht, struct bpfroute_host *s, __u32 st,
				   void *ctx),
			void *ctx);

/* Delete every entry of an address (16 bytes); returns how many. */
int hosttable_purge(struct hosttable *ht, const struct bpfroute_conf *conf, const __u8 *addr);

/* Slots a table of `live` entries is rebuilt to: half full at most. */
__u32 hosttable_slots_for(__u32 live, __u32 max_routes);

/*
 * The slots the table should be rebuilt to now, or 0: grown when over half
 * full, cleaned when live and DEAD slots pass 60% or a probe window is half
 * used (bpfroute_hostctl.far), shrunk when under an eighth full.
 */
__u32 hosttable_rebuild_want(const struct hosttable *ht, __u32 max_routes);

/*
 * Rebuild the family's table as one of `slots`: made beside the old one,
 * which the learner then writes as well, filled from it, swapped in, and
 * given the counters the old one took meanwhile. DEAD slots stay behind and
 * the filter starts afresh. Call with the pin directory locked. 0, or
 * -errno with the old table still in place.
 */
int hosttable_rebuild(struct hosttable *ht, const struct bpfroute_maps *m,
		      const struct bpfroute_conf *conf, __u32 slots);

#endif /* BPFROUTE_HOSTTABLE_H */
