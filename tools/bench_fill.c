// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_fill: makes a pinned learned-address map (bpfroute_host4 or
 * bpfroute_host6) hold exactly N consecutive addresses from FIRST, all
 * alive and steered to IFINDEX, for tools/bench_forward.sh.
 *
 *	bench_fill [-v] MAP_PATH IFINDEX FIRST N
 *
 * Entries are written with bpf_map_update_batch, 8192 per call: a million
 * in about a second, where `bpftool batch` needs a process-wide parse and
 * a syscall per entry. Entries of an earlier fill outside the range are
 * removed (bpf_map_lookup_batch to find them, bpf_map_delete_batch), so a
 * smaller N after a larger one leaves no stray hits. The last 32 bits of
 * the address count up (no carry beyond them). The values are what a DNS
 * answer would leave, with an expiry far in the future: the classifier
 * treats them as live whatever the time (struct bpfroute_host).
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

#define CHUNK		8192
#define MAX_N		(1U << 24)	/* max-routes' upper bound (user/config_settings.c) */

static int verbose;

static void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench_fill: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

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

/* Writes the N entries, CHUNK per syscall. */
static int fill(int fd, const struct range *r, __u32 ifindex)
{
	static __u8 keys[CHUNK * 16];
	static struct bpfroute_host vals[CHUNK];
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	const struct bpfroute_host val = {
		.ifindex = ifindex,
		.idle_timeout = 300,
		.expires_ns = ~0ULL >> 1,	/* boot time plus 146 years */
	};

	for (__u32 i = 0; i < CHUNK; i++)
		vals[i] = val;
	for (__u32 done = 0; done < r->n;) {
		__u32 cnt = r->n - done < CHUNK ? r->n - done : CHUNK;

		for (__u32 i = 0; i < cnt; i++)
			range_key(r, done + i, keys + (size_t)i * r->klen);
		if (bpf_map_update_batch(fd, keys, vals, &cnt, &opts)) {
			int err = -errno;

			/* E2BIG: the map's max_entries (max-routes) is below N. */
			pr_warn("update_batch after %u entries: %s\n", done + cnt, strerror(-err));
			return err;
		}
		done += cnt;
	}
	return 0;
}

/*
 * Removes the entries outside the range: all keys are read first, then the
 * strays deleted, since deleting during a batched walk of a hash map can
 * make the walk skip or repeat buckets. Returns how many, or -errno.
 */
static long trim(int fd, const struct range *r, __u32 max_entries)
{
	static __u8 keys[CHUNK * 16];
	static struct bpfroute_host vals[CHUNK];
	__u64 in_tok[2], out_tok[2];	/* hash maps: a bucket number */
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u8 *stray = NULL, *p;
	size_t nstray = 0, cap = 0;
	bool first = true, end = false;
	long ret;

	/* Bounded: a walk reads every bucket once; twice the map is plenty. */
	for (__u32 round = 0; !end && round <= 2 * (max_entries / CHUNK) + 16; round++) {
		__u32 cnt = CHUNK;

		if (bpf_map_lookup_batch(fd, first ? NULL : in_tok, out_tok, keys, vals, &cnt,
					 &opts)) {
			if (errno != ENOENT) {
				ret = -errno;
				pr_warn("lookup_batch: %s\n", strerror(errno));
				goto cleanup;
			}
			end = true;	/* the last, possibly partial, chunk */
		}
		first = false;
		memcpy(in_tok, out_tok, sizeof(in_tok));
		for (__u32 i = 0; i < cnt; i++) {
			if (range_has(r, keys + (size_t)i * r->klen))
				continue;
			if (nstray == cap) {
				cap = cap ? 2 * cap : CHUNK;
				p = realloc(stray, cap * r->klen);
				if (!p) {
					ret = -ENOMEM;
					goto cleanup;
				}
				stray = p;
			}
			memcpy(stray + nstray++ * r->klen, keys + (size_t)i * r->klen, r->klen);
		}
	}
	if (!end) {
		ret = -E2BIG;
		pr_warn("the map's walk did not end\n");
		goto cleanup;
	}
	for (size_t done = 0; done < nstray;) {
		__u32 cnt = nstray - done < CHUNK ? (__u32)(nstray - done) : CHUNK;

		if (bpf_map_delete_batch(fd, stray + done * r->klen, &cnt, &opts)) {
			ret = -errno;
			pr_warn("delete_batch: %s\n", strerror(errno));
			goto cleanup;
		}
		done += cnt;
	}
	ret = (long)nstray;
cleanup:
	free(stray);
	return ret;
}

int main(int argc, char **argv)
{
	struct bpf_map_info info = { 0 };
	__u32 info_len = sizeof(info);
	struct range r = { 0 };
	unsigned long n, ifindex;
	int fd, opt, err;
	double t0;
	long gone;

	while ((opt = getopt(argc, argv, "vh")) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-v] MAP_PATH IFINDEX FIRST N\n", argv[0]);
			return 2;
		}
	}
	if (argc - optind != 4) {
		fprintf(stderr, "usage: %s [-v] MAP_PATH IFINDEX FIRST N\n", argv[0]);
		return 2;
	}
	argv += optind;
	ifindex = strtoul(argv[1], NULL, 0);
	n = strtoul(argv[3], NULL, 0);
	r.klen = strchr(argv[2], ':') ? 16 : 4;
	if (inet_pton(r.klen == 16 ? AF_INET6 : AF_INET, argv[2], r.first) != 1 || !ifindex ||
	    ifindex > 0x7fffffff || n > MAX_N) {
		pr_warn("bad address, IFINDEX, or N above %u\n", MAX_N);
		return 2;
	}
	r.n = (__u32)n;
	r.base = (__u32)r.first[r.klen - 4] << 24 | (__u32)r.first[r.klen - 3] << 16 |
		 (__u32)r.first[r.klen - 2] << 8 | r.first[r.klen - 1];
	if (n && n - 1 > 0xffffffffUL - r.base) {
		pr_warn("FIRST + N - 1 carries beyond the last 32 bits of the address\n");
		return 2;
	}

	fd = bpf_obj_get(argv[0]);
	if (fd < 0) {
		err = -errno;
		pr_warn("%s: %s\n", argv[0], strerror(-err));
		return 1;
	}
	err = bpf_obj_get_info_by_fd(fd, &info, &info_len);
	if (err) {
		err = -errno;
		pr_warn("%s: %s\n", argv[0], strerror(-err));
		goto cleanup;
	}
	if (info.type != BPF_MAP_TYPE_HASH || info.key_size != r.klen ||
	    info.value_size != sizeof(struct bpfroute_host)) {
		pr_warn("%s is not a learned-address map of FIRST's family "
			"(type %u, key %u, value %u bytes)\n",
			argv[0], info.type, info.key_size, info.value_size);
		err = -EINVAL;
		goto cleanup;
	}
	if (n > info.max_entries) {
		pr_warn("N %lu is above the map's max_entries %u (max-routes)\n", n,
			info.max_entries);
		err = -E2BIG;
		goto cleanup;
	}

	t0 = now();
	err = fill(fd, &r, (__u32)ifindex);
	if (err)
		goto cleanup;
	gone = trim(fd, &r, info.max_entries);
	if (gone < 0) {
		err = (int)gone;
		goto cleanup;
	}
	if (verbose)
		fprintf(stderr, "bench_fill: %lu entries written, %ld removed, %.2f s\n", n, gone,
			now() - t0);
	err = 0;
cleanup:
	close(fd);
	return err ? 1 : 0;
}
