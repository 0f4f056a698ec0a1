/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A set of prefixes (family, length, address) with a mark each: what the
 * agent has written to the export table, and what it saw in the import
 * table. Open addressing with linear probing, kept at most half full;
 * removal shifts the following entries back, so there are no tombstones
 * and a lookup costs what it did when the set was fresh. Functions return
 * negative errno.
 */
#ifndef BPFROUTE_ADDRSET_H
#define BPFROUTE_ADDRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct addrset_entry {
	__u8 family;		/* 4 or 6; 0: an empty slot */
	__u8 len;		/* prefix length */
	__u16 pad;
	__u32 mark;		/* the owner's (a walk's generation) */
	__u8 addr[16];		/* network order; IPv4 in the first 4, the rest 0 */
};

struct addrset {
	struct addrset_entry *e;
	size_t cap;		/* a power of two, or 0 */
	size_t n;
};

/* The entry for the prefix, or NULL. */
struct addrset_entry *addrset_find(const struct addrset *s, int family, __u8 len,
				   const __u8 *addr);
/*
 * The entry for the prefix, added (mark 0) if it was not there: *added says
 * which. The pointer lasts until the next add or delete. NULL: no memory.
 */
struct addrset_entry *addrset_get(struct addrset *s, int family, __u8 len, const __u8 *addr,
				  bool *added);
/*
 * Room for n entries without a rehash: a set about to take many grows once
 * while it is small, not in steps that each move everything. 0 or -ENOMEM.
 */
int addrset_reserve(struct addrset *s, size_t n);
/* Remove the entry e points to (from addrset_find(), addrset_get() or a walk). */
void addrset_del(struct addrset *s, struct addrset_entry *e);
void addrset_free(struct addrset *s);

/* Every entry: for (i = 0; i < s->cap; i++) if (s->e[i].family) ... */

#endif /* BPFROUTE_ADDRSET_H */
