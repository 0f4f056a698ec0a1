// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <bpf/bpf.h>

#include "dnsname.h"
#include "learned.h"

#define BATCH 4096

/* The rules by id, as text ("*.corp.example.com"), for the origin column. */
static char (*rules_text(const struct bpfroute_maps *m))[LEARNED_TEXT_MAX]
{
	char (*text)[LEARNED_TEXT_MAX] = calloc(BPFROUTE_MAX_RULES, sizeof(*text));
	struct bpfroute_rule_key key, next;
	struct bpfroute_rule val;
	void *prev = NULL;

	if (!text)
		return NULL;
	while (!bpf_map_get_next_key(m->rules, prev, &next)) {
		char name[LEARNED_TEXT_MAX - 2];

		if (!bpf_map_lookup_elem(m->rules, &next, &val) && val.id < BPFROUTE_MAX_RULES &&
		    !dnsname_to_text(val.name, val.name_len, name, sizeof(name)))
			snprintf(text[val.id], LEARNED_TEXT_MAX, "%s%s", next.wildcard ? "*." : "",
				 name);
		key = next;
		prev = &key;
	}
	return text;
}

static void name_text(const struct bpfroute_maps *m, __u64 id, char *out)
{
	struct bpfroute_name n;

	if (bpf_map_lookup_elem(m->names, &id, &n) || n.len > sizeof(n.name) ||
	    dnsname_to_text(n.name, n.len, out, LEARNED_TEXT_MAX))
		snprintf(out, LEARNED_TEXT_MAX, "?");
}

/*
 * One map, read in batches: a listing of a million entries costs a few
 * hundred system calls, not two million.
 */
static int list_map(const struct bpfroute_maps *m, int fd, int family,
		    char (*rules)[LEARNED_TEXT_MAX], struct learned_entry **entries,
		    size_t *count)
{
	size_t alen = family == AF_INET ? 4 : 16;
	struct bpfroute_host *vals;
	__u8 *keys;
	__u64 in = 0, out = 0;
	void *in_batch = NULL;
	int err = 0;

	keys = calloc(BATCH, alen);
	vals = calloc(BATCH, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		__u32 n = BATCH;
		struct learned_entry *grown;
		bool last;

		err = bpf_map_lookup_batch(fd, in_batch, &out, keys, vals, &n, NULL);
		last = err && errno == ENOENT;
		if (err && !last) {
			err = -errno;
			goto cleanup;
		}
		err = 0;
		grown = realloc(*entries, (*count + n + 1) * sizeof(**entries));
		if (!grown) {
			err = -ENOMEM;
			goto cleanup;
		}
		*entries = grown;
		for (__u32 i = 0; i < n; i++) {
			struct learned_entry *e = &grown[(*count)++];

			memset(e, 0, sizeof(*e));
			e->prefix.family = family;
			e->prefix.len = alen * 8;
			memcpy(e->prefix.addr, keys + i * alen, alen);
			e->host = vals[i];
			name_text(m, vals[i].name_id, e->name);
			snprintf(e->rule, sizeof(e->rule), "%s",
				 rules && vals[i].rule < BPFROUTE_MAX_RULES && rules[vals[i].rule][0] ?
				 rules[vals[i].rule] : "?");
		}
		if (last)
			break;
		in = out;
		in_batch = &in;
	}
cleanup:
	free(keys);
	free(vals);
	return err;
}

int learned_list(const struct bpfroute_maps *m, struct learned_entry **entries, size_t *count)
{
	char (*rules)[LEARNED_TEXT_MAX] = rules_text(m);
	int err;

	*entries = NULL;
	*count = 0;
	err = list_map(m, m->host4, AF_INET, rules, entries, count);
	if (!err)
		err = list_map(m, m->host6, AF_INET6, rules, entries, count);
	free(rules);
	if (err) {
		free(*entries);
		*entries = NULL;
		*count = 0;
	}
	return err;
}

long long learned_expires_in(const struct bpfroute_host *h)
{
	struct timespec ts;
	long long now;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	now = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	return ((long long)h->expires_ns - now) / 1000000000LL;
}
