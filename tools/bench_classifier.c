// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The classifier's cost per packet, from the kernel's own timing
 * (BPF_PROG_TEST_RUN with repeat), on bpfroute_steer of the real skeleton.
 *
 * Two designs, side by side in the same run:
 *   bpfroute  N learned addresses in the learned tables (open addressing, a
 *             filter in front, sized as the agent sizes them), tries empty;
 *   LPM-only  the same N addresses as /32 (/128) routes in bpfroute_route4/6,
 *             host maps empty (what learning into the trie would cost).
 * Each table size and design is a skeleton of its own, all loaded at once,
 * so the configurations are interleaved within every repetition.
 *
 * test_run runs every repetition on one skb: one key, a hot cache. "hot" is
 * that (one destination, repeat HOT_REPEAT). "cycled" runs NPKT different
 * packets, destinations spread over the whole table, each with repeat 1, and
 * averages: with 1M entries every lookup touches memory the previous packets
 * did not. A repeat-1 figure includes what a call costs around the program
 * run (timer reads, a first run on a fresh skb), the same for both designs.
 * "hot repeat 1" is one destination in NPKT calls of repeat 1 (a hit, or on
 * the empty tables a miss); the call cost is the empty tables' hot miss at
 * repeat 1 minus the same at repeat HOT_REPEAT, and "net" figures subtract it.
 * "driven" runs DRV_DESTS different destinations at full repeat through
 * tools/bench_driver.bpf.c, which rewrites the destination and tail-calls
 * the classifier: no per-packet call cost, and the driver's own cost (with an
 * empty program in the classifier's place) is subtracted.
 *
 * -g: every route and learned entry is for client group 1, and the packets'
 * source is in it: a hit pays the source's lookup in bpfroute_cli4/6 (what
 * a rule with `clients NAME` costs); a miss pays nothing for groups. Compare
 * with a run without -g.
 *
 * Usage: bench_classifier [-r REPS] [-d DATAFILE] [-g]; root. Markdown on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_abi.h"
#include "bpfroute_tc.skel.h"
#include "bench_driver.skel.h"
#include "hosttable.h"

#define MAP_CAP		(1U << 20)	/* max-routes, and max_entries of the tries */
#define NPKT		4096		/* different packets of a cycled run */
#define HOT_CALLS	64
#define HOT_REPEAT	254		/* TTL 255: every repetition is steered */
#define BATCH		8192
#define NSIZES		3
#define FILL_IFINDEX	11		/* a target; test_run does not redirect */

static const __u32 sizes[NSIZES] = { 1000, 100000, 1000000 };

enum design { D_HOST, D_LPM, NDESIGNS };
static const char *const design_name[NDESIGNS] = { "bpfroute", "LPM-only" };

enum kind { K_HIT_HOT, K_HIT_CYC, K_MISS_HOT, K_MISS_CYC, K_HIT_HOT1, K_HIT_DRV, K_MISS_DRV,
	     K_NULL_DRV, NKINDS };
static const char *const kind_name[NKINDS] = { "hit hot", "hit cycled", "miss hot",
					       "miss cycled", "hot repeat 1", "hit driven",
					       "miss driven", "driver alone" };

/* The driven runs (tools/bench_driver.bpf.c): destinations and repetitions. */
#define DRV_DESTS	65536		/* BENCH_MAX_DESTS of the driver */
#define DRV_CALLS	2

struct bench_dest {
	__u8 addr[16];
};

static struct bench_driver *drv;

/* skels[0]: empty tables; skels[1 + d * NSIZES + s]: design d at sizes[s]. */
#define NSKELS		(1 + NDESIGNS * NSIZES)

static int verbose;

struct pkt {
	__u8 data[128];
	__u32 len;
};

static void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* A bijection of 64-bit integers (splitmix64's finaliser): unique, scattered keys. */
static __u64 mix64(__u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/*
 * The i-th learned address. IPv4: first octet 20 + i % 64, the low 24 bits a
 * bijection of i / 64 (multiplication by an odd number modulo 2^24), so the
 * addresses are unique and spread as DNS answers are, over ordinary unicast
 * space. IPv6: 2a00::/16, the low 64 bits a bijection of i.
 * Misses (miss = true) come from 150.0.0.0/8 and 2a01::/16, in no table.
 */
static void addr4(__u32 i, bool miss, __u8 *a)
{
	__u32 low = ((i / 64) * 0x9e3779U + 0x5bd1e9U) & 0xffffff;

	a[0] = miss ? 150 : (__u8)(20 + i % 64);
	a[1] = (__u8)(low >> 16);
	a[2] = (__u8)(low >> 8);
	a[3] = (__u8)low;
	if (miss)
		a[3] = (__u8)i;
}

static void addr6(__u32 i, bool miss, __u8 *a)
{
	__u64 hi = mix64(i ^ 0xa5a5a5a5ULL), lo = mix64(i);

	a[0] = 0x2a;
	a[1] = miss ? 0x01 : 0x00;
	for (int b = 0; b < 6; b++)
		a[2 + b] = (__u8)(hi >> (8 * b));
	for (int b = 0; b < 8; b++)
		a[8 + b] = (__u8)(lo >> (8 * b));
}

static void put_be16(__u8 *b, __u16 v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static __u32 csum_add(__u32 sum, const __u8 *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (__u32)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (__u32)b[n - 1] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * Ethernet (to lo's all-zero MAC: PACKET_HOST under test_run) + IP + UDP
 * 40000 -> 443 (not 53: a query would add the DNS recorder's cost) + 32
 * bytes, lengths and checksums right.
 */
static void pkt_build(struct pkt *p, int family, const __u8 *dst, __u8 ttl)
{
	static const __u8 src4[4] = { 192, 0, 2, 1 };
	static const __u8 src6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1 };
	__u8 *ip = p->data + ETH_HLEN, *udp;
	size_t iplen = family == 4 ? 20 : 40, ulen = 8 + 32;
	__u32 sum;

	memset(p, 0, sizeof(*p));
	p->data[6] = 0x02;			/* source MAC 02:00:5e:10:00:01 */
	p->data[7] = 0x00;
	p->data[8] = 0x5e;
	p->data[9] = 0x10;
	p->data[11] = 0x01;
	put_be16(p->data + 12, family == 4 ? ETH_P_IP : ETH_P_IPV6);
	udp = ip + iplen;
	put_be16(udp, 40000);
	put_be16(udp + 2, 443);
	put_be16(udp + 4, (__u16)ulen);
	for (size_t i = 0; i < 32; i++)
		udp[8 + i] = (__u8)(i * 7 + 3);
	if (family == 4) {
		ip[0] = 0x45;
		put_be16(ip + 2, (__u16)(iplen + ulen));
		put_be16(ip + 6, 0x4000);	/* DF */
		ip[8] = ttl;
		ip[9] = 17;
		memcpy(ip + 12, src4, 4);
		memcpy(ip + 16, dst, 4);
		put_be16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		/* UDP checksum 0: none (RFC 768), allowed over IPv4. */
	} else {
		ip[0] = 0x60;
		put_be16(ip + 4, (__u16)ulen);
		ip[6] = 17;
		ip[7] = ttl;
		memcpy(ip + 8, src6, 16);
		memcpy(ip + 24, dst, 16);
		sum = csum_add(0, ip + 8, 32) + 17 + (__u32)ulen;
		sum = csum_add(sum, udp, ulen);
		put_be16(udp + 6, csum_fold(sum) ? csum_fold(sum) : 0xffff);
	}
	p->len = (__u32)(ETH_HLEN + iplen + ulen);
}

static struct bpfroute_route route_val = {
	.ifindex = FILL_IFINDEX,
	.origin = BPFROUTE_ORIGIN_MANUAL,
};

/* -g: the group of every entry (0: none), and its source prefixes' entries. */
static __u8 bench_clients;

/* The fixed hash key of every skeleton's conf: the same tables' layout each run. */
static const struct bpfroute_conf bench_conf = {
	.hash_key = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL },
	.min_ttl = 30,
	.max_ttl = 86400,
	.idle_timeout = 300,
	.max_routes = MAP_CAP,
};

/*
 * Fills the family's learned table with entries 0..n-1, in a table of the
 * size the agent gives n entries, through its mapping.
 */
static int fill_host(struct bpfroute_tc *skel, int family, __u32 n)
{
	struct bpfroute_host val = {
		.ifindex = FILL_IFINDEX,
		.expires = 0x7fffffff,	/* far future: always alive */
		.clients = bench_clients,
	};
	struct bpfroute_maps m;
	struct hosttable ht;
	int err;

	maps_from_object(skel->obj, &m);
	err = hosttable_open(&m, family, &ht);
	if (err)
		return err;
	err = hosttable_rebuild(&ht, &m, &bench_conf, hosttable_slots_for(n, MAP_CAP));
	for (__u32 i = 0; !err && i < n; i++) {
		memset(val.addr, 0, sizeof(val.addr));
		if (family == 4)
			addr4(i, false, val.addr);
		else
			addr6(i, false, val.addr);
		if (hosttable_learn(&ht, &bench_conf, &val) > BPFROUTE_TABLE_EXISTS)
			err = -E2BIG;
	}
	hosttable_close(&ht);
	return err;
}

/* Kernel memory of a family's learned table and its filter. */
static long long map_memlock(int fd);

static long long host_memlock(struct bpfroute_tc *skel, int family)
{
	struct bpfroute_maps m;
	struct hosttable ht;
	long long sum;

	maps_from_object(skel->obj, &m);
	if (hosttable_open(&m, family, &ht))
		return -1;
	sum = map_memlock(ht.role[BPFROUTE_HOSTS_TABLE].fd) +
	      map_memlock(ht.role[BPFROUTE_HOSTS_FILTER].fd);
	hosttable_close(&ht);
	return sum;
}

/*
 * Fills the LPM trie with /32 or /128 routes 0..n-1. LPM tries have no batch
 * operations (lpm_trie_map_ops has no map_update_batch): one update each.
 */
static int fill_lpm(int fd, int family, __u32 n)
{
	struct bpfroute_key6 k6 = { .prefixlen = 128 };
	struct bpfroute_key4 k4 = { .prefixlen = 32 };

	for (__u32 i = 0; i < n; i++) {
		int err;

		if (family == 4) {
			addr4(i, false, k4.addr);
			err = bpf_map_update_elem(fd, &k4, &route_val, BPF_NOEXIST);
		} else {
			addr6(i, false, k6.addr);
			err = bpf_map_update_elem(fd, &k6, &route_val, BPF_NOEXIST);
		}
		if (err)
			return -errno;
	}
	return 0;
}

static struct bpfroute_tc *load_skel(void)
{
	struct bpfroute_tc *skel;
	struct bpfroute_maps m;
	__u32 zero = 0;
	int err;

	skel = bpfroute_tc__open();
	if (!skel) {
		pr_warn("bpfroute_tc__open: %s\n", strerror(errno));
		return NULL;
	}
	err = bpf_map__set_max_entries(skel->maps.bpfroute_route4, MAP_CAP);
	err = err ?: bpf_map__set_max_entries(skel->maps.bpfroute_route6, MAP_CAP);
	err = err ?: bpfroute_tc__load(skel);
	if (!err) {
		maps_from_object(skel->obj, &m);
		err = bpf_map_update_elem(m.conf, &zero, &bench_conf, BPF_ANY) ? -errno : 0;
		/* As `load` makes them; a table of the LPM-only design stays empty. */
		err = err ?: hosttable_setup(&m, BPFROUTE_TABLE_MIN_SLOTS);
		/* The prefix summary says "maybe" everywhere: the tries are looked up. */
		for (__u32 i = 0; !err && i < 2 * BPFROUTE_PFXSUM_WORDS; i++) {
			__u64 ones = ~0ULL;

			err = bpf_map_update_elem(m.pfxsum, &i, &ones, BPF_ANY) ? -errno : 0;
		}
		/* pkt_build()'s sources, in group 1 (bit 0), as `load` writes a group. */
		if (!err && bench_clients) {
			struct bpfroute_key4 c4 = { .prefixlen = 24, .addr = { 192, 0, 2, 0 } };
			struct bpfroute_key6 c6 = { .prefixlen = 48,
						    .addr = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff } };
			__u64 mask = 1ULL << (bench_clients - 1);

			err = bpf_map_update_elem(m.cli4, &c4, &mask, BPF_ANY) ? -errno : 0;
			err = err ?: bpf_map_update_elem(m.cli6, &c6, &mask, BPF_ANY) ? -errno : 0;
		}
	}
	if (err) {
		pr_warn("loading the skeleton: %s\n", strerror(-err));
		bpfroute_tc__destroy(skel);
		return NULL;
	}
	return skel;
}

/* The kernel's accounting of a map (fdinfo "memlock:", map_mem_usage()). */
static long long map_memlock(int fd)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* One test_run call; returns the kernel's average ns per run, or -1. */
static long run(int prog_fd, const struct pkt *p, __u32 repeat, __u32 want)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = p->data,
		.data_size_in = p->len,
		.repeat = repeat,
	);

	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		pr_warn("test_run: %s\n", strerror(errno));
		return -1;
	}
	if (opts.retval != want) {
		pr_warn("test_run: verdict %u, want %u\n", opts.retval, want);
		return -1;
	}
	return opts.duration;
}

/* Packets of one family: NPKT hits per table size, NPKT misses, one hot each. */
struct pktset {
	struct pkt hit_cyc[NSIZES][NPKT];
	struct pkt hit_hot[NSIZES];
	struct pkt miss_cyc[NPKT];
	struct pkt miss_hot;
};

static void build_pkts(struct pktset *ps, int family)
{
	__u8 a[16];

	for (int s = 0; s < NSIZES; s++) {
		for (__u32 j = 0; j < NPKT; j++) {
			/* Spread over the whole table, in a scattered order. */
			__u32 idx = (__u32)(((__u64)j * sizes[s]) / NPKT);

			family == 4 ? addr4(idx, false, a) : addr6(idx, false, a);
			pkt_build(&ps->hit_cyc[s][j], family, a, 64);
		}
		/* Hot: the last entry inserted, TTL 255 for HOT_REPEAT steers. */
		family == 4 ? addr4(sizes[s] - 1, false, a) : addr6(sizes[s] - 1, false, a);
		pkt_build(&ps->hit_hot[s], family, a, 255);
	}
	for (__u32 j = 0; j < NPKT; j++) {
		family == 4 ? addr4(j * 977, true, a) : addr6(j * 977, true, a);
		pkt_build(&ps->miss_cyc[j], family, a, 64);
	}
	family == 4 ? addr4(12345, true, a) : addr6(12345, true, a);
	pkt_build(&ps->miss_hot, family, a, 64);
}

/*
 * Points the driver at the program target_fd with the destinations of table
 * size s (hits spread over the whole table) or, for s < 0, misses.
 */
static int driver_setup(int target_fd, int family, int s)
{
	static struct bench_dest dests[DRV_DESTS];
	static __u32 keys[DRV_DESTS];
	__u32 n = s < 0 || sizes[s] > DRV_DESTS ? DRV_DESTS : sizes[s], zero = 0;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	for (__u32 j = 0; j < n; j++) {
		__u32 idx = s < 0 ? j * 977 : (__u32)(((__u64)j * sizes[s]) / n);

		keys[j] = j;
		if (family == 4)
			addr4(idx, s < 0, dests[j].addr);
		else
			addr6(idx, s < 0, dests[j].addr);
	}
	if (bpf_map_update_batch(bpf_map__fd(drv->maps.dests), keys, dests, &n, &opts))
		return -errno;
	drv->data->ndests = n;
	drv->bss->cursor = 0;
	if (bpf_map_update_elem(bpf_map__fd(drv->maps.next_prog), &zero, &target_fd, BPF_ANY))
		return -errno;
	return 0;
}

/* DRV_CALLS calls of repeat DRV_DESTS through the driver; ns per packet. */
static double measure_driven(int target_fd, const struct pktset *ps, int family, int s,
			     __u32 want)
{
	int drive_fd = bpf_program__fd(drv->progs.drive);
	__u64 sum = 0;
	int err;

	err = driver_setup(target_fd, family, s);
	if (err) {
		pr_warn("driver: %s\n", strerror(-err));
		return -1;
	}
	for (int n = 0; n < DRV_CALLS; n++) {
		long ns = run(drive_fd, &ps->miss_hot, DRV_DESTS, want);

		if (ns < 0)
			return -1;
		sum += (__u64)ns;
	}
	return (double)sum / DRV_CALLS;
}

/* A measurement in ns per packet, or a negative value on error. */
static double measure(int prog_fd, const struct pktset *ps, int family, int s, enum kind k)
{
	__u64 sum = 0;
	long ns;
	int n;

	switch (k) {
	case K_HIT_DRV:
		return measure_driven(prog_fd, ps, family, s, TC_ACT_REDIRECT);
	case K_MISS_DRV:
		return measure_driven(prog_fd, ps, family, -1, TC_ACT_OK);
	case K_NULL_DRV:
		return measure_driven(bpf_program__fd(drv->progs.null_prog), ps, family, -1,
				      TC_ACT_OK);
	case K_HIT_HOT:
	case K_MISS_HOT:
		for (n = 0; n < HOT_CALLS; n++) {
			ns = run(prog_fd, k == K_HIT_HOT ? &ps->hit_hot[s] : &ps->miss_hot,
				 HOT_REPEAT, k == K_HIT_HOT ? TC_ACT_REDIRECT : TC_ACT_OK);
			if (ns < 0)
				return -1;
			sum += (__u64)ns;
		}
		return (double)sum / HOT_CALLS;
	case K_HIT_CYC:
	case K_MISS_CYC:
	case K_HIT_HOT1:
		for (n = 0; n < NPKT; n++) {
			ns = run(prog_fd, k == K_HIT_CYC ? &ps->hit_cyc[s][n] :
				 k != K_HIT_HOT1 ? &ps->miss_cyc[n] :
				 s < 0 ? &ps->miss_hot : &ps->hit_hot[s],
				 1, k == K_HIT_CYC || (k == K_HIT_HOT1 && s >= 0) ?
				 TC_ACT_REDIRECT : TC_ACT_OK);
			if (ns < 0)
				return -1;
			sum += (__u64)ns;
		}
		return (double)sum / NPKT;
	default:
		return -1;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define MAX_REPS	50

/* res[family][skel][kind][rep] */
static double res[2][NSKELS][NKINDS][MAX_REPS];
static double med[2][NSKELS][NKINDS];
static int reps = 7;

static double median(double *v, int n)
{
	double t[MAX_REPS];

	memcpy(t, v, sizeof(double) * (size_t)n);
	qsort(t, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static int skel_index(enum design d, int s)
{
	return 1 + d * NSIZES + s;
}

static const char *size_name(int s)
{
	static const char *const names[NSIZES] = { "1k", "100k", "1M" };

	return names[s];
}

static void cpu_model(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && c) {
			snprintf(buf, len, "%s", c + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

/* What a call of repeat 1 costs beside the program: see the top comment. */
static double call_cost(int f)
{
	return med[f][0][K_HIT_HOT1] - med[f][0][K_MISS_HOT];
}

/* A cycled hit net of the per-call cost. */
static double net(int f, const double *m)
{
	return m[K_HIT_CYC] - call_cost(f);
}

/* A driven figure net of the driver's own cost. */
static double drv_net(int f, double v)
{
	return v - med[f][0][K_NULL_DRV];
}

static const char *verdict(bool ok)
{
	return ok ? "met" : "**not met**";
}

static void report(const long long mem[2][2], double fill_s)
{
	char cpu[128];
	struct utsname u;
	double r;

	uname(&u);
	cpu_model(cpu, sizeof(cpu));
	printf("## Classifier cost per packet (BPF_PROG_TEST_RUN)\n\n");
	printf("Machine: Linux %s, %ld CPUs, %s. bpfroute_steer of the real skeleton, "
	       "kernel-timed; median of %d interleaved repetitions; ns per packet.\n"
	       "hot: one destination, %d calls x repeat %d. cycled: %d different packets, "
	       "destinations spread over the whole table, repeat 1 each (includes the "
	       "cost of a call beside the program). Tables filled in %.1f s.\n\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN), cpu, reps, HOT_CALLS, HOT_REPEAT,
	       NPKT, fill_s);
	if (bench_clients)
		printf("Client groups (-g): every route and learned entry is for group %u, the "
		       "packets' source in it: a hit looks the source up too.\n\n",
		       bench_clients);
	printf("Call cost of a repeat-1 call beside the program (subtracted in \"net\"): "
	       "IPv4 %.1f ns, IPv6 %.1f ns.\n\n", call_cost(0), call_cost(1));

	for (int f = 0; f < 2; f++) {
		printf("### IPv%d\n\n", f ? 6 : 4);
		printf("| entries | design | hit hot | hit cycled | hit cycled, net | miss hot | "
		       "miss cycled | hit hot repeat 1 |\n");
		printf("|---|---|---|---|---|---|---|---|\n");
		printf("| 0 | (empty) | - | - | - | %.1f | %.1f | %.1f (miss) |\n",
		       med[f][0][K_MISS_HOT], med[f][0][K_MISS_CYC], med[f][0][K_HIT_HOT1]);
		for (int s = 0; s < NSIZES; s++)
			for (int d = 0; d < NDESIGNS; d++) {
				const double *m = med[f][skel_index(d, s)];

				printf("| %s | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n",
				       size_name(s), design_name[d], m[K_HIT_HOT], m[K_HIT_CYC],
				       net(f, m), m[K_MISS_HOT], m[K_MISS_CYC], m[K_HIT_HOT1]);
			}
		printf("\n");
	}

	printf("### Driven: many destinations at full repeat\n\n");
	printf("tools/bench_driver.bpf.c runs in front of bpfroute_steer: each run writes the "
	       "next of %d destinations (spread over the whole table, or misses) into the "
	       "packet and tail-calls the classifier, %d calls x repeat %d. No call or skb "
	       "cost per packet, caches as warm as the destinations allow. \"net\" subtracts "
	       "the driver with an empty program in its place (IPv4 %.1f ns, IPv6 %.1f ns).\n\n",
	       DRV_DESTS, DRV_CALLS, DRV_DESTS, med[0][0][K_NULL_DRV], med[1][0][K_NULL_DRV]);
	for (int f = 0; f < 2; f++) {
		printf("| IPv%d entries | design | hit driven | hit driven, net | miss driven | "
		       "miss driven, net |\n|---|---|---|---|---|---|\n", f ? 6 : 4);
		printf("| 0 | (empty) | - | - | %.1f | %.1f |\n", med[f][0][K_MISS_DRV],
		       drv_net(f, med[f][0][K_MISS_DRV]));
		for (int sz = 0; sz < NSIZES; sz++)
			for (int d = 0; d < NDESIGNS; d++) {
				const double *m = med[f][skel_index(d, sz)];

				printf("| %s | %s | %.1f | %.1f | %.1f | %.1f |\n", size_name(sz),
				       design_name[d], m[K_HIT_DRV], drv_net(f, m[K_HIT_DRV]),
				       m[K_MISS_DRV], drv_net(f, m[K_MISS_DRV]));
			}
		printf("\n");
	}

	printf("### Ratios (targets from the issue)\n\n");
	printf("| ratio | IPv4 | IPv6 | target |\n|---|---|---|---|\n");
	for (int k = 0; k < 2; k++) {
		enum kind kk = k ? K_HIT_CYC : K_HIT_HOT;
		double v[2];

		for (int f = 0; f < 2; f++)
			v[f] = med[f][skel_index(D_HOST, 2)][kk] / med[f][skel_index(D_HOST, 0)][kk];
		printf("| bpfroute %s, 1M / 1k | %.2fx | %.2fx | %s |\n", kind_name[kk], v[0],
		       v[1], k ? "(info)" : "<= 1.2x");
	}
	for (int s = 0; s < NSIZES; s++) {
		double v[2];

		for (int f = 0; f < 2; f++)
			v[f] = med[f][skel_index(D_HOST, s)][K_HIT_CYC] /
			       med[f][skel_index(D_LPM, s)][K_HIT_CYC];
		printf("| hit cycled, bpfroute / LPM-only at %s | %.2f | %.2f | %s |\n",
		       size_name(s), v[0], v[1], s == 2 ? "<= 0.20 at 1M" : "(info)");
	}
	for (int s = 0; s < NSIZES; s++) {
		double v[2];

		for (int f = 0; f < 2; f++)
			v[f] = net(f, med[f][skel_index(D_HOST, s)]) /
			       net(f, med[f][skel_index(D_LPM, s)]);
		printf("| hit cycled net of call cost, bpfroute / LPM-only at %s | %.2f | %.2f | "
		       "%s |\n", size_name(s), v[0], v[1], s == 2 ? "<= 0.20 at 1M" : "(info)");
	}
	for (int sz = 0; sz < NSIZES; sz++) {
		double v[2];

		for (int f = 0; f < 2; f++)
			v[f] = drv_net(f, med[f][skel_index(D_HOST, sz)][K_HIT_DRV]) /
			       drv_net(f, med[f][skel_index(D_LPM, sz)][K_HIT_DRV]);
		printf("| hit driven net of the driver, bpfroute / LPM-only at %s | %.2f | %.2f | "
		       "%s |\n", size_name(sz), v[0], v[1], sz == 2 ? "<= 0.20 at 1M" : "(info)");
	}
	for (int k = 0; k < 2; k++) {
		enum kind kk = k ? K_MISS_CYC : K_MISS_HOT;
		double v[2];

		for (int f = 0; f < 2; f++)
			v[f] = med[f][skel_index(D_HOST, 2)][kk] / med[f][0][kk];
		printf("| bpfroute %s, 1M / empty | %.2fx | %.2fx | (info) |\n", kind_name[kk],
		       v[0], v[1]);
	}
	printf("\n");

	printf("Verdicts: ");
	for (int f = 0; f < 2; f++) {
		double hot = med[f][skel_index(D_HOST, 2)][K_HIT_HOT] /
			     med[f][skel_index(D_HOST, 0)][K_HIT_HOT];

		double rn = net(f, med[f][skel_index(D_HOST, 2)]) /
			    net(f, med[f][skel_index(D_LPM, 2)]);

		double rd = drv_net(f, med[f][skel_index(D_HOST, 2)][K_HIT_DRV]) /
			    drv_net(f, med[f][skel_index(D_LPM, 2)][K_HIT_DRV]);

		r = med[f][skel_index(D_HOST, 2)][K_HIT_CYC] /
		    med[f][skel_index(D_LPM, 2)][K_HIT_CYC];
		printf("IPv%d hot 1M/1k %.2fx (%s), bpfroute/LPM-only at 1M: cycled %.2f raw, "
		       "%.2f net, driven %.2f net (%s)%s", f ? 6 : 4, hot, verdict(hot <= 1.2), r,
		       rn, rd, verdict(r <= 0.2 || rn <= 0.2 || rd <= 0.2),
		       f ? ".\n\n" : "; ");
	}

	printf("### Memory per learned entry (kernel accounting, fdinfo memlock)\n\n");
	printf("| map | empty | 1M entries | per entry (1M - empty) / 1M | total / 1M | "
	       "target |\n|---|---|---|---|---|---|\n");
	for (int f = 0; f < 2; f++) {
		double per = (double)(mem[f][1] - mem[f][0]) / sizes[2];

		printf("| bpfroute_host%d (table and filter, max-routes %u) | %lld | %lld | "
		       "%.1f B | %.1f B | %s |\n", f ? 6 : 4, MAP_CAP, mem[f][0], mem[f][1], per,
		       (double)mem[f][1] / sizes[2],
		       f ? "(info)" : per <= 160 ? "<= 160 B: met" : "<= 160 B: **not met**");
	}
}

static void report_lpm_mem(const long long lmem[2][2])
{
	for (int f = 0; f < 2; f++)
		printf("| bpfroute_route%d (LPM-only, /%d) | %lld | %lld | %.1f B | %.1f B | "
		       "(info) |\n", f ? 6 : 4, f ? 128 : 32, lmem[f][0], lmem[f][1],
		       (double)(lmem[f][1] - lmem[f][0]) / sizes[2],
		       (double)lmem[f][1] / sizes[2]);
	printf("\nA learned table's empty figure is the smallest table and its filter "
	       "(%u slots); with 1M entries the table has the agent's size for them, half "
	       "full at most. The trie's accounting (trie_mem_usage()) counts its leaves "
	       "only, not the intermediate nodes a trie of scattered /32s also "
	       "allocates.\n\n", BPFROUTE_TABLE_MIN_SLOTS);
}

static void write_data(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		pr_warn("%s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "# entries  v4_host_hot v4_host_cyc v4_lpm_hot v4_lpm_cyc "
		"v6_host_hot v6_host_cyc v6_lpm_hot v6_lpm_cyc  (ns per packet, medians)\n");
	for (int s = 0; s < NSIZES; s++) {
		fprintf(f, "%u", sizes[s]);
		for (int fam = 0; fam < 2; fam++)
			for (int d = 0; d < NDESIGNS; d++)
				fprintf(f, " %.1f %.1f", med[fam][skel_index(d, s)][K_HIT_HOT],
					med[fam][skel_index(d, s)][K_HIT_CYC]);
		fprintf(f, "\n");
	}
	fclose(f);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct bpfroute_tc *skels[NSKELS] = {};
	static struct pktset ps[2];
	long long mem[2][2], lmem[2][2];
	const char *datafile = NULL;
	double t0, fill_s;
	int opt, ret = 1, err;

	while ((opt = getopt(argc, argv, "r:d:vg")) != -1) {
		switch (opt) {
		case 'g':
			bench_clients = 1;
			route_val.clients = bench_clients;
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'd':
			datafile = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-r REPS] [-d DATAFILE] [-v] [-g]\n", argv[0]);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "-r: 1..%d\n", MAX_REPS);
		return 2;
	}
	libbpf_set_print(libbpf_print);
	/* test_run classifies against lo of our namespace: keep the host out of it. */
	if (unshare(CLONE_NEWNET))
		pr_warn("note: unshare(CLONE_NEWNET): %s; using the caller's namespace\n",
			strerror(errno));

	t0 = now_s();
	for (int i = 0; i < NSKELS; i++) {
		skels[i] = load_skel();
		if (!skels[i])
			goto cleanup;
	}
	drv = bench_driver__open_and_load();
	if (!drv) {
		pr_warn("loading the driver: %s\n", strerror(errno));
		goto cleanup;
	}
	pr_warn("loaded %d skeletons in %.1f s; filling\n", NSKELS, now_s() - t0);
	t0 = now_s();
	for (int s = 0; s < NSIZES; s++) {
		struct bpfroute_tc *h = skels[skel_index(D_HOST, s)];
		struct bpfroute_tc *l = skels[skel_index(D_LPM, s)];

		err = fill_host(h, 4, sizes[s]);
		err = err ?: fill_host(h, 6, sizes[s]);
		if (err) {
			pr_warn("filling the host maps with %u: %s\n", sizes[s], strerror(-err));
			goto cleanup;
		}
		err = fill_lpm(bpf_map__fd(l->maps.bpfroute_route4), 4, sizes[s]);
		err = err ?: fill_lpm(bpf_map__fd(l->maps.bpfroute_route6), 6, sizes[s]);
		if (err) {
			pr_warn("filling the tries with %u: %s\n", sizes[s], strerror(-err));
			goto cleanup;
		}
	}
	fill_s = now_s() - t0;
	pr_warn("filled in %.1f s; measuring %d repetitions\n", fill_s, reps);

	for (int f = 0; f < 2; f++) {
		mem[f][0] = host_memlock(skels[0], f ? 6 : 4);
		mem[f][1] = host_memlock(skels[skel_index(D_HOST, 2)], f ? 6 : 4);
		lmem[f][0] = map_memlock(bpf_map__fd(f ? skels[0]->maps.bpfroute_route6 :
							skels[0]->maps.bpfroute_route4));
		lmem[f][1] = map_memlock(bpf_map__fd(f ? skels[skel_index(D_LPM, 2)]->maps.bpfroute_route6 :
							skels[skel_index(D_LPM, 2)]->maps.bpfroute_route4));
	}

	build_pkts(&ps[0], 4);
	build_pkts(&ps[1], 6);
	t0 = now_s();
	/* Interleaved: every repetition visits every configuration, order rotated. */
	for (int rep = 0; rep < reps; rep++) {
		for (int n = 0; n < NSKELS; n++) {
			int i = (n + rep) % NSKELS;
			int prog_fd = bpf_program__fd(skels[i]->progs.bpfroute_steer);
			int s = i ? (i - 1) % NSIZES : 0;

			for (int f = 0; f < 2; f++)
				for (int k = 0; k < NKINDS; k++) {
					double v;

					if (!i && (k == K_HIT_HOT || k == K_HIT_CYC ||
						   k == K_HIT_DRV))
						continue;	/* nothing to hit */
					if (i && k == K_NULL_DRV)
						continue;	/* once per repetition */
					/* s -1: the empty tables, hot repeat 1 is a miss */
					v = measure(prog_fd, &ps[f], f ? 6 : 4, i ? s : -1,
						    (enum kind)k);
					if (v < 0) {
						pr_warn("skeleton %d, IPv%d, %s failed\n", i,
							f ? 6 : 4, kind_name[k]);
						goto cleanup;
					}
					res[f][i][k][rep] = v;
				}
		}
		if (verbose)
			pr_warn("repetition %d done, %.1f s\n", rep + 1, now_s() - t0);
	}
	pr_warn("measured in %.1f s\n", now_s() - t0);

	for (int f = 0; f < 2; f++)
		for (int i = 0; i < NSKELS; i++)
			for (int k = 0; k < NKINDS; k++)
				med[f][i][k] = median(res[f][i][k], reps);
	report(mem, fill_s);
	report_lpm_mem(lmem);
	if (datafile)
		write_data(datafile);
	ret = 0;
cleanup:
	bench_driver__destroy(drv);
	for (int i = 0; i < NSKELS; i++)
		bpfroute_tc__destroy(skels[i]);
	return ret;
}
