// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <bpf/bpf.h>

#include "dnsname.h"
#include "hosts.h"
#include "learned.h"
#include "learning.h"

struct learned_rules *learned_rules_text(const struct bpfroute_maps *m)
{
	struct learning_rule *list = NULL;
	struct learned_rules *out;
	size_t n = 0, bytes = 0;
	char *pool;

	/* What could be read: a rule missing from the text shows as "?". */
	learning_rules_list(m, &list, &n);
	for (size_t i = 0; i < n; i++) {
		char text[LEARNED_TEXT_MAX];

		if (!learning_rule_text(&list[i], text, sizeof(text)))
			bytes += strlen(text) + 1;
	}
	/* One block, freed with free(): the ids, then the texts. */
	out = malloc(sizeof(*out) + n * sizeof(out->v[0]) + bytes);
	if (!out) {
		free(list);
		return NULL;
	}
	out->n = 0;
	pool = (char *)&out->v[n];
	for (size_t i = 0; i < n; i++) {
		if (learning_rule_text(&list[i], pool, LEARNED_TEXT_MAX))
			continue;
		out->v[out->n].id = list[i].val.id;
		out->v[out->n++].text = pool;
		pool += strlen(pool) + 1;
	}
	free(list);
	return out;
}

const char *learned_rule(const struct learned_rules *rules, __u32 id)
{
	size_t lo = 0, hi = rules ? rules->n : 0;

	if (id == BPFROUTE_RULE_IMPORTED)
		return "import";
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rules->v[mid].id == id)
			return rules->v[mid].text;
		if (rules->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "?";
}

const char *learned_name(const struct bpfroute_maps *m, __u64 name_id,
			 char out[LEARNED_TEXT_MAX])
{
	struct bpfroute_name n;

	/* Learned from no question: imported from another gateway. */
	if (!name_id) {
		snprintf(out, LEARNED_TEXT_MAX, "-");
		return out;
	}
	if (bpf_map_lookup_elem(m->names, &name_id, &n) || n.len > sizeof(n.name) ||
	    dnsname_to_text(n.name, n.len, out, LEARNED_TEXT_MAX))
		snprintf(out, LEARNED_TEXT_MAX, "?");
	return out;
}

/*
 * Call fn for a copy of every LIVE entry of one family's table, read in
 * place through its mapping; a non-zero return of fn ends the walk with it.
 */
static int table_walk(const struct bpfroute_maps *m, int family,
		      int (*fn)(const struct bpfroute_host *h, int family, void *ctx), void *ctx)
{
	const struct table_map *t;
	struct hosttable ht;
	int err;

	err = hosttable_open(m, family == AF_INET ? 4 : 6, &ht);
	if (err)
		return err;
	t = hosttable_role(&ht, BPFROUTE_HOSTS_TABLE);
	for (__u32 i = 0; t && i < t->n && !err; i++) {
		struct bpfroute_host *s = TABLE_SLOT(t, i), h;

		if (BPFROUTE_SLOT_KIND(TABLE_READ(s->state)) != BPFROUTE_SLOT_LIVE)
			continue;
		h = *s;
		err = fn(&h, family, ctx);
	}
	hosttable_close(&ht);
	return err;
}

struct list_ctx {
	struct learned_entry **entries;
	size_t *count;
	size_t cap;
	bool by_name;		/* only the entries of name_id */
	__u64 name_id;
};

static int list_one(const struct bpfroute_host *h, int family, void *ctx)
{
	size_t alen = family == AF_INET ? 4 : 16;
	struct list_ctx *c = ctx;
	struct learned_entry *e;

	if (c->by_name && h->name_id != c->name_id)
		return 0;

	if (*c->count == c->cap) {
		struct learned_entry *grown;

		c->cap = c->cap ? 2 * c->cap : 1024;
		grown = realloc(*c->entries, c->cap * sizeof(**c->entries));
		if (!grown)
			return -ENOMEM;
		*c->entries = grown;
	}
	e = &(*c->entries)[(*c->count)++];
	memset(e, 0, sizeof(*e));
	e->prefix.family = family;
	e->prefix.len = alen * 8;
	memcpy(e->prefix.addr, h->addr, alen);
	e->host = *h;
	return 0;
}

static int list_tables(const struct bpfroute_maps *m, struct list_ctx *c)
{
	int err;

	*c->entries = NULL;
	*c->count = 0;
	err = table_walk(m, AF_INET, list_one, c);
	if (!err)
		err = table_walk(m, AF_INET6, list_one, c);
	if (err) {
		free(*c->entries);
		*c->entries = NULL;
		*c->count = 0;
	}
	return err;
}

int learned_list_name(const struct bpfroute_maps *m, __u64 name_id,
		      struct learned_entry **entries, size_t *count)
{
	struct list_ctx c = { entries, count, 0, true, name_id };

	return list_tables(m, &c);
}

int learned_list(const struct bpfroute_maps *m, struct learned_entry **entries, size_t *count)
{
	struct list_ctx c = { entries, count, 0, false, 0 };

	return list_tables(m, &c);
}

long long learned_expires_in(const struct bpfroute_host *h)
{
	return (long long)h->expires - (long long)hosts_seconds(hosts_now_ns());
}

struct count_ctx {
	__u32 (*counts)[2];
	size_t n;
};

static int count_one(const struct bpfroute_host *h, int family, void *ctx)
{
	struct count_ctx *c = ctx;

	if (h->rule < c->n)
		c->counts[h->rule][family == AF_INET ? 0 : 1]++;
	return 0;
}

int learned_count_by_rule(const struct bpfroute_maps *m, __u32 (*counts)[2], size_t n)
{
	struct count_ctx c = { counts, n };
	int err;

	memset(counts, 0, n * sizeof(*counts));
	err = table_walk(m, AF_INET, count_one, &c);
	if (!err)
		err = table_walk(m, AF_INET6, count_one, &c);
	return err;
}
