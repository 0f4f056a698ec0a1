// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>

#include "hosttable.h"
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

int routes_set(const struct bpfroute_maps *m, const struct prefix *p, __u32 ifindex,
	       enum bpfroute_origin origin, __u16 flags, __u8 clients,
	       const struct bpfroute_route *old)
{
	struct bpfroute_route val = {};
	struct route_key key;

	if (old)
		val = *old;
	val.ifindex = ifindex;
	val.origin = origin;
	val.flags = flags;
	val.clients = clients;
	route_key_make(m, p, &key);
	if (bpf_map_update_elem(key.fd, &key.k4, &val, BPF_ANY))
		return -errno;
	return 0;
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

union route_map_key {
	struct bpfroute_key4 k4;
	struct bpfroute_key6 k6;
};

static int entries_room(struct route_entry **entries, size_t *room, size_t want)
{
	struct route_entry *grown;

	if (want <= *room)
		return 0;
	*room = want < 2 * *room ? 2 * *room : want + 1024;
	grown = realloc(*entries, *room * sizeof(**entries));
	if (!grown)
		return -ENOMEM;
	*entries = grown;
	return 0;
}

static void entry_fill(struct route_entry *e, int family, const union route_map_key *k,
		       const struct bpfroute_route *val)
{
	memset(e, 0, sizeof(*e));
	e->prefix.family = family;
	if (family == AF_INET) {
		e->prefix.len = k->k4.prefixlen;
		memcpy(e->prefix.addr, k->k4.addr, sizeof(k->k4.addr));
	} else {
		e->prefix.len = k->k6.prefixlen;
		memcpy(e->prefix.addr, k->k6.addr, sizeof(k->k6.addr));
	}
	e->route = *val;
}

/* Append every entry of one map to the list, a key and a value at a time. */
static int routes_list_walk(int fd, int family, struct route_entry **entries, size_t *count,
			    size_t *room)
{
	union route_map_key key, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct bpfroute_route val;

		if (entries_room(entries, room, *count + 1))
			return -ENOMEM;
		/*
		 * An LPM lookup matches at most key.prefixlen bits, so with an
		 * existing entry's own key it returns that entry. Deleted
		 * between the two calls: skip it.
		 */
		if (!bpf_map_lookup_elem(fd, &next, &val))
			entry_fill(&(*entries)[(*count)++], family, &next, &val);
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* In batches of this many: a million prefixes in some 250 system calls. */
#define ROUTES_BATCH	4096

/* Append every entry of one map to the list, in batches where the kernel has them. */
static int routes_list_map(int fd, int family, struct route_entry **entries, size_t *count)
{
	size_t ks = family == AF_INET ? sizeof(struct bpfroute_key4) : sizeof(struct bpfroute_key6);
	size_t start = *count, room = *count;
	struct bpfroute_route *vals;
	union route_map_key batch;
	bool first = true;
	char *keys;
	int err = 0;

	keys = malloc(ROUTES_BATCH * ks);
	vals = malloc(ROUTES_BATCH * sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		__u32 n = ROUTES_BATCH;
		bool done;

		/* Keys come packed at the map's key size. */
		err = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch, keys, vals, &n,
					   NULL) ? -errno : 0;
		done = err == -ENOENT;
		if (err && !done) {
			/* A kernel without batch lookups for this map: walk it. */
			*count = start;
			err = routes_list_walk(fd, family, entries, count, &room);
			break;
		}
		first = false;
		err = entries_room(entries, &room, *count + n);
		if (err)
			break;
		for (__u32 i = 0; i < n; i++) {
			union route_map_key k;

			memcpy(&k, keys + i * ks, ks);
			entry_fill(&(*entries)[(*count)++], family, &k, &vals[i]);
		}
		if (done) {
			err = 0;
			break;
		}
	}
cleanup:
	free(keys);
	free(vals);
	return err;
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

bool routes_in_bypass(const struct bpfroute_maps *m, int family, const __u8 *addr)
{
	struct bpfroute_route val;
	struct route_key key;
	struct prefix p = { .family = family == 4 ? AF_INET : AF_INET6 };

	p.len = family == 4 ? 32 : 128;
	memcpy(p.addr, addr, family == 4 ? 4 : 16);
	route_key_make(m, &p, &key);
	/* The trie answers with the longest prefix that covers the address. */
	if (bpf_map_lookup_elem(key.fd, &key.k4, &val))
		return false;
	return val.flags & BPFROUTE_ROUTE_F_BYPASS;
}

/*
 * Learned entries inside a bypass prefix go: learned before the bypass was
 * configured, they would steer what it keeps on the ordinary path (a learned
 * entry is looked up before the prefixes). One trie lookup per live entry,
 * and only while some bypass prefix is configured.
 */
struct purge {
	const struct bpfroute_maps *m;
	int family;
};

static void purge_one(struct hosttable *ht, struct bpfroute_host *s, __u32 st, void *ctx)
{
	const struct purge *p = ctx;

	if (routes_in_bypass(p->m, p->family, s->addr))
		hosttable_kill(ht, s, st);
}

static int routes_purge_bypassed(const struct bpfroute_maps *m)
{
	for (int family = 4; family <= 6; family += 2) {
		struct purge p = { m, family };
		int err = hosttable_each_live(m, family, purge_one, &p);

		if (err)
			return err;
	}
	return 0;
}

/* The keys and values of one map's writes or deletes, packed at its key size. */
struct route_batch {
	int fd;
	size_t key_size;
	char *keys;
	struct bpfroute_route *vals;
	__u32 n;
};

static void batch_add(struct route_batch *b, const struct prefix *p,
		      const struct bpfroute_route *v)
{
	union route_map_key k;

	memset(&k, 0, sizeof(k));
	if (p->family == AF_INET) {
		k.k4.prefixlen = p->len;
		memcpy(k.k4.addr, p->addr, sizeof(k.k4.addr));
	} else {
		k.k6.prefixlen = p->len;
		memcpy(k.k6.addr, p->addr, sizeof(k.k6.addr));
	}
	memcpy(b->keys + b->n * b->key_size, &k, b->key_size);
	if (v)
		b->vals[b->n] = *v;
	b->n++;
}

static int batch_write(const struct route_batch *b)
{
	__u32 count = b->n;

	if (!b->n || !bpf_map_update_batch(b->fd, b->keys, b->vals, &count, NULL))
		return 0;
	/* No batch updates for this map (or a failure part way): one by one. */
	for (__u32 i = 0; i < b->n; i++)
		if (bpf_map_update_elem(b->fd, b->keys + i * b->key_size, &b->vals[i], BPF_ANY))
			return -errno;
	return 0;
}

static int batch_delete(const struct route_batch *b)
{
	__u32 count = b->n;

	if (!b->n || !bpf_map_delete_batch(b->fd, b->keys, &count, NULL))
		return 0;
	/* A key already gone stops a batch: the rest one by one. */
	for (__u32 i = 0; i < b->n; i++)
		if (bpf_map_delete_elem(b->fd, b->keys + i * b->key_size) && errno != ENOENT)
			return -errno;
	return 0;
}

/* Set the bits of the 65536ths (first 16 bits) that prefix p covers. */
static void summary_add(__u64 *words, const struct prefix *p)
{
	__u32 first = (__u32)p->addr[0] << 8 | p->addr[1];
	__u32 span = p->len >= 16 ? 1 : 1U << (16 - p->len);

	first &= ~(span - 1);
	words += p->family == AF_INET ? 0 : BPFROUTE_PFXSUM_WORDS;
	for (__u32 b = first; b < first + span; b++)
		words[b >> 6] |= 1ULL << (b & 63);
}

static int summary_write(const struct bpfroute_maps *m, const __u64 *words)
{
	static __u32 keys[2 * BPFROUTE_PFXSUM_WORDS];
	__u32 n = 2 * BPFROUTE_PFXSUM_WORDS;

	if (m->pfxsum < 0)
		return 0;
	for (__u32 i = 0; i < n; i++)
		keys[i] = i;
	if (bpf_map_update_batch(m->pfxsum, keys, words, &n, NULL))
		return -errno;
	return 0;
}

/*
 * The config's prefixes into the tries, in O(n log n) for n prefixes (one
 * sorted list of what is there, a binary search per configured prefix) and
 * in batches. No still-configured prefix is ever missing, from its trie or
 * from the summary that lets a lookup skip the tries:
 *   1. capacity: the new ones must fit, counted before anything is written;
 *   2. the summary of old and new together, a superset of both;
 *   3. new prefixes and those whose device changed written; unchanged ones
 *      are not touched (their counters run on);
 *   4. prefixes no longer configured deleted;
 *   5. the summary of what is left.
 * Where old and new together do not fit but the new do, 4 comes before 3:
 * only prefixes leaving the config are missing early.
 */
int routes_sync_config(const struct bpfroute_maps *m, const struct config *cfg,
		       const int *ifindexes)
{
	size_t count, fresh[2] = { 0, 0 }, have[2] = { 0, 0 }, gone[2] = { 0, 0 };
	__u32 cap[2] = { map_max_entries(m->route4), map_max_entries(m->route6) };
	struct route_batch put[2] = {}, del[2] = {};
	struct route_entry *entries;
	bool del_first = false, bypass = false;
	__u64 *words = NULL;
	int err;

	if (!cap[0] || !cap[1])
		return -errno ? -errno : -EINVAL;
	err = routes_list(m, &entries, &count);
	if (err)
		return err;
	for (size_t i = 0; i < count; i++)
		have[entries[i].prefix.family == AF_INET ? 0 : 1]++;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct config_route *r = &cfg->routes[i];

		if (r->kind == CONFIG_ROUTE_PREFIX && !routes_find(entries, count, &r->prefix))
			fresh[r->prefix.family == AF_INET ? 0 : 1]++;
	}
	words = calloc(2 * BPFROUTE_PFXSUM_WORDS, sizeof(*words));
	for (int f = 0; f < 2; f++) {
		size_t ks = f ? sizeof(struct bpfroute_key6) : sizeof(struct bpfroute_key4);
		size_t n = have[f] + fresh[f] + 1;

		put[f] = (struct route_batch){ f ? m->route6 : m->route4, ks, malloc(n * ks),
					       malloc(n * sizeof(struct bpfroute_route)), 0 };
		del[f] = (struct route_batch){ put[f].fd, ks, malloc(n * ks), NULL, 0 };
	}
	if (!words || !put[0].keys || !put[0].vals || !put[1].keys || !put[1].vals ||
	    !del[0].keys || !del[1].keys) {
		err = -ENOMEM;
		goto cleanup;
	}

	/* What stays, what changes, what comes: the writes. */
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct config_route *r = &cfg->routes[i];
		int f = r->prefix.family == AF_INET ? 0 : 1;
		/* A bypass: no device, and the flag the classifier passes it on. */
		__u32 ifindex = r->bypass ? 0 : (__u32)ifindexes[i];
		__u16 flags = r->bypass ? BPFROUTE_ROUTE_F_BYPASS : 0;
		struct bpfroute_route val = {};
		struct route_entry *e;

		if (r->kind != CONFIG_ROUTE_PREFIX)
			continue;
		bypass |= r->bypass;
		e = routes_find(entries, count, &r->prefix);
		if (e)
			val = e->route;
		if (!e || val.ifindex != ifindex || val.flags != flags ||
		    val.clients != (__u8)r->clients || val.origin != BPFROUTE_ORIGIN_CONFIG) {
			val.ifindex = ifindex;
			val.flags = flags;
			val.clients = (__u8)r->clients;
			val.origin = BPFROUTE_ORIGIN_CONFIG;
			batch_add(&put[f], &r->prefix, &val);
		}
		summary_add(words, &r->prefix);
		if (e)
			e->route.origin = 0;	/* still configured: keep it */
	}
	/* What goes. Manual routes stay, and stay in the summary. */
	for (size_t i = 0; i < count; i++) {
		int f = entries[i].prefix.family == AF_INET ? 0 : 1;

		summary_add(words, &entries[i].prefix);
		if (entries[i].route.origin == BPFROUTE_ORIGIN_CONFIG) {
			batch_add(&del[f], &entries[i].prefix, NULL);
			gone[f]++;
		}
	}

	/* 1. Capacity. */
	for (int f = 0; f < 2; f++) {
		if (have[f] - gone[f] + fresh[f] > cap[f]) {
			err = -E2BIG;
			goto cleanup;
		}
		del_first |= have[f] + fresh[f] > cap[f];
	}
	/* 2. The summary of both. */
	err = summary_write(m, words);
	if (err)
		goto cleanup;
	/* 3. and 4. */
	for (int f = 0; f < 2 && del_first && !err; f++)
		err = batch_delete(&del[f]);
	for (int f = 0; f < 2 && !err; f++)
		err = batch_write(&put[f]);
	for (int f = 0; f < 2 && !del_first && !err; f++)
		err = batch_delete(&del[f]);
	if (err)
		goto cleanup;
	/* 5. The summary of what is left: the config's and the manual routes. */
	memset(words, 0, 2 * BPFROUTE_PFXSUM_WORDS * sizeof(*words));
	for (size_t i = 0; i < cfg->n_routes; i++)
		if (cfg->routes[i].kind == CONFIG_ROUTE_PREFIX)
			summary_add(words, &cfg->routes[i].prefix);
	for (size_t i = 0; i < count; i++)
		if (entries[i].route.origin && entries[i].route.origin != BPFROUTE_ORIGIN_CONFIG)
			summary_add(words, &entries[i].prefix);
	err = summary_write(m, words);
	if (!err && bypass)
		err = routes_purge_bypassed(m);
cleanup:
	for (int f = 0; f < 2; f++) {
		free(put[f].keys);
		free(put[f].vals);
		free(del[f].keys);
	}
	free(words);
	free(entries);
	return err;
}

int routes_summarize(const struct bpfroute_maps *m)
{
	static __u64 words[2 * BPFROUTE_PFXSUM_WORDS];
	struct route_entry *entries;
	size_t count;
	int err;

	if (m->pfxsum < 0)
		return 0;
	err = routes_list(m, &entries, &count);
	if (err)
		return err;
	memset(words, 0, sizeof(words));
	for (size_t i = 0; i < count; i++)
		summary_add(words, &entries[i].prefix);
	free(entries);
	return summary_write(m, words);
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
