// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_fill: makes an instance's learned table of one family hold exactly N
 * consecutive addresses from FIRST, all alive and steered to IFINDEX, for
 * tools/bench_forward.sh.
 *
 *	bench_fill [-v] PIN_DIR IFINDEX FIRST N
 *
 * What the agent would do with that many entries, done at once: entries
 * outside the range are deleted, the table is rebuilt to the size the agent
 * gives N entries (hosttable_slots_for()), and the range is written through
 * the table's mapping, a million in a fraction of a second. The last 32 bits
 * of the address count up (no carry beyond them). The values are what a DNS
 * answer would leave, with an expiry far in the future: the classifier
 * treats them as live whatever the time. Run it with no agent running.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_abi.h"
#include "hosttable.h"
#include "log.h"
#include "maps.h"
#include "pindir.h"

#define MAX_N		(1U << 24)	/* max-routes' upper bound (user/config_settings.c) */

static int verbose;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct range {
	__u8 first[16];		/* network order */
	__u32 klen;		/* 4 or 16 */
	__u32 base;		/* last 32 bits of first, host order */
	__u32 n;
};

static void range_key(const struct range *r, __u32 i, __u8 *key)
{
	__u32 v = r->base + i;

	memset(key, 0, 16);
	memcpy(key, r->first, r->klen - 4);
	key[r->klen - 4] = (__u8)(v >> 24);
	key[r->klen - 3] = (__u8)(v >> 16);
	key[r->klen - 2] = (__u8)(v >> 8);
	key[r->klen - 1] = (__u8)v;
}

static bool range_has(const struct range *r, const __u8 *key)
{
	const __u8 *l = key + r->klen - 4;
	__u32 v = (__u32)l[0] << 24 | (__u32)l[1] << 16 | (__u32)l[2] << 8 | l[3];

	return !memcmp(key, r->first, r->klen - 4) && v - r->base < r->n;
}

/* Deletes every entry outside the range; returns how many. */
static long trim(struct hosttable *ht, const struct range *r)
{
	const struct table_map *t = hosttable_role(ht, BPFROUTE_HOSTS_TABLE);
	long gone = 0;

	for (__u32 i = 0; t && i < t->n; i++) {
		struct bpfroute_host *s = TABLE_SLOT(t, i);
		__u32 st = TABLE_READ(s->state);

		if (BPFROUTE_SLOT_KIND(st) == BPFROUTE_SLOT_LIVE && !range_has(r, s->addr) &&
		    hosttable_kill(ht, s, st))
			gone++;
	}
	return gone;
}

/* Writes the N entries. */
static int fill(struct hosttable *ht, const struct bpfroute_conf *conf, const struct range *r,
		__u32 ifindex)
{
	struct bpfroute_host val = {
		.ifindex = ifindex,
		.expires = 0x7fffffff,	/* in 68 years */
	};

	for (__u32 i = 0; i < r->n; i++) {
		int res;

		range_key(r, i, val.addr);
		res = hosttable_learn(ht, conf, &val);
		if (res == BPFROUTE_TABLE_FULL || res == BPFROUTE_TABLE_CROWDED) {
			pr_warn("bench_fill: entry %u refused (%s)\n", i,
				res == BPFROUTE_TABLE_FULL ? "max-routes" : "table crowded");
			return -E2BIG;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bpfroute_maps m = { .owned = false };
	struct hosttable ht = { .ctl = NULL };
	struct pindir pd = { .fd = -1 };
	struct bpfroute_conf conf;
	struct range r = { 0 };
	unsigned long n, ifindex;
	int opt, err, family;
	__u32 zero = 0, slots;
	double t0;
	long gone;

	while ((opt = getopt(argc, argv, "vh")) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-v] PIN_DIR IFINDEX FIRST N\n", argv[0]);
			return 2;
		}
	}
	if (argc - optind != 4) {
		fprintf(stderr, "usage: %s [-v] PIN_DIR IFINDEX FIRST N\n", argv[0]);
		return 2;
	}
	argv += optind;
	ifindex = strtoul(argv[1], NULL, 0);
	n = strtoul(argv[3], NULL, 0);
	r.klen = strchr(argv[2], ':') ? 16 : 4;
	family = r.klen == 16 ? 6 : 4;
	if (inet_pton(r.klen == 16 ? AF_INET6 : AF_INET, argv[2], r.first) != 1 || !ifindex ||
	    ifindex > 0x7fffffff || n > MAX_N) {
		pr_warn("bench_fill: bad address, IFINDEX, or N above %u\n", MAX_N);
		return 2;
	}
	r.n = (__u32)n;
	r.base = (__u32)r.first[r.klen - 4] << 24 | (__u32)r.first[r.klen - 3] << 16 |
		 (__u32)r.first[r.klen - 2] << 8 | r.first[r.klen - 1];
	if (n && n - 1 > 0xffffffffUL - r.base) {
		pr_warn("bench_fill: FIRST + N - 1 carries beyond the last 32 bits of the address\n");
		return 2;
	}

	err = pindir_open(&pd, argv[0], true);
	if (!err)
		err = maps_open(&pd, &m);
	if (!err && bpf_map_lookup_elem(m.conf, &zero, &conf))
		err = -errno;
	if (!err && n > conf.max_routes)
		err = -E2BIG;
	if (!err)
		err = hosttable_open(&m, family, &ht);
	if (err) {
		pr_warn("bench_fill: %s: %s%s\n", argv[0], strerror(-err),
			err == -E2BIG ? " (N is above max-routes)" : "");
		goto cleanup;
	}

	t0 = now();
	gone = trim(&ht, &r);
	slots = hosttable_slots_for((__u32)n, conf.max_routes);
	err = hosttable_rebuild(&ht, &m, &conf, slots);
	if (!err)
		err = fill(&ht, &conf, &r, (__u32)ifindex);
	if (err)
		goto cleanup;
	if (verbose)
		fprintf(stderr, "bench_fill: %lu entries written, %ld removed, %u slots, %.2f s\n",
			n, gone, slots, now() - t0);
cleanup:
	hosttable_close(&ht);
	maps_close(&m);
	pindir_close(&pd);
	return err ? 1 : 0;
}
