// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of the agent's logic (user/agent*.c, user/hosts.c) on real
 * maps: each subtest loads the skeleton with its learned tables and a small
 * max-routes, fills them by hand, and drives the agent's functions with a
 * fake clock (NOW), as the loop would with CLOCK_MONOTONIC. Nothing is
 * pinned or attached.
 *
 * The last subtest runs the real programs through BPF_PROG_TEST_RUN: a
 * query on LAN ingress, then an answer with more addresses than the kernel
 * learns on LAN egress; the ring buffer's event goes to the agent, which
 * must install the rest. The binary runs in a network namespace of its own
 * (unshare at the start of main): test_run classifies frames against lo of
 * the caller's namespace, whose MAC is all zeros (see selftests/test_tc.c).
 *
 * Run as root (CAP_BPF, CAP_NET_ADMIN); without the privileges every subtest
 * is skipped.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pthread.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>

#include <ares.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "bpfroute_abi.h"
#include "bpfroute_policy.h"
#include "bpfroute_tc.skel.h"
#include "dnsname.h"
#include "dns_build.h"
#include "hosts.h"
#include "fixtures.h"
#include "json.h"
#include "learned.h"
#include "capacity.h"
#include "learning.h"
#include "routes.h"
#include "agentrec.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "metrics_walk.h"
#include "netlink.h"
#include "rtable.h"
#include "addrset.h"
#include "sandbox.h"
#include "test.h"

TEST_STATE_DEFINE;

#define NS		1000000000ULL
/* The fake clock: far from 0, so that "400 s ago" is still a time. */
#define NOW		(1000000ULL * NS)
#define AGO(s)		(NOW - (__u64)(s) * NS)
#define IN(s)		(NOW + (__u64)(s) * NS)
/* A time of the fake clock in the whole seconds learned entries keep. */
#define SECS(ns)	((__u32)((ns) / NS))

#define MIN_TTL		30
#define MAX_TTL		86400
#define IDLE		300
#define TARGET		7	/* ifindex of the rules' device: never used as a device */
#define OTHER_TARGET	8

#define MSG(buf, fmt, ...) (snprintf(buf, sizeof(buf), fmt, ##__VA_ARGS__), buf)

static const char *skip_reason;

struct env {
	struct bpfroute_tc *skel;
	struct bpfroute_maps maps;
	struct bpfroute_conf conf;
	struct agent a;
	bool agent_up;
};

/* ---------------------------------------------------------------------------
 * Set-up
 */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool skip_if_unprivileged(int err)
{
	if (err != -EPERM && err != -EACCES)
		return false;
	skip_reason = "loading BPF needs CAP_BPF and CAP_NET_ADMIN (run as root)";
	test__skip(skip_reason);
	return true;
}

/* The sizes of the config's maps for the next start(); NULL: as declared. */
static const struct capacity *start_cap;

static bool env_maps(struct env *e, __u32 max_routes)
{
	maps_from_object(e->skel->obj, &e->maps);
	for (int i = 0; i < bpfroute_map_count; i++)
		if (!ASSERT_TRUE(*maps_fd_slot(&e->maps, i) >= 0, bpfroute_map_names[i]))
			return false;
	e->conf = (struct bpfroute_conf){
		.hash_key = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL },
		.min_ttl = MIN_TTL,
		.max_ttl = MAX_TTL,
		.idle_timeout = IDLE,
		.flags = BPFROUTE_CONF_F_LEARN,
		.max_routes = max_routes,
	};
	return ASSERT_OK(bpf_map_update_elem(e->maps.conf, &(__u32){ 0 }, &e->conf, BPF_ANY) ?
			 -errno : 0, "write bpfroute_conf") &&
	       ASSERT_OK(lt_setup(e->skel->obj), "making the learned tables");
}

/*
 * Starts a subtest: a fresh skeleton with its learned tables and max-routes
 * host_max, the usual settings, and an agent on its maps.
 */
static bool start(struct env *e, const char *name, __u32 host_max)
{
	char m[160];
	int err;

	memset(e, 0, sizeof(*e));
	test__start_subtest(name);
	if (skip_reason) {
		test__skip(skip_reason);
		return false;
	}
	e->skel = bpfroute_tc__open();
	if (!e->skel) {
		err = -errno;
		if (skip_if_unprivileged(err))
			return false;
		ASSERT_OK(err, MSG(m, "bpfroute_tc__open: %s", strerror(-err)));
		goto fail;
	}
	if (start_cap && !ASSERT_OK(capacity_apply(e->skel->obj, start_cap), "capacity_apply"))
		goto fail;
	err = bpfroute_tc__load(e->skel);
	if (err) {
		if (skip_if_unprivileged(err)) {
			bpfroute_tc__destroy(e->skel);
			return false;
		}
		ASSERT_OK(err, MSG(m, "bpfroute_tc__load: %s", strerror(-err)));
		goto fail;
	}
	if (!env_maps(e, host_max))
		goto fail;
	err = agent_init(&e->a, &e->maps, NOW);
	if (!ASSERT_OK(err, "agent_init"))
		goto fail;
	e->agent_up = true;
	return true;
fail:
	bpfroute_tc__destroy(e->skel);
	test__end_subtest();
	return false;
}

static void finish(struct env *e)
{
	if (e->agent_up)
		agent_free(&e->a);
	bpfroute_tc__destroy(e->skel);
	test__end_subtest();
}

/* ---------------------------------------------------------------------------
 * Addresses, entries, rules
 */

struct addr {
	int family;	/* 4 or 6 */
	__u8 b[16];
};

static struct addr A(const char *s)
{
	struct addr a = { .family = strchr(s, ':') ? 6 : 4 };

	if (inet_pton(a.family == 4 ? AF_INET : AF_INET6, s, a.b) != 1) {
		fprintf(stderr, "test bug: bad address %s\n", s);
		abort();
	}
	return a;
}

/* An entry exactly so (times of the fake clock, in ns), added or rewritten. */
static bool host_set(struct env *e, const char *s, __u64 expires, __u64 last_used)
{
	struct bpfroute_host h = {
		.ifindex = TARGET,
		.expires = SECS(expires),
		.last_used = SECS(last_used),
	};
	struct addr a = A(s);
	char m[128];
	int err;

	memcpy(h.addr, a.b, sizeof(h.addr));
	err = lt_set(e->skel->obj, a.family, a.b, &h);
	if (err == -ENOENT)
		err = lt_put(e->skel->obj, a.family, &h) == BPFROUTE_TABLE_INSTALLED ? 0 : -ENOSPC;
	return ASSERT_OK(err, MSG(m, "put %s", s));
}

static int host_get(struct env *e, const char *s, struct bpfroute_host *h)
{
	struct addr a = A(s);

	return lt_get(e->skel->obj, a.family, a.b, h);
}

/* The slot of s in the agent's own mapping of the table, or NULL. */
static struct bpfroute_host *host_slot(struct env *e, const char *s)
{
	struct addr a = A(s);

	return hosttable_find(agent_ht(&e->a, a.family), &e->conf, a.b);
}

static bool expect_host(struct env *e, const char *s, const char *what)
{
	struct bpfroute_host h;
	char m[160];

	return ASSERT_OK(host_get(e, s, &h), MSG(m, "%s: %s is in the map", what, s));
}

static bool expect_no_host(struct env *e, const char *s, const char *what)
{
	struct bpfroute_host h;
	char m[160];

	return ASSERT_EQ(host_get(e, s, &h), -ENOENT, MSG(m, "%s: %s is not in the map", what, s));
}

static int host_count(struct env *e, int family)
{
	return lt_count(e->skel->obj, family);
}

/* "*.example.com" or "app.example.com" for client group clients, as `load` writes it. */
static bool rule_add_for(struct env *e, const char *pattern, __u16 id, __u32 ifindex,
			 unsigned int clients)
{
	struct config_route r = { .kind = CONFIG_ROUTE_DOMAIN, .clients = clients };
	struct bpfroute_rule_key key;
	struct bpfroute_rule val;
	char m[160];

	r.wildcard = !strncmp(pattern, "*.", 2);
	r.domain = pattern + (r.wildcard ? 2 : 0);
	if (!ASSERT_OK(learning_rule_make(&e->conf, &r, id, ifindex, &key, &val),
		       MSG(m, "rule %s", pattern)))
		return false;
	if (!ASSERT_OK(bpf_map_update_elem(e->maps.rules, &key, &val, BPF_ANY) ? -errno : 0,
		       MSG(m, "write rule %s", pattern)))
		return false;
	return ASSERT_TRUE(agent_refresh(&e->a, NOW) >= 0, "agent_refresh");
}

static bool rule_add(struct env *e, const char *pattern, __u16 id, __u32 ifindex)
{
	return rule_add_for(e, pattern, id, ifindex, 0);
}

static bool excl_add(struct env *e, const char *s)
{
	struct bpfroute_excl x = { .reason = BPFROUTE_EXCL_LOCAL, .ifindex = 1 };
	struct addr a = A(s);

	return ASSERT_OK(bpf_map_update_elem(a.family == 4 ? e->maps.excl4 : e->maps.excl6, a.b,
					     &x, BPF_ANY) ? -errno : 0, "write exclusion");
}

static bool resolver_add(struct env *e, const char *s)
{
	struct bpfroute_resolver_key key = {};
	struct addr a = A(s);
	__u32 one = 1;

	key.family = (__u32)a.family;
	memcpy(key.addr, a.b, sizeof(key.addr));
	return ASSERT_OK(bpf_map_update_elem(e->maps.resolvers, &key, &one, BPF_ANY) ? -errno : 0,
			 "write resolver");
}

static __u64 name_id(const struct env *e, const char *name)
{
	__u8 w[256];

	return dnsname_hash(&e->conf, w, dns_wire(name, w, true));
}

static bool expect_name(struct env *e, const char *name, const char *what)
{
	struct bpfroute_name n;
	__u64 id = name_id(e, name);
	__u8 w[256];
	size_t len = dns_wire(name, w, true);
	char m[160];

	if (!ASSERT_OK(bpf_map_lookup_elem(e->maps.names, &id, &n) ? -errno : 0,
		       MSG(m, "%s: bpfroute_names has %s", what, name)))
		return false;
	return ASSERT_EQ(n.len, len, MSG(m, "%s: name length", what)) &&
	       ASSERT_MEMEQ(n.name, w, len, MSG(m, "%s: name bytes", what));
}

/* ---------------------------------------------------------------------------
 * DNS messages
 */

/* A record whose owner is written out in full (not a pointer): off-chain owners. */
static void rr_named(struct dns_msg *m, const char *owner, __u16 type, __u32 ttl,
		     const void *rdata, __u16 rdlen)
{
	dns_put_name(m, owner);
	dns_rr_fixed(m, type, DNS_C_IN, ttl, rdlen);
	dns_put(m, rdata, rdlen);
	dns_count_add(m, DNS_AN, 1);
}

static void rr_named_cname(struct dns_msg *m, const char *owner, __u32 ttl, const char *target)
{
	__u8 w[256];

	rr_named(m, owner, DNS_T_CNAME, ttl, w, (__u16)dns_wire(target, w, false));
}

static void rr_named_a(struct dns_msg *m, const char *owner, __u32 ttl, const char *addr)
{
	struct addr a = A(addr);

	rr_named(m, owner, DNS_T_A, ttl, a.b, 4);
}

/* The server every event's answer comes from: not a trusted resolver here. */
#define SERVER4		"192.0.2.153"

/* An event as the kernel emits it: header, then the message. */
struct event_buf {
	struct bpfroute_dns_event ev;
	__u8 msg[DNS_BUILD_MAX];
};

static size_t event_make(struct event_buf *b, const struct dns_msg *m, __u8 verdict, __u16 rule,
			 __u16 learned, __u64 ts)
{
	memset(b, 0, sizeof(*b));
	b->ev.ts_ns = ts;
	b->ev.family = 4;
	b->ev.proto = 17;
	b->ev.verdict = verdict;
	b->ev.rule = rule;
	b->ev.learned = learned;
	b->ev.msg_len = (__u32)m->len;
	b->ev.cap_len = (__u32)m->len;
	b->ev.ifindex = TARGET;
	memcpy(b->ev.server, A(SERVER4).b, 4);
	b->ev.server_port = htons(53);
	memcpy(b->msg, m->b, m->len);
	return sizeof(b->ev) + m->len;
}

#define N_CHAIN_A	20	/* chain_answer()'s A records on the chain */

/* TTLs of the chain's A records: 0, top bit set, beyond max-ttl, and ordinary. */
static __u32 chain_ttl(int i)
{
	return i == 1 ? 0 : i == 2 ? 0x80000005u : i == 3 ? 999999 : 600 + (__u32)i;
}

/*
 * www.Example.COM -> edge.cdn.example.net, with 20 A records, refused
 * addresses and off-chain records around the chain:
 *   - an off-chain CNAME first (other.example.org -> evil.example), which
 *     c-ares 1.18 would follow;
 *   - an A record for evil.example, and one for the question's name after
 *     the chain has moved on: both off the chain;
 *   - special, excluded, resolver and the answering server's addresses on
 *     the chain.
 */
static void chain_answer(struct dns_msg *m)
{
	static const char *const refused[] = { "127.0.0.1", "224.0.0.5", "0.0.0.0",
					       "169.254.1.1", "198.51.100.200", "198.51.100.53",
					       SERVER4 };
	size_t edge;
	char addr[32];

	dns_answer_msg(m, 0x1234, "www.Example.COM", DNS_T_A);
	rr_named_cname(m, "other.example.org", 300, "evil.example");
	edge = dns_rr_cname(m, DNS_QNAME_OFF, 300, "edge.cdn.example.net");
	rr_named_a(m, "evil.example", 300, "198.51.100.66");
	dns_rr_a(m, DNS_QNAME_OFF, 300, "198.51.100.77");
	for (int i = 1; i <= N_CHAIN_A; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		dns_rr_a(m, edge, chain_ttl(i), addr);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		dns_rr_a(m, edge, 600, refused[i]);
	dns_rr_aaaa(m, edge, 900, "2001:db8::1");
	dns_rr_aaaa(m, edge, 900, "fe80::1");
	dns_rr_aaaa(m, edge, 900, "::ffff:198.51.100.9");
}

/* ---------------------------------------------------------------------------
 * Rules the agent shares with the kernel
 */

static void test_lifetime_and_special(void)
{
	static const struct {
		const char *addr;
		bool special;
	} cases[] = {
		{ "0.1.2.3", true },	   { "127.0.0.53", true },    { "169.254.9.9", true },
		{ "224.0.0.1", true },	   { "255.255.255.255", true }, { "240.0.0.1", true },
		{ "198.51.100.1", false }, { "169.253.1.1", false },  { "223.255.255.255", false },
		{ "ff02::1", true },	   { "fe80::1", true },	      { "febf::1", true },
		{ "::", true },		   { "::1", true },	      { "::ffff:192.0.2.1", true },
		{ "fec0::1", false },	   { "2001:db8::1", false },  { "::192.0.2.1", false },
		{ "::2", false },
	};
	struct bpfroute_conf conf = { .min_ttl = MIN_TTL, .max_ttl = MAX_TTL };
	char m[128];

	test__start_subtest("lifetime_and_special");
	ASSERT_EQ(hosts_lifetime_s(&conf, 0), MIN_TTL, "TTL 0: min-ttl");
	ASSERT_EQ(hosts_lifetime_s(&conf, 29), MIN_TTL, "TTL 29: min-ttl");
	ASSERT_EQ(hosts_lifetime_s(&conf, 3600), 3600, "TTL 3600 as is");
	ASSERT_EQ(hosts_lifetime_s(&conf, MAX_TTL + 1), MAX_TTL, "TTL above max-ttl");
	ASSERT_EQ(hosts_lifetime_s(&conf, 0x80000000u), MIN_TTL,
		  "top bit set reads as 0 (RFC 2181 8)");
	ASSERT_EQ(hosts_lifetime_s(&conf, 0xffffffffu), MIN_TTL, "TTL 2^32-1 reads as 0");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct addr a = A(cases[i].addr);

		ASSERT_EQ(hosts_addr_special(a.family, a.b), cases[i].special,
			  MSG(m, "%s special", cases[i].addr));
	}
	test__end_subtest();
}

/* A response whose question is the raw wire name w (n bytes), one A record for it. */
static void answer_raw_question(struct dns_msg *m, const void *w, size_t n)
{
	dns_header(m, 1, DNS_F_QR | DNS_F_RD | DNS_F_RA);
	dns_put(m, w, n);
	dns_put_u16(m, DNS_T_A);
	dns_put_u16(m, DNS_C_IN);
	dns_count_add(m, DNS_QD, 1);
	dns_rr_a(m, DNS_QNAME_OFF, 300, "198.51.100.7");
}

/*
 * Names are read in wire form by the kernel's rules: any byte inside a
 * label (NUL, dot, ESC) is part of it, printed escaped as dig prints it,
 * and what the rules refuse refuses the answer.
 */
static void test_name_wire(void)
{
	static const struct {
		const char *what;
		size_t len;
		const char *wire;
		const char *text;	/* NULL: refused */
	} cases[] = {
		{ "plain, lower-cased", 17, "\3WWW\7Example\3com\0", "www.example.com" },
		{ "the root", 1, "\0", "." },
		{ "a dot inside a label", 7, "\3a.b\1c\0", "a\\.b.c" },
		{ "NUL inside a label", 19, "\1a\4corp\3com\1\0\4evil\0", "a.corp.com.\\000.evil" },
		{ "space, ESC, newline", 8, "\3a b\2\033\n\0", "a\\032b.\\027\\010" },
		{ "backslash, quote, high byte", 6, "\4\\\"\377;\0", "\\\\\\\"\\255\\;" },
		{ "extended label type 0x40", 5, "\1a\101b\0", NULL },
		{ "extended label type 0x80", 5, "\1a\201b\0", NULL },
		{ "pointer to itself", 2, "\300\014", NULL },
		{ "pointer forwards", 4, "\1a\300\020", NULL },
		{ "label past the message", 3, "\5ab", NULL },
	};
	struct agent_dns_answer *ans = malloc(sizeof(*ans));
	__u8 w[300], lw[300];
	struct dns_msg m;
	char msg[128];
	size_t n;

	test__start_subtest("name_wire");
	if (!ASSERT_TRUE(ans != NULL, "malloc"))
		goto out;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err;

		answer_raw_question(&m, cases[i].wire, cases[i].len);
		if (!cases[i].text) {
			/* Nothing after the name may save it: cut the message there. */
			m.len = DNS_QNAME_OFF + cases[i].len;
			err = agent_dns_parse(m.b, m.len, ans);
			ASSERT_EQ(err, -EBADMSG, MSG(msg, "%s: refused", cases[i].what));
			continue;
		}
		err = agent_dns_parse(m.b, m.len, ans);
		if (!ASSERT_OK(err, MSG(msg, "%s: parsed", cases[i].what)))
			continue;
		for (n = 0; n < cases[i].len; n++)
			lw[n] = cases[i].wire[n] >= 'A' && cases[i].wire[n] <= 'Z' ?
				cases[i].wire[n] + 32 : cases[i].wire[n];
		ASSERT_EQ(ans->qname_len, cases[i].len, MSG(msg, "%s: wire length", cases[i].what));
		ASSERT_MEMEQ(ans->qname, lw, cases[i].len, MSG(msg, "%s: wire", cases[i].what));
		ASSERT_STREQ(ans->qtext, cases[i].text, MSG(msg, "%s: text", cases[i].what));
		ASSERT_EQ(ans->n, 1, MSG(msg, "%s: the address", cases[i].what));
	}

	/* 255 bytes of wire form: three labels of 63, one of 61, the root. */
	n = 0;
	for (int l = 0; l < 4; l++) {
		size_t len = l < 3 ? 63 : 61;

		w[n++] = (__u8)len;
		memset(w + n, 'x', len);
		n += len;
	}
	w[n++] = 0;
	answer_raw_question(&m, w, n);
	ASSERT_OK(agent_dns_parse(m.b, m.len, ans), "255-byte name");
	ASSERT_EQ(ans->qname_len, 255, "255-byte name: length");
	/* One byte more: the last label of 62. */
	w[3 * 64] = 62;
	memmove(w + 3 * 64 + 1 + 62, w + 3 * 64 + 1 + 61, 1);
	w[3 * 64 + 1 + 61] = 'x';
	answer_raw_question(&m, w, n + 1);
	ASSERT_EQ(agent_dns_parse(m.b, m.len, ans), -EBADMSG, "256-byte name refused");
out:
	free(ans);
	test__end_subtest();
}

/* The answer m yields the question's own A record, 198.51.100.7, and skips off_chain. */
static void expect_question_a_only(const struct dns_msg *m, struct agent_dns_answer *ans,
				   __u32 off_chain)
{
	if (!ASSERT_OK(agent_dns_parse(m->b, m->len, ans), "agent_dns_parse"))
		return;
	if (ASSERT_EQ(ans->n, 1, "addresses on the chain"))
		ASSERT_MEMEQ(ans->addrs[0].addr, A("198.51.100.7").b, 4, "the question's A record");
	ASSERT_EQ(ans->off_chain, off_chain, "off-chain records skipped");
}

/*
 * The off-chain owner that c-ares 1.18 read as the question: a NUL label
 * ended its text at "a.corp.example.com.". In wire form it is another name.
 */
static void test_nul_label_owner(void)
{
	static const __u8 owner[] = "\1a\4corp\7example\3com\1\0\4evil";
	struct agent_dns_answer *ans = malloc(sizeof(*ans));
	struct dns_msg m;

	test__start_subtest("nul_label_owner");
	if (!ASSERT_TRUE(ans != NULL, "malloc"))
		goto out;
	dns_answer_msg(&m, 1, "a.corp.example.com", DNS_T_A);
	dns_put(&m, owner, sizeof(owner));	/* the root label is the string's NUL */
	dns_rr_fixed(&m, DNS_T_A, DNS_C_IN, 300, 4);
	dns_put(&m, A("198.51.100.66").b, 4);
	dns_count_add(&m, DNS_AN, 1);
	dns_rr_a(&m, DNS_QNAME_OFF, 300, "198.51.100.7");
	expect_question_a_only(&m, ans, 1);
out:
	free(ans);
	test__end_subtest();
}

/*
 * Names from the network on a terminal and in JSON: a question with a
 * newline, ESC or spaces prints as one escaped field of one row, and every
 * JSON string is valid UTF-8 whatever bytes it was given.
 */
static void test_output_escaped(void)
{
	static const __u8 wire[] = "\7a\nb c\033[\4corp\1\377";
	struct bpfroute_name n = { .len = sizeof(wire) };
	char text[LEARNED_TEXT_MAX], *buf = NULL;
	__u64 id = 0x5eed;
	size_t len = 0;
	struct json j;
	struct env e;
	FILE *f;

	if (!start(&e, "output_escaped", 100))
		return;
	memcpy(n.name, wire, sizeof(wire));
	if (!ASSERT_OK(bpf_map_update_elem(e.maps.names, &id, &n, BPF_ANY) ? -errno : 0,
		       "write bpfroute_names"))
		goto out;
	ASSERT_STREQ(learned_name(&e.maps, id, text), "a\\010b\\032c\\027[.corp.\\255",
		     "the question as routes prints it");
	ASSERT_STREQ(learned_name(&e.maps, id + 1, text), "?", "an unknown question");

	f = open_memstream(&buf, &len);
	if (!ASSERT_TRUE(f != NULL, "open_memstream"))
		goto out;
	json_init(&j, f);
	json_array_begin(&j);
	json_string(&j, "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");	/* é € 😀 kept */
	json_string(&j, "bad \xff \xc3 \xed\xa0\x80 \xc0\xaf \xf4\x90\x80\x80 \"\\\x01\x7f");
	json_array_end(&j);
	fclose(f);
	ASSERT_STREQ(buf, "[\"ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
			  "\"bad \\ufffd \\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd "
			  "\\ufffd\\ufffd\\ufffd\\ufffd \\\"\\\\\\u0001\\u007f\"]",
		     "JSON strings: UTF-8 kept, anything else replaced or escaped");
	free(buf);
out:
	finish(&e);
}

/* ---------------------------------------------------------------------------
 * Reading answers
 */

/*
 * The premise of agent_dns.c: c-ares 1.18's ares_parse_a_reply() takes any
 * CNAME as the next link, whatever its owner. Reported, not required: a
 * c-ares that follows only the chain would be welcome.
 */
static void test_cares_offchain(void)
{
	struct ares_addrttl ttls[64];
	struct agent_dns_answer *ans = malloc(sizeof(*ans));
	struct dns_msg m;
	int n = 64, st;
	char text[64];

	test__start_subtest("cares_offchain");
	if (!ASSERT_TRUE(ans != NULL, "malloc"))
		goto out;
	/* The off-chain CNAME comes first; the question's own A record after it. */
	dns_answer_msg(&m, 1, "www.example.com", DNS_T_A);
	rr_named_cname(&m, "other.example.org", 300, "evil.example");
	rr_named_a(&m, "evil.example", 300, "198.51.100.66");
	dns_rr_a(&m, DNS_QNAME_OFF, 300, "198.51.100.7");
	st = ares_parse_a_reply(m.b, (int)m.len, NULL, ttls, &n);
	inet_ntop(AF_INET, n > 0 ? (void *)&ttls[0].ipaddr : (void *)"\0\0\0\0", text,
		  sizeof(text));
	printf("  note: c-ares %s ares_parse_a_reply: status %d, %d address(es), first %s "
	       "(on the chain: 198.51.100.7 only)\n", ares_version(NULL), st, n, text);
	expect_question_a_only(&m, ans, 2);
out:
	free(ans);
	test__end_subtest();
}

static void test_parse_refusals(void)
{
	struct agent_dns_answer *ans = malloc(sizeof(*ans));
	struct dns_msg m;
	size_t at, prev;
	char name[32];

	test__start_subtest("parse_refusals");
	if (!ASSERT_TRUE(ans != NULL, "malloc"))
		goto out;
	/* a -> b -> a: a loop. */
	dns_answer_msg(&m, 1, "a.example", DNS_T_A);
	at = dns_rr_cname(&m, DNS_QNAME_OFF, 60, "b.example");
	dns_rr_cname_ptr(&m, at, 60, "", DNS_QNAME_OFF);
	dns_rr_a(&m, DNS_QNAME_OFF, 60, "198.51.100.1");
	ASSERT_EQ(agent_dns_parse(m.b, m.len, ans), -ELOOP, "CNAME loop");
	ASSERT_EQ(ans->n, 0, "nothing from a loop");

	/* 17 links: one more than BPFROUTE_DNS_CHAIN_MAX. */
	dns_answer_msg(&m, 1, "c0.example", DNS_T_A);
	prev = DNS_QNAME_OFF;
	for (int i = 1; i <= BPFROUTE_DNS_CHAIN_MAX + 1; i++) {
		snprintf(name, sizeof(name), "c%d.example", i);
		prev = dns_rr_cname(&m, prev, 60, name);
	}
	dns_rr_a(&m, prev, 60, "198.51.100.1");
	ASSERT_EQ(agent_dns_parse(m.b, m.len, ans), -ELOOP, "chain of 17 links");

	/* An A record of 5 bytes. */
	dns_answer_msg(&m, 1, "a.example", DNS_T_A);
	dns_rr(&m, DNS_QNAME_OFF, DNS_T_A, 60, "\1\2\3\4\5", 5);
	ASSERT_EQ(agent_dns_parse(m.b, m.len, ans), -EBADMSG, "A record of 5 bytes");

	/* A record past the end. */
	dns_answer_msg(&m, 1, "a.example", DNS_T_A);
	dns_rr_a(&m, DNS_QNAME_OFF, 60, "198.51.100.1");
	ASSERT_EQ(agent_dns_parse(m.b, m.len - 1, ans), -EBADMSG, "truncated record");

	/* NXDOMAIN: nothing to learn, not an error. */
	dns_answer_msg(&m, 1, "a.example", DNS_T_A);
	dns_set_u16(&m, 2, DNS_F_QR | DNS_F_RD | DNS_F_RA | DNS_RCODE_NXDOMAIN);
	dns_rr_a(&m, DNS_QNAME_OFF, 60, "198.51.100.1");
	ASSERT_OK(agent_dns_parse(m.b, m.len, ans), "NXDOMAIN");
	ASSERT_EQ(ans->n, 0, "nothing from NXDOMAIN");

	/* A query is not an answer. */
	dns_query_msg(&m, 1, "a.example", DNS_T_A);
	ASSERT_EQ(agent_dns_parse(m.b, m.len, ans), -EBADMSG, "a query");
out:
	free(ans);
	test__end_subtest();
}

/* ---------------------------------------------------------------------------
 * Events
 */

static bool expect_chain_entry(struct env *e, int i, __u64 ts, const char *what)
{
	struct bpfroute_host h;
	char addr[32], m[160];
	bool ok = true;

	snprintf(addr, sizeof(addr), "198.51.100.%d", i);
	if (!ASSERT_OK(host_get(e, addr, &h), MSG(m, "%s: %s installed", what, addr)))
		return false;
	ok &= ASSERT_EQ(h.expires, SECS(ts) + hosts_lifetime_s(&e->conf, chain_ttl(i)),
			MSG(m, "%s: %s expiry (TTL %u)", what, addr, chain_ttl(i)));
	ok &= ASSERT_EQ(h.rule, 0, MSG(m, "%s: %s rule", what, addr));
	ok &= ASSERT_EQ(h.ifindex, TARGET, MSG(m, "%s: %s target", what, addr));
	ok &= ASSERT_EQ(h.name_id, name_id(e, "www.example.com"), MSG(m, "%s: %s name", what, addr));
	ok &= ASSERT_EQ(h.pad, 0, MSG(m, "%s: %s reserved field zero", what, addr));
	ok &= ASSERT_EQ(h.last_used, SECS(ts), MSG(m, "%s: %s last use", what, addr));
	return ok;
}

static void test_event_chain(void)
{
	static struct event_buf b;
	__u64 ts = AGO(2), far = IN(10 * 86400);
	struct bpfroute_host h;
	struct dns_msg m;
	struct env e;
	size_t size;

	if (!start(&e, "event_chain", 64))
		return;
	if (!rule_add(&e, "*.example.com", 0, TARGET) || !excl_add(&e, "198.51.100.200") ||
	    !resolver_add(&e, "198.51.100.53"))
		goto out;
	/* Known already, for longer, through another rule: kept as long, retargeted. */
	if (!host_set(&e, "198.51.100.5", far, AGO(1000)))
		goto out;
	chain_answer(&m);
	size = event_make(&b, &m, BPFROUTE_DNS_AGENT, 0, 16, ts);
	ASSERT_OK(agent_event(&e.a, &b, size, NOW), "agent_event");

	for (int i = 1; i <= N_CHAIN_A; i++)
		if (i != 5)
			expect_chain_entry(&e, i, ts, "on the chain");
	if (ASSERT_OK(host_get(&e, "198.51.100.5", &h), "198.51.100.5 kept")) {
		ASSERT_EQ(h.expires, SECS(far), "a renewal never shortens");
		ASSERT_EQ(h.rule, 0, "renewed entry takes the answer's rule");
		ASSERT_EQ(h.name_id, name_id(&e, "www.example.com"), "renewed entry's name");
	}
	ASSERT_EQ(host_count(&e, 4), N_CHAIN_A, "IPv4 entries: the chain's 20, nothing else");
	expect_no_host(&e, "198.51.100.66", "off-chain owner");
	expect_no_host(&e, "198.51.100.77", "question's A after the chain moved on");
	expect_host(&e, "2001:db8::1", "AAAA on the chain");
	ASSERT_EQ(host_count(&e, 6), 1, "IPv6 entries: 2001:db8::1 only");
	expect_name(&e, "www.example.com", "question name");

	ASSERT_EQ(e.a.st.events, 1, "events counted");
	ASSERT_EQ(e.a.st.events_finished, 1, "events finished by the agent");
	ASSERT_EQ(e.a.st.installed, N_CHAIN_A + 1, "installed or renewed");
	ASSERT_EQ(e.a.st.refused, 9,
		  "refused: 4 special, excluded, resolver, answering server, 2 IPv6 special");
	expect_no_host(&e, SERVER4, "the server that answered");
	ASSERT_EQ(e.a.lat.n, 1, "one delay sample");
	ASSERT_EQ(e.a.lat_learn.n, 1, "one learn latency sample");
	ASSERT_EQ(agent_lat_percentile(&e.a.lat_learn, 50), 2 * NS, "learn latency: NOW - ts");

	/* The same event again: every entry already says it all. */
	ASSERT_OK(agent_event(&e.a, &b, size, NOW), "agent_event again");
	ASSERT_EQ(e.a.st.installed, N_CHAIN_A + 1, "nothing installed the second time");
out:
	finish(&e);
}

/*
 * A rule of a client group: what the agent installs carries the group
 * (hosts_put()), and a reload that gives the rule another group gives its
 * learned entries the new one (learning_sync(), user/learning.c).
 */
static void test_event_clients(void)
{
	static const char reload[] =
		"interface lan0\n"
		"clients a 192.0.2.0/26\n"
		"clients b 192.0.2.64/26\n"
		"route *.example.com dev wg0 clients b\n";
	static struct event_buf b;
	int route_idx[1] = { TARGET };
	struct bpfroute_host h;
	struct config cfg;
	struct dns_msg m;
	char err[256];
	struct env e;
	size_t size;

	if (!start(&e, "event_clients", 64))
		return;
	if (!rule_add_for(&e, "*.example.com", 0, TARGET, 1))
		goto out;
	chain_answer(&m);
	size = event_make(&b, &m, BPFROUTE_DNS_AGENT, 0, 16, AGO(2));
	ASSERT_OK(agent_event(&e.a, &b, size, NOW), "agent_event");
	if (ASSERT_OK(host_get(&e, "198.51.100.1", &h), "entry installed by the agent"))
		ASSERT_EQ(h.clients, 1, "the agent's entry carries its rule's group");
	if (ASSERT_OK(host_get(&e, "2001:db8::1", &h), "IPv6 entry installed by the agent"))
		ASSERT_EQ(h.clients, 1, "IPv6: the agent's entry carries its rule's group");

	if (!ASSERT_OK(config_parse_string("reload.conf", reload, &cfg, err, sizeof(err)),
		       "reload config"))
		goto out;
	ASSERT_OK(learning_sync(&e.maps, &cfg, route_idx), "learning_sync");
	config_free(&cfg);
	if (ASSERT_OK(host_get(&e, "198.51.100.1", &h), "entry kept over the reload")) {
		ASSERT_EQ(h.clients, 2, "the reload gave the entry its rule's new group");
		ASSERT_EQ(h.ifindex, TARGET, "and kept its target");
	}
	if (ASSERT_OK(host_get(&e, "2001:db8::1", &h), "IPv6 entry kept over the reload"))
		ASSERT_EQ(h.clients, 2, "IPv6: the reload gave the entry the new group");
out:
	finish(&e);
}

static void test_event_kinds(void)
{
	static struct event_buf b;
	struct dns_msg m;
	struct env e;
	size_t size;

	if (!start(&e, "event_kinds", 64))
		return;
	if (!rule_add(&e, "*.example.com", 0, TARGET))
		goto out;
	chain_answer(&m);

	/* LEARNED: the kernel did it all; bookkeeping only. */
	size = event_make(&b, &m, BPFROUTE_DNS_LEARNED, 0, 16, AGO(1));
	agent_event(&e.a, &b, size, NOW);
	ASSERT_EQ(host_count(&e, 4), 0, "LEARNED: the agent installs nothing");
	ASSERT_EQ(e.a.lat.n, 1, "LEARNED: a delay sample");
	ASSERT_EQ(e.a.lat_learn.n, 0, "LEARNED: no learn latency sample");

	/* A rule id the kernel does not have (removed by a reload). */
	size = event_make(&b, &m, BPFROUTE_DNS_AGENT, 3, 16, AGO(1));
	agent_event(&e.a, &b, size, NOW);
	ASSERT_EQ(host_count(&e, 4), 0, "unknown rule: nothing installed");
	ASSERT_EQ(e.a.st.dropped, 1, "unknown rule: dropped");

	/* A rule whose name does not cover the question (an id given to another rule). */
	if (!rule_add(&e, "other.example.org", 3, TARGET))
		goto out;
	agent_event(&e.a, &b, size, IN(2));
	ASSERT_EQ(host_count(&e, 4), 0, "rule not covering the question: nothing installed");
	ASSERT_EQ(e.a.st.dropped, 2, "rule not covering the question: dropped");

	/* A message cut short. */
	size = event_make(&b, &m, BPFROUTE_DNS_FULL, 0, 0, AGO(1));
	b.ev.cap_len -= 10;
	agent_event(&e.a, &b, size - 10, NOW);
	ASSERT_EQ(e.a.st.parse_failures, 1, "truncated message: a parse failure");
	ASSERT_EQ(host_count(&e, 4), 0, "truncated message: nothing installed");

	/* cap_len beyond what came. */
	size = event_make(&b, &m, BPFROUTE_DNS_FULL, 0, 0, AGO(1));
	agent_event(&e.a, &b, size - 1, NOW);
	ASSERT_EQ(e.a.st.parse_failures, 2, "cap_len beyond the event: refused");

	/* An answer so old that its entries would be dead on arrival. */
	size = event_make(&b, &m, BPFROUTE_DNS_FULL, 0, 0, AGO(MAX_TTL + IDLE + 10));
	agent_event(&e.a, &b, size, NOW);
	ASSERT_EQ(host_count(&e, 4), 0, "stale answer: nothing installed");
	ASSERT_EQ(e.a.st.events, 6, "every event counted");
out:
	finish(&e);
}

/* ---------------------------------------------------------------------------
 * Eviction
 */

static bool install(struct env *e, const char *s, int want, const char *what)
{
	struct hosts_origin o = { .ifindex = TARGET, .rule = 0, .name_id = 1, .ts = SECS(NOW) };
	struct addr a = A(s);
	char m[160];

	return ASSERT_EQ(agent_install(&e->a, &o, a.family, a.b, 600, NOW), want,
			 MSG(m, "%s: install %s", what, s));
}

/* An entry of rule id to ifindex, with traffic counted on it. */
static bool install_counted(struct env *e, const char *s, __u16 rule, __u32 ifindex,
			    __u64 packets, __u64 bytes)
{
	struct hosts_origin o = { .ifindex = ifindex, .rule = rule, .name_id = 1,
				  .ts = SECS(NOW) };
	struct bpfroute_host *slot;
	struct addr a = A(s);
	__u8 key[16] = {};
	char m[160];
	int r;

	r = agent_install(&e->a, &o, a.family, a.b, 600, NOW);
	if (!ASSERT_EQ(r, HOSTS_INSTALLED, MSG(m, "install %s", s)))
		return false;
	memcpy(key, a.b, a.family == 4 ? 4 : 16);
	slot = hosttable_find(agent_ht(&e->a, a.family), &e->conf, key);
	if (!ASSERT_TRUE(slot != NULL, MSG(m, "%s in its table", s)))
		return false;
	slot->packets = packets;
	slot->bytes = bytes;
	return true;
}

static const struct metrics_target *walk_target(const struct metrics_agg *g, __u32 ifindex)
{
	for (__u32 i = 0; i < g->n_targets; i++)
		if (g->target[i].ifindex == ifindex)
			return &g->target[i];
	return NULL;
}

/*
 * Bypasses in the agent. An answer the kernel handed over under a route rule
 * is not finished if a bypass rule is more specific for its question (added
 * by a reload since), nor under a bypass rule itself; an address inside a
 * bypass prefix is refused as the learner refuses it, one of a route prefix
 * inside the bypass is not.
 */
static void test_bypass(void)
{
	struct config_route r = { .kind = CONFIG_ROUTE_DOMAIN, .bypass = true };
	struct bpfroute_rule_key key;
	struct bpfroute_rule val;
	__u8 www[BPFROUTE_DNS_NAME_MAX], pub[BPFROUTE_DNS_NAME_MAX];
	size_t www_len = dns_wire("www.example.com", www, true);
	size_t pub_len = dns_wire("public.example.com", pub, true);
	struct env e;

	if (!start(&e, "bypass", 64))
		return;
	r.domain = "public.example.com";
	if (!rule_add(&e, "*.example.com", 0, TARGET) ||
	    !ASSERT_OK(learning_rule_make(&e.conf, &r, 1, TARGET, &key, &val), "bypass rule") ||
	    !ASSERT_EQ(val.ifindex, 0, "a bypass rule has no target") ||
	    !ASSERT_EQ(val.flags, BPFROUTE_RULE_F_BYPASS, "bypass rule flags") ||
	    !ASSERT_OK(bpf_map_update_elem(e.maps.rules, &key, &val, BPF_ANY) ? -errno : 0,
		       "write bypass rule") ||
	    !ASSERT_TRUE(agent_refresh(&e.a, NOW) >= 0, "agent_refresh"))
		goto out;
	ASSERT_TRUE(agent_rule(&e.a, 0, www, www_len, NOW) == &e.a.rules[0],
		    "www.example.com: the wildcard route");
	ASSERT_TRUE(agent_rule(&e.a, 0, pub, pub_len, NOW) == NULL,
		    "public.example.com under the route's id: the bypass is more specific");
	ASSERT_TRUE(agent_rule(&e.a, 1, pub, pub_len, NOW) == NULL,
		    "public.example.com under the bypass rule's id: nothing to learn");

	if (!fx_bypass_add(e.skel->obj, "198.51.100.0/24") ||
	    !fx_route_add(e.skel->obj, "198.51.100.8/29", TARGET) ||
	    !fx_bypass_add(e.skel->obj, "2001:db8:77::/48"))
		goto out;
	install(&e, "198.51.100.5", -EPERM, "inside the bypass prefix");
	install(&e, "2001:db8:77::5", -EPERM, "inside the IPv6 bypass prefix");
	ASSERT_EQ(e.a.st.refused, 2, "refused: the two bypassed addresses");
	install(&e, "198.51.100.9", HOSTS_INSTALLED, "a route prefix inside the bypass");
	install(&e, "203.0.113.5", HOSTS_INSTALLED, "outside every prefix");
	expect_no_host(&e, "198.51.100.5", "bypassed");
out:
	finish(&e);
}

/* An entry learned for name under rule id, its question in bpfroute_names. */
static bool learned_for(struct env *e, const char *s, const char *name, __u32 rule)
{
	struct bpfroute_host h = {
		.ifindex = TARGET,
		.expires = SECS(IN(600)),
		.last_used = SECS(NOW),
		.rule = rule,
		.name_id = name_id(e, name),
	};
	struct bpfroute_name n = {};
	struct addr a = A(s);
	char m[160];

	memcpy(h.addr, a.b, sizeof(h.addr));
	n.len = (__u16)dns_wire(name, n.name, true);
	return ASSERT_EQ(lt_put(e->skel->obj, a.family, &h), BPFROUTE_TABLE_INSTALLED,
			 MSG(m, "learn %s", s)) &&
	       ASSERT_OK(bpf_map_update_elem(e->maps.names, &h.name_id, &n, BPF_ANY) ? -errno : 0,
			 MSG(m, "name %s", name));
}

/* What `load` writes for text: the rules, then the prefixes; every target TARGET. */
static bool sync_config(struct env *e, const char *text)
{
	int idx[16] = {};
	struct config cfg;
	char err[256] = "";
	bool ok;

	if (!ASSERT_OK(config_parse_string("t.conf", text, &cfg, err, sizeof(err)), err))
		return false;
	ok = ASSERT_TRUE(cfg.n_routes <= 16, "routes of the test config");
	for (size_t i = 0; ok && i < cfg.n_routes; i++)
		idx[i] = TARGET;
	ok = ok && ASSERT_OK(learning_sync(&e->maps, &cfg, idx), "learning_sync") &&
	     ASSERT_OK(routes_sync_config(&e->maps, &cfg, idx), "routes_sync_config");
	config_free(&cfg);
	return ok;
}

/*
 * A reload that adds bypasses removes what they cover from the learned
 * tables: entries learned for a name a new bypass rule covers (their rule,
 * the wildcard, stays), entries inside a new bypass prefix, and the entries
 * of a rule that becomes a bypass. The rest stays.
 */
static void test_bypass_reload(void)
{
	struct env e;

	if (!start(&e, "bypass_reload", 64))
		return;
	if (!sync_config(&e, "interface lan0\nroute *.example.com dev wg0\n") ||
	    !learned_for(&e, "198.51.100.5", "public.example.com", 0) ||
	    !learned_for(&e, "198.51.100.6", "www.example.com", 0) ||
	    !learned_for(&e, "2001:db8:5::6", "www.example.com", 0) ||
	    !learned_for(&e, "203.0.113.7", "www.example.com", 0) ||
	    !learned_for(&e, "203.0.113.200", "www.example.com", 0))
		goto out;
	if (!sync_config(&e, "interface lan0\nroute *.example.com dev wg0\n"
			 "bypass public.example.com\nbypass 203.0.113.0/24\n"
			 "route 203.0.113.128/25 dev wg0\n"))
		goto out;
	expect_no_host(&e, "198.51.100.5", "a name the new bypass rule covers");
	expect_host(&e, "198.51.100.6", "a sibling name");
	expect_host(&e, "2001:db8:5::6", "a sibling name, IPv6");
	expect_no_host(&e, "203.0.113.7", "inside the new bypass prefix");
	expect_host(&e, "203.0.113.200", "inside a route prefix inside the bypass");
	ASSERT_EQ(host_count(&e, 4), 2, "IPv4 entries left");
	if (!sync_config(&e, "interface lan0\nbypass *.example.com\n"))
		goto out;
	ASSERT_EQ(host_count(&e, 4), 0, "the rule became a bypass: its IPv4 entries went");
	ASSERT_EQ(host_count(&e, 6), 0, "the rule became a bypass: its IPv6 entries went");
out:
	finish(&e);
}

/*
 * The metrics' walk: figures per rule and per target from the learned
 * tables, the same whether walked at once or in small steps.
 */
static void test_metrics_walk(void)
{
	struct metrics_walk all = {}, steps = {};
	const struct metrics_rule *r3, *r4;
	const struct metrics_target *t;
	int ret = 0, n_steps = 0;
	struct env e;
	char m[160];

	if (!start(&e, "metrics_walk", 64))
		return;
	if (!install_counted(&e, "203.0.113.1", 3, TARGET, 10, 1000) ||
	    !install_counted(&e, "203.0.113.2", 3, TARGET, 5, 500) ||
	    !install_counted(&e, "2001:db8::1", 3, TARGET, 1, 100) ||
	    !install_counted(&e, "198.51.100.1", 4, OTHER_TARGET, 7, 70))
		goto out;
	if (!ASSERT_OK(metrics_walk_init(&all), "metrics_walk_init") ||
	    !ASSERT_OK(metrics_walk_init(&steps), "metrics_walk_init"))
		goto out;
	ASSERT_OK(metrics_walk_all(&all, &e.maps, agent_ht(&e.a, 4), agent_ht(&e.a, 6)),
		  "a whole walk");
	r3 = metrics_rule_slot(all.done, 3, false);
	r4 = metrics_rule_slot(all.done, 4, false);
	if (ASSERT_TRUE(r3 && r4, "rules 3 and 4 in the walk")) {
		ASSERT_EQ(r3->packets, 16, "rule 3: packets of its three entries");
		ASSERT_EQ(r3->bytes, 1600, "rule 3: bytes");
		ASSERT_EQ(r3->entries[0], 2, "rule 3: IPv4 entries");
		ASSERT_EQ(r3->entries[1], 1, "rule 3: IPv6 entries");
		ASSERT_EQ(r4->packets, 7, "rule 4: packets");
	}
	ASSERT_TRUE(!metrics_rule_slot(all.done, 0, false), "rule 0: no entries, no slot");
	ASSERT_EQ(all.done->n_rules, 2, "two rules seen");
	ASSERT_EQ(all.done->rules_unlabelled, 0, "every entry labelled");
	ASSERT_EQ(all.done->n_targets, 2, "two target devices seen");
	t = walk_target(all.done, TARGET);
	if (ASSERT_TRUE(t != NULL, "the rules' target in the walk")) {
		ASSERT_EQ(t->packets[METRICS_LEARNED], 16, "target: learned packets");
		ASSERT_EQ(t->bytes[METRICS_LEARNED], 1600, "target: learned bytes");
		ASSERT_EQ(t->entries[0] + t->entries[1], 3, "target: learned entries");
	}
	t = walk_target(all.done, OTHER_TARGET);
	ASSERT_TRUE(t && t->packets[METRICS_LEARNED] == 7, "the other target: its packets");

	/* Steps of 1000 slots: several, each bounded, and the same figures. */
	while (n_steps < 1000 && !(ret = metrics_walk_step(&steps, &e.maps, agent_ht(&e.a, 4),
							     agent_ht(&e.a, 6), 1000)))
		n_steps++;
	ASSERT_EQ(ret, 1, "the stepped walk completes");
	ASSERT_TRUE(n_steps >= (int)(2 * agent_ht(&e.a, 4)->role[BPFROUTE_HOSTS_TABLE].n / 1000) - 1,
		    MSG(m, "a table walked in steps of 1000 slots: %d steps", n_steps));
	ASSERT_EQ(memcmp(steps.done->rule, all.done->rule, sizeof(all.done->rule)), 0,
		  "per-rule figures: stepped walk = whole walk");
	ASSERT_EQ(steps.done->n_targets, all.done->n_targets, "targets: stepped = whole");
	ASSERT_TRUE(steps.have_done && !metrics_walk_busy(&steps), "walk published, idle");
out:
	metrics_walk_free(&all);
	metrics_walk_free(&steps);
	finish(&e);
}

static const char *odd_rule(void *ctx, __u32 id)
{
	(void)ctx;
	return id == 3 ? "a\"b\\c\nd" : NULL;
}

static const char *odd_dev(void *ctx, __u32 ifindex, char *buf)
{
	(void)ctx;
	snprintf(buf, IF_NAMESIZE, ifindex == TARGET ? "wg\"0" : "#%u", ifindex);
	return buf;
}

/*
 * A reload of big lists is atomic for what stays: while rules_sync() and
 * routes_sync_config() replace a fifth of 25,000 names and 25,000 prefixes,
 * a second thread looks up a sample of the names and prefixes that stay,
 * pass after pass, in the kernel's maps (the rule, its id, the prefix in its
 * trie and in the summary): not one lookup may miss. The learned entry of a
 * rule that stays keeps its rule and counters; that of a removed rule goes.
 * A reload past a map's size is refused with nothing changed.
 */
#define ATOMIC_N	25000
#define ATOMIC_GONE	5000
#define ATOMIC_STEP	10	/* the watcher samples one in ten */

struct watch {
	const struct bpfroute_maps *m;
	struct bpfroute_rule_key *keys;
	__u32 *ids;
	__u8 (*addr)[4];
	size_t n;
	volatile int stop;
	volatile int syncing;
	unsigned long passes, passes_during, misses;
	char first_miss[128];
};

static void *watch_run(void *arg)
{
	struct watch *w = arg;

	while (!w->stop) {
		int during = w->syncing;

		for (size_t i = 0; i < w->n; i++) {
			struct bpfroute_key4 k = { .prefixlen = 32 };
			struct bpfroute_route route;
			struct bpfroute_rule val;
			const char *what = NULL;

			memcpy(k.addr, w->addr[i], 4);
			if (bpf_map_lookup_elem(w->m->rules, &w->keys[i], &val))
				what = "rule missing";
			else if (val.id != w->ids[i])
				what = "rule id changed";
			else if (bpf_map_lookup_elem(w->m->route4, &k, &route))
				what = "prefix missing";
			else if (!routes_summary_covers(w->m, AF_INET, w->addr[i]))
				what = "prefix not in the summary";
			if (what && !w->misses++)
				snprintf(w->first_miss, sizeof(w->first_miss), "%s: entry %zu", what,
					 i);
		}
		w->passes++;
		w->passes_during += during && w->syncing;
	}
	return NULL;
}

/* A config of names n<from..to>.atomic.example and prefixes 100.64.x.y/32 of the same i. */
static bool atomic_config(int from, int to, struct config *cfg, int **idx)
{
	size_t cap = (size_t)(to - from) * 64 + 64, n = 0;
	char *text = malloc(cap), err[512] = "";
	int ret;

	if (!ASSERT_TRUE(text != NULL, "malloc"))
		return false;
	n += (size_t)snprintf(text + n, cap - n, "interface lan0\nmax-rules 32768\n");
	for (int i = from; i < to; i++)
		n += (size_t)snprintf(text + n, cap - n, "route n%d.atomic.example dev wg0\n"
				      "route 100.64.%d.%d dev wg0\n", i, i / 256, i % 256);
	ret = config_parse_string("atomic.conf", text, cfg, err, sizeof(err));
	free(text);
	if (!ASSERT_OK(ret, err))
		return false;
	*idx = malloc((cfg->n_routes + 1) * sizeof(**idx));
	for (size_t i = 0; *idx && i < cfg->n_routes; i++)
		(*idx)[i] = TARGET;
	return ASSERT_TRUE(*idx != NULL, "malloc");
}

static bool atomic_sync(struct env *e, const struct config *cfg, const int *idx, int want)
{
	char m[160];
	int err = learning_sync(&e->maps, cfg, idx);

	if (!ASSERT_EQ(err, want, MSG(m, "learning_sync: %s", strerror(-err))))
		return false;
	err = routes_sync_config(&e->maps, cfg, idx);
	return ASSERT_EQ(err, want, MSG(m, "routes_sync_config: %s", strerror(-err)));
}

static size_t map_size(int fd)
{
	struct learning_rule *l = NULL;
	struct bpfroute_maps m = { .rules = fd };
	size_t n = 0;

	learning_rules_list(&m, &l, &n);
	free(l);
	return n;
}

static void test_reload_atomic(void)
{
	static const struct capacity cap = { .rules = 32768, .prefixes = { 32768, 32768 } };
	struct config a = {}, b = {}, c = {};
	int *ia = NULL, *ib = NULL, *ic = NULL;
	struct route_entry *routes = NULL;
	__u32 kept_id = 0, gone_id = 0;
	struct bpfroute_host *slot;
	struct watch w = {};
	size_t count = 0;
	pthread_t th;
	struct env e;
	char m[400];

	start_cap = &cap;
	if (!start(&e, "reload_atomic", 1 << 16)) {
		start_cap = NULL;
		return;
	}
	start_cap = NULL;
	if (!atomic_config(0, ATOMIC_N, &a, &ia) ||
	    !atomic_config(ATOMIC_GONE, ATOMIC_N + ATOMIC_GONE, &b, &ib) ||
	    !atomic_config(0, 32769, &c, &ic) || !atomic_sync(&e, &a, ia, 0))
		goto out;

	/* The sample of what stays, with the ids the rules have now. */
	w.m = &e.maps;
	w.keys = calloc(ATOMIC_N, sizeof(*w.keys));
	w.ids = calloc(ATOMIC_N, sizeof(*w.ids));
	w.addr = calloc(ATOMIC_N, sizeof(*w.addr));
	if (!ASSERT_TRUE(w.keys && w.ids && w.addr, "calloc"))
		goto out;
	for (int i = ATOMIC_GONE; i < ATOMIC_N; i += ATOMIC_STEP) {
		struct config_route r = { .kind = CONFIG_ROUTE_DOMAIN };
		struct bpfroute_rule val;
		char name[CONFIG_DOMAIN_MAX];

		snprintf(name, sizeof(name), "n%d.atomic.example", i);
		r.domain = name;
		learning_rule_make(&e.conf, &r, 0, TARGET, &w.keys[w.n], &val);
		if (!ASSERT_OK(bpf_map_lookup_elem(e.maps.rules, &w.keys[w.n], &val) ? -errno : 0,
			       MSG(m, "rule of %s", r.domain)))
			goto out;
		w.ids[w.n] = val.id;
		w.addr[w.n][0] = 100;
		w.addr[w.n][1] = 64;
		w.addr[w.n][2] = (__u8)(i / 256);
		w.addr[w.n][3] = (__u8)(i % 256);
		w.n++;
	}
	/* A learned entry of a rule that stays (the first sampled), one of a rule that goes (n0). */
	kept_id = w.ids[0];
	{
		struct config_route r = { .kind = CONFIG_ROUTE_DOMAIN };
		struct bpfroute_rule_key key;
		struct bpfroute_rule val;

		r.domain = "n0.atomic.example";
		learning_rule_make(&e.conf, &r, 0, TARGET, &key, &val);
		if (!ASSERT_OK(bpf_map_lookup_elem(e.maps.rules, &key, &val) ? -errno : 0, "n0"))
			goto out;
		gone_id = val.id;
	}
	if (!install_counted(&e, "203.0.113.1", kept_id, TARGET, 10, 1000) ||
	    !install_counted(&e, "203.0.113.2", gone_id, TARGET, 5, 500))
		goto out;

	if (!ASSERT_OK(pthread_create(&th, NULL, watch_run, &w), "pthread_create"))
		goto out;
	while (w.passes < 2)
		sched_yield();
	w.syncing = 1;
	atomic_sync(&e, &b, ib, 0);
	w.syncing = 0;
	for (unsigned long p = w.passes; w.passes < p + 2;)
		sched_yield();
	w.stop = 1;
	pthread_join(th, NULL);

	ASSERT_EQ(w.misses, 0, MSG(m, "lookups of what stays that missed (first: %s)",
				   w.first_miss[0] ? w.first_miss : "none"));
	ASSERT_TRUE(w.passes_during >= 1, MSG(m, "whole passes during the reload: %lu",
					      w.passes_during));
	ASSERT_EQ(map_size(e.maps.rules), ATOMIC_N, "rules after the reload");
	if (ASSERT_OK(routes_list(&e.maps, &routes, &count), "routes_list"))
		ASSERT_EQ(count, ATOMIC_N, "prefixes after the reload");
	free(routes);
	routes = NULL;
	slot = hosttable_find(agent_ht(&e.a, 4), &e.conf, A("203.0.113.1").b);
	if (ASSERT_TRUE(slot != NULL, "the entry of a rule that stays, still there")) {
		ASSERT_EQ(slot->rule, kept_id, "its rule id");
		ASSERT_EQ(slot->packets, 10, "its counters");
	}
	ASSERT_TRUE(hosttable_find(agent_ht(&e.a, 4), &e.conf, A("203.0.113.2").b) == NULL,
		    "the entry of a removed rule, gone");

	/* One rule and one prefix more than the maps hold: refused, nothing changed. */
	atomic_sync(&e, &c, ic, -E2BIG);
	ASSERT_EQ(map_size(e.maps.rules), ATOMIC_N, "rules after a refused reload");
	if (ASSERT_OK(routes_list(&e.maps, &routes, &count), "routes_list"))
		ASSERT_EQ(count, ATOMIC_N, "prefixes after a refused reload");
out:
	free(routes);
	free(w.keys);
	free(w.ids);
	free(w.addr);
	free(ia);
	free(ib);
	free(ic);
	config_free(&a);
	config_free(&b);
	config_free(&c);
	finish(&e);
}

/*
 * Per-rule series for at most METRICS_RULES_MAX rules: a list of 200,000
 * names must not make 200,000 series. Past the bound no slot is made, and
 * the ids already there are still found.
 */
static void test_metrics_rule_bound(void)
{
	struct metrics_agg *g = calloc(1, sizeof(*g));
	__u32 made = 0;

	test__start_subtest("metrics_rule_bound");
	if (!ASSERT_TRUE(g != NULL, "calloc"))
		goto out;
	/* Ids far apart, as a list's rules are. */
	for (__u32 id = 0; id < METRICS_RULES_MAX; id++)
		made += metrics_rule_slot(g, id * 199999, true) != NULL;
	ASSERT_EQ(made, METRICS_RULES_MAX, "a slot for each rule up to the bound");
	ASSERT_TRUE(!metrics_rule_slot(g, 7, true), "none past it");
	ASSERT_EQ(g->n_rules, METRICS_RULES_MAX, "slots used");
	ASSERT_TRUE(metrics_rule_slot(g, 5 * 199999, false) != NULL, "an id there is found");
	ASSERT_TRUE(!metrics_rule_slot(g, 5, false), "an id not there is not");
out:
	free(g);
	test__end_subtest();
}

/*
 * The text: label values escaped as the format asks (a rule or device name
 * may hold any byte), the agent's record as it is given, the histogram
 * cumulative with +Inf equal to the count.
 */
static void test_metrics_text(void)
{
	struct bpfroute_agent rec = { .pid = 1, .start_ns = 1, .tick_ns = 2 };
	struct metrics_walk w = {};
	struct metrics_source src;
	char *text = NULL;
	size_t len = 0;
	struct env e;
	FILE *f;

	if (!start(&e, "metrics_text", 64))
		return;
	if (!install_counted(&e, "203.0.113.1", 3, TARGET, 10, 1000) ||
	    !ASSERT_OK(metrics_walk_init(&w), "metrics_walk_init") ||
	    !ASSERT_OK(metrics_walk_all(&w, &e.maps, agent_ht(&e.a, 4), agent_ht(&e.a, 6)),
		       "a whole walk"))
		goto out;
	agentrec_lat_add(&rec, 7000);		/* 7 us: the first bucket */
	agentrec_lat_add(&rec, 2000000000);	/* 2 s: above every bound */
	src = (struct metrics_source){ .m = &e.maps, .agg = w.done, .self = &rec,
				       .rule_name = odd_rule, .dev_name = odd_dev };
	f = open_memstream(&text, &len);
	if (!ASSERT_TRUE(f != NULL, "open_memstream"))
		goto out;
	ASSERT_OK(metrics_write(f, &src), "metrics_write");
	fclose(f);
	ASSERT_TRUE(strstr(text, "bpfroute_rule_packets{rule=\"a\\\"b\\\\c\\nd\"} 10\n")
		    != NULL, "rule label escaped: quote, backslash, newline");
	ASSERT_TRUE(strstr(text, "bpfroute_target_packets{dev=\"wg\\\"0\","
			   "origin=\"learned\"} 10\n") != NULL, "device label escaped");
	ASSERT_TRUE(strstr(text, "\nbpfroute_agent_up 1\n") != NULL, "the agent itself is up");
	ASSERT_TRUE(strstr(text, "bpfroute_agent_learn_latency_seconds_bucket{le=\"1e-05\"} 1\n")
		    != NULL, "7 us in the first bucket");
	ASSERT_TRUE(strstr(text, "bpfroute_agent_learn_latency_seconds_bucket{le=\"1\"} 1\n")
		    != NULL, "2 s in no finite bucket");
	ASSERT_TRUE(strstr(text, "bpfroute_agent_learn_latency_seconds_bucket{le=\"+Inf\"} 2\n")
		    != NULL, "+Inf holds both");
	ASSERT_TRUE(strstr(text, "bpfroute_agent_learn_latency_seconds_sum 2.000007000\n") != NULL,
		    "the sum in seconds");
	ASSERT_TRUE(strstr(text, "# TYPE bpfroute_dns_total counter\n") != NULL,
		    "the dns_* counters as one family");
	ASSERT_TRUE(strstr(text, "bpfroute_dns_total{counter=\"event_lost\"} 0\n") != NULL,
		    "ring buffer losses: dns_event_lost");
	if (strstr(text, "{rule=\"a\"b"))
		ASSERT_TRUE(false, "a raw quote inside a label value");
out:
	free(text);
	metrics_walk_free(&w);
	finish(&e);
}

/* What the metrics endpoint makes of a request (metrics_http_parse()). */
/*
 * The targets' link state (agent_links.c) on real devices of the test's own
 * namespace: a veth pair whose peer's state gives the target a carrier or
 * not; links_settle() waits for the kernel to tell what `ip` changed.
 */
static bool target_flags(struct env *e, __u32 ifindex, __u32 *flags)
{
	struct bpfroute_target t;

	if (!ASSERT_OK(bpf_map_lookup_elem(e->maps.targets, &ifindex, &t) ? -errno : 0,
		       "target lookup"))
		return false;
	*flags = t.flags;
	return true;
}

static void expect_down(struct env *e, __u32 ifindex, bool down, const char *what)
{
	__u32 flags = 0;
	char m[160];

	if (!target_flags(e, ifindex, &flags))
		return;
	ASSERT_EQ(!!(flags & BPFROUTE_TARGET_F_DOWN), down, MSG(m, "%s: F_DOWN", what));
	ASSERT_EQ(!!(flags & BPFROUTE_TARGET_F_FALLBACK), 1, MSG(m, "%s: F_FALLBACK kept", what));
}

/* main() made the test a network namespace of its own: devices may come and go. */
static bool own_netns;

/*
 * Read the link notifications until the target's F_DOWN is `down`, for 3 s
 * at most: the kernel tells a carrier's loss at once, but its return
 * through linkwatch, which may hold it back for up to a second.
 */
static void links_settle(struct agent_links *l, struct env *e, __u32 ifindex, bool down,
			 const char *what)
{
	__u32 flags = 0;

	for (int i = 0; i < 60; i++) {
		agent_links_read(l, &e->a, NOW);
		if (!target_flags(e, ifindex, &flags) || !!(flags & BPFROUTE_TARGET_F_DOWN) == down)
			break;
		usleep(50 * 1000);
	}
	expect_down(e, ifindex, down, what);
}

static void test_links(void)
{
	struct agent_links l = { .mc_fd = -1, .req_fd = -1 };
	struct bpfroute_target t = { .flags = BPFROUTE_TARGET_F_FALLBACK };
	__u32 ifindex, gone = 99999, n = 0, key, *prev = NULL;
	struct env e;

	if (!start(&e, "links", 64))
		return;
	if (!own_netns) {
		test__skip("not in a network namespace of its own");
		goto out;
	}
	if (system("ip link add atgt0 type veth peer name atgt0p && ip link set atgt0p up && "
		   "ip link set atgt0 up")) {
		test__skip("no veth pair in this namespace");
		goto out;
	}
	ifindex = if_nametoindex("atgt0");
	if (!ASSERT_TRUE(ifindex, "atgt0's ifindex") ||
	    !ASSERT_OK(bpf_map_update_elem(e.maps.targets, &ifindex, &t, BPF_NOEXIST) ? -errno : 0,
		       "target atgt0") ||
	    !ASSERT_OK(bpf_map_update_elem(e.maps.targets, &gone, &t, BPF_NOEXIST) ? -errno : 0,
		       "target of a gone ifindex") ||
	    !ASSERT_OK(agent_links_open(&l), "agent_links_open"))
		goto out;

	/* load wrote them as up: the sync asks the kernel. */
	ASSERT_OK(agent_links_sync(&l, &e.a, NOW), "agent_links_sync");
	expect_down(&e, ifindex, false, "sync, atgt0 up with a carrier");
	expect_down(&e, gone, true, "sync, no such ifindex");
	ASSERT_EQ(l.sync_at, NOW + AGENT_LINKS_SYNC_NS, "next sync");

	/* The peer down: no carrier, oper state down, IFF_RUNNING off. */
	ASSERT_OK(system("ip link set atgt0p down"), "ip link set atgt0p down");
	links_settle(&l, &e, ifindex, true, "peer down: no carrier");
	ASSERT_OK(system("ip link set atgt0p up"), "ip link set atgt0p up");
	links_settle(&l, &e, ifindex, false, "peer up again");
	ASSERT_OK(system("ip link set atgt0 down"), "ip link set atgt0 down");
	links_settle(&l, &e, ifindex, true, "administratively down");
	ASSERT_OK(system("ip link set atgt0 up"), "ip link set atgt0 up");
	links_settle(&l, &e, ifindex, false, "administratively up again");
	/* Another device's changes create no entry. */
	ASSERT_OK(system("ip link set alan0p down && ip link set alan0p up"), "alan0p down, up");
	agent_links_read(&l, &e.a, NOW);
	while (n < 8 && !bpf_map_get_next_key(e.maps.targets, prev, &key)) {
		n++;
		prev = &key;
	}
	ASSERT_EQ(n, 2, "targets after another device's changes");
	/* Deleted (RTM_DELLINK): down, and the entry stays, flags and all. */
	ASSERT_OK(system("ip link del atgt0"), "ip link del atgt0");
	links_settle(&l, &e, ifindex, true, "deleted");
	/* Time for a sync: it finds the same. */
	agent_links_read(&l, &e.a, NOW + AGENT_LINKS_SYNC_NS);
	expect_down(&e, ifindex, true, "deleted, after a sync");
	ASSERT_EQ(l.sync_at, NOW + 2 * AGENT_LINKS_SYNC_NS, "the sync was made");
out:
	agent_links_close(&l);
	if (own_netns && if_nametoindex("atgt0") && system("ip link del atgt0"))
		fprintf(stderr, "  note: ip link del atgt0 failed\n");
	finish(&e);
}

static void test_metrics_http_parse(void)
{
	static const struct {
		const char *req;
		int want;
	} cases[] = {
		{ "GET /metrics HTTP/1.0\r\n\r\n", 200 },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", 200 },
		{ "GET /metrics?name[]=x HTTP/1.1\n\n", 200 },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n", 0 },	/* not yet whole */
		{ "GET /metric", 0 },
		{ "GET / HTTP/1.0\r\n\r\n", 404 },
		{ "GET /metrics/ HTTP/1.0\r\n\r\n", 404 },
		{ "GET /metricsx HTTP/1.0\r\n\r\n", 404 },
		{ "POST /metrics HTTP/1.0\r\n\r\n", 400 },
		{ "get /metrics HTTP/1.0\r\n\r\n", 400 },
		{ "GET /metrics\r\n\r\n", 400 },		/* HTTP/0.9 */
		{ "GET metrics HTTP/1.0\r\n\r\n", 400 },
		{ "GET /metrics SPDY/3\r\n\r\n", 400 },
		{ "GET /metrics H\n\n", 400 },
		{ "\r\n\r\n", 400 },
	};
	static char big[METRICS_HTTP_REQUEST_MAX];
	char m[200];

	test__start_subtest("metrics_http_parse");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ASSERT_EQ(metrics_http_parse(cases[i].req, strlen(cases[i].req)), cases[i].want,
			  MSG(m, "request '%.40s'", cases[i].req));
	/* A request that fills the buffer without ending: refused, not waited for. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	ASSERT_EQ(metrics_http_parse(big, sizeof(big)), 400, "a request of 2048 bytes, no end");
	test__end_subtest();
}

static void test_evict_lru(void)
{
	struct bpfroute_host h;
	struct env e;

	if (!start(&e, "evict_lru", 8))
		return;
	/* Live: never evicted, whatever their age. L3 expires exactly now. */
	if (!host_set(&e, "192.0.2.1", IN(100), AGO(5000)) ||
	    !host_set(&e, "192.0.2.2", IN(1), 0) ||
	    !host_set(&e, "192.0.2.3", NOW, 0) ||
	    /* Expired, by age max(last use, expiry): E2 < E5 < E1 < E3 < E4. */
	    !host_set(&e, "203.0.113.1", AGO(100), AGO(50)) ||
	    !host_set(&e, "203.0.113.2", AGO(200), AGO(300)) ||
	    !host_set(&e, "203.0.113.3", AGO(10), AGO(10)) ||
	    !host_set(&e, "203.0.113.4", AGO(150), AGO(5)) ||
	    !host_set(&e, "203.0.113.5", AGO(120), 0))
		goto out;
	ASSERT_EQ(host_count(&e, 4), 8, "map full");

	install(&e, "198.51.100.1", HOSTS_INSTALLED, "first");
	expect_no_host(&e, "203.0.113.2", "first eviction: the oldest (200 s)");
	install(&e, "198.51.100.2", HOSTS_INSTALLED, "second");
	expect_no_host(&e, "203.0.113.5", "second eviction: 120 s");

	/* E1 is used now: younger than E3 and E4, so E3 goes next. */
	if (!ASSERT_OK(host_get(&e, "203.0.113.1", &h), "E1 present"))
		goto out;
	if (!host_set(&e, "203.0.113.1", (__u64)h.expires * NS, AGO(1)))
		goto out;
	install(&e, "198.51.100.3", HOSTS_INSTALLED, "third");
	expect_host(&e, "203.0.113.1", "used since the scan: skipped");
	expect_no_host(&e, "203.0.113.3", "third eviction: 10 s");
	install(&e, "198.51.100.4", HOSTS_INSTALLED, "fourth");
	expect_no_host(&e, "203.0.113.4", "fourth eviction: 5 s");
	install(&e, "198.51.100.5", HOSTS_INSTALLED, "fifth");
	expect_no_host(&e, "203.0.113.1", "fifth eviction: the one used 1 s ago");

	/* Only live entries left: refused, nothing evicted. */
	install(&e, "198.51.100.6", -ENOSPC, "nothing expired");
	expect_no_host(&e, "198.51.100.6", "refused");
	for (int i = 1; i <= 3; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "192.0.2.%d", i);
		expect_host(&e, addr, "live entries never evicted");
	}
	for (int i = 1; i <= 5; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		expect_host(&e, addr, "installed");
	}
	ASSERT_EQ(e.a.st.evicted, 5, "evicted");
	ASSERT_EQ(e.a.st.refused_full, 1, "refused for want of room");
	/* A renewal in place needs no room. */
	install(&e, "198.51.100.1", HOSTS_UNCHANGED, "same answer again");
out:
	finish(&e);
}

static void test_evict_full_event(void)
{
	static struct event_buf b;
	struct dns_msg m;
	struct env e;
	size_t size;

	if (!start(&e, "evict_full_event", 4))
		return;
	if (!rule_add(&e, "*.example.com", 0, TARGET) ||
	    !host_set(&e, "192.0.2.1", IN(100), 0) ||
	    !host_set(&e, "192.0.2.2", AGO(10), AGO(20)) ||
	    !host_set(&e, "192.0.2.3", AGO(30), AGO(40)) ||
	    !host_set(&e, "192.0.2.4", IN(100), 0))
		goto out;
	dns_answer_msg(&m, 9, "app.example.com", DNS_T_A);
	dns_rr_a(&m, DNS_QNAME_OFF, 600, "198.51.100.1");
	dns_rr_a(&m, DNS_QNAME_OFF, 600, "198.51.100.2");
	dns_rr_a(&m, DNS_QNAME_OFF, 600, "198.51.100.3");
	size = event_make(&b, &m, BPFROUTE_DNS_FULL, 0, 0, NOW);
	agent_event(&e.a, &b, size, NOW);
	expect_host(&e, "198.51.100.1", "FULL: first address, room made");
	expect_host(&e, "198.51.100.2", "FULL: second address, room made");
	expect_no_host(&e, "198.51.100.3", "FULL: third address, no expired entry left");
	expect_host(&e, "192.0.2.1", "live entry kept");
	expect_host(&e, "192.0.2.4", "live entry kept");
	ASSERT_EQ(e.a.st.evicted, 2, "both expired entries evicted");
	ASSERT_EQ(e.a.st.refused_full, 1, "one address refused");
out:
	finish(&e);
}

/*
 * hosts_reap() deletes only an entry still as the sweep saw it: a renewal
 * (which moves the slot's version) or a packet (which moves its last use)
 * in between keeps it.
 */
static void test_reap_renewed(void)
{
	struct bpfroute_host seen, h, fresh = { .ifindex = TARGET };
	struct addr a = A("203.0.113.9");
	struct bpfroute_host *s;
	struct env e;

	if (!start(&e, "reap_renewed", 8))
		return;
	if (!host_set(&e, "203.0.113.9", AGO(1000), AGO(1000)) ||
	    !ASSERT_OK(host_get(&e, "203.0.113.9", &seen), "read"))
		goto out;
	s = host_slot(&e, "203.0.113.9");
	if (!ASSERT_TRUE(s != NULL, "the agent's mapping has it"))
		goto out;
	ASSERT_TRUE(hosts_dead(&seen, SECS(NOW), IDLE), "dead when read");
	/* The kernel renews it between the sweep's read and its delete. */
	memcpy(fresh.addr, a.b, sizeof(fresh.addr));
	fresh.expires = SECS(IN(60));
	fresh.last_used = SECS(NOW);
	if (!ASSERT_EQ(lt_put(e.skel->obj, 4, &fresh), BPFROUTE_TABLE_RENEWED, "renew"))
		goto out;
	ASSERT_EQ(hosts_reap(agent_ht(&e.a, 4), s, &seen, SECS(NOW), &e.a.conf), -EAGAIN,
		  "renewed: kept");
	if (ASSERT_OK(host_get(&e, "203.0.113.9", &h), "still there"))
		ASSERT_EQ(h.expires, SECS(IN(60)), "with its new expiry");
	/* Used (last use moved) between the read and the delete: kept too. */
	if (!host_set(&e, "203.0.113.9", AGO(1000), AGO(1000)) ||
	    !ASSERT_OK(host_get(&e, "203.0.113.9", &seen), "read again") ||
	    !host_set(&e, "203.0.113.9", AGO(1000), AGO(2)))
		goto out;
	ASSERT_EQ(hosts_reap(agent_ht(&e.a, 4), s, &seen, SECS(NOW), NULL), -EAGAIN,
		  "used: kept");
	/* Expired, but by less than the grace the agent gives: kept. */
	if (!host_set(&e, "203.0.113.9", AGO(1), AGO(1000)) ||
	    !ASSERT_OK(host_get(&e, "203.0.113.9", &seen), "read, just expired"))
		goto out;
	ASSERT_EQ(hosts_reap(agent_ht(&e.a, 4), s, &seen, SECS(NOW), NULL), -EAGAIN,
		  "expired 1 s ago: within the grace, kept");
	/* Unchanged: deleted. */
	if (!host_set(&e, "203.0.113.9", AGO(1000), AGO(1000)) ||
	    !ASSERT_OK(host_get(&e, "203.0.113.9", &seen), "read once more"))
		goto out;
	ASSERT_OK(hosts_reap(agent_ht(&e.a, 4), s, &seen, SECS(NOW), NULL),
		  "unchanged and expired: gone");
	expect_no_host(&e, "203.0.113.9", "reaped");
	ASSERT_EQ(hosts_reap(agent_ht(&e.a, 4), s, &seen, SECS(NOW), NULL), -ENOENT,
		  "gone already");
	ASSERT_EQ(agent_ht(&e.a, 4)->ctl->live, 0, "live entries counted down");
	ASSERT_EQ(agent_ht(&e.a, 4)->ctl->dead, 1, "dead slots counted up");
out:
	finish(&e);
}

/* ---------------------------------------------------------------------------
 * Sweeping
 */

static void test_sweep(void)
{
	struct env e;
	int looked;

	if (!start(&e, "sweep", 64))
		return;
	if (/* Dead: expired 400 s ago, idle since (idle timeout 300 s). */
	    !host_set(&e, "203.0.113.1", AGO(400), AGO(500)) ||
	    /* Expired long ago but used 10 s ago: carries a connection. */
	    !host_set(&e, "203.0.113.3", AGO(400), AGO(10)) ||
	    /* Expired, not idle long enough yet. */
	    !host_set(&e, "203.0.113.4", AGO(100), AGO(200)) ||
	    /* Exactly idle_timeout: still alive for the classifier. */
	    !host_set(&e, "203.0.113.5", AGO(IDLE), 0) ||
	    /* Live. */
	    !host_set(&e, "203.0.113.6", IN(100), AGO(1000)) ||
	    /* Renewed: was dead, the kernel moved its expiry. */
	    !host_set(&e, "203.0.113.7", IN(30), AGO(5000)) ||
	    !host_set(&e, "2001:db8::dead", AGO(1000), AGO(1000)) ||
	    !host_set(&e, "2001:db8::1", AGO(1000), AGO(1)))
		goto out;
	looked = agent_sweep(&e.a, 4, NOW, UINT32_MAX);
	ASSERT_EQ(looked, agent_ht(&e.a, 4)->role[BPFROUTE_HOSTS_TABLE].n,
		  "every slot of the IPv4 table looked at");
	expect_no_host(&e, "203.0.113.1", "dead");
	expect_host(&e, "203.0.113.3", "expired but recently used");
	expect_host(&e, "203.0.113.4", "expired, not idle long enough");
	expect_host(&e, "203.0.113.5", "idle exactly idle_timeout");
	expect_host(&e, "203.0.113.6", "live");
	expect_host(&e, "203.0.113.7", "renewed");
	ASSERT_EQ(e.a.sweep[0].next, 0, "the pass completed");
	ASSERT_EQ(agent_ht(&e.a, 4)->ctl->live, 5, "entries left after the pass");
	agent_sweep(&e.a, 6, NOW, UINT32_MAX);
	expect_no_host(&e, "2001:db8::dead", "IPv6 dead");
	expect_host(&e, "2001:db8::1", "IPv6 expired but used");
	/* A reload to a shorter idle timeout applies to every entry at once. */
	e.a.conf.idle_timeout = 60;
	agent_sweep(&e.a, 4, NOW, UINT32_MAX);
	expect_no_host(&e, "203.0.113.4", "idle 100 s, past the new idle timeout of 60 s");
	expect_no_host(&e, "203.0.113.5", "idle 300 s, past the new idle timeout of 60 s");
	expect_host(&e, "203.0.113.3", "used 10 s ago: kept under the new idle timeout");
	ASSERT_EQ(agent_ht(&e.a, 4)->ctl->live, 3, "entries left after the second pass");
	ASSERT_EQ(e.a.st.expired, 4, "swept: 1 then 2 more under the new idle timeout, 1 IPv6");
	ASSERT_EQ(e.a.st.evicted, 0, "the sweep evicts nothing");
out:
	finish(&e);
}

/* A table bigger than the budget: the sweep goes a chunk of slots per call. */
static void test_sweep_chunks(void)
{
	const int total = 4096, budget = 4096;
	struct bpfroute_host h = { .ifindex = TARGET,
				   .expires = SECS(AGO(1000)), .last_used = SECS(AGO(1000)) };
	__u32 slots;
	struct env e;
	int calls = 0;

	if (!start(&e, "sweep_chunks", 2 * total))
		return;
	slots = agent_ht(&e.a, 4)->role[BPFROUTE_HOSTS_TABLE].n;
	for (int i = 0; i < total; i++) {
		memset(h.addr, 0, sizeof(h.addr));
		h.addr[0] = 10;
		h.addr[1] = (__u8)(i >> 16);
		h.addr[2] = (__u8)(i >> 8);
		h.addr[3] = (__u8)i;
		if (!ASSERT_EQ(lt_put(e.skel->obj, 4, &h), BPFROUTE_TABLE_INSTALLED, "fill"))
			goto out;
	}
	ASSERT_EQ(agent_sweep(&e.a, 4, NOW, budget), budget, "one chunk: the budget of slots");
	calls++;
	ASSERT_EQ(e.a.sweep[0].next, budget, "one chunk is not a pass");
	ASSERT_TRUE(host_count(&e, 4) > 0, "entries left after one chunk");
	do {
		agent_sweep(&e.a, 4, NOW, budget);
		calls++;
	} while (e.a.sweep[0].next && calls < 100);
	ASSERT_EQ(calls, (int)((slots + budget - 1) / budget),
		  "a pass takes as many calls as the budget goes into the table's slots");
	ASSERT_EQ(host_count(&e, 4), 0, "all dead entries swept");
	ASSERT_EQ(e.a.st.expired, total, "swept count");
out:
	finish(&e);
}

/* Put IPv4 entries 10.x.y.z for i in [from, to), alive for long. */
static bool fill_range(struct env *e, __u32 from, __u32 to)
{
	for (__u32 i = from; i < to; i++) {
		struct bpfroute_host h = { .ifindex = TARGET,
					   .expires = SECS(IN(1000)), .last_used = SECS(NOW) };

		h.addr[0] = 10;
		h.addr[1] = (__u8)(i >> 16);
		h.addr[2] = (__u8)(i >> 8);
		h.addr[3] = (__u8)i;
		if (lt_put(e->skel->obj, 4, &h) != BPFROUTE_TABLE_INSTALLED)
			return ASSERT_TRUE(false, "fill");
	}
	return true;
}

/* Delete IPv4 entries [from, to) of fill_range(). */
static bool kill_range(struct env *e, __u32 from, __u32 to)
{
	for (__u32 i = from; i < to; i++) {
		__u8 a[16] = { 10, (__u8)(i >> 16), (__u8)(i >> 8), (__u8)i };

		if (lt_del(e->skel->obj, 4, a))
			return ASSERT_TRUE(false, "delete");
	}
	return true;
}

static __u32 table_slots(struct env *e)
{
	return agent_ht(&e->a, 4)->role[BPFROUTE_HOSTS_TABLE].n;
}

/*
 * The agent sizes the table: bigger past half full, the same size without
 * the deleted slots past 60% taken, smaller under an eighth full; never
 * beyond what max-routes needs. Entries are kept through every rebuild.
 */
static void test_tables_fit(void)
{
	const __u32 min = BPFROUTE_TABLE_MIN_SLOTS;
	struct env e;

	if (!start(&e, "tables_fit", 100000))
		return;
	ASSERT_EQ(table_slots(&e), min, "a new table: the smallest");
	ASSERT_EQ(agent_tables_fit(&e.a, 4, NOW), 0, "empty: nothing to do");
	if (!fill_range(&e, 0, min / 2))
		goto out;
	ASSERT_EQ(agent_tables_fit(&e.a, 4, NOW), 0, "half full: not yet");
	if (!fill_range(&e, min / 2, min / 2 + 100))
		goto out;
	ASSERT_EQ(agent_tables_fit(&e.a, 4, NOW), 1, "past half full: rebuilt");
	ASSERT_EQ(table_slots(&e), 2 * min, "twice the slots");
	ASSERT_EQ(host_count(&e, 4), min / 2 + 100, "every entry kept");
	ASSERT_EQ(e.a.st.rebuilds, 1, "a rebuild counted");

	/* Deleted slots: a clean table of the same size. */
	if (!kill_range(&e, 0, 3 * min / 8) || !fill_range(&e, min, min + 3 * min / 4))
		goto out;
	ASSERT_EQ(agent_tables_fit(&e.a, 4, NOW), 1, "live and deleted past 60%: rebuilt");
	ASSERT_EQ(table_slots(&e), 2 * min, "the same size");
	ASSERT_EQ(agent_ht(&e.a, 4)->ctl->dead, 0, "without its deleted slots");
	ASSERT_EQ(host_count(&e, 4), min / 8 + 100 + 3 * min / 4, "every live entry kept");

	/* Mostly empty: smaller. */
	if (!kill_range(&e, 3 * min / 8, min / 2 + 100) ||
	    !kill_range(&e, min, min + 3 * min / 4 - 100))
		goto out;
	ASSERT_EQ(agent_tables_fit(&e.a, 4, NOW), 1, "under an eighth full: rebuilt");
	ASSERT_EQ(table_slots(&e), min, "back to the smallest");
	ASSERT_EQ(host_count(&e, 4), 100, "the last hundred kept");
	ASSERT_EQ(agent_tables_fit(&e.a, 4, NOW), 0, "fits now");
out:
	finish(&e);
}

/*
 * An address learned and deleted again and again takes a slot further on
 * each time (DEAD slots are never reused): the agent rebuilds before the
 * address's probe window is used up, however empty the table is.
 */
static void test_tables_fit_crowded(void)
{
	int cycles = 0;
	struct env e;

	if (!start(&e, "tables_fit_crowded", 100000))
		return;
	for (; cycles < 3 * BPFROUTE_TABLE_PROBES; cycles++) {
		if (!fill_range(&e, 0, 1) || !kill_range(&e, 0, 1))
			break;
		agent_tables_fit(&e.a, 4, NOW);
	}
	ASSERT_EQ(cycles, 3 * BPFROUTE_TABLE_PROBES, "learned again after every delete");
	ASSERT_TRUE(e.a.st.rebuilds >= 3, "rebuilt each time the window was half used");
	ASSERT_EQ(table_slots(&e), BPFROUTE_TABLE_MIN_SLOTS, "at the same size");
	finish(&e);
}

/* max-routes bounds the table: at max-routes it is half full, and grows no more. */
static void test_tables_fit_max_routes(void)
{
	const __u32 min = BPFROUTE_TABLE_MIN_SLOTS;
	struct env e;

	if (!start(&e, "tables_fit_max_routes", min / 2 + 10))
		return;
	if (!fill_range(&e, 0, min / 2 + 10))
		goto out;
	ASSERT_EQ(agent_tables_want(&e.a, 4), 2 * min, "past half full: twice");
	ASSERT_EQ(agent_tables_fit(&e.a, 4, NOW), 1, "rebuilt");
	ASSERT_EQ(agent_tables_want(&e.a, 4), 0, "at max-routes: no bigger");
out:
	finish(&e);
}

static void test_keep_room(void)
{
	struct env e;
	char addr[32];

	if (!start(&e, "keep_room", 128))
		return;
	for (int i = 0; i < 126; i++) {
		snprintf(addr, sizeof(addr), "10.0.0.%d", i);
		if (!host_set(&e, addr, IN(1000), 0))
			goto out;
	}
	if (!host_set(&e, "203.0.113.1", AGO(100), 0) ||
	    !host_set(&e, "203.0.113.2", AGO(50), 0))
		goto out;
	agent_keep_room(&e.a, 4, NOW);
	expect_no_host(&e, "203.0.113.1", "room made: the oldest expired entry");
	expect_host(&e, "203.0.113.2", "one free slot is enough");
	ASSERT_EQ(host_count(&e, 4), 127, "one slot free (1/128)");
	agent_keep_room(&e.a, 4, NOW);
	ASSERT_EQ(host_count(&e, 4), 127, "and no more");
out:
	finish(&e);
}

/* ---------------------------------------------------------------------------
 * Prefetch
 */

static void test_prefetch(void)
{
	struct config_resolver res = { .line = 1 };
	struct config cfg = { .prefetch = true, .resolvers = &res, .n_resolvers = 1 };
	struct bpfroute_host h;
	struct dns_msg m;
	struct env e;
	size_t edge;
	int i, i6;

	if (!start(&e, "prefetch", 64))
		return;
	res.addr.family = AF_INET;
	res.addr.len = 32;
	memcpy(res.addr.addr, A("192.0.2.99").b, 4);	/* never asked: no tick runs */
	if (!rule_add(&e, "app.example.com", 0, TARGET) ||
	    !rule_add(&e, "*.corp.example", 1, OTHER_TARGET) ||
	    !ASSERT_OK(agent_prefetch_setup(&e.a, &cfg, NOW), "agent_prefetch_setup"))
		goto out;
	ASSERT_EQ(agent_prefetch_count(&e.a), 2, "jobs: A and AAAA of the exact rule only");
	i = agent_prefetch_find(&e.a, 0, DNS_T_A);
	i6 = agent_prefetch_find(&e.a, 0, DNS_T_AAAA);
	if (!ASSERT_TRUE(i >= 0 && i6 >= 0, "jobs of app.example.com"))
		goto out;
	ASSERT_EQ(agent_prefetch_due(&e.a, (size_t)i), NOW, "due at start");

	/* app.example.com -> lb.example.net, two addresses. */
	dns_answer_msg(&m, 7, "app.example.com", DNS_T_A);
	edge = dns_rr_cname(&m, DNS_QNAME_OFF, 3600, "lb.example.net");
	dns_rr_a(&m, edge, 600, "203.0.113.5");
	dns_rr_a(&m, edge, 100, "203.0.113.6");
	dns_rr_a(&m, edge, 100, "192.0.2.99");
	agent_prefetch_result(&e.a, (size_t)i, ARES_SUCCESS, m.b, (int)m.len, NOW);
	expect_no_host(&e, "192.0.2.99", "the resolver asked");
	if (ASSERT_OK(host_get(&e, "203.0.113.5", &h), "203.0.113.5 prefetched")) {
		ASSERT_EQ(h.expires, SECS(IN(600)), "expiry from its TTL");
		ASSERT_EQ(h.rule, 0, "the rule's id");
		ASSERT_EQ(h.ifindex, TARGET, "the rule's target");
		ASSERT_EQ(h.name_id, name_id(&e, "app.example.com"), "origin: the rule's name");
		ASSERT_EQ(h.last_used, SECS(NOW), "last use: now");
	}
	if (ASSERT_OK(host_get(&e, "203.0.113.6", &h), "203.0.113.6 prefetched"))
		ASSERT_EQ(h.expires, SECS(IN(100)), "expiry from its TTL");
	expect_name(&e, "app.example.com", "prefetched name");
	ASSERT_EQ(agent_prefetch_due(&e.a, (size_t)i), IN(85), "next: at 85% of 100 s");

	/* Failures back off, doubling. */
	agent_prefetch_result(&e.a, (size_t)i, ARES_ETIMEOUT, NULL, 0, IN(85));
	ASSERT_EQ(agent_prefetch_due(&e.a, (size_t)i), IN(87), "first failure: 2 s");
	agent_prefetch_result(&e.a, (size_t)i, ARES_ESERVFAIL, NULL, 0, IN(87));
	ASSERT_EQ(agent_prefetch_due(&e.a, (size_t)i), IN(91), "second failure: 4 s");
	ASSERT_EQ(e.a.st.prefetch_failed, 2, "failures counted");
	/* A renewal at 91 s: expiry moves on, never back. */
	agent_prefetch_result(&e.a, (size_t)i, ARES_SUCCESS, m.b, (int)m.len, IN(91));
	if (ASSERT_OK(host_get(&e, "203.0.113.6", &h), "203.0.113.6 renewed"))
		ASSERT_EQ(h.expires, SECS(IN(191)), "renewed to 91 s + 100 s");
	ASSERT_EQ(agent_prefetch_due(&e.a, (size_t)i), IN(176), "success resets the backoff");

	/* No AAAA record: asked again after min-ttl. */
	dns_answer_msg(&m, 8, "app.example.com", DNS_T_AAAA);
	agent_prefetch_result(&e.a, (size_t)i6, ARES_ENODATA, m.b, (int)m.len, NOW);
	ASSERT_EQ(agent_prefetch_due(&e.a, (size_t)i6), IN(MIN_TTL), "NODATA: after min-ttl");
	ASSERT_EQ(host_count(&e, 6), 0, "no IPv6 entry");

	/* An answer to another question is not learned. */
	dns_answer_msg(&m, 9, "evil.example.com", DNS_T_A);
	dns_rr_a(&m, DNS_QNAME_OFF, 600, "203.0.113.66");
	agent_prefetch_result(&e.a, (size_t)i, ARES_SUCCESS, m.b, (int)m.len, IN(176));
	expect_no_host(&e, "203.0.113.66", "answer to another name");
	ASSERT_EQ(agent_prefetch_due(&e.a, (size_t)i), IN(178), "answer to another name: a failure");

	/* The rules change: the list follows, known names keep their schedule. */
	if (!rule_add(&e, "db.example.com", 2, TARGET))
		goto out;
	ASSERT_EQ(agent_prefetch_count(&e.a), 4, "jobs after a new exact rule");
	i = agent_prefetch_find(&e.a, 0, DNS_T_A);
	ASSERT_EQ(agent_prefetch_due(&e.a, (size_t)i), IN(178), "schedule kept");
	ASSERT_EQ(agent_prefetch_due(&e.a, (size_t)agent_prefetch_find(&e.a, 2, DNS_T_A)), NOW,
		  "new name due at once");

	cfg.prefetch = false;
	agent_prefetch_setup(&e.a, &cfg, NOW);
	ASSERT_EQ(agent_prefetch_count(&e.a), 0, "prefetch off: no jobs");
out:
	finish(&e);
}

/* ---------------------------------------------------------------------------
 * The kernel and the agent together
 */

#define CLIENT4		"192.0.2.10"
#define RESOLVER4	"192.0.2.53"
#define CPORT		40000

/* Ethernet, IPv4 and UDP around a DNS message; checksums are not checked on this path. */
static size_t frame_udp4(__u8 *f, bool query, const struct dns_msg *m)
{
	struct addr c = A(CLIENT4), s = A(RESOLVER4);
	__u8 *ip = f + ETH_HLEN, *udp = ip + 20;
	size_t len = ETH_HLEN + 20 + 8 + m->len;

	memset(f, 0, ETH_HLEN + 28);
	/* A query must reach us (lo's MAC, all zeros: PACKET_HOST); an answer leaves. */
	if (!query)
		memcpy(f, "\x02\0\x5e\x10\0\1", ETH_ALEN);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (__u8)((len - ETH_HLEN) >> 8);
	ip[3] = (__u8)(len - ETH_HLEN);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, query ? c.b : s.b, 4);
	memcpy(ip + 16, query ? s.b : c.b, 4);
	udp[0] = query ? CPORT >> 8 : 0;
	udp[1] = query ? CPORT & 0xff : 53;
	udp[2] = query ? 0 : CPORT >> 8;
	udp[3] = query ? 53 : CPORT & 0xff;
	udp[4] = (__u8)((8 + m->len) >> 8);
	udp[5] = (__u8)(8 + m->len);
	memcpy(udp + 8, m->b, m->len);
	return len;
}

static bool prog_run(int prog_fd, const struct dns_msg *m, bool query, const char *what)
{
	static __u8 in[3600], out[3600];
	/* Arriving on the LAN, which routes the client back (main()). */
	struct __sk_buff skb = { .ingress_ifindex = if_nametoindex("alan0") };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &skb, .ctx_size_in = sizeof(skb),
		    .repeat = 1);
	char msg[128];

	opts.data_size_in = (__u32)frame_udp4(in, query, m);
	return ASSERT_OK(bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : 0,
			 MSG(msg, "%s: bpf_prog_test_run_opts", what));
}

struct seen_event {
	struct agent *a;
	int n;
	__u8 verdict;
	__u16 learned;
};

static int seen_cb(void *ctx, void *data, size_t size)
{
	struct seen_event *s = ctx;
	const struct bpfroute_dns_event *ev = data;

	if (size >= sizeof(*ev)) {
		s->verdict = ev->verdict;
		s->learned = ev->learned;
	}
	s->n++;
	return agent_event(s->a, data, size, hosts_now_ns());
}

/* An answer with this many addresses more than the kernel learns alone. */
#define N_PAST_KERNEL	16

static void test_kernel_to_agent(void)
{
	const int n = BPFROUTE_DNS_LEARN_MAX + N_PAST_KERNEL;
	struct seen_event seen = {};
	struct ring_buffer *rb = NULL;
	struct dns_msg q, m;
	char addr[32], what[64];
	struct env e;
	size_t edge;

	if (!start(&e, "kernel_to_agent", 1024))
		return;
	seen.a = &e.a;
	if (!rule_add(&e, "*.example.com", 0, TARGET))
		goto out;
	rb = ring_buffer__new(e.maps.events, seen_cb, &seen, NULL);
	if (!ASSERT_TRUE(rb != NULL, "ring_buffer__new"))
		goto out;
	dns_query_msg(&q, 0x4242, "www.example.com", DNS_T_A);
	dns_answer_msg(&m, 0x4242, "www.example.com", DNS_T_A);
	edge = dns_rr_cname(&m, DNS_QNAME_OFF, 300, "edge.example.net");
	for (int i = 1; i <= n; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		dns_rr_a(&m, edge, 600, addr);
	}
	if (!prog_run(bpf_program__fd(e.skel->progs.bpfroute_steer), &q, true, "query") ||
	    !prog_run(bpf_program__fd(e.skel->progs.bpfroute_learn), &m, false, "answer"))
		goto out;
	ASSERT_EQ(host_count(&e, 4), BPFROUTE_DNS_LEARN_MAX,
		  MSG(what, "the kernel learned the first %d", BPFROUTE_DNS_LEARN_MAX));
	ring_buffer__consume(rb);
	ASSERT_EQ(seen.n, 1, "one event");
	ASSERT_EQ(seen.verdict, BPFROUTE_DNS_AGENT, "verdict: for the agent");
	ASSERT_EQ(seen.learned, BPFROUTE_DNS_LEARN_MAX, "learned by the kernel");
	ASSERT_EQ(host_count(&e, 4), n, "the agent installed the rest");
	for (int i = 1; i <= n; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		expect_host(&e, addr, MSG(what, "address %d", i));
	}
	ASSERT_EQ(e.a.st.installed, N_PAST_KERNEL,
		  "the agent changed only what the kernel had not done");
out:
	ring_buffer__free(rb);
	finish(&e);
}

/* A masqueraded flow: its outgoing entry, and its reply entry unless orphan. */
struct flow_spec {
	const char *client;
	__u16 cport;
	const char *remote;
	__u16 rport;
	__u8 proto;
	__u16 nat_port;		/* translated port (echo id for ICMP) */
	__u64 out_seen, in_seen;
	__u8 out_state, in_state;
	bool no_out, no_in;
	__u8 out_flags;		/* BPFROUTE_NAT_F_ESTABLISHED: it was established once */
};

static void flow_keys(const struct flow_spec *f, struct bpfroute_flow_key *out,
		      struct bpfroute_nat *o, struct bpfroute_flow_key *in, struct bpfroute_nat *i)
{
	struct addr c = A(f->client), r = A(f->remote), t = A("100.64.0.1");

	memset(out, 0, sizeof(*out));
	memset(o, 0, sizeof(*o));
	memcpy(out->saddr, c.b, 16);
	memcpy(out->daddr, r.b, 16);
	out->sport = htons(f->cport);
	out->dport = htons(f->proto == BPFROUTE_IPPROTO_ICMP ? f->cport : f->rport);
	out->family = 4;
	out->proto = f->proto;
	memcpy(o->addr, t.b, 16);
	o->port = htons(f->nat_port);
	o->state = f->out_state;
	o->flags = f->out_flags;
	o->last_seen_ns = f->out_seen;
	o->ifindex = TARGET;
	agent_flow_in_key(out, o, in);
	memset(i, 0, sizeof(*i));
	memcpy(i->addr, c.b, 16);
	i->port = htons(f->cport);
	i->state = f->in_state;
	i->last_seen_ns = f->in_seen;
	i->ifindex = 3;
}

static bool flow_put(struct env *e, const struct flow_spec *f)
{
	struct bpfroute_flow_key out, in;
	struct bpfroute_nat o, i;

	flow_keys(f, &out, &o, &in, &i);
	return (f->no_out || ASSERT_OK(bpf_map_update_elem(e->maps.nat_out, &out, &o, BPF_ANY),
				       "nat_out entry")) &&
	       (f->no_in || ASSERT_OK(bpf_map_update_elem(e->maps.nat_in, &in, &i, BPF_ANY),
				      "nat_in entry"));
}

/* Is either half of the flow still in the maps? */
static bool flow_there(struct env *e, const struct flow_spec *f, bool *out_there, bool *in_there)
{
	struct bpfroute_flow_key out, in;
	struct bpfroute_nat o, i;

	flow_keys(f, &out, &o, &in, &i);
	*out_there = !bpf_map_lookup_elem(e->maps.nat_out, &out, &o);
	*in_there = !bpf_map_lookup_elem(e->maps.nat_in, &in, &i);
	return *out_there || *in_there;
}

/* Add n to a client's two counters in bpfroute_natcli; its count after. */
static __s64 client_add(struct env *e, const char *client, __s64 n)
{
	struct addr c = A(client);
	__s64 min = INT64_MAX;

	for (__u32 row = 0; row < BPFROUTE_NAT_CLIENT_ROWS; row++) {
		__u32 i = bpfroute_client_slot(&e->conf, 4, c.b, row);
		__u64 v = 0;

		bpf_map_lookup_elem(e->maps.natcli, &i, &v);
		v += (__u64)n;
		bpf_map_update_elem(e->maps.natcli, &i, &v, BPF_ANY);
		if ((__s64)v < min)
			min = (__s64)v;
	}
	return min;
}

/*
 * Masqueraded flows time out by their state (include/bpfroute_policy.h),
 * judged on both directions together; a dead flow loses both entries, a
 * live one neither, and a reply entry left alone by a crash is swept too.
 * Every nat_out entry removed counts its client down in bpfroute_natcli.
 */
static void test_flows_sweep(void)
{
	enum { TCP = BPFROUTE_IPPROTO_TCP, UDP = BPFROUTE_IPPROTO_UDP,
	       ICMP = BPFROUTE_IPPROTO_ICMP };
	const __u8 NEW = BPFROUTE_FLOW_NEW, EST = BPFROUTE_FLOW_ESTABLISHED,
		   CLOSING = BPFROUTE_FLOW_CLOSING;
	const struct {
		struct flow_spec f;
		bool alive;
		const char *what;
	} cases[] = {
		{ { "192.0.2.2", 40000, "203.0.113.10", 443, TCP, 40000, AGO(7000), AGO(7100), NEW,
		    EST, false, false, 0 }, true, "TCP established, quiet for less than 7440 s" },
		{ { "192.0.2.2", 40001, "203.0.113.10", 443, TCP, 40001, AGO(8000), AGO(7500), NEW,
		    EST, false, false, 0 }, false, "TCP established, quiet for 7500 s" },
		{ { "192.0.2.2", 40002, "203.0.113.10", 443, TCP, 40002, AGO(200), 0, NEW, 0, false,
		    false, 0 }, false, "TCP opening, no reply for 200 s" },
		{ { "192.0.2.3", 40002, "203.0.113.10", 443, TCP, 51000, AGO(100), AGO(100), CLOSING,
		    EST, false, false, BPFROUTE_NAT_F_ESTABLISHED }, true,
		  "TCP closing for 100 s (remapped port)" },
		{ { "192.0.2.3", 40003, "203.0.113.10", 443, TCP, 40003, AGO(40), AGO(40), CLOSING,
		    NEW, false, false, 0 }, false, "TCP reset before it was established, 40 s ago" },
		{ { "192.0.2.3", 40004, "203.0.113.10", 443, TCP, 40004, AGO(40), AGO(40), NEW,
		    NEW, false, false, 0 }, false, "TCP half-open, SYN-ACK seen, quiet for 40 s" },
		{ { "192.0.2.3", 40005, "203.0.113.10", 443, TCP, 40005, AGO(20), 0, NEW, 0, false,
		    false, 0 }, true, "TCP half-open, no reply for 20 s" },
		{ { "192.0.2.2", 5353, "203.0.113.10", 53, UDP, 5353, AGO(400), AGO(400), NEW, EST, false, false, 0 },
		  false, "UDP quiet for 400 s" },
		{ { "192.0.2.2", 5354, "203.0.113.10", 53, UDP, 5354, AGO(500), AGO(100), NEW, EST, false, false, 0 },
		  true, "UDP with a reply 100 s ago" },
		{ { "192.0.2.2", 77, "203.0.113.10", 0, ICMP, 33000, AGO(90), AGO(90), NEW, EST, false, false, 0 },
		  false, "ICMP echo (remapped id) quiet for 90 s" },
		{ { "192.0.2.3", 77, "203.0.113.10", 0, ICMP, 77, AGO(10), AGO(10), NEW, EST, false, false, 0 }, true,
		  "ICMP echo quiet for 10 s" },
		{ { "192.0.2.4", 41000, "203.0.113.10", 80, TCP, 41000, 0, AGO(8000), 0, EST, true,
		    false, 0 }, false, "a reply entry without its outgoing half, quiet for 8000 s" },
		{ { "192.0.2.4", 41001, "203.0.113.10", 80, TCP, 41001, 0, AGO(1000), 0, EST, true,
		    false, 0 }, true, "a reply entry without its outgoing half, quiet for 1000 s" },
	};
	const int n = sizeof(cases) / sizeof(cases[0]);
	int removed, dead = 0;
	struct env e;

	if (!start(&e, "flows_sweep", 64))
		return;
	for (int k = 0; k < n; k++) {
		if (!flow_put(&e, &cases[k].f))
			goto out;
		dead += !cases[k].alive;
		/* Counted as the datapath counts: one per nat_out entry. */
		if (!cases[k].f.no_out)
			client_add(&e, cases[k].f.client, 1);
	}
	removed = agent_flows_sweep(&e.a, NOW, UINT32_MAX);
	ASSERT_EQ(client_add(&e, "192.0.2.2", 0), 2, "192.0.2.2: 2 flows left counted");
	ASSERT_EQ(client_add(&e, "192.0.2.3", 0), 3, "192.0.2.3: 3 flows left counted");
	ASSERT_EQ(client_add(&e, "192.0.2.4", 0), 0, "192.0.2.4: no nat_out, no count");
	ASSERT_EQ(removed, dead, "flows removed");
	for (int k = 0; k < n; k++) {
		bool o, i;
		char m[160];

		flow_there(&e, &cases[k].f, &o, &i);
		if (cases[k].alive) {
			snprintf(m, sizeof(m), "%s: its halves kept", cases[k].what);
			ASSERT_TRUE((o || cases[k].f.no_out) && (i || cases[k].f.no_in), m);
		} else {
			snprintf(m, sizeof(m), "%s: both halves removed", cases[k].what);
			ASSERT_TRUE(!o && !i, m);
		}
	}
	ASSERT_EQ(e.a.st.flows_expired, dead, "flows_expired counted");
out:
	finish(&e);
}

/*
 * The agent's sandbox (user/sandbox.c), in a child each: what the loop does
 * still works, the rest ends in SIGSYS, whose handler exits 128 + SIGSYS.
 */
enum sandbox_try {
	TRY_LOOP,		/* map ops on a held fd, BPF_MAP_CREATE, a file, a UDP socket */
	TRY_PROG_LOAD,
	TRY_MAP_BY_ID,
	TRY_UNIX_SOCKET,
	TRY_NETLINK_SOCKET,
	TRY_TIOCSTI,
	TRY_EXECVE,
	TRY_OPEN_WRITE,
};

/* In the child: the /proc/self/status line of field, or "". */
static void status_field(const char *field, char *buf, size_t size)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	size_t len = strlen(field);

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			snprintf(buf, size, "%s", line + len + 1 + strspn(line + len + 1, " \t"));
			buf[strcspn(buf, "\n")] = '\0';
		}
	}
	if (f)
		fclose(f);
}

/* The child's exit code: 0, or the number of the step that went wrong. */
static int sandbox_child(enum sandbox_try what, int map_fd)
{
	union bpf_attr attr = {};
	struct pindir pd;
	char buf[64];
	__u32 k = 0, v = 7;
	int fd;

	if (sandbox_enter())
		return 1;
	switch (what) {
	case TRY_LOOP:
		if (bpf_map_update_elem(map_fd, &k, &v, BPF_ANY) ||
		    bpf_map_lookup_elem(map_fd, &k, &v) || v != 7)
			return 2;
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sandbox_t", 4, 4, 1, NULL);
		if (fd < 0)
			return 3;
		close(fd);
		status_field("CapEff", buf, sizeof(buf));
		if (strcmp(buf, "0000008000000000"))
			return 4;
		status_field("NoNewPrivs", buf, sizeof(buf));
		if (strcmp(buf, "1"))
			return 5;
		status_field("Seccomp", buf, sizeof(buf));
		if (strcmp(buf, "2"))
			return 6;
		fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 7;
		close(fd);
		/* The pin directory: its owner check and its lock (pindir.c). */
		if (pindir_open(&pd, "/", false))
			return 8;
		pindir_close(&pd);
		return 0;
	case TRY_PROG_LOAD:
		syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
		return 10;
	case TRY_MAP_BY_ID:
		bpf_map_get_fd_by_id(1);
		return 10;
	case TRY_UNIX_SOCKET:
		socket(AF_UNIX, SOCK_STREAM, 0);
		return 10;
	case TRY_NETLINK_SOCKET:
		socket(AF_NETLINK, SOCK_RAW, 0);
		return 10;
	case TRY_TIOCSTI:
		ioctl(STDIN_FILENO, TIOCSTI, "x");
		return 10;
	case TRY_EXECVE:
		execl("/bin/true", "true", (char *)NULL);
		return 10;
	case TRY_OPEN_WRITE:
		/* A file of its own, root's: uid 0 could, the sandbox must not. */
		open("/proc/self/comm", O_WRONLY | O_CLOEXEC);
		return 10;
	}
	return 10;
}

static void sandbox_case(const char *name, enum sandbox_try what, int map_fd, int want)
{
	int status = 0;
	pid_t pid;

	test__start_subtest(name);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* The refused ones name their syscall on stderr: not in the test's log. */
		if (what != TRY_LOOP) {
			int null = open("/dev/null", O_WRONLY);

			if (null >= 0)
				dup2(null, STDERR_FILENO);
		}
		_exit(sandbox_child(what, map_fd));
	}
	if (ASSERT_TRUE(pid > 0, "fork") && ASSERT_EQ(waitpid(pid, &status, 0), pid, "waitpid"))
		ASSERT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status),
			  want, "the child's exit code (0 ok, 159 SIGSYS handled, 1000+N signal N)");
	test__end_subtest();
}

/* ---------------------------------------------------------------------------
 * The fleet: the export and import tables (agent_export.c, agent_import.c)
 */

/* The prefixes of a table's routes of our protocol, as sorted "ADDR/LEN " words. */
struct table_text {
	char w[32][INET6_ADDRSTRLEN + 5];
	size_t n;
	char s[1024];
};

static int table_text_one(const struct rtable_route *r, void *ctx)
{
	struct table_text *t = ctx;
	char a[INET6_ADDRSTRLEN];

	if (t->n == 32)
		return -E2BIG;
	inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->addr, a, sizeof(a));
	snprintf(t->w[t->n++], sizeof(t->w[0]), "%s/%u", a, r->len);
	return 0;
}

static int cmp_word(const void *a, const void *b)
{
	return strcmp(a, b);
}

static const char *table_routes(__u32 table, struct table_text *t)
{
	int fd = nl_open(NETLINK_ROUTE, 1000);

	t->n = 0;
	t->s[0] = '\0';
	if (fd < 0)
		return "?";
	for (int family = 4; family <= 6; family += 2)
		if (rtable_dump(fd, family, table, RTABLE_PROTO, table_text_one, t))
			snprintf(t->s, sizeof(t->s), "? ");
	close(fd);
	qsort(t->w, t->n, sizeof(t->w[0]), cmp_word);
	for (size_t i = 0; i < t->n; i++) {
		size_t n = strlen(t->s);

		snprintf(t->s + n, sizeof(t->s) - n, "%s ", t->w[i]);
	}
	return t->s;
}

/* Rounds of the export until it has nothing under way (bounded). */
static void export_settle(struct env *e, __u64 now)
{
	for (int i = 0; i < 1000; i++) {
		agent_export_round(&e->a, now);
		if (!agent_export_busy(&e->a))
			return;
	}
}

static bool fleet_config(const char *text, struct config *cfg)
{
	char err[256];

	return ASSERT_OK(config_parse_string("fleet.conf", text, cfg, err, sizeof(err)), err);
}

static void test_fleet_export(void)
{
	struct config cfg = {}, moved = {}, off = {};
	struct table_text t;
	struct rtable_op stale = { .family = 4, .len = 32, .addr = { 192, 0, 2, 77 } };
	int fd = -1;
	struct env e;

	if (!start(&e, "fleet_export", 64))
		return;
	if (!own_netns) {
		test__skip("not in a network namespace of its own");
		goto out;
	}
	if (!fleet_config("interface lan0\nroute 198.51.100.0/24 dev wg0\nexport table 100\n"
			  "export prefixes yes\n", &cfg) ||
	    !fleet_config("interface lan0\nroute 198.51.100.0/24 dev wg0\nexport table 300\n",
			  &moved) ||
	    !fleet_config("interface lan0\nroute 198.51.100.0/24 dev wg0\n", &off))
		goto out;
	fd = nl_open(NETLINK_ROUTE, 1000);
	if (!ASSERT_TRUE(fd >= 0, "rtnetlink socket") ||
	    !host_set(&e, "203.0.113.1", IN(100), NOW) ||
	    !host_set(&e, "2001:db8::1", IN(100), NOW) ||
	    /* Dead: not announced. */
	    !host_set(&e, "203.0.113.2", AGO(400), AGO(500)) ||
	    /* Expired but carrying a connection: the peer keeps steering it too. */
	    !host_set(&e, "203.0.113.4", AGO(400), AGO(10)) ||
	    !host_set(&e, "203.0.113.3", IN(100), NOW))
		goto out;
	/* Imported: never announced again. */
	host_slot(&e, "203.0.113.3")->rule = BPFROUTE_RULE_IMPORTED;
	/* A route an earlier run left behind, for an entry gone since. */
	ASSERT_EQ(rtable_write_checked(100, &stale, 1), 0, "a stale route of ours");

	ASSERT_OK(agent_export_setup(&e.a, &cfg, fd, NOW), "agent_export_setup");
	ASSERT_EQ(agent_export_routes(&e.a), 1, "the stale route read back");
	export_settle(&e, NOW);
	ASSERT_STREQ(table_routes(100, &t),
		     "198.51.100.0/24 2001:db8::1/128 203.0.113.1/32 203.0.113.4/32 ",
		     "table 100: live entries and the prefix; not the dead, imported, stale");
	ASSERT_EQ(e.a.st.export_written, 4, "routes written");
	ASSERT_EQ(e.a.st.export_removed, 1, "the stale one removed");

	/* Learned: the fill counters move, and the next round after the gap sees it. */
	host_set(&e, "203.0.113.5", IN(100), NOW);
	agent_export_round(&e.a, NOW + 1);
	ASSERT_TRUE(!strstr(table_routes(100, &t), "203.0.113.5/32"), "no walk within the gap");
	export_settle(&e, NOW + 200 * 1000 * 1000ULL);
	ASSERT_TRUE(strstr(table_routes(100, &t), "203.0.113.5/32") != NULL,
		    "a new entry, after the gap");
	/* Dead without a write: found by the periodic walk. */
	host_set(&e, "203.0.113.1", AGO(400), AGO(500));
	export_settle(&e, NOW + 6 * NS);
	ASSERT_TRUE(!strstr(table_routes(100, &t), "203.0.113.1/"), "a dead entry's route goes");

	/* A table a rule uses is refused by the writer, whatever the agent asks. */
	if (ASSERT_OK(system("ip rule add from 192.0.2.99 table 100 prio 1000"), "ip rule add")) {
		char err[256] = "";

		ASSERT_EQ(rtable_write_checked(100, &stale, 1), -EPERM, "table of a rule refused");
		/* And load (load_prepare()) refuses the config in one line. */
		ASSERT_EQ(rtable_check_tables(&cfg, err, sizeof(err)), -EBUSY, "the config refused");
		ASSERT_STREQ(err, "fleet.conf:3: export table 100: an ip rule looks it up, so its "
			     "routes would change forwarding; choose a table no rule names", "why");
		ASSERT_OK(system("ip rule del from 192.0.2.99 table 100 prio 1000"), "ip rule del");
	}
	ASSERT_EQ(rtable_write_checked(254, &stale, 1), -EPERM, "the main table refused");

	/* Moved to another table: the old one is emptied of ours. */
	ASSERT_OK(agent_export_setup(&e.a, &moved, -1, NOW + 7 * NS), "export moved");
	export_settle(&e, NOW + 7 * NS);
	ASSERT_STREQ(table_routes(100, &t), "", "table 100 after the move");
	ASSERT_STREQ(table_routes(300, &t),
		     "2001:db8::1/128 203.0.113.4/32 203.0.113.5/32 ",
		     "table 300: the entries, no prefix (export prefixes no)");
	ASSERT_OK(agent_export_setup(&e.a, &off, -1, NOW + 8 * NS), "export off");
	ASSERT_STREQ(table_routes(300, &t), "", "table 300 after export is off");
out:
	if (fd >= 0)
		close(fd);
	config_free(&cfg);
	config_free(&moved);
	config_free(&off);
	finish(&e);
}

/* Rounds of the import (bounded, the kernel's answers are asynchronous) until done(). */
static bool import_until(struct env *e, bool (*done)(struct env *e))
{
	for (int i = 0; i < 200; i++) {
		agent_import_round(&e->a, NOW);
		if (done(e))
			return true;
		usleep(5000);
	}
	return false;
}

static bool imported(struct env *e, const char *s)
{
	struct bpfroute_host h;

	return !host_get(e, s, &h) && h.rule == BPFROUTE_RULE_IMPORTED;
}

static bool first_read(struct env *e)
{
	return imported(e, "203.0.113.10") && e->a.st.import_withdrawn == 1;
}

static bool v6_added(struct env *e)
{
	return imported(e, "2001:db8::10");
}

static bool v4_withdrawn(struct env *e)
{
	struct bpfroute_host h;

	return !host_get(e, "203.0.113.10", &h) && h.expires == SECS(NOW);
}

static void route_cmd(const char *what, const char *cmd)
{
	ASSERT_OK(system(cmd), what);
}

static void test_fleet_import(void)
{
	struct agent_fleet_fds fds = { -1, -1, -1 };
	struct bpfroute_host h;
	struct config cfg = {};
	struct env e;

	if (!start(&e, "fleet_import", 64))
		return;
	if (!own_netns) {
		test__skip("not in a network namespace of its own");
		goto out;
	}
	if (!fleet_config("interface lan0\nroute 198.51.100.0/24 dev wg0\n"
			  "import table 200 dev wg0\n", &cfg) ||
	    !ASSERT_OK(agent_fleet_open(&fds), "agent_fleet_open"))
		goto out;
	/* There before the agent: read by the first dump. */
	route_cmd("route in table 200", "ip route add blackhole 203.0.113.10/32 table 200");
	/* Learned here: the local entry wins over the same address imported. */
	route_cmd("route for a local entry", "ip route add blackhole 203.0.113.11/32 table 200");
	/* Not host routes, or not table 200: ignored. */
	route_cmd("a /24", "ip route add blackhole 203.0.113.0/24 table 200");
	route_cmd("another table", "ip route add blackhole 203.0.113.13/32 table 201");
	if (!host_set(&e, "203.0.113.11", IN(100), NOW) ||
	    /* Imported before a restart and withdrawn meanwhile: expires at the first dump. */
	    !host_set(&e, "203.0.113.12", IN(5000), NOW))
		goto out;
	host_slot(&e, "203.0.113.12")->rule = BPFROUTE_RULE_IMPORTED;

	ASSERT_OK(agent_import_setup(&e.a, &cfg, &fds, TARGET, NOW), "agent_import_setup");
	ASSERT_TRUE(import_until(&e, first_read), "the table read at start");
	if (ASSERT_OK(host_get(&e, "203.0.113.10", &h), "203.0.113.10 imported")) {
		ASSERT_EQ(h.ifindex, TARGET, "to the import device");
		ASSERT_EQ(h.expires, SECS(NOW) + MAX_TTL, "for max-ttl");
	}
	if (ASSERT_OK(host_get(&e, "203.0.113.11", &h), "203.0.113.11 still there"))
		ASSERT_EQ(h.rule, 0, "the local entry kept its rule");
	ASSERT_EQ(e.a.st.import_local, 1, "one left to the local entry");
	if (ASSERT_OK(host_get(&e, "203.0.113.12", &h), "203.0.113.12 still there"))
		ASSERT_EQ(h.expires, SECS(NOW), "withdrawn while the agent was away: expired now");
	expect_no_host(&e, "203.0.113.0", "the /24 is not a host route");
	expect_no_host(&e, "203.0.113.13", "table 201 is not imported");
	ASSERT_EQ(agent_import_routes(&e.a), 2, "host routes of table 200");

	/* Announced later: the notification. */
	route_cmd("an IPv6 route", "ip -6 route add blackhole 2001:db8::10/128 table 200");
	ASSERT_TRUE(import_until(&e, v6_added), "2001:db8::10 imported from the notification");
	/* Withdrawn: expires now, stays until idle. */
	route_cmd("route del", "ip route del 203.0.113.10/32 table 200");
	ASSERT_TRUE(import_until(&e, v4_withdrawn), "203.0.113.10 expires at the withdrawal");
	ASSERT_EQ(e.a.st.import_withdrawn, 2, "withdrawals");
	/* Import off: the sockets stay open for a later reload; nothing more is read. */
	config_free(&cfg);
	if (fleet_config("interface lan0\nroute 198.51.100.0/24 dev wg0\n", &cfg))
		ASSERT_OK(agent_import_setup(&e.a, &cfg, &fds, 0, NOW), "import off");
	ASSERT_EQ(agent_import_routes(&e.a), 0, "nothing imported any more");
out:
	system("ip route flush table 200 2>/dev/null; ip -6 route flush table 200 2>/dev/null; "
	       "ip route flush table 201 2>/dev/null");
	agent_fleet_close(&fds);
	config_free(&cfg);
	finish(&e);
}

/* The set the export and import keep: adds, finds and removals at scale. */
static void test_addrset(void)
{
	struct addrset s = {};
	__u8 a[16] = {};
	bool added, ok = true;
	const int n = 20000;

	test__start_subtest("addrset");
	for (int i = 0; i < n && ok; i++) {
		struct addrset_entry *e;

		memcpy(a, &(__u32){ (__u32)i * 2654435761U }, 4);
		e = addrset_get(&s, i % 2 ? 4 : 6, i % 2 ? 32 : 128, a, &added);
		ok = ASSERT_TRUE(e && added, "added");
		if (ok)
			e->mark = (__u32)i;
	}
	ASSERT_EQ(s.n, n, "entries");
	/* Every other one goes, by a walk as the export's (a removal may shift the next back). */
	for (size_t i = 0; i < s.cap;) {
		if (s.e[i].family && s.e[i].mark % 4 < 2) {
			addrset_del(&s, &s.e[i]);
			continue;
		}
		i++;
	}
	ASSERT_EQ(s.n, n / 2, "entries after the walk");
	for (int i = 0; i < n && ok; i++) {
		struct addrset_entry *e;

		memcpy(a, &(__u32){ (__u32)i * 2654435761U }, 4);
		e = addrset_find(&s, i % 2 ? 4 : 6, i % 2 ? 32 : 128, a);
		ok = ASSERT_EQ(e != NULL, i % 4 >= 2, "found exactly the kept ones");
		if (ok && e)
			ok = ASSERT_EQ(e->mark, (__u32)i, "its mark");
	}
	/* The same address in the other family, or with another length, is another entry. */
	memcpy(a, &(__u32){ 3 * 2654435761U }, 4);
	ASSERT_TRUE(!addrset_find(&s, 6, 128, a), "same bytes, other family");
	ASSERT_TRUE(!addrset_find(&s, 4, 24, a), "same bytes, other length");
	addrset_free(&s);
	test__end_subtest();
}

static void test_sandbox(void)
{
	int map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sandbox_m", 4, 4, 1, NULL);

	if (map_fd < 0) {
		test__start_subtest("sandbox_loop");
		test__skip("no BPF map");
		test__end_subtest();
		return;
	}
	sandbox_case("sandbox_loop", TRY_LOOP, map_fd, 0);
	sandbox_case("sandbox_refuses_prog_load", TRY_PROG_LOAD, map_fd, 128 + SIGSYS);
	sandbox_case("sandbox_refuses_map_by_id", TRY_MAP_BY_ID, map_fd, 128 + SIGSYS);
	sandbox_case("sandbox_refuses_unix_socket", TRY_UNIX_SOCKET, map_fd, 128 + SIGSYS);
	sandbox_case("sandbox_refuses_netlink", TRY_NETLINK_SOCKET, map_fd, 128 + SIGSYS);
	sandbox_case("sandbox_refuses_tiocsti", TRY_TIOCSTI, map_fd, 128 + SIGSYS);
	sandbox_case("sandbox_refuses_execve", TRY_EXECVE, map_fd, 128 + SIGSYS);
	sandbox_case("sandbox_refuses_open_write", TRY_OPEN_WRITE, map_fd, 128 + SIGSYS);
	close(map_fd);
}

int main(int argc, char **argv)
{
	test__init(argc, argv);

	libbpf_set_print(libbpf_print);
	log_set_level(LOG_WARN);
	own_netns = !unshare(CLONE_NEWNET);
	if (!own_netns)
		fprintf(stderr, "  note: unshare(CLONE_NEWNET): %s; running in the caller's "
			"network namespace\n", strerror(errno));
	/*
	 * Our own namespace: a LAN with the clients' subnet, forwarding
	 * on, so that the classifier finds a query's source routed back out
	 * the interface it came in on and records it.
	 */
	else if (system("ip link add alan0 type veth peer name alan0p && "
			"ip link set alan0p up && ip link set alan0 up && "
			"ip addr add 192.0.2.1/24 dev alan0 && "
			"sysctl -qw net.ipv4.conf.all.forwarding=1"))
		fprintf(stderr, "  note: setting up a LAN for the queries failed\n");

	RUN_TEST(test_lifetime_and_special);
	RUN_TEST(test_name_wire);
	RUN_TEST(test_nul_label_owner);
	RUN_TEST(test_output_escaped);
	RUN_TEST(test_cares_offchain);
	RUN_TEST(test_parse_refusals);
	RUN_TEST(test_event_chain);
	RUN_TEST(test_event_clients);
	RUN_TEST(test_event_kinds);
	RUN_TEST(test_bypass);
	RUN_TEST(test_bypass_reload);
	RUN_TEST(test_evict_lru);
	RUN_TEST(test_evict_full_event);
	RUN_TEST(test_reap_renewed);
	RUN_TEST(test_sweep);
	RUN_TEST(test_sweep_chunks);
	RUN_TEST(test_flows_sweep);
	RUN_TEST(test_keep_room);
	RUN_TEST(test_tables_fit);
	RUN_TEST(test_tables_fit_max_routes);
	RUN_TEST(test_tables_fit_crowded);
	RUN_TEST(test_prefetch);
	RUN_TEST(test_kernel_to_agent);
	RUN_TEST(test_addrset);
	RUN_TEST(test_fleet_export);
	RUN_TEST(test_fleet_import);
	RUN_TEST(test_sandbox);
	RUN_TEST(test_metrics_walk);
	RUN_TEST(test_metrics_rule_bound);
	RUN_TEST(test_reload_atomic);
	RUN_TEST(test_metrics_text);
	RUN_TEST(test_metrics_http_parse);
	RUN_TEST(test_links);
	return test__exit_status();
}
