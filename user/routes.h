/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Entries of the route maps, both families behind one interface. */
#ifndef BPFROUTE_ROUTES_H
#define BPFROUTE_ROUTES_H

#include <stddef.h>

#include "bpfroute_abi.h"
#include "config.h"
#include "maps.h"
#include "prefix.h"

struct route_entry {
	struct prefix prefix;
	struct bpfroute_route route;
};

/*
 * Point prefix p at ifindex with the given origin and flags
 * (BPFROUTE_ROUTE_F_BYPASS: ifindex 0, kept on the ordinary path), for the
 * sources of client group clients only (0: every client). `old` is the
 * entry's current value if it has one (found with routes_find()): its
 * counters are carried over. Packets counted between that read and this
 * write are lost; the datapath never stops.
 */
int routes_set(const struct bpfroute_maps *m, const struct prefix *p, __u32 ifindex,
	       enum bpfroute_origin origin, __u16 flags, __u8 clients,
	       const struct bpfroute_route *old);

/* -ENOENT if there is no entry for exactly this prefix. */
int routes_del(const struct bpfroute_maps *m, const struct prefix *p);

/*
 * Every entry, sorted: IPv4 first, then by address, then by length.
 * *entries is malloc()ed.
 */
int routes_list(const struct bpfroute_maps *m, struct route_entry **entries, size_t *count);

/*
 * The entry for exactly prefix p in a sorted list, or NULL. (A lookup in the
 * LPM trie itself answers with the longest covering prefix, not the exact
 * one, so exact questions go through the list.)
 */
struct route_entry *routes_find(struct route_entry *entries, size_t count, const struct prefix *p);

/*
 * Make the config's prefix routes the CONFIG entries of the maps: set each
 * one, then remove CONFIG entries the config no longer has. Entries of other
 * origins are left alone. ifindexes[i] is the target of cfg->routes[i]. A
 * bypass prefix is written with BPFROUTE_ROUTE_F_BYPASS, and learned entries
 * inside it are deleted: they were learned before it was there.
 * Fails with -E2BIG before changing anything if the result would not fit.
 */
int routes_sync_config(const struct bpfroute_maps *m, const struct config *cfg,
		       const int *ifindexes);

/*
 * Write bpfroute_pfxsum from the route maps: the classifier looks a
 * destination up in the tries only if some prefix covers its first 16 bits.
 * Call after the route maps changed (routes_sync_config() does).
 */
int routes_summarize(const struct bpfroute_maps *m);

/*
 * The entry the classifier's LPM lookup finds for an address of family
 * (AF_INET or AF_INET6; addr 4 or 16 bytes): the longest prefix of the list
 * that contains it, or NULL. The list as routes_list() returns it.
 */
const struct route_entry *routes_longest(const struct route_entry *entries, size_t count,
					 int family, const __u8 *addr);

/*
 * Does bpfroute_pfxsum let the classifier look the address (of family
 * AF_INET or AF_INET6) up in the tries (a prefix covers its first 16
 * bits)? true without the map (an older instance's classifier looks every
 * address up).
 */
bool routes_summary_covers(const struct bpfroute_maps *m, int family, const __u8 *addr);

/*
 * Is the address (family 4 or 6; 4 or 16 bytes) inside a bypass prefix, as
 * the learner sees it (bpf/learn.h): the longest prefix covering it is one?
 */
bool routes_in_bypass(const struct bpfroute_maps *m, int family, const __u8 *addr);

const char *route_origin_name(__u16 origin);

#endif /* BPFROUTE_ROUTES_H */
