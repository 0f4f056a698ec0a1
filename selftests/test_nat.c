// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of masquerade (bpf/nat.h): bpfroute_steer translating packets
 * steered to a masqueraded target, and bpfroute_unnat translating replies and
 * ICMP errors back, through BPF_PROG_TEST_RUN; then one round trip through
 * real devices, a TUN device as the L3 target and a veth pair as the LAN,
 * because test_run cannot show a program a packet of an L3 device.
 *
 * As in test_tc.c: a fresh skeleton per subtest, the binary in a network
 * namespace of its own, exact counter deltas on every row, and every
 * expected frame built from scratch by this file's packet builder, with
 * checksums summed from first principles (RFC 1071), never with the
 * program's incremental arithmetic.
 *
 * What test_run does (net/bpf/test_run.c, 6.18): for SCHED_CLS it always
 * builds an Ethernet frame (eth_type_trans() on lo, then the MAC header
 * pushed back), so skb->data is the MAC header and the network header is
 * 14 bytes in, as on an Ethernet device; skb->ifindex is lo's (1); a
 * redirect is only a verdict (TC_ACT_REDIRECT, 7), never carried out. The
 * subtest l3_device_round_trip covers what test_run cannot: an L3 device's
 * packets, bpf_redirect_neigh() resolving the client's MAC, and
 * bpf_redirect() into a TUN device.
 *
 * Run as root; without the privileges every subtest is skipped.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_abi.h"
#include "bpfroute_policy.h"
#include "bpfroute_tc.skel.h"
#include "fixtures.h"
#include "pkt.h"
#include "test.h"

TEST_STATE_DEFINE;


/* The target device: ifindex and its own addresses. */
#define TGT_IFINDEX	11
#define TGT4		"100.64.0.2"
#define TGT6		"2001:db8:99::2"
#define TGT4_NEW	"100.64.0.3"
/* Clients on the LAN, a remote service behind the tunnel, a router on the way. */
#define CLIENT_A4	"192.0.2.2"
#define CLIENT_B4	"192.0.2.3"
#define CLIENT_A6	"2001:db8:1::2"
#define CLIENT_B6	"2001:db8:1::3"
#define REMOTE4		"203.0.113.10"
#define REMOTE6		"2001:db8:3::10"
#define ROUTER4		"198.51.100.1"
#define ROUTER6		"2001:db8:99::1"
#define LO_IFINDEX	1	/* test_run's skb->ifindex: lo */

/* Where a new flow's port comes from when the client's own is taken. */
#define PORT_MIN	32768
#define PORT_MAX	60999

#define IPPROTO_GRE_	47


static bool in_private_netns;
static const char *skip_reason;

/* ---------------------------------------------------------------------------
 * Packet crafting, from scratch
 */

/* A flow's family (4 or 6) as the socket API spells it. */
#define AF(family) ((family) == 4 ? AF_INET : AF_INET6)

/* A packet of a flow, as a host would send it. */
struct flow {
	int family;		/* 4 or 6 */
	const char *src, *dst;
	__u8 proto;		/* TCP, UDP, ICMP, ICMPV6, or another (no L4 header built) */
	__u16 sport, dport;	/* host order; ICMP echo: sport is the identifier */
	__u8 icmp_type;		/* ICMP: echo request unless set */
	bool echo_reply;	/* ICMP: echo reply (type 0 or 129) */
	__u8 tcp_flags;
	__u8 ttl;
	__u16 frag_off;		/* IPv4, host order: 0 is don't-fragment */
	bool udp_nocsum;	/* IPv4 UDP without checksum */
	bool hopopts;		/* IPv6: a hop-by-hop header first */
	__u16 payload;
};

static bool is_icmp(__u8 proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* L4 offset of the port (or echo identifier) and of the checksum. */
static size_t csum_off(__u8 proto)
{
	return proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2;
}

/*
 * Builds an Ethernet frame of f with every length and checksum right.
 * Returns the offset of the L4 header.
 */
static size_t build(const struct flow *f, struct pkt *p)
{
	size_t alen = f->family == 4 ? 4 : 16, l3, l4, i;
	bool later_frag = f->family == 4 && (f->frag_off & 0x1fff);
	__u8 saddr[16], daddr[16], *ip, *h;

	parse_addr(AF(f->family), f->src, saddr);
	parse_addr(AF(f->family), f->dst, daddr);
	pkt_eth(p, mac_us, f->family == 4 ? ETH_P_IP : ETH_P_IPV6);
	l3 = p->len;
	ip = pkt_put(p, NULL, f->family == 4 ? IP4_HLEN : IP6_HLEN);
	if (f->family == 6 && f->hopopts) {
		h = pkt_put(p, NULL, 8);	/* PadN (RFC 8200 section 4.2) */
		h[0] = f->proto;
		h[2] = 1;
		h[3] = 4;
	}
	l4 = p->len;
	if (!later_frag) {
		if (f->proto == IPPROTO_TCP) {
			h = pkt_put(p, NULL, 20);
			put_be16(h, f->sport);
			put_be16(h + 2, f->dport);
			put_be32(h + 4, 0x01020304);
			put_be32(h + 8, f->tcp_flags & TCP_ACK ? 0x0a0b0c0d : 0);
			h[12] = 5 << 4;
			h[13] = f->tcp_flags;
			put_be16(h + 14, 0xfaf0);
		} else if (f->proto == IPPROTO_UDP) {
			h = pkt_put(p, NULL, 8);
			put_be16(h, f->sport);
			put_be16(h + 2, f->dport);
			put_be16(h + 4, (__u16)(8 + f->payload));
		} else if (is_icmp(f->proto)) {
			h = pkt_put(p, NULL, 8);
			if (f->echo_reply)
				h[0] = f->proto == IPPROTO_ICMP ? 0 : 129;
			else if (f->icmp_type)
				h[0] = f->icmp_type;
			else	/* echo request */
				h[0] = f->proto == IPPROTO_ICMP ? 8 : 128;
			put_be16(h + 4, f->sport);			/* identifier */
			put_be16(h + 6, 7);				/* sequence */
		} else if (f->proto == IPPROTO_GRE_) {
			h = pkt_put(p, NULL, 4);
			put_be16(h + 2, ETH_P_IP);
		}
	}
	for (i = 0; i < f->payload; i++)
		*pkt_put(p, NULL, 1) = (__u8)(i * 7 + 3);

	if (f->family == 4) {
		ip[0] = 0x45;
		put_be16(ip + 2, (__u16)(p->len - l3));
		put_be16(ip + 4, 0x1c46);
		put_be16(ip + 6, f->frag_off ? f->frag_off : 0x4000);
		ip[8] = f->ttl;
		ip[9] = f->proto;
		memcpy(ip + 12, saddr, 4);
		memcpy(ip + 16, daddr, 4);
	} else {
		put_be32(ip, 6u << 28 | 0x12345);
		put_be16(ip + 4, (__u16)(p->len - l3 - IP6_HLEN));
		ip[6] = f->hopopts ? 0 : f->proto;
		ip[7] = f->ttl;
		memcpy(ip + 8, saddr, 16);
		memcpy(ip + 24, daddr, 16);
	}
	if (!later_frag && (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP ||
			    is_icmp(f->proto)) && !(f->proto == IPPROTO_UDP && f->udp_nocsum))
		put_be16(p->data + l4 + csum_off(f->proto),
			 l4_csum(f->proto == IPPROTO_ICMP ? NULL : saddr, daddr, alen, f->proto,
				 p->data + l4, p->len - l4));
	if (f->family == 4)
		put_be16(ip + 10, ipv4_csum(ip));
	return l4;
}

/*
 * An ICMP error from src to dst quoting qlen bytes of an IP packet (RFC 792,
 * RFC 4443): type, code, and the 32 bits after the checksum (unused, or the
 * MTU of fragmentation needed / packet too big).
 */
static void build_icmp_error(struct pkt *p, int family, const char *src, const char *dst,
			     __u8 ttl, __u8 type, __u8 code, __u32 rest, const __u8 *quote,
			     size_t qlen)
{
	__u8 saddr[16], daddr[16], *ip, *icmp;
	size_t l4;

	parse_addr(AF(family), src, saddr);
	parse_addr(AF(family), dst, daddr);
	pkt_eth(p, mac_us, family == 4 ? ETH_P_IP : ETH_P_IPV6);
	ip = pkt_put(p, NULL, family == 4 ? IP4_HLEN : IP6_HLEN);
	l4 = p->len;
	icmp = pkt_put(p, NULL, 8);
	icmp[0] = type;
	icmp[1] = code;
	put_be32(icmp + 4, rest);
	pkt_put(p, quote, qlen);
	if (family == 4) {
		ip[0] = 0x45;
		put_be16(ip + 2, (__u16)(p->len - ETH_HLEN));
		put_be16(ip + 4, 0x0bad);
		ip[8] = ttl;
		ip[9] = IPPROTO_ICMP;
		memcpy(ip + 12, saddr, 4);
		memcpy(ip + 16, daddr, 4);
		put_be16(ip + 10, ipv4_csum(ip));
		put_be16(icmp + 2, l4_csum(NULL, NULL, 0, IPPROTO_ICMP, icmp, p->len - l4));
	} else {
		put_be32(ip, 6u << 28);
		put_be16(ip + 4, (__u16)(p->len - l4));
		ip[6] = IPPROTO_ICMPV6;
		ip[7] = ttl;
		memcpy(ip + 8, saddr, 16);
		memcpy(ip + 24, daddr, 16);
		put_be16(icmp + 2, l4_csum(saddr, daddr, 16, IPPROTO_ICMPV6, icmp, p->len - l4));
	}
}

/* The source port (or echo identifier) of a built frame, host order. */
static __u16 frame_sport(const struct pkt *p, const struct flow *f)
{
	size_t l4 = ETH_HLEN + (f->family == 4 ? IP4_HLEN : IP6_HLEN);

	return get_be16(p->data + l4 + (is_icmp(f->proto) ? 4 : 0));
}

/* The translations the tests expect, applied to a flow description. */
static struct flow translated_out(const struct flow *f, const char *addr, __u16 port)
{
	struct flow t = *f;

	t.src = addr;
	t.sport = port;
	t.ttl = f->ttl - 1;
	return t;
}

/* The reply of f from its remote to `to` (the target address), same TTL. */
static struct flow reply_of(const struct flow *f, const char *to, __u16 port, __u8 flags)
{
	struct flow r = *f;

	r.src = f->dst;
	r.dst = to;
	r.sport = is_icmp(f->proto) ? port : f->dport;
	r.dport = port;
	r.tcp_flags = flags;
	r.ttl = 64;
	r.echo_reply = is_icmp(f->proto);
	return r;
}

/* ---------------------------------------------------------------------------
 * Maps and counters
 */

struct stats {
	__u64 v[BPFROUTE_STAT_MAX];
};

static bool read_stats(struct bpfroute_tc *skel, struct stats *s)
{
	return percpu_sum(bpf_map__fd(skel->maps.bpfroute_stats), BPFROUTE_STAT_MAX, s->v);
}

/* Expected counter deltas: {row, n} pairs ending with {-1}; every other row 0. */
struct delta {
	int stat;
	__u64 n;
};

#define END { -1, 0 }

static bool check_deltas(const struct stats *a, const struct stats *b, const struct delta *d,
			 const char *what)
{
	__u64 want[BPFROUTE_STAT_MAX] = {};
	bool ok = true;
	char m[256];

	for (; d->stat >= 0; d++)
		want[d->stat] += d->n;
	for (int i = 0; i < BPFROUTE_STAT_MAX; i++)
		ok &= ASSERT_EQ(b->v[i] - a->v[i], want[i],
				MSG(m, "%s: stats[%s] delta", what, stat_name(i)));
	return ok;
}

static void flow_key(struct bpfroute_flow_key *k, int family, const char *saddr,
		     const char *daddr, __u16 sport, __u16 dport, __u8 proto)
{
	memset(k, 0, sizeof(*k));
	parse_addr(AF(family), saddr, k->saddr);
	parse_addr(AF(family), daddr, k->daddr);
	k->sport = htons(sport);
	k->dport = htons(dport);
	k->family = (__u8)family;
	k->proto = proto;
}

/* The nat_out key of a packet of f. */
static void out_key(struct bpfroute_flow_key *k, const struct flow *f)
{
	flow_key(k, f->family, f->src, f->dst, f->sport, is_icmp(f->proto) ? f->sport : f->dport,
		 f->proto);
}

/* The nat_in key of replies to f translated to addr, port. */
static void in_key(struct bpfroute_flow_key *k, const struct flow *f, const char *addr,
		   __u16 port)
{
	flow_key(k, f->family, f->dst, addr, is_icmp(f->proto) ? port : f->dport, port, f->proto);
}

static int lookup(struct bpf_map *map, const struct bpfroute_flow_key *k, struct bpfroute_nat *v)
{
	return bpf_map_lookup_elem(bpf_map__fd(map), k, v) ? -errno : 0;
}

static int map_entries(struct bpf_map *map)
{
	struct bpfroute_flow_key key, next;
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(bpf_map__fd(map), prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* Checks a NAT entry field by field; addr is a text address, port host order. */
static bool expect_entry(const struct bpfroute_nat *v, int family, const char *addr, __u16 port,
			 __u8 state, __u32 ifindex, __u64 packets, __u64 bytes, const char *what)
{
	__u8 want[16] = {};
	__u64 now = mono_ns();
	bool ok = true;
	char m[256];

	parse_addr(AF(family), addr, want);
	ok &= ASSERT_MEMEQ(v->addr, want, 16, MSG(m, "%s: addr is %s", what, addr));
	ok &= ASSERT_EQ(ntohs(v->port), port, MSG(m, "%s: port", what));
	ok &= ASSERT_EQ(v->state, state, MSG(m, "%s: state (1 new, 2 established, 3 closing)",
					      what));
	ok &= ASSERT_EQ(v->ifindex, ifindex, MSG(m, "%s: ifindex", what));
	ok &= ASSERT_EQ(v->packets, packets, MSG(m, "%s: packets", what));
	ok &= ASSERT_EQ(v->bytes, bytes, MSG(m, "%s: bytes", what));
	ok &= ASSERT_TRUE(v->last_seen_ns <= now && now - v->last_seen_ns < 10000000000ULL,
			  MSG(m, "%s: last_seen_ns within the last 10 s", what));
	return ok;
}

static bool route_add(struct bpfroute_tc *skel, const char *prefix, __u32 ifindex)
{
	return fx_route_add(skel->obj, prefix, ifindex);
}

/* The target device's entry: flags, and addresses (NULL: none of the family). */
static bool target_set(struct bpfroute_tc *skel, __u32 ifindex, __u32 flags, const char *a4,
		       const char *a6)
{
	struct bpfroute_target t = { .flags = flags };

	if (a4)
		parse_addr(AF_INET, a4, t.addr4);
	if (a6)
		parse_addr(AF_INET6, a6, t.addr6);
	return ASSERT_OK(bpf_map_update_elem(bpf_map__fd(skel->maps.bpfroute_target), &ifindex,
					     &t, 0) ? -errno : 0, "target entry");
}

/* Routes to the remote networks through the target, masqueraded or not. */
static bool setup(struct bpfroute_tc *skel, __u32 flags)
{
	return route_add(skel, "203.0.113.0/24", TGT_IFINDEX) &&
	       route_add(skel, "2001:db8:3::/48", TGT_IFINDEX) &&
	       target_set(skel, TGT_IFINDEX, flags, TGT4, TGT6);
}

/* ---------------------------------------------------------------------------
 * Running the programs
 */

/*
 * Runs one frame through a program and checks everything: the verdict, the
 * frame that leaves (want; NULL: not checked, for drops), and the exact
 * counter deltas. The output lands in *out if given.
 */
static bool expect_run(struct bpfroute_tc *skel, struct bpf_program *prog, const struct pkt *in,
		       __u32 want_ret, const struct pkt *want, const struct delta *d,
		       const char *what, struct pkt *out)
{
	struct stats before, after;
	struct pkt got;
	__u32 retval = ~0u;
	bool ok = true;
	char m[256];

	if (!read_stats(skel, &before))
		return false;
	if (!ASSERT_OK(run_once(bpf_program__fd(prog), in, &retval, &got),
		       MSG(m, "%s: bpf_prog_test_run_opts", what)))
		return false;
	ok &= ASSERT_EQ(retval, want_ret,
			MSG(m, "%s: verdict (0 TC_ACT_OK, 2 TC_ACT_SHOT, 7 TC_ACT_REDIRECT)",
			    what));
	if (want)
		ok &= expect_frame(&got, want, what);
	if (!read_stats(skel, &after))
		return false;
	ok &= check_deltas(&before, &after, d, what);
	if (out)
		*out = got;
	return ok;
}

/* Out through bpfroute_steer, translated to want, as a new flow or not. */
static bool expect_out(struct bpfroute_tc *skel, const struct pkt *in, const struct pkt *want,
		       bool new_flow, const char *what, struct pkt *out)
{
	struct delta d[] = {
		{ BPFROUTE_STAT_STEERED, 1 },
		{ BPFROUTE_STAT_BYTES_STEERED, in->len },
		{ BPFROUTE_STAT_NAT_NEW, new_flow },
		END,
	};

	return expect_run(skel, skel->progs.bpfroute_steer, in, TC_ACT_REDIRECT, want, d, what,
			  out);
}

/* Dropped by bpfroute_steer, counted in row stat only. */
static bool expect_refused(struct bpfroute_tc *skel, const struct pkt *in, int stat,
			   const char *what)
{
	struct delta d[] = { { stat, 1 }, END };

	return expect_run(skel, skel->progs.bpfroute_steer, in, TC_ACT_SHOT, NULL, d, what, NULL);
}

/* In through bpfroute_unnat, translated to want and redirected. */
static bool expect_in(struct bpfroute_tc *skel, const struct pkt *in, const struct pkt *want,
		      int stat, const char *what)
{
	struct delta d[] = { { stat, 1 }, END };

	return expect_run(skel, skel->progs.bpfroute_unnat, in, TC_ACT_REDIRECT, want, d, what,
			  NULL);
}

/* Passed on by bpfroute_unnat untouched, counted in row stat. */
static bool expect_in_pass(struct bpfroute_tc *skel, const struct pkt *in, int stat,
			   const char *what)
{
	struct delta d[] = { { stat, 1 }, END };

	return expect_run(skel, skel->progs.bpfroute_unnat, in, TC_ACT_OK, in, d, what, NULL);
}

/*
 * Sends a packet of f out and checks it leaves translated to addr with
 * port (0: any port of the random range, returned in *got_port).
 */
static bool out_translated(struct bpfroute_tc *skel, const struct flow *f, const char *addr,
			   __u16 port, bool new_flow, __u16 *got_port, const char *what)
{
	struct pkt in, want, out;
	struct flow t;
	char m[256];

	build(f, &in);
	t = translated_out(f, addr, port);
	build(&t, &want);
	if (!expect_out(skel, &in, port ? &want : NULL, new_flow, what, &out))
		return false;
	if (!port) {
		/* Any port of the random range; the frame must then match it exactly. */
		port = frame_sport(&out, f);
		if (!ASSERT_TRUE(port >= PORT_MIN && port <= PORT_MAX,
				 MSG(m, "%s: port %u in %u..%u", what, port, PORT_MIN, PORT_MAX)))
			return false;
		t = translated_out(f, addr, port);
		build(&t, &want);
		if (!expect_frame(&out, &want, what))
			return false;
	}
	if (got_port)
		*got_port = port;
	return true;
}

/*
 * Starts a subtest with a fresh skeleton; max_flows (0: the default) sizes
 * both flow maps before they are created.
 */
static bool start(const char *name, struct bpfroute_tc **skel, __u32 max_flows)
{
	char m[128];
	int err;

	test__start_subtest(name);
	if (skip_reason) {
		test__skip(skip_reason);
		return false;
	}
	*skel = bpfroute_tc__open();
	if (!*skel) {
		ASSERT_OK(-errno, "bpfroute_tc__open");
		test__end_subtest();
		return false;
	}
	if (max_flows) {
		bpf_map__set_max_entries((*skel)->maps.bpfroute_nat_out, max_flows);
		bpf_map__set_max_entries((*skel)->maps.bpfroute_nat_in, max_flows);
	}
	err = bpfroute_tc__load(*skel);
	if (!err)
		err = lt_setup((*skel)->obj);
	if (!err)
		return true;
	if (err == -EPERM || err == -EACCES) {
		skip_reason = "loading BPF needs CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON (run as root)";
		test__skip(skip_reason);
	} else {
		ASSERT_OK(err, MSG(m, "bpfroute_tc__load: %s", strerror(-err)));
		test__end_subtest();
	}
	bpfroute_tc__destroy(*skel);
	return false;
}

static void finish(struct bpfroute_tc *skel)
{
	bpfroute_tc__destroy(skel);
	test__end_subtest();
}

/* ---------------------------------------------------------------------------
 * Out
 */

static const struct flow tcp_a4 = {
	.family = 4, .src = CLIENT_A4, .dst = REMOTE4, .proto = IPPROTO_TCP,
	.sport = 40000, .dport = 443, .tcp_flags = TCP_SYN, .ttl = 64,
};

static const struct flow tcp_a6 = {
	.family = 6, .src = CLIENT_A6, .dst = REMOTE6, .proto = IPPROTO_TCP,
	.sport = 40000, .dport = 443, .tcp_flags = TCP_SYN, .ttl = 64,
};

/* A new flow leaves with the target's address and, free, the client's own port. */
static void test_out_tcp_syn(const char *name, const struct flow *f, const char *tgt)
{
	struct bpfroute_flow_key k;
	struct bpfroute_tc *skel;
	struct bpfroute_nat v;
	struct pkt in, out;
	size_t l4;

	if (!start(name, &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ))
		goto out;
	build(f, &in);
	if (!out_translated(skel, f, tgt, f->sport, true, NULL, "SYN"))
		goto out;

	/* The frame was compared with one built from scratch; say so plainly too. */
	run_once(bpf_program__fd(skel->progs.bpfroute_steer), &in, &(__u32){ 0 }, &out);
	l4 = ETH_HLEN + (f->family == 4 ? IP4_HLEN : IP6_HLEN);
	if (f->family == 4)
		ASSERT_TRUE(ipv4_csum_valid(out.data + ETH_HLEN), "IPv4 header checksum valid");
	ASSERT_EQ(csum_fold(pseudo_sum(out.data + l4 - (f->family == 4 ? 8 : 32),
				  out.data + l4 - (f->family == 4 ? 4 : 16),
				  f->family == 4 ? 4 : 16, IPPROTO_TCP, out.len - l4) +
		       csum_add(0, out.data + l4, out.len - l4)), 0xffff,
		  "TCP checksum over the pseudo-header and segment sums to -0");

	out_key(&k, f);
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_out, &k, &v), "nat_out entry"))
		expect_entry(&v, f->family, tgt, f->sport, BPFROUTE_FLOW_NEW, TGT_IFINDEX, 2,
			     2 * in.len, "nat_out");
	in_key(&k, f, tgt, f->sport);
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_in, &k, &v), "nat_in entry"))
		expect_entry(&v, f->family, f->src, f->sport, BPFROUTE_FLOW_NEW, LO_IFINDEX, 0, 0,
			     "nat_in");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_out), 1, "one nat_out entry");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_in), 1, "one nat_in entry");
out:
	finish(skel);
}

/* UDP with a checksum, and IPv4 UDP without one, which stays without (RFC 768). */
static void test_out_udp(void)
{
	struct flow u4 = {
		.family = 4, .src = CLIENT_A4, .dst = REMOTE4, .proto = IPPROTO_UDP,
		.sport = 40001, .dport = 4500, .ttl = 64, .payload = 32,
	};
	struct flow u4z = u4, u6 = u4;
	struct bpfroute_tc *skel;
	struct pkt in, out;

	u4z.sport = 40002;
	u4z.udp_nocsum = true;
	u6.family = 6;
	u6.src = CLIENT_A6;
	u6.dst = REMOTE6;
	if (!start("out_udp", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ))
		goto out;
	out_translated(skel, &u4, TGT4, u4.sport, true, NULL, "UDP/IPv4 with checksum");
	out_translated(skel, &u4z, TGT4, u4z.sport, true, NULL, "UDP/IPv4 checksum 0");
	build(&u4z, &in);
	run_once(bpf_program__fd(skel->progs.bpfroute_steer), &in, &(__u32){ 0 }, &out);
	ASSERT_EQ(get_be16(out.data + ETH_HLEN + IP4_HLEN + 6), 0, "UDP checksum 0 stays 0");
	out_translated(skel, &u6, TGT6, u6.sport, true, NULL, "UDP/IPv6");
out:
	finish(skel);
}

/*
 * ICMP echo: the identifier plays the port. A second client with the same
 * identifier to the same remote gets another one, and the checksum follows.
 */
static void test_out_icmp_echo(const char *name, int family)
{
	struct flow a = {
		.family = family, .src = family == 4 ? CLIENT_A4 : CLIENT_A6,
		.dst = family == 4 ? REMOTE4 : REMOTE6,
		.proto = family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
		.sport = 0x1234, .ttl = 64, .payload = 56,
	};
	const char *tgt = family == 4 ? TGT4 : TGT6;
	struct flow b = a;
	struct bpfroute_flow_key k;
	struct bpfroute_tc *skel;
	struct bpfroute_nat v;
	__u16 id = 0;

	b.src = family == 4 ? CLIENT_B4 : CLIENT_B6;
	if (!start(name, &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ))
		goto out;
	if (!out_translated(skel, &a, tgt, a.sport, true, NULL, "client A: its own identifier") ||
	    !out_translated(skel, &b, tgt, 0, true, &id, "client B: identifier remapped"))
		goto out;
	ASSERT_NEQ(id, a.sport, "client B's identifier differs from A's");
	in_key(&k, &a, tgt, a.sport);
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_in, &k, &v), "nat_in entry of A"))
		expect_entry(&v, family, a.src, a.sport, BPFROUTE_FLOW_NEW, LO_IFINDEX, 0, 0,
			     "nat_in A");
	in_key(&k, &b, tgt, id);
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_in, &k, &v), "nat_in entry of B"))
		expect_entry(&v, family, b.src, b.sport, BPFROUTE_FLOW_NEW, LO_IFINDEX, 0, 0,
			     "nat_in B");
	out_translated(skel, &b, tgt, id, false, NULL, "client B again: the same identifier");
out:
	finish(skel);
}

/* Two clients, one source port, one remote: two ports, two reverse entries. */
static void test_out_port_collision(void)
{
	struct flow b = tcp_a4;
	struct bpfroute_flow_key k;
	struct bpfroute_tc *skel;
	struct bpfroute_nat v;
	__u16 port = 0;

	b.src = CLIENT_B4;
	if (!start("out_port_collision", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ))
		goto out;
	if (!out_translated(skel, &tcp_a4, TGT4, tcp_a4.sport, true, NULL, "client A") ||
	    !out_translated(skel, &b, TGT4, 0, true, &port, "client B, same port"))
		goto out;
	ASSERT_NEQ(port, tcp_a4.sport, "client B got another port");
	in_key(&k, &tcp_a4, TGT4, tcp_a4.sport);
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_in, &k, &v), "nat_in entry of A"))
		expect_entry(&v, 4, CLIENT_A4, tcp_a4.sport, BPFROUTE_FLOW_NEW, LO_IFINDEX, 0, 0,
			     "nat_in A");
	in_key(&k, &b, TGT4, port);
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_in, &k, &v), "nat_in entry of B"))
		expect_entry(&v, 4, CLIENT_B4, b.sport, BPFROUTE_FLOW_NEW, LO_IFINDEX, 0, 0,
			     "nat_in B");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_in), 2, "two nat_in entries");
	/* Another remote port is another endpoint: B's own port is free there. */
	b.dport = 8443;
	out_translated(skel, &b, TGT4, b.sport, true, NULL, "client B to another remote port");
	b.dport = tcp_a4.dport;
	b.tcp_flags = TCP_ACK;
	out_translated(skel, &b, TGT4, port, false, NULL, "client B again: the same port");
out:
	finish(skel);
}

/* An existing flow is reused: same port, counters, state from the TCP flags. */
static void test_out_flow_reused(void)
{
	struct flow f = tcp_a4;
	struct bpfroute_flow_key k;
	struct bpfroute_tc *skel;
	struct bpfroute_nat v;
	struct pkt p;
	__u64 bytes = 0;

	if (!start("out_flow_reused", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ))
		goto out;
	out_translated(skel, &f, TGT4, f.sport, true, NULL, "SYN");
	bytes += build(&f, &p) ? p.len : 0;
	f.tcp_flags = TCP_ACK;
	f.payload = 100;
	out_translated(skel, &f, TGT4, f.sport, false, NULL, "ACK with data");
	bytes += build(&f, &p) ? p.len : 0;
	out_key(&k, &f);
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_out, &k, &v), "nat_out entry"))
		expect_entry(&v, 4, TGT4, f.sport, BPFROUTE_FLOW_NEW, TGT_IFINDEX, 2, bytes,
			     "after SYN and ACK");
	f.tcp_flags = TCP_FIN | TCP_ACK;
	f.payload = 0;
	out_translated(skel, &f, TGT4, f.sport, false, NULL, "FIN");
	bytes += build(&f, &p) ? p.len : 0;
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_out, &k, &v), "nat_out entry"))
		expect_entry(&v, 4, TGT4, f.sport, BPFROUTE_FLOW_CLOSING, TGT_IFINDEX, 3, bytes,
			     "after FIN");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_out), 1, "still one nat_out entry");
out:
	finish(skel);
}

/* ---------------------------------------------------------------------------
 * In
 */

/*
 * Out, then the reply back: destination and port restored, checksums from
 * scratch, TTL one less, redirected (bpf_redirect_neigh) to the client.
 */
static void test_reply(const char *name, const struct flow *f, const char *tgt, __u8 flags)
{
	struct bpfroute_flow_key k;
	struct bpfroute_tc *skel;
	struct bpfroute_nat v;
	struct flow r, back;
	struct pkt in, want;

	if (!start(name, &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !out_translated(skel, f, tgt, f->sport, true, NULL, "out"))
		goto out;
	r = reply_of(f, tgt, f->sport, flags);
	back = r;
	back.dst = f->src;
	back.dport = f->sport;
	back.ttl = r.ttl - 1;
	build(&r, &in);
	build(&back, &want);
	if (!expect_in(skel, &in, &want, BPFROUTE_STAT_NAT_IN, "reply"))
		goto out;
	in_key(&k, f, tgt, f->sport);
	/* A reply establishes UDP and echo; TCP waits for the client's ACK. */
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_in, &k, &v), "nat_in entry"))
		expect_entry(&v, f->family, f->src, f->sport,
			     f->proto == IPPROTO_TCP ? BPFROUTE_FLOW_NEW :
						      BPFROUTE_FLOW_ESTABLISHED,
			     LO_IFINDEX, 1, in.len, "nat_in after the reply");
out:
	finish(skel);
}

/*
 * A SYN-ACK coming back through the translator has its MSS lowered to the
 * MTU of the target it came in on, less 40 (IPv4) or 60 (IPv6): the
 * client's uploads then fit the tunnel. test_run receives on lo, so lo plays
 * the target here, with the tunnel's MTU for the time of the subtest. An
 * MSS already below is kept.
 */
static void test_reply_synack_clamped(int family)
{
	const struct flow *f = family == 4 ? &tcp_a4 : &tcp_a6;
	const char *tgt = family == 4 ? TGT4 : TGT6;
	__u16 want_mss = family == 4 ? 1380 : 1360;
	__u8 opts[8] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };	/* MSS 1460, NOP, window scale */
	struct delta d[] = { { BPFROUTE_STAT_NAT_IN, 1 }, { BPFROUTE_STAT_MSS_CLAMPED, 1 }, END };
	struct bpfroute_tc *skel;
	struct flow r, back;
	struct pkt in, want;

	if (!start(family == 4 ? "reply_synack_clamped_ipv4" : "reply_synack_clamped_ipv6",
		   &skel, 0))
		return;
	if (!in_private_netns || sh("ip link set lo mtu 1420")) {
		test__skip("needs a private network namespace and iproute2, to set lo's MTU");
		finish(skel);
		return;
	}
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !out_translated(skel, f, tgt, f->sport, true, NULL, "SYN out"))
		goto out;
	r = reply_of(f, tgt, f->sport, TCP_SYN | TCP_ACK);
	r.payload = sizeof(opts);
	back = r;
	back.dst = f->src;
	back.dport = f->sport;
	back.ttl = r.ttl - 1;
	build(&r, &in);
	pkt_tcp_options(&in, TCP_SYN | TCP_ACK, opts, sizeof(opts));
	build(&back, &want);
	put_be16(opts + 2, want_mss);
	pkt_tcp_options(&want, TCP_SYN | TCP_ACK, opts, sizeof(opts));
	if (!expect_run(skel, skel->progs.bpfroute_unnat, &in, TC_ACT_REDIRECT, &want, d,
			"SYN-ACK with MSS 1460", NULL))
		goto out;

	/* Again with an MSS that fits: left as it is. */
	put_be16(opts + 2, 1200);
	pkt_tcp_options(&in, TCP_SYN | TCP_ACK, opts, sizeof(opts));
	pkt_tcp_options(&want, TCP_SYN | TCP_ACK, opts, sizeof(opts));
	expect_in(skel, &in, &want, BPFROUTE_STAT_NAT_IN, "SYN-ACK with MSS 1200");
out:
	sh("ip link set lo mtu 65536");
	finish(skel);
}

static void test_reply_synack_clamped_ipv4(void)
{
	test_reply_synack_clamped(4);
}

static void test_reply_synack_clamped_ipv6(void)
{
	test_reply_synack_clamped(6);
}

/* A remapped flow's reply goes to the right client, on its own port. */
static void test_reply_remapped(void)
{
	struct flow b = tcp_a4, r, back;
	struct bpfroute_tc *skel;
	struct pkt in, want;
	__u16 port = 0;

	b.src = CLIENT_B4;
	if (!start("reply_remapped", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !out_translated(skel, &tcp_a4, TGT4, tcp_a4.sport, true, NULL, "client A") ||
	    !out_translated(skel, &b, TGT4, 0, true, &port, "client B"))
		goto out;
	r = reply_of(&b, TGT4, port, TCP_SYN | TCP_ACK);
	back = r;
	back.dst = CLIENT_B4;
	back.dport = b.sport;
	back.ttl = 63;
	build(&r, &in);
	build(&back, &want);
	expect_in(skel, &in, &want, BPFROUTE_STAT_NAT_IN, "reply to B's port");
	r = reply_of(&tcp_a4, TGT4, tcp_a4.sport, TCP_SYN | TCP_ACK);
	back = r;
	back.dst = CLIENT_A4;
	back.ttl = 63;
	build(&r, &in);
	build(&back, &want);
	expect_in(skel, &in, &want, BPFROUTE_STAT_NAT_IN, "reply to A's port");
out:
	finish(skel);
}

/*
 * An ICMP error about a translated packet (RFC 5508): outer destination and
 * the quoted source address and port back to the client's; the quoted IPv4
 * header checksum and the ICMP checksum over the whole message must be
 * right from scratch, and the quoted L4 checksum must be what the client's
 * own packet carried. qlen: bytes of the quoted L4 header and payload.
 */
static void check_icmp_error(struct bpfroute_tc *skel, const struct flow *f, const char *tgt,
			     __u8 type, __u8 code, __u32 rest, size_t qlen, const char *what)
{
	size_t ihl = f->family == 4 ? IP4_HLEN : IP6_HLEN;
	const char *router = f->family == 4 ? ROUTER4 : ROUTER6;
	struct pkt client, sent, in, want, got;
	struct flow t, c;
	char m[256];
	__u32 ret;

	/* What left the tunnel (from scratch), as the router quotes it. */
	t = translated_out(f, tgt, f->sport);
	build(&t, &sent);
	build_icmp_error(&in, f->family, router, tgt, 64, type, code, rest, sent.data + ETH_HLEN,
			 ihl + qlen);
	/* The client's own packet, as it was one hop later: TTL one less. */
	c = *f;
	c.ttl = f->ttl - 1;
	build(&c, &client);
	build_icmp_error(&want, f->family, router, f->src, 63, type, code, rest,
			 client.data + ETH_HLEN, ihl + qlen);
	if (!expect_in(skel, &in, &want, BPFROUTE_STAT_NAT_IN_ICMP, what))
		return;

	/* The same facts, said one by one. */
	run_once(bpf_program__fd(skel->progs.bpfroute_unnat), &in, &ret, &got);
	if (f->family == 4) {
		size_t icmp = ETH_HLEN + IP4_HLEN;

		ASSERT_TRUE(ipv4_csum_valid(got.data + ETH_HLEN),
			    MSG(m, "%s: outer IPv4 checksum", what));
		ASSERT_EQ(csum_fold(csum_add(0, got.data + icmp, got.len - icmp)), 0xffff,
			  MSG(m, "%s: ICMP checksum over the whole message", what));
		ASSERT_TRUE(ipv4_csum_valid(got.data + icmp + 8),
			    MSG(m, "%s: quoted IPv4 header checksum", what));
	} else {
		size_t icmp = ETH_HLEN + IP6_HLEN;

		ASSERT_EQ(csum_fold(pseudo_sum(got.data + ETH_HLEN + 8, got.data + ETH_HLEN + 24, 16,
					  IPPROTO_ICMPV6, got.len - icmp) +
			       csum_add(0, got.data + icmp, got.len - icmp)), 0xffff,
			  MSG(m, "%s: ICMPv6 checksum over pseudo-header and message", what));
	}
	if (qlen >= csum_off(f->proto) + 2) {
		size_t q = ETH_HLEN + ihl + 8 + ihl + csum_off(f->proto);

		ASSERT_EQ(get_be16(got.data + q), get_be16(client.data + ETH_HLEN + ihl +
							  csum_off(f->proto)),
			  MSG(m, "%s: quoted L4 checksum is the client's own", what));
	}
}

static void test_icmp_errors_v4(void)
{
	struct flow u = {
		.family = 4, .src = CLIENT_A4, .dst = REMOTE4, .proto = IPPROTO_UDP,
		.sport = 40001, .dport = 33434, .ttl = 3, .payload = 32,
	};
	struct flow e = {
		.family = 4, .src = CLIENT_A4, .dst = REMOTE4, .proto = IPPROTO_ICMP,
		.sport = 0x4242, .ttl = 64, .payload = 56,
	};
	struct bpfroute_tc *skel;
	struct flow big = tcp_a4;

	big.tcp_flags = TCP_ACK;
	big.payload = 1400;
	if (!start("icmp_errors_v4", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !out_translated(skel, &big, TGT4, big.sport, true, NULL, "TCP out") ||
	    !out_translated(skel, &u, TGT4, u.sport, true, NULL, "UDP out") ||
	    !out_translated(skel, &e, TGT4, e.sport, true, NULL, "echo out"))
		goto out;
	/* Fragmentation needed, next-hop MTU 1400 (RFC 1191), a long quote. */
	check_icmp_error(skel, &big, TGT4, 3, 4, 1400, 20 + 100, "frag needed, TCP");
	/* RFC 792's minimum quote: 8 bytes, no TCP checksum in it. */
	check_icmp_error(skel, &big, TGT4, 3, 4, 1400, 8, "frag needed, 8-byte quote");
	/* Traceroute: time exceeded about a UDP probe, and port unreachable. */
	check_icmp_error(skel, &u, TGT4, 11, 0, 0, 8 + 32, "time exceeded, UDP");
	check_icmp_error(skel, &u, TGT4, 3, 3, 0, 8, "port unreachable, UDP");
	check_icmp_error(skel, &e, TGT4, 11, 0, 0, 8 + 56, "time exceeded, echo request");
	check_icmp_error(skel, &e, TGT4, 12, 0, 0, 8 + 56, "parameter problem, echo request");
out:
	finish(skel);
}

static void test_icmp_errors_v6(void)
{
	struct flow u = {
		.family = 6, .src = CLIENT_A6, .dst = REMOTE6, .proto = IPPROTO_UDP,
		.sport = 40001, .dport = 33434, .ttl = 3, .payload = 32,
	};
	struct flow e = {
		.family = 6, .src = CLIENT_A6, .dst = REMOTE6, .proto = IPPROTO_ICMPV6,
		.sport = 0x4242, .ttl = 64, .payload = 56,
	};
	struct bpfroute_tc *skel;
	struct flow big = tcp_a6;

	big.tcp_flags = TCP_ACK;
	big.payload = 1400;
	if (!start("icmp_errors_v6", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !out_translated(skel, &big, TGT6, big.sport, true, NULL, "TCP out") ||
	    !out_translated(skel, &u, TGT6, u.sport, true, NULL, "UDP out") ||
	    !out_translated(skel, &e, TGT6, e.sport, true, NULL, "echo out"))
		goto out;
	check_icmp_error(skel, &e, TGT6, 3, 0, 0, 8 + 56, "time exceeded, echo request");
	/* Packet too big (RFC 4443 3.2), MTU 1280, quoting as much as fits. */
	check_icmp_error(skel, &big, TGT6, 2, 0, 1280, 20 + 1000, "packet too big, TCP");
	check_icmp_error(skel, &u, TGT6, 3, 0, 0, 8 + 32, "time exceeded, UDP");
	check_icmp_error(skel, &u, TGT6, 1, 4, 0, 8 + 32, "port unreachable, UDP");
out:
	finish(skel);
}

/* Nothing translated: the gateway's own traffic through the tunnel goes on. */
static void test_in_miss(void)
{
	struct flow r = reply_of(&tcp_a4, TGT4, 5555, TCP_SYN | TCP_ACK);
	struct flow r6 = reply_of(&tcp_a6, TGT6, 5555, TCP_SYN | TCP_ACK);
	struct flow ping = {
		.family = 4, .src = REMOTE4, .dst = TGT4, .proto = IPPROTO_ICMP,
		.sport = 77, .ttl = 64, .payload = 8,
	};
	struct bpfroute_tc *skel;
	struct pkt in, sent;
	struct flow t;

	if (!start("in_miss", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !out_translated(skel, &tcp_a4, TGT4, tcp_a4.sport, true, NULL, "a flow to miss"))
		goto out;
	build(&r, &in);
	expect_in_pass(skel, &in, BPFROUTE_STAT_NAT_IN_MISS, "TCP to an untranslated port");
	build(&r6, &in);
	expect_in_pass(skel, &in, BPFROUTE_STAT_NAT_IN_MISS, "TCP/IPv6 to an untranslated port");
	build(&ping, &in);
	expect_in_pass(skel, &in, BPFROUTE_STAT_NAT_IN_MISS, "echo request to the target");
	/* An error quoting a packet of no flow (another source port). */
	t = translated_out(&tcp_a4, TGT4, 5555);
	build(&t, &sent);
	build_icmp_error(&in, 4, ROUTER4, TGT4, 64, 3, 4, 1400, sent.data + ETH_HLEN, 28);
	expect_in_pass(skel, &in, BPFROUTE_STAT_NAT_IN_MISS, "ICMP error about no flow");
	/* The flow's reply from another remote port is another flow. */
	r = reply_of(&tcp_a4, TGT4, tcp_a4.sport, TCP_ACK);
	r.sport = 444;
	build(&r, &in);
	expect_in_pass(skel, &in, BPFROUTE_STAT_NAT_IN_MISS, "reply from another remote port");
out:
	finish(skel);
}

/* A reply whose TTL would expire here is dropped, not answered by the gateway. */
static void test_in_ttl_expired(void)
{
	struct delta d[] = { { BPFROUTE_STAT_PASS_TTL, 1 }, END };
	struct flow r = reply_of(&tcp_a4, TGT4, tcp_a4.sport, TCP_ACK);
	struct bpfroute_flow_key k;
	struct bpfroute_tc *skel;
	struct bpfroute_nat v;
	struct pkt in;

	if (!start("in_ttl_expired", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !out_translated(skel, &tcp_a4, TGT4, tcp_a4.sport, true, NULL, "out"))
		goto out;
	r.ttl = 1;
	build(&r, &in);
	expect_run(skel, skel->progs.bpfroute_unnat, &in, TC_ACT_SHOT, NULL, d, "TTL 1", NULL);
	in_key(&k, &tcp_a4, TGT4, tcp_a4.sport);
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_in, &k, &v), "nat_in entry"))
		expect_entry(&v, 4, CLIENT_A4, tcp_a4.sport, BPFROUTE_FLOW_NEW, LO_IFINDEX, 0, 0,
			     "nat_in untouched");
out:
	finish(skel);
}

/* ---------------------------------------------------------------------------
 * Refusals and the unmasqueraded target
 */

/* Without the flag, exactly as before: forwarded, TTL one less, no flow. */
static void test_no_masq_unchanged(void)
{
	const struct flow *flows[] = { &tcp_a4, &tcp_a6 };
	struct bpfroute_tc *skel;
	struct pkt in, want;

	if (!start("no_masq_unchanged", &skel, 0))
		return;
	if (!setup(skel, 0))
		goto out;
	for (int i = 0; i < 2; i++) {
		struct flow t = *flows[i];

		t.ttl--;
		build(flows[i], &in);
		build(&t, &want);
		expect_out(skel, &in, &want, false, i ? "IPv6, target without masquerade" :
						       "IPv4, target without masquerade", NULL);
	}
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_out), 0, "no nat_out entry");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_in), 0, "no nat_in entry");
out:
	finish(skel);
}

/*
 * A reload that drops `masquerade` applies to new flows: the target drains.
 * A flow made while it was masqueraded still leaves translated; a new flow
 * leaves as the client sent it (TTL less one), and makes no entry.
 */
static void test_drain(void)
{
	struct flow other = tcp_a4, t;
	struct bpfroute_tc *skel;
	struct pkt in, want;

	other.sport = 40077;
	if (!start("drain", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !out_translated(skel, &tcp_a4, TGT4, tcp_a4.sport, true, NULL, "flow made masqueraded") ||
	    !target_set(skel, TGT_IFINDEX, BPFROUTE_TARGET_F_DRAIN, TGT4, TGT6))
		goto out;
	out_translated(skel, &tcp_a4, TGT4, tcp_a4.sport, false, NULL,
		       "the same flow once the target drains");
	t = other;
	t.ttl--;
	build(&other, &in);
	build(&t, &want);
	expect_out(skel, &in, &want, false, "a new flow to a draining target: untranslated", NULL);
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_out), 1, "still only the old flow");
out:
	finish(skel);
}

/* A full table refuses new flows and keeps translating the ones it holds. */
static void test_table_full(void)
{
	struct flow u = {
		.family = 4, .src = CLIENT_A4, .dst = REMOTE4, .proto = IPPROTO_UDP,
		.sport = 40001, .dport = 4500, .ttl = 64, .payload = 16,
	};
	struct flow third = tcp_a4, r, back;
	struct bpfroute_tc *skel;
	struct pkt in, want;

	third.sport = 40003;
	if (!start("table_full", &skel, 2))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !out_translated(skel, &tcp_a4, TGT4, tcp_a4.sport, true, NULL, "flow 1") ||
	    !out_translated(skel, &u, TGT4, u.sport, true, NULL, "flow 2"))
		goto out;
	build(&third, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_FULL, "flow 3: table full");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_out), 2, "two nat_out entries");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_in), 2, "two nat_in entries");
	third = tcp_a4;
	third.tcp_flags = TCP_ACK;
	out_translated(skel, &third, TGT4, tcp_a4.sport, false, NULL, "flow 1 still out");
	r = reply_of(&u, TGT4, u.sport, 0);
	back = r;
	back.dst = CLIENT_A4;
	back.dport = u.sport;
	back.ttl = 63;
	build(&r, &in);
	build(&back, &want);
	expect_in(skel, &in, &want, BPFROUTE_STAT_NAT_IN, "flow 2 still in");
out:
	finish(skel);
}

/* Every port taken towards one remote endpoint: refused, counted. */
/*
 * Every port towards tcp_a4's remote endpoint (the random range, and the
 * client's own port: 40000 is in it) held by a flow of 192.0.2.200 in
 * state, last seen age_ns ago (reply side only).
 */
static bool fill_ports(struct bpfroute_tc *skel, __u8 state, __u64 age_ns)
{
	struct bpfroute_nat v = { .state = state, .ifindex = 99,
				  .last_seen_ns = mono_ns() - age_ns };
	int fd = bpf_map__fd(skel->maps.bpfroute_nat_in), err = 0;
	struct bpfroute_flow_key k;

	parse_addr(AF_INET, "192.0.2.200", v.addr);
	for (__u32 port = PORT_MIN; port <= PORT_MAX + 1 && !err; port++) {
		in_key(&k, &tcp_a4, TGT4, (__u16)(port > PORT_MAX ? tcp_a4.sport : port));
		err = bpf_map_update_elem(fd, &k, &v, 0) ? -errno : 0;
	}
	return ASSERT_OK(err, "fill every port towards 203.0.113.10:443");
}

static void test_no_free_port(void)
{
	struct bpfroute_tc *skel;
	struct pkt in;

	if (!start("no_free_port", &skel, 0))
		return;
	/* Established, seen now: neither dead nor given up early. */
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !fill_ports(skel, BPFROUTE_FLOW_ESTABLISHED, 0))
		goto out;
	build(&tcp_a4, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_NO_PORT, "no port left");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_out), 0, "no nat_out entry");
out:
	finish(skel);
}

/*
 * Every port held by a half-open flow quiet for 2 s (a SYN flood from
 * forged LAN sources): a new flow takes the last port it tries from one of
 * them (bpfroute_flow_unconfirmed()).
 */
static void test_early_drop(void)
{
	struct delta d[] = {
		{ BPFROUTE_STAT_STEERED, 1 },
		{ BPFROUTE_STAT_BYTES_STEERED, 0 },
		{ BPFROUTE_STAT_NAT_NEW, 1 },
		{ BPFROUTE_STAT_NAT_EARLY_DROP, 1 },
		END,
	};
	struct bpfroute_tc *skel;
	struct pkt in;

	if (!start("early_drop", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !fill_ports(skel, BPFROUTE_FLOW_NEW, 2 * BPFROUTE_NSEC_PER_SEC))
		goto out;
	build(&tcp_a4, &in);
	d[1].n = in.len;
	expect_run(skel, skel->progs.bpfroute_steer, &in, TC_ACT_REDIRECT, NULL, d,
		   "every port half-open and quiet", NULL);
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_out), 1, "the new flow's nat_out entry");
out:
	finish(skel);
}

/* What is never translated is dropped and counted, never leaked. */
static void test_unsupported_dropped(void)
{
	struct flow gre = {
		.family = 4, .src = CLIENT_A4, .dst = REMOTE4, .proto = IPPROTO_GRE_,
		.ttl = 64, .payload = 20,
	};
	struct flow unreach = {
		.family = 4, .src = CLIENT_A4, .dst = REMOTE4, .proto = IPPROTO_ICMP,
		.icmp_type = 3, .ttl = 64, .payload = 28,
	};
	struct flow later = tcp_a4, first = tcp_a4, hbh = tcp_a6;
	struct flow gre6 = gre;
	struct bpfroute_tc *skel;
	struct pkt in;

	gre6.family = 6;
	gre6.src = CLIENT_A6;
	gre6.dst = REMOTE6;
	later.frag_off = 185;		/* offset 1480 bytes, no L4 header */
	later.payload = 100;
	first.frag_off = 0x2000;	/* MF: the first of several */
	first.payload = 1000;
	hbh.hopopts = true;
	if (!start("unsupported_dropped", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ))
		goto out;
	build(&gre, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_UNSUPPORTED, "GRE/IPv4");
	build(&gre6, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_UNSUPPORTED, "GRE/IPv6");
	build(&unreach, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_UNSUPPORTED, "ICMP error from a client");
	build(&later, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_UNSUPPORTED, "IPv4 non-first fragment");
	build(&first, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_UNSUPPORTED, "IPv4 first fragment");
	build(&hbh, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_UNSUPPORTED, "IPv6 with hop-by-hop header");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_out), 0, "no nat_out entry");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_in), 0, "no nat_in entry");
out:
	finish(skel);
}

/* A target without an address of the packet's family cannot masquerade it. */
static void test_no_address(void)
{
	struct bpfroute_tc *skel;
	struct pkt in;

	if (!start("no_address", &skel, 0))
		return;
	if (!route_add(skel, "2001:db8:3::/48", TGT_IFINDEX) ||
	    !target_set(skel, TGT_IFINDEX, BPFROUTE_TARGET_F_MASQ, TGT4, NULL))
		goto out;
	build(&tcp_a6, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_NO_ADDR, "IPv6 to a target with IPv4 only");
out:
	finish(skel);
}

/* The target got a new address: the flow starts afresh with it. */
static void test_target_address_changed(void)
{
	struct bpfroute_flow_key k;
	struct bpfroute_tc *skel;
	struct bpfroute_nat v;
	struct flow f = tcp_a4;

	if (!start("target_address_changed", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !out_translated(skel, &f, TGT4, f.sport, true, NULL, "old address") ||
	    !target_set(skel, TGT_IFINDEX, BPFROUTE_TARGET_F_MASQ, TGT4_NEW, TGT6))
		goto out;
	f.tcp_flags = TCP_ACK;
	out_translated(skel, &f, TGT4_NEW, f.sport, true, NULL, "new address, new flow");
	in_key(&k, &f, TGT4, f.sport);
	ASSERT_EQ(lookup(skel->maps.bpfroute_nat_in, &k, &v), -ENOENT,
		  "the old reverse entry is gone");
	in_key(&k, &f, TGT4_NEW, f.sport);
	ASSERT_OK(lookup(skel->maps.bpfroute_nat_in, &k, &v), "the new reverse entry exists");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_in), 1, "one nat_in entry");
out:
	finish(skel);
}

/* ---------------------------------------------------------------------------
 * Floods (issue #10): forged sources, the per-client cap, half-open flows
 */

#define SPOOF_DEV	"natspf0"	/* where the FIB routes the forged sources */
#define SPOOF4		"198.51.100.77"
#define SPOOF6		"2001:db8:77::5"

/* bpfroute_conf[0].max_client_flows, the rest as it is. */
static bool conf_max_client_flows(struct bpfroute_tc *skel, __u32 n)
{
	int fd = bpf_map__fd(skel->maps.bpfroute_conf);
	struct bpfroute_conf c;
	__u32 zero = 0;

	if (!ASSERT_OK(bpf_map_lookup_elem(fd, &zero, &c) ? -errno : 0, "read bpfroute_conf"))
		return false;
	c.max_client_flows = n;
	return ASSERT_OK(bpf_map_update_elem(fd, &zero, &c, 0) ? -errno : 0,
			 "write max_client_flows");
}

/* A client's count in bpfroute_natcli: the smaller of its two counters. */
static __s64 client_count(struct bpfroute_tc *skel, int family, const char *addr)
{
	int fd = bpf_map__fd(skel->maps.bpfroute_natcli);
	struct bpfroute_conf c = {};
	__s64 n = INT64_MAX;
	__u8 a[16] = {};
	__u32 zero = 0;

	bpf_map_lookup_elem(bpf_map__fd(skel->maps.bpfroute_conf), &zero, &c);
	parse_addr(AF(family), addr, a);
	for (__u32 row = 0; row < BPFROUTE_NAT_CLIENT_ROWS; row++) {
		__u32 i = bpfroute_client_slot(&c, (__u8)family, a, row);
		__u64 v = 0;

		bpf_map_lookup_elem(fd, &i, &v);
		if ((__s64)v < n)
			n = (__s64)v;
	}
	return n;
}

/*
 * Both halves of the flow of f, translated to addr:port, last seen ago ns
 * before now, its client side in state (the reply side stays as it is).
 */
static bool age_flow(struct bpfroute_tc *skel, const struct flow *f, const char *addr,
		     __u16 port, __u64 ago, __u8 state)
{
	struct bpfroute_flow_key ko, ki;
	struct bpfroute_nat o, i;

	/* The monotonic clock starts at boot: a fresh machine has no hour past. */
	if (!ASSERT_TRUE(mono_ns() > ago, "the machine has been up longer than the age to give"))
		return false;
	out_key(&ko, f);
	in_key(&ki, f, addr, port);
	if (!ASSERT_OK(lookup(skel->maps.bpfroute_nat_out, &ko, &o), "nat_out entry to age") ||
	    !ASSERT_OK(lookup(skel->maps.bpfroute_nat_in, &ki, &i), "nat_in entry to age"))
		return false;
	o.last_seen_ns = i.last_seen_ns = mono_ns() - ago;
	o.state = state;
	return ASSERT_OK(bpf_map_update_elem(bpf_map__fd(skel->maps.bpfroute_nat_out), &ko, &o,
					     BPF_EXIST) ? -errno : 0, "age nat_out") &&
	       ASSERT_OK(bpf_map_update_elem(bpf_map__fd(skel->maps.bpfroute_nat_in), &ki, &i,
					     BPF_EXIST) ? -errno : 0, "age nat_in");
}

/*
 * A source the way back to which does not lead out of the LAN device it came
 * in on (here: routed through another device) is forged: never translated,
 * dropped, counted, and no flow, no count. The real client still gets
 * through.
 */
static void test_source_spoofed(void)
{
	struct flow f4 = tcp_a4, f6 = tcp_a6, nr = tcp_a4;
	struct bpfroute_tc *skel;
	struct pkt in;

	f4.src = SPOOF4;
	f6.src = SPOOF6;
	nr.src = "203.0.113.99";	/* no route back at all */
	if (!start("source_spoofed", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !ASSERT_OK(sh("ip link add " SPOOF_DEV " type veth peer name natspf1 && "
			  "ip link set " SPOOF_DEV " up && ip link set natspf1 up && "
			  "ip route add 198.51.100.0/24 dev " SPOOF_DEV " && "
			  "ip -6 route add 2001:db8:77::/48 dev " SPOOF_DEV), "route the forged "
		       "sources' networks through " SPOOF_DEV))
		goto out;
	build(&f4, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_BAD_SOURCE, "IPv4 source routed elsewhere");
	build(&f6, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_BAD_SOURCE, "IPv6 source routed elsewhere");
	build(&nr, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_BAD_SOURCE, "IPv4 source without a route");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_out), 0, "no nat_out entry");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_in), 0, "no nat_in entry");
	ASSERT_EQ(client_count(skel, 4, SPOOF4), 0, "the forged source is not counted");
	out_translated(skel, &tcp_a4, TGT4, tcp_a4.sport, true, NULL, "the LAN's own client");
	out_translated(skel, &tcp_a6, TGT6, tcp_a6.sport, true, NULL, "the LAN's own client, IPv6");
out:
	sh("ip link del " SPOOF_DEV " 2>/dev/null");
	finish(skel);
}

/*
 * max-client-flows: a client at the cap gets no new flow (dropped, counted),
 * keeps its flows, and another client still gets its own. A flow that goes
 * gives its count back: a dead one reclaimed for its port here.
 */
static void test_client_cap(void)
{
	struct flow a = tcp_a4, b = tcp_a4;
	struct bpfroute_tc *skel;
	struct pkt in;
	char m[128];

	b.src = CLIENT_B4;
	if (!start("client_cap", &skel, 0))
		return;
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) || !conf_max_client_flows(skel, 3))
		goto out;
	for (__u16 i = 0; i < 3; i++) {
		a.sport = (__u16)(41000 + i);
		if (!out_translated(skel, &a, TGT4, a.sport, true, NULL,
				    MSG(m, "client A, flow %u of 3", i + 1)))
			goto out;
	}
	ASSERT_EQ(client_count(skel, 4, CLIENT_A4), 3, "client A counts 3 flows");
	a.sport = 41003;
	build(&a, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_CLIENT_CAP, "client A, a 4th flow");
	a.sport = 41010;
	a.proto = IPPROTO_UDP;
	build(&a, &in);
	expect_refused(skel, &in, BPFROUTE_STAT_NAT_CLIENT_CAP, "client A, UDP counts too");
	ASSERT_EQ(client_count(skel, 4, CLIENT_A4), 3, "a refusal leaves the count at 3");
	a = tcp_a4;
	a.sport = 41001;
	a.tcp_flags = TCP_ACK;
	out_translated(skel, &a, TGT4, a.sport, false, NULL, "client A's flow 2 still out");
	out_translated(skel, &b, TGT4, b.sport, true, NULL, "client B gets a flow");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_out), 4, "4 nat_out entries");

	/* A's flow 1 dead: B's flow from its port reclaims it, A may open another. */
	a.sport = 41000;
	if (!age_flow(skel, &a, TGT4, a.sport, (BPFROUTE_FLOW_TCP_OPEN_S + 1) * BPFROUTE_NSEC_PER_SEC,
		      BPFROUTE_FLOW_NEW))
		goto out;
	b.sport = 41000;
	out_translated(skel, &b, TGT4, 41000, true, NULL,
		       "client B takes the port of A's dead flow");
	ASSERT_EQ(client_count(skel, 4, CLIENT_A4), 2, "A's dead flow counted down");
	ASSERT_EQ(client_count(skel, 4, CLIENT_B4), 2, "B counts 2 flows");
	a.sport = 41004;
	a.tcp_flags = TCP_SYN;
	out_translated(skel, &a, TGT4, a.sport, true, NULL, "client A, a flow again");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_out), 5, "5 nat_out entries");
out:
	finish(skel);
}

/*
 * TCP: the remote's SYN-ACK alone leaves the flow half-open; the client's
 * ACK after it establishes it. An ACK before any answer does not.
 */
static void test_tcp_established_on_ack(void)
{
	struct flow f = tcp_a4, r, back;
	struct bpfroute_flow_key ko, ki;
	struct bpfroute_nat o, i;
	struct bpfroute_tc *skel;
	struct pkt in, want;

	if (!start("tcp_established_on_ack", &skel, 0))
		return;
	out_key(&ko, &f);
	in_key(&ki, &f, TGT4, f.sport);
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !out_translated(skel, &f, TGT4, f.sport, true, NULL, "SYN"))
		goto out;
	f.tcp_flags = TCP_ACK;
	out_translated(skel, &f, TGT4, f.sport, false, NULL, "an ACK before any answer");
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_out, &ko, &o), "nat_out entry"))
		ASSERT_EQ(o.state, BPFROUTE_FLOW_NEW, "an ACK before the answer: still new");

	r = reply_of(&tcp_a4, TGT4, f.sport, TCP_SYN | TCP_ACK);
	back = r;
	back.dst = CLIENT_A4;
	back.ttl = 63;
	build(&r, &in);
	build(&back, &want);
	if (!expect_in(skel, &in, &want, BPFROUTE_STAT_NAT_IN, "SYN-ACK"))
		goto out;
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_out, &ko, &o), "nat_out entry") &&
	    ASSERT_OK(lookup(skel->maps.bpfroute_nat_in, &ki, &i), "nat_in entry")) {
		ASSERT_EQ(o.state, BPFROUTE_FLOW_NEW, "after the SYN-ACK: nat_out new");
		ASSERT_EQ(i.state, BPFROUTE_FLOW_NEW, "after the SYN-ACK: nat_in new");
		ASSERT_EQ(i.flags, BPFROUTE_NAT_F_REPLIED, "after the SYN-ACK: nat_in replied");
		ASSERT_EQ(bpfroute_flow_timeout_ns(IPPROTO_TCP, o.state > i.state ? o.state :
						   i.state),
			  BPFROUTE_FLOW_TCP_OPEN_S * BPFROUTE_NSEC_PER_SEC,
			  "after the SYN-ACK: the half-open timeout applies");
	}
	out_translated(skel, &f, TGT4, f.sport, false, NULL, "the client's ACK");
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_out, &ko, &o), "nat_out entry")) {
		ASSERT_EQ(o.state, BPFROUTE_FLOW_ESTABLISHED, "after the client's ACK: established");
		ASSERT_EQ(o.flags, BPFROUTE_NAT_F_ESTABLISHED, "nat_out marked established once");
	}

	/* A new connection on the tuple: half-open again until its own answer. */
	f.tcp_flags = TCP_SYN;
	out_translated(skel, &f, TGT4, f.sport, false, NULL, "SYN again");
	f.tcp_flags = TCP_ACK;
	out_translated(skel, &f, TGT4, f.sport, false, NULL, "an ACK, no new answer");
	if (ASSERT_OK(lookup(skel->maps.bpfroute_nat_out, &ko, &o), "nat_out entry"))
		ASSERT_EQ(o.state, BPFROUTE_FLOW_NEW, "the old answer does not count");
out:
	finish(skel);
}

/*
 * Half-open TCP flows time out in seconds: at most 30 s (conntrack's
 * SYN_SENT 120 s would let a flood hold ports for minutes), and the
 * datapath gives a timed-out one's port to the next flow that wants it,
 * agent or no agent. An established flow as old keeps its port.
 */
static void test_half_open_timeout(void)
{
	__u64 ago = (BPFROUTE_FLOW_TCP_OPEN_S + 1) * BPFROUTE_NSEC_PER_SEC;
	struct flow a = tcp_a4, b = tcp_a4;
	struct bpfroute_tc *skel;
	__u16 port = 0;

	b.src = CLIENT_B4;
	if (!start("half_open_timeout", &skel, 0))
		return;
	ASSERT_TRUE(BPFROUTE_FLOW_TCP_OPEN_S <= 30, "half-open TCP timeout at most 30 s");
	ASSERT_EQ(bpfroute_flow_timeout_ns(IPPROTO_TCP, BPFROUTE_FLOW_NEW),
		  BPFROUTE_FLOW_TCP_OPEN_S * BPFROUTE_NSEC_PER_SEC, "timeout of a new TCP flow");
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !out_translated(skel, &a, TGT4, a.sport, true, NULL, "client A, SYN") ||
	    !age_flow(skel, &a, TGT4, a.sport, ago, BPFROUTE_FLOW_NEW))
		goto out;
	out_translated(skel, &b, TGT4, b.sport, true, NULL,
		       "client B gets the port of A's half-open flow, timed out");
	ASSERT_EQ(map_entries(skel->maps.bpfroute_nat_out), 1, "A's flow is gone");
	ASSERT_EQ(client_count(skel, 4, CLIENT_A4), 0, "A counted down");

	/* Established and as old: alive, B's next flow from that port goes elsewhere. */
	b.dport = 8443;
	a.dport = 8443;
	if (!out_translated(skel, &a, TGT4, a.sport, true, NULL, "client A, to 8443") ||
	    !age_flow(skel, &a, TGT4, a.sport, ago, BPFROUTE_FLOW_ESTABLISHED) ||
	    !out_translated(skel, &b, TGT4, 0, true, &port, "client B, to 8443"))
		goto out;
	ASSERT_NEQ(port, a.sport, "an established flow keeps its port");

	/*
	 * Reset before it was established (a client answering a forged SYN's
	 * SYN-ACK with a RST): closing, but timed as half-open.
	 */
	a.dport = b.dport = 9443;
	a.tcp_flags = TCP_RST;
	if (!out_translated(skel, &a, TGT4, a.sport, true, NULL, "client A, RST to 9443") ||
	    !age_flow(skel, &a, TGT4, a.sport, ago, BPFROUTE_FLOW_CLOSING))
		goto out;
	out_translated(skel, &b, TGT4, b.sport, true, NULL,
		       "client B gets the port of A's flow reset before it was established");
out:
	finish(skel);
}

/* ---------------------------------------------------------------------------
 * Real devices: an L3 target (TUN) and a LAN (veth pair)
 */

#define RT_LAN		"natlan0"	/* the gateway's LAN side */
#define RT_CLIENT	"natcli0"	/* its veth peer: where the client's frames come from */
#define RT_TUN		"nattun0"	/* the target: an L3 device, as WireGuard is */

static const __u8 mac_client[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x22 };


static int tun_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int packet_socket(int ifindex)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex,
	};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * Reads from fd (a TUN or a packet socket) until a packet whose bytes at off
 * (from the start) match the len bytes at match arrives, or 2 s pass. Other
 * traffic (router solicitations, MLD) is skipped.
 */
static bool read_match(int fd, size_t off, const void *match, size_t len, struct pkt *p)
{
	__u64 deadline = mono_ns() + 2000000000ULL;

	while (mono_ns() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(fd, p->data, sizeof(p->data));
		if (n <= 0)
			continue;
		p->len = (size_t)n;
		if (p->len >= off + len && !memcmp(p->data + off, match, len))
			return true;
	}
	return false;
}

/* Checks the L3 part of got (at got_l3) against a from-scratch frame's. */
static bool expect_l3(const struct pkt *got, size_t got_l3, const struct pkt *want,
		      const char *what)
{
	struct pkt g = { .len = got->len - got_l3 + ETH_HLEN };

	if (got->len < got_l3)
		return ASSERT_TRUE(false, what);
	memcpy(g.data, want->data, ETH_HLEN);	/* compare from L3 on */
	memcpy(g.data + ETH_HLEN, got->data + got_l3, got->len - got_l3);
	return expect_frame(&g, want, what);
}

/*
 * Out from a client on the veth into the TUN target, then the reply written
 * into the TUN back out of the veth with the client's MAC: bpf_redirect()
 * into an L3 device, an L3 device's packet seen by bpfroute_unnat with the
 * IP header first, and bpf_redirect_neigh() after bpf_skb_change_head().
 */
static void round_trip(struct bpfroute_tc *skel, int tun, int cli, int cli_ifindex,
		       const __u8 *lan_mac, const struct flow *f, const char *tgt, const char *what)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = cli_ifindex,
				  .sll_halen = ETH_ALEN };
	struct stats before, after;
	struct pkt in, want, got;
	struct flow t, r, back;
	__u8 daddr[16];
	char m[256];

	memcpy(to.sll_addr, lan_mac, ETH_ALEN);
	if (!read_stats(skel, &before))
		return;
	build(f, &in);
	memcpy(in.data, lan_mac, ETH_ALEN);
	memcpy(in.data + ETH_ALEN, mac_client, ETH_ALEN);
	if (!ASSERT_EQ(sendto(cli, in.data, in.len, 0, (struct sockaddr *)&to, sizeof(to)),
		       (ssize_t)in.len, MSG(m, "%s: send the client's frame", what)))
		return;
	t = translated_out(f, tgt, f->sport);
	build(&t, &want);
	parse_addr(AF(f->family), f->dst, daddr);
	if (!ASSERT_TRUE(read_match(tun, f->family == 4 ? 16 : 24, daddr, f->family == 4 ? 4 : 16,
				    &got), MSG(m, "%s: the packet comes out of the TUN", what)) ||
	    !expect_l3(&got, 0, &want, MSG(m, "%s: out of the TUN, translated", what)))
		return;

	r = reply_of(f, tgt, f->sport, TCP_SYN | TCP_ACK);
	build(&r, &in);
	if (!ASSERT_EQ(write(tun, in.data + ETH_HLEN, in.len - ETH_HLEN),
		       (ssize_t)(in.len - ETH_HLEN), MSG(m, "%s: write the reply", what)))
		return;
	back = r;
	back.dst = f->src;
	back.ttl = r.ttl - 1;
	build(&back, &want);
	parse_addr(AF(f->family), f->src, daddr);
	if (!ASSERT_TRUE(read_match(cli, ETH_HLEN + (f->family == 4 ? 16 : 24), daddr,
				    f->family == 4 ? 4 : 16, &got),
			 MSG(m, "%s: the reply reaches the client's veth", what)))
		return;
	ASSERT_MEMEQ(got.data, mac_client, ETH_ALEN,
		     MSG(m, "%s: to the client's MAC (from the neighbour table)", what));
	ASSERT_MEMEQ(got.data + ETH_ALEN, lan_mac, ETH_ALEN,
		     MSG(m, "%s: from the LAN device's MAC", what));
	ASSERT_EQ(get_be16(got.data + 2 * ETH_ALEN), f->family == 4 ? ETH_P_IP : ETH_P_IPV6,
		  MSG(m, "%s: ethertype", what));
	expect_l3(&got, ETH_HLEN, &want, MSG(m, "%s: the reply, translated back", what));

	if (!read_stats(skel, &after))
		return;
	ASSERT_EQ(after.v[BPFROUTE_STAT_NAT_NEW] - before.v[BPFROUTE_STAT_NAT_NEW], 1,
		  MSG(m, "%s: stats[NAT_NEW] delta", what));
	ASSERT_EQ(after.v[BPFROUTE_STAT_NAT_IN] - before.v[BPFROUTE_STAT_NAT_IN], 1,
		  MSG(m, "%s: stats[NAT_IN] delta", what));
}

/* The payload build() gives a flow of n bytes, for a real socket to send. */
static void pattern(__u8 *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (__u8)(i * 7 + 3);
}

#define SOCK_PORT	40100
#define SOCK_RPORT	4500
#define SOCK_LEN	24

/*
 * The client in a network namespace of its own, with a real UDP socket, so
 * that its packets reach the LAN device as a local sender's do over veth:
 * CHECKSUM_PARTIAL, the checksum field holding only the pseudo-header sum.
 * Reports one byte per family on res: 'y' if the reply came back whole.
 */
static void __attribute__((noreturn)) client_child(int ready, int go, int res)
{
	__u8 buf[64], want[SOCK_LEN];
	char b;

	if (unshare(CLONE_NEWNET) || write(ready, "r", 1) != 1 || read(go, &b, 1) != 1)
		_exit(2);
	if (sh("ip link set lo up && ip link set " RT_CLIENT " address 02:00:5e:10:00:22 && "
	       "ip link set " RT_CLIENT " up && ip addr add " CLIENT_A4 "/24 dev " RT_CLIENT " && "
	       "ip addr add " CLIENT_A6 "/64 dev " RT_CLIENT " nodad && "
	       "ip route add default via 192.0.2.1 && ip -6 route add default via 2001:db8:1::1"))
		_exit(3);
	pattern(want, sizeof(want));
	for (int family = 4; family <= 6; family += 2) {
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(SOCK_PORT) };
		struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(SOCK_PORT) };
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		struct pollfd pfd = { .events = POLLIN };
		char ok = 'n';
		ssize_t n;
		int fd;

		fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 ||
		    bind(fd, family == 4 ? (struct sockaddr *)&a4 : (struct sockaddr *)&a6,
			 family == 4 ? sizeof(a4) : sizeof(a6)))
			_exit(4);
		a4.sin_port = a6.sin6_port = htons(SOCK_RPORT);
		parse_addr(AF_INET, REMOTE4, &a4.sin_addr);
		parse_addr(AF_INET6, REMOTE6, &a6.sin6_addr);
		if (sendto(fd, want, sizeof(want), 0,
			   family == 4 ? (struct sockaddr *)&a4 : (struct sockaddr *)&a6,
			   family == 4 ? sizeof(a4) : sizeof(a6)) != sizeof(want))
			_exit(5);
		pfd.fd = fd;
		if (poll(&pfd, 1, 3000) == 1) {
			n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
			if (n == sizeof(want) && !memcmp(buf, want, sizeof(want)) &&
			    (family == 4 ? ((struct sockaddr_in *)&from)->sin_port :
					   ((struct sockaddr_in6 *)&from)->sin6_port) ==
				    htons(SOCK_RPORT))
				ok = 'y';
		}
		close(fd);
		if (write(res, &ok, 1) != 1)
			_exit(6);
	}
	_exit(0);
}

/*
 * What a real socket sent, as it leaves the TUN: the kernel finished the
 * partial checksum on the way (TUN offers no checksum offload), so a wrong
 * pseudo-header patch shows as a bad checksum here.
 */
static void socket_round_trip(int tun, int family, int res)
{
	size_t ihl = family == 4 ? IP4_HLEN : IP6_HLEN, alen = family == 4 ? 4 : 16;
	const char *what = family == 4 ? "UDP socket, IPv4" : "UDP socket, IPv6";
	struct flow r = {
		.family = family, .src = family == 4 ? REMOTE4 : REMOTE6,
		.dst = family == 4 ? TGT4 : TGT6, .proto = IPPROTO_UDP, .sport = SOCK_RPORT,
		.dport = SOCK_PORT, .ttl = 64, .payload = SOCK_LEN,
	};
	__u8 remote[16], tgt[16], want[SOCK_LEN];
	struct pollfd pfd = { .fd = res, .events = POLLIN };
	struct pkt got, in;
	const __u8 *ip, *uh;
	char m[256], ok = 0;

	parse_addr(AF(family), r.src, remote);
	parse_addr(AF(family), r.dst, tgt);
	pattern(want, sizeof(want));
	if (!ASSERT_TRUE(read_match(tun, family == 4 ? 16 : 24, remote, alen, &got),
			 MSG(m, "%s: the datagram comes out of the TUN", what)) ||
	    !ASSERT_EQ(got.len, ihl + 8 + SOCK_LEN, MSG(m, "%s: length", what)))
		return;
	ip = got.data;
	uh = ip + ihl;
	ASSERT_MEMEQ(ip + (family == 4 ? 12 : 8), tgt, alen,
		     MSG(m, "%s: source is the target's", what));
	ASSERT_EQ(ip[family == 4 ? 8 : 7], 63, MSG(m, "%s: TTL one less", what));
	if (family == 4)
		ASSERT_TRUE(ipv4_csum_valid(ip), MSG(m, "%s: IPv4 header checksum", what));
	ASSERT_EQ(get_be16(uh), SOCK_PORT, MSG(m, "%s: source port kept", what));
	ASSERT_MEMEQ(uh + 8, want, SOCK_LEN, MSG(m, "%s: payload", what));
	ASSERT_NEQ(get_be16(uh + 6), 0, MSG(m, "%s: UDP checksum present", what));
	ASSERT_EQ(csum_fold(pseudo_sum(ip + (family == 4 ? 12 : 8), ip + (family == 4 ? 16 : 24), alen,
				  IPPROTO_UDP, 8 + SOCK_LEN) + csum_add(0, uh, 8 + SOCK_LEN)),
		  0xffff, MSG(m, "%s: UDP checksum valid from scratch", what));

	build(&r, &in);
	if (!ASSERT_EQ(write(tun, in.data + ETH_HLEN, in.len - ETH_HLEN),
		       (ssize_t)(in.len - ETH_HLEN), MSG(m, "%s: write the reply", what)))
		return;
	if (poll(&pfd, 1, 5000) != 1 || read(res, &ok, 1) != 1)
		ok = 0;
	ASSERT_EQ(ok, 'y', MSG(m, "%s: the socket got the reply from the remote's port", what));
}

static void socket_round_trips(int tun)
{
	int ready[2] = { -1, -1 }, go[2] = { -1, -1 }, res[2] = { -1, -1 }, status;
	pid_t pid = -1;
	char b;

	if (!ASSERT_OK(pipe(ready) || pipe(go) || pipe(res) ? -errno : 0, "pipes"))
		goto out;
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		close(res[0]);
		client_child(ready[1], go[0], res[1]);
	}
	if (!ASSERT_TRUE(pid > 0, "fork the client") ||
	    !ASSERT_EQ(read(ready[0], &b, 1), 1, "the client's namespace") ||
	    !ASSERT_OK(sh("ip link set " RT_CLIENT " netns %d", (int)pid),
		       "move the client's veth into its namespace") ||
	    !ASSERT_EQ(write(go[1], "g", 1), 1, "start the client"))
		goto out;
	socket_round_trip(tun, 4, res[0]);
	socket_round_trip(tun, 6, res[0]);
out:
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (go[i] >= 0)
			close(go[i]);
		if (res[i] >= 0)
			close(res[i]);
	}
	if (pid > 0) {
		waitpid(pid, &status, 0);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			    "the client exits cleanly");
	}
}

static int tc_attach_prog(int ifindex, enum bpf_tc_attach_point where, int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1, .prog_fd = prog_fd);
	int err = bpf_tc_hook_create(&hook);

	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

static void test_l3_device_round_trip(void)
{
	struct bpfroute_tc *skel = NULL;
	int tun = -1, cli = -1, lan, cli_ifindex, tun_ifindex;
	struct ifreq ifr = {};
	struct flow f4 = tcp_a4, f6 = tcp_a6;
	__u8 lan_mac[ETH_ALEN];
	int s;

	if (!start("l3_device_round_trip", &skel, 0))
		return;
	if (!in_private_netns || sh("ip -V >/dev/null 2>&1")) {
		test__skip(in_private_netns ? "needs iproute2 (ip)" :
			   "needs a private network namespace");
		bpfroute_tc__destroy(skel);
		return;
	}

	tun = tun_open(RT_TUN);
	if (!ASSERT_TRUE(tun >= 0, "open a TUN device") ||
	    !ASSERT_OK(sh("ip link add " RT_LAN " type veth peer name " RT_CLIENT " && "
			  "sysctl -qw net.ipv6.conf." RT_CLIENT ".disable_ipv6=1 && "
			  "sysctl -qw net.ipv6.conf." RT_TUN ".disable_ipv6=1 && "
			  "ip link set " RT_LAN " up && ip link set " RT_CLIENT " up && "
			  "ip link set " RT_TUN " up && "
			  "ip addr add 192.0.2.1/24 dev " RT_LAN " && "
			  "ip addr add 2001:db8:1::1/64 dev " RT_LAN " nodad && "
			  "ip neigh add " CLIENT_A4 " lladdr 02:00:5e:10:00:22 dev " RT_LAN
			  " nud permanent && "
			  "ip neigh add " CLIENT_A6 " lladdr 02:00:5e:10:00:22 dev " RT_LAN
			  " nud permanent"), "set up the veth pair and the TUN device"))
		goto out;
	lan = (int)if_nametoindex(RT_LAN);
	cli_ifindex = (int)if_nametoindex(RT_CLIENT);
	tun_ifindex = (int)if_nametoindex(RT_TUN);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), RT_LAN);
	if (!ASSERT_OK(s >= 0 && !ioctl(s, SIOCGIFHWADDR, &ifr) ? 0 : -errno, "the LAN's MAC"))
		goto out;
	close(s);
	memcpy(lan_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);

	if (!route_add(skel, "203.0.113.0/24", (__u32)tun_ifindex) ||
	    !route_add(skel, "2001:db8:3::/48", (__u32)tun_ifindex) ||
	    !target_set(skel, (__u32)tun_ifindex, BPFROUTE_TARGET_F_MASQ, TGT4, TGT6))
		goto out;
	if (!ASSERT_OK(tc_attach_prog(lan, BPF_TC_INGRESS,
				      bpf_program__fd(skel->progs.bpfroute_steer)),
		       "attach bpfroute_steer to the LAN's ingress") ||
	    !ASSERT_OK(tc_attach_prog(tun_ifindex, BPF_TC_INGRESS,
				      bpf_program__fd(skel->progs.bpfroute_unnat)),
		       "attach bpfroute_unnat to the TUN's ingress"))
		goto out;
	cli = packet_socket(cli_ifindex);
	if (!ASSERT_TRUE(cli >= 0, "packet socket on the client's veth"))
		goto out;

	round_trip(skel, tun, cli, cli_ifindex, lan_mac, &f4, TGT4, "IPv4 TCP");
	round_trip(skel, tun, cli, cli_ifindex, lan_mac, &f6, TGT6, "IPv6 TCP");
	socket_round_trips(tun);
out:
	if (cli >= 0)
		close(cli);
	if (tun >= 0)
		close(tun);
	sh("ip link del " RT_LAN " 2>/dev/null");
	finish(skel);
}

/* ---------------------------------------------------------------------------
 * Timing (informational: printed, never asserted)
 */

/* Average kernel ns of one run over calls fresh copies of a frame (repeat 1). */
static bool time_runs(int prog_fd, const struct pkt *in, int calls, __u32 want_ret, __u64 *ns)
{
	__u64 sum = 0;

	for (int i = 0; i < calls; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			.data_in = in->data,
			.data_size_in = (__u32)in->len,
			.repeat = 1,
		);

		if (!ASSERT_OK(bpf_prog_test_run_opts(prog_fd, &opts), "timed test_run") ||
		    !ASSERT_EQ(opts.retval, want_ret, "timed verdict"))
			return false;
		sum += opts.duration;
	}
	*ns = sum / (__u64)calls;
	return true;
}

#define NEW_FLOWS	2000	/* below max-client-flows' default */

static void test_run_timing(void)
{
	struct flow r = reply_of(&tcp_a4, TGT4, tcp_a4.sport, TCP_ACK);
	struct flow plain = tcp_a4, f = tcp_a4;
	struct pkt out;
	__u64 ns_plain, ns_out, ns_in, ns_miss, ns_new;
	struct bpfroute_tc *skel;
	struct pkt in;
	int calls = 20000;

	if (!start("test_run_timing", &skel, 0))
		return;
	/* 198.51.100.0/24 goes to a target without masquerade, for comparison. */
	if (!setup(skel, BPFROUTE_TARGET_F_MASQ) ||
	    !route_add(skel, "198.51.100.0/24", 12) || !target_set(skel, 12, 0, NULL, NULL))
		goto out;
	f.tcp_flags = plain.tcp_flags = r.tcp_flags = TCP_ACK;
	f.payload = plain.payload = r.payload = 64;
	plain.dst = "198.51.100.9";
	if (!out_translated(skel, &f, TGT4, f.sport, true, NULL, "the timed flow"))
		goto out;
	/* Established, as a busy flow is: the remote's answer, the client's ACK. */
	build(&r, &in);
	run_once(bpf_program__fd(skel->progs.bpfroute_unnat), &in, &(__u32){ 0 }, &out);
	if (!out_translated(skel, &f, TGT4, f.sport, false, NULL, "the timed flow, established"))
		goto out;

	build(&plain, &in);
	if (!time_runs(bpf_program__fd(skel->progs.bpfroute_steer), &in, calls, TC_ACT_REDIRECT,
		       &ns_plain))
		goto out;
	build(&f, &in);
	if (!time_runs(bpf_program__fd(skel->progs.bpfroute_steer), &in, calls, TC_ACT_REDIRECT,
		       &ns_out))
		goto out;
	build(&r, &in);
	if (!time_runs(bpf_program__fd(skel->progs.bpfroute_unnat), &in, calls, TC_ACT_REDIRECT,
		       &ns_in))
		goto out;
	r.dport = 5555;
	build(&r, &in);
	if (!time_runs(bpf_program__fd(skel->progs.bpfroute_unnat), &in, calls, TC_ACT_OK,
		       &ns_miss))
		goto out;
	/* New flows, each from another port: source check, count, port claim. */
	f.tcp_flags = TCP_SYN;
	f.payload = 0;
	ns_new = 0;
	for (int i = 0; i < NEW_FLOWS; i++) {
		__u64 ns;

		f.sport = (__u16)(20000 + i);
		build(&f, &in);
		if (!time_runs(bpf_program__fd(skel->progs.bpfroute_steer), &in, 1,
			       TC_ACT_REDIRECT, &ns))
			goto out;
		ns_new += ns;
	}
	printf("  info: test_run ns/run (repeat 1, mean of %d): steered without masquerade %llu; "
	       "masqueraded out %llu; reply translated in %llu; in, no flow %llu; "
	       "new flow %llu (mean of %d)\n", calls,
	       (unsigned long long)ns_plain, (unsigned long long)ns_out,
	       (unsigned long long)ns_in, (unsigned long long)ns_miss,
	       (unsigned long long)(ns_new / NEW_FLOWS), NEW_FLOWS);
out:
	finish(skel);
}

int main(int argc, char **argv)
{
	test__init(argc, argv);

	libbpf_set_print(libbpf_print);
	if (geteuid() != 0)
		skip_reason = "needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)";
	else
		in_private_netns = private_netns();
	/*
	 * test_run's packets come in on lo: the source check of new flows
	 * (nat_source_ok()) asks the FIB for the way back to the clients,
	 * which must lead out of lo, with forwarding on. Above the metric of
	 * the connected routes l3_device_round_trip makes on its veth.
	 */
	if (in_private_netns &&
	    sh("ip link set lo up && sysctl -qw net.ipv4.ip_forward=1 && "
	       "sysctl -qw net.ipv6.conf.all.forwarding=1 && "
	       "ip route add 192.0.2.0/24 dev lo metric 4000 && "
	       "ip -6 route add 2001:db8:1::/64 dev lo metric 4000"))
		skip_reason = "could not route the clients' subnets to lo (ip, sysctl)";
	else if (!in_private_netns && !skip_reason)
		skip_reason = "needs a private network namespace (routes to lo for the source check)";

	RUN_NAMED(test_out_tcp_syn, "out_tcp_syn_v4", &tcp_a4, TGT4);
	RUN_NAMED(test_out_tcp_syn, "out_tcp_syn_v6", &tcp_a6, TGT6);
	RUN_TEST(test_out_udp);
	RUN_NAMED(test_out_icmp_echo, "out_icmp_echo_v4", 4);
	RUN_NAMED(test_out_icmp_echo, "out_icmp_echo_v6", 6);
	RUN_TEST(test_out_port_collision);
	RUN_TEST(test_out_flow_reused);
	RUN_NAMED(test_reply, "reply_tcp_v4", &tcp_a4, TGT4, TCP_SYN | TCP_ACK);
	RUN_NAMED(test_reply, "reply_tcp_v6", &tcp_a6, TGT6, TCP_SYN | TCP_ACK);
	{
		struct flow u = {
			.family = 4, .src = CLIENT_A4, .dst = REMOTE4, .proto = IPPROTO_UDP,
			.sport = 40001, .dport = 4500, .ttl = 64, .payload = 32,
		};
		struct flow e = {
			.family = 4, .src = CLIENT_A4, .dst = REMOTE4, .proto = IPPROTO_ICMP,
			.sport = 0x1234, .ttl = 64, .payload = 56,
		};
		struct flow u6 = u, e6 = e;

		u6.family = e6.family = 6;
		u6.src = e6.src = CLIENT_A6;
		u6.dst = e6.dst = REMOTE6;
		e6.proto = IPPROTO_ICMPV6;
		RUN_NAMED(test_reply, "reply_udp_v4", &u, TGT4, 0);
		u.udp_nocsum = true;
		RUN_NAMED(test_reply, "reply_udp_v4_no_checksum", &u, TGT4, 0);
		RUN_NAMED(test_reply, "reply_udp_v6", &u6, TGT6, 0);
		RUN_NAMED(test_reply, "reply_echo_v4", &e, TGT4, 0);
		RUN_NAMED(test_reply, "reply_echo_v6", &e6, TGT6, 0);
	}
	RUN_TEST(test_reply_remapped);
	RUN_TEST(test_reply_synack_clamped_ipv4);
	RUN_TEST(test_reply_synack_clamped_ipv6);
	RUN_TEST(test_icmp_errors_v4);
	RUN_TEST(test_icmp_errors_v6);
	RUN_TEST(test_in_miss);
	RUN_TEST(test_in_ttl_expired);
	RUN_TEST(test_no_masq_unchanged);
	RUN_TEST(test_drain);
	RUN_TEST(test_table_full);
	RUN_TEST(test_no_free_port);
	RUN_TEST(test_early_drop);
	RUN_TEST(test_unsupported_dropped);
	RUN_TEST(test_no_address);
	RUN_TEST(test_target_address_changed);
	RUN_TEST(test_source_spoofed);
	RUN_TEST(test_client_cap);
	RUN_TEST(test_tcp_established_on_ack);
	RUN_TEST(test_half_open_timeout);
	RUN_TEST(test_l3_device_round_trip);
	RUN_TEST(test_run_timing);
	return test__exit_status();
}
