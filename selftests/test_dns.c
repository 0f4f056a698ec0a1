// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of DNS learning in bpfroute_tc.bpf.c, run with BPF_PROG_TEST_RUN
 * on crafted frames: a client's query through bpfroute_steer (LAN ingress),
 * then the resolver's answer through bpfroute_learn (LAN egress), then the
 * effects: bpfroute_query/qseen, the learned tables, bpfroute_names, every
 * counter of bpfroute_stats, and the ring buffer event.
 *
 * Every subtest loads a fresh skeleton with its learned tables made as
 * `load` makes them, writes bpfroute_conf[0] (a fixed hash key, min-ttl 30,
 * max-ttl 86400, idle-timeout 300, max-routes 64, LEARN) and its domain
 * rules, and checks the delta
 * of every counter exactly: a counter that moves when it should not is a
 * failure as much as one that does not move.
 *
 * The domain rule keys and question hashes are computed here from
 * include/bpfroute_name_hash.h, the one definition user space shares with
 * the kernel: a rule key is the backward hash (last byte first) of the
 * lower-case wire-format name, a question's identity the forward hash.
 *
 * As in test_tc.c, the binary runs in a network namespace of its own, where
 * test_run's eth_type_trans() against lo makes a frame to the all-zero MAC
 * PACKET_HOST (see the top of test_tc.c). It also pins itself to CPU 0: the
 * parser's scratch buffer is per CPU, and one subtest looks at what one
 * answer leaves there for the next.
 *
 * Times: the programs read CLOCK_MONOTONIC (bpf_ktime_get_ns() where an
 * answer is learned, its coarse form bpf_ktime_get_coarse_ns() per packet);
 * each run is bracketed by clock_gettime() of the same clocks before and
 * after, and a time the program writes (in the whole seconds learned entries
 * keep) must fall inside the bracket, so no tolerance is guessed.
 *
 * Run as root; without the privileges every subtest is skipped.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent_dns.h"
#include "bpfroute_abi.h"
#include "bpfroute_name_hash.h"
#include "bpfroute_policy.h"
#include "bpfroute_tc.skel.h"
#include "dns_build.h"
#include "dns_gen.h"
#include "fixtures.h"

/* test_run takes up to a page less skb headroom and shared info: 3.6 KiB. */
#define PKT_MAX		3600
#include "pkt.h"
#include "test.h"

TEST_STATE_DEFINE;

#define NSEC		1000000000ULL

/* The parties. Documentation prefixes (RFC 5737, RFC 3849). */
#define CLIENT4		"192.0.2.10"
#define CLIENT4_OTHER	"192.0.2.11"
#define RESOLVER4	"198.51.100.53"
#define RESOLVER4_B	"198.51.100.54"	/* a second trusted resolver */
#define ROGUE4		"198.51.100.66"	/* a server nobody trusts */
#define CLIENT6		"2001:db8:1::10"
#define RESOLVER6	"2001:db8:53::53"

#define MIN_TTL		30
#define MAX_TTL		86400
#define IDLE_TIMEOUT	300
#define MAX_ROUTES	64

static const char *const verdict_names[] = {
	[BPFROUTE_DNS_LEARNED] = "LEARNED",
	[BPFROUTE_DNS_NOTHING] = "NOTHING",
	[BPFROUTE_DNS_FULL] = "FULL",
	[BPFROUTE_DNS_AGENT] = "AGENT",
};

/* Ends a list of (stat, delta) pairs. */
#define END		(-1)

static const char *skip_reason;

static __u64 clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (__u64)ts.tv_sec * NSEC + (__u64)ts.tv_nsec;
}

/* The learner's clock, and the classifier's (the last tick's time). */
static __u64 mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static __u64 coarse_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

/* Whole seconds, as learned entries keep them. */
static __u32 secs(__u64 ns)
{
	return (__u32)(ns / NSEC);
}

/* ---------------------------------------------------------------------------
 * Frames
 */

static int family_of(const char *addr)
{
	return strchr(addr, ':') ? AF_INET6 : AF_INET;
}

/* An address as the maps hold it: 16 bytes, IPv4 in the first 4, the rest zero. */
static void addr16(const char *s, __u8 out[16])
{
	memset(out, 0, 16);
	parse_addr(family_of(s), s, out);
}

/* One IP packet: who sends what to whom. */
struct frame {
	const char *src, *dst;
	__u8 proto;		/* IPPROTO_UDP or IPPROTO_TCP */
	__u16 sport, dport;	/* host order */
	__u8 tcp_flags;		/* TCP only; 0 means PSH|ACK */
	__u16 frag_off;		/* IPv4: IP4_MF | offset; 0 means DF */
	__u16 udp_len;		/* UDP length field if not the true one (a first fragment) */
	const __u8 *payload;	/* L4 payload */
	size_t len;
};

/*
 * Ethernet + IPv4/IPv6 + UDP/TCP with correct lengths and checksums, to dst_mac.
 * A first fragment (IP4_MF) keeps the L4 checksum of nothing: it would cover
 * the whole datagram.
 */
static void pkt_frame(struct pkt *p, const __u8 *dst_mac, const struct frame *f)
{
	int family = family_of(f->src);
	size_t l3, l4, alen = family == AF_INET ? 4 : 16;
	__u8 *ip, *saddr, *daddr, *h;

	pkt_eth(p, dst_mac, family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	l3 = p->len;
	if (family == AF_INET) {
		ip = pkt_put(p, NULL, 20);
		ip[0] = 0x45;
		put_be16(ip + 4, 0x2a2a);
		put_be16(ip + IP4_FRAG_OFF, f->frag_off ? f->frag_off : IP4_DF);
		ip[IP4_TTL] = 64;
		ip[9] = f->proto;
		saddr = ip + 12;
		daddr = ip + 16;
	} else {
		ip = pkt_put(p, NULL, IP6_HLEN);
		put_be32(ip, 6u << 28);
		ip[6] = f->proto;
		ip[IP6_HOP_LIMIT] = 64;
		saddr = ip + 8;
		daddr = ip + 24;
	}
	parse_addr(family, f->src, saddr);
	parse_addr(family, f->dst, daddr);
	l4 = p->len;
	if (f->proto == IPPROTO_UDP) {
		h = pkt_put(p, NULL, 8);
		put_be16(h, f->sport);
		put_be16(h + 2, f->dport);
		put_be16(h + 4, f->udp_len ? f->udp_len : (__u16)(8 + f->len));
	} else {
		h = pkt_put(p, NULL, 20);
		put_be16(h, f->sport);
		put_be16(h + 2, f->dport);
		put_be32(h + 4, 0x01020304);
		put_be32(h + 8, (f->tcp_flags & TCP_SYN) ? 0 : 0x0a0b0c0d);
		h[12] = 5 << 4;
		h[13] = f->tcp_flags ? f->tcp_flags : TCP_PSH_ACK;
		put_be16(h + 14, 0xffff);
	}
	if (f->len)
		pkt_put(p, f->payload, f->len);
	if (family == AF_INET) {
		put_be16(ip + IP4_TOT_LEN, (__u16)(p->len - l3));
		put_be16(ip + IP4_CHECK, ipv4_csum(ip));
	} else {
		put_be16(ip + 4, (__u16)(p->len - l3 - IP6_HLEN));
	}
	if (!(f->frag_off & IP4_MF))
		put_be16(p->data + l4 + (f->proto == IPPROTO_UDP ? 6 : 16),
			 l4_csum(saddr, daddr, alen, f->proto, p->data + l4, p->len - l4));
}

/* A client's DNS conversation: UDP or TCP, from client:cport to server:53. */
struct flow {
	__u8 proto;
	const char *client;
	__u16 cport;		/* host order */
	const char *server;
};

#define UDP4(port) ((struct flow){ IPPROTO_UDP, CLIENT4, (port), RESOLVER4 })
#define UDP6(port) ((struct flow){ IPPROTO_UDP, CLIENT6, (port), RESOLVER6 })
#define TCP4(port) ((struct flow){ IPPROTO_TCP, CLIENT4, (port), RESOLVER4 })

/*
 * A DNS message in a frame: the query from the client to the server, or the
 * answer back. Over TCP, the message follows its 2-byte length (RFC 1035
 * section 4.2.2).
 */
static void pkt_dns(struct pkt *p, const struct flow *fl, bool query, const struct dns_msg *m)
{
	static __u8 buf[2 + DNS_BUILD_MAX];
	struct frame f = {
		.proto = fl->proto,
		.src = query ? fl->client : fl->server,
		.dst = query ? fl->server : fl->client,
		.sport = query ? fl->cport : 53,
		.dport = query ? 53 : fl->cport,
		.payload = buf,
	};

	if (fl->proto == IPPROTO_TCP) {
		put_be16(buf, (__u16)m->len);
		memcpy(buf + 2, m->b, m->len);
		f.len = m->len + 2;
	} else {
		memcpy(buf, m->b, m->len);
		f.len = m->len;
	}
	/* A query must reach us (PACKET_HOST); an answer leaves towards the client. */
	pkt_frame(p, query ? mac_us : mac_peer, &f);
}

/* A connection's first packet from the client, to addr:443. */
static void pkt_syn(struct pkt *p, const char *addr)
{
	struct frame f = {
		.src = family_of(addr) == AF_INET ? CLIENT4 : CLIENT6, .dst = addr,
		.proto = IPPROTO_TCP, .sport = 50000, .dport = 443, .tcp_flags = TCP_SYN,
	};

	pkt_frame(p, mac_us, &f);
}

/* ---------------------------------------------------------------------------
 * A subtest's world: the skeleton, its configuration, its ring buffer
 */

#define MAX_EVENTS	20

struct event {
	size_t size;
	union {
		struct bpfroute_dns_event ev;
		__u8 raw[sizeof(struct bpfroute_dns_event) + BPFROUTE_DNS_MSG_MAX + 64];
	};
};

struct ctx {
	struct bpfroute_tc *skel;
	struct ring_buffer *rb;
	struct bpfroute_conf conf;
	struct event ev[MAX_EVENTS];
	int n_ev;
	int ev_dropped;		/* events past MAX_EVENTS, or too big to keep */
	__u64 t0, t1;		/* CLOCK_MONOTONIC around the last program run */
	__u64 c0, c1;		/* CLOCK_MONOTONIC_COARSE likewise */
};

static int on_event(void *arg, void *data, size_t size)
{
	struct ctx *c = arg;
	struct event *e;

	if (c->n_ev >= MAX_EVENTS || size > sizeof(e->raw)) {
		c->ev_dropped++;
		return 0;
	}
	e = &c->ev[c->n_ev++];
	memset(e->raw, 0, sizeof(e->raw));
	memcpy(e->raw, data, size);
	e->size = size;
	return 0;
}

static bool conf_write(struct ctx *c)
{
	__u32 zero = 0;

	return ASSERT_OK(bpf_map_update_elem(bpf_map__fd(c->skel->maps.bpfroute_conf), &zero,
					     &c->conf, BPF_ANY) ? -errno : 0,
			 "write bpfroute_conf[0]");
}

/*
 * Starts a subtest: a fresh skeleton with its learned tables, max-routes
 * max_routes, a ring buffer of events_bytes (0: as built), the usual conf
 * with `flags`.
 */
/* The size of bpfroute_rules for the next start (max-rules); 0: as declared. */
static __u32 start_rules_max;

static bool start_opts(struct ctx *c, const char *name, __u32 flags, __u32 max_routes,
		       __u32 events_bytes)
{
	char m[160];
	int err;

	memset(c, 0, sizeof(*c));
	test__start_subtest(name);
	if (skip_reason) {
		test__skip(skip_reason);
		return false;
	}
	c->skel = bpfroute_tc__open();
	if (!c->skel) {
		err = -errno;
		if (err == -EPERM || err == -EACCES) {
			skip_reason = "loading BPF needs CAP_BPF and CAP_NET_ADMIN (run as root)";
			test__skip(skip_reason);
			return false;
		}
		ASSERT_OK(err, MSG(m, "bpfroute_tc__open: %s", strerror(-err)));
		goto fail;
	}
	if (events_bytes &&
	    !ASSERT_OK(bpf_map__set_max_entries(c->skel->maps.bpfroute_events, events_bytes),
		       "set bpfroute_events size"))
		goto fail;
	if (start_rules_max &&
	    !ASSERT_OK(bpf_map__set_max_entries(c->skel->maps.bpfroute_rules, start_rules_max),
		       "set bpfroute_rules size"))
		goto fail;
	err = bpfroute_tc__load(c->skel);
	if (err) {
		if (err == -EPERM || err == -EACCES) {
			skip_reason = "loading BPF needs CAP_BPF and CAP_NET_ADMIN (run as root)";
			bpfroute_tc__destroy(c->skel);
			test__skip(skip_reason);
			return false;
		}
		ASSERT_OK(err, MSG(m, "bpfroute_tc__load: %s", strerror(-err)));
		goto fail;
	}
	c->conf = (struct bpfroute_conf){
		.hash_key = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL },
		.min_ttl = MIN_TTL,
		.max_ttl = MAX_TTL,
		.idle_timeout = IDLE_TIMEOUT,
		.flags = flags,
		.max_routes = max_routes,
	};
	if (!conf_write(c) || !ASSERT_OK(lt_setup(c->skel->obj), "making the learned tables"))
		goto fail;
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.bpfroute_events), on_event, c, NULL);
	if (!ASSERT_TRUE(c->rb != NULL, "ring_buffer__new(bpfroute_events)"))
		goto fail;
	return true;
fail:
	bpfroute_tc__destroy(c->skel);
	test__end_subtest();
	return false;
}

static bool start(struct ctx *c, const char *name, __u32 flags)
{
	return start_opts(c, name, flags, MAX_ROUTES, 0);
}

static void finish(struct ctx *c)
{
	ring_buffer__free(c->rb);
	bpfroute_tc__destroy(c->skel);
	test__end_subtest();
}

/* ---------------------------------------------------------------------------
 * Names, rules and the other tables user space writes
 */

/* The kernel's identity of a name: the forward hash of its lower-case wire form. */
static __u64 name_id(const struct ctx *c, const char *name)
{
	__u8 w[256];
	size_t n = dns_wire(name, w, true);
	__u64 h = name_hash_init(&c->conf);

	for (size_t i = 0; i < n; i++)
		h = name_hash_byte(h, w[i]);
	return name_hash_final(&c->conf, h);
}

/* The id of a message's question (uncompressed at offset 12), lower-cased. */
static __u64 dns_question_id(const struct ctx *c, const struct dns_msg *m)
{
	__u64 h = name_hash_init(&c->conf);
	size_t i = 12;	/* after the header */

	while (i < m->len) {
		size_t len = m->b[i];

		h = name_hash_byte(h, (__u8)len);
		for (size_t j = 1; j <= len && i + j < m->len; j++)
			h = name_hash_byte(h, (__u8)tolower(m->b[i + j]));
		if (!len)
			break;
		i += 1 + len;
	}
	return name_hash_final(&c->conf, h);
}

/*
 * A domain rule: "*.example.com" for the names strictly below example.com
 * (stored as example.com, wildcard 1), or "app.example.com" for that name.
 * The key is the backward hash, last byte (the root label) first.
 */
/* rule_flags: BPFROUTE_RULE_F_*; map_flags: the update's (BPF_NOEXIST, BPF_EXIST). */
static bool rule_put(struct ctx *c, const char *pattern, __u32 ifindex, __u16 id,
		     __u16 rule_flags, __u8 clients, __u64 map_flags)
{
	struct bpfroute_rule val = { .ifindex = ifindex, .id = id, .flags = rule_flags,
				     .clients = clients };
	struct bpfroute_rule_key key = {};
	const char *name = pattern;
	char m[160];
	__u64 h;

	if (!strncmp(pattern, "*.", 2)) {
		key.wildcard = 1;
		name += 2;
	}
	val.name_len = (__u16)dns_wire(name, val.name, true);
	h = name_hash_init(&c->conf);
	for (size_t i = val.name_len; i > 0; i--)
		h = name_hash_byte(h, val.name[i - 1]);
	key.hash = name_hash_final(&c->conf, h);
	return ASSERT_OK(bpf_map_update_elem(bpf_map__fd(c->skel->maps.bpfroute_rules), &key,
					     &val, map_flags) ? -errno : 0,
			 MSG(m, "add rule %s", pattern));
}

static bool rule_add(struct ctx *c, const char *pattern, __u32 ifindex, __u16 id)
{
	return rule_put(c, pattern, ifindex, id, 0, 0, BPF_NOEXIST);
}

/* A `bypass NAME` or `bypass *.NAME` line, as `load` writes it: no device. */
static bool bypass_add(struct ctx *c, const char *pattern, __u16 id)
{
	return rule_put(c, pattern, 0, id, BPFROUTE_RULE_F_BYPASS, 0, BPF_NOEXIST);
}

static bool resolver_add(struct ctx *c, const char *addr)
{
	struct bpfroute_resolver_key key = { .family = family_of(addr) == AF_INET ? 4 : 6 };
	__u32 one = 1;
	char m[160];

	addr16(addr, key.addr);
	return ASSERT_OK(bpf_map_update_elem(bpf_map__fd(c->skel->maps.bpfroute_resolv), &key,
					     &one, BPF_NOEXIST) ? -errno : 0,
			 MSG(m, "add resolver %s", addr));
}

static bool excl_add(struct ctx *c, const char *addr, __u32 reason)
{
	struct bpfroute_excl val = { .reason = reason, .ifindex = 1 };
	__u8 key[16];
	char m[160];
	int fd = family_of(addr) == AF_INET ? bpf_map__fd(c->skel->maps.bpfroute_excl4) :
					      bpf_map__fd(c->skel->maps.bpfroute_excl6);

	addr16(addr, key);
	return ASSERT_OK(bpf_map_update_elem(fd, key, &val, BPF_NOEXIST) ? -errno : 0,
			 MSG(m, "exclude %s", addr));
}

/* The learned entry of addr: 0, or -ENOENT. */
static int host_get(const struct ctx *c, const char *addr, struct bpfroute_host *h)
{
	__u8 key[16];

	addr16(addr, key);
	return lt_get(c->skel->obj, family_of(addr) == AF_INET ? 4 : 6, key, h);
}

/* Rewrite the fields of addr's learned entry (its state word stays). */
static bool host_put(const struct ctx *c, const char *addr, const struct bpfroute_host *h)
{
	__u8 key[16];
	char m[160];

	addr16(addr, key);
	return ASSERT_OK(lt_set(c->skel->obj, family_of(addr) == AF_INET ? 4 : 6, key, h),
			 MSG(m, "rewrite host entry %s", addr));
}

static int map_count(int fd)
{
	__u8 key[64], next[64];
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}

/* ---------------------------------------------------------------------------
 * Counters
 */

struct stats {
	__u64 v[BPFROUTE_STAT_MAX];
};

static bool stats_snap(const struct ctx *c, struct stats *s)
{
	return percpu_sum(bpf_map__fd(c->skel->maps.bpfroute_stats), BPFROUTE_STAT_MAX, s->v);
}

/* Every counter moved by exactly its listed delta, every other one not at all. */
static bool deltas_check(const struct stats *a, const struct stats *b, const char *what,
			 va_list ap)
{
	__u64 want[BPFROUTE_STAT_MAX] = {};
	bool ok = true;
	char m[256];
	int stat;

	while ((stat = va_arg(ap, int)) != END) {
		long long n = va_arg(ap, long long);

		if (stat < 0 || stat >= BPFROUTE_STAT_MAX) {
			fprintf(stderr, "test bug: stat %d\n", stat);
			abort();
		}
		want[stat] = (__u64)n;
	}
	for (int i = 0; i < BPFROUTE_STAT_MAX; i++)
		ok &= ASSERT_EQ(b->v[i] - a->v[i], want[i],
				MSG(m, "%s: stats[%s] delta", what, stat_name(i)));
	return ok;
}

/*
 * Deltas are (stat, count) pairs ended by END; the counts are long long so
 * that a byte count passes through varargs whole. D() writes one pair.
 */
#define D(stat, n) BPFROUTE_STAT_##stat, (long long)(n)

/* ---------------------------------------------------------------------------
 * Running the programs
 */

/*
 * The LAN interface frames arrive on (skb->ingress_ifindex; the device stays
 * lo, see the top), and a WAN with the default route: a query's source is
 * recorded only if the gateway routes it back out the LAN (lan_setup()).
 */
static int lan_ifindex;

static int run_in(int prog_fd, const struct pkt *in, __u32 *retval, struct pkt *out,
		  __u32 ingress_ifindex)
{
	struct __sk_buff skb = { .ingress_ifindex = ingress_ifindex };

	return run_skb(prog_fd, in, &skb, retval, out);
}

static bool run(struct ctx *c, int prog_fd, const struct pkt *in, __u32 *retval,
		struct pkt *out, const char *what)
{
	char m[256];
	int err;

	c->c0 = coarse_ns();
	c->t0 = mono_ns();
	err = run_in(prog_fd, in, retval, out, (__u32)lan_ifindex);
	c->t1 = mono_ns();
	c->c1 = coarse_ns();
	return ASSERT_OK(err ? -errno : 0, MSG(m, "%s: bpf_prog_test_run_opts", what));
}

/*
 * One frame through a program: the verdict, the frame that leaves (as it
 * came, or forwarded when redirected), and every counter's delta.
 */
static bool run_check(struct ctx *c, int prog_fd, const struct pkt *in, __u32 want_ret,
		      const char *what, va_list ap)
{
	struct stats before, after;
	struct pkt want, out;
	__u32 retval = ~0u;
	bool ok = true;
	char m[256];

	if (want_ret == TC_ACT_REDIRECT)
		pkt_forwarded(in, &want);
	else
		want = *in;
	if (!stats_snap(c, &before) || !run(c, prog_fd, in, &retval, &out, what))
		return false;
	ok &= ASSERT_EQ(retval, want_ret,
			MSG(m, "%s: verdict (0 TC_ACT_OK, 7 TC_ACT_REDIRECT)", what));
	ok &= expect_frame(&out, &want, what);
	if (!stats_snap(c, &after))
		return false;
	ok &= deltas_check(&before, &after, what, ap);
	return ok;
}

/* A frame through bpfroute_steer (LAN ingress); deltas follow, ended by END. */
static bool steer(struct ctx *c, const struct pkt *in, __u32 want_ret, const char *what, ...)
{
	va_list ap;
	bool ok;

	va_start(ap, what);
	ok = run_check(c, bpf_program__fd(c->skel->progs.bpfroute_steer), in, want_ret, what, ap);
	va_end(ap);
	return ok;
}

/* A frame through bpfroute_learn (LAN egress): always TC_ACT_OK, frame untouched. */
static bool learn_pkt(struct ctx *c, const struct pkt *in, const char *what, ...)
{
	va_list ap;
	bool ok;

	va_start(ap, what);
	ok = run_check(c, bpf_program__fd(c->skel->progs.bpfroute_learn), in, TC_ACT_OK, what,
		       ap);
	va_end(ap);
	return ok;
}

/* The answer m from fl's server to its client through bpfroute_learn. */
static bool answer(struct ctx *c, const struct flow *fl, const struct dns_msg *m,
		   const char *what, ...)
{
	static struct pkt p;
	va_list ap;
	bool ok;

	pkt_dns(&p, fl, false, m);
	va_start(ap, what);
	ok = run_check(c, bpf_program__fd(c->skel->progs.bpfroute_learn), &p, TC_ACT_OK, what,
		       ap);
	va_end(ap);
	return ok;
}

/* ---------------------------------------------------------------------------
 * Queries
 */

static void query_key(const struct flow *fl, __u16 id, struct bpfroute_query_key *key)
{
	memset(key, 0, sizeof(*key));
	addr16(fl->client, key->client);
	key->client_port = htons(fl->cport);
	key->id = htons(id);
	key->family = family_of(fl->client) == AF_INET ? 4 : 6;
	key->proto = fl->proto;
}

enum query_place { QUERY_NOWHERE, QUERY_OWN, QUERY_SHARED };

/*
 * Where the query of key is recorded in bpfroute_query: its client's bucket
 * (bpfroute_query_bucket()) or its shared slot (bpfroute_query_shared(), the
 * one definitions); -errno if a lookup fails.
 */
static int query_where(const struct ctx *c, const struct bpfroute_query_key *key,
		       struct bpfroute_query *q)
{
	__u32 b = bpfroute_query_bucket(&c->conf, key->client, key->family);
	int fd = bpf_map__fd(c->skel->maps.bpfroute_query);
	struct bpfroute_query_slot *sl;
	struct bpfroute_query_bucket bk;

	if (bpf_map_lookup_elem(fd, &b, &bk))
		return -errno;
	for (int i = 0; i < BPFROUTE_QUERIES_PER_CLIENT; i++) {
		if (!memcmp(&bk.slot[i].key, key, sizeof(*key))) {
			*q = bk.slot[i].q;
			return QUERY_OWN;
		}
	}
	for (int way = 0; way < BPFROUTE_QUERY_SHARED_WAYS; way++) {
		__u32 sh = bpfroute_query_shared(&c->conf, key, way);

		b = BPFROUTE_QUERY_BUCKETS + sh / BPFROUTE_QUERIES_PER_CLIENT;
		if (bpf_map_lookup_elem(fd, &b, &bk))
			return -errno;
		sl = &bk.slot[sh % BPFROUTE_QUERIES_PER_CLIENT];
		if (!memcmp(&sl->key, key, sizeof(*key))) {
			*q = sl->q;
			return QUERY_SHARED;
		}
	}
	return QUERY_NOWHERE;
}

/* The recorded query of key: 0, -ENOENT, or the lookup's error. */
static int query_get(const struct ctx *c, const struct bpfroute_query_key *key,
		     struct bpfroute_query *q)
{
	int where = query_where(c, key, q);

	return where < 0 ? where : where == QUERY_NOWHERE ? -ENOENT : 0;
}

static int query_place(const struct ctx *c, const struct flow *fl, __u16 id)
{
	struct bpfroute_query_key key;
	struct bpfroute_query q;

	query_key(fl, id, &key);
	return query_where(c, &key, &q);
}

static bool query_present(const struct ctx *c, const struct flow *fl, __u16 id)
{
	return query_place(c, fl, id) > 0;
}

/* Outstanding queries: taken slots of every bucket, the shared ones too. */
static int query_count(const struct ctx *c)
{
	enum { N = BPFROUTE_QUERY_BUCKETS + BPFROUTE_QUERY_SHARED_BUCKETS };
	static struct bpfroute_query_bucket vals[N];
	static __u32 keys[N];
	__u32 count = N, out;
	int n = 0;

	if (bpf_map_lookup_batch(bpf_map__fd(c->skel->maps.bpfroute_query), NULL, &out, keys,
				 vals, &count, NULL) && errno != ENOENT)
		return -errno;
	for (__u32 b = 0; b < count; b++)
		for (int i = 0; i < BPFROUTE_QUERIES_PER_CLIENT; i++)
			n += vals[b].slot[i].key.family != 0;
	return n;
}

static bool expect_query_count(const struct ctx *c, int want, const char *what)
{
	char m[256];

	return ASSERT_EQ(query_count(c), want, MSG(m, "%s: outstanding queries", what));
}

/*
 * The slots of bpfroute_qseen holding key, or with key NULL any key: a query
 * leaves its key at two slots (by id and by port), which coincide only when
 * their hashes do; the fixed hash key of the tests makes that deterministic.
 */
static int qseen_count(const struct ctx *c, const struct bpfroute_query_key *key)
{
	static struct bpfroute_query_key vals[BPFROUTE_QSEEN_SLOTS];
	static __u32 keys[BPFROUTE_QSEEN_SLOTS];
	static const struct bpfroute_query_key empty;
	__u32 count = BPFROUTE_QSEEN_SLOTS, out;
	int n = 0;

	if (bpf_map_lookup_batch(bpf_map__fd(c->skel->maps.bpfroute_qseen), NULL, &out, keys,
				 vals, &count, NULL) && errno != ENOENT)
		return -errno;
	for (__u32 i = 0; i < count; i++)
		if (key ? !memcmp(&vals[i], key, sizeof(*key)) :
			  memcmp(&vals[i], &empty, sizeof(empty)))
			n++;
	return n;
}

static bool expect_qseen(const struct ctx *c, const struct bpfroute_query_key *key, int want,
			 const char *what)
{
	char m[256];

	return ASSERT_EQ(qseen_count(c, key), want,
			 MSG(m, "%s: slots of bpfroute_qseen holding %s", what,
			     key ? "the query's key" : "any key"));
}

/* The entries of bpfroute_query and bpfroute_qseen a query must leave. */
static bool expect_query(const struct ctx *c, const struct flow *fl, __u16 id,
			 const char *qname, __u16 qtype, const char *what)
{
	struct bpfroute_query_key key;
	struct bpfroute_query q;
	__u8 server[16];
	bool ok = true;
	char m[256];

	query_key(fl, id, &key);
	if (!ASSERT_OK(query_get(c, &key, &q),
		       MSG(m, "%s: bpfroute_query entry of %s id 0x%04x", what, fl->client, id)))
		return false;
	addr16(fl->server, server);
	ok &= ASSERT_MEMEQ(q.server, server, 16, MSG(m, "%s: query server is %s", what,
						       fl->server));
	ok &= ASSERT_EQ(ntohs(q.server_port), 53, MSG(m, "%s: query server_port", what));
	ok &= ASSERT_EQ(q.qtype, qtype, MSG(m, "%s: query qtype", what));
	ok &= ASSERT_EQ(q.qclass, DNS_C_IN, MSG(m, "%s: query qclass", what));
	ok &= ASSERT_EQ(q.qhash, name_id(c, qname), MSG(m, "%s: query qhash of %s", what, qname));
	ok &= ASSERT_TRUE(q.sent_ns >= c->t0 && q.sent_ns <= c->t1,
			  MSG(m, "%s: query sent_ns %llu within the run [%llu, %llu]", what,
			      (unsigned long long)q.sent_ns, (unsigned long long)c->t0,
			      (unsigned long long)c->t1));

	ok &= expect_qseen(c, &key, 2, what);
	return ok;
}

/* A client's query through bpfroute_steer: recorded, counted, passed on (no route). */
static bool query(struct ctx *c, const struct flow *fl, __u16 id, const char *qname,
		  __u16 qtype)
{
	struct dns_msg m;
	struct pkt p;
	char what[160];

	snprintf(what, sizeof(what), "query %s id 0x%04x from port %u", qname, id, fl->cport);
	dns_query_msg(&m, id, qname, qtype);
	pkt_dns(&p, fl, true, &m);
	return steer(c, &p, TC_ACT_OK, what, D(DNS_QUERY, 1), D(MISS, 1), END) &&
	       expect_query(c, fl, id, qname, qtype, what);
}

/* ---------------------------------------------------------------------------
 * What learning leaves: host entries, names, events
 */

/*
 * A fresh entry learned by the last run: target, rule, the question that
 * learned it, expiry ttl seconds after the run, last use at the run, no
 * traffic yet.
 */
static bool expect_host(const struct ctx *c, const char *addr, __u32 ifindex, __u16 rule,
			const char *qname, __u32 ttl, const char *what)
{
	struct bpfroute_host h;
	bool ok = true;
	char m[256];

	if (!ASSERT_OK(host_get(c, addr, &h), MSG(m, "%s: learned entry of %s", what, addr)))
		return false;
	ok &= ASSERT_EQ(h.ifindex, ifindex, MSG(m, "%s: %s ifindex", what, addr));
	ok &= ASSERT_EQ(h.rule, rule, MSG(m, "%s: %s rule id", what, addr));
	ok &= ASSERT_EQ(h.nh, 0, MSG(m, "%s: %s next hop: none yet", what, addr));
	ok &= ASSERT_EQ(h.state & 3, BPFROUTE_SLOT_LIVE, MSG(m, "%s: %s slot live", what, addr));
	ok &= ASSERT_EQ(h.pad, 0, MSG(m, "%s: %s reserved field zero", what, addr));
	ok &= ASSERT_EQ(h.name_id, name_id(c, qname),
			MSG(m, "%s: %s name_id is the hash of %s", what, addr, qname));
	ok &= ASSERT_TRUE(h.expires >= secs(c->t0) + ttl && h.expires <= secs(c->t1) + ttl,
			  MSG(m, "%s: %s expires - run = %d..%d s, want %u s", what, addr,
			      (int)(h.expires - secs(c->t1)), (int)(h.expires - secs(c->t0)), ttl));
	ok &= ASSERT_TRUE(h.last_used >= secs(c->t0) && h.last_used <= secs(c->t1),
			  MSG(m, "%s: %s last_used at the run", what, addr));
	ok &= ASSERT_EQ(h.packets, 0, MSG(m, "%s: %s packets", what, addr));
	ok &= ASSERT_EQ(h.bytes, 0, MSG(m, "%s: %s bytes", what, addr));
	return ok;
}

static bool expect_no_host(const struct ctx *c, const char *addr, const char *what)
{
	struct bpfroute_host h;
	char m[256];

	return ASSERT_EQ(host_get(c, addr, &h), -ENOENT,
			 MSG(m, "%s: lookup of %s in the learned table (-2: not there)", what, addr));
}

/* bpfroute_names holds the question's lower-case wire name under its hash. */
static bool expect_name(const struct ctx *c, const char *qname, const char *what)
{
	struct bpfroute_name got;
	__u64 id = name_id(c, qname);
	__u8 w[256];
	size_t n = dns_wire(qname, w, true);
	bool ok = true;
	char m[256];

	if (!ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.bpfroute_names), &id,
					   &got) ? -errno : 0,
		       MSG(m, "%s: bpfroute_names entry of %s", what, qname)))
		return false;
	ok &= ASSERT_EQ(got.len, n, MSG(m, "%s: name length of %s", what, qname));
	if (got.len == n)
		ok &= ASSERT_MEMEQ(got.name, w, n,
				   MSG(m, "%s: name bytes of %s (lower-case wire form)", what,
				       qname));
	return ok;
}

static bool expect_map_count(struct bpf_map *map, int want, const char *what)
{
	char m[256];

	return ASSERT_EQ(map_count(bpf_map__fd(map)), want,
			 MSG(m, "%s: entries in %s", what, bpf_map__name(map)));
}

/* What the table's counters say is live (bpfroute_hostctl). */
static long long ctl_live(const struct ctx *c)
{
	struct bpfroute_hostctl ctl;
	__u32 fam = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.bpfroute_hostctl), &fam, &ctl))
		return -errno;
	return ctl.live;
}

/* The live entries of a family's learned table. */
static bool expect_learned_count(const struct ctx *c, int family, int want, const char *what)
{
	char m[256];

	return ASSERT_EQ(lt_count(c->skel->obj, family), want,
			 MSG(m, "%s: live entries in the IPv%d learned table", what, family));
}

/* The learned state, whole: both tables' live entries, and the names. */
#define DUMP_MAX	64

struct dump {
	int n;
	struct {
		__u8 key[16];
		__u8 val[sizeof(struct bpfroute_name)];
	} e[DUMP_MAX];
};

struct learned {
	struct bpfroute_host host4[DUMP_MAX], host6[DUMP_MAX];
	int n4, n6;
	struct dump names;
};

static bool dump_map(struct bpf_map *map, struct dump *d)
{
	int fd = bpf_map__fd(map);
	__u8 key[16], next[16];
	void *prev = NULL;

	memset(d, 0, sizeof(*d));
	while (!bpf_map_get_next_key(fd, prev, next)) {
		if (!ASSERT_TRUE(d->n < DUMP_MAX, "dump: fewer than DUMP_MAX entries"))
			return false;
		memcpy(d->e[d->n].key, next, sizeof(next));
		if (bpf_map_lookup_elem(fd, next, d->e[d->n].val))
			continue;	/* gone in between: not ours, nothing runs now */
		d->n++;
		memcpy(key, next, sizeof(key));
		prev = key;
	}
	return true;
}

static bool learned_snap(const struct ctx *c, struct learned *l)
{
	memset(l, 0, sizeof(*l));
	l->n4 = lt_dump(c->skel->obj, 4, l->host4, DUMP_MAX);
	l->n6 = lt_dump(c->skel->obj, 6, l->host6, DUMP_MAX);
	return ASSERT_TRUE(l->n4 >= 0 && l->n4 <= DUMP_MAX && l->n6 >= 0 && l->n6 <= DUMP_MAX,
			   "dump: the learned tables, fewer than DUMP_MAX entries each") &&
	       dump_map(c->skel->maps.bpfroute_names, &l->names);
}

static bool dump_same(const struct dump *a, const struct dump *b, size_t ksz, size_t vsz,
		      const char *map, const char *what)
{
	char m[256];

	if (!ASSERT_EQ(b->n, a->n, MSG(m, "%s: entries in %s", what, map)))
		return false;
	for (int i = 0; i < a->n; i++) {
		int j;

		for (j = 0; j < b->n; j++)
			if (!memcmp(a->e[i].key, b->e[j].key, ksz))
				break;
		if (!ASSERT_TRUE(j < b->n, MSG(m, "%s: %s entry %d still there", what, map, i)) ||
		    !ASSERT_MEMEQ(b->e[j].val, a->e[i].val, vsz,
				  MSG(m, "%s: %s entry %d unchanged", what, map, i)))
			return false;
	}
	return true;
}

/* The same live entries, slot state and all (both sorted by address). */
static bool hosts_same(const struct bpfroute_host *a, int na, const struct bpfroute_host *b,
		       int nb, int family, const char *what)
{
	char m[256];

	if (!ASSERT_EQ(nb, na, MSG(m, "%s: entries in the IPv%d learned table", what, family)))
		return false;
	for (int i = 0; i < na; i++)
		if (!ASSERT_MEMEQ(&b[i], &a[i], sizeof(a[i]),
				  MSG(m, "%s: IPv%d learned entry %d unchanged", what, family, i)))
			return false;
	return true;
}

static bool expect_learned_same(const struct ctx *c, const struct learned *a, const char *what)
{
	static struct learned b;

	if (!learned_snap(c, &b))
		return false;
	return hosts_same(a->host4, a->n4, b.host4, b.n4, 4, what) &
	       hosts_same(a->host6, a->n6, b.host6, b.n6, 6, what) &
	       dump_same(&a->names, &b.names, 8, sizeof(struct bpfroute_name), "bpfroute_names",
			 what);
}

static void events_poll(struct ctx *c)
{
	c->n_ev = 0;
	c->ev_dropped = 0;
	ring_buffer__consume(c->rb);
}

static bool expect_no_event(struct ctx *c, const char *what)
{
	char m[256];

	events_poll(c);
	return ASSERT_EQ(c->n_ev + c->ev_dropped, 0, MSG(m, "%s: ring buffer events", what));
}

/*
 * Exactly one event, for the answer m of flow fl: who, what was decided,
 * when, and the message itself.
 */
static bool expect_event(struct ctx *c, const struct flow *fl, const struct dns_msg *msg,
			 __u8 verdict, __u16 rule, __u32 ifindex, __u16 learned, const char *what)
{
	const struct bpfroute_dns_event *ev = &c->ev[0].ev;
	/* Only answers the agent must finish carry the message. */
	bool carries = verdict == BPFROUTE_DNS_AGENT || verdict == BPFROUTE_DNS_FULL;
	__u32 cap = carries ? msg->len : 0;
	__u8 client[16], server[16];
	bool ok = true;
	char m[256];

	events_poll(c);
	if (!ASSERT_EQ(c->n_ev + c->ev_dropped, 1, MSG(m, "%s: ring buffer events", what)) ||
	    !ASSERT_EQ(c->ev[0].size, sizeof(*ev) + cap,
		       MSG(m, "%s: event size (header + message if it must be finished)", what)))
		return false;
	addr16(fl->client, client);
	addr16(fl->server, server);
	ok &= ASSERT_EQ(ev->verdict, verdict,
			MSG(m, "%s: event verdict (want %s)", what, verdict_names[verdict]));
	ok &= ASSERT_EQ(ev->rule, rule, MSG(m, "%s: event rule", what));
	ok &= ASSERT_EQ(ev->ifindex, ifindex, MSG(m, "%s: event ifindex", what));
	ok &= ASSERT_EQ(ev->learned, learned, MSG(m, "%s: event learned", what));
	ok &= ASSERT_MEMEQ(ev->client, client, 16, MSG(m, "%s: event client %s", what,
						       fl->client));
	ok &= ASSERT_MEMEQ(ev->server, server, 16, MSG(m, "%s: event server %s", what,
						       fl->server));
	ok &= ASSERT_EQ(ntohs(ev->client_port), fl->cport, MSG(m, "%s: event client_port", what));
	ok &= ASSERT_EQ(ntohs(ev->server_port), 53, MSG(m, "%s: event server_port", what));
	ok &= ASSERT_EQ(ev->family, family_of(fl->client) == AF_INET ? 4 : 6,
			MSG(m, "%s: event family", what));
	ok &= ASSERT_EQ(ev->proto, fl->proto, MSG(m, "%s: event proto", what));
	ok &= ASSERT_EQ(ev->pad, 0, MSG(m, "%s: event pad", what));
	ok &= ASSERT_EQ(ev->msg_len, msg->len, MSG(m, "%s: event msg_len", what));
	ok &= ASSERT_EQ(ev->cap_len, cap, MSG(m, "%s: event cap_len", what));
	ok &= ASSERT_EQ(ev->name_id, dns_question_id(c, msg),
			MSG(m, "%s: event name_id is the question's", what));
	ok &= ASSERT_TRUE(ev->ts_ns >= c->t0 && ev->ts_ns <= c->t1,
			  MSG(m, "%s: event ts_ns within the run", what));
	ok &= ASSERT_MEMEQ(c->ev[0].raw + sizeof(*ev), msg->b, cap,
			   MSG(m, "%s: event message bytes equal the DNS message sent", what));
	return ok;
}

/*
 * A hostile or broken answer: TC_ACT_OK, the frame untouched, DNS_ANSWER
 * and `stat` counted once, nothing else; host4, host6 and names as they
 * were; no event.
 */
static bool expect_refused(struct ctx *c, const struct flow *fl, const struct dns_msg *m,
			   int stat, const char *what)
{
	static struct learned before;

	if (!learned_snap(c, &before))
		return false;
	return answer(c, fl, m, what, D(DNS_ANSWER, 1), stat, 1LL, END) &
	       expect_learned_same(c, &before, what) & expect_no_event(c, what);
}

/* ---------------------------------------------------------------------------
 * The usual case
 */

#define QNAME		"app.example.com"
#define ADDR_A		"203.0.113.10"
#define RULE_IF		11
#define RULE_ID		7

/* The answer a resolver gives for QNAME: one A record of ADDR_A. */
static void usual_answer(struct dns_msg *m, __u16 id, __u32 ttl)
{
	dns_answer_msg(m, id, QNAME, DNS_T_A);
	dns_rr_a(m, DNS_QNAME_OFF, ttl, ADDR_A);
}

/* The rule *.example.com and the client's query for QNAME A. */
static bool usual_setup(struct ctx *c, const struct flow *fl, __u16 id)
{
	return rule_add(c, "*.example.com", RULE_IF, RULE_ID) &&
	       query(c, fl, id, QNAME, DNS_T_A);
}

/*
 * After a refused answer the query still stands: the genuine answer that
 * follows is learned. A forged answer must not cost the client its route.
 */
static bool usual_genuine(struct ctx *c, const struct flow *fl, __u16 id, const char *what)
{
	struct dns_msg m;

	usual_answer(&m, id, 300);
	return answer(c, fl, &m, what, D(DNS_ANSWER, 1), D(DNS_LEARNED, 1), D(LEARNED_ADDRS, 1),
		      END) &&
	       expect_host(c, ADDR_A, RULE_IF, RULE_ID, QNAME, 300, what) &&
	       expect_event(c, fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, 1, what);
}

/* ---------------------------------------------------------------------------
 * Learning
 */

static void test_learn_a(void)
{
	struct flow fl = UDP4(40001);
	struct bpfroute_query_key key;
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "learn_a", BPFROUTE_CONF_F_LEARN))
		return;
	if (!rule_add(&c, "app.example.com", 12, 2) || !query(&c, &fl, 0x1234, QNAME, DNS_T_A))
		goto out;
	usual_answer(&m, 0x1234, 300);
	if (!answer(&c, &fl, &m, "A answer", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), END))
		goto out;
	expect_host(&c, ADDR_A, 12, 2, QNAME, 300, "A answer");
	expect_learned_count(&c, 4, 1, "A answer");
	expect_learned_count(&c, 6, 0, "A answer");
	expect_name(&c, QNAME, "A answer");
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, 2, 12, 1, "A answer");
	/* Answered: the query is gone, its key stays seen (for WRONG_ID). */
	ASSERT_FALSE(query_present(&c, &fl, 0x1234), "A answer: query entry deleted");
	query_key(&fl, 0x1234, &key);
	expect_qseen(&c, &key, 2, "A answer");
	expect_qseen(&c, NULL, 2, "A answer");
out:
	finish(&c);
}

/*
 * Matching an answer's question costs the same with 10 rules as with
 * 200,000: a keyed-hash lookup per label suffix (bpf/dns_rules.h), never a
 * walk of the rules. The kernel's own run time of the learner for fresh
 * answers (BPF_PROG_TEST_RUN's duration), the median of each phase, in
 * phases of 10 and 200,000 rules taken in turn; both printed. Bounded at
 * twice: noise on a shared machine moves a median by tens of percent, a
 * walk of 200,000 rules would cost thousands of times more.
 */
#define SCALE_RULES	200000
#define SCALE_ANSWERS	200	/* per phase */
#define SCALE_PHASES	4	/* 10, 200,000, 10, 200,000 rules */

static int u64_cmp(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* SCALE_RULES - 10 rules f<i>.filler.example.net in, or out again. */
static bool scale_fill(struct ctx *c, struct bpfroute_rule_key *keys, struct bpfroute_rule *vals,
		       bool in)
{
	int fd = bpf_map__fd(c->skel->maps.bpfroute_rules);
	__u32 n = SCALE_RULES - 10;

	if (in)
		return ASSERT_OK(bpf_map_update_batch(fd, keys, vals, &n, NULL) ? -errno : 0,
				 "filler rules in");
	return ASSERT_OK(bpf_map_delete_batch(fd, keys, &n, NULL) ? -errno : 0, "filler rules out");
}

static void test_learn_rules_scale(void)
{
	struct bpfroute_rule_key *keys = calloc(SCALE_RULES, sizeof(*keys));
	struct bpfroute_rule *vals = calloc(SCALE_RULES, sizeof(*vals));
	__u64 *ns = calloc(SCALE_ANSWERS, sizeof(*ns)), med[SCALE_PHASES];
	int fd, serial = 0;
	struct ctx c;
	char m[200];

	start_rules_max = SCALE_RULES;
	if (!start_opts(&c, "learn_rules_scale", BPFROUTE_CONF_F_LEARN, 1 << 20, 0)) {
		start_rules_max = 0;
		goto free;
	}
	start_rules_max = 0;
	if (!ASSERT_TRUE(keys && vals && ns, "calloc"))
		goto out;
	/* Ten rules, the answers' among them: *.bench.example. */
	for (int i = 0; i < 9; i++) {
		snprintf(m, sizeof(m), "r%d.example.org", i);
		if (!rule_add(&c, m, RULE_IF, (__u16)(i + 1)))
			goto out;
	}
	if (!rule_add(&c, "*.bench.example", RULE_IF, 0))
		goto out;
	for (int i = 0; i < SCALE_RULES - 10; i++) {
		char name[64];
		__u64 h;

		snprintf(name, sizeof(name), "f%d.filler.example.net", i);
		vals[i].ifindex = RULE_IF;
		vals[i].id = (__u32)(i + 10);
		vals[i].name_len = (__u16)dns_wire(name, vals[i].name, true);
		h = name_hash_init(&c.conf);
		for (size_t k = vals[i].name_len; k > 0; k--)
			h = name_hash_byte(h, vals[i].name[k - 1]);
		keys[i].hash = name_hash_final(&c.conf, h);
		keys[i].wildcard = i & 1;
	}
	fd = bpf_program__fd(c.skel->progs.bpfroute_learn);
	for (int ph = 0; ph < SCALE_PHASES; ph++) {
		if ((ph & 1) && !scale_fill(&c, keys, vals, true))
			goto out;
		for (int i = 0; i < SCALE_ANSWERS; i++, serial++) {
			struct __sk_buff skb = { .ingress_ifindex = (__u32)lan_ifindex };
			struct flow fl = UDP4((__u16)(20000 + serial % 20000));
			char qname[64], addr[32];
			struct dns_msg msg;
			struct pkt p, out;
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p.data,
				    .data_out = out.data, .data_size_out = sizeof(out.data),
				    .ctx_in = &skb, .ctx_size_in = sizeof(skb), .repeat = 1);

			snprintf(qname, sizeof(qname), "q%d.host.bench.example", serial);
			snprintf(addr, sizeof(addr), "100.64.%d.%d", serial / 256 % 256, serial % 256);
			if (!query(&c, &fl, (__u16)serial, qname, DNS_T_A))
				goto out;
			dns_answer_msg(&msg, (__u16)serial, qname, DNS_T_A);
			dns_rr_a(&msg, DNS_QNAME_OFF, 300, addr);
			pkt_dns(&p, &fl, false, &msg);
			opts.data_size_in = (__u32)p.len;
			if (!ASSERT_OK(bpf_prog_test_run_opts(fd, &opts) ? -errno : 0, "learn"))
				goto out;
			ns[i] = opts.duration;
		}
		qsort(ns, SCALE_ANSWERS, sizeof(*ns), u64_cmp);
		med[ph] = ns[SCALE_ANSWERS / 2];
		if ((ph & 1) && !scale_fill(&c, keys, vals, false))
			goto out;
	}
	/* Every answer learned: the rule matched every time, among 10 or 200,000. */
	expect_learned_count(&c, 4, SCALE_PHASES * SCALE_ANSWERS, "learn_rules_scale");
	ASSERT_EQ(map_count(bpf_map__fd(c.skel->maps.bpfroute_rules)), 10, "rules at the end");
	printf("# learn_rules_scale: a fresh answer, kernel median: 10 rules %llu and %llu ns, "
	       "%d rules %llu and %llu ns\n", (unsigned long long)med[0],
	       (unsigned long long)med[2], SCALE_RULES, (unsigned long long)med[1],
	       (unsigned long long)med[3]);
	ASSERT_TRUE(med[1] + med[3] <= 2 * (med[0] + med[2]),
		    MSG(m, "200,000 rules cost at most twice 10: %llu ns against %llu ns",
			(unsigned long long)(med[1] + med[3]) / 2,
			(unsigned long long)(med[0] + med[2]) / 2));
out:
	finish(&c);
free:
	free(keys);
	free(vals);
	free(ns);
}

/*
 * A rule of a client group: the learner writes the group into the entries
 * it learns, and a renewal under the rule's new group (a reload changed it)
 * writes the new one. Which source asked does not matter: the datapath
 * checks the source per packet.
 */
static void test_learn_clients(void)
{
	struct flow fl = UDP4(40031);
	struct bpfroute_host h0, h1;
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "learn_clients", BPFROUTE_CONF_F_LEARN))
		return;
	if (!rule_put(&c, "app.example.com", 12, 2, 0, 5, BPF_NOEXIST) ||
	    !query(&c, &fl, 0x3101, QNAME, DNS_T_A))
		goto out;
	usual_answer(&m, 0x3101, 300);
	if (!answer(&c, &fl, &m, "answer under a rule of group 5", D(DNS_ANSWER, 1),
		    D(DNS_LEARNED, 1), D(LEARNED_ADDRS, 1), END) ||
	    !expect_host(&c, ADDR_A, 12, 2, QNAME, 300, "group 5") ||
	    !ASSERT_OK(host_get(&c, ADDR_A, &h0), "entry of group 5"))
		goto out;
	ASSERT_EQ(h0.clients, 5, "the entry carries its rule's group");
	if (!rule_put(&c, "app.example.com", 12, 2, 0, 7, BPF_EXIST) ||
	    !query(&c, &fl, 0x3102, QNAME, DNS_T_A))
		goto out;
	usual_answer(&m, 0x3102, 300);
	if (!answer(&c, &fl, &m, "answer under the rule now of group 7", D(DNS_ANSWER, 1),
		    D(DNS_LEARNED, 1), D(LEARNED_ADDRS, 1), END) ||
	    !ASSERT_OK(host_get(&c, ADDR_A, &h1), "entry renewed under group 7"))
		goto out;
	ASSERT_EQ(h1.clients, 7, "a renewal writes the rule's new group");
	ASSERT_EQ(h1.state, h0.state + 4, "the group's change moved the slot's version on");
	expect_learned_count(&c, 4, 1, "one entry, renewed");
out:
	finish(&c);
}

static void test_learn_aaaa(void)
{
	struct flow fl = UDP6(40002);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "learn_aaaa", BPFROUTE_CONF_F_LEARN))
		return;
	if (!rule_add(&c, "*.example.com", 11, 1) ||
	    !query(&c, &fl, 0xbeef, "v6.example.com", DNS_T_AAAA))
		goto out;
	dns_answer_msg(&m, 0xbeef, "v6.example.com", DNS_T_AAAA);
	dns_rr_aaaa(&m, DNS_QNAME_OFF, 600, "2001:db8:beef::1");
	dns_rr_aaaa(&m, DNS_QNAME_OFF, 600, "2001:db8:beef::2");
	if (!answer(&c, &fl, &m, "AAAA answer over IPv6", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 2), END))
		goto out;
	expect_host(&c, "2001:db8:beef::1", 11, 1, "v6.example.com", 600, "AAAA answer");
	expect_host(&c, "2001:db8:beef::2", 11, 1, "v6.example.com", 600, "AAAA answer");
	expect_learned_count(&c, 4, 0, "AAAA answer");
	expect_learned_count(&c, 6, 2, "AAAA answer");
	expect_name(&c, "v6.example.com", "AAAA answer");
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, 1, 11, 2, "AAAA answer");
	ASSERT_FALSE(query_present(&c, &fl, 0xbeef), "AAAA answer: query entry deleted");
out:
	finish(&c);
}

/*
 * www CNAME a.cdn.example.net, a CNAME b.cdn.example.net (b written as a
 * label and a pointer into a's name), two A records of b (owner: a pointer
 * to b's name, which itself ends in a pointer). Both addresses are learned
 * under the question's rule, though the chain leaves its domain.
 */
static void test_learn_cname_chain(void)
{
	struct flow fl = UDP4(40003);
	struct dns_msg m;
	size_t a, b;
	struct ctx c;

	if (!start(&c, "learn_cname_chain", BPFROUTE_CONF_F_LEARN))
		return;
	if (!rule_add(&c, "*.example.com", 11, 1) ||
	    !query(&c, &fl, 0x0101, "www.example.com", DNS_T_A))
		goto out;
	dns_answer_msg(&m, 0x0101, "www.example.com", DNS_T_A);
	a = dns_rr_cname(&m, DNS_QNAME_OFF, 3600, "a.cdn.example.net");
	b = dns_rr_cname_ptr(&m, a, 3600, "b", a + 2);	/* b + "cdn.example.net" of a */
	dns_rr_a(&m, b, 120, "203.0.113.21");
	dns_rr_a(&m, b, 120, "203.0.113.22");
	if (!answer(&c, &fl, &m, "CNAME chain", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 2), END))
		goto out;
	expect_host(&c, "203.0.113.21", 11, 1, "www.example.com", 120, "CNAME chain");
	expect_host(&c, "203.0.113.22", 11, 1, "www.example.com", 120, "CNAME chain");
	expect_learned_count(&c, 4, 2, "CNAME chain");
	/* Only the question's name is kept, not the chain's. */
	expect_name(&c, "www.example.com", "CNAME chain");
	expect_map_count(c.skel->maps.bpfroute_names, 1, "CNAME chain");
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, 1, 11, 2, "CNAME chain");
out:
	finish(&c);
}

/* A question, the address answered for it, and the rule that should take it. */
struct rule_case {
	const char *qname;
	const char *addr;
	__u32 ifindex;		/* 0: not learned, counted as `unmatched` */
	__u16 rule;
};

/*
 * Ask and answer each case from its own client port (port_base + i, DNS id
 * id_base + i): a case with a target is learned under its rule; one without
 * is not, counted once as the answer outcome `unmatched` (a BPFROUTE_STAT_*),
 * with no event and its query forgotten.
 */
static void expect_rule_cases(struct ctx *c, const struct rule_case *cases, size_t n,
			      __u16 port_base, __u16 id_base, __u32 unmatched, const char *why)
{
	struct dns_msg m;
	char what[160];

	for (size_t i = 0; i < n; i++) {
		struct flow fl = UDP4((__u16)(port_base + i));
		__u16 id = (__u16)(id_base + i);

		snprintf(what, sizeof(what), "%s", cases[i].qname);
		if (!query(c, &fl, id, cases[i].qname, DNS_T_A))
			continue;
		dns_answer_msg(&m, id, cases[i].qname, DNS_T_A);
		dns_rr_a(&m, DNS_QNAME_OFF, 300, cases[i].addr);
		if (!cases[i].ifindex) {
			answer(c, &fl, &m, what, D(DNS_ANSWER, 1), (int)unmatched, 1LL, END);
			expect_no_host(c, cases[i].addr, what);
			expect_no_event(c, what);
			ASSERT_FALSE(query_present(c, &fl, id),
				     MSG(what, "%s: query entry deleted after %s", cases[i].qname,
					 why));
			continue;
		}
		if (!answer(c, &fl, &m, what, D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
			    D(LEARNED_ADDRS, 1), END))
			continue;
		expect_host(c, cases[i].addr, cases[i].ifindex, cases[i].rule, cases[i].qname,
			    300, what);
		expect_event(c, &fl, &m, BPFROUTE_DNS_LEARNED, cases[i].rule, cases[i].ifindex,
			     1, what);
	}
}

/*
 * The most specific rule wins: an exact rule over every wildcard, a longer
 * wildcard suffix over a shorter one; a wildcard never covers its apex, and
 * suffixes are matched at label boundaries only.
 */
static void test_exact_vs_wildcard(void)
{
	static const struct rule_case cases[] = {
		{ "app.example.com", "203.0.113.1", 12, 2 },
		{ "x.app.example.com", "203.0.113.2", 11, 1 },
		{ "y.b.example.com", "203.0.113.3", 13, 3 },
		{ "deep.er.y.b.example.com", "203.0.113.4", 13, 3 },
		{ "b.example.com", "203.0.113.5", 11, 1 },	/* apex of *.b: *.example.com */
		{ "example.com", "203.0.113.6", 0, 0 },	/* apex of *.example.com */
		{ "xexample.com", "203.0.113.7", 0, 0 },	/* not at a label boundary */
		{ "com", "203.0.113.8", 0, 0 },
	};
	struct ctx c;

	if (!start(&c, "exact_vs_wildcard", BPFROUTE_CONF_F_LEARN))
		return;
	if (!rule_add(&c, "*.example.com", 11, 1) || !rule_add(&c, "app.example.com", 12, 2) ||
	    !rule_add(&c, "*.b.example.com", 13, 3))
		goto out;
	expect_rule_cases(&c, cases, sizeof(cases) / sizeof(cases[0]), 41000, 0x2000,
			  BPFROUTE_STAT_DNS_NO_RULE, "NO_RULE");
out:
	finish(&c);
}

/*
 * Bypasses among the rules: the most specific rule wins, whether route or
 * bypass. `route *.corp.example.com` with `bypass public.corp.example.com`:
 * the bypassed name is not learned (counted DNS_BYPASS, no event for the
 * agent, the query answered), its siblings and the names below it are. A
 * wildcard bypass under a wildcard route (*.a.corp... against *.corp...)
 * keeps everything below it, but not its apex; an exact route under the
 * wildcard bypass wins over it.
 */
static void test_bypass_rules(void)
{
	static const struct rule_case cases[] = {
		{ "public.corp.example.com", "203.0.113.1", 0, 2 },
		{ "app.corp.example.com", "203.0.113.2", 11, 1 },	/* a sibling */
		{ "z.public.corp.example.com", "203.0.113.3", 11, 1 },	/* below an exact bypass */
		{ "y.a.corp.example.com", "203.0.113.4", 0, 3 },
		{ "deep.y.a.corp.example.com", "203.0.113.5", 0, 3 },
		{ "a.corp.example.com", "203.0.113.6", 11, 1 },		/* apex of *.a */
		{ "x.a.corp.example.com", "203.0.113.7", 12, 4 },	/* exact route under it */
		{ "w.x.a.corp.example.com", "203.0.113.8", 0, 3 },	/* below it: *.a again */
	};
	struct ctx c;

	if (!start(&c, "bypass_rules", BPFROUTE_CONF_F_LEARN))
		return;
	if (!rule_add(&c, "*.corp.example.com", 11, 1) ||
	    !bypass_add(&c, "public.corp.example.com", 2) ||
	    !bypass_add(&c, "*.a.corp.example.com", 3) ||
	    !rule_add(&c, "x.a.corp.example.com", 12, 4))
		goto out;
	expect_rule_cases(&c, cases, sizeof(cases) / sizeof(cases[0]), 42000, 0x2100,
			  BPFROUTE_STAT_DNS_BYPASS, "BYPASS");
	expect_learned_count(&c, 4, 4, "bypass rules: the four routed names only");
out:
	finish(&c);
}

/*
 * An address inside a bypass prefix is never learned, whatever name it is
 * answered for: the bypassed network stays on the ordinary path (a learned
 * entry would be looked up before the prefixes). The longest prefix decides:
 * a route prefix inside the bypass prefix lets its addresses be learned.
 */
static void test_bypass_prefix_not_learned(void)
{
	struct flow fl = UDP4(40090);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "bypass_prefix_not_learned", BPFROUTE_CONF_F_LEARN))
		return;
	if (!usual_setup(&c, &fl, 0x0909) ||
	    !fx_bypass_add(c.skel->obj, "203.0.113.0/24") ||
	    !fx_route_add(c.skel->obj, "203.0.113.128/25", RULE_IF) ||
	    !fx_bypass_add(c.skel->obj, "2001:db8:5::/48"))
		goto out;
	dns_answer_msg(&m, 0x0909, QNAME, DNS_T_A);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, "203.0.113.10");	/* in the bypass */
	dns_rr_a(&m, DNS_QNAME_OFF, 300, "203.0.113.200");	/* in the route inside it */
	dns_rr_a(&m, DNS_QNAME_OFF, 300, "198.51.100.7");	/* outside both */
	if (!answer(&c, &fl, &m, "A in a bypass prefix", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 2), D(DNS_REFUSED_BYPASS, 1), END))
		goto out;
	expect_no_host(&c, "203.0.113.10", "inside the bypass prefix");
	expect_host(&c, "203.0.113.200", RULE_IF, RULE_ID, QNAME, 300,
		    "inside a route prefix inside the bypass");
	expect_host(&c, "198.51.100.7", RULE_IF, RULE_ID, QNAME, 300, "outside the bypass");

	/* IPv6 alike, and an answer with nothing left to learn is not LEARNED. */
	if (!query(&c, &fl, 0x090a, QNAME, DNS_T_AAAA))
		goto out;
	dns_answer_msg(&m, 0x090a, QNAME, DNS_T_AAAA);
	dns_rr_aaaa(&m, DNS_QNAME_OFF, 300, "2001:db8:5::10");
	if (!answer(&c, &fl, &m, "AAAA in a bypass prefix", D(DNS_ANSWER, 1),
		    D(DNS_REFUSED_BYPASS, 1), END))
		goto out;
	expect_no_host(&c, "2001:db8:5::10", "inside the IPv6 bypass prefix");
out:
	finish(&c);
}

/*
 * Names compare case-insensitively (RFC 4343): a question in mixed case, as
 * a 0x20-randomising resolver sends it, matches the lower-case rule, the
 * answer may echo it in any case, and the name is kept in lower case.
 */
static void test_case_insensitive(void)
{
	struct flow fl = UDP4(40004);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "case_insensitive", BPFROUTE_CONF_F_LEARN))
		return;
	if (!rule_add(&c, "app.example.com", 12, 2) ||
	    !query(&c, &fl, 0x4343, "APP.Example.COM", DNS_T_A))
		goto out;
	/* The same question, cased otherwise; the owner in a third case, written out. */
	dns_answer_msg(&m, 0x4343, "aPp.eXAMPLE.com", DNS_T_A);
	dns_put_name(&m, "App.Example.Com");
	dns_put(&m, (const __u8[]){ 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 203, 0, 113, 10 }, 14);
	dns_count_add(&m, DNS_AN, 1);
	if (!answer(&c, &fl, &m, "mixed case", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), END))
		goto out;
	expect_host(&c, ADDR_A, 12, 2, "app.example.com", 300, "mixed case");
	expect_name(&c, "app.example.com", "mixed case: kept in lower case");
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, 2, 12, 1, "mixed case");
out:
	finish(&c);
}

static void test_no_rule(void)
{
	struct flow fl = UDP4(40005);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "no_rule", BPFROUTE_CONF_F_LEARN))
		return;
	if (!query(&c, &fl, 0x0505, QNAME, DNS_T_A))
		goto out;
	usual_answer(&m, 0x0505, 300);
	answer(&c, &fl, &m, "no rule at all", D(DNS_ANSWER, 1), D(DNS_NO_RULE, 1), END);
	expect_learned_count(&c, 4, 0, "no rule at all");
	expect_map_count(c.skel->maps.bpfroute_names, 0, "no rule at all");
	expect_no_event(&c, "no rule at all");
	ASSERT_FALSE(query_present(&c, &fl, 0x0505), "no rule: query entry deleted");

	/* Another domain's rule is no rule either. */
	if (!rule_add(&c, "*.example.net", 11, 1) || !query(&c, &fl, 0x0506, QNAME, DNS_T_A))
		goto out;
	usual_answer(&m, 0x0506, 300);
	answer(&c, &fl, &m, "rule of another domain", D(DNS_ANSWER, 1), D(DNS_NO_RULE, 1), END);
	expect_learned_count(&c, 4, 0, "rule of another domain");
	expect_no_event(&c, "rule of another domain");
out:
	finish(&c);
}

/* Without BPFROUTE_CONF_F_LEARN neither program looks at DNS at all. */
static void test_learn_disabled(void)
{
	struct flow fl = UDP4(40006);
	struct dns_msg m;
	struct pkt p;
	struct ctx c;

	if (!start(&c, "learn_disabled", 0))
		return;
	if (!rule_add(&c, "*.example.com", 11, 1))
		goto out;
	dns_query_msg(&m, 0x0606, QNAME, DNS_T_A);
	pkt_dns(&p, &fl, true, &m);
	steer(&c, &p, TC_ACT_OK, "query, learning off", D(MISS, 1), END);
	expect_query_count(&c, 0, "query, learning off");
	expect_qseen(&c, NULL, 0, "query, learning off");
	usual_answer(&m, 0x0606, 300);
	answer(&c, &fl, &m, "answer, learning off", END);
	expect_learned_count(&c, 4, 0, "answer, learning off");
	expect_no_event(&c, "answer, learning off");
out:
	finish(&c);
}

/*
 * TTLs clamped to [min-ttl, max-ttl]; a TTL with the top bit set reads as 0
 * (RFC 2181 section 8), so min-ttl.
 */
static void test_ttl_clamp(void)
{
	static const struct {
		__u32 ttl;
		__u32 want;
		const char *addr;
	} cases[] = {
		{ 0, MIN_TTL, "203.0.113.31" },
		{ MIN_TTL - 1, MIN_TTL, "203.0.113.32" },
		{ MIN_TTL, MIN_TTL, "203.0.113.33" },
		{ 3600, 3600, "203.0.113.34" },
		{ MAX_TTL, MAX_TTL, "203.0.113.35" },
		{ MAX_TTL + 1, MAX_TTL, "203.0.113.36" },
		{ 10000000, MAX_TTL, "203.0.113.37" },
		{ 0x80000000u | 5, MIN_TTL, "203.0.113.38" },
		{ 0xffffffffu, MIN_TTL, "203.0.113.39" },
	};
	const size_t n = sizeof(cases) / sizeof(cases[0]);
	struct flow fl = UDP4(40007);
	struct dns_msg m;
	struct ctx c;
	char what[160];

	if (!start(&c, "ttl_clamp", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x0707))
		goto out;
	dns_answer_msg(&m, 0x0707, QNAME, DNS_T_A);
	for (size_t i = 0; i < n; i++)
		dns_rr_a(&m, DNS_QNAME_OFF, cases[i].ttl, cases[i].addr);
	if (!answer(&c, &fl, &m, "TTLs", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, n), END))
		goto out;
	for (size_t i = 0; i < n; i++)
		expect_host(&c, cases[i].addr, RULE_IF, RULE_ID, QNAME, cases[i].want,
			    MSG(what, "TTL %u", cases[i].ttl));
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, n, "TTLs");
out:
	finish(&c);
}

/*
 * A later answer renews an entry: a longer TTL pushes expires out, a
 * shorter one never pulls it in, and the traffic counters and last use stay.
 */
static void test_renew(void)
{
	struct flow fl = UDP4(40008);
	struct bpfroute_host h0, h1, h2;
	struct dns_msg m;
	struct pkt p;
	struct ctx c;
	char m2[160];

	if (!start(&c, "renew", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x0801))
		goto out;
	usual_answer(&m, 0x0801, 100);
	if (!answer(&c, &fl, &m, "first answer, TTL 100", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), END) ||
	    !expect_host(&c, ADDR_A, RULE_IF, RULE_ID, QNAME, 100, "first answer"))
		goto out;
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, 1, "first answer");
	pkt_syn(&p, ADDR_A);
	if (!steer(&c, &p, TC_ACT_REDIRECT, "SYN to the learned address", D(STEERED, 1),
		   D(BYTES_STEERED, p.len), END) ||
	    !ASSERT_OK(host_get(&c, ADDR_A, &h0), "entry after the SYN"))
		goto out;

	if (!query(&c, &fl, 0x0802, QNAME, DNS_T_A))
		goto out;
	usual_answer(&m, 0x0802, 1000);
	if (!answer(&c, &fl, &m, "second answer, TTL 1000", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), END) ||
	    !ASSERT_OK(host_get(&c, ADDR_A, &h1), "entry after the second answer"))
		goto out;
	ASSERT_TRUE(h1.expires >= secs(c.t0) + 1000 && h1.expires <= secs(c.t1) + 1000,
		    MSG(m2, "TTL 1000: expires - run = %d s, want 1000 s",
			(int)(h1.expires - secs(c.t1))));
	ASSERT_EQ(h1.packets, h0.packets, "TTL 1000: packets kept");
	ASSERT_EQ(h1.bytes, h0.bytes, "TTL 1000: bytes kept");
	ASSERT_EQ(h1.last_used, h0.last_used, "TTL 1000: last_used kept");
	ASSERT_EQ(h1.state, h0.state + 4, "TTL 1000: the slot's version moved on");
	ASSERT_EQ(h1.ifindex, RULE_IF, "TTL 1000: ifindex");
	ASSERT_EQ(h1.rule, RULE_ID, "TTL 1000: rule");
	ASSERT_EQ(h1.name_id, name_id(&c, QNAME), "TTL 1000: name_id");
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, 1, "second answer");

	if (!query(&c, &fl, 0x0803, QNAME, DNS_T_A))
		goto out;
	usual_answer(&m, 0x0803, 50);
	if (!answer(&c, &fl, &m, "third answer, TTL 50", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), END) ||
	    !ASSERT_OK(host_get(&c, ADDR_A, &h2), "entry after the third answer"))
		goto out;
	ASSERT_EQ(h2.expires, h1.expires, "TTL 50: expires not shortened");
	ASSERT_EQ(h2.packets, h0.packets, "TTL 50: packets kept");
	ASSERT_EQ(h2.bytes, h0.bytes, "TTL 50: bytes kept");
	ASSERT_EQ(h2.last_used, h0.last_used, "TTL 50: last_used kept");
	ASSERT_EQ(h2.state, h1.state, "TTL 50: nothing changed, the version neither");
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, 1, "third answer");
	expect_learned_count(&c, 4, 1, "after three answers");
out:
	finish(&c);
}

/*
 * A UDP answer with TC set and no records (RFC 1035 4.2.1, RFC 7766): the
 * client asks again over TCP, from another port, with another id, and the
 * answer comes with its 2-byte length.
 */
static void test_tcp_answer(void)
{
	struct flow udp = UDP4(40009), tcp = TCP4(40010);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "tcp_answer", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &udp, 0x0901))
		goto out;
	dns_header(&m, 0x0901, DNS_F_QR | DNS_F_TC | DNS_F_RD | DNS_F_RA);
	dns_question(&m, QNAME, DNS_T_A, DNS_C_IN);
	if (!answer(&c, &udp, &m, "truncated UDP answer", D(DNS_ANSWER, 1), END))
		goto out;
	expect_learned_count(&c, 4, 0, "truncated UDP answer");
	expect_event(&c, &udp, &m, BPFROUTE_DNS_NOTHING, RULE_ID, RULE_IF, 0,
		     "truncated UDP answer");

	if (!query(&c, &tcp, 0x0902, QNAME, DNS_T_A))
		goto out;
	usual_answer(&m, 0x0902, 300);
	if (!answer(&c, &tcp, &m, "TCP answer", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), END))
		goto out;
	expect_host(&c, ADDR_A, RULE_IF, RULE_ID, QNAME, 300, "TCP answer");
	expect_name(&c, QNAME, "TCP answer");
	/* The event carries the message without its length prefix. */
	expect_event(&c, &tcp, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, 1, "TCP answer");
	ASSERT_FALSE(query_present(&c, &tcp, 0x0902), "TCP answer: query entry deleted");
out:
	finish(&c);
}

/* ---------------------------------------------------------------------------
 * Answers that are not the reverse of a query
 */

static void test_wrong_id(void)
{
	struct flow fl = UDP4(40011);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "wrong_id", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x1111))
		goto out;
	usual_answer(&m, 0x2222, 300);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_WRONG_ID, "answer with id 0x2222");
	ASSERT_TRUE(query_present(&c, &fl, 0x1111), "wrong id: the query still stands");
	usual_genuine(&c, &fl, 0x1111, "genuine answer after a wrong id");
out:
	finish(&c);
}

static void test_wrong_port(void)
{
	struct flow fl = UDP4(40012), other = UDP4(40099);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "wrong_port", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x1212))
		goto out;
	usual_answer(&m, 0x1212, 300);
	expect_refused(&c, &other, &m, BPFROUTE_STAT_DNS_WRONG_PORT,
		       "answer to port 40099, asked from 40012");
	usual_genuine(&c, &fl, 0x1212, "genuine answer after a wrong port");
out:
	finish(&c);
}

static void test_wrong_server(void)
{
	struct flow fl = UDP4(40013), other = UDP4(40013);
	struct dns_msg m;
	struct ctx c;

	other.server = RESOLVER4_B;
	if (!start(&c, "wrong_server", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x1313))
		goto out;
	usual_answer(&m, 0x1313, 300);
	expect_refused(&c, &other, &m, BPFROUTE_STAT_DNS_WRONG_SERVER,
		       "answer from " RESOLVER4_B ", asked " RESOLVER4);
	usual_genuine(&c, &fl, 0x1313, "genuine answer after a wrong server");
out:
	finish(&c);
}

static void test_unsolicited(void)
{
	struct flow fl = UDP4(40014), other_client = UDP4(40014), tcp = TCP4(40014);
	struct dns_msg m;
	struct ctx c;

	other_client.client = CLIENT4_OTHER;
	if (!start(&c, "unsolicited", BPFROUTE_CONF_F_LEARN) ||
	    !rule_add(&c, "*.example.com", RULE_IF, RULE_ID))
		goto out;
	usual_answer(&m, 0x1414, 300);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_UNSOLICITED, "answer, no query at all");
	if (!query(&c, &fl, 0x1414, QNAME, DNS_T_A))
		goto out;
	expect_refused(&c, &other_client, &m, BPFROUTE_STAT_DNS_UNSOLICITED,
		       "answer to another client than asked");
	expect_refused(&c, &tcp, &m, BPFROUTE_STAT_DNS_UNSOLICITED,
		       "answer over TCP to a query over UDP");
	usual_genuine(&c, &fl, 0x1414, "genuine answer after unsolicited ones");
out:
	finish(&c);
}

/*
 * With BPFROUTE_CONF_F_RESOLVERS only bpfroute_resolv is trusted: a query to
 * another server is not recorded, an answer from one is refused before its
 * query is looked up (DNS_UNTRUSTED), and an answer from a trusted resolver
 * that was not asked is a wrong server.
 */
static void test_untrusted_resolver(void)
{
	struct flow fl = UDP4(40015), rogue = UDP4(40015), other = UDP4(40015);
	struct dns_msg m;
	struct pkt p;
	struct ctx c;

	rogue.server = ROGUE4;
	other.server = RESOLVER4_B;
	if (!start(&c, "untrusted_resolver", BPFROUTE_CONF_F_LEARN | BPFROUTE_CONF_F_RESOLVERS) ||
	    !resolver_add(&c, RESOLVER4) || !resolver_add(&c, RESOLVER4_B) ||
	    !rule_add(&c, "*.example.com", RULE_IF, RULE_ID))
		goto out;

	dns_query_msg(&m, 0x1501, QNAME, DNS_T_A);
	pkt_dns(&p, &rogue, true, &m);
	steer(&c, &p, TC_ACT_OK, "query to an untrusted server", D(DNS_QUERY_UNTRUSTED, 1),
	      D(MISS, 1), END);
	expect_query_count(&c, 0, "query to an untrusted server");
	expect_qseen(&c, NULL, 0, "query to an untrusted server");
	usual_answer(&m, 0x1501, 300);
	expect_refused(&c, &rogue, &m, BPFROUTE_STAT_DNS_UNTRUSTED,
		       "answer from the untrusted server asked");

	if (!query(&c, &fl, 0x1502, QNAME, DNS_T_A))
		goto out;
	usual_answer(&m, 0x1502, 300);
	expect_refused(&c, &rogue, &m, BPFROUTE_STAT_DNS_UNTRUSTED,
		       "answer from " ROGUE4 " to a query sent to " RESOLVER4);
	expect_refused(&c, &other, &m, BPFROUTE_STAT_DNS_WRONG_SERVER,
		       "answer from trusted " RESOLVER4_B " to a query sent to " RESOLVER4);
	usual_genuine(&c, &fl, 0x1502, "genuine answer from the trusted resolver asked");
out:
	finish(&c);
}

static void test_wrong_question(void)
{
	struct flow fl = UDP4(40016);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "wrong_question", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x1616))
		goto out;
	dns_answer_msg(&m, 0x1616, "evil.example.com", DNS_T_A);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, ADDR_A);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_WRONG_QUESTION, "answer for another name");
	dns_answer_msg(&m, 0x1616, QNAME, DNS_T_AAAA);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, ADDR_A);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_WRONG_QUESTION, "answer for another type");
	dns_header(&m, 0x1616, DNS_F_QR | DNS_F_RD | DNS_F_RA);
	dns_question(&m, QNAME, DNS_T_A, DNS_C_CH);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, ADDR_A);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_WRONG_QUESTION, "answer for class CH");
	usual_genuine(&c, &fl, 0x1616, "genuine answer after wrong questions");
out:
	finish(&c);
}

/* Not an answer to a standard query: QR clear, an opcode, no or two questions. */
static void test_bad_header(void)
{
	struct flow fl = UDP4(40017);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "bad_header", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x1717))
		goto out;
	usual_answer(&m, 0x1717, 300);
	dns_set_u16(&m, 2, DNS_F_RD | DNS_F_RA);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "QR clear");
	usual_answer(&m, 0x1717, 300);
	dns_set_u16(&m, 2, DNS_F_QR | 2 << 11 | DNS_F_RD);	/* opcode STATUS */
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "opcode 2");
	usual_answer(&m, 0x1717, 300);
	dns_set_u16(&m, DNS_QD, 0);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "QDCOUNT 0");
	usual_answer(&m, 0x1717, 300);
	dns_set_u16(&m, DNS_QD, 2);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "QDCOUNT 2");
	dns_header(&m, 0x1717, DNS_F_QR);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "header only, counts 0");
	usual_genuine(&c, &fl, 0x1717, "genuine answer after bad headers");
out:
	finish(&c);
}

/* ---------------------------------------------------------------------------
 * The answer section
 */

/*
 * Records whose owner is not the chain's current name are skipped and
 * counted; the chain's own are learned. An answer whose only address is off
 * the chain learns nothing and says so to the agent.
 */
static void test_off_chain(void)
{
	struct flow fl = UDP4(40018);
	struct dns_msg m;
	size_t a;
	struct ctx c;

	if (!start(&c, "off_chain", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x1801))
		goto out;
	dns_answer_msg(&m, 0x1801, QNAME, DNS_T_A);
	a = dns_rr_cname(&m, DNS_QNAME_OFF, 300, "edge.cdn.example.net");
	dns_put_name(&m, "evil.example.org");	/* off the chain, written out */
	dns_rr_fixed(&m, DNS_T_A, DNS_C_IN, 300, 4);
	dns_put(&m, (const __u8[]){ 203, 0, 113, 66 }, 4);
	dns_count_add(&m, DNS_AN, 1);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, "203.0.113.67");	/* the question: left behind */
	dns_rr_a(&m, a, 300, "203.0.113.68");
	if (!answer(&c, &fl, &m, "two off-chain records", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), D(DNS_OFF_CHAIN, 2), END))
		goto out;
	expect_host(&c, "203.0.113.68", RULE_IF, RULE_ID, QNAME, 300, "on the chain");
	expect_no_host(&c, "203.0.113.66", "off the chain");
	expect_no_host(&c, "203.0.113.67", "owner left behind by the CNAME");
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, 1,
		     "two off-chain records");

	if (!query(&c, &fl, 0x1802, QNAME, DNS_T_A))
		goto out;
	dns_answer_msg(&m, 0x1802, QNAME, DNS_T_A);
	dns_put_name(&m, "evil.example.org");
	dns_rr_fixed(&m, DNS_T_A, DNS_C_IN, 300, 4);
	dns_put(&m, (const __u8[]){ 203, 0, 113, 69 }, 4);
	dns_count_add(&m, DNS_AN, 1);
	if (!answer(&c, &fl, &m, "only address off the chain", D(DNS_ANSWER, 1),
		    D(DNS_OFF_CHAIN, 1), END))
		goto out;
	expect_no_host(&c, "203.0.113.69", "only address off the chain");
	expect_learned_count(&c, 4, 1, "only address off the chain");
	expect_event(&c, &fl, &m, BPFROUTE_DNS_NOTHING, RULE_ID, RULE_IF, 0,
		     "only address off the chain");
	ASSERT_FALSE(query_present(&c, &fl, 0x1802), "off chain: query entry deleted");
out:
	finish(&c);
}

static void test_cname_loop(void)
{
	struct flow fl = UDP4(40019);
	struct dns_msg m;
	size_t b;
	struct ctx c;

	if (!start(&c, "cname_loop", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x1919))
		goto out;
	/* app CNAME b, b CNAME app, and an address for b. */
	dns_answer_msg(&m, 0x1919, QNAME, DNS_T_A);
	b = dns_rr_cname(&m, DNS_QNAME_OFF, 300, "b.example.net");
	dns_rr_cname_ptr(&m, b, 300, "", DNS_QNAME_OFF);
	dns_rr_a(&m, b, 300, ADDR_A);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_CNAME_LOOP, "a CNAME b, b CNAME a");
	/* app CNAME app. */
	dns_answer_msg(&m, 0x1919, QNAME, DNS_T_A);
	dns_rr_cname_ptr(&m, DNS_QNAME_OFF, 300, "", DNS_QNAME_OFF);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, ADDR_A);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_CNAME_LOOP, "a CNAME a");
	/* Case does not break a loop: b CNAME APP.EXAMPLE.COM. */
	dns_answer_msg(&m, 0x1919, QNAME, DNS_T_A);
	b = dns_rr_cname(&m, DNS_QNAME_OFF, 300, "b.example.net");
	dns_rr_cname(&m, b, 300, "APP.EXAMPLE.COM");
	dns_rr_a(&m, b, 300, ADDR_A);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_CNAME_LOOP, "a CNAME b, b CNAME A");
	usual_genuine(&c, &fl, 0x1919, "genuine answer after loops");
out:
	finish(&c);
}

/* BPFROUTE_DNS_CHAIN_MAX links are followed; one more is a loop. */
static void test_cname_chain_limit(void)
{
	struct flow fl = UDP4(40020);
	struct dns_msg m;
	struct ctx c;
	char name[64];

	if (!start(&c, "cname_chain_limit", BPFROUTE_CONF_F_LEARN))
		return;
	if (!rule_add(&c, "*.example.com", RULE_IF, RULE_ID))
		goto out;
	for (int links = BPFROUTE_DNS_CHAIN_MAX; links <= BPFROUTE_DNS_CHAIN_MAX + 1; links++) {
		__u16 id = (__u16)(0x2000 + links);
		size_t owner = DNS_QNAME_OFF;
		char what[64];

		snprintf(what, sizeof(what), "chain of %d CNAMEs", links);
		if (!query(&c, &fl, id, QNAME, DNS_T_A))
			goto out;
		dns_answer_msg(&m, id, QNAME, DNS_T_A);
		for (int i = 1; i <= links; i++) {
			snprintf(name, sizeof(name), "n%d.chain.example.net", i);
			owner = dns_rr_cname(&m, owner, 300, name);
		}
		dns_rr_a(&m, owner, 300, ADDR_A);
		if (links == BPFROUTE_DNS_CHAIN_MAX) {
			answer(&c, &fl, &m, what, D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
			       D(LEARNED_ADDRS, 1), END);
			expect_host(&c, ADDR_A, RULE_IF, RULE_ID, QNAME, 300, what);
			expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, 1, what);
			if (!ASSERT_OK(lt_del(c.skel->obj, 4, (__u8[16]){ 203, 0, 113, 10 }),
				       "delete the learned entry"))
				goto out;
		} else {
			expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_CNAME_LOOP, what);
		}
	}
out:
	finish(&c);
}

/*
 * Compression pointers must point backwards, each before the last (so that
 * no loop can hold the walk): a pointer to itself, two pointers at each
 * other, a pointer forwards, a pointer past the message are malformed.
 */
static void test_pointer_loop(void)
{
	struct flow fl = UDP4(40021);
	struct dns_msg m;
	size_t at, a, b;
	struct ctx c;

	if (!start(&c, "pointer_loop", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x2121))
		goto out;

	/* An owner that points at itself. */
	dns_answer_msg(&m, 0x2121, QNAME, DNS_T_A);
	at = m.len;
	dns_put_ptr(&m, at);
	dns_rr_fixed(&m, DNS_T_A, DNS_C_IN, 300, 4);
	dns_put(&m, (const __u8[]){ 203, 0, 113, 10 }, 4);
	dns_count_add(&m, DNS_AN, 1);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "owner pointer to itself");

	/* A label, then a pointer back to that label: the name never ends. */
	dns_answer_msg(&m, 0x2121, QNAME, DNS_T_A);
	at = m.len;
	dns_put_name_ptr(&m, "x", at);
	dns_rr_fixed(&m, DNS_T_A, DNS_C_IN, 300, 4);
	dns_put(&m, (const __u8[]){ 203, 0, 113, 10 }, 4);
	dns_count_add(&m, DNS_AN, 1);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "label, pointer to the label");

	/*
	 * Two pointers at each other: A (in a TXT record's rdata, never read as
	 * a name) points at B, the owner of the next record, which points at A.
	 * The walk meets B's pointer first: backwards, allowed; then A's, which
	 * is not before the last jump.
	 */
	dns_answer_msg(&m, 0x2121, QNAME, DNS_T_A);
	dns_put_ptr(&m, DNS_QNAME_OFF);
	a = dns_rr_fixed(&m, DNS_T_TXT, DNS_C_IN, 300, 2);
	b = a + 2;
	dns_put_ptr(&m, b);
	dns_count_add(&m, DNS_AN, 1);
	dns_put_ptr(&m, a);
	dns_rr_fixed(&m, DNS_T_A, DNS_C_IN, 300, 4);
	dns_put(&m, (const __u8[]){ 203, 0, 113, 10 }, 4);
	dns_count_add(&m, DNS_AN, 1);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "two pointers at each other");

	/* A CNAME target pointing at itself. */
	dns_answer_msg(&m, 0x2121, QNAME, DNS_T_A);
	dns_put_ptr(&m, DNS_QNAME_OFF);
	at = dns_rr_fixed(&m, DNS_T_CNAME, DNS_C_IN, 300, 2);
	dns_put_ptr(&m, at);
	dns_count_add(&m, DNS_AN, 1);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "CNAME target points at itself");

	/* The question's name pointing at itself. */
	dns_header(&m, 0x2121, DNS_F_QR | DNS_F_RD | DNS_F_RA);
	dns_put_ptr(&m, DNS_QNAME_OFF);
	dns_put_u16(&m, DNS_T_A);
	dns_put_u16(&m, DNS_C_IN);
	dns_count_add(&m, DNS_QD, 1);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "question points at itself");

	usual_genuine(&c, &fl, 0x2121, "genuine answer after pointer loops");
out:
	finish(&c);
}

static void test_forward_pointer(void)
{
	struct flow fl = UDP4(40022);
	struct dns_msg m;
	size_t at;
	struct ctx c;

	if (!start(&c, "forward_pointer", BPFROUTE_CONF_F_LEARN) ||
	    !usual_setup(&c, &fl, 0x2222))
		goto out;
	/* The owner points at a copy of the question's name placed after the record. */
	dns_answer_msg(&m, 0x2222, QNAME, DNS_T_A);
	at = m.len;
	dns_put_ptr(&m, 0);	/* patched below */
	dns_rr_fixed(&m, DNS_T_A, DNS_C_IN, 300, 4);
	dns_put(&m, (const __u8[]){ 203, 0, 113, 10 }, 4);
	dns_count_add(&m, DNS_AN, 1);
	dns_set_u16(&m, at, (__u16)(0xc000 | m.len));
	dns_put_name(&m, QNAME);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "owner pointer forwards");

	/* A pointer past the end of the message. */
	usual_answer(&m, 0x2222, 300);
	dns_set_u16(&m, m.len - 16, 0xc000 | 0x3fff);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "owner pointer past the end");
	usual_genuine(&c, &fl, 0x2222, "genuine answer after forward pointers");
out:
	finish(&c);
}

/* All or nothing: a broken record spoils the whole answer, records before it included. */
static void test_truncated_records(void)
{
	struct flow fl = UDP4(40023);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "truncated_records", BPFROUTE_CONF_F_LEARN) ||
	    !usual_setup(&c, &fl, 0x2323))
		goto out;
	/* A good A record, then one whose rdlength runs past the end. */
	usual_answer(&m, 0x2323, 300);
	dns_put_ptr(&m, DNS_QNAME_OFF);
	dns_rr_fixed(&m, DNS_T_A, DNS_C_IN, 300, 4);
	dns_put(&m, (const __u8[]){ 203, 0, 113, 11 }, 2);
	dns_count_add(&m, DNS_AN, 1);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "rdlength past the end");

	/* A good A record, then a record header cut after its class. */
	usual_answer(&m, 0x2323, 300);
	dns_put_ptr(&m, DNS_QNAME_OFF);
	dns_put_u16(&m, DNS_T_A);
	dns_put_u16(&m, DNS_C_IN);
	dns_count_add(&m, DNS_AN, 1);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "record header cut");

	/* ANCOUNT claims a record that is not there. */
	usual_answer(&m, 0x2323, 300);
	dns_count_add(&m, DNS_AN, 1);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "ANCOUNT one too many");

	/* An A record of 5 bytes, an AAAA of 4. */
	usual_answer(&m, 0x2323, 300);
	dns_rr(&m, DNS_QNAME_OFF, DNS_T_A, 300, (const __u8[]){ 203, 0, 113, 12, 0 }, 5);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "A record of 5 bytes");
	usual_answer(&m, 0x2323, 300);
	dns_rr(&m, DNS_QNAME_OFF, DNS_T_AAAA, 300, (const __u8[]){ 32, 1, 13, 184 }, 4);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "AAAA record of 4 bytes");

	/* A CNAME whose rdlength is longer than its name. */
	usual_answer(&m, 0x2323, 300);
	dns_put_ptr(&m, DNS_QNAME_OFF);
	dns_rr_fixed(&m, DNS_T_CNAME, DNS_C_IN, 300, 3);
	dns_put_ptr(&m, DNS_QNAME_OFF);
	dns_put(&m, NULL, 1);
	dns_count_add(&m, DNS_AN, 1);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "CNAME rdata longer than name");

	/* The question cut in its type. */
	dns_header(&m, 0x2323, DNS_F_QR | DNS_F_RD | DNS_F_RA);
	dns_put_name(&m, QNAME);
	dns_put_u16(&m, DNS_T_A);
	dns_count_add(&m, DNS_QD, 1);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_MALFORMED, "question cut");

	usual_genuine(&c, &fl, 0x2323, "genuine answer after broken ones");
out:
	finish(&c);
}

/* ---------------------------------------------------------------------------
 * Addresses never learned
 */

/*
 * One answer with the refused address first and a good one after: the
 * refused one is counted and skipped, the good one learned.
 */
static void refused_case(const char *name, const char *bad, void (*prep)(struct ctx *))
{
	struct flow fl = UDP4(40024);
	struct dns_msg m;
	struct ctx c;
	char what[160];

	if (!start(&c, name, BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x2401))
		goto out;
	prep(&c);
	snprintf(what, sizeof(what), "answer of %s and " ADDR_A, bad);
	dns_answer_msg(&m, 0x2401, QNAME, DNS_T_A);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, bad);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, ADDR_A);
	if (!answer(&c, &fl, &m, what, D(DNS_ANSWER, 1), D(DNS_LEARNED, 1), D(LEARNED_ADDRS, 1),
		    D(DNS_REFUSED_ADDR, 1), END))
		goto out;
	expect_no_host(&c, bad, what);
	expect_host(&c, ADDR_A, RULE_IF, RULE_ID, QNAME, 300, what);
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, 1, what);

	/* Alone, it leaves nothing learned. */
	if (!query(&c, &fl, 0x2402, QNAME, DNS_T_A))
		goto out;
	snprintf(what, sizeof(what), "answer of %s alone", bad);
	dns_answer_msg(&m, 0x2402, QNAME, DNS_T_A);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, bad);
	if (!answer(&c, &fl, &m, what, D(DNS_ANSWER, 1), D(DNS_REFUSED_ADDR, 1), END))
		goto out;
	expect_no_host(&c, bad, what);
	expect_event(&c, &fl, &m, BPFROUTE_DNS_NOTHING, RULE_ID, RULE_IF, 0, what);
out:
	finish(&c);
}

static void prep_own(struct ctx *c)
{
	excl_add(c, "192.0.2.1", BPFROUTE_EXCL_LOCAL);
}

static void prep_endpoint(struct ctx *c)
{
	excl_add(c, "198.51.100.200", BPFROUTE_EXCL_ENDPOINT);
}

/* Trusted resolvers are never learned, whether or not only they are trusted. */
static void prep_resolver(struct ctx *c)
{
	resolver_add(c, RESOLVER4_B);
}

static void test_refused_own_address(void)
{
	refused_case("refused_own_address", "192.0.2.1", prep_own);
}

static void test_refused_endpoint(void)
{
	refused_case("refused_endpoint", "198.51.100.200", prep_endpoint);
}

static void test_refused_resolver(void)
{
	refused_case("refused_resolver", RESOLVER4_B, prep_resolver);
}

static void prep_nothing(struct ctx *c)
{
	(void)c;
}

/*
 * The server that answered, with no resolver lines (trust is open): an
 * answer must never steer DNS itself into the tunnel.
 */
static void test_refused_server(void)
{
	refused_case("refused_server", RESOLVER4, prep_nothing);
}

/* Addresses a router never forwards to (forward.h), in A and AAAA records. */
static void test_refused_special(void)
{
	static const char *const v4[] = {
		"127.0.0.1", "0.0.0.0", "224.0.0.1", "169.254.1.1", "255.255.255.255",
		"240.0.0.1",
	};
	static const char *const v6[] = {
		"::1", "::", "ff02::1", "fe80::1", "::ffff:1.2.3.4",
	};
	const size_t n4 = sizeof(v4) / sizeof(v4[0]), n6 = sizeof(v6) / sizeof(v6[0]);
	struct flow fl4 = UDP4(40025), fl6 = UDP6(40026);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "refused_special", BPFROUTE_CONF_F_LEARN) ||
	    !usual_setup(&c, &fl4, 0x2501) || !query(&c, &fl6, 0x2502, QNAME, DNS_T_AAAA))
		goto out;
	dns_answer_msg(&m, 0x2501, QNAME, DNS_T_A);
	for (size_t i = 0; i < n4; i++)
		dns_rr_a(&m, DNS_QNAME_OFF, 300, v4[i]);
	answer(&c, &fl4, &m, "special IPv4 addresses", D(DNS_ANSWER, 1),
	       D(DNS_REFUSED_ADDR, n4), END);
	expect_event(&c, &fl4, &m, BPFROUTE_DNS_NOTHING, RULE_ID, RULE_IF, 0,
		     "special IPv4 addresses");
	dns_answer_msg(&m, 0x2502, QNAME, DNS_T_AAAA);
	for (size_t i = 0; i < n6; i++)
		dns_rr_aaaa(&m, DNS_QNAME_OFF, 300, v6[i]);
	answer(&c, &fl6, &m, "special IPv6 addresses", D(DNS_ANSWER, 1),
	       D(DNS_REFUSED_ADDR, n6), END);
	expect_event(&c, &fl6, &m, BPFROUTE_DNS_NOTHING, RULE_ID, RULE_IF, 0,
		     "special IPv6 addresses");
	expect_learned_count(&c, 4, 0, "special addresses");
	expect_learned_count(&c, 6, 0, "special addresses");
	expect_map_count(c.skel->maps.bpfroute_names, 0, "special addresses");
out:
	finish(&c);
}

/*
 * The same answer twice (a resolver's retransmission, a forger's replay):
 * the first is learned and removes the query, so the second finds none.
 * bpfroute_qseen still knows this id was asked from this very port: the
 * second copy is unsolicited, not a wrong port or id. Nothing is renewed or
 * reported twice.
 */
static void test_duplicate_answer(void)
{
	struct flow fl = UDP4(40027);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "duplicate_answer", BPFROUTE_CONF_F_LEARN) ||
	    !usual_setup(&c, &fl, 0x2727))
		goto out;
	usual_answer(&m, 0x2727, 300);
	if (!answer(&c, &fl, &m, "first copy", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), END))
		goto out;
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, 1, "first copy");
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_UNSOLICITED, "second copy");
out:
	finish(&c);
}

/* An error answer has nothing to learn; it still settles the query. */
static void test_nxdomain(void)
{
	struct flow fl = UDP4(40028);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "nxdomain", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x2828))
		goto out;
	usual_answer(&m, 0x2828, 300);	/* an address in an NXDOMAIN: never read */
	dns_set_u16(&m, 2, DNS_F_QR | DNS_F_RD | DNS_F_RA | DNS_RCODE_NXDOMAIN);
	if (!answer(&c, &fl, &m, "NXDOMAIN", D(DNS_ANSWER, 1), END))
		goto out;
	expect_no_host(&c, ADDR_A, "NXDOMAIN");
	expect_event(&c, &fl, &m, BPFROUTE_DNS_NOTHING, RULE_ID, RULE_IF, 0, "NXDOMAIN");
	ASSERT_FALSE(query_present(&c, &fl, 0x2828), "NXDOMAIN: query entry deleted");
out:
	finish(&c);
}

/* ---------------------------------------------------------------------------
 * Limits
 */

/*
 * max-routes 2, an answer of 3 addresses: two learned, the third refused (a
 * full table never evicts). Renewing a present entry needs no room.
 */
static void test_map_full(void)
{
	struct flow fl = UDP4(40029);
	struct dns_msg m;
	struct ctx c;

	if (!start_opts(&c, "map_full", BPFROUTE_CONF_F_LEARN, 2, 0) ||
	    !usual_setup(&c, &fl, 0x2901))
		goto out;
	dns_answer_msg(&m, 0x2901, QNAME, DNS_T_A);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, "203.0.113.41");
	dns_rr_a(&m, DNS_QNAME_OFF, 300, "203.0.113.42");
	dns_rr_a(&m, DNS_QNAME_OFF, 300, "203.0.113.43");
	if (!answer(&c, &fl, &m, "3 addresses, room for 2", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 2), D(DNS_REFUSED_FULL, 1), END))
		goto out;
	expect_host(&c, "203.0.113.41", RULE_IF, RULE_ID, QNAME, 300, "map full");
	expect_host(&c, "203.0.113.42", RULE_IF, RULE_ID, QNAME, 300, "map full");
	expect_no_host(&c, "203.0.113.43", "map full");
	expect_name(&c, QNAME, "map full");
	expect_event(&c, &fl, &m, BPFROUTE_DNS_FULL, RULE_ID, RULE_IF, 2, "map full");

	if (!query(&c, &fl, 0x2902, QNAME, DNS_T_A))
		goto out;
	dns_answer_msg(&m, 0x2902, QNAME, DNS_T_A);
	dns_rr_a(&m, DNS_QNAME_OFF, 600, "203.0.113.42");
	if (!answer(&c, &fl, &m, "renewal in a full map", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), END))
		goto out;
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, 1,
		     "renewal in a full map");
out:
	finish(&c);
}

/*
 * The agent rebuilds the table (grow, shrink) while the kernel learns: every
 * address an answer learned is in the table the datapath holds at the end,
 * whichever moment of a rebuild its answer came in (the learner writes the
 * next table too, and a walk that finds its table swapped starts over in the
 * new one). A thread rebuilds back and forth between two sizes as long as
 * answers come.
 */
struct rebuild_loop {
	struct bpf_object *obj;
	volatile bool stop;
	int rebuilds, failed;
};

static void *rebuild_thread(void *arg)
{
	struct rebuild_loop *r = arg;
	struct bpfroute_conf conf;
	struct hosttable ht;
	struct bpfroute_maps m;

	maps_from_object(r->obj, &m);
	if (lt_open(r->obj, 4, &ht, &conf))
		return NULL;
	while (!r->stop) {
		__u32 slots = r->rebuilds % 2 ? 1U << 16 : 1U << 17;

		if (hosttable_rebuild(&ht, &m, &conf, slots))
			r->failed++;
		r->rebuilds++;
	}
	hosttable_close(&ht);
	return NULL;
}

static void test_learn_during_rebuild(void)
{
	const __u32 n = 20000;
	struct rebuild_loop r = { 0 };
	struct bpfroute_host h;
	__u32 missing = 0, retval;
	struct flow fl = UDP4(40200);
	struct dns_msg m;
	static struct pkt p, out;
	pthread_t tid;
	struct ctx c;
	char addr[32], what[160];

	if (!start_opts(&c, "learn_during_rebuild", BPFROUTE_CONF_F_LEARN, 1U << 16, 0))
		return;
	if (!rule_add(&c, "*.example.com", RULE_IF, RULE_ID))
		goto out;
	r.obj = c.skel->obj;
	if (!ASSERT_OK(pthread_create(&tid, NULL, rebuild_thread, &r), "start the rebuilds"))
		goto out;
	for (__u32 i = 0; i < n; i++) {
		__u16 id = (__u16)i;

		snprintf(addr, sizeof(addr), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		dns_query_msg(&m, id, QNAME, DNS_T_A);
		pkt_dns(&p, &fl, true, &m);
		run_in(bpf_program__fd(c.skel->progs.bpfroute_steer), &p, &retval, &out,
		       (__u32)lan_ifindex);
		dns_answer_msg(&m, id, QNAME, DNS_T_A);
		dns_rr_a(&m, DNS_QNAME_OFF, 300, addr);
		pkt_dns(&p, &fl, false, &m);
		run_once(bpf_program__fd(c.skel->progs.bpfroute_learn), &p, &retval, &out);
		if (!(i % 256))
			events_poll(&c);	/* keep the ring from filling */
	}
	r.stop = true;
	pthread_join(tid, NULL);
	printf("  info: %u answers learned during %d rebuilds (%d refused)\n", n, r.rebuilds,
	       r.failed);
	ASSERT_TRUE(r.rebuilds >= 2, "the table was rebuilt while answers came");
	ASSERT_EQ(r.failed, 0, "every rebuild went through");
	for (__u32 i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		missing += host_get(&c, addr, &h) != 0;
	}
	ASSERT_EQ(missing, 0, MSG(what, "addresses learned but not in the table (of %u)", n));
	ASSERT_EQ(lt_count(c.skel->obj, 4), n, "live entries: each address once");
	ASSERT_EQ(ctl_live(&c), n, "the live count agrees");
out:
	finish(&c);
}

/*
 * BPFROUTE_DNS_LEARN_MAX AAAA records, the largest answer of addresses the
 * kernel learns whole: all of them are installed before the answer leaves
 * (verdict LEARNED, nothing for the agent). With an EDNS OPT record and a
 * question name of 229 bytes the message is exactly BPFROUTE_DNS_MSG_MAX
 * bytes: 64 AAAA records with compressed owners (28 bytes each) fit what
 * the kernel parses (include/bpfroute_abi.h).
 */
static void test_learn_limit_exact(void)
{
	const int n = BPFROUTE_DNS_LEARN_MAX;
	struct flow fl = UDP6(40041);
	char qname[256], addr[64], what[64];
	struct dns_msg m;
	struct ctx c;
	size_t at = 0;
	__u8 wire[256];

	/* Three labels of 63, one of 23, then example.com: 229 bytes of wire form. */
	for (int l = 0; l < 4; l++) {
		int len = l < 3 ? 63 : 23;

		memset(qname + at, 'a' + l, (size_t)len);
		at += (size_t)len;
		qname[at++] = '.';
	}
	snprintf(qname + at, sizeof(qname) - at, "example.com");
	if (!ASSERT_EQ(dns_wire(qname, wire, true), 229, "the question name's wire form") ||
	    !start(&c, "learn_limit_exact", BPFROUTE_CONF_F_LEARN))
		return;
	MSG(what, "%d AAAA records", n);
	if (!rule_add(&c, "*.example.com", RULE_IF, RULE_ID) ||
	    !query(&c, &fl, 0x4141, qname, DNS_T_AAAA))
		goto out;
	dns_answer_msg(&m, 0x4141, qname, DNS_T_AAAA);
	for (int i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "2001:db8:64::%x", i + 1);
		dns_rr_aaaa(&m, DNS_QNAME_OFF, 300, addr);
	}
	dns_opt(&m, 1232);
	if (!ASSERT_EQ(m.len, BPFROUTE_DNS_MSG_MAX, MSG(what, "%d AAAA records: message bytes", n)))
		goto out;
	MSG(what, "%d AAAA records", n);
	if (!answer(&c, &fl, &m, what, D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, n), END))
		goto out;
	for (int i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "2001:db8:64::%x", i + 1);
		if (!expect_host(&c, addr, RULE_IF, RULE_ID, qname, 300, what))
			break;
	}
	expect_learned_count(&c, 6, n, what);
	expect_name(&c, qname, what);
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, (__u16)n, what);
out:
	finish(&c);
}

/*
 * One address more than BPFROUTE_DNS_LEARN_MAX: the first ones are learned
 * and the agent is told to finish (verdict AGENT).
 */
static void test_learn_limit(void)
{
	const int n = BPFROUTE_DNS_LEARN_MAX + 1;
	struct flow fl = UDP4(40030);
	char addr[32], what[64];
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "learn_limit", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x3030))
		goto out;
	MSG(what, "%d addresses", n);
	dns_answer_msg(&m, 0x3030, QNAME, DNS_T_A);
	for (int i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "203.0.113.%d", 100 + i);
		dns_rr_a(&m, DNS_QNAME_OFF, 300, addr);
	}
	if (!answer(&c, &fl, &m, what, D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, BPFROUTE_DNS_LEARN_MAX), D(DNS_TO_AGENT, 1), END))
		goto out;
	for (int i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "203.0.113.%d", 100 + i);
		if (i < BPFROUTE_DNS_LEARN_MAX)
			expect_host(&c, addr, RULE_IF, RULE_ID, QNAME, 300, what);
		else
			expect_no_host(&c, addr, MSG(what, "%d addresses: the last is the agent's",
						     n));
	}
	MSG(what, "%d addresses", n);
	expect_learned_count(&c, 4, BPFROUTE_DNS_LEARN_MAX, what);
	expect_event(&c, &fl, &m, BPFROUTE_DNS_AGENT, RULE_ID, RULE_IF, BPFROUTE_DNS_LEARN_MAX,
		     what);
out:
	finish(&c);
}

/* ---------------------------------------------------------------------------
 * The kernel and the agent read answers alike
 */

#define DIFF_ANSWERS	100000
#define DIFF_SHOW_MAX	3	/* differences printed in full */

/* The addresses the agent would install from msg: on the chain, not refused. */
static size_t agent_reading(const struct dns_msg *msg, const __u8 *server,
			    struct agent_dns_answer *ans, __u8 (*out)[17])
{
	size_t n = 0;

	if (agent_dns_parse(msg->b, msg->len, ans))
		return 0;
	for (size_t i = 0; i < ans->n; i++) {
		const struct agent_dns_addr *a = &ans->addrs[i];
		bool dup = false;

		if (!memcmp(a->addr, server, 16) ||
		    (a->family == 4 ? bpfroute_ipv4_special(a->addr) :
				      bpfroute_ipv6_special(a->addr)))
			continue;
		for (size_t k = 0; k < n && !dup; k++)
			dup = out[k][0] == a->family && !memcmp(out[k] + 1, a->addr, 16);
		if (dup)
			continue;
		out[n][0] = a->family;
		memcpy(out[n] + 1, a->addr, 16);
		n++;
	}
	return n;
}

static void diff_show(const struct dns_msg *m, __u64 seed, __u32 i, long long kernel,
		      size_t agent)
{
	printf("  difference: seed 0x%llx answer %u: kernel learned %lld, agent %zu; message:\n   ",
	       (unsigned long long)seed, i, kernel, agent);
	for (size_t k = 0; k < m->len; k++)
		printf(" %02x%s", m->b[k], k % 24 == 23 ? "\n   " : "");
	printf("\n");
}

/*
 * DIFF_ANSWERS generated answers (selftests/dns_gen.h) through the kernel's
 * learner and the agent's reader: each answer must install exactly the
 * addresses the agent reads from it. BPFROUTE_TEST_SEED replays a run.
 */
static void test_differential(void)
{
	struct agent_dns_answer *ans = malloc(sizeof(*ans));
	__u32 learned = 0, refused = 0, diffs = 0, rebuilds = 0, retval;
	const char *env = getenv("BPFROUTE_TEST_SEED");
	struct dns_gen g = { .state = env ? strtoull(env, NULL, 0) : (__u64)time(NULL) };
	__u8 (*want)[17] = calloc(BPFROUTE_DNS_RR_MAX, sizeof(*want));
	struct hosttable ht[2];
	int n_open = 0;
	static struct pkt p, out;
	struct bpfroute_conf conf;
	struct bpfroute_maps maps;
	__u64 seed = g.state |= 1;
	struct dns_msg m;
	struct ctx c;
	char what[160];

	if (!start_opts(&c, "differential", BPFROUTE_CONF_F_LEARN, 1U << 16, 0))
		goto out_free;
	maps_from_object(c.skel->obj, &maps);
	if (!ASSERT_TRUE(ans && want, "malloc") || !rule_add(&c, "*.example.com", RULE_IF, RULE_ID))
		goto out;
	for (; n_open < 2; n_open++)
		if (!ASSERT_OK(lt_open(c.skel->obj, n_open ? 6 : 4, &ht[n_open], &conf),
			       "map a learned table"))
			goto out;
	printf("  info: seed 0x%llx (BPFROUTE_TEST_SEED=0x%llx replays it)\n",
	       (unsigned long long)seed, (unsigned long long)seed);
	for (__u32 i = 0; i < DIFF_ANSWERS; i++) {
		struct flow fl = i & 1 ? UDP6(20000 + (i & 0x3fff)) : UDP4(20000 + (i & 0x3fff));
		__u16 id = (__u16)(i * 0x9e37), qtype = gen_pct(&g, 50) ? DNS_T_A : DNS_T_AAAA;
		__u8 server[16];
		struct gen_name q;
		long long before, kernel;
		size_t n;
		bool same;

		gen_question_name(&g, &q);
		dns_header(&m, id, DNS_F_RD);
		dns_put(&m, q.w, q.len);
		dns_put_u16(&m, qtype);
		dns_put_u16(&m, DNS_C_IN);
		dns_count_add(&m, DNS_QD, 1);
		pkt_dns(&p, &fl, true, &m);
		run_in(bpf_program__fd(c.skel->progs.bpfroute_steer), &p, &retval, &out,
		       (__u32)lan_ifindex);

		gen_answer(&g, &m, id, &q, qtype);
		before = (long long)ht[0].ctl->live + ht[1].ctl->live;
		pkt_dns(&p, &fl, false, &m);
		run_once(bpf_program__fd(c.skel->progs.bpfroute_learn), &p, &retval, &out);
		kernel = (long long)ht[0].ctl->live + ht[1].ctl->live - before;

		addr16(fl.server, server);
		n = agent_reading(&m, server, ans, want);
		same = kernel == (long long)n;
		for (size_t k = 0; k < n; k++) {
			struct hosttable *t = &ht[want[k][0] == 4 ? 0 : 1];
			struct bpfroute_host *h = hosttable_find(t, &conf, want[k] + 1);

			same &= h != NULL;
			if (h)
				hosttable_kill(t, h, h->state);
		}
		if (!same && diffs++ < DIFF_SHOW_MAX)
			diff_show(&m, seed, i, kernel, n);
		learned += n > 0;
		refused += n == 0;
		/* Leftovers of a difference would count against the next answer. */
		for (int f = 0; f < 2 && !same; f++)
			for (__u32 k = 0; k < TABLE_SLOTS(hosttable_role(&ht[f], BPFROUTE_HOSTS_TABLE)); k++) {
				struct bpfroute_host *h =
					TABLE_SLOT(hosttable_role(&ht[f], BPFROUTE_HOSTS_TABLE), k);

				if (BPFROUTE_SLOT_KIND(h->state) == BPFROUTE_SLOT_LIVE)
					hosttable_kill(&ht[f], h, h->state);
			}
		/* Deleted slots stay until a rebuild, when the agent would rebuild. */
		for (int f = 0; f < 2; f++) {
			__u32 slots = hosttable_rebuild_want(&ht[f], conf.max_routes);

			if (!slots)
				continue;
			if (!ASSERT_OK(hosttable_rebuild(&ht[f], &maps, &conf, slots),
				       "rebuild a table"))
				goto out;
			rebuilds++;
		}
		if (!(i % 256))
			events_poll(&c);
	}
	printf("  info: %u answers: %u learned something, %u nothing; %u rebuilds\n",
	       DIFF_ANSWERS, learned, refused, rebuilds);
	ASSERT_EQ(diffs, 0, MSG(what, "answers the kernel and the agent read differently (seed 0x%llx)",
				(unsigned long long)seed));
	/* Not a vacuous run: both outcomes are common. */
	ASSERT_TRUE(learned > DIFF_ANSWERS / 5, "a fifth of the answers learn something");
	ASSERT_TRUE(refused > DIFF_ANSWERS / 10, "a tenth of the answers learn nothing");
out:
	while (n_open--)
		hosttable_close(&ht[n_open]);
	finish(&c);
out_free:
	free(ans);
	free(want);
}

/*
 * BPFROUTE_DNS_RR_MAX records, the last BPFROUTE_DNS_LEARN_MAX of them
 * addresses: the walk reaches the last record and learns them all, nothing
 * for the agent. Both bounds at once, as a resolver's answer with other
 * records before the addresses would reach them.
 */
static void test_record_limit_exact(void)
{
	const int other = BPFROUTE_DNS_RR_MAX - BPFROUTE_DNS_LEARN_MAX;
	struct flow fl = UDP4(40042);
	char addr[32], what[64];
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "record_limit_exact", BPFROUTE_CONF_F_LEARN) ||
	    !usual_setup(&c, &fl, 0x4242))
		goto out;
	MSG(what, "%d records", BPFROUTE_DNS_RR_MAX);
	dns_answer_msg(&m, 0x4242, QNAME, DNS_T_A);
	for (int i = 0; i < other; i++)
		dns_rr(&m, DNS_QNAME_OFF, DNS_T_TXT, 300, (const __u8[]){ 1, 'x' }, 2);
	for (int i = 0; i < BPFROUTE_DNS_LEARN_MAX; i++) {
		snprintf(addr, sizeof(addr), "203.0.113.%d", 100 + i);
		dns_rr_a(&m, DNS_QNAME_OFF, 300, addr);
	}
	if (!answer(&c, &fl, &m, what, D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, BPFROUTE_DNS_LEARN_MAX), END))
		goto out;
	for (int i = 0; i < BPFROUTE_DNS_LEARN_MAX; i++) {
		snprintf(addr, sizeof(addr), "203.0.113.%d", 100 + i);
		if (!expect_host(&c, addr, RULE_IF, RULE_ID, QNAME, 300, what))
			break;
	}
	expect_learned_count(&c, 4, BPFROUTE_DNS_LEARN_MAX, what);
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, BPFROUTE_DNS_LEARN_MAX,
		     what);
out:
	finish(&c);
}

/* One record more than BPFROUTE_DNS_RR_MAX: the walk stops there, the agent finishes. */
static void test_record_limit(void)
{
	const int n = BPFROUTE_DNS_RR_MAX + 1;
	struct flow fl = UDP4(40031);
	char what[64];
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "record_limit", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x3131))
		goto out;
	MSG(what, "%d records", n);
	dns_answer_msg(&m, 0x3131, QNAME, DNS_T_A);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, "203.0.113.51");
	for (int i = 0; i < n - 2; i++)
		dns_rr(&m, DNS_QNAME_OFF, DNS_T_TXT, 300, (const __u8[]){ 1, 'x' }, 2);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, "203.0.113.52");	/* the last record */
	if (!answer(&c, &fl, &m, what, D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), D(DNS_TO_AGENT, 1), END))
		goto out;
	expect_host(&c, "203.0.113.51", RULE_IF, RULE_ID, QNAME, 300, "record 1");
	expect_no_host(&c, "203.0.113.52", MSG(what, "record %d: the agent's", n));
	expect_event(&c, &fl, &m, BPFROUTE_DNS_AGENT, RULE_ID, RULE_IF, 1,
		     MSG(what, "%d records", n));
out:
	finish(&c);
}

/* Pads an answer to exactly len bytes with a NULL record in the additional section. */
static void pad_to(struct dns_msg *m, size_t len)
{
	size_t rdlen = len - m->len - 11;	/* root owner, fixed part */

	dns_put(m, NULL, 1);
	dns_rr_fixed(m, DNS_T_NULL, DNS_C_IN, 0, (__u16)rdlen);
	dns_put(m, NULL, rdlen);
	dns_count_add(m, DNS_AR, 1);
}

/*
 * BPFROUTE_DNS_MSG_MAX bytes are parsed; one more is too big: counted, not
 * learned, and the query is not settled.
 */
static void test_too_big(void)
{
	struct flow fl = UDP4(40032);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "too_big", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x3232))
		goto out;
	usual_answer(&m, 0x3232, 300);
	pad_to(&m, BPFROUTE_DNS_MSG_MAX + 1);
	expect_refused(&c, &fl, &m, BPFROUTE_STAT_DNS_TOO_BIG, "answer of 2049 bytes");
	ASSERT_TRUE(query_present(&c, &fl, 0x3232), "2049 bytes: the query still stands");

	usual_answer(&m, 0x3232, 300);
	pad_to(&m, BPFROUTE_DNS_MSG_MAX);
	if (!answer(&c, &fl, &m, "answer of 2048 bytes", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), END))
		goto out;
	expect_host(&c, ADDR_A, RULE_IF, RULE_ID, QNAME, 300, "2048 bytes");
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, 1, "2048 bytes");
out:
	finish(&c);
}

/*
 * The first fragment of an answer split by IPv4 fragmentation (a large EDNS
 * answer): not whole in one packet. include/bpfroute_abi.h: DNS_TOO_BIG is
 * "answer not whole in one packet"; bpf/dns_packet.h: "a DNS message split
 * over IP fragments is counted by the caller and not learned".
 */
static void test_fragmented_answer(void)
{
	struct flow fl = UDP4(40033), fl6 = UDP6(40033);
	__u8 *l3, *frag;
	static struct learned before;
	struct dns_msg m;
	struct frame f = {
		.src = RESOLVER4, .dst = CLIENT4, .proto = IPPROTO_UDP, .sport = 53,
		.dport = 40033, .frag_off = IP4_MF,
	};
	struct pkt p;
	struct ctx c;

	if (!start(&c, "fragmented_answer", BPFROUTE_CONF_F_LEARN) ||
	    !usual_setup(&c, &fl, 0x3333))
		goto out;
	usual_answer(&m, 0x3333, 300);
	pad_to(&m, 1600);
	/* The first 1472 bytes of UDP: header and 1464 bytes of the message. */
	f.payload = m.b;
	f.len = 1464;
	f.udp_len = (__u16)(8 + m.len);
	pkt_frame(&p, mac_peer, &f);
	if (!learned_snap(&c, &before))
		goto out;
	learn_pkt(&c, &p, "first IPv4 fragment of an answer", D(DNS_ANSWER, 1),
		  D(DNS_TOO_BIG, 1), END);
	expect_learned_same(&c, &before, "first IPv4 fragment of an answer");
	expect_no_event(&c, "first IPv4 fragment of an answer");
	ASSERT_TRUE(query_present(&c, &fl, 0x3333), "IPv4 fragment: the query still stands");

	/*
	 * IPv6: the whole datagram, then a Fragment header (RFC 8200 4.5)
	 * slipped in after the fixed header and the payload cut to 1448 bytes.
	 */
	if (!query(&c, &fl6, 0x3334, QNAME, DNS_T_A))
		goto out;
	usual_answer(&m, 0x3334, 300);
	pad_to(&m, 1600);
	pkt_dns(&p, &fl6, false, &m);
	l3 = p.data + ETH_HLEN;
	memmove(l3 + IP6_HLEN + 8, l3 + IP6_HLEN, p.len - ETH_HLEN - IP6_HLEN);
	frag = l3 + IP6_HLEN;
	memset(frag, 0, 8);
	frag[0] = l3[6];	/* next header: UDP */
	frag[3] = 1;		/* offset 0, M: more fragments */
	put_be32(frag + 4, 0x0badcafe);
	l3[6] = 44;
	put_be16(l3 + 4, 8 + 1448);
	p.len = ETH_HLEN + IP6_HLEN + 8 + 1448;
	if (!learned_snap(&c, &before))
		goto out;
	learn_pkt(&c, &p, "first IPv6 fragment of an answer", D(DNS_ANSWER, 1),
		  D(DNS_TOO_BIG, 1), END);
	expect_learned_same(&c, &before, "first IPv6 fragment of an answer");
	expect_no_event(&c, "first IPv6 fragment of an answer");
out:
	finish(&c);
}

/* A TCP segment holding only part of the message its length announces. */
static void test_tcp_partial(void)
{
	struct flow fl = TCP4(40034);
	static struct learned before;
	static __u8 buf[2 + DNS_BUILD_MAX];
	struct dns_msg m;
	struct frame f = {
		.src = RESOLVER4, .dst = CLIENT4, .proto = IPPROTO_TCP, .sport = 53,
		.dport = 40034, .payload = buf,
	};
	struct pkt p;
	struct ctx c;

	if (!start(&c, "tcp_partial", BPFROUTE_CONF_F_LEARN) || !usual_setup(&c, &fl, 0x3434))
		goto out;
	usual_answer(&m, 0x3434, 300);
	put_be16(buf, (__u16)m.len);
	memcpy(buf + 2, m.b, m.len);
	f.len = 2 + m.len - 10;
	pkt_frame(&p, mac_peer, &f);
	if (!learned_snap(&c, &before))
		goto out;
	learn_pkt(&c, &p, "segment of 10 bytes short", D(DNS_ANSWER, 1), D(DNS_TOO_BIG, 1), END);
	expect_learned_same(&c, &before, "segment of 10 bytes short");
	expect_no_event(&c, "segment of 10 bytes short");
	ASSERT_TRUE(query_present(&c, &fl, 0x3434), "partial segment: the query still stands");
out:
	finish(&c);
}

/*
 * The longest name there is: 127 labels, 255 bytes of wire form with the
 * root (RFC 1035 section 3.1). It is recorded, matched by its exact rule
 * after a walk over all its labels, and learned; a name of 256 bytes is not
 * a name, and its query is not recorded.
 */
static void test_long_name(void)
{
	struct flow fl = UDP4(40035);
	char name[300];
	struct dns_msg m;
	struct pkt p;
	struct ctx c;

	for (int i = 0; i < 127; i++) {
		name[2 * i] = 'a';
		name[2 * i + 1] = '.';
	}
	name[2 * 127 - 1] = '\0';	/* 127 labels "a": 254 + the root */
	if (!start(&c, "long_name", BPFROUTE_CONF_F_LEARN))
		return;
	if (!rule_add(&c, "*.a", 11, 1) || !rule_add(&c, name, 12, 2) ||
	    !query(&c, &fl, 0x3535, name, DNS_T_A))
		goto out;
	dns_answer_msg(&m, 0x3535, name, DNS_T_A);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, ADDR_A);
	if (!answer(&c, &fl, &m, "name of 255 bytes", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), END))
		goto out;
	expect_host(&c, ADDR_A, 12, 2, name, 300, "name of 255 bytes");
	expect_name(&c, name, "name of 255 bytes");
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, 2, 12, 1, "name of 255 bytes");

	/* 256 bytes: written by hand, dns_wire() refuses it. */
	dns_header(&m, 0x3536, DNS_F_RD);
	dns_put(&m, (const __u8[]){ 2, 'b', 'b' }, 3);
	for (int i = 0; i < 126; i++)
		dns_put(&m, (const __u8[]){ 1, 'a' }, 2);
	dns_put(&m, NULL, 1);
	dns_put_u16(&m, DNS_T_A);
	dns_put_u16(&m, DNS_C_IN);
	dns_count_add(&m, DNS_QD, 1);
	pkt_dns(&p, &fl, true, &m);
	steer(&c, &p, TC_ACT_OK, "query for a name of 256 bytes", D(MISS, 1), END);
	ASSERT_FALSE(query_present(&c, &fl, 0x3536), "256 bytes: no query recorded");
out:
	finish(&c);
}

/*
 * bpfroute_names holds a struct bpfroute_name: len, then the name. The bytes
 * past len must not carry what an earlier, longer question left in the
 * per-CPU scratch buffer: they would show another client's name in
 * `bpftool map dump` and make the entry depend on history.
 */
static void test_names_no_stale_bytes(void)
{
	const char *longq = "a-much-longer-question-than-the-next.example.com";
	struct flow fl = UDP4(40036);
	struct bpfroute_name got;
	__u64 id;
	struct dns_msg m;
	struct ctx c;
	char what[200], hex[40] = "";
	size_t stale = 0;

	if (!start(&c, "names_no_stale_bytes", BPFROUTE_CONF_F_LEARN) ||
	    !rule_add(&c, "*.example.com", RULE_IF, RULE_ID) ||
	    !query(&c, &fl, 0x3601, longq, DNS_T_A))
		goto out;
	dns_answer_msg(&m, 0x3601, longq, DNS_T_A);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, "203.0.113.61");
	if (!answer(&c, &fl, &m, "long question", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), END) ||
	    !query(&c, &fl, 0x3602, QNAME, DNS_T_A))
		goto out;
	usual_answer(&m, 0x3602, 300);
	if (!answer(&c, &fl, &m, "short question", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), END) ||
	    !expect_name(&c, QNAME, "short question"))
		goto out;
	id = name_id(&c, QNAME);
	if (!ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(c.skel->maps.bpfroute_names), &id, &got) ?
			       -errno : 0,
		       "names entry of " QNAME))
		goto out;
	for (size_t i = got.len; i < sizeof(got.name); i++) {
		if (got.name[i] && stale < 12)
			snprintf(hex + 3 * stale, sizeof(hex) - 3 * stale, " %02x", got.name[i]);
		stale += got.name[i] != 0;
	}
	ASSERT_EQ(stale, 0, MSG(what, "non-zero bytes in name[%u..%zu) of %s (first:%s)",
				got.len, sizeof(got.name), QNAME, hex));
out:
	finish(&c);
}

/* ---------------------------------------------------------------------------
 * Steering to what was learned
 */

static void test_steer_learned(void)
{
	struct flow fl4 = UDP4(40037), fl6 = UDP6(40038);
	struct bpfroute_host h0, h;
	struct dns_msg m;
	struct pkt p;
	struct ctx c;
	char what[160];

	if (!start(&c, "steer_learned", BPFROUTE_CONF_F_LEARN) ||
	    !usual_setup(&c, &fl4, 0x3701) || !usual_genuine(&c, &fl4, 0x3701, "learn " ADDR_A) ||
	    !ASSERT_OK(host_get(&c, ADDR_A, &h0), "entry of " ADDR_A))
		goto out;
	pkt_syn(&p, ADDR_A);
	if (!steer(&c, &p, TC_ACT_REDIRECT, "SYN to " ADDR_A, D(STEERED, 1),
		   D(BYTES_STEERED, p.len), END) ||
	    !ASSERT_OK(host_get(&c, ADDR_A, &h), "entry after the SYN"))
		goto out;
	ASSERT_EQ(h.packets, 1, "SYN: entry packets");
	ASSERT_EQ(h.bytes, p.len, "SYN: entry bytes");
	/* In the second of the last write: not written again (bpf/lookup.h). */
	if (secs(c.c1) == h0.last_used)
		ASSERT_EQ(h.last_used, h0.last_used, "SYN in the second of learning: last_used");

	/* Last used 5 s ago: a packet brings it to now (the coarse clock's second). */
	h.last_used = secs(coarse_ns()) - 5;
	if (!host_put(&c, ADDR_A, &h) ||
	    !steer(&c, &p, TC_ACT_REDIRECT, "SYN, last use 5 s ago", D(STEERED, 1),
		   D(BYTES_STEERED, p.len), END) ||
	    !ASSERT_OK(host_get(&c, ADDR_A, &h), "entry after the second SYN"))
		goto out;
	ASSERT_EQ(h.packets, 2, "second SYN: entry packets");
	ASSERT_EQ(h.bytes, 2 * p.len, "second SYN: entry bytes");
	ASSERT_TRUE(h.last_used >= secs(c.c0) && h.last_used <= secs(c.c1),
		    MSG(what, "second SYN: last_used %d s from the run, want within it",
			(int)(h.last_used - secs(c.c0))));

	/* IPv6 the same. */
	if (!query(&c, &fl6, 0x3702, "v6.example.com", DNS_T_AAAA))
		goto out;
	dns_answer_msg(&m, 0x3702, "v6.example.com", DNS_T_AAAA);
	dns_rr_aaaa(&m, DNS_QNAME_OFF, 300, "2001:db8:beef::10");
	if (!answer(&c, &fl6, &m, "learn 2001:db8:beef::10", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
		    D(LEARNED_ADDRS, 1), END))
		goto out;
	expect_event(&c, &fl6, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, 1, "learn AAAA");
	pkt_syn(&p, "2001:db8:beef::10");
	if (!steer(&c, &p, TC_ACT_REDIRECT, "SYN to 2001:db8:beef::10", D(STEERED, 1),
		   D(BYTES_STEERED, p.len), END) ||
	    !ASSERT_OK(host_get(&c, "2001:db8:beef::10", &h), "entry after the IPv6 SYN"))
		goto out;
	ASSERT_EQ(h.packets, 1, "IPv6 SYN: entry packets");
	ASSERT_EQ(h.bytes, p.len, "IPv6 SYN: entry bytes");

	/* A neighbour of a learned address is not learned. */
	pkt_syn(&p, "203.0.113.11");
	steer(&c, &p, TC_ACT_OK, "SYN to 203.0.113.11", D(MISS, 1), END);
out:
	finish(&c);
}

/*
 * Past its TTL an entry steers while it is used: a miss only when idle for
 * the idle timeout past max(expires, last_used). Entries written by hand,
 * under an idle timeout of 10 s; this needs the machine up for a minute.
 */
static void test_steer_expired(void)
{
	static const struct {
		const char *what;
		__s64 expires_s, last_used_s;	/* relative to now */
		bool alive;
	} cases[] = {
		{ "expired 30 s ago, idle 40 s", -30, -40, false },
		{ "expired 400 s ago, idle 30 s", -400, -30, false },
		{ "expired 30 s ago, used 3 s ago", -30, -3, true },
		{ "expired 3 s ago, idle 40 s", -3, -40, true },
		{ "expires in 100 s, idle 50 s", 100, -50, true },
	};
	struct flow fl = UDP4(40039);
	struct bpfroute_host h, got;
	struct pkt p;
	struct ctx c;
	char what[200];

	if (!start(&c, "steer_expired", BPFROUTE_CONF_F_LEARN))
		return;
	if (coarse_ns() < 500 * NSEC) {
		test__skip("the machine has been up less than 500 s");
		ring_buffer__free(c.rb);
		bpfroute_tc__destroy(c.skel);
		return;
	}
	if (!usual_setup(&c, &fl, 0x3901) || !usual_genuine(&c, &fl, 0x3901, "learn " ADDR_A))
		goto out;
	c.conf.idle_timeout = 10;
	if (!conf_write(&c))
		goto out;
	pkt_syn(&p, ADDR_A);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		__u32 now = secs(coarse_ns());

		if (!ASSERT_OK(host_get(&c, ADDR_A, &h), "entry of " ADDR_A))
			goto out;
		h.expires = (__u32)((__s64)now + cases[i].expires_s);
		h.last_used = (__u32)((__s64)now + cases[i].last_used_s);
		if (!host_put(&c, ADDR_A, &h))
			goto out;
		if (cases[i].alive) {
			if (!steer(&c, &p, TC_ACT_REDIRECT, cases[i].what, D(STEERED, 1),
				   D(BYTES_STEERED, p.len), END) ||
			    !ASSERT_OK(host_get(&c, ADDR_A, &got), "entry after the SYN"))
				continue;
			ASSERT_EQ(got.packets, h.packets + 1,
				  MSG(what, "%s: entry packets", cases[i].what));
			ASSERT_TRUE(got.last_used >= secs(c.c0) && got.last_used <= secs(c.c1),
				    MSG(what, "%s: last_used brought to the run", cases[i].what));
			ASSERT_EQ(got.expires, h.expires,
				  MSG(what, "%s: expires untouched", cases[i].what));
		} else {
			if (!steer(&c, &p, TC_ACT_OK, cases[i].what, D(MISS, 1), D(HOST_EXPIRED, 1),
				   END) ||
			    !ASSERT_OK(host_get(&c, ADDR_A, &got), "entry after the SYN"))
				continue;
			ASSERT_MEMEQ(&got, &h, sizeof(h),
				     MSG(what, "%s: entry untouched", cases[i].what));
		}
	}
out:
	finish(&c);
}

/*
 * Two sockets of one client ask with the same id (two programs, or a LAN
 * forwarder with many queries out: 16-bit ids collide by the birthday
 * bound). Each answer is the exact reverse of its own query, as
 * include/bpfroute_abi.h defines a genuine answer (same client address and
 * port, same id, same server, same question), so each must be learned.
 */
static void test_same_id_two_sockets(void)
{
	struct flow a = UDP4(40100), b = UDP4(40101);
	struct dns_msg m;
	struct ctx c;

	if (!start(&c, "same_id_two_sockets", BPFROUTE_CONF_F_LEARN) ||
	    !rule_add(&c, "*.example.com", RULE_IF, RULE_ID) ||
	    !query(&c, &a, 0x4242, QNAME, DNS_T_A) ||
	    !query(&c, &b, 0x4242, "api.example.com", DNS_T_A))
		goto out;
	usual_answer(&m, 0x4242, 300);
	if (answer(&c, &a, &m, "answer to the first socket (port 40100)", D(DNS_ANSWER, 1),
		   D(DNS_LEARNED, 1), D(LEARNED_ADDRS, 1), END))
		expect_host(&c, ADDR_A, RULE_IF, RULE_ID, QNAME, 300, "first socket");
	events_poll(&c);
	dns_answer_msg(&m, 0x4242, "api.example.com", DNS_T_A);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, "203.0.113.42");
	if (answer(&c, &b, &m, "answer to the second socket (port 40101)", D(DNS_ANSWER, 1),
		   D(DNS_LEARNED, 1), D(LEARNED_ADDRS, 1), END))
		expect_host(&c, "203.0.113.42", RULE_IF, RULE_ID, "api.example.com", 300,
			    "second socket");
out:
	finish(&c);
}

/*
 * A rule is found by a hash of its name, then its name is compared byte for
 * byte: an entry whose key is the hash of one name and whose value holds
 * another (what a collision would look like) never matches.
 */
static void test_rule_hash_collision(void)
{
	struct bpfroute_rule val = { .ifindex = 12, .id = 2 };
	struct bpfroute_rule_key key = {};
	struct flow fl = UDP4(40102);
	__u8 w[256];
	size_t n;
	struct dns_msg m;
	struct ctx c;
	__u64 h;

	if (!start(&c, "rule_hash_collision", BPFROUTE_CONF_F_LEARN))
		return;
	/* Key: the hash of app.example.com; value: bpp.example.com, as long. */
	n = dns_wire(QNAME, w, true);
	h = name_hash_init(&c.conf);
	for (size_t i = n; i > 0; i--)
		h = name_hash_byte(h, w[i - 1]);
	key.hash = name_hash_final(&c.conf, h);
	val.name_len = (__u16)dns_wire("bpp.example.com", val.name, true);
	if (!ASSERT_OK(bpf_map_update_elem(bpf_map__fd(c.skel->maps.bpfroute_rules), &key, &val,
					   BPF_NOEXIST) ? -errno : 0,
		       "add the colliding rule") ||
	    !query(&c, &fl, 0x4343, QNAME, DNS_T_A))
		goto out;
	usual_answer(&m, 0x4343, 300);
	answer(&c, &fl, &m, "question whose hash finds another name", D(DNS_ANSWER, 1),
	       D(DNS_NO_RULE, 1), END);
	expect_no_host(&c, ADDR_A, "hash collision");
	expect_no_event(&c, "hash collision");
out:
	finish(&c);
}

/*
 * A ring buffer nobody reads fills up: events are counted as lost, learning
 * goes on regardless, and once the agent reads again events flow again.
 */
static void test_event_lost(void)
{
	const int n = 64;
	struct flow fl = UDP4(40103);
	struct stats before, after;
	struct dns_msg m;
	struct pkt p, out;
	__u32 retval;
	int lost = 0, delivered, first_lost = -1;
	struct ctx c;
	char what[160];

	/* One page: room for some 30 events of this answer's 113 bytes. */
	if (!start_opts(&c, "event_lost", BPFROUTE_CONF_F_LEARN, MAX_ROUTES, 4096) ||
	    !rule_add(&c, "*.example.com", RULE_IF, RULE_ID))
		goto out;
	for (int i = 0; i < n; i++) {
		__u16 id = (__u16)(0x5000 + i);

		if (!query(&c, &fl, id, QNAME, DNS_T_A))
			goto out;
		usual_answer(&m, id, 300);
		pkt_dns(&p, &fl, false, &m);
		snprintf(what, sizeof(what), "answer %d of %d, nobody reading", i + 1, n);
		if (!stats_snap(&c, &before) ||
		    !run(&c, bpf_program__fd(c.skel->progs.bpfroute_learn), &p, &retval, &out,
			 what) ||
		    !stats_snap(&c, &after))
			goto out;
		for (int s = 0; s < BPFROUTE_STAT_MAX; s++) {
			__u64 d = after.v[s] - before.v[s], want = 0;

			if (s == BPFROUTE_STAT_DNS_ANSWER || s == BPFROUTE_STAT_DNS_LEARNED ||
			    s == BPFROUTE_STAT_LEARNED_ADDRS)
				want = 1;
			if (s == BPFROUTE_STAT_DNS_EVENT_LOST) {
				if (d == 1 && first_lost < 0)
					first_lost = i;
				/* Nobody reads: once lost, always lost. */
				want = first_lost >= 0 ? 1 : d;
				lost += (int)d;
			}
			ASSERT_EQ(d, want, MSG(what, "answer %d: stats[%s] delta", i + 1,
					       stat_name(s)));
		}
	}
	events_poll(&c);
	delivered = c.n_ev + c.ev_dropped;
	ASSERT_TRUE(lost > 0 && delivered > 0,
		    MSG(what, "a page holds some events but not %d: %d delivered, %d lost", n,
			delivered, lost));
	ASSERT_EQ(delivered + lost, n, "events delivered + lost");
	for (int i = 0; i < c.n_ev; i++)
		ASSERT_EQ(ntohs(c.ev[i].ev.client_port), fl.cport, "delivered event: client port");

	/* Read: room again. */
	if (!query(&c, &fl, 0x5fff, QNAME, DNS_T_A))
		goto out;
	usual_answer(&m, 0x5fff, 300);
	answer(&c, &fl, &m, "answer after the agent read", D(DNS_ANSWER, 1), D(DNS_LEARNED, 1),
	       D(LEARNED_ADDRS, 1), END);
	expect_event(&c, &fl, &m, BPFROUTE_DNS_LEARNED, RULE_ID, RULE_IF, 1,
		     "answer after the agent read");
out:
	finish(&c);
}

/* ---------------------------------------------------------------------------
 * Queries that are not recorded
 */

static void test_query_filter(void)
{
	struct flow fl = UDP4(40040);
	struct dns_msg m;
	struct pkt p;
	struct ctx c;

	if (!start(&c, "query_filter", BPFROUTE_CONF_F_LEARN) ||
	    !rule_add(&c, "*.example.com", RULE_IF, RULE_ID))
		goto out;
	dns_query_msg(&m, 0x4001, QNAME, DNS_T_A);
	dns_set_u16(&m, 2, DNS_F_QR | DNS_F_RD);
	pkt_dns(&p, &fl, true, &m);
	steer(&c, &p, TC_ACT_OK, "an answer sent to port 53", D(MISS, 1), END);
	dns_query_msg(&m, 0x4002, QNAME, DNS_T_A);
	dns_set_u16(&m, 2, 4 << 11);	/* NOTIFY */
	pkt_dns(&p, &fl, true, &m);
	steer(&c, &p, TC_ACT_OK, "a NOTIFY", D(MISS, 1), END);
	dns_query_msg(&m, 0x4003, QNAME, DNS_T_A);
	dns_question(&m, "b.example.com", DNS_T_A, DNS_C_IN);
	pkt_dns(&p, &fl, true, &m);
	steer(&c, &p, TC_ACT_OK, "two questions", D(MISS, 1), END);
	dns_header(&m, 0x4004, DNS_F_RD);
	dns_put_ptr(&m, DNS_QNAME_OFF);
	dns_put_u16(&m, DNS_T_A);
	dns_put_u16(&m, DNS_C_IN);
	dns_count_add(&m, DNS_QD, 1);
	pkt_dns(&p, &fl, true, &m);
	steer(&c, &p, TC_ACT_OK, "question pointing at itself", D(MISS, 1), END);
	expect_query_count(&c, 0, "no query recorded");
	expect_qseen(&c, NULL, 0, "no socket recorded");
out:
	finish(&c);
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The time an answer spends in the learner, from the kernel's own clock
 * (test_run's duration of one run): what learning adds to a matching answer
 * on its way to the client, of one address and of BPFROUTE_DNS_LEARN_MAX.
 * Informational: printed, never asserted.
 */
static void test_learn_timing(void)
{
	enum { N = 500, N_BIG = 40 };
	static __u32 learn_ns[N], other_ns[N], big_ns[N_BIG];
	struct ctx c;

	if (!start_opts(&c, "learn_timing", BPFROUTE_CONF_F_LEARN, 4096, 1 << 20) ||
	    !rule_add(&c, "*.example.com", RULE_IF, RULE_ID))
		goto out;
	for (int i = 0; i < N; i++) {
		struct flow fl = UDP4((__u16)(20000 + i));
		char addr[INET_ADDRSTRLEN];
		struct dns_msg m;
		struct pkt in, out;
		LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
		bool no_rule = i & 1;
		const char *q = no_rule ? "www.example.net" : QNAME;

		snprintf(addr, sizeof(addr), "%s.%d", i < 250 ? "203.0.113" : "100.64.1",
			 1 + i % 250);
		if (!query(&c, &fl, (__u16)i, q, DNS_T_A))
			goto out;
		dns_answer_msg(&m, (__u16)i, q, DNS_T_A);
		dns_rr_a(&m, DNS_QNAME_OFF, 300, addr);
		pkt_dns(&in, &fl, false, &m);
		opts.data_in = in.data;
		opts.data_size_in = (__u32)in.len;
		opts.data_out = out.data;
		opts.data_size_out = sizeof(out.data);
		if (!ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(c.skel->progs.bpfroute_learn),
						      &opts), "learn run"))
			goto out;
		(no_rule ? other_ns : learn_ns)[i / 2] = opts.duration;
		events_poll(&c);
		c.n_ev = 0;
	}
	/* The largest answer the kernel learns whole: every address new. */
	for (int i = 0; i < N_BIG; i++) {
		struct flow fl = UDP4((__u16)(21000 + i));
		char addr[INET_ADDRSTRLEN];
		struct dns_msg m;
		struct pkt in, out;
		LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);

		if (!query(&c, &fl, (__u16)(0x5000 + i), QNAME, DNS_T_A))
			goto out;
		dns_answer_msg(&m, (__u16)(0x5000 + i), QNAME, DNS_T_A);
		for (int k = 0; k < BPFROUTE_DNS_LEARN_MAX; k++) {
			snprintf(addr, sizeof(addr), "100.65.%d.%d", i, k + 1);
			dns_rr_a(&m, DNS_QNAME_OFF, 300, addr);
		}
		pkt_dns(&in, &fl, false, &m);
		opts.data_in = in.data;
		opts.data_size_in = (__u32)in.len;
		opts.data_out = out.data;
		opts.data_size_out = sizeof(out.data);
		if (!ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(c.skel->progs.bpfroute_learn),
						      &opts), "learn run"))
			goto out;
		big_ns[i] = opts.duration;
		events_poll(&c);
		c.n_ev = 0;
	}
	qsort(learn_ns, N / 2, sizeof(__u32), cmp_u32);
	qsort(other_ns, N / 2, sizeof(__u32), cmp_u32);
	qsort(big_ns, N_BIG, sizeof(__u32), cmp_u32);
	printf("  info: learner ns per answer (kernel clock, %d each): matching rule, new "
	       "address p50 %u p99 %u max %u; no rule p50 %u p99 %u\n", N / 2,
	       learn_ns[N / 4], learn_ns[N / 2 * 99 / 100], learn_ns[N / 2 - 1], other_ns[N / 4],
	       other_ns[N / 2 * 99 / 100]);
	printf("  info: learner ns per answer of %d new addresses (%d answers): p50 %u max %u\n",
	       BPFROUTE_DNS_LEARN_MAX, N_BIG, big_ns[N_BIG / 2], big_ns[N_BIG - 1]);
out:
	finish(&c);
}

/* ---------------------------------------------------------------------------
 * What is recorded (issue #10, item 2): only queries the gateway passes on,
 * and at most BPFROUTE_QUERIES_PER_CLIENT of each client's
 */

/* fl's query for qname A with TTL / hop limit ttl, as a frame. */
static void query_frame(struct pkt *p, const struct flow *fl, __u16 id, const char *qname,
			__u8 ttl)
{
	struct dns_msg m;

	dns_query_msg(&m, id, qname, DNS_T_A);
	pkt_dns(p, fl, true, &m);
	if (family_of(fl->client) == AF_INET)
		p->data[ETH_HLEN + IP4_TTL] = ttl;	/* the classifier reads no checksum here */
	else
		p->data[ETH_HLEN + IP6_HOP_LIMIT] = ttl;
}

/*
 * TTL 1 expires at the gateway: the query is never forwarded, its answer
 * never comes, so it is not recorded (and takes no slot). The same to the
 * gateway's own address is delivered to a resolver there: recorded.
 */
static void test_query_ttl_one(void)
{
	struct flow fl = UDP4(40200), fl6 = UDP6(40201), local = UDP4(40202);
	struct pkt p;
	struct ctx c;

	if (!start(&c, "query_ttl_one", BPFROUTE_CONF_F_LEARN) ||
	    !rule_add(&c, "*.example.com", RULE_IF, RULE_ID))
		goto out;
	query_frame(&p, &fl, 0x0101, QNAME, 1);
	steer(&c, &p, TC_ACT_OK, "IPv4 query with TTL 1", D(DNS_QUERY_TTL, 1), D(MISS, 1), END);
	query_frame(&p, &fl6, 0x0102, QNAME, 1);
	steer(&c, &p, TC_ACT_OK, "IPv6 query with hop limit 1", D(DNS_QUERY_TTL, 1), D(MISS, 1),
	      END);
	query_frame(&p, &fl, 0x0103, QNAME, 0);
	steer(&c, &p, TC_ACT_OK, "IPv4 query with TTL 0", D(DNS_QUERY_TTL, 1), D(MISS, 1), END);
	expect_query_count(&c, 0, "queries with TTL <= 1");
	expect_qseen(&c, NULL, 0, "queries with TTL <= 1");

	/* A resolver on the gateway (192.0.2.1, its LAN address). */
	local.server = "192.0.2.1";
	if (!excl_add(&c, "192.0.2.1", BPFROUTE_EXCL_LOCAL))
		goto out;
	query_frame(&p, &local, 0x0104, QNAME, 1);
	if (steer(&c, &p, TC_ACT_OK, "TTL 1 query to the gateway's own resolver",
		  D(DNS_QUERY, 1), D(MISS, 1), END))
		expect_query(&c, &local, 0x0104, QNAME, DNS_T_A, "TTL 1 to the gateway");
	query_frame(&p, &fl, 0x0105, QNAME, 2);
	if (steer(&c, &p, TC_ACT_OK, "query with TTL 2", D(DNS_QUERY, 1), D(MISS, 1), END))
		expect_query(&c, &fl, 0x0105, QNAME, DNS_T_A, "TTL 2");
out:
	finish(&c);
}

/*
 * A source the gateway would not route back out the LAN (here: the default
 * route is on the WAN) is spoofed: its query is not recorded, and an answer
 * to it is not learned.
 */
static void test_query_off_path(void)
{
	struct flow fl = UDP4(40210), fl6 = UDP6(40211);
	struct dns_msg m;
	struct pkt p;
	struct ctx c;

	if (!start(&c, "query_off_path", BPFROUTE_CONF_F_LEARN) ||
	    !rule_add(&c, "*.example.com", RULE_IF, RULE_ID))
		goto out;
	fl.client = "203.0.113.7";
	query_frame(&p, &fl, 0x0201, QNAME, 64);
	steer(&c, &p, TC_ACT_OK, "query from 203.0.113.7 (routed to the WAN)",
	      D(DNS_QUERY_OFF_PATH, 1), D(MISS, 1), END);
	fl6.client = "2001:db8:99::7";
	query_frame(&p, &fl6, 0x0202, QNAME, 64);
	steer(&c, &p, TC_ACT_OK, "query from 2001:db8:99::7 (routed to the WAN)",
	      D(DNS_QUERY_OFF_PATH, 1), D(MISS, 1), END);
	fl.client = "198.51.100.77";	/* the WAN's own subnet */
	query_frame(&p, &fl, 0x0203, QNAME, 64);
	steer(&c, &p, TC_ACT_OK, "query from 198.51.100.77 (the WAN's subnet)",
	      D(DNS_QUERY_OFF_PATH, 1), D(MISS, 1), END);
	expect_query_count(&c, 0, "off-path queries");

	fl.client = "203.0.113.7";
	usual_answer(&m, 0x0201, 300);
	answer(&c, &fl, &m, "answer to the off-path query", D(DNS_ANSWER, 1),
	       D(DNS_UNSOLICITED, 1), END);
	expect_no_host(&c, ADDR_A, "answer to the off-path query");
out:
	finish(&c);
}

/*
 * Every shared slot of bpfroute_query holding a query of a client of
 * 203.0.113.0/24 (never one of the tests') sent age_ns ago.
 */
static bool shared_slots_fill(const struct ctx *c, __u64 age_ns)
{
	int fd = bpf_map__fd(c->skel->maps.bpfroute_query);
	struct bpfroute_query_bucket bk = {};
	struct timespec ts;
	__u64 now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	for (__u32 b = 0; b < BPFROUTE_QUERY_SHARED_BUCKETS; b++) {
		__u32 idx = BPFROUTE_QUERY_BUCKETS + b;

		for (int i = 0; i < BPFROUTE_QUERIES_PER_CLIENT; i++) {
			struct bpfroute_query_slot *sl = &bk.slot[i];

			sl->key.family = 4;
			sl->key.proto = IPPROTO_UDP;
			sl->key.client[0] = 203;
			sl->key.client[1] = 0;
			sl->key.client[2] = 113;
			sl->key.client[3] = (__u8)(1 + i);
			sl->key.client_port = htons((__u16)(1024 + b));
			sl->q.sent_ns = now - age_ns;
		}
		if (!ASSERT_OK(bpf_map_update_elem(fd, &idx, &bk, BPF_ANY) ? -errno : 0,
			       "fill a shared bucket"))
			return false;
	}
	return true;
}

/*
 * One client's queries beyond BPFROUTE_QUERIES_PER_CLIENT go on in the
 * shared slots; where its shared slot holds a query still waiting, the
 * newest takes the place of its own oldest, never another client's.
 */
static void test_query_client_bound(void)
{
	const int k = BPFROUTE_QUERIES_PER_CLIENT, extra = 4;
	struct flow other = UDP4(40220), fl = UDP4(0), late = UDP4(0);
	char what[96];
	struct pkt p;
	struct ctx c;

	if (!start(&c, "query_client_bound", BPFROUTE_CONF_F_LEARN) ||
	    !rule_add(&c, "*.example.com", RULE_IF, RULE_ID))
		goto out;
	other.client = CLIENT4_OTHER;
	if (!query(&c, &other, 0x0300, QNAME, DNS_T_A))
		goto out;
	for (int i = 0; i < k + extra; i++) {
		fl.cport = (__u16)(41000 + i);
		query_frame(&p, &fl, (__u16)(0x0400 + i), QNAME, 64);
		snprintf(what, sizeof(what), "query %d of %s", i + 1, fl.client);
		if (!steer(&c, &p, TC_ACT_OK, what, D(DNS_QUERY, 1), D(MISS, 1), END))
			goto out;
	}
	for (int i = 0; i < k + extra; i++) {
		fl.cport = (__u16)(41000 + i);
		snprintf(what, sizeof(what), "query %d of %s: in its %s", i + 1, fl.client,
			 i < k ? "bucket" : "shared slot");
		ASSERT_EQ(query_place(&c, &fl, (__u16)(0x0400 + i)),
			  i < k ? QUERY_OWN : QUERY_SHARED, what);
	}
	expect_query_count(&c, k + extra + 1, "outstanding: all of them, and the other's");

	/* Every shared slot stale: the next one takes one, nothing evicted. */
	if (!shared_slots_fill(&c, BPFROUTE_QUERY_KEEP_NS + 1000000000ULL))
		goto out;
	late.cport = 42000;
	query_frame(&p, &late, 0x0600, QNAME, 64);
	if (!steer(&c, &p, TC_ACT_OK, "a query with every shared slot stale", D(DNS_QUERY, 1),
		   D(MISS, 1), END))
		goto out;
	ASSERT_EQ(query_place(&c, &late, 0x0600), QUERY_SHARED, "it takes a stale shared slot");

	/* Every shared slot waiting for its answer: the client's own oldest goes. */
	if (!shared_slots_fill(&c, 0))
		goto out;
	late.cport = 42001;
	query_frame(&p, &late, 0x0601, QNAME, 64);
	if (!steer(&c, &p, TC_ACT_OK, "a query with every shared slot waiting",
		   D(DNS_QUERY, 1), D(MISS, 1), D(DNS_QUERY_EVICTED, 1), END))
		goto out;
	ASSERT_EQ(query_place(&c, &late, 0x0601), QUERY_OWN, "it takes the client's own oldest");
	fl.cport = 41000;
	ASSERT_FALSE(query_present(&c, &fl, 0x0400), "the client's oldest is gone");
	ASSERT_TRUE(query_present(&c, &other, 0x0300), "the other client's query is kept");

	/* A retransmission (same key) takes its own slot again: nothing evicted. */
	query_frame(&p, &late, 0x0601, QNAME, 64);
	steer(&c, &p, TC_ACT_OK, "a retransmission", D(DNS_QUERY, 1), D(MISS, 1), END);
	ASSERT_EQ(query_place(&c, &late, 0x0601), QUERY_OWN, "the retransmission, in its place");
out:
	finish(&c);
}

/*
 * A busy client (a resolver on the LAN, a load generator) with far more
 * queries outstanding than its bucket holds: every answer is learned, in
 * whatever order they come.
 */
static void test_query_busy_client(void)
{
	const int n = 200;
	struct flow fl = UDP4(0);
	struct stats before, after;
	struct dns_msg m;
	char what[96];
	struct pkt p;
	struct ctx c;

	if (!start(&c, "query_busy_client", BPFROUTE_CONF_F_LEARN) ||
	    !rule_add(&c, "*.example.com", RULE_IF, RULE_ID))
		goto out;
	for (int i = 0; i < n; i++) {
		fl.cport = (__u16)(43000 + i);
		query_frame(&p, &fl, (__u16)(0x0700 + i), QNAME, 64);
		snprintf(what, sizeof(what), "query %d of %s", i + 1, fl.client);
		if (!steer(&c, &p, TC_ACT_OK, what, D(DNS_QUERY, 1), D(MISS, 1), END))
			goto out;
	}
	if (!stats_snap(&c, &before))
		goto out;
	for (int i = n - 1; i >= 0; i--) {
		fl.cport = (__u16)(43000 + i);
		usual_answer(&m, (__u16)(0x0700 + i), 300);
		pkt_dns(&p, &fl, false, &m);
		if (!ASSERT_OK(run_once(bpf_program__fd(c.skel->progs.bpfroute_learn), &p,
					&(__u32){ 0 }, &(struct pkt){ 0 }), "answer"))
			goto out;
	}
	if (!stats_snap(&c, &after))
		goto out;
	ASSERT_EQ(after.v[BPFROUTE_STAT_DNS_LEARNED] - before.v[BPFROUTE_STAT_DNS_LEARNED], n,
		  "answers learned, newest first");
	expect_query_count(&c, 0, "every answered query gave its slot back");
out:
	finish(&c);
}

/*
 * A flood of more queries than the whole table holds, from every other
 * source of the LAN's /24 (spoofed, but on path), does not cost a client
 * its pending query: the answer is still learned.
 */
static void test_query_flood_spoofed(void)
{
	const __u32 n = BPFROUTE_MAX_QUERIES + BPFROUTE_MAX_QUERIES / 8;
	struct flow victim = UDP4(40230), fl = UDP4(0);
	struct stats before, after;
	static struct pkt p, out;
	char addr[32], m2[96];
	__u32 retval, sent = 0;
	struct ctx c;

	if (!start(&c, "query_flood_spoofed", BPFROUTE_CONF_F_LEARN) ||
	    !usual_setup(&c, &victim, 0x0500) || !stats_snap(&c, &before))
		goto out;
	for (__u32 i = 0; i < n; i++) {
		__u32 host = 2 + i % 252;	/* 192.0.2.2 .. .253 */

		if (host >= 10)
			host++;			/* never the victim, 192.0.2.10 */
		snprintf(addr, sizeof(addr), "192.0.2.%u", host);
		fl.client = addr;
		fl.cport = (__u16)(1024 + i % 60000);
		query_frame(&p, &fl, (__u16)i, QNAME, 64);
		if (run_in(bpf_program__fd(c.skel->progs.bpfroute_steer), &p, &retval, &out,
			   (__u32)lan_ifindex))
			break;
		sent++;
	}
	if (!ASSERT_EQ(sent, n, "flood queries run") || !stats_snap(&c, &after))
		goto out;
	ASSERT_EQ(after.v[BPFROUTE_STAT_DNS_QUERY] - before.v[BPFROUTE_STAT_DNS_QUERY], n,
		  "flood queries recorded");
	/* Each source's bucket, then what the shared slots took: the rest evict. */
	ASSERT_TRUE(after.v[BPFROUTE_STAT_DNS_QUERY_EVICTED] -
			    before.v[BPFROUTE_STAT_DNS_QUERY_EVICTED] >=
		    n - 252 * BPFROUTE_QUERIES_PER_CLIENT - BPFROUTE_QUERY_SHARED_SLOTS,
		    "flood queries evicting (only their own sources')");
	snprintf(m2, sizeof(m2), "victim's query after %u spoofed queries", n);
	if (ASSERT_TRUE(query_present(&c, &victim, 0x0500), m2))
		usual_genuine(&c, &victim, 0x0500, "victim's answer after the flood");
out:
	finish(&c);
}

/*
 * qlan0 192.0.2.1/24, 2001:db8:1::1/64: the clients' side. qwan0
 * 198.51.100.1/24, 2001:db8:53::1/64 with the default routes: the
 * resolvers' side, and where a spoofed source would be routed back.
 */
static void lan_setup(bool own_netns)
{
	static const char *const cmds[] = {
		"ip link add qlan0 type veth peer name qlan0p",
		"ip link add qwan0 type veth peer name qwan0p",
		"ip link set qlan0 up", "ip link set qlan0p up",
		"ip link set qwan0 up", "ip link set qwan0p up",
		"ip addr add 192.0.2.1/24 dev qlan0",
		"ip addr add 2001:db8:1::1/64 dev qlan0 nodad",
		"ip addr add 198.51.100.1/24 dev qwan0",
		"ip addr add 2001:db8:53::1/64 dev qwan0 nodad",
		"ip route add default via 198.51.100.254",
		"ip -6 route add default via 2001:db8:53::fe",
		/* As on a gateway: the FIB helper answers nothing without it. */
		"sysctl -qw net.ipv4.conf.all.forwarding=1",
		"sysctl -qw net.ipv6.conf.all.forwarding=1",
	};

	if (!own_netns)
		return;		/* never touch the host's interfaces */
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "%s >/dev/null 2>&1", cmds[i]);
		if (system(cmd))
			fprintf(stderr, "  note: '%s' failed\n", cmds[i]);
	}
	lan_ifindex = (int)if_nametoindex("qlan0");
}

int main(int argc, char **argv)
{
	cpu_set_t cpus;

	test__init(argc, argv);

	libbpf_set_print(libbpf_print);
	lan_setup(private_netns());
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		fprintf(stderr, "  note: sched_setaffinity(CPU 0): %s\n", strerror(errno));

	RUN_TEST(test_learn_a);
	RUN_TEST(test_learn_rules_scale);
	RUN_TEST(test_learn_clients);
	RUN_TEST(test_learn_aaaa);
	RUN_TEST(test_learn_cname_chain);
	RUN_TEST(test_exact_vs_wildcard);
	RUN_TEST(test_bypass_rules);
	RUN_TEST(test_bypass_prefix_not_learned);
	RUN_TEST(test_case_insensitive);
	RUN_TEST(test_no_rule);
	RUN_TEST(test_learn_disabled);
	RUN_TEST(test_ttl_clamp);
	RUN_TEST(test_renew);
	RUN_TEST(test_tcp_answer);
	RUN_TEST(test_wrong_id);
	RUN_TEST(test_wrong_port);
	RUN_TEST(test_wrong_server);
	RUN_TEST(test_unsolicited);
	RUN_TEST(test_untrusted_resolver);
	RUN_TEST(test_wrong_question);
	RUN_TEST(test_bad_header);
	RUN_TEST(test_off_chain);
	RUN_TEST(test_cname_loop);
	RUN_TEST(test_cname_chain_limit);
	RUN_TEST(test_pointer_loop);
	RUN_TEST(test_forward_pointer);
	RUN_TEST(test_truncated_records);
	RUN_TEST(test_refused_own_address);
	RUN_TEST(test_refused_endpoint);
	RUN_TEST(test_refused_resolver);
	RUN_TEST(test_refused_server);
	RUN_TEST(test_refused_special);
	RUN_TEST(test_duplicate_answer);
	RUN_TEST(test_nxdomain);
	RUN_TEST(test_map_full);
	RUN_TEST(test_learn_limit_exact);
	RUN_TEST(test_learn_limit);
	RUN_TEST(test_record_limit_exact);
	RUN_TEST(test_record_limit);
	RUN_TEST(test_too_big);
	RUN_TEST(test_fragmented_answer);
	RUN_TEST(test_tcp_partial);
	RUN_TEST(test_long_name);
	RUN_TEST(test_names_no_stale_bytes);
	RUN_TEST(test_steer_learned);
	RUN_TEST(test_steer_expired);
	RUN_TEST(test_same_id_two_sockets);
	RUN_TEST(test_rule_hash_collision);
	RUN_TEST(test_event_lost);
	RUN_TEST(test_query_filter);
	RUN_TEST(test_learn_timing);
	RUN_TEST(test_learn_during_rebuild);
	RUN_TEST(test_differential);
	RUN_TEST(test_query_ttl_one);
	RUN_TEST(test_query_off_path);
	RUN_TEST(test_query_client_bound);
	RUN_TEST(test_query_busy_client);
	RUN_TEST(test_query_flood_spoofed);
	return test__exit_status();
}
