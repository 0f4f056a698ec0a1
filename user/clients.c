// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>

#include "clients.h"

/* One prefix of a family's trie, with the mask it gets. */
struct cli_entry {
	struct prefix p;
	__u64 mask;
};

static bool prefix_equal(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family && a->len == b->len && !memcmp(a->addr, b->addr, 16);
}

/*
 * The trie's entries of one family for cfg, into *out (*n of them): each
 * distinct prefix once, with the groups of every prefix equal to or
 * covering it, since the datapath sees only the longest match. Quadratic in
 * the prefixes of a family, which the config bounds (BPFROUTE_MAX_CLIENT_PREFIXES).
 */
static int entries_build(const struct config *cfg, int family, struct cli_entry **out, size_t *n)
{
	struct cli_entry *e;
	size_t total = 0, k = 0;

	for (size_t g = 0; g < cfg->n_clients; g++)
		total += cfg->clients[g].n_prefixes;
	e = calloc(total ? total : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t g = 0; g < cfg->n_clients; g++) {
		for (size_t i = 0; i < cfg->clients[g].n_prefixes; i++) {
			const struct prefix *p = &cfg->clients[g].prefixes[i];
			size_t j;

			if (p->family != family)
				continue;
			for (j = 0; j < k && !prefix_equal(&e[j].p, p); j++)
				;
			if (j == k)
				e[k++].p = *p;
			e[j].mask |= 1ULL << g;
		}
	}
	/* Covering prefixes' own groups first, then ORed into the longer ones. */
	for (size_t i = 0; i < k; i++) {
		__u64 own = e[i].mask;

		for (size_t j = 0; j < k; j++)
			if (e[j].p.len > e[i].p.len && prefix_contains(&e[i].p, e[j].p.addr))
				e[j].mask |= own;
	}
	*out = e;
	*n = k;
	return 0;
}

static void key_make(const struct prefix *p, struct bpfroute_key6 *k6, struct bpfroute_key4 *k4)
{
	memset(k4, 0, sizeof(*k4));
	memset(k6, 0, sizeof(*k6));
	k4->prefixlen = k6->prefixlen = p->len;
	memcpy(k4->addr, p->addr, sizeof(k4->addr));
	memcpy(k6->addr, p->addr, sizeof(k6->addr));
}

static int family_write(int fd, const struct config *cfg, int family)
{
	struct bpfroute_key4 k4;
	struct bpfroute_key6 k6;
	struct cli_entry *e;
	size_t n;
	int err;

	err = entries_build(cfg, family, &e, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		key_make(&e[i].p, &k6, &k4);
		if (bpf_map_update_elem(fd, family == AF_INET ? (void *)&k4 : (void *)&k6,
					&e[i].mask, BPF_ANY)) {
			err = -errno;
			break;
		}
	}
	free(e);
	return err;
}

int clients_sync(const struct bpfroute_maps *m, const struct config *cfg)
{
	int err;

	if (m->cli4 < 0 || m->cli6 < 0 || m->cligrp < 0)
		return cfg->n_clients ? -EOPNOTSUPP : 0;
	err = family_write(m->cli4, cfg, AF_INET);
	if (!err)
		err = family_write(m->cli6, cfg, AF_INET6);
	for (__u32 id = 1; !err && id <= BPFROUTE_MAX_CLIENT_GROUPS; id++) {
		struct bpfroute_clients_name name = {};

		if (id <= cfg->n_clients)
			snprintf(name.name, sizeof(name.name), "%s", cfg->clients[id - 1].name);
		if (bpf_map_update_elem(m->cligrp, &id, &name, BPF_ANY))
			err = -errno;
	}
	return err;
}

/* Is the trie key k (of family) one of e[0..n)? */
static bool key_kept(const struct cli_entry *e, size_t n, int family, const void *k)
{
	const struct bpfroute_key4 *k4 = k;
	const struct bpfroute_key6 *k6 = k;
	struct prefix p = { .family = family, .len = k4->prefixlen };

	memcpy(p.addr, family == AF_INET ? k4->addr : k6->addr, family == AF_INET ? 4 : 16);
	for (size_t i = 0; i < n; i++)
		if (prefix_equal(&e[i].p, &p))
			return true;
	return false;
}

/* Delete the keys of one trie that entries_build() does not make. */
static int family_prune(int fd, const struct config *cfg, int family)
{
	union {
		struct bpfroute_key4 k4;
		struct bpfroute_key6 k6;
	} key, next;
	struct cli_entry *e;
	void *prev = NULL;
	size_t n;
	int err;

	err = entries_build(cfg, family, &e, &n);
	if (err)
		return err;
	/* Delete behind the cursor: deleting it would restart the walk. */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (prev && !key_kept(e, n, family, &key))
			bpf_map_delete_elem(fd, &key);
		key = next;
		prev = &key;
	}
	if (prev && !key_kept(e, n, family, &key))
		bpf_map_delete_elem(fd, &key);
	free(e);
	return 0;
}

int clients_prune(const struct bpfroute_maps *m, const struct config *cfg)
{
	int err;

	if (m->cli4 < 0 || m->cli6 < 0)
		return 0;
	err = family_prune(m->cli4, cfg, AF_INET);
	if (!err)
		err = family_prune(m->cli6, cfg, AF_INET6);
	return err;
}

int clients_of(const struct bpfroute_maps *m, int family, const __u8 *addr, __u64 *mask)
{
	struct prefix p = { .family = family == 4 ? AF_INET : AF_INET6 };
	struct bpfroute_key4 k4;
	struct bpfroute_key6 k6;
	int fd = family == 4 ? m->cli4 : m->cli6;

	*mask = 0;
	if (fd < 0)
		return -ENOENT;
	p.len = family == 4 ? 32 : 128;
	memcpy(p.addr, addr, family == 4 ? 4 : 16);
	key_make(&p, &k6, &k4);
	if (bpf_map_lookup_elem(fd, family == 4 ? (void *)&k4 : (void *)&k6, mask))
		*mask = 0;
	return 0;
}

const char *clients_name(const struct bpfroute_maps *m, unsigned int id, char *buf, size_t len)
{
	struct bpfroute_clients_name name = {};
	__u32 key = id;

	if (!id) {
		snprintf(buf, len, "all");
		return buf;
	}
	if (m->cligrp < 0 || bpf_map_lookup_elem(m->cligrp, &key, &name) || !name.name[0])
		snprintf(buf, len, "#%u", id);
	else
		snprintf(buf, len, "%.*s", (int)sizeof(name.name) - 1, name.name);
	return buf;
}
