/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Fixtures on the maps of a skeleton a test loaded itself, written by the
 * code `load` and `route add` use, so that a test sets up what the product
 * would: prefix routes (user/routes.c, with the prefix summary the
 * classifier reads first), exclusions, and the learned tables, made as
 * `load` makes them (hosttable_setup()) and read and written by address
 * through their mappings (user/hosttable.c), with the skeleton's own conf
 * for the hash. Tests link $(FIXTURE_SRCS).
 *
 * Addresses of learned entries are 16 bytes, IPv4 in the first 4 and the
 * rest zero, as the tables hold them; family is 4 or 6.
 */
#ifndef BPFROUTE_TEST_FIXTURES_H
#define BPFROUTE_TEST_FIXTURES_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_abi.h"
#include "clients.h"
#include "hosttable.h"
#include "maps.h"
#include "prefix.h"
#include "routes.h"
#include "test.h"

/* Tables of this many slots: what `load` gives a fresh instance. */
#define LT_SLOTS	BPFROUTE_TABLE_MIN_SLOTS

/* Give the skeleton's object its learned tables, as `load` does. 0 or -errno. */
static inline int lt_setup(struct bpf_object *obj)
{
	struct bpfroute_maps m;

	maps_from_object(obj, &m);
	return hosttable_setup(&m, LT_SLOTS);
}

/* Map the family's tables; the caller closes ht. Also reads conf. */
static inline int lt_open(struct bpf_object *obj, int family, struct hosttable *ht,
			  struct bpfroute_conf *conf)
{
	struct bpfroute_maps m;
	__u32 zero = 0;

	maps_from_object(obj, &m);
	if (bpf_map_lookup_elem(m.conf, &zero, conf))
		return -errno;
	return hosttable_open(&m, family, ht);
}

/* The entry of addr: 0, or -ENOENT. */
static inline int lt_get(struct bpf_object *obj, int family, const __u8 *addr,
			 struct bpfroute_host *h)
{
	struct bpfroute_conf conf;
	struct bpfroute_host *s;
	struct hosttable ht;
	int err;

	err = lt_open(obj, family, &ht, &conf);
	if (err)
		return err;
	s = hosttable_find(&ht, &conf, addr);
	if (s)
		*h = *s;
	hosttable_close(&ht);
	return s ? 0 : -ENOENT;
}

/*
 * Rewrite the entry of addr with h's fields (the state word stays): as if
 * time, renewals or traffic had left it so. 0, or -ENOENT.
 */
static inline int lt_set(struct bpf_object *obj, int family, const __u8 *addr,
			 const struct bpfroute_host *h)
{
	struct bpfroute_conf conf;
	struct bpfroute_host *s;
	struct hosttable ht;
	int err;

	err = lt_open(obj, family, &ht, &conf);
	if (err)
		return err;
	s = hosttable_find(&ht, &conf, addr);
	if (s)
		memcpy((__u8 *)s + 4, (const __u8 *)h + 4, sizeof(*s) - 4);
	hosttable_close(&ht);
	return s ? 0 : -ENOENT;
}

/* Delete the entry of addr, as the agent does. 0, or -ENOENT. */
static inline int lt_del(struct bpf_object *obj, int family, const __u8 *addr)
{
	struct bpfroute_conf conf;
	struct bpfroute_host *s;
	struct hosttable ht;
	int err;

	err = lt_open(obj, family, &ht, &conf);
	if (err)
		return err;
	s = hosttable_find(&ht, &conf, addr);
	err = s && hosttable_kill(&ht, s, s->state) ? 0 : -ENOENT;
	hosttable_close(&ht);
	return err;
}

/* Learn h (its addr set) as the kernel would: enum bpfroute_table_result or -errno. */
static inline int lt_put(struct bpf_object *obj, int family, const struct bpfroute_host *h)
{
	struct bpfroute_conf conf;
	struct hosttable ht;
	int err;

	err = lt_open(obj, family, &ht, &conf);
	if (err)
		return err;
	err = hosttable_learn(&ht, &conf, h);
	hosttable_close(&ht);
	return err;
}

static inline int lt_addr_cmp(const void *a, const void *b)
{
	return memcmp(((const struct bpfroute_host *)a)->addr,
		      ((const struct bpfroute_host *)b)->addr, 16);
}

/*
 * The live entries of a family, sorted by address, up to max into out (NULL:
 * only count). Returns how many there are, or -errno.
 */
static inline int lt_dump(struct bpf_object *obj, int family, struct bpfroute_host *out, int max)
{
	const struct table_map *t;
	struct bpfroute_conf conf;
	struct hosttable ht;
	int n = 0, err;

	err = lt_open(obj, family, &ht, &conf);
	if (err)
		return err;
	t = hosttable_role(&ht, BPFROUTE_HOSTS_TABLE);
	for (__u32 i = 0; t && i < t->n; i++) {
		const struct bpfroute_host *s = TABLE_SLOT(t, i);

		if (BPFROUTE_SLOT_KIND(s->state) != BPFROUTE_SLOT_LIVE)
			continue;
		if (out && n < max)
			out[n] = *s;
		n++;
	}
	hosttable_close(&ht);
	if (out)
		qsort(out, (size_t)(n < max ? n : max), sizeof(*out), lt_addr_cmp);
	return n;
}

/* The live entries of a family. */
static inline int lt_count(struct bpf_object *obj, int family)
{
	return lt_dump(obj, family, NULL, 0);
}

/*
 * A prefix entry ("203.0.113.0/24", "2001:db8::/32", or an address: a host
 * route) to ifindex with flags (BPFROUTE_ROUTE_F_*), for the sources of
 * client group clients (0: every client), from the config, as `load`
 * writes it.
 */
static inline bool fx_route_put(struct bpf_object *obj, const char *text, __u32 ifindex,
				__u16 flags, __u8 clients)
{
	struct bpfroute_maps m;
	const char *why = "";
	struct prefix p;
	char msg[160];
	int err;

	maps_from_object(obj, &m);
	err = prefix_parse(text, &p, &why);
	if (!err)
		err = routes_set(&m, &p, ifindex, BPFROUTE_ORIGIN_CONFIG, flags, clients, NULL);
	if (!err)
		err = routes_summarize(&m);
	snprintf(msg, sizeof(msg), "route add %s flags %u clients %u (%s)", text, flags, clients,
		 why);
	return ASSERT_OK(err, msg);
}

/* A prefix route to ifindex, from the config. */
static inline bool fx_route_add(struct bpf_object *obj, const char *text, __u32 ifindex)
{
	return fx_route_put(obj, text, ifindex, 0, 0);
}

/* A `bypass PREFIX` line: no device, kept on the ordinary path. */
static inline bool fx_bypass_add(struct bpf_object *obj, const char *text)
{
	return fx_route_put(obj, text, 0, BPFROUTE_ROUTE_F_BYPASS, 0);
}

/* A prefix route for the sources of client group clients only. */
static inline bool fx_route_add_for(struct bpf_object *obj, const char *text, __u32 ifindex,
				    __u8 clients)
{
	return fx_route_put(obj, text, ifindex, 0, clients);
}

/*
 * Client groups as `load` writes them (user/clients.c): groups[i] is group
 * i + 1, its prefixes separated by spaces ("192.0.2.0/26 2001:db8:1::/64").
 * With prune, the entries of groups no longer given are deleted, as a reload
 * does at its end.
 */
static inline bool fx_clients(struct bpf_object *obj, const char *const *groups, size_t n,
			      bool prune)
{
	struct config_clients g[BPFROUTE_MAX_CLIENT_GROUPS] = {};
	struct prefix p[64];
	struct config cfg = { .clients = g, .n_clients = n };
	struct bpfroute_maps m;
	size_t np = 0;
	int err = 0;

	maps_from_object(obj, &m);
	for (size_t i = 0; i < n && !err; i++) {
		char buf[512], *save = NULL, *tok;

		snprintf(g[i].name, sizeof(g[i].name), "g%zu", i + 1);
		snprintf(buf, sizeof(buf), "%s", groups[i]);
		g[i].prefixes = &p[np];
		for (tok = strtok_r(buf, " ", &save); tok && !err;
		     tok = strtok_r(NULL, " ", &save)) {
			if (np == sizeof(p) / sizeof(p[0]))
				err = -E2BIG;
			else
				err = prefix_parse(tok, &p[np++], NULL);
			g[i].n_prefixes += !err;
		}
	}
	if (!err)
		err = clients_sync(&m, &cfg);
	if (!err && prune)
		err = clients_prune(&m, &cfg);
	return ASSERT_OK(err, "client groups written");
}

/*
 * An address never steered: the gateway's own (reason 1) or an endpoint
 * (2). As `load` does (user/excl.c), a learned entry of the address goes.
 */
static inline bool fx_excl_add(struct bpf_object *obj, const char *text, __u32 reason)
{
	struct bpfroute_excl val = { .reason = reason, .ifindex = 1 };
	struct bpfroute_conf conf;
	struct bpfroute_maps m;
	struct hosttable ht;
	__u8 addr[16] = {};
	struct prefix p;
	char msg[160];
	int err;

	maps_from_object(obj, &m);
	err = prefix_parse(text, &p, NULL);
	if (!err && bpf_map_update_elem(p.family == AF_INET ? m.excl4 : m.excl6, p.addr, &val,
					BPF_NOEXIST))
		err = -errno;
	if (!err && !lt_open(obj, p.family == AF_INET ? 4 : 6, &ht, &conf)) {
		memcpy(addr, p.addr, p.family == AF_INET ? 4 : 16);
		hosttable_purge(&ht, &conf, addr);
		hosttable_close(&ht);
	}
	snprintf(msg, sizeof(msg), "exclude %s", text);
	return ASSERT_OK(err, msg);
}

/*
 * The bpfroute_target entry of ifindex: flags (BPFROUTE_TARGET_F_*), no
 * addresses (they matter to masquerade only).
 */
static inline bool fx_target_set(struct bpf_object *obj, __u32 ifindex, __u32 flags)
{
	struct bpfroute_target t = { .flags = flags };
	struct bpfroute_maps m;
	char msg[96];

	maps_from_object(obj, &m);
	snprintf(msg, sizeof(msg), "target %u flags %#x", ifindex, flags);
	return ASSERT_OK(bpf_map_update_elem(m.targets, &ifindex, &t, BPF_ANY) ? -errno : 0, msg);
}

#endif /* BPFROUTE_TEST_FIXTURES_H */
