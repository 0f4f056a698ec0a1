// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>

#include "log.h"
#include "routes.h"

/* A key of either family, and the map it belongs in. */
struct route_key {
	int fd;
	union {
		struct bpfroute_key4 k4;
		struct bpfroute_key6 k6;
	};
};

static void route_key_make(const struct bpfroute_maps *m, const struct prefix *p,
			   struct route_key *key)
{
	memset(key, 0, sizeof(*key));
	if (p->family == AF_INET) {
		key->fd = m->route4;
		key->k4.prefixlen = p->len;
		memcpy(key->k4.addr, p->addr, sizeof(key->k4.addr));
	} else {
		key->fd = m->route6;
		key->k6.prefixlen = p->len;
		memcpy(key->k6.addr, p->addr, sizeof(key->k6.addr));
	}
}

int routes_set_for(const struct bpfroute_maps *m, const struct prefix *p, __u32 ifindex,
		   enum bpfroute_origin origin, __u8 clients, const struct bpfroute_route *old)
{
	struct bpfroute_route val = {};
	struct route_key key;

	if (old)
		val = *old;
	val.ifindex = ifindex;
	val.origin = origin;
	val.clients = clients;
	route_key_make(m, p, &key);
	if (bpf_map_update_elem(key.fd, &key.k4, &val, BPF_ANY))
		return -errno;
	return 0;
}

int routes_set(const struct bpfroute_maps *m, const struct prefix *p, __u32 ifindex,
	       enum bpfroute_origin origin, const struct bpfroute_route *old)
{
	return routes_set_for(m, p, ifindex, origin, 0, old);
}

int routes_del(const struct bpfroute_maps *m, const struct prefix *p)
{
	struct route_key key;

	route_key_make(m, p, &key);
	/* Unlike lookups, an LPM trie deletes only the exact prefix. */
	if (bpf_map_delete_elem(key.fd, &key.k4))
		return -errno;
	return 0;
}

static int prefix_cmp(const struct prefix *a, const struct prefix *b)
{
	int r;

	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	r = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (r)
		return r;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int entry_cmp(const void *a, const void *b)
{
	return prefix_cmp(&((const struct route_entry *)a)->prefix,
			  &((const struct route_entry *)b)->prefix);
}

/* Append every entry of one map to the list. */
static int routes_list_map(int fd, int family, struct route_entry **entries, size_t *count)
{
	union {
		struct bpfroute_key4 k4;
		struct bpfroute_key6 k6;
	} key, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct route_entry *e, *grown;

		grown = realloc(*entries, (*count + 1) * sizeof(**entries));
		if (!grown)
			return -ENOMEM;
		*entries = grown;
		e = &grown[*count];
		memset(e, 0, sizeof(*e));
		e->prefix.family = family;
		if (family == AF_INET) {
			e->prefix.len = next.k4.prefixlen;
			memcpy(e->prefix.addr, next.k4.addr, sizeof(next.k4.addr));
		} else {
			e->prefix.len = next.k6.prefixlen;
			memcpy(e->prefix.addr, next.k6.addr, sizeof(next.k6.addr));
		}
		/*
		 * An LPM lookup matches at most key.prefixlen bits, so with an
		 * existing entry's own key it returns that entry. Deleted
		 * between the two calls: skip it.
		 */
		if (!bpf_map_lookup_elem(fd, &next, &e->route))
			(*count)++;
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

int routes_list(const struct bpfroute_maps *m, struct route_entry **entries, size_t *count)
{
	int err;

	*entries = NULL;
	*count = 0;
	err = routes_list_map(m->route4, AF_INET, entries, count);
	if (!err)
		err = routes_list_map(m->route6, AF_INET6, entries, count);
	if (err) {
		free(*entries);
		*entries = NULL;
		*count = 0;
		return err;
	}
	if (*count)
		qsort(*entries, *count, sizeof(**entries), entry_cmp);
	return 0;
}

struct route_entry *routes_find(struct route_entry *entries, size_t count, const struct prefix *p)
{
	struct route_entry want = { .prefix = *p };

	if (!count)
		return NULL;
	return bsearch(&want, entries, count, sizeof(*entries), entry_cmp);
}

int routes_sync_config(const struct bpfroute_maps *m, const struct config *cfg,
		       const int *ifindexes)
{
	size_t count, fresh4 = 0, fresh6 = 0, have4 = 0, have6 = 0;
	struct route_entry *entries;
	int err;

	err = routes_list(m, &entries, &count);
	if (err)
		return err;

	for (size_t i = 0; i < count; i++)
		entries[i].prefix.family == AF_INET ? have4++ : have6++;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct config_route *r = &cfg->routes[i];

		if (r->kind == CONFIG_ROUTE_PREFIX && !routes_find(entries, count, &r->prefix))
			r->prefix.family == AF_INET ? fresh4++ : fresh6++;
	}
	if (have4 + fresh4 > BPFROUTE_MAX_PREFIXES || have6 + fresh6 > BPFROUTE_MAX_PREFIXES) {
		err = -E2BIG;
		goto cleanup;
	}

	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct config_route *r = &cfg->routes[i];
		struct route_entry *e;

		if (r->kind != CONFIG_ROUTE_PREFIX)
			continue;
		e = routes_find(entries, count, &r->prefix);
		err = routes_set_for(m, &r->prefix, ifindexes[i], BPFROUTE_ORIGIN_CONFIG,
				     (__u8)r->clients, e ? &e->route : NULL);
		if (err)
			goto cleanup;
		if (e)
			e->route.origin = 0;	/* still configured: keep it */
	}
	for (size_t i = 0; i < count; i++) {
		if (entries[i].route.origin != BPFROUTE_ORIGIN_CONFIG)
			continue;
		err = routes_del(m, &entries[i].prefix);
		if (err && err != -ENOENT)
			goto cleanup;
		err = 0;
	}
	err = routes_summarize(m);
cleanup:
	free(entries);
	return err;
}

/* Set the bits of the 65536ths (first 16 bits) that prefix p covers. */
static void summary_add(__u64 *words, const struct prefix *p)
{
	__u32 first = (__u32)p->addr[0] << 8 | p->addr[1];
	__u32 span = p->len >= 16 ? 1 : 1U << (16 - p->len);

	first &= ~(span - 1);
	for (__u32 b = first; b < first + span; b++)
		words[b >> 6] |= 1ULL << (b & 63);
}

int routes_summarize(const struct bpfroute_maps *m)
{
	static __u32 keys[2 * BPFROUTE_PFXSUM_WORDS];
	static __u64 words[2 * BPFROUTE_PFXSUM_WORDS];
	__u32 n = 2 * BPFROUTE_PFXSUM_WORDS;
	struct route_entry *entries;
	size_t count;
	int err;

	if (m->pfxsum < 0)
		return 0;
	err = routes_list(m, &entries, &count);
	if (err)
		return err;
	memset(words, 0, sizeof(words));
	for (__u32 i = 0; i < n; i++)
		keys[i] = i;
	for (size_t i = 0; i < count; i++)
		summary_add(words + (entries[i].prefix.family == AF_INET ? 0 : BPFROUTE_PFXSUM_WORDS),
			    &entries[i].prefix);
	free(entries);
	if (bpf_map_update_batch(m->pfxsum, keys, words, &n, NULL))
		return -errno;
	return 0;
}

const struct route_entry *routes_longest(const struct route_entry *entries, size_t count,
					 int family, const __u8 *addr)
{
	const struct route_entry *best = NULL;

	for (size_t i = 0; i < count; i++) {
		const struct route_entry *e = &entries[i];

		if (e->prefix.family == family && prefix_contains(&e->prefix, addr) &&
		    (!best || e->prefix.len > best->prefix.len))
			best = e;
	}
	return best;
}

/* As prefix_may_cover() in bpf/lookup.h. */
bool routes_summary_covers(const struct bpfroute_maps *m, int family, const __u8 *addr)
{
	__u32 top = (__u32)addr[0] << 8 | addr[1];
	__u32 idx = (family == AF_INET ? 0 : BPFROUTE_PFXSUM_WORDS) + (top >> 6);
	__u64 w;

	if (m->pfxsum < 0)
		return true;
	if (bpf_map_lookup_elem(m->pfxsum, &idx, &w))
		return false;
	return (w >> (top & 63)) & 1;
}

const char *route_origin_name(__u16 origin)
{
	switch (origin) {
	case BPFROUTE_ORIGIN_CONFIG:
		return "config";
	case BPFROUTE_ORIGIN_MANUAL:
		return "manual";
	case BPFROUTE_ORIGIN_LEARNED:
		return "learned";
	default:
		return "unknown";
	}
}
