// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of the TC classifier bpfroute_steer, in the manner of Katran's
 * BPF_PROG_TEST_RUN fixtures: each case crafts an input frame, states the
 * verdict, the frame that must leave the program and the map effects, and
 * checks all three.
 *
 * Every subtest loads a fresh skeleton, so subtests share no map state. The
 * whole binary runs in a network namespace of its own (unshare at the start
 * of main): BPF_PROG_TEST_RUN for SCHED_CLS runs eth_type_trans() against
 * the loopback device of the caller's namespace (bpf_prog_test_run_skb() in
 * net/bpf/test_run.c), and lo's MAC is 00:00:00:00:00:00 in every namespace.
 * So a frame to the all-zero MAC is PACKET_HOST and another unicast MAC gives
 * PACKET_OTHERHOST. ff:ff:ff:ff:ff:ff gives PACKET_MULTICAST, not
 * PACKET_BROADCAST: lo's broadcast address is 00:00:00:00:00:00 too, and
 * eth_skb_pkt_type() calls a group address PACKET_BROADCAST only when it
 * equals dev->broadcast. lo stays down: the subtest test_run_pkt_type checks
 * all of this, with lo down and up.
 *
 * test_run (6.18 here) refuses with -EINVAL an IPv4 frame with fewer than 20
 * bytes after the Ethernet header, and an IPv6 frame with fewer than 40:
 * such frames never reach the program through test_run. The truncated
 * subtest accepts either that refusal or the program's PASS_MALFORMED.
 *
 * test_run does not report bpf_redirect()'s target, so a test tells which
 * route won by which route entry's packets/bytes counters moved.
 *
 * Run as root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN for unshare); without
 * the privileges every subtest is skipped.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_abi.h"
#include "bpfroute_tc.skel.h"
/* UDP fixtures of this test have always gone to port 53 (learning is off). */
#define FRAMES_UDP_DPORT	53
#include "fixtures.h"
#include "frames.h"
#include "pkt.h"
#include "test.h"

TEST_STATE_DEFINE;

static const __u8 mac_other[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x02 };
static const __u8 mac_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const __u8 mac_mcast4[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const __u8 mac_mcast6[ETH_ALEN] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };

static bool in_private_netns;
/* Set when the kernel refuses us BPF: every subtest is skipped, quietly. */
static const char *skip_reason;

/* ---------------------------------------------------------------------------
 * Packet crafting
 */

/* The usual fixture: UDP to dst, don't-fragment, 32 bytes of payload. */
static void pkt_udp4(struct pkt *p, const char *dst, __u8 ttl)
{
	struct ip4_spec s = {
		.dst = dst, .ttl = ttl, .proto = IPPROTO_UDP, .frag_off = IP4_DF,
		.id = 0x1c46, .payload = 32,
	};

	pkt_ipv4(p, mac_us, &s);
}

static void pkt_udp6(struct pkt *p, const char *dst, __u8 hop_limit)
{
	struct ip6_spec s = {
		.dst = dst, .hop_limit = hop_limit, .proto = IPPROTO_UDP, .payload = 32,
	};

	pkt_ipv6(p, mac_us, &s);
}

/* ---------------------------------------------------------------------------
 * Maps
 */

static bool route_add(struct bpfroute_tc *skel, const char *prefix, __u32 ifindex)
{
	return fx_route_add(skel->obj, prefix, ifindex);
}

static bool bypass_add(struct bpfroute_tc *skel, const char *prefix)
{
	return fx_bypass_add(skel->obj, prefix);
}

static bool excl_add(struct bpfroute_tc *skel, const char *addr)
{
	return fx_excl_add(skel->obj, addr, BPFROUTE_EXCL_LOCAL);
}

#define MAX_ROUTES	16

struct route_snap {
	char prefix[INET6_ADDRSTRLEN + 8];	/* "203.0.113.0/24" */
	struct bpfroute_route val;
};

/* Every counter and every route entry at one moment. */
struct snapshot {
	__u64 stats[BPFROUTE_STAT_MAX];
	struct route_snap routes[MAX_ROUTES];
	int n_routes;
};

static bool snap_routes(int fd, int family, struct snapshot *s)
{
	struct bpfroute_key6 key, next;
	void *prev = NULL;
	char addr[INET6_ADDRSTRLEN];

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct route_snap *e = &s->routes[s->n_routes];

		if (!ASSERT_TRUE(s->n_routes < MAX_ROUTES, "fewer than MAX_ROUTES routes"))
			return false;
		if (!ASSERT_OK(bpf_map_lookup_elem(fd, &next, &e->val) ? -errno : 0,
			       "route lookup"))
			return false;
		/* key4 and key6 share the layout: prefixlen, then the address. */
		inet_ntop(family, next.addr, addr, sizeof(addr));
		snprintf(e->prefix, sizeof(e->prefix), "%s/%u", addr, next.prefixlen);
		s->n_routes++;
		key = next;
		prev = &key;
	}
	return true;
}

static bool snapshot(struct bpfroute_tc *skel, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	if (!percpu_sum(bpf_map__fd(skel->maps.bpfroute_stats), BPFROUTE_STAT_MAX, s->stats))
		return false;
	return snap_routes(bpf_map__fd(skel->maps.bpfroute_route4), AF_INET, s) &&
	       snap_routes(bpf_map__fd(skel->maps.bpfroute_route6), AF_INET6, s);
}

/*
 * Checks the effects between two snapshots: n packets of `bytes` in all,
 * counted in row stat (and BYTES_STEERED if steered), and on route entry
 * `route` if given; every other counter and route entry unmoved.
 */
static bool check_effects(const struct snapshot *a, const struct snapshot *b, int stat,
			  __u64 n, __u64 bytes, const char *route, const char *what)
{
	bool ok = true, found = false;
	char m[256];

	for (int i = 0; i < BPFROUTE_STAT_MAX; i++) {
		__u64 want = i == stat ? n : 0;

		if (i == BPFROUTE_STAT_BYTES_STEERED && stat == BPFROUTE_STAT_STEERED)
			want = bytes;
		ok &= ASSERT_EQ(b->stats[i] - a->stats[i], want,
				MSG(m, "%s: stats[%s] delta", what, stat_name(i)));
	}
	if (!ASSERT_EQ(b->n_routes, a->n_routes, MSG(m, "%s: number of routes", what)))
		return false;
	for (int i = 0; i < b->n_routes; i++) {
		const struct route_snap *x = &a->routes[i], *y = &b->routes[i];
		bool hit = route && !strcmp(y->prefix, route);

		if (!ASSERT_STREQ(y->prefix, x->prefix, MSG(m, "%s: route order", what)))
			return false;
		found |= hit;
		ok &= ASSERT_EQ(y->val.packets - x->val.packets, hit ? n : 0,
				MSG(m, "%s: route %s packets delta", what, y->prefix));
		ok &= ASSERT_EQ(y->val.bytes - x->val.bytes, hit ? bytes : 0,
				MSG(m, "%s: route %s bytes delta", what, y->prefix));
		ok &= ASSERT_EQ(y->val.ifindex, x->val.ifindex,
				MSG(m, "%s: route %s ifindex", what, y->prefix));
	}
	if (route)
		ok &= ASSERT_TRUE(found, MSG(m, "%s: route %s is in the table", what, route));
	return ok;
}

/* ---------------------------------------------------------------------------
 * Running the program
 */

/*
 * Runs one frame through the program and checks all of its effects: the
 * verdict, the frame that leaves, the counter row, and which route entry (if
 * any) counted it. A steered frame must leave as pkt_forwarded() makes it;
 * any other must leave byte for byte as it came.
 */
static bool verdict(struct bpfroute_tc *skel, const struct pkt *in, int stat, const char *route,
		    const char *what, bool may_be_refused)
{
	int prog_fd = bpf_program__fd(skel->progs.bpfroute_steer);
	struct snapshot before, after;
	struct pkt want, out;
	__u32 retval = ~0u, want_ret;
	bool ok = true;
	char m[256];
	int err;

	if (stat == BPFROUTE_STAT_STEERED) {
		pkt_forwarded(in, &want);
		want_ret = TC_ACT_REDIRECT;
	} else if (stat == BPFROUTE_STAT_DROP_TARGET_DOWN) {
		want = *in;
		want_ret = TC_ACT_SHOT;
	} else {
		want = *in;
		want_ret = TC_ACT_OK;
	}
	if (!snapshot(skel, &before))
		return false;
	err = run_once(prog_fd, in, &retval, &out);
	if (may_be_refused && err == -EINVAL) {
		printf("  info: %s: refused by test_run (-EINVAL), the program did not run\n",
		       what);
		return snapshot(skel, &after) &&
		       check_effects(&before, &after, BPFROUTE_STAT_MAX, 0, 0, NULL, what);
	}
	if (!ASSERT_OK(err, MSG(m, "%s: bpf_prog_test_run_opts", what)))
		return false;
	ok &= ASSERT_EQ(retval, want_ret,
			MSG(m, "%s: verdict (0 TC_ACT_OK, 2 TC_ACT_SHOT, 7 TC_ACT_REDIRECT)", what));
	ok &= expect_frame(&out, &want, what);
	if (!snapshot(skel, &after))
		return false;
	ok &= check_effects(&before, &after, stat, 1, in->len, route, what);
	return ok;
}

#define expect_steer(skel, in, route, what) \
	verdict(skel, in, BPFROUTE_STAT_STEERED, route, what, false)
#define expect_pass(skel, in, stat, what) verdict(skel, in, stat, NULL, what, false)
#define expect_drop(skel, in, stat, what) verdict(skel, in, stat, NULL, what, false)
/* A hit on a bypass prefix: untouched, counted on the bypass entry. */
#define expect_bypass(skel, in, route, what) \
	verdict(skel, in, BPFROUTE_STAT_PASS_BYPASS, route, what, false)
/* A frame this kernel's test_run may refuse before the program sees it. */
#define expect_truncated(skel, in, what) \
	verdict(skel, in, BPFROUTE_STAT_PASS_MALFORMED, NULL, what, true)

/*
 * Starts a subtest with a fresh skeleton: no routes, no exclusions, empty
 * learned tables, zero counters. Skips when the kernel refuses us the
 * privileges.
 */
static bool start(const char *name, struct bpfroute_tc **skel)
{
	char m[128];

	test__start_subtest(name);
	if (skip_reason) {
		test__skip(skip_reason);
		return false;
	}
	*skel = bpfroute_tc__open_and_load();
	if (*skel && ASSERT_OK(lt_setup((*skel)->obj), "making the learned tables"))
		return true;
	if (!*skel)
		ASSERT_OK(-errno, MSG(m, "bpfroute_tc__open_and_load: %s", strerror(errno)));
	bpfroute_tc__destroy(*skel);
	test__end_subtest();
	return false;
}

static void finish(struct bpfroute_tc *skel)
{
	bpfroute_tc__destroy(skel);
	test__end_subtest();
}

/* ---------------------------------------------------------------------------
 * The premise: what pkt_type eth_type_trans() gives under test_run
 */

/*
 * A program of two instructions that returns skb->pkt_type, so that the
 * premise is checked directly rather than through the program under test.
 */
static int load_pkt_type_probe(void)
{
	struct bpf_insn insns[] = {
		/* r0 = ((struct __sk_buff *)r1)->pkt_type */
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_1,
		  .off = offsetof(struct __sk_buff, pkt_type) },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "pkt_type_probe", "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), NULL);
}

static int lo_ioctl(unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return -errno;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "lo");
	err = ioctl(fd, req, ifr) ? -errno : 0;
	close(fd);
	return err;
}

static bool probe_pkt_types(int prog_fd, const char *state)
{
	static const struct {
		const __u8 *mac;
		__u32 want;
		const char *name;
	} cases[] = {
		{ mac_us, PACKET_HOST, "00:00:00:00:00:00 -> PACKET_HOST (0)" },
		{ mac_other, PACKET_OTHERHOST, "02:00:5e:10:00:02 -> PACKET_OTHERHOST (3)" },
		/* lo's broadcast address is all zero: see the top of the file. */
		{ mac_bcast, PACKET_MULTICAST, "ff:ff:ff:ff:ff:ff -> PACKET_MULTICAST (2)" },
		{ mac_mcast4, PACKET_MULTICAST, "01:00:5e:00:00:01 -> PACKET_MULTICAST (2)" },
		{ mac_mcast6, PACKET_MULTICAST, "33:33:00:00:00:01 -> PACKET_MULTICAST (2)" },
	};
	struct pkt in, out;
	bool ok = true;
	char m[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ip4_spec s = { .dst = "203.0.113.1", .ttl = 64, .proto = IPPROTO_UDP };
		__u32 retval = ~0u;

		pkt_ipv4(&in, cases[i].mac, &s);
		if (!ASSERT_OK(run_once(prog_fd, &in, &retval, &out), "probe test_run"))
			return false;
		ok &= ASSERT_EQ(retval, cases[i].want, MSG(m, "lo %s: %s", state, cases[i].name));
	}
	return ok;
}

static void test_run_pkt_type(void)
{
	static const __u8 zero[ETH_ALEN];
	struct ifreq ifr = {};
	int prog_fd;

	test__start_subtest("test_run_pkt_type");
	prog_fd = load_pkt_type_probe();
	if (prog_fd < 0) {
		if (errno == EPERM || errno == EACCES) {
			skip_reason = "loading BPF needs CAP_BPF and CAP_NET_ADMIN (run as root)";
			test__skip(skip_reason);
		} else {
			ASSERT_OK(-errno, "load pkt_type probe");
		}
		goto out;
	}
	if (!ASSERT_OK(lo_ioctl(SIOCGIFHWADDR, &ifr), "SIOCGIFHWADDR lo"))
		goto out;
	ASSERT_MEMEQ(ifr.ifr_hwaddr.sa_data, zero, ETH_ALEN, "lo's MAC is all zero");
	if (!ASSERT_OK(lo_ioctl(SIOCGIFFLAGS, &ifr), "SIOCGIFFLAGS lo"))
		goto out;
	probe_pkt_types(prog_fd, ifr.ifr_flags & IFF_UP ? "up" : "down");

	/* Only in our own namespace may lo's state be changed, and back. */
	if (in_private_netns && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ASSERT_OK(lo_ioctl(SIOCSIFFLAGS, &ifr), "bring lo up")) {
			probe_pkt_types(prog_fd, "up");
			ifr.ifr_flags &= ~IFF_UP;
			ASSERT_OK(lo_ioctl(SIOCSIFFLAGS, &ifr), "bring lo down again");
		}
	}
out:
	if (prog_fd >= 0)
		close(prog_fd);
	test__end_subtest();
}

/* ---------------------------------------------------------------------------
 * Hits and misses
 */

static void test_ipv4_hit(void)
{
	struct ip4_spec tcp = {
		.dst = "203.0.113.10", .ttl = 64, .proto = IPPROTO_TCP, .frag_off = IP4_DF,
		.id = 0x4321, .payload = 100,
	};
	struct bpfroute_tc *skel;
	struct pkt p;

	if (!start("ipv4_hit", &skel))
		return;
	if (!route_add(skel, "203.0.113.0/24", 11) || !route_add(skel, "198.51.100.0/24", 12))
		goto out;
	pkt_udp4(&p, "203.0.113.10", 64);
	expect_steer(skel, &p, "203.0.113.0/24", "udp to 203.0.113.10");
	pkt_ipv4(&p, mac_us, &tcp);
	expect_steer(skel, &p, "203.0.113.0/24", "tcp to 203.0.113.10");
out:
	finish(skel);
}

static void test_ipv4_miss(void)
{
	struct bpfroute_tc *skel;
	struct pkt p;

	if (!start("ipv4_miss", &skel))
		return;
	pkt_udp4(&p, "198.51.100.1", 64);
	expect_pass(skel, &p, BPFROUTE_STAT_MISS, "no route at all");
	if (!route_add(skel, "203.0.113.0/24", 11) || !route_add(skel, "2001:db8::/32", 12))
		goto out;
	expect_pass(skel, &p, BPFROUTE_STAT_MISS, "198.51.100.1 beside 203.0.113.0/24");
	pkt_udp4(&p, "203.0.112.255", 64);
	expect_pass(skel, &p, BPFROUTE_STAT_MISS, "203.0.112.255, just below the /24");
	pkt_udp4(&p, "203.0.114.0", 64);
	expect_pass(skel, &p, BPFROUTE_STAT_MISS, "203.0.114.0, just above the /24");
out:
	finish(skel);
}

static void test_ipv6_hit(void)
{
	struct ip6_spec tcp = {
		.dst = "2001:db8:1::10", .hop_limit = 64, .proto = IPPROTO_TCP, .payload = 100,
	};
	struct bpfroute_tc *skel;
	struct pkt p;

	if (!start("ipv6_hit", &skel))
		return;
	if (!route_add(skel, "2001:db8:1::/48", 21) || !route_add(skel, "2001:db8:2::/48", 22))
		goto out;
	pkt_udp6(&p, "2001:db8:1::10", 64);
	expect_steer(skel, &p, "2001:db8:1::/48", "udp to 2001:db8:1::10");
	pkt_ipv6(&p, mac_us, &tcp);
	expect_steer(skel, &p, "2001:db8:1::/48", "tcp to 2001:db8:1::10");
out:
	finish(skel);
}

static void test_ipv6_miss(void)
{
	struct bpfroute_tc *skel;
	struct pkt p;

	if (!start("ipv6_miss", &skel))
		return;
	pkt_udp6(&p, "2001:db8:3::1", 64);
	expect_pass(skel, &p, BPFROUTE_STAT_MISS, "no route at all");
	if (!route_add(skel, "2001:db8:1::/48", 21) || !route_add(skel, "203.0.113.0/24", 11))
		goto out;
	expect_pass(skel, &p, BPFROUTE_STAT_MISS, "2001:db8:3::1 beside 2001:db8:1::/48");
	pkt_udp6(&p, "2001:db8:0:ffff:ffff:ffff:ffff:ffff", 64);
	expect_pass(skel, &p, BPFROUTE_STAT_MISS, "just below the /48");
	pkt_udp6(&p, "2001:db8:2::", 64);
	expect_pass(skel, &p, BPFROUTE_STAT_MISS, "just above the /48");
out:
	finish(skel);
}

static void test_ipv4_longest_prefix_wins(void)
{
	static const struct {
		const char *dst, *route;
	} cases[] = {
		{ "203.0.113.200", "203.0.113.128/25" },
		{ "203.0.113.128", "203.0.113.128/25" },
		{ "203.0.113.255", "203.0.113.128/25" },
		{ "203.0.113.5", "203.0.113.0/24" },
		{ "203.0.113.127", "203.0.113.0/24" },
		{ "203.0.113.77", "203.0.113.77/32" },
		{ "198.51.100.1", "0.0.0.0/0" },
		{ "203.0.112.255", "0.0.0.0/0" },
	};
	struct bpfroute_tc *skel;
	struct pkt p;
	char m[128];

	if (!start("ipv4_longest_prefix_wins", &skel))
		return;
	if (!route_add(skel, "203.0.113.0/24", 11) || !route_add(skel, "203.0.113.128/25", 12) ||
	    !route_add(skel, "0.0.0.0/0", 13) || !route_add(skel, "203.0.113.77/32", 14))
		goto out;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pkt_udp4(&p, cases[i].dst, 64);
		expect_steer(skel, &p, cases[i].route, MSG(m, "to %s", cases[i].dst));
	}
out:
	finish(skel);
}

/*
 * Bypass prefixes among the routes: the longest prefix decides, whether a
 * route or a bypass. A bypass inside a route prefix passes its addresses
 * untouched (PASS_BYPASS, counted on the bypass entry); a route inside a
 * bypass prefix steers; the rest of the bypass passes, even with TTL 1 (the
 * packet is the stack's, which sends time exceeded as for any other).
 */
static void test_bypass_prefixes(void)
{
	static const struct {
		const char *dst, *prefix;
		bool steer;
	} cases[] = {
		{ "203.0.113.10", "203.0.113.0/24", true },
		{ "203.0.113.130", "203.0.113.128/25", false },	/* bypass inside the route */
		{ "203.0.113.200", "203.0.113.192/26", true },	/* route inside the bypass */
		{ "198.51.100.1", "198.51.100.0/24", false },	/* a bypass alone */
		{ "2001:db8:1::10", "2001:db8:1::/48", true },
		{ "2001:db8:1:7::10", "2001:db8:1:7::/64", false },
		{ "2001:db8:1:7::1:10", "2001:db8:1:7::1:0/112", true },
	};
	struct bpfroute_tc *skel;
	struct pkt p;
	char m[128];

	if (!start("bypass_prefixes", &skel))
		return;
	if (!route_add(skel, "203.0.113.0/24", 11) || !bypass_add(skel, "203.0.113.128/25") ||
	    !route_add(skel, "203.0.113.192/26", 12) || !bypass_add(skel, "198.51.100.0/24") ||
	    !route_add(skel, "2001:db8:1::/48", 21) || !bypass_add(skel, "2001:db8:1:7::/64") ||
	    !route_add(skel, "2001:db8:1:7::1:0/112", 22))
		goto out;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool v6 = strchr(cases[i].dst, ':');

		if (v6)
			pkt_udp6(&p, cases[i].dst, 64);
		else
			pkt_udp4(&p, cases[i].dst, 64);
		if (cases[i].steer)
			expect_steer(skel, &p, cases[i].prefix, MSG(m, "to %s", cases[i].dst));
		else
			expect_bypass(skel, &p, cases[i].prefix, MSG(m, "to %s", cases[i].dst));
	}
	pkt_udp4(&p, "203.0.113.131", 1);
	expect_bypass(skel, &p, "203.0.113.128/25", "TTL 1 inside the bypass");
	/* Not the bypass's: nothing covers it, a miss as ever. */
	pkt_udp4(&p, "192.0.2.10", 64);
	expect_pass(skel, &p, BPFROUTE_STAT_MISS, "to 192.0.2.10, no prefix");
out:
	finish(skel);
}

static void test_ipv6_longest_prefix_wins(void)
{
	static const struct {
		const char *dst, *route;
	} cases[] = {
		{ "2001:db8:1:8000::5", "2001:db8:1:8000::/49" },
		{ "2001:db8:1:ffff:ffff:ffff:ffff:ffff", "2001:db8:1:8000::/49" },
		{ "2001:db8:1::5", "2001:db8:1::/48" },
		{ "2001:db8:1:7fff::1", "2001:db8:1::/48" },
		{ "2001:db8:1:8000::77", "2001:db8:1:8000::77/128" },
		{ "2001:db8:2::1", "::/0" },
		{ "2001:db8::1", "::/0" },
	};
	struct bpfroute_tc *skel;
	struct pkt p;
	char m[128];

	if (!start("ipv6_longest_prefix_wins", &skel))
		return;
	if (!route_add(skel, "2001:db8:1::/48", 21) ||
	    !route_add(skel, "2001:db8:1:8000::/49", 22) || !route_add(skel, "::/0", 23) ||
	    !route_add(skel, "2001:db8:1:8000::77/128", 24))
		goto out;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pkt_udp6(&p, cases[i].dst, 64);
		expect_steer(skel, &p, cases[i].route, MSG(m, "to %s", cases[i].dst));
	}
out:
	finish(skel);
}

/* ---------------------------------------------------------------------------
 * TTL and hop limit (RFC 1812 section 5.3.1, RFC 8200 section 3)
 */

static void test_ipv4_ttl(const char *name, __u8 ttl)
{
	struct bpfroute_tc *skel;
	struct pkt p;
	char m[64];

	if (!start(name, &skel))
		return;
	if (!route_add(skel, "203.0.113.0/24", 11))
		goto out;
	pkt_udp4(&p, "203.0.113.10", ttl);
	if (ttl > 1) {
		struct pkt out;
		__u32 retval;

		expect_steer(skel, &p, "203.0.113.0/24", MSG(m, "ttl %u", ttl));
		/* Spelled out once: the frame leaves with TTL ttl - 1, header valid. */
		if (ASSERT_OK(run_once(bpf_program__fd(skel->progs.bpfroute_steer), &p, &retval,
				       &out), "test_run")) {
			ASSERT_EQ(out.data[ETH_HLEN + IP4_TTL], ttl - 1, "TTL that leaves");
			ASSERT_TRUE(ipv4_csum_valid(out.data + ETH_HLEN),
				    "header checksum that leaves sums to 0xffff");
		}
	} else {
		expect_pass(skel, &p, BPFROUTE_STAT_PASS_TTL, MSG(m, "ttl %u", ttl));
	}
out:
	finish(skel);
}

static void test_ipv6_hop_limit_1(void)
{
	struct bpfroute_tc *skel;
	struct pkt p;

	if (!start("ipv6_hop_limit_1", &skel))
		return;
	if (!route_add(skel, "2001:db8:1::/48", 21))
		goto out;
	pkt_udp6(&p, "2001:db8:1::10", 1);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_TTL, "hop limit 1");
	pkt_udp6(&p, "2001:db8:1::10", 0);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_TTL, "hop limit 0");
	pkt_udp6(&p, "2001:db8:1::10", 2);
	expect_steer(skel, &p, "2001:db8:1::/48", "hop limit 2 leaves with 1");
	pkt_udp6(&p, "2001:db8:1::10", 255);
	expect_steer(skel, &p, "2001:db8:1::/48", "hop limit 255 leaves with 254");
out:
	finish(skel);
}

/* ---------------------------------------------------------------------------
 * The IPv4 header checksum
 */

/* xorshift32: a fixed seed, so that a failure reproduces. */
static __u32 rnd_state = 0x2545f491;

static __u32 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/*
 * Sets the identification field so that the header checksum comes out as
 * `check`, and writes the checksum. In one's complement arithmetic the
 * identification must add up with the rest of the header to ~check.
 */
static bool ipv4_force_check(__u8 *iph, __u16 check)
{
	__u32 rest;

	put_be16(iph + IP4_ID, 0);
	rest = csum_fold(csum_add(0, iph, (iph[0] & 0x0f) * 4) - get_be16(iph + IP4_CHECK));
	put_be16(iph + IP4_ID, csum_fold((__u16)~check + (__u16)~rest));
	put_be16(iph + IP4_CHECK, check);
	return ipv4_csum(iph) == check;
}

/*
 * The incremental update adds 0x0100 to the checksum (RFC 1624). It wraps
 * past 0xffff when the checksum starts at 0xff00 or above; from 0xfeff it
 * reaches 0xffff, which must come out as 0x0000 (a computed header checksum
 * is never 0xffff: the version byte makes the sum non-zero). These cases are
 * forced; 2000 random headers, a quarter of them forced into the wrapping
 * range, cover the rest. Every output checksum is compared with one computed
 * from scratch.
 */
static void test_ipv4_checksum_edge(void)
{
	static const __u16 forced[] = {
		0xfeff, 0xff00, 0xff01, 0xff7f, 0xfffe, 0xfefe, 0x0000, 0x00ff, 0x0100, 0x7fff,
	};
	static const __u8 ttls[] = { 2, 3, 64, 128, 255 };
	int steered = 0, wrapped = 0, to_zero = 0;
	struct snapshot before, after;
	struct bpfroute_tc *skel;
	__u64 bytes = 0;
	struct pkt p;
	char m[256];
	__u8 *iph;

	if (!start("ipv4_checksum_edge", &skel))
		return;
	if (!route_add(skel, "0.0.0.0/0", 13) || !snapshot(skel, &before))
		goto out;

	for (size_t i = 0; i < sizeof(forced) / sizeof(forced[0]); i++) {
		for (size_t t = 0; t < sizeof(ttls); t++) {
			for (__u8 opt = 0; opt <= 4; opt += 4) {
				struct ip4_spec s = {
					.dst = "198.51.100.7", .ttl = ttls[t],
					.proto = IPPROTO_UDP, .opt_len = opt, .payload = 20,
				};

				pkt_ipv4(&p, mac_us, &s);
				iph = p.data + ETH_HLEN;
				snprintf(m, sizeof(m), "checksum %#06x ttl %u ihl %u", forced[i],
					 ttls[t], iph[0] & 0xf);
				if (!ASSERT_TRUE(ipv4_force_check(iph, forced[i]), "fixture") ||
				    !expect_steer(skel, &p, "0.0.0.0/0", m))
					goto out;
				steered++;
				bytes += p.len;
				wrapped += forced[i] >= 0xff00;
				to_zero += forced[i] == 0xfeff;
			}
		}
	}

	/*
	 * A checksum of 0xffff where 0x0000 was computed is still valid to a
	 * receiver (-0 == +0); the program must carry it on as from scratch.
	 */
	pkt_udp4(&p, "198.51.100.8", 64);
	iph = p.data + ETH_HLEN;
	if (!ASSERT_TRUE(ipv4_force_check(iph, 0x0000), "fixture: forced checksum 0x0000"))
		goto out;
	put_be16(iph + IP4_CHECK, 0xffff);
	if (!ASSERT_TRUE(ipv4_csum_valid(iph), "fixture: 0xffff for 0x0000 still valid") ||
	    !expect_steer(skel, &p, "0.0.0.0/0", "checksum 0xffff standing for 0x0000"))
		goto out;
	steered++;
	bytes += p.len;

	for (int i = 0; i < 2000; i++) {
		__u32 r = rnd();
		struct ip4_spec s = {
			.ttl = (__u8)(2 + r % 254),
			.proto = (r >> 8) & 1 ? IPPROTO_TCP : IPPROTO_UDP,
			.tos = (__u8)(r >> 9),
			.opt_len = (__u8)(((r >> 17) % 11) * 4),
			.payload = (__u16)((r >> 21) % 200),
		};
		__u16 check;
		char dst[INET_ADDRSTRLEN];
		__u32 a;

		/* A unicast destination the special rules leave alone. */
		do {
			a = rnd();
		} while ((a >> 24) == 0 || (a >> 24) == 127 || (a >> 24) >= 224 ||
			 (a >> 16) == 0xa9fe);
		snprintf(dst, sizeof(dst), "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
			 (a >> 8) & 0xff, a & 0xff);
		s.dst = dst;
		r = rnd();
		s.id = (__u16)r;
		s.frag_off = (__u16)(r >> 16) & (IP4_DF | IP4_MF | 0x1fff);
		pkt_ipv4(&p, mac_us, &s);
		iph = p.data + ETH_HLEN;
		for (int o = 20; o < s.opt_len + 20; o++)
			iph[o] = (__u8)rnd();
		put_be16(iph + IP4_CHECK, ipv4_csum(iph));
		if (i % 4 == 0) {
			check = (__u16)(0xff00 + rnd() % 0xff);
			if (i % 64 == 0)
				check = 0xfeff;
			if (!ASSERT_TRUE(ipv4_force_check(iph, check),
					 MSG(m, "fixture %d: forced checksum %#06x", i, check)))
				goto out;
		}
		check = get_be16(iph + IP4_CHECK);
		snprintf(m, sizeof(m), "random header %d (dst %s ttl %u ihl %u checksum %#06x)",
			 i, dst, s.ttl, iph[0] & 0xf, check);
		if (!expect_steer(skel, &p, "0.0.0.0/0", m))
			goto out;
		steered++;
		bytes += p.len;
		wrapped += check >= 0xff00;
		to_zero += check == 0xfeff;
	}

	if (!snapshot(skel, &after))
		goto out;
	check_effects(&before, &after, BPFROUTE_STAT_STEERED, steered, bytes, "0.0.0.0/0",
		      "all headers");
	ASSERT_TRUE(wrapped >= 400, MSG(m, "%d headers wrapped past 0xffff, want >= 400",
					wrapped));
	ASSERT_TRUE(to_zero >= 30, MSG(m, "%d headers came to 0x0000, want >= 30", to_zero));
	printf("  info: %d headers steered, %d wrapped past 0xffff, %d came to 0x0000\n",
	       steered, wrapped, to_zero);
out:
	finish(skel);
}

static void test_ipv4_options(void)
{
	struct ip4_spec s = {
		.dst = "203.0.113.10", .ttl = 64, .proto = IPPROTO_UDP, .frag_off = IP4_DF,
		.id = 0x0101, .opt_len = 4, .payload = 16,
	};
	struct bpfroute_tc *skel;
	struct pkt p, out;
	__u32 retval;

	if (!start("ipv4_options", &skel))
		return;
	if (!route_add(skel, "203.0.113.0/24", 11))
		goto out;
	pkt_ipv4(&p, mac_us, &s);
	if (!ASSERT_EQ(p.data[ETH_HLEN] & 0xf, 6, "fixture: IHL"))
		goto out;
	expect_steer(skel, &p, "203.0.113.0/24", "IHL 6, router alert option");
	s.opt_len = 40;
	pkt_ipv4(&p, mac_us, &s);
	expect_steer(skel, &p, "203.0.113.0/24", "IHL 15");
	if (ASSERT_OK(run_once(bpf_program__fd(skel->progs.bpfroute_steer), &p, &retval, &out),
		      "test_run"))
		ASSERT_TRUE(ipv4_csum_valid(out.data + ETH_HLEN),
			    "IHL 15: checksum over 60 bytes sums to 0xffff");
out:
	finish(skel);
}

/* ---------------------------------------------------------------------------
 * What is passed on untouched
 */

static void test_non_ip(void)
{
	struct bpfroute_tc *skel;
	struct pkt p;
	__u8 *b;

	if (!start("non_ip", &skel))
		return;
	if (!route_add(skel, "0.0.0.0/0", 13) || !route_add(skel, "::/0", 23))
		goto out;
	pkt_arp(&p, mac_us);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_NOT_IP, "ARP request");
	/* LLDP (IEEE 802.1AB): its own ethertype and multicast MAC. */
	pkt_eth(&p, (const __u8[]){ 0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e }, 0x88cc);
	b = pkt_put(&p, NULL, 32);
	b[0] = 0x02;
	b[1] = 0x07;
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_NOT_IP, "LLDP");
	/* MPLS carrying what looks like an IPv4 header: still not IP. */
	pkt_udp4(&p, "203.0.113.10", 64);
	put_be16(p.data + 2 * ETH_ALEN, 0x8847);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_NOT_IP, "MPLS ethertype");
out:
	finish(skel);
}

static void test_ipv4_fragments(void)
{
	struct ip4_spec first = {
		.dst = "203.0.113.10", .ttl = 64, .proto = IPPROTO_UDP, .frag_off = IP4_MF,
		.id = 0xbeef, .payload = 1472,
	};
	struct ip4_spec later = first;
	struct bpfroute_tc *skel;
	struct pkt p;

	if (!start("ipv4_fragments", &skel))
		return;
	if (!route_add(skel, "203.0.113.0/24", 11))
		goto out;
	/* Steering needs only the destination, which every fragment carries. */
	pkt_ipv4(&p, mac_us, &first);
	expect_steer(skel, &p, "203.0.113.0/24", "first fragment (MF, offset 0)");
	later.frag_off = IP4_MF | 185;		/* 1480 bytes in */
	later.payload = 1480;
	pkt_ipv4(&p, mac_us, &later);
	expect_steer(skel, &p, "203.0.113.0/24", "middle fragment (MF, offset 185)");
	later.frag_off = 370;
	later.payload = 100;
	pkt_ipv4(&p, mac_us, &later);
	expect_steer(skel, &p, "203.0.113.0/24", "last fragment (offset 370, no L4 header)");
out:
	finish(skel);
}

static void test_ipv6_extension_headers(void)
{
	struct ip6_spec s = {
		.dst = "2001:db8:1::10", .hop_limit = 64, .proto = IPPROTO_UDP, .payload = 24,
		.ext = true,
	};
	struct bpfroute_tc *skel;
	struct pkt p;

	if (!start("ipv6_extension_headers", &skel))
		return;
	if (!route_add(skel, "2001:db8:1::/48", 21))
		goto out;
	pkt_ipv6(&p, mac_us, &s);
	if (!ASSERT_EQ(p.data[ETH_HLEN + IP6_NEXT], NH_HOPOPTS, "fixture: next header"))
		goto out;
	expect_steer(skel, &p, "2001:db8:1::/48", "hop-by-hop, routing, fragment, dst opts, UDP");
	s.proto = IPPROTO_TCP;
	pkt_ipv6(&p, mac_us, &s);
	expect_steer(skel, &p, "2001:db8:1::/48", "hop-by-hop, routing, fragment, dst opts, TCP");
	pkt_ipv6(&p, mac_us, &s);
	p.data[ETH_HLEN + IP6_HOP_LIMIT] = 1;
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_TTL, "extension headers, hop limit 1");
out:
	finish(skel);
}

static void test_truncated(void)
{
	struct bpfroute_tc *skel;
	struct pkt p, out;
	__u32 retval;
	int err;

	if (!start("truncated", &skel))
		return;
	if (!route_add(skel, "0.0.0.0/0", 13) || !route_add(skel, "::/0", 23))
		goto out;

	/* test_run itself refuses a frame shorter than ETH_HLEN (bpf_test_init()). */
	pkt_udp4(&p, "203.0.113.10", 64);
	p.len = 10;
	err = run_once(bpf_program__fd(skel->progs.bpfroute_steer), &p, &retval, &out);
	ASSERT_EQ(err, -EINVAL, "test_run of a 10-byte frame (-EINVAL expected)");

	pkt_eth(&p, mac_us, ETH_P_IP);
	expect_truncated(skel, &p, "IPv4 ethertype, no IP header");
	pkt_udp4(&p, "203.0.113.10", 64);
	p.len = ETH_HLEN + 19;
	expect_truncated(skel, &p, "19 bytes of IPv4 header");
	pkt_eth(&p, mac_us, ETH_P_IPV6);
	expect_truncated(skel, &p, "IPv6 ethertype, no IP header");
	pkt_udp6(&p, "2001:db8:1::10", 64);
	p.len = ETH_HLEN + 39;
	expect_truncated(skel, &p, "39 bytes of IPv6 header");

	pkt_udp4(&p, "203.0.113.10", 64);
	p.data[ETH_HLEN] = 0x65;		/* version 6 in an IPv4 frame */
	put_be16(p.data + ETH_HLEN + IP4_CHECK, ipv4_csum(p.data + ETH_HLEN));
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_MALFORMED, "IPv4 header, version 6");
	pkt_udp4(&p, "203.0.113.10", 64);
	p.data[ETH_HLEN] = 0x44;		/* IHL 4: shorter than the fixed header */
	put_be16(p.data + ETH_HLEN + IP4_CHECK, 0);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_MALFORMED, "IPv4 header, IHL 4");
	p.data[ETH_HLEN] = 0x40;		/* IHL 0 */
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_MALFORMED, "IPv4 header, IHL 0");
	pkt_udp6(&p, "2001:db8:1::10", 64);
	p.data[ETH_HLEN] = 0x45;		/* version 4 in an IPv6 frame */
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_MALFORMED, "IPv6 header, version 4");
out:
	finish(skel);
}

/*
 * An IHL that claims more header than the frame holds: PASS_MALFORMED is
 * "header shorter than it claims" (include/bpfroute_abi.h), and the stack,
 * which a redirect bypasses, would drop it (ip_rcv_core(): pskb_may_pull of
 * ihl * 4 fails).
 */
static void test_ipv4_ihl_beyond_frame(void)
{
	struct bpfroute_tc *skel;
	struct pkt p;
	__u8 *iph;

	if (!start("ipv4_ihl_beyond_frame", &skel))
		return;
	if (!route_add(skel, "0.0.0.0/0", 13))
		goto out;
	pkt_udp4(&p, "203.0.113.10", 64);
	iph = p.data + ETH_HLEN;
	p.len = ETH_HLEN + 20;			/* the fixed header, nothing else */
	iph[0] = 0x4f;				/* IHL 15: 60 bytes claimed */
	put_be16(iph + IP4_TOT_LEN, 60);
	memset(p.data + p.len, 0, 40);		/* what ipv4_csum() reads past the frame */
	put_be16(iph + IP4_CHECK, ipv4_csum(iph));
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_MALFORMED, "IHL 15 in a 20-byte IP header");
out:
	finish(skel);
}

static void test_vlan_tagged(void)
{
	static const __u16 tpids[] = { ETH_P_8021Q, ETH_P_8021AD };
	struct bpfroute_tc *skel;
	struct pkt p, inner;
	char m[64];

	if (!start("vlan_tagged", &skel))
		return;
	if (!route_add(skel, "203.0.113.0/24", 11) || !route_add(skel, "2001:db8:1::/48", 21))
		goto out;
	for (size_t i = 0; i < sizeof(tpids) / sizeof(tpids[0]); i++) {
		__u8 *tag;

		/* dst MAC, src MAC, TPID, TCI (VLAN 100), then the inner ethertype. */
		pkt_udp4(&inner, "203.0.113.10", 64);
		pkt_eth(&p, mac_us, tpids[i]);
		tag = pkt_put(&p, NULL, 2);
		put_be16(tag, 100);
		pkt_put(&p, inner.data + 2 * ETH_ALEN, inner.len - 2 * ETH_ALEN);
		expect_pass(skel, &p, BPFROUTE_STAT_PASS_VLAN,
			    MSG(m, "TPID %#06x, VLAN 100, IPv4", tpids[i]));

		pkt_udp6(&inner, "2001:db8:1::10", 64);
		pkt_eth(&p, mac_us, tpids[i]);
		tag = pkt_put(&p, NULL, 2);
		put_be16(tag, 100);
		pkt_put(&p, inner.data + 2 * ETH_ALEN, inner.len - 2 * ETH_ALEN);
		expect_pass(skel, &p, BPFROUTE_STAT_PASS_VLAN,
			    MSG(m, "TPID %#06x, VLAN 100, IPv6", tpids[i]));
	}
	/* QinQ: an 802.1ad tag around an 802.1Q tag. */
	pkt_udp4(&inner, "203.0.113.10", 64);
	pkt_eth(&p, mac_us, ETH_P_8021AD);
	put_be16(pkt_put(&p, NULL, 2), 200);
	put_be16(pkt_put(&p, NULL, 2), ETH_P_8021Q);
	put_be16(pkt_put(&p, NULL, 2), 100);
	pkt_put(&p, inner.data + 2 * ETH_ALEN, inner.len - 2 * ETH_ALEN);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_VLAN, "QinQ, IPv4");
out:
	finish(skel);
}

static void test_not_for_us(void)
{
	static const struct {
		const __u8 *mac;
		const char *name;
	} macs[] = {
		{ mac_other, "another host's MAC" },
		{ mac_bcast, "broadcast MAC" },
		{ mac_mcast4, "IPv4 multicast MAC" },
		{ mac_mcast6, "IPv6 multicast MAC" },
	};
	struct ip4_spec s4 = { .dst = "203.0.113.10", .ttl = 64, .proto = IPPROTO_UDP };
	struct ip6_spec s6 = { .dst = "2001:db8:1::10", .hop_limit = 64, .proto = IPPROTO_UDP };
	struct bpfroute_tc *skel;
	struct pkt p;
	char m[64];

	if (!start("not_for_us", &skel))
		return;
	if (!route_add(skel, "203.0.113.0/24", 11) || !route_add(skel, "2001:db8:1::/48", 21))
		goto out;
	for (size_t i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
		pkt_ipv4(&p, macs[i].mac, &s4);
		expect_pass(skel, &p, BPFROUTE_STAT_PASS_NOT_FOR_US,
			    MSG(m, "IPv4, %s", macs[i].name));
		pkt_ipv6(&p, macs[i].mac, &s6);
		expect_pass(skel, &p, BPFROUTE_STAT_PASS_NOT_FOR_US,
			    MSG(m, "IPv6, %s", macs[i].name));
	}
	/* The same packets to our MAC are steered: the MAC alone made the difference. */
	pkt_ipv4(&p, mac_us, &s4);
	expect_steer(skel, &p, "203.0.113.0/24", "IPv4, our MAC");
	pkt_ipv6(&p, mac_us, &s6);
	expect_steer(skel, &p, "2001:db8:1::/48", "IPv6, our MAC");
out:
	finish(skel);
}

static void test_special_destinations(void)
{
	static const char *const special[] = {
		"224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1",
		"127.0.0.1", "127.255.255.254", "169.254.1.1", "169.254.255.255",
		"0.0.0.0", "0.1.2.3",
		"ff02::1", "ff0e::101", "fe80::1", "febf:ffff::1", "::1", "::",
	};
	static const char *const ordinary[] = {
		"198.51.100.1", "1.0.0.0", "126.255.255.255", "128.0.0.1", "169.253.255.255",
		"169.255.0.1", "223.255.255.255",
		"2001:db8::1", "fec0::1", "fe7f::1", "::2", "fe00::1",
	};
	struct bpfroute_tc *skel;
	struct pkt p;
	char m[64];

	if (!start("special_destinations", &skel))
		return;
	if (!route_add(skel, "0.0.0.0/0", 13) || !route_add(skel, "::/0", 23))
		goto out;
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		if (strchr(special[i], ':'))
			pkt_udp6(&p, special[i], 64);
		else
			pkt_udp4(&p, special[i], 64);
		expect_pass(skel, &p, BPFROUTE_STAT_PASS_SPECIAL, MSG(m, "to %s", special[i]));
	}
	for (size_t i = 0; i < sizeof(ordinary) / sizeof(ordinary[0]); i++) {
		bool v6 = strchr(ordinary[i], ':');

		if (v6)
			pkt_udp6(&p, ordinary[i], 64);
		else
			pkt_udp4(&p, ordinary[i], 64);
		expect_steer(skel, &p, v6 ? "::/0" : "0.0.0.0/0", MSG(m, "to %s", ordinary[i]));
	}
out:
	finish(skel);
}

/* Rewrite the IPv4 source of a fixture and fix its header checksum. */
static void set_src4(struct pkt *p, const char *src)
{
	__u8 *ip = p->data + ETH_HLEN;

	parse_addr(AF_INET, src, ip + IP4_SADDR);
	put_be16(ip + IP4_CHECK, 0);
	put_be16(ip + IP4_CHECK, ipv4_csum(ip));
}

/*
 * What the stack checks before it forwards, and a redirect would skip: the
 * program passes such packets on (the stack drops them) instead of steering.
 */
static void test_router_checks(void)
{
	static const char *const martians4[] = { "127.0.0.1", "0.0.0.0", "224.0.0.5",
						  "255.255.255.255", "169.254.7.7" };
	static const char *const martians6[] = { "::1", "::", "fe80::1", "ff02::1",
						 "::ffff:192.0.2.1" };
	struct bpfroute_tc *skel;
	struct pkt p;
	char what[96];
	__u8 *ip;

	if (!start("router_checks", &skel))
		return;
	if (!route_add(skel, "0.0.0.0/0", 13) || !route_add(skel, "::/0", 23))
		goto out;

	pkt_udp4(&p, "203.0.113.7", 64);
	ip = p.data + ETH_HLEN;
	put_be16(ip + IP4_CHECK, get_be16(ip + IP4_CHECK) ^ 0x0100);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_MALFORMED, "bad IPv4 header checksum");

	pkt_udp4(&p, "203.0.113.7", 64);
	ip = p.data + ETH_HLEN;
	put_be16(ip + IP4_TOT_LEN, (__u16)(p.len - ETH_HLEN + 1));
	put_be16(ip + IP4_CHECK, 0);
	put_be16(ip + IP4_CHECK, ipv4_csum(ip));
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_MALFORMED, "IPv4 tot_len beyond the frame");

	pkt_udp4(&p, "203.0.113.7", 64);
	ip = p.data + ETH_HLEN;
	put_be16(ip + IP4_TOT_LEN, 19);
	put_be16(ip + IP4_CHECK, 0);
	put_be16(ip + IP4_CHECK, ipv4_csum(ip));
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_MALFORMED, "IPv4 tot_len shorter than the header");

	/* Ethernet padding after a short datagram is fine: tot_len < frame. */
	pkt_udp4(&p, "203.0.113.7", 64);
	pkt_put(&p, NULL, 6);
	expect_steer(skel, &p, "0.0.0.0/0", "IPv4 with Ethernet padding");

	pkt_udp6(&p, "2001:db8:9::7", 64);
	put_be16(p.data + ETH_HLEN + IP6_PLEN, (__u16)(p.len - ETH_HLEN - IP6_HLEN + 1));
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_MALFORMED, "IPv6 payload_len beyond the frame");

	for (size_t i = 0; i < sizeof(martians4) / sizeof(martians4[0]); i++) {
		pkt_udp4(&p, "203.0.113.7", 64);
		set_src4(&p, martians4[i]);
		expect_pass(skel, &p, BPFROUTE_STAT_PASS_SPECIAL,
			    MSG(what, "IPv4 source %s", martians4[i]));
	}
	for (size_t i = 0; i < sizeof(martians6) / sizeof(martians6[0]); i++) {
		pkt_udp6(&p, "2001:db8:9::7", 64);
		parse_addr(AF_INET6, martians6[i], p.data + ETH_HLEN + IP6_SADDR);
		expect_pass(skel, &p, BPFROUTE_STAT_PASS_SPECIAL,
			    MSG(what, "IPv6 source %s", martians6[i]));
	}
	pkt_udp6(&p, "::ffff:203.0.113.7", 64);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_SPECIAL, "v4-mapped IPv6 destination");
out:
	finish(skel);
}

static void test_excluded(void)
{
	struct bpfroute_tc *skel;
	struct pkt p;

	if (!start("excluded", &skel))
		return;
	if (!route_add(skel, "0.0.0.0/0", 13) || !route_add(skel, "::/0", 23) ||
	    !route_add(skel, "203.0.113.0/24", 11) || !excl_add(skel, "203.0.113.1") ||
	    !excl_add(skel, "198.51.100.9") || !excl_add(skel, "2001:db8:1::1"))
		goto out;
	pkt_udp4(&p, "203.0.113.1", 64);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_EXCLUDED, "203.0.113.1 under its /24");
	pkt_udp4(&p, "198.51.100.9", 64);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_EXCLUDED, "198.51.100.9 under 0.0.0.0/0");
	pkt_udp6(&p, "2001:db8:1::1", 64);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_EXCLUDED, "2001:db8:1::1 under ::/0");
	/* Exclusions are exact addresses: the neighbours are steered. */
	pkt_udp4(&p, "203.0.113.2", 64);
	expect_steer(skel, &p, "203.0.113.0/24", "203.0.113.2 beside an exclusion");
	pkt_udp6(&p, "2001:db8:1::2", 64);
	expect_steer(skel, &p, "::/0", "2001:db8:1::2 beside an exclusion");
	/* The exclusion is consulted before the TTL (TTL 1 still counts EXCLUDED). */
	pkt_udp4(&p, "203.0.113.1", 1);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_EXCLUDED, "203.0.113.1 with TTL 1");
out:
	finish(skel);
}

/*
 * A target whose device is down (BPFROUTE_TARGET_F_DOWN): strict, the hit is
 * dropped and counted, the frame as it came (TTL untouched), the route's
 * counters unmoved; with F_FALLBACK (`strict no`) it goes on to the stack as
 * it came, counted as PASS_TARGET_DOWN. Up again, it is steered. The
 * checks before it (TTL, exclusions) come first, as for a live target.
 */
static void test_target_down(void)
{
	static const struct {
		const char *dst;
		const char *route;
		__u32 ifindex;
	} cases[] = {
		{ "203.0.113.10", "203.0.113.0/24", 11 },
		{ "2001:db8:1::10", "2001:db8:1::/48", 21 },
	};
	struct bpfroute_tc *skel;
	struct bpf_object *obj;
	struct pkt p;
	char m[128];

	if (!start("target_down", &skel))
		return;
	obj = skel->obj;
	if (!route_add(skel, "203.0.113.0/24", 11) || !route_add(skel, "2001:db8:1::/48", 21) ||
	    !route_add(skel, "198.51.100.0/24", 12) || !excl_add(skel, "203.0.113.1") ||
	    !fx_target_set(obj, 12, 0))
		goto out;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *dst = cases[i].dst;
		__u32 ifx = cases[i].ifindex;
		bool v4 = !strchr(dst, ':');

		if (v4)
			pkt_udp4(&p, dst, 64);
		else
			pkt_udp6(&p, dst, 64);
		if (!fx_target_set(obj, ifx, BPFROUTE_TARGET_F_DOWN))
			goto out;
		expect_drop(skel, &p, BPFROUTE_STAT_DROP_TARGET_DOWN, MSG(m, "%s, strict, down", dst));
		if (!fx_target_set(obj, ifx, BPFROUTE_TARGET_F_DOWN | BPFROUTE_TARGET_F_FALLBACK))
			goto out;
		expect_pass(skel, &p, BPFROUTE_STAT_PASS_TARGET_DOWN,
			    MSG(m, "%s, strict no, down", dst));
		/* Not strict, but up: F_FALLBACK alone changes nothing. */
		if (!fx_target_set(obj, ifx, BPFROUTE_TARGET_F_FALLBACK))
			goto out;
		expect_steer(skel, &p, cases[i].route, MSG(m, "%s, strict no, up", dst));
		if (!fx_target_set(obj, ifx, 0))
			goto out;
		expect_steer(skel, &p, cases[i].route, MSG(m, "%s, strict, up", dst));
		/* Down again: the TTL check comes first, the stack sends time exceeded. */
		if (!fx_target_set(obj, ifx, BPFROUTE_TARGET_F_DOWN))
			goto out;
		if (v4)
			pkt_udp4(&p, dst, 1);
		else
			pkt_udp6(&p, dst, 1);
		expect_pass(skel, &p, BPFROUTE_STAT_PASS_TTL, MSG(m, "%s, down, TTL 1", dst));
	}
	/* An excluded address stays excluded whatever the target's state. */
	pkt_udp4(&p, "203.0.113.1", 64);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_EXCLUDED, "203.0.113.1, target down");
	/* Only the down target's traffic: another target is steered. */
	pkt_udp4(&p, "198.51.100.5", 64);
	expect_steer(skel, &p, "198.51.100.0/24", "198.51.100.5 to a target that is up");
out:
	finish(skel);
}

/* UDP from src to dst, either family. */
static void pkt_from(struct pkt *p, const char *src, const char *dst)
{
	struct ip4_spec s4 = {
		.src = src, .dst = dst, .ttl = 64, .frag_off = IP4_DF, .id = 0x0c11, .payload = 32,
	};
	struct ip6_spec s6 = { .src = src, .dst = dst, .hop_limit = 64, .payload = 32 };

	if (strchr(dst, ':'))
		pkt_ipv6(p, mac_us, &s6);
	else
		pkt_ipv4(p, mac_us, &s4);
}

/*
 * Client groups: a prefix route of a group steers only sources in the
 * group's prefixes (nested prefixes: the longest match carries the groups of
 * those covering it); other sources are passed on and counted; a route
 * without a group and the miss path are as ever; a reload moves the groups.
 */
static void test_client_groups(void)
{
	static const char *const groups[] = {
		"192.0.2.0/26 2001:db8:ffff::/48",	/* 1 */
		"192.0.2.0/24",				/* 2: covers 1's /26 */
		"192.0.2.1",				/* 3: inside both */
	};
	static const char *const reloaded[] = { "192.0.2.64/26" };
	struct bpfroute_tc *skel;
	struct pkt p;

	if (!start("client_groups", &skel))
		return;
	if (!fx_clients(skel->obj, groups, 3, false) ||
	    !fx_route_add_for(skel->obj, "203.0.113.0/24", 11, 1) ||
	    !fx_route_add_for(skel->obj, "198.51.100.0/24", 12, 2) ||
	    !route_add(skel, "100.64.0.0/10", 13) ||
	    !fx_route_add_for(skel->obj, "2001:db8:1::/48", 21, 1) ||
	    !fx_route_add_for(skel->obj, "2001:db8:2::/48", 22, 2))
		goto out;
	pkt_from(&p, "192.0.2.5", "203.0.113.10");
	expect_steer(skel, &p, "203.0.113.0/24", "group 1's route from its /26");
	pkt_from(&p, "192.0.2.100", "203.0.113.10");
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_NOT_CLIENT, "group 1's route from group 2 only");
	pkt_from(&p, "192.0.2.100", "198.51.100.10");
	expect_steer(skel, &p, "198.51.100.0/24", "group 2's route from its /24");
	/* 192.0.2.1's longest match is group 3's /32: groups 1 and 2 are ORed into it. */
	pkt_from(&p, "192.0.2.1", "203.0.113.10");
	expect_steer(skel, &p, "203.0.113.0/24", "group 1's route from a nested /32");
	pkt_from(&p, "192.0.2.1", "198.51.100.10");
	expect_steer(skel, &p, "198.51.100.0/24", "group 2's route from a nested /32");
	pkt_from(&p, "198.51.100.99", "203.0.113.10");
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_NOT_CLIENT, "group 1's route from no group");
	/* A route without a group steers every client; the miss path is unchanged. */
	pkt_from(&p, "198.51.100.99", "100.64.1.1");
	expect_steer(skel, &p, "100.64.0.0/10", "no group, from a source in no group");
	pkt_from(&p, "192.0.2.5", "100.64.1.1");
	expect_steer(skel, &p, "100.64.0.0/10", "no group, from a source in a group");
	pkt_from(&p, "192.0.2.5", "192.0.2.200");
	expect_pass(skel, &p, BPFROUTE_STAT_MISS, "no route, from a group's source");
	pkt_from(&p, "198.51.100.99", "192.0.2.200");
	expect_pass(skel, &p, BPFROUTE_STAT_MISS, "no route, from no group");
	/* IPv6: group 1 has a /48; group 2 no IPv6 prefix at all. */
	pkt_from(&p, "2001:db8:ffff::1", "2001:db8:1::10");
	expect_steer(skel, &p, "2001:db8:1::/48", "IPv6: group 1's route from its /48");
	pkt_from(&p, "2001:db8:fffe::1", "2001:db8:1::10");
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_NOT_CLIENT, "IPv6: from beside the /48");
	pkt_from(&p, "2001:db8:ffff::1", "2001:db8:2::10");
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_NOT_CLIENT, "IPv6: group 2 has no IPv6 client");
	/* A reload: group 1 is now 192.0.2.64/26, groups 2 and 3 are gone. */
	if (!fx_clients(skel->obj, reloaded, 1, true))
		goto out;
	pkt_from(&p, "192.0.2.5", "203.0.113.10");
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_NOT_CLIENT, "after reload: the old /26");
	pkt_from(&p, "192.0.2.1", "203.0.113.10");
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_NOT_CLIENT, "after reload: group 3's /32 is gone");
	pkt_from(&p, "192.0.2.100", "203.0.113.10");
	expect_steer(skel, &p, "203.0.113.0/24", "after reload: the new /26");
	pkt_from(&p, "2001:db8:ffff::1", "2001:db8:1::10");
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_NOT_CLIENT, "after reload: the /48 is gone");
out:
	finish(skel);
}

static void test_counters(void)
{
	static const __u16 sizes4[] = { 0, 1, 18, 100, 555, 1472 };
	static const __u16 sizes6[] = { 0, 7, 1452 };
	struct snapshot before, after;
	struct bpfroute_tc *skel;
	__u64 bytes = 0;
	struct pkt p;
	char m[64];
	int n = 0;

	if (!start("counters", &skel))
		return;
	if (!route_add(skel, "203.0.113.0/24", 11) || !route_add(skel, "198.51.100.0/24", 12) ||
	    !route_add(skel, "2001:db8:1::/48", 21) || !snapshot(skel, &before))
		goto out;
	for (size_t i = 0; i < sizeof(sizes4) / sizeof(sizes4[0]); i++) {
		struct ip4_spec s = {
			.dst = "203.0.113.10", .ttl = 64, .proto = IPPROTO_UDP,
			.frag_off = IP4_DF, .payload = sizes4[i],
		};

		pkt_ipv4(&p, mac_us, &s);
		if (!expect_steer(skel, &p, "203.0.113.0/24", MSG(m, "%zu-byte frame", p.len)))
			goto out;
		n++;
		bytes += p.len;
	}
	if (!snapshot(skel, &after))
		goto out;
	check_effects(&before, &after, BPFROUTE_STAT_STEERED, n, bytes, "203.0.113.0/24",
		      "IPv4 frames of 6 sizes");
	printf("  info: %d IPv4 frames, %llu bytes on 203.0.113.0/24\n", n,
	       (unsigned long long)bytes);

	/* Passed frames are counted in their row and move no byte counter. */
	pkt_udp4(&p, "203.0.113.10", 1);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_TTL, "TTL 1");
	pkt_udp4(&p, "192.0.2.9", 64);
	expect_pass(skel, &p, BPFROUTE_STAT_MISS, "miss");
	pkt_arp(&p, mac_us);
	expect_pass(skel, &p, BPFROUTE_STAT_PASS_NOT_IP, "ARP");

	if (!snapshot(skel, &before))
		goto out;
	n = 0;
	bytes = 0;
	for (size_t i = 0; i < sizeof(sizes6) / sizeof(sizes6[0]); i++) {
		struct ip6_spec s = {
			.dst = "2001:db8:1::10", .hop_limit = 64, .proto = IPPROTO_UDP,
			.payload = sizes6[i],
		};

		pkt_ipv6(&p, mac_us, &s);
		if (!expect_steer(skel, &p, "2001:db8:1::/48", MSG(m, "%zu-byte frame", p.len)))
			goto out;
		n++;
		bytes += p.len;
	}
	if (snapshot(skel, &after))
		check_effects(&before, &after, BPFROUTE_STAT_STEERED, n, bytes, "2001:db8:1::/48",
			      "IPv6 frames of 3 sizes");
out:
	finish(skel);
}

/* ---------------------------------------------------------------------------
 * Timing (informational: printed, never asserted)
 */

static int run_repeat(int prog_fd, const struct pkt *in, __u32 repeat, __u32 *retval,
		      __u32 *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in->data,
		.data_size_in = (__u32)in->len,
		.repeat = repeat,
	);
	int err;

	err = bpf_prog_test_run_opts(prog_fd, &opts);
	*retval = opts.retval;
	*ns = opts.duration;
	return err;
}

/*
 * test_run runs every repetition on the same skb, so a steered frame's TTL
 * drops each time: with repeat=1000000 a TTL 64 frame is steered 63 times
 * and then passed by the TTL rule. The steady hit cost is measured apart,
 * with TTL 255 and 254 repetitions per call.
 */
static void test_run_timing(void)
{
	struct snapshot before, after;
	struct bpfroute_tc *skel;
	__u32 retval, ns, ns_miss, ns_ttl, calls = 4000;
	__u64 sum = 0;
	struct pkt p;
	int prog_fd;

	if (!start("test_run_timing", &skel))
		return;
	prog_fd = bpf_program__fd(skel->progs.bpfroute_steer);
	if (!route_add(skel, "203.0.113.0/24", 11))
		goto out;

	pkt_udp4(&p, "198.51.100.1", 64);
	if (!ASSERT_OK(run_repeat(prog_fd, &p, 1000000, &retval, &ns_miss), "miss x 1000000"))
		goto out;
	ASSERT_EQ(retval, TC_ACT_OK, "miss verdict");

	pkt_udp4(&p, "203.0.113.10", 64);
	if (!snapshot(skel, &before) ||
	    !ASSERT_OK(run_repeat(prog_fd, &p, 1000000, &retval, &ns_ttl), "hit x 1000000") ||
	    !snapshot(skel, &after))
		goto out;
	ASSERT_EQ(after.stats[BPFROUTE_STAT_STEERED] - before.stats[BPFROUTE_STAT_STEERED], 63,
		  "hit x 1000000: steered until TTL 1");
	ASSERT_EQ(after.stats[BPFROUTE_STAT_PASS_TTL] - before.stats[BPFROUTE_STAT_PASS_TTL],
		  1000000 - 63, "hit x 1000000: the rest passed by TTL");

	pkt_udp4(&p, "203.0.113.10", 255);
	for (__u32 i = 0; i < calls; i++) {
		if (!ASSERT_OK(run_repeat(prog_fd, &p, 254, &retval, &ns), "hit x 254"))
			goto out;
		sum += ns;
	}
	ASSERT_EQ(retval, TC_ACT_REDIRECT, "hit x 254: last verdict");
	printf("  info: test_run ns/run: miss %u (repeat 1000000); hit %llu (steady, %u x "
	       "repeat 254); hit then TTL pass %u (repeat 1000000, 63 steered)\n",
	       ns_miss, (unsigned long long)(sum / calls), calls, ns_ttl);
out:
	finish(skel);
}

/* ---------------------------------------------------------------------------
 * The target's MTU (bpf/mtu.h)
 *
 * These run last, on devices of their own in the test's namespace: a TUN
 * device as the target (an L3 device like WireGuard, MTU 1420) and a veth
 * as the LAN interface the frames arrive on (test_run's ctx ifindex), with
 * the addresses the ICMP errors' source comes from. Forwarding is on:
 * bpf_fib_lookup() answers FWD_DISABLED without it.
 */

#define MT_LAN		"mtlan0"
#define MT_TUN		"mttun0"
#define MT_LAN_MAC	"02:00:5e:10:00:fe"
#define MT_LAN4		"192.0.2.254"		/* SRC4's LAN */
#define MT_LAN6		"2001:db8:ffff::fe"	/* SRC6's LAN */
#define MT_MTU		1420

static __u32 mt_lan, mt_tun;
static __u8 mt_lan_mac[ETH_ALEN];

static bool mt_devices(void)
{
	if (mt_lan)
		return true;
	if (!in_private_netns) {
		test__skip("not in a network namespace of our own");
		return false;
	}
	if (!ASSERT_OK(sh("sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 "
			  "net.ipv6.conf.default.forwarding=1 && "
			  "ip link add " MT_LAN " address " MT_LAN_MAC " type veth peer name "
			  MT_LAN "p && ip link set " MT_LAN " up && ip link set " MT_LAN "p up && "
			  "ip addr add " MT_LAN4 "/24 dev " MT_LAN " && "
			  "ip addr add " MT_LAN6 "/64 dev " MT_LAN " nodad && "
			  "ip tuntap add dev " MT_TUN " mode tun && "
			  "ip link set " MT_TUN " mtu %d", MT_MTU),
		       "create " MT_LAN " and " MT_TUN))
		return false;
	mt_lan = if_nametoindex(MT_LAN);
	mt_tun = if_nametoindex(MT_TUN);
	sscanf(MT_LAN_MAC, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mt_lan_mac[0], &mt_lan_mac[1],
	       &mt_lan_mac[2], &mt_lan_mac[3], &mt_lan_mac[4], &mt_lan_mac[5]);
	return ASSERT_TRUE(mt_lan && mt_tun, "ifindexes of " MT_LAN " and " MT_TUN);
}

static bool mt_start(const char *name, struct bpfroute_tc **skel)
{
	if (!start(name, skel))
		return false;
	if (mt_devices() && route_add(*skel, "203.0.113.0/24", mt_tun) &&
	    route_add(*skel, "2001:db8:3::/48", mt_tun))
		return true;
	finish(*skel);
	return false;
}

/* One run of a frame arriving on the LAN veth: verdict and frame out. */
static bool mt_run(struct bpfroute_tc *skel, const struct pkt *in, __u32 *retval, struct pkt *out,
		   const char *what)
{
	struct __sk_buff ctx = { .ifindex = mt_lan };
	char m[256];

	return ASSERT_OK(run_skb(bpf_program__fd(skel->progs.bpfroute_steer), in, &ctx, retval,
				 out) ? -errno : 0, MSG(m, "%s: bpf_prog_test_run_opts", what));
}

/* Counter deltas: want[row] for the rows given, every other row unmoved. */
static bool mt_effects(const struct snapshot *a, const struct snapshot *b, const __u64 *want,
		       const char *what)
{
	bool ok = true;
	char m[256];

	for (int i = 0; i < BPFROUTE_STAT_MAX; i++)
		ok &= ASSERT_EQ(b->stats[i] - a->stats[i], want[i],
				MSG(m, "%s: stats[%s] delta", what, stat_name(i)));
	return ok;
}

/* A frame through, expecting verdict want_ret, frame want and counters. */
static bool mt_expect(struct bpfroute_tc *skel, const struct pkt *in, __u32 want_ret,
		      const struct pkt *want, const __u64 *stats, const char *what)
{
	struct snapshot before, after;
	__u32 retval = ~0u;
	struct pkt out;
	bool ok = true;
	char m[256];

	if (!snapshot(skel, &before) || !mt_run(skel, in, &retval, &out, what))
		return false;
	ok &= ASSERT_EQ(retval, want_ret, MSG(m, "%s: verdict (2 SHOT, 7 REDIRECT)", what));
	if (want)
		ok &= expect_frame(&out, want, what);
	return snapshot(skel, &after) && mt_effects(&before, &after, stats, what) && ok;
}

/* A SYN to 203.0.113.10 or 2001:db8:3::10 with these options. */
static void mt_syn(struct pkt *p, int family, const __u8 *opts, size_t n)
{
	if (family == 4) {
		struct ip4_spec s = { .dst = "203.0.113.10", .ttl = 64, .proto = IPPROTO_TCP,
				      .frag_off = IP4_DF, .payload = (__u16)n };

		pkt_ipv4(p, mt_lan_mac, &s);
	} else {
		struct ip6_spec s = { .dst = "2001:db8:3::10", .hop_limit = 64,
				      .proto = IPPROTO_TCP, .payload = (__u16)n };

		pkt_ipv6(p, mt_lan_mac, &s);
	}
	pkt_tcp_options(p, TCP_SYN, opts, n);
}

/* The options of a Linux SYN: MSS, SACK permitted, timestamps, NOP, window scale. */
static void mt_linux_opts(__u8 *o, __u16 mss)
{
	static const __u8 rest[] = { 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };

	o[0] = 2;
	o[1] = 4;
	put_be16(o + 2, mss);
	memcpy(o + 4, rest, sizeof(rest));
}

static void test_mss_clamp(int family)
{
	__u16 mss = family == 4 ? 1460 : 1440, want_mss = family == 4 ? 1380 : 1360;
	__u64 stats[BPFROUTE_STAT_MAX] = {};
	struct bpfroute_tc *skel;
	struct pkt in, want;
	__u8 opts[20];

	if (!mt_start(family == 4 ? "mss_clamp_ipv4" : "mss_clamp_ipv6", &skel))
		return;
	mt_linux_opts(opts, mss);
	mt_syn(&in, family, opts, sizeof(opts));
	/* Forwarded, its MSS MTU - 40 (IPv4) or MTU - 60 (IPv6), the checksum from scratch. */
	mt_linux_opts(opts, want_mss);
	mt_syn(&want, family, opts, sizeof(opts));
	pkt_forwarded(&want, &want);
	stats[BPFROUTE_STAT_STEERED] = 1;
	stats[BPFROUTE_STAT_BYTES_STEERED] = in.len;
	stats[BPFROUTE_STAT_MSS_CLAMPED] = 1;
	mt_expect(skel, &in, TC_ACT_REDIRECT, &want, stats, "SYN with MSS above the tunnel's");
	finish(skel);
}

static void test_mss_clamp_ipv4(void)
{
	test_mss_clamp(4);
}

static void test_mss_clamp_ipv6(void)
{
	test_mss_clamp(6);
}

/* SYNs left as they are: an MSS that fits, no MSS option, no options at all. */
static void test_mss_untouched(void)
{
	static const __u8 no_mss[] = { 1, 1, 4, 2, 1, 3, 3, 7 };
	/* MSS after a timestamp and no-ops: found, and lowered. */
	static const __u8 late_mss[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 2, 4, 0x05, 0xb4 };
	__u64 stats[BPFROUTE_STAT_MAX] = {};
	struct bpfroute_tc *skel;
	struct pkt in, want;
	__u8 opts[20];

	if (!mt_start("mss_untouched", &skel))
		return;
	stats[BPFROUTE_STAT_STEERED] = 1;

	mt_linux_opts(opts, 1200);
	mt_syn(&in, 4, opts, sizeof(opts));
	pkt_forwarded(&in, &want);
	stats[BPFROUTE_STAT_BYTES_STEERED] = in.len;
	mt_expect(skel, &in, TC_ACT_REDIRECT, &want, stats, "SYN with MSS 1200: below, kept");

	mt_syn(&in, 6, no_mss, sizeof(no_mss));
	pkt_forwarded(&in, &want);
	stats[BPFROUTE_STAT_BYTES_STEERED] = in.len;
	mt_expect(skel, &in, TC_ACT_REDIRECT, &want, stats, "SYN without an MSS option");

	mt_syn(&in, 4, NULL, 0);
	pkt_forwarded(&in, &want);
	stats[BPFROUTE_STAT_BYTES_STEERED] = in.len;
	mt_expect(skel, &in, TC_ACT_REDIRECT, &want, stats, "SYN without options");

	mt_syn(&in, 4, late_mss, sizeof(late_mss));
	memcpy(opts, late_mss, sizeof(late_mss));
	put_be16(opts + 14, MT_MTU - 40);
	mt_syn(&want, 4, opts, sizeof(late_mss));
	pkt_forwarded(&want, &want);
	stats[BPFROUTE_STAT_BYTES_STEERED] = in.len;
	stats[BPFROUTE_STAT_MSS_CLAMPED] = 1;
	mt_expect(skel, &in, TC_ACT_REDIRECT, &want, stats, "SYN with MSS 1460 after others");
	finish(skel);
}

/* A UDP datagram of l3len bytes to the tunnel's prefix, DF as asked. */
static void mt_big(struct pkt *p, int family, size_t l3len, bool df)
{
	if (family == 4) {
		struct ip4_spec s = { .dst = "203.0.113.10", .ttl = 64, .frag_off = df ? IP4_DF : 0,
				      .id = 0x1c46, .payload = (__u16)(l3len - 28) };

		pkt_ipv4(p, mt_lan_mac, &s);
	} else {
		struct ip6_spec s = { .dst = "2001:db8:3::10", .hop_limit = 64,
				      .payload = (__u16)(l3len - 48) };

		pkt_ipv6(p, mt_lan_mac, &s);
	}
}

/*
 * The error the gateway must send about in: from its LAN address to the
 * sender, the MTU, and as much of the packet as it came (TTL and all) as
 * RFC 1812 (576 bytes in all) or RFC 4443 (1280) allow; checksums from
 * scratch.
 */
static void mt_error(const struct pkt *in, int family, struct pkt *e)
{
	const __u8 *l3 = in->data + ETH_HLEN;
	size_t quote = family == 4 ? 576 - 28 : 1280 - 48;
	__u8 *h, *icmp;

	e->len = 0;
	pkt_eth(e, mac_peer, family == 4 ? ETH_P_IP : ETH_P_IPV6);
	memcpy(e->data + ETH_ALEN, mt_lan_mac, ETH_ALEN);	/* from the LAN interface */
	if (family == 4) {
		h = pkt_put(e, NULL, IP4_HLEN);
		h[0] = 0x45;
		h[1] = 0xc0;		/* internetwork control, as icmp_send() */
		put_be16(h + IP4_TOT_LEN, (__u16)(28 + quote));
		h[IP4_TTL] = 64;
		h[IP4_PROTO] = IPPROTO_ICMP;
		parse_addr(AF_INET, MT_LAN4, h + IP4_SADDR);
		memcpy(h + IP4_DADDR, l3 + IP4_SADDR, 4);
		put_be16(h + IP4_CHECK, ipv4_csum(h));
		icmp = pkt_put(e, NULL, 8);
		icmp[0] = 3;		/* destination unreachable */
		icmp[1] = 4;		/* fragmentation needed (RFC 1191) */
		put_be16(icmp + 6, MT_MTU);
		pkt_put(e, l3, quote);
		put_be16(icmp + 2, l4_csum(NULL, NULL, 0, IPPROTO_ICMP, icmp, 8 + quote));
	} else {
		h = pkt_put(e, NULL, IP6_HLEN);
		put_be32(h, 6u << 28);
		put_be16(h + IP6_PLEN, (__u16)(8 + quote));
		h[IP6_NEXT] = IPPROTO_ICMPV6;
		h[IP6_HOP_LIMIT] = 64;
		parse_addr(AF_INET6, MT_LAN6, h + IP6_SADDR);
		memcpy(h + IP6_DADDR, l3 + IP6_SADDR, 16);
		icmp = pkt_put(e, NULL, 8);
		icmp[0] = 2;		/* packet too big */
		put_be32(icmp + 4, MT_MTU);
		pkt_put(e, l3, quote);
		put_be16(icmp + 2, l4_csum(h + IP6_SADDR, h + IP6_DADDR, 16, IPPROTO_ICMPV6, icmp,
					   8 + quote));
	}
}

static void test_too_big(int family)
{
	__u64 stats[BPFROUTE_STAT_MAX] = {};
	struct bpfroute_tc *skel;
	struct pkt in, want;
	const __u8 *l3;

	if (!mt_start(family == 4 ? "too_big_ipv4" : "too_big_ipv6", &skel))
		return;
	/* The most that fits goes through. */
	mt_big(&in, family, MT_MTU, true);
	pkt_forwarded(&in, &want);
	stats[BPFROUTE_STAT_STEERED] = 1;
	stats[BPFROUTE_STAT_BYTES_STEERED] = in.len;
	mt_expect(skel, &in, TC_ACT_REDIRECT, &want, stats, "exactly the MTU");

	/* A byte more, and the error goes back out the LAN interface. */
	memset(stats, 0, sizeof(stats));
	mt_big(&in, family, MT_MTU + 1, true);
	mt_error(&in, family, &want);
	stats[BPFROUTE_STAT_TOO_BIG_ICMP] = 1;
	mt_expect(skel, &in, TC_ACT_REDIRECT, &want, stats, "a byte above the MTU, DF");

	/* The whole LAN MTU: the same error, and sound to a receiver's eyes. */
	mt_big(&in, family, 1500, true);
	mt_error(&in, family, &want);
	if (mt_expect(skel, &in, TC_ACT_REDIRECT, &want, stats, "1500 bytes, DF")) {
		l3 = want.data + ETH_HLEN;
		if (family == 4)
			ASSERT_TRUE(ipv4_csum_valid(l3) &&
				    l4_csum_valid(NULL, NULL, 0, IPPROTO_ICMP, l3 + 20, 556),
				    "IPv4 and ICMP checksums of the error verify");
		else
			ASSERT_TRUE(l4_csum_valid(l3 + IP6_SADDR, l3 + IP6_DADDR, 16,
						  IPPROTO_ICMPV6, l3 + 40, 1240),
				    "ICMPv6 checksum of the error verifies");
	}
	finish(skel);
}

static void test_too_big_ipv4(void)
{
	test_too_big(4);
}

static void test_too_big_ipv6(void)
{
	test_too_big(6);
}

/* IPv4 without DF: steered whole, counted; what becomes of it is the kernel's. */
static void test_too_big_no_df(void)
{
	__u64 stats[BPFROUTE_STAT_MAX] = {};
	struct bpfroute_tc *skel;
	struct pkt in, want;

	if (!mt_start("too_big_no_df", &skel))
		return;
	mt_big(&in, 4, 1500, false);
	pkt_forwarded(&in, &want);
	stats[BPFROUTE_STAT_STEERED] = 1;
	stats[BPFROUTE_STAT_BYTES_STEERED] = in.len;
	stats[BPFROUTE_STAT_TOO_BIG_NO_DF] = 1;
	mt_expect(skel, &in, TC_ACT_REDIRECT, &want, stats, "1500 bytes without DF");
	finish(skel);
}

/*
 * BPFROUTE_ICMP_BURST errors at once, then one per 1/BPFROUTE_ICMP_PER_SEC s:
 * the rest are dropped. One CPU, so one bucket; what the time the runs took
 * earned back is allowed for.
 */
static void test_too_big_ratelimit(void)
{
	const int n = BPFROUTE_ICMP_BURST + 20;
	struct snapshot before, after;
	struct bpfroute_tc *skel;
	struct timespec t0, t1;
	__u64 sent, dropped, earned, ns;
	struct pkt in, out;
	cpu_set_t cpus, old;
	__u32 retval;
	char m[256];

	if (!mt_start("too_big_ratelimit", &skel))
		return;
	if (!ASSERT_OK(sched_getaffinity(0, sizeof(old), &old) ? -errno : 0, "sched_getaffinity"))
		goto out;
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	if (!ASSERT_OK(sched_setaffinity(0, sizeof(cpus), &cpus) ? -errno : 0, "pin to one CPU"))
		goto out;
	mt_big(&in, 6, 1500, true);
	if (!snapshot(skel, &before))
		goto restore;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
		if (!mt_run(skel, &in, &retval, &out, "too big, again"))
			goto restore;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!snapshot(skel, &after))
		goto restore;
	sent = after.stats[BPFROUTE_STAT_TOO_BIG_ICMP] - before.stats[BPFROUTE_STAT_TOO_BIG_ICMP];
	dropped = after.stats[BPFROUTE_STAT_TOO_BIG_RATELIMITED] -
		  before.stats[BPFROUTE_STAT_TOO_BIG_RATELIMITED];
	ns = (__u64)(t1.tv_sec - t0.tv_sec) * 1000000000ULL + t1.tv_nsec - t0.tv_nsec;
	earned = ns / (1000000000ULL / BPFROUTE_ICMP_PER_SEC);
	printf("  info: %d too big in %llu us: %llu errors, %llu dropped\n", n,
	       (unsigned long long)(ns / 1000), (unsigned long long)sent,
	       (unsigned long long)dropped);
	ASSERT_EQ(sent + dropped, (__u64)n, "every one counted as an error or a drop");
	ASSERT_TRUE(sent >= BPFROUTE_ICMP_BURST, MSG(m, "a burst of %d sent (%llu)",
						    BPFROUTE_ICMP_BURST,
						    (unsigned long long)sent));
	ASSERT_TRUE(sent <= BPFROUTE_ICMP_BURST + earned + 1,
		    MSG(m, "no more than the burst and %llu earned (%llu)",
			(unsigned long long)earned, (unsigned long long)sent));
	ASSERT_EQ(after.stats[BPFROUTE_STAT_STEERED] - before.stats[BPFROUTE_STAT_STEERED], 0,
		  "none steered");
restore:
	sched_setaffinity(0, sizeof(old), &old);
out:
	finish(skel);
}

/* An ICMP error too big for the tunnel gets none back (RFC 1812 4.3.2.7). */
static void test_too_big_no_error_about_error(void)
{
	__u64 stats[BPFROUTE_STAT_MAX] = {};
	struct bpfroute_tc *skel;
	struct pkt in;
	__u8 *l3;

	if (!mt_start("too_big_no_error_about_error", &skel))
		return;
	mt_big(&in, 4, 1500, true);
	l3 = in.data + ETH_HLEN;
	l3[IP4_PROTO] = IPPROTO_ICMP;
	l3[20] = 3;	/* destination unreachable */
	l3[21] = 1;
	put_be16(l3 + IP4_CHECK, ipv4_csum(l3));
	stats[BPFROUTE_STAT_TOO_BIG_DROPPED] = 1;
	mt_expect(skel, &in, TC_ACT_SHOT, NULL, stats, "ICMP error above the MTU");
	finish(skel);
}

int main(int argc, char **argv)
{
	test__init(argc, argv);

	libbpf_set_print(libbpf_print);
	/*
	 * test_run classifies frames against lo of the caller's namespace; a
	 * namespace of our own keeps the host out of it.
	 */
	in_private_netns = private_netns();

	/* First: it also finds out whether we may load BPF at all. */
	RUN_TEST(test_run_pkt_type);
	RUN_TEST(test_ipv4_hit);
	RUN_TEST(test_ipv4_miss);
	RUN_TEST(test_ipv6_hit);
	RUN_TEST(test_ipv6_miss);
	RUN_TEST(test_ipv4_longest_prefix_wins);
	RUN_TEST(test_ipv6_longest_prefix_wins);
	RUN_TEST(test_bypass_prefixes);
	RUN_NAMED(test_ipv4_ttl, "ipv4_ttl_1", 1);
	RUN_NAMED(test_ipv4_ttl, "ipv4_ttl_0", 0);
	RUN_NAMED(test_ipv4_ttl, "ipv4_ttl_2", 2);
	RUN_TEST(test_ipv6_hop_limit_1);
	RUN_TEST(test_ipv4_checksum_edge);
	RUN_TEST(test_ipv4_options);
	RUN_TEST(test_non_ip);
	RUN_TEST(test_ipv4_fragments);
	RUN_TEST(test_ipv6_extension_headers);
	RUN_TEST(test_truncated);
	RUN_TEST(test_ipv4_ihl_beyond_frame);
	RUN_TEST(test_vlan_tagged);
	RUN_TEST(test_not_for_us);
	RUN_TEST(test_special_destinations);
	RUN_TEST(test_excluded);
	RUN_TEST(test_target_down);
	RUN_TEST(test_router_checks);
	RUN_TEST(test_client_groups);
	RUN_TEST(test_counters);
	RUN_TEST(test_run_timing);
	/* Last: they add devices to the namespace. */
	RUN_TEST(test_mss_clamp_ipv4);
	RUN_TEST(test_mss_clamp_ipv6);
	RUN_TEST(test_mss_untouched);
	RUN_TEST(test_too_big_ipv4);
	RUN_TEST(test_too_big_ipv6);
	RUN_TEST(test_too_big_no_df);
	RUN_TEST(test_too_big_ratelimit);
	RUN_TEST(test_too_big_no_error_about_error);
	return test__exit_status();
}
