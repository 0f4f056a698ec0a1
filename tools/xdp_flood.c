// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp_flood: small UDP frames, as many as one CPU makes, for
 * tools/bench_forward.sh. BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES
 * (Linux 5.18) runs xdp_flood.bpf.c on frames the kernel allocates and
 * redirects each one out of IFNAME as an XDP frame: no socket and no skb on
 * the sending side, so it outruns an AF_PACKET sender several times over
 * and the device under test, not the sender, sets the rate.
 *
 *	xdp_flood [-b BATCH] [-r REPEAT] [-z S] [-v] IFNAME DST_MAC SRC_IP FIRST_DST_IP N
 *		  SECONDS
 *
 * The destination cycles over N consecutive addresses from FIRST_DST_IP
 * (IPv4, or IPv6 if SRC_IP is IPv6; the last 32 bits count): each is sent
 * as often as the others, the worst case for any cache. With -z S the
 * destinations follow a Zipf distribution of exponent S over the N (rank r
 * drawn with weight 1/r^S; S about 1 is what destinations of real traffic
 * follow), ranks scattered over the addresses by a fixed permutation, in a
 * drawn sequence of XDP_FLOOD_ORDER_LEN sent over and over. Run it in
 * IFNAME's network namespace (the redirect looks the ifindex up there), and
 * pin it to a CPU: test_run sends from the CPU it runs on. IFNAME must take
 * XDP frames (ndo_xdp_xmit); a veth does when its peer has NAPI (GRO on, or
 * an XDP program), otherwise every frame is dropped (veth_xdp_xmit).
 *
 * While it runs, the program is also attached to IFNAME (an XDP link, gone
 * with the process), where it passes every packet; see main().
 *
 * Prints one line: OFFERED ACCEPTED SECONDS NS_PER_FRAME: the frames made,
 * those IFNAME took (its ethtool counters *_xdp_xmit, as veth keeps them; -1
 * when it has none; fewer than offered when the peer's ring was full), the
 * time it ran, and the kernel's mean time per frame. SIGINT or SIGTERM ends
 * the run early, and the line is printed all the same.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <math.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/sockios.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp_flood.h"
#include "xdp_flood.skel.h"

#define MAX_DESTS	(1U << 24)
#define MAX_SECONDS	60
#define MAX_BATCH	256	/* TEST_XDP_MAX_BATCH in net/bpf/test_run.c */
#define DEF_BATCH	64	/* the kernel's default, NAPI_POLL_WEIGHT */
/*
 * Frames per test_run call: a few milliseconds at the rates seen here, so
 * the run ends close to SECONDS (the time actually spent is printed).
 */
#define DEF_REPEAT	65536
#define MAX_REPEAT	(1U << 24)

static int verbose;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("xdp_flood: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Ones' complement sum of n bytes (n even) as 16-bit words in memory order. */
static __u32 csum_add(__u32 sum, const void *buf, size_t n)
{
	const __u16 *p = buf;

	for (; n > 1; n -= 2)
		sum += *p++;
	return sum;
}

static __u32 csum_fold16(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void put_be16(__u8 *b, __u16 v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

/*
 * The frame for destination BASE with the cycling 32 bits and the checksum
 * zeroed, and *csum_base: the folded sum the program completes. IPv4: the
 * header checksum; UDP checksum 0, none (RFC 768). IPv6: the UDP checksum
 * over the pseudo-header (RFC 8200 8.1).
 */
static size_t frame_build(__u8 *f, const __u8 *dmac, const __u8 *smac, bool v6, const void *src,
			  const void *dst, __u32 *csum_base)
{
	__u8 *ip = f + ETH_HLEN, *udp;
	size_t len = v6 ? XDP_FLOOD_LEN6 : XDP_FLOOD_LEN4;
	size_t iplen = v6 ? 40 : 20, ulen = len - ETH_HLEN - iplen;
	__u8 pseudo[8] = { 0 };

	memset(f, 0, XDP_FLOOD_COPY6);
	memcpy(f, dmac, ETH_ALEN);
	memcpy(f + ETH_ALEN, smac, ETH_ALEN);
	put_be16(f + 12, v6 ? ETH_P_IPV6 : ETH_P_IP);
	udp = ip + iplen;
	put_be16(udp, 9000);
	put_be16(udp + 2, 9);	/* discard */
	put_be16(udp + 4, (__u16)ulen);
	for (size_t i = 8; i < ulen; i++)
		udp[i] = (__u8)(i * 7 + 3);
	if (!v6) {
		ip[0] = 0x45;
		put_be16(ip + 2, (__u16)(len - ETH_HLEN));
		ip[8] = 64;	/* TTL */
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		memset(f + XDP_FLOOD_DST4, 0, 4);
		*csum_base = csum_fold16(csum_add(0, ip, iplen));
	} else {
		ip[0] = 0x60;
		put_be16(ip + 4, (__u16)ulen);
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;	/* hop limit */
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		memset(f + XDP_FLOOD_DST6, 0, 4);
		/* Pseudo-header: addresses, then 32-bit length and next header. */
		put_be16(pseudo + 2, (__u16)ulen);
		pseudo[7] = IPPROTO_UDP;
		*csum_base = csum_fold16(csum_add(csum_add(csum_add(0, ip + 8, 32), pseudo, 8),
						  udp, ulen));
	}
	return len;
}

/*
 * Sums IFNAME's ethtool counters ending in _xdp_xmit (frames its peer took
 * from ndo_xdp_xmit) into *ok. -EOPNOTSUPP when it has none.
 */
static int xmit_counter(int fd, const char *ifname, __u64 *ok)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 len;
	} sset = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_STATS } };
	struct ethtool_gstrings *names = NULL;
	struct ethtool_stats *stats = NULL;
	struct ifreq ifr = { 0 };
	bool found = false;
	__u32 n;
	int err;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&sset;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		return -errno;
	n = sset.hdr.sset_mask ? sset.len : 0;
	if (!n || n > 65536)
		return -EOPNOTSUPP;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	stats = calloc(1, sizeof(*stats) + (size_t)n * sizeof(__u64));
	if (!names || !stats) {
		err = -ENOMEM;
		goto cleanup;
	}
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	ifr.ifr_data = (void *)names;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
		err = -errno;
		goto cleanup;
	}
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = n;
	ifr.ifr_data = (void *)stats;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
		err = -errno;
		goto cleanup;
	}
	*ok = 0;
	for (__u32 i = 0; i < n && i < names->len && i < stats->n_stats; i++) {
		const char *s = (const char *)names->data + (size_t)i * ETH_GSTRING_LEN;
		size_t l = strnlen(s, ETH_GSTRING_LEN);

		/* veth: tx_queue_<q>_xdp_xmit (and _xdp_xmit_errors, not summed). */
		if (l >= 9 && !memcmp(s + l - 9, "_xdp_xmit", 9)) {
			*ok += stats->data[i];
			found = true;
		}
	}
	err = found ? 0 : -EOPNOTSUPP;
cleanup:
	free(names);
	free(stats);
	return err;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-b BATCH] [-r REPEAT] [-z S] [-v] IFNAME DST_MAC SRC_IP FIRST_DST_IP N "
		"SECONDS\n"
		"  -b BATCH   frames per batch of test_run, 1..%u (default %u)\n"
		"  -r REPEAT  frames per test_run call (default %u)\n"
		"  -z S       destinations drawn from a Zipf distribution of exponent S (0..3)\n"
		"  -v         libbpf's debug messages\n",
		prog, MAX_BATCH, DEF_BATCH, DEF_REPEAT);
}

/* A splitmix64 step: the generator's fixed, reproducible randomness. */
static __u64 rnd(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * XDP_FLOOD_ORDER_LEN offsets drawn from Zipf(s) over n ranks (inverse of the
 * cumulative weights, by bisection), rank r mapped to perm[r], a fixed
 * shuffle of 0..n-1: the popular destinations are not neighbours.
 */
static int zipf_order(int map_fd, __u32 n, double s)
{
	double *cdf = malloc((size_t)n * sizeof(*cdf)), sum = 0;
	__u32 *perm = malloc((size_t)n * sizeof(*perm));
	__u32 *keys = malloc(XDP_FLOOD_ORDER_LEN * sizeof(*keys));
	__u32 *offs = malloc(XDP_FLOOD_ORDER_LEN * sizeof(*offs));
	__u32 count = XDP_FLOOD_ORDER_LEN;
	__u64 st = 0x5eed;
	int err = -ENOMEM;

	if (!cdf || !perm || !keys || !offs)
		goto cleanup;
	for (__u32 r = 0; r < n; r++) {
		sum += pow((double)r + 1, -s);
		cdf[r] = sum;
		perm[r] = r;
	}
	for (__u32 r = n - 1; r > 0; r--) {
		__u32 j = (__u32)(rnd(&st) % (r + 1)), t = perm[r];

		perm[r] = perm[j];
		perm[j] = t;
	}
	for (__u32 k = 0; k < XDP_FLOOD_ORDER_LEN; k++) {
		double u = (double)(rnd(&st) >> 11) / (double)(1ULL << 53) * sum;
		__u32 lo = 0, hi = n - 1;

		while (lo < hi) {
			__u32 mid = lo + (hi - lo) / 2;

			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		keys[k] = k;
		offs[k] = perm[lo];
	}
	err = bpf_map_update_batch(map_fd, keys, offs, &count, NULL) ? -errno : 0;
cleanup:
	free(cdf);
	free(perm);
	free(keys);
	free(offs);
	return err;
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	__u8 dmac[ETH_ALEN], smac[ETH_ALEN], frame[XDP_FLOOD_COPY6];
	__u8 src[16], dst[16], *last;
	unsigned long batch = DEF_BATCH, repeat = DEF_REPEAT, n;
	double zipf = -1;
	__u64 acc0 = 0, acc1 = 0, calls, max_calls, ns_sum = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	struct xdp_flood *skel = NULL;
	struct ifreq ifr = { 0 };
	double secs, t0, t1, end;
	int fd = -1, opt, err, prog_fd, ifindex;
	bool v6, counted;
	__u32 base, csum_base;
	size_t len;

	while ((opt = getopt(argc, argv, "b:r:z:vh")) != -1) {
		switch (opt) {
		case 'b':
			batch = strtoul(optarg, NULL, 0);
			break;
		case 'z':
			zipf = atof(optarg);
			if (!(zipf >= 0 && zipf <= 3)) {
				usage(argv[0]);
				return 2;
			}
			break;
		case 'r':
			repeat = strtoul(optarg, NULL, 0);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (argc - optind != 6) {
		usage(argv[0]);
		return 2;
	}
	argv += optind;
	v6 = strchr(argv[2], ':') != NULL;
	if (sscanf(argv[1], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2],
		   &dmac[3], &dmac[4], &dmac[5]) != 6 ||
	    inet_pton(v6 ? AF_INET6 : AF_INET, argv[2], src) != 1 ||
	    inet_pton(v6 ? AF_INET6 : AF_INET, argv[3], dst) != 1) {
		pr_warn("bad MAC or address (SRC_IP and FIRST_DST_IP of one family)\n");
		return 2;
	}
	n = strtoul(argv[4], NULL, 0);
	secs = atof(argv[5]);
	if (n == 0 || n > MAX_DESTS || !(secs > 0 && secs <= MAX_SECONDS) || batch == 0 ||
	    batch > MAX_BATCH || repeat == 0 || repeat > MAX_REPEAT) {
		pr_warn("N must be 1..%u, SECONDS 0..%u, BATCH 1..%u, REPEAT 1..%u\n", MAX_DESTS,
			MAX_SECONDS, MAX_BATCH, MAX_REPEAT);
		return 2;
	}
	last = dst + (v6 ? 12 : 0);
	base = (__u32)last[0] << 24 | (__u32)last[1] << 16 | (__u32)last[2] << 8 | last[3];
	/* Only the last 32 bits count: they must not wrap. */
	if (n - 1 > 0xffffffffUL - base) {
		pr_warn("FIRST_DST_IP + N - 1 carries beyond the last 32 bits of the address\n");
		return 2;
	}

	libbpf_set_print(libbpf_print);
	ifindex = (int)if_nametoindex(argv[0]);
	if (!ifindex) {
		err = -errno;
		pr_warn("%s: %s\n", argv[0], strerror(-err));
		return 1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		pr_warn("socket: %s\n", strerror(-err));
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[0]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		err = -errno;
		pr_warn("SIOCGIFHWADDR %s: %s\n", argv[0], strerror(-err));
		goto cleanup;
	}
	memcpy(smac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	len = frame_build(frame, dmac, smac, v6, src, dst, &csum_base);

	skel = xdp_flood__open();
	if (!skel) {
		err = -errno;
		pr_warn("opening the BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	memcpy(skel->rodata->tmpl, frame, sizeof(skel->rodata->tmpl));
	skel->rodata->ifindex = (__u32)ifindex;
	skel->rodata->ndests = (__u32)n;
	skel->rodata->base = base;
	skel->rodata->csum_base = csum_base;
	skel->rodata->ipv6 = v6;
	skel->rodata->use_order = zipf >= 0;
	err = xdp_flood__load(skel);
	if (err) {
		pr_warn("loading the BPF object: %s (-v tells more)\n", strerror(-err));
		goto cleanup;
	}
	if (zipf >= 0) {
		err = zipf_order(bpf_map__fd(skel->maps.xdp_flood_order), (__u32)n, zipf);
		if (err) {
			pr_warn("drawing the destinations: %s\n", strerror(-err));
			goto cleanup;
		}
	}
	prog_fd = bpf_program__fd(skel->progs.xdp_flood);
	/*
	 * Every test_run of an XDP program puts it into the kernel's XDP
	 * dispatcher and takes it out again (bpf_prog_test_run_xdp ->
	 * bpf_prog_change_xdp), each a synchronize_rcu() when the program is
	 * not there already: tens of milliseconds per call in a nested VM,
	 * when no frame is sent. Attached to a device (a link, gone with the
	 * process), the program stays in the dispatcher and a call costs
	 * only its frames. Without it the generator still works, in bursts.
	 */
	skel->links.xdp_flood = bpf_program__attach_xdp(skel->progs.xdp_flood, ifindex);
	if (!skel->links.xdp_flood)
		pr_warn("attaching to %s failed (%s): test_run calls will be slow\n", argv[0],
			strerror(errno));

	/* The template with a real destination, as the kernel wants a frame. */
	memcpy(frame + (v6 ? XDP_FLOOD_DST6 : XDP_FLOOD_DST4), last, 4);
	opts.data_in = frame;
	opts.data_size_in = (__u32)len;
	opts.repeat = (__u32)repeat;
	opts.batch_size = (__u32)batch;

	/* test_run gives up at a pending signal (EINTR); the handler only notes it. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	counted = !xmit_counter(fd, argv[0], &acc0);
	/* Bounded by time, and by count in case the clock misbehaves. */
	max_calls = (__u64)(secs * 1e6);
	t0 = now();
	end = t0 + secs;
	for (calls = 0; calls < max_calls && !stop && now() < end; calls++) {
		err = bpf_prog_test_run_opts(prog_fd, &opts);
		if (err == -EINTR)
			break;	/* a signal: report what was sent */
		if (err) {
			pr_warn("BPF_PROG_TEST_RUN: %s\n", strerror(-err));
			goto cleanup;
		}
		ns_sum += opts.duration;
	}
	t1 = now();
	counted = counted && !xmit_counter(fd, argv[0], &acc1);
	printf("%llu %lld %.4f %llu\n", (unsigned long long)skel->bss->frames,
	       counted ? (long long)(acc1 - acc0) : -1LL, t1 - t0,
	       (unsigned long long)(calls ? ns_sum / calls : 0));
	err = 0;
cleanup:
	xdp_flood__destroy(skel);
	close(fd);
	return err ? 1 : 0;
}
