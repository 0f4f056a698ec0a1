// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The helper of tools/bench_learn.sh (never part of tests or check):
 *
 *   trace     time answers through a gateway (raw tracepoints), the run
 *             time of bpfroute_learn (the kernel's BPF run-time statistics)
 *             and dnsmasq's nftset adds (uprobes on libnftables), sample
 *             the counters every few hundred ms, print percentiles at the end
 *   fill      put N learned IPv4 entries in an instance's table, some dead
 *   count     live entries of an instance's IPv4 table
 *   setcount  elements of an nftables set (one netlink dump: `nft list set`
 *             takes seconds for 200k elements, this a fraction)
 *   agentlat  ask for names with more addresses than the kernel learns and
 *             time, from the client's side, until the agent has put the
 *             rest in the table
 *
 * Usage: bench_learn COMMAND [OPTIONS] (bench_learn -h). Root. Results on
 * stdout, one "key value" line each, for the script to pick up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_abi.h"
#include "bench_learn.h"
#include "bench_learn.skel.h"
#include "hosttable.h"
#include "maps.h"
#include "pindir.h"

#define BATCH		8192
#define MAX_PROGS	4		/* programs whose run time trace reads */
#define NFT_FUNC	"nft_run_cmd_from_buffer"

static const char *const kind_name[BL_NKINDS] = {
	[BL_PASS] = "pass",
	[BL_ANSWER] = "answer",
	[BL_LEARNED] = "learned",
	[BL_AGENT] = "agent",
	[BL_NFT] = "nft",
};

static int verbose;
static volatile sig_atomic_t stopping;

static void pr_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_learn: ");
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

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static void sleep_ns(__u64 ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ULL, .tv_nsec = ns % 1000000000ULL };

	nanosleep(&ts, NULL);
}

/* A strictly positive number from an option, or 0 for a bad one. */
static unsigned long opt_num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	return errno || end == s || *end ? 0 : v;
}

/* ---- trace --------------------------------------------------------------- */

/* One slot of a per-CPU map: a value per possible CPU into vals. */
static int percpu_read(int fd, __u32 key, void *vals)
{
	return bpf_map_lookup_elem(fd, &key, vals) ? -errno : 0;
}

/* The sum over CPUs of one slot of a per-CPU map of __u64. */
static int percpu_sum_u64(int fd, __u32 key, int ncpu, __u64 *sum)
{
	__u64 *v = calloc(ncpu, sizeof(*v));
	int err;

	if (!v)
		return -ENOMEM;
	err = percpu_read(fd, key, v);
	*sum = 0;
	for (int c = 0; !err && c < ncpu; c++)
		*sum += v[c];
	free(v);
	return err;
}

static int total_read(int fd, __u32 kind, int ncpu, struct bl_total *t)
{
	struct bl_total *v = calloc(ncpu, sizeof(*v));
	int err;

	if (!v)
		return -ENOMEM;
	memset(t, 0, sizeof(*t));
	err = percpu_read(fd, kind, v);
	for (int c = 0; !err && c < ncpu; c++) {
		t->count += v[c].count;
		t->sum_ns += v[c].sum_ns;
		t->errors += v[c].errors;
		if (v[c].max_ns > t->max_ns)
			t->max_ns = v[c].max_ns;
	}
	free(v);
	return err;
}

/* Nearest-rank percentile of a histogram, as the middle of its bucket. */
static __u64 hist_pct(const __u64 *h, __u64 n, double pct)
{
	__u64 rank = (__u64)(n * pct / 100.0 + 0.999999), seen = 0;

	if (!n)
		return 0;
	if (rank < 1)
		rank = 1;
	for (__u32 b = 0; b < BL_BUCKETS; b++) {
		seen += h[b];
		if (seen >= rank) {
			__u64 lo = bl_bucket_low(b), hi = bl_bucket_low(b + 1);

			return lo + (hi - lo) / 2;
		}
	}
	return 0;
}

/* "KIND count N sum_ns S max_ns M errors E p50 X p90 X p99 X p999 X" per kind run. */
static int trace_report(struct bench_learn *skel, int ncpu)
{
	int hfd = bpf_map__fd(skel->maps.hist), tfd = bpf_map__fd(skel->maps.tot);
	__u64 *h = calloc(BL_BUCKETS, sizeof(*h));
	struct bl_total t;
	int err = 0;

	if (!h)
		return -ENOMEM;
	for (__u32 k = 0; k < BL_NKINDS && !err; k++) {
		err = total_read(tfd, k, ncpu, &t);
		if (err || !t.count)
			continue;
		for (__u32 b = 0; b < BL_BUCKETS && !err; b++)
			err = percpu_sum_u64(hfd, k * BL_BUCKETS + b, ncpu, &h[b]);
		if (err)
			break;
		printf("%s count %llu sum_ns %llu max_ns %llu errors %llu p50 %llu p90 %llu "
		       "p99 %llu p999 %llu\n", kind_name[k], (unsigned long long)t.count,
		       (unsigned long long)t.sum_ns, (unsigned long long)t.max_ns,
		       (unsigned long long)t.errors, (unsigned long long)hist_pct(h, t.count, 50),
		       (unsigned long long)hist_pct(h, t.count, 90),
		       (unsigned long long)hist_pct(h, t.count, 99),
		       (unsigned long long)hist_pct(h, t.count, 99.9));
	}
	free(h);
	if (err)
		pr_warn("reading the histograms: %s\n", strerror(-err));
	return err;
}

/*
 * One line of the samples file: ms since start; bpfroute's learned
 * addresses, learned answers, answers handed to the agent, events lost;
 * successful nftset adds.
 */
static void trace_sample(FILE *out, struct bench_learn *skel, int stats_fd, int ncpu, __u64 t0)
{
	static const __u32 rows[] = { BPFROUTE_STAT_LEARNED_ADDRS, BPFROUTE_STAT_DNS_LEARNED,
				      BPFROUTE_STAT_DNS_TO_AGENT, BPFROUTE_STAT_DNS_EVENT_LOST };
	__u64 v[4] = {};
	struct bl_total nft = {};

	for (int i = 0; i < 4 && stats_fd >= 0; i++)
		percpu_sum_u64(stats_fd, rows[i], ncpu, &v[i]);
	total_read(bpf_map__fd(skel->maps.tot), BL_NFT, ncpu, &nft);
	fprintf(out, "%llu %llu %llu %llu %llu %llu\n",
		(unsigned long long)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000),
		(unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2],
		(unsigned long long)v[3], (unsigned long long)(nft.count - nft.errors));
	fflush(out);
}

static int write_ready(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	if (write(fd, "ready\n", 6) != 6) {
		close(fd);
		return -EIO;
	}
	return close(fd) ? -errno : 0;
}

static int trace_attach(struct bench_learn *skel, int nft_pid, const char *lib)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = NFT_FUNC);

	if (bpf_program__autoload(skel->progs.gw_rx)) {
		skel->links.gw_rx = bpf_program__attach(skel->progs.gw_rx);
		if (!skel->links.gw_rx)
			return -errno;
		skel->links.gw_tx = bpf_program__attach(skel->progs.gw_tx);
		if (!skel->links.gw_tx)
			return -errno;
	}
	if (!nft_pid)
		return 0;
	skel->links.nft_enter = bpf_program__attach_uprobe_opts(skel->progs.nft_enter, nft_pid,
								 lib, 0, &uo);
	if (!skel->links.nft_enter)
		return -errno;
	uo.retprobe = true;
	skel->links.nft_exit = bpf_program__attach_uprobe_opts(skel->progs.nft_exit, nft_pid,
								lib, 0, &uo);
	return skel->links.nft_exit ? 0 : -errno;
}

/* The kernel's run-time statistics of a program (kernel.bpf_stats_enabled). */
static int prog_runs(int fd, __u64 *cnt, __u64 *ns)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*cnt = info.run_cnt;
	*ns = info.run_time_ns;
	return 0;
}

static void trace_usage(void)
{
	fprintf(stderr,
		"usage: bench_learn trace [-N NETNS -I IN_IFINDEX -O OUT_IFINDEX]\n"
		"         [-s STATS_PIN] [-p PROG_ID]... [-n PID -l LIBNFTABLES]\n"
		"         [-i MS] [-o SAMPLES] [-r READY_FILE] [-t MAX_S]\n"
		"  -N  the gateway's /run/netns file: answers come in on IN_IFINDEX,\n"
		"      go out on OUT_IFINDEX\n"
		"  -s  its bpfroute instance's pinned bpfroute_stats (classifies the answers)\n"
		"  -p  a program's id (up to 4 times): its run count and time while tracing\n"
		"  -n  pid of the dnsmasq whose nftset adds are timed, -l its libnftables\n"
		"  -i  sample the counters every MS (200) into SAMPLES; -r made once attached\n"
		"  -t  stop after MAX_S seconds (60) if no SIGTERM or SIGINT came before\n");
}

struct trace_cfg {
	const char *netns, *stats_pin, *lib, *samples, *ready;
	unsigned long in_ifindex, out_ifindex, nft_pid, interval_ms, max_s;
	unsigned long prog_id[MAX_PROGS];
	int n_progs;
};

static int trace_parse(int argc, char **argv, struct trace_cfg *c)
{
	int opt;

	*c = (struct trace_cfg){ .interval_ms = 200, .max_s = 60 };
	while ((opt = getopt(argc, argv, "N:I:O:s:p:n:l:i:o:r:t:")) != -1) {
		switch (opt) {
		case 'N':
			c->netns = optarg;
			break;
		case 'I':
			c->in_ifindex = opt_num(optarg);
			break;
		case 'O':
			c->out_ifindex = opt_num(optarg);
			break;
		case 's':
			c->stats_pin = optarg;
			break;
		case 'p':
			if (c->n_progs == MAX_PROGS)
				goto bad;
			c->prog_id[c->n_progs] = opt_num(optarg);
			if (!c->prog_id[c->n_progs++])
				goto bad;
			break;
		case 'n':
			c->nft_pid = opt_num(optarg);
			break;
		case 'l':
			c->lib = optarg;
			break;
		case 'i':
			c->interval_ms = opt_num(optarg);
			break;
		case 'o':
			c->samples = optarg;
			break;
		case 'r':
			c->ready = optarg;
			break;
		case 't':
			c->max_s = opt_num(optarg);
			break;
		default:
			goto bad;
		}
	}
	if ((!c->netns && !c->nft_pid) || (c->netns && (!c->in_ifindex || !c->out_ifindex)) ||
	    (c->nft_pid && !c->lib) || !c->interval_ms || !c->max_s || optind != argc)
		goto bad;
	return 0;
bad:
	trace_usage();
	return -EINVAL;
}

/* Open, point at the gateway and the instance, load, attach. */
static int trace_setup(struct bench_learn **skelp, const struct trace_cfg *c, int stats_fd)
{
	struct bench_learn *skel;
	struct stat st;
	int err;

	skel = bench_learn__open();
	if (!skel) {
		err = -errno;
		pr_warn("opening the tracing programs: %s\n", strerror(-err));
		return err;
	}
	*skelp = skel;
	skel->rodata->nft_tgid = (__u32)c->nft_pid;
	bpf_program__set_autoload(skel->progs.nft_enter, c->nft_pid != 0);
	bpf_program__set_autoload(skel->progs.nft_exit, c->nft_pid != 0);
	if (c->netns) {
		if (stat(c->netns, &st)) {
			err = -errno;
			pr_warn("%s: %s\n", c->netns, strerror(-err));
			return err;
		}
		skel->rodata->gw_netns = (__u32)st.st_ino;
		skel->rodata->gw_in_ifindex = (__u32)c->in_ifindex;
		skel->rodata->gw_out_ifindex = (__u32)c->out_ifindex;
	}
	bpf_program__set_autoload(skel->progs.gw_rx, c->netns != NULL);
	bpf_program__set_autoload(skel->progs.gw_tx, c->netns != NULL);
	if (stats_fd >= 0) {
		err = bpf_map__reuse_fd(skel->maps.stats, stats_fd);
		if (err) {
			pr_warn("using %s: %s\n", c->stats_pin, strerror(-err));
			return err;
		}
	}
	err = bench_learn__load(skel);
	if (err) {
		pr_warn("loading the tracing programs: %s\n", strerror(-err));
		return err;
	}
	err = trace_attach(skel, (int)c->nft_pid, c->lib);
	if (err)
		pr_warn("attaching: %s\n", strerror(-err));
	return err;
}

static int cmd_trace(int argc, char **argv)
{
	int err, ncpu, prog_fd[MAX_PROGS], stats_fd = -1, bpfstats_fd = -1;
	__u64 t0, next, runs0[MAX_PROGS] = {}, ns0[MAX_PROGS] = {};
	struct bench_learn *skel = NULL;
	struct trace_cfg c;
	FILE *out = NULL;

	for (int i = 0; i < MAX_PROGS; i++)
		prog_fd[i] = -1;
	err = trace_parse(argc, argv, &c);
	if (err)
		return err;
	ncpu = libbpf_num_possible_cpus();
	if (ncpu < 0)
		return ncpu;
	if (c.stats_pin) {
		stats_fd = bpf_obj_get(c.stats_pin);
		if (stats_fd < 0) {
			err = -errno;
			pr_warn("%s: %s\n", c.stats_pin, strerror(-err));
			goto cleanup;
		}
	}
	for (int i = 0; i < c.n_progs; i++) {
		prog_fd[i] = bpf_prog_get_fd_by_id((__u32)c.prog_id[i]);
		if (prog_fd[i] < 0) {
			err = -errno;
			pr_warn("program id %lu: %s\n", c.prog_id[i], strerror(-err));
			goto cleanup;
		}
	}
	if (c.n_progs) {
		/* Run-time statistics while this descriptor is open; off again at exit. */
		bpfstats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (bpfstats_fd < 0) {
			err = -errno;
			pr_warn("run-time statistics: %s\n", strerror(-err));
			goto cleanup;
		}
	}
	err = trace_setup(&skel, &c, stats_fd);
	if (err)
		goto cleanup;
	if (c.samples) {
		out = fopen(c.samples, "w");
		if (!out) {
			err = -errno;
			pr_warn("%s: %s\n", c.samples, strerror(-err));
			goto cleanup;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (int i = 0; i < c.n_progs; i++) {
		err = prog_runs(prog_fd[i], &runs0[i], &ns0[i]);
		if (err)
			goto cleanup;
	}
	if (c.ready) {
		err = write_ready(c.ready);
		if (err) {
			pr_warn("%s: %s\n", c.ready, strerror(-err));
			goto cleanup;
		}
	}

	t0 = now_ns(CLOCK_MONOTONIC);
	next = t0;
	while (!stopping && now_ns(CLOCK_MONOTONIC) - t0 < c.max_s * 1000000000ULL) {
		__u64 now = now_ns(CLOCK_MONOTONIC);

		if (now >= next) {
			if (out)
				trace_sample(out, skel, stats_fd, ncpu, t0);
			next += c.interval_ms * 1000000ULL;
			continue;
		}
		sleep_ns(next - now);
	}
	if (out)
		trace_sample(out, skel, stats_fd, ncpu, t0);
	for (int i = 0; i < c.n_progs; i++) {
		__u64 runs, ns;

		if (!prog_runs(prog_fd[i], &runs, &ns))
			printf("prog %lu runs %llu run_ns %llu\n", c.prog_id[i],
			       (unsigned long long)(runs - runs0[i]),
			       (unsigned long long)(ns - ns0[i]));
	}
	err = trace_report(skel, ncpu);
cleanup:
	if (out)
		fclose(out);
	bench_learn__destroy(skel);
	if (bpfstats_fd >= 0)
		close(bpfstats_fd);
	for (int i = 0; i < MAX_PROGS; i++)
		if (prog_fd[i] >= 0)
			close(prog_fd[i]);
	if (stats_fd >= 0)
		close(stats_fd);
	return err;
}

/* ---- fill and count ------------------------------------------------------ */

/* An instance's maps and IPv4 table, mapped; the caller closes both. */
static int table4_open(const char *pin_dir, struct bpfroute_maps *m, struct hosttable *ht,
		       struct bpfroute_conf *conf)
{
	struct pindir pd = { .fd = -1 };
	__u32 zero = 0;
	int err;

	*ht = (struct hosttable){ .ctl = NULL };
	for (int r = 0; r < BPFROUTE_HOSTS_ROLES; r++)
		ht->role[r].fd = -1;
	err = pindir_open(&pd, pin_dir, false);
	if (!err)
		err = maps_open(&pd, m);
	pindir_close(&pd);
	if (!err && bpf_map_lookup_elem(m->conf, &zero, conf))
		err = -errno;
	if (!err)
		err = hosttable_open(m, 4, ht);
	if (err)
		pr_warn("%s: %s\n", pin_dir, strerror(-err));
	return err;
}

/*
 * Entries base, base + 1, ... (host order arithmetic, stored in network
 * order) as the kernel learns them: to ifindex, alive for an hour. Every
 * dead_every-th is dead already (expired at boot, idle timeout 0), so that
 * the agent's sweep has work whatever the uptime. The table is rebuilt to
 * the size the agent gives that many entries first.
 */
static int fill_host4(struct hosttable *ht, const struct bpfroute_maps *m,
		      const struct bpfroute_conf *conf, __u32 base, __u32 n, __u32 ifindex,
		      __u32 dead_every)
{
	__u32 now = (__u32)(now_ns(CLOCK_MONOTONIC) / 1000000000ULL);
	int err;

	err = hosttable_rebuild(ht, m, conf, hosttable_slots_for(ht->ctl->live + n,
								 conf->max_routes));
	for (__u32 i = 0; i < n && !err; i++) {
		struct bpfroute_host v = { .ifindex = ifindex };
		__u32 a = htonl(base + i);

		memcpy(v.addr, &a, 4);
		if (dead_every && i % dead_every == dead_every - 1) {
			v.expires = 1;
			v.last_used = 1;
		} else {
			v.expires = now + 3600;
			v.last_used = now;
		}
		if (hosttable_learn(ht, conf, &v) > BPFROUTE_TABLE_EXISTS)
			err = -E2BIG;
	}
	return err;
}

static int cmd_fill(int argc, char **argv)
{
	unsigned long n = 0, ifindex = 0, dead_every = 0;
	const char *pin = NULL, *base_s = "100.64.0.0";
	struct bpfroute_maps m = { .owned = false };
	struct bpfroute_conf conf;
	struct hosttable ht;
	struct in_addr base;
	int opt, err;

	while ((opt = getopt(argc, argv, "m:n:i:d:b:")) != -1) {
		switch (opt) {
		case 'm':
			pin = optarg;
			break;
		case 'n':
			n = opt_num(optarg);
			break;
		case 'i':
			ifindex = opt_num(optarg);
			break;
		case 'd':
			dead_every = opt_num(optarg);
			break;
		case 'b':
			base_s = optarg;
			break;
		default:
			n = 0;
			break;
		}
	}
	if (!pin || !n || !ifindex || optind != argc || inet_pton(AF_INET, base_s, &base) != 1) {
		fprintf(stderr, "usage: bench_learn fill -m PIN_DIR -n N -i IFINDEX "
			"[-d DEAD_EVERY] [-b BASE]\n");
		return -EINVAL;
	}
	err = table4_open(pin, &m, &ht, &conf);
	if (!err)
		err = fill_host4(&ht, &m, &conf, ntohl(base.s_addr), (__u32)n, (__u32)ifindex,
				 (__u32)dead_every);
	if (err)
		pr_warn("filling %s: %s\n", pin, strerror(-err));
	hosttable_close(&ht);
	maps_close(&m);
	return err;
}

/* Live entries of the IPv4 table, slot by slot. */
static __u64 table_count(const struct hosttable *ht)
{
	const struct table_map *t = hosttable_role(ht, BPFROUTE_HOSTS_TABLE);
	__u64 n = 0;

	for (__u32 i = 0; t && i < t->n; i++)
		n += BPFROUTE_SLOT_KIND(TABLE_SLOT(t, i)->state) == BPFROUTE_SLOT_LIVE;
	return n;
}

static int cmd_count(int argc, char **argv)
{
	struct bpfroute_maps m = { .owned = false };
	struct bpfroute_conf conf;
	struct hosttable ht;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_learn count PIN_DIR\n");
		return -EINVAL;
	}
	err = table4_open(argv[1], &m, &ht, &conf);
	if (!err)
		printf("%llu\n", (unsigned long long)table_count(&ht));
	hosttable_close(&ht);
	maps_close(&m);
	return err;
}

/* ---- setcount ------------------------------------------------------------ */

static size_t nla_put_str(void *buf, __u16 type, const char *str)
{
	struct nlattr *a = buf;
	size_t len = strlen(str) + 1;

	a->nla_type = type;
	a->nla_len = (__u16)(NLA_HDRLEN + len);
	memcpy((char *)buf + NLA_HDRLEN, str, len);
	return NLA_ALIGN(a->nla_len);
}

/* NFTA_LIST_ELEM entries in the NFTA_SET_ELEM_LIST_ELEMENTS of one message. */
static __u64 elems_in(const struct nlmsghdr *nlh)
{
	const char *p = (const char *)NLMSG_DATA(nlh) + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	const char *end = (const char *)nlh + nlh->nlmsg_len;
	__u64 n = 0;

	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const void *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NFTA_SET_ELEM_LIST_ELEMENTS) {
			const char *q = p + NLA_HDRLEN, *qend = p + a->nla_len;

			while (q + NLA_HDRLEN <= qend) {
				const struct nlattr *e = (const void *)q;

				if (e->nla_len < NLA_HDRLEN)
					break;
				if ((e->nla_type & NLA_TYPE_MASK) == NFTA_LIST_ELEM)
					n++;
				q += NLA_ALIGN(e->nla_len);
			}
		}
		p += NLA_ALIGN(a->nla_len);
	}
	return n;
}

/* Dump the set's elements and count them (NFT_MSG_GETSETELEM, NLM_F_DUMP). */
static int nft_set_count(__u8 family, const char *table, const char *set, __u64 *count)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr nlh;
		struct nfgenmsg nfg;
		char attrs[512];
	} req = {};
	size_t alen = 0, bufsize = 1 << 20;
	int fd, err = 0, rcvbuf = 4 << 20;
	bool done = false;
	char *buf;

	*count = 0;
	if (strlen(table) > 200 || strlen(set) > 200)
		return -ENAMETOOLONG;
	buf = malloc(bufsize);
	if (!buf)
		return -ENOMEM;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	alen += nla_put_str(req.attrs + alen, NFTA_SET_ELEM_LIST_TABLE, table);
	alen += nla_put_str(req.attrs + alen, NFTA_SET_ELEM_LIST_SET, set);
	req.nlh.nlmsg_len = (__u32)(NLMSG_LENGTH(sizeof(req.nfg)) + alen);
	req.nlh.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = 1;
	req.nfg.nfgen_family = family;
	req.nfg.version = NFNETLINK_V0;
	if (sendto(fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto cleanup;
	}
	while (!done && !err) {
		ssize_t got = recv(fd, buf, bufsize, 0);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		size_t left = got > 0 ? (size_t)got : 0;

		if (got < 0) {
			err = -errno;
			break;
		}
		for (; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				err = e->error ? e->error : -EPROTO;
				break;
			}
			*count += elems_in(nlh);
		}
		if (!got)
			err = -EPROTO;
	}
cleanup:
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}

static int cmd_setcount(int argc, char **argv)
{
	__u64 count;
	int err;

	if (argc != 4 || strcmp(argv[1], "inet")) {
		fprintf(stderr, "usage: bench_learn setcount inet TABLE SET (in its netns)\n");
		return -EINVAL;
	}
	err = nft_set_count(NFPROTO_INET, argv[2], argv[3], &count);
	if (err) {
		pr_warn("listing set inet %s %s: %s\n", argv[2], argv[3], strerror(-err));
		return err;
	}
	printf("%llu\n", (unsigned long long)count);
	return 0;
}

/* ---- agentlat ------------------------------------------------------------ */

struct lat_opts {
	const char *server;
	const char *pin;
	const char *prefix;	/* names PREFIX<i>.DOMAIN */
	const char *domain;
	__u32 first, n;
	__u32 naddrs;		/* A records per name */
	__u32 base;		/* name i's addresses: base + i * 32 + j, host order */
	__u32 gap_ms;
};

/* A query for name, type A, recursion desired; returns its length or -errno. */
static int query_build(__u8 *buf, size_t size, __u16 id, const char *name)
{
	size_t off = 12;
	const char *p = name;

	if (size < 12 + 256 + 4)
		return -ENOSPC;
	memset(buf, 0, 12);
	buf[0] = id >> 8;
	buf[1] = id & 0xff;
	buf[2] = 0x01;		/* RD */
	buf[5] = 1;		/* QDCOUNT */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (!len || len > 63 || off + 1 + len > 12 + 255)
			return -EINVAL;
		buf[off++] = (__u8)len;
		memcpy(buf + off, p, len);
		off += len;
		p += len + (dot ? 1 : 0);
	}
	buf[off++] = 0;
	buf[off++] = 0;
	buf[off++] = 1;		/* A */
	buf[off++] = 0;
	buf[off++] = 1;		/* IN */
	return (int)off;
}

/* The instance's IPv4 table, mapped again whenever the agent swapped in another. */
struct lat_table {
	struct bpfroute_maps m;
	struct bpfroute_conf conf;
	struct hosttable ht;
};

static void lat_table_current(struct lat_table *lt)
{
	__u32 role = BPFROUTE_HOSTS_TABLE, id = 0;
	const struct table_map *t = hosttable_role(&lt->ht, BPFROUTE_HOSTS_TABLE);

	bpf_map_lookup_elem(lt->m.host4, &role, &id);
	if (t && t->id == id)
		return;
	hosttable_close(&lt->ht);
	hosttable_open(&lt->m, 4, &lt->ht);
}

/* How many of name i's addresses are in the table. */
static __u32 lat_present(struct lat_table *lt, const struct lat_opts *o, __u32 i)
{
	__u32 n = 0;

	lat_table_current(lt);
	for (__u32 j = 0; j < o->naddrs; j++) {
		__u8 a[16] = {};
		__u32 v = htonl(o->base + i * 32 + j);

		memcpy(a, &v, 4);
		n += hosttable_find(&lt->ht, &lt->conf, a) != NULL;
	}
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static __u64 pct_sorted(const __u64 *v, size_t n, double pct)
{
	size_t rank = (size_t)(n * pct / 100.0 + 0.999999);

	if (!n)
		return 0;
	return v[rank ? rank - 1 : 0];
}

/*
 * For each name: send the query, take the time the answer is read, count
 * the name's addresses in the map then (the kernel's part), and poll until
 * all are there (the agent's part) or a second has passed.
 */
static int agentlat_run(int sock, struct lat_table *lt, const struct lat_opts *o)
{
	__u64 *lat = calloc(o->n, sizeof(*lat)), *rtt = calloc(o->n, sizeof(*rtt));
	__u32 *at_reply = calloc(o->n, sizeof(*at_reply));
	size_t n_ok = 0, n_answered = 0, n_before = 0;
	__u8 q[512], r[1500];
	int err = -ENOMEM;

	if (!lat || !rtt || !at_reply)
		goto cleanup;
	for (__u32 k = 0; k < o->n && !stopping; k++) {
		__u32 i = o->first + k, have;
		__u16 id = (__u16)(0x4000 + k);
		char name[256];
		__u64 t_send, t_reply;
		ssize_t got;
		int len;

		snprintf(name, sizeof(name), "%s%u.%s", o->prefix, i, o->domain);
		len = query_build(q, sizeof(q), id, name);
		if (len < 0) {
			err = len;
			goto cleanup;
		}
		t_send = now_ns(CLOCK_MONOTONIC);
		if (send(sock, q, (size_t)len, 0) != len) {
			err = -errno;
			pr_warn("send: %s\n", strerror(-err));
			goto cleanup;
		}
		do {
			got = recv(sock, r, sizeof(r), 0);
		} while (got >= 2 && (r[0] != (id >> 8) || r[1] != (id & 0xff)));
		t_reply = now_ns(CLOCK_MONOTONIC);
		if (got < 12 || (r[3] & 0xf))	/* timeout, short, or an error code */
			continue;
		n_answered++;
		rtt[n_answered - 1] = t_reply - t_send;
		have = lat_present(lt, o, i);
		at_reply[n_answered - 1] = have;
		while (have < o->naddrs && now_ns(CLOCK_MONOTONIC) - t_reply < 1000000000ULL) {
			sched_yield();	/* the agent may share this CPU */
			have = lat_present(lt, o, i);
		}
		if (have == o->naddrs) {
			if (at_reply[n_answered - 1] == o->naddrs)
				n_before++;
			lat[n_ok++] = at_reply[n_answered - 1] == o->naddrs ? 0 :
				      now_ns(CLOCK_MONOTONIC) - t_reply;
		}
		if (o->gap_ms)
			sleep_ns(o->gap_ms * 1000000ULL);
	}
	qsort(lat, n_ok, sizeof(*lat), cmp_u64);
	qsort(rtt, n_answered, sizeof(*rtt), cmp_u64);
	/* The kernel's share at reply time: the median of what was there. */
	for (size_t a = 1; a < n_answered; a++)
		for (size_t b = a; b && at_reply[b - 1] > at_reply[b]; b--) {
			__u32 t = at_reply[b];

			at_reply[b] = at_reply[b - 1];
			at_reply[b - 1] = t;
		}
	printf("asked %u answered %zu complete %zu complete_at_reply %zu "
	       "present_at_reply_p50 %u lat_p50_ns %llu lat_p99_ns %llu lat_max_ns %llu "
	       "rtt_p50_ns %llu\n", o->n, n_answered, n_ok, n_before,
	       n_answered ? at_reply[(n_answered - 1) / 2] : 0,
	       (unsigned long long)pct_sorted(lat, n_ok, 50),
	       (unsigned long long)pct_sorted(lat, n_ok, 99),
	       (unsigned long long)(n_ok ? lat[n_ok - 1] : 0),
	       (unsigned long long)pct_sorted(rtt, n_answered, 50));
	err = 0;
cleanup:
	free(lat);
	free(rtt);
	free(at_reply);
	return err;
}

static int cmd_agentlat(int argc, char **argv)
{
	struct lat_opts o = { .prefix = "big", .domain = "bench.example", .naddrs = 24,
			      .gap_ms = 5 };
	struct timeval tv = { .tv_sec = 2 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	const char *base_s = NULL;
	struct in_addr base;
	static struct lat_table lt;
	int opt, sock = -1, err;

	while ((opt = getopt(argc, argv, "s:m:P:D:f:n:a:b:g:")) != -1) {
		switch (opt) {
		case 's':
			o.server = optarg;
			break;
		case 'm':
			o.pin = optarg;
			break;
		case 'P':
			o.prefix = optarg;
			break;
		case 'D':
			o.domain = optarg;
			break;
		case 'f':
			o.first = (__u32)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			o.n = (__u32)opt_num(optarg);
			break;
		case 'a':
			o.naddrs = (__u32)opt_num(optarg);
			break;
		case 'b':
			base_s = optarg;
			break;
		case 'g':
			o.gap_ms = (__u32)strtoul(optarg, NULL, 0);
			break;
		default:
			o.n = 0;
			break;
		}
	}
	if (!o.server || !o.pin || !o.n || !o.naddrs || o.naddrs > 32 || !base_s ||
	    optind != argc || inet_pton(AF_INET, o.server, &sa.sin_addr) != 1 ||
	    inet_pton(AF_INET, base_s, &base) != 1) {
		fprintf(stderr, "usage: bench_learn agentlat -s SERVER -m PIN_DIR -n N -b BASE\n"
			"       [-f FIRST] [-a ADDRS_PER_NAME (24)] [-P PREFIX (big)]\n"
			"       [-D DOMAIN (bench.example)] [-g GAP_MS (5)]\n"
			"  names PREFIX<i>.DOMAIN, i from FIRST, each with the addresses\n"
			"  BASE + 32 * i + j, j < ADDRS_PER_NAME\n");
		return -EINVAL;
	}
	o.base = ntohl(base.s_addr);
	err = table4_open(o.pin, &lt.m, &lt.ht, &lt.conf);
	if (err)
		goto cleanup;
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    connect(sock, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		pr_warn("socket to %s: %s\n", o.server, strerror(-err));
		goto cleanup;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	err = agentlat_run(sock, &lt, &o);
cleanup:
	if (sock >= 0)
		close(sock);
	hosttable_close(&lt.ht);
	maps_close(&lt.m);
	return err;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_learn [-v] trace|fill|count|setcount|agentlat [OPTIONS]\n"
		"  trace     time bpfroute_learn and dnsmasq's nftset adds, sample counters\n"
		"  fill      put learned IPv4 entries in an instance's table\n"
		"  count     entries of a pinned hash map\n"
		"  setcount  elements of an nftables set\n"
		"  agentlat  time the agent's part of answers the kernel cannot finish\n"
		"Each command says more with -h.\n");
}

int main(int argc, char **argv)
{
	const char *cmd;
	int err;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argc--;
		argv++;
	}
	if (argc < 2) {
		usage();
		return 2;
	}
	libbpf_set_print(libbpf_print);
	cmd = argv[1];
	argc--;
	argv++;
	if (!strcmp(cmd, "trace"))
		err = cmd_trace(argc, argv);
	else if (!strcmp(cmd, "fill"))
		err = cmd_fill(argc, argv);
	else if (!strcmp(cmd, "count"))
		err = cmd_count(argc, argv);
	else if (!strcmp(cmd, "setcount"))
		err = cmd_setcount(argc, argv);
	else if (!strcmp(cmd, "agentlat"))
		err = cmd_agentlat(argc, argv);
	else {
		usage();
		return 2;
	}
	return err ? 1 : 0;
}
