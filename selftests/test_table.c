// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of the learned tables (include/bpfroute_table.h through
 * user/hosttable.c) on the maps of a skeleton loaded here: adding, renewing,
 * refusing, deleting, the filter, rebuilding, and that the classifier
 * (bpfroute_steer under BPF_PROG_TEST_RUN) finds exactly what user space
 * put there: the two sides hash, probe and lay slots out alike.
 *
 * As in test_tc.c, the binary runs in a network namespace of its own, where
 * test_run's eth_type_trans() against lo makes a frame to the all-zero MAC
 * PACKET_HOST. Run as root; without the privileges every subtest is skipped.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_abi.h"
#include "bpfroute_tc.skel.h"
#include "fixtures.h"
#include "frames.h"
#include "pkt.h"
#include "test.h"

TEST_STATE_DEFINE;

#define TARGET		11	/* a target ifindex: test_run does not redirect */
#define NOW_S		100000	/* a time, in the seconds entries keep */

static const char *skip_reason;

struct env {
	struct bpfroute_tc *skel;
	struct bpfroute_maps maps;
	struct bpfroute_conf conf;
	struct hosttable ht4, ht6;
	bool open;
};

/* A fresh skeleton with its tables, max-routes max_routes, both families mapped. */
static bool start(struct env *e, const char *name, __u32 max_routes)
{
	int err;

	memset(e, 0, sizeof(*e));
	test__start_subtest(name);
	if (skip_reason) {
		test__skip(skip_reason);
		return false;
	}
	e->skel = bpfroute_tc__open_and_load();
	if (!e->skel) {
		err = -errno;
		if (err == -EPERM || err == -EACCES) {
			skip_reason = "loading BPF needs CAP_BPF and CAP_NET_ADMIN (run as root)";
			test__skip(skip_reason);
			return false;
		}
		ASSERT_OK(err, "bpfroute_tc__open_and_load");
		test__end_subtest();
		return false;
	}
	maps_from_object(e->skel->obj, &e->maps);
	e->conf = (struct bpfroute_conf){
		.hash_key = { 0x1122334455667788ULL, 0x99aabbccddeeff00ULL },
		.min_ttl = 30,
		.max_ttl = 86400,
		.idle_timeout = 300,
		.max_routes = max_routes,
	};
	if (ASSERT_OK(bpf_map_update_elem(e->maps.conf, &(__u32){ 0 }, &e->conf, BPF_ANY) ?
		      -errno : 0, "write bpfroute_conf") &&
	    ASSERT_OK(lt_setup(e->skel->obj), "making the tables") &&
	    ASSERT_OK(hosttable_open(&e->maps, 4, &e->ht4), "map the IPv4 table") &&
	    ASSERT_OK(hosttable_open(&e->maps, 6, &e->ht6), "map the IPv6 table")) {
		e->open = true;
		return true;
	}
	hosttable_close(&e->ht4);
	hosttable_close(&e->ht6);
	bpfroute_tc__destroy(e->skel);
	test__end_subtest();
	return false;
}

static void finish(struct env *e)
{
	hosttable_close(&e->ht4);
	hosttable_close(&e->ht6);
	bpfroute_tc__destroy(e->skel);
	test__end_subtest();
}

/* The i-th address of a family: spread over 10.0.0.0/8 or 2001:db8::/32. */
static void addr_of(int family, __u32 i, __u8 *a)
{
	memset(a, 0, 16);
	if (family == 4) {
		a[0] = 10;
		a[1] = (__u8)(i >> 16);
		a[2] = (__u8)(i >> 8);
		a[3] = (__u8)i;
	} else {
		a[0] = 0x20;
		a[1] = 0x01;
		a[2] = 0x0d;
		a[3] = 0xb8;
		a[12] = (__u8)(i >> 24);
		a[13] = (__u8)(i >> 16);
		a[14] = (__u8)(i >> 8);
		a[15] = (__u8)i;
	}
}

static struct bpfroute_host entry(int family, __u32 i, __u32 expires, __u16 rule)
{
	struct bpfroute_host h = {
		.ifindex = TARGET,
		.expires = expires,
		.last_used = NOW_S,
		.rule = rule,
		.name_id = 0xabcdef00 + i,
	};

	addr_of(family, i, h.addr);
	return h;
}

static struct hosttable *ht_of(struct env *e, int family)
{
	return family == 4 ? &e->ht4 : &e->ht6;
}

/* The home slot of an address in a table of its family. */
static __u32 home_of(struct env *e, int family, const __u8 *a)
{
	__u64 w[2];

	bpfroute_table_key(a, w);
	return (__u32)bpfroute_table_hash(&e->conf, w) &
	       (ht_of(e, family)->role[BPFROUTE_HOSTS_TABLE].n - 1);
}

/* ---------------------------------------------------------------------------
 * Adding, renewing, refusing, deleting
 */

static void test_put_find_renew(void)
{
	struct bpfroute_host h, *s;
	struct env e;
	char m[160];

	if (!start(&e, "put_find_renew", 4096))
		return;
	for (int family = 4; family <= 6; family += 2)
		for (__u32 i = 0; i < 1000; i++) {
			h = entry(family, i, NOW_S + 600, 1);
			if (!ASSERT_EQ(hosttable_learn(ht_of(&e, family), &e.conf, &h),
				       BPFROUTE_TABLE_INSTALLED, MSG(m, "IPv%d %u: installed", family, i)))
				goto out;
		}
	ASSERT_EQ(e.ht4.ctl->live, 1000, "IPv4 live entries counted");
	ASSERT_EQ(e.ht6.ctl->live, 1000, "IPv6 live entries counted");
	for (int family = 4; family <= 6; family += 2)
		for (__u32 i = 0; i < 1000; i++) {
			h = entry(family, i, NOW_S + 600, 1);
			s = hosttable_find(ht_of(&e, family), &e.conf, h.addr);
			if (!ASSERT_TRUE(s != NULL, MSG(m, "IPv%d %u found", family, i)))
				goto out;
			ASSERT_MEMEQ((__u8 *)s + 4, (__u8 *)&h + 4, sizeof(h) - 4,
				     MSG(m, "IPv%d %u: the fields as put", family, i));
			ASSERT_EQ(s->state, BPFROUTE_SLOT_LIVE | 1U << 2,
				  MSG(m, "IPv%d %u: live, version 1", family, i));
		}
	/* Neighbours of learned addresses are not there. */
	h = entry(4, 1000, 0, 0);
	ASSERT_TRUE(!hosttable_find(&e.ht4, &e.conf, h.addr), "an address not put: not found");

	/* The same answer again changes nothing, not even the version. */
	h = entry(4, 7, NOW_S + 600, 1);
	ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &h), BPFROUTE_TABLE_UNCHANGED, "same again");
	s = hosttable_find(&e.ht4, &e.conf, h.addr);
	if (!ASSERT_TRUE(s != NULL, "entry 7"))
		goto out;
	ASSERT_EQ(s->state, BPFROUTE_SLOT_LIVE | 1U << 2, "unchanged: version 1");
	/* A longer life renews and moves the version on; a shorter one does not shorten. */
	h.expires = NOW_S + 900;
	ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &h), BPFROUTE_TABLE_RENEWED, "longer TTL");
	ASSERT_EQ(s->expires, NOW_S + 900, "expiry moved out");
	ASSERT_EQ(s->state, BPFROUTE_SLOT_LIVE | 2U << 2, "renewed: version 2");
	h.expires = NOW_S + 60;
	ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &h), BPFROUTE_TABLE_UNCHANGED, "shorter TTL");
	ASSERT_EQ(s->expires, NOW_S + 900, "expiry never moves back");
	/* Another rule and target are taken, whatever the expiry. */
	h.rule = 2;
	h.ifindex = TARGET + 1;
	ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &h), BPFROUTE_TABLE_RENEWED, "another rule");
	ASSERT_EQ(s->rule, 2, "rule taken");
	ASSERT_EQ(s->ifindex, TARGET + 1, "target taken");
	ASSERT_EQ(e.ht4.ctl->live, 1000, "renewals add no entry");
out:
	finish(&e);
}

static void test_max_routes_full(void)
{
	struct bpfroute_host h;
	struct env e;

	if (!start(&e, "max_routes_full", 10))
		return;
	for (__u32 i = 0; i < 10; i++) {
		h = entry(4, i, NOW_S + 600, 1);
		ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &h), BPFROUTE_TABLE_INSTALLED,
			  "up to max-routes");
	}
	h = entry(4, 10, NOW_S + 600, 1);
	ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &h), BPFROUTE_TABLE_FULL, "one more: full");
	ASSERT_TRUE(!hosttable_find(&e.ht4, &e.conf, h.addr), "refused: not there");
	ASSERT_EQ(e.ht4.ctl->live, 10, "live stays at max-routes");
	h = entry(4, 3, NOW_S + 900, 1);
	ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &h), BPFROUTE_TABLE_RENEWED,
		  "a renewal needs no room");
	h = entry(6, 0, NOW_S + 600, 1);
	ASSERT_EQ(hosttable_learn(&e.ht6, &e.conf, &h), BPFROUTE_TABLE_INSTALLED,
		  "max-routes counts each family apart");
	finish(&e);
}

/*
 * Addresses with one home slot: BPFROUTE_TABLE_PROBES of them fit, one
 * more is refused (never placed out of reach of a lookup). A deleted slot
 * stays in the way (DEAD is never reused) but lookups go past it.
 */
static void test_crowded_and_dead(void)
{
	__u32 want_home = 0, found = 0, i;
	struct bpfroute_host same[BPFROUTE_TABLE_PROBES + 1], h, *s;
	struct env e;
	char m[160];

	if (!start(&e, "crowded_and_dead", 1000000))
		return;
	for (i = 0; found < BPFROUTE_TABLE_PROBES + 1 && i < 100000000; i++) {
		h = entry(4, i, NOW_S + 600, 1);
		if (home_of(&e, 4, h.addr) == want_home)
			same[found++] = h;
	}
	if (!ASSERT_EQ(found, BPFROUTE_TABLE_PROBES + 1, "addresses sharing a home slot"))
		goto out;
	for (i = 0; i < BPFROUTE_TABLE_PROBES; i++)
		if (!ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &same[i]),
			       BPFROUTE_TABLE_INSTALLED, MSG(m, "same home %u", i)))
			goto out;
	ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &same[i]), BPFROUTE_TABLE_CROWDED,
		  "one more than the probes reach: crowded");
	ASSERT_EQ(e.ht4.ctl->live, BPFROUTE_TABLE_PROBES, "the refused one is not counted");

	/* Delete the first: the last is still found behind its DEAD slot. */
	s = hosttable_find(&e.ht4, &e.conf, same[0].addr);
	if (!ASSERT_TRUE(s != NULL, "first found"))
		goto out;
	ASSERT_TRUE(hosttable_kill(&e.ht4, s, s->state), "first deleted");
	ASSERT_EQ(s->state & 3, BPFROUTE_SLOT_DEAD, "its slot is DEAD");
	ASSERT_TRUE(!hosttable_find(&e.ht4, &e.conf, same[0].addr), "first: not found");
	ASSERT_TRUE(hosttable_find(&e.ht4, &e.conf, same[BPFROUTE_TABLE_PROBES - 1].addr) != NULL,
		    "the last: found past the DEAD slot");
	ASSERT_EQ(e.ht4.ctl->live, BPFROUTE_TABLE_PROBES - 1, "live counted down");
	ASSERT_EQ(e.ht4.ctl->dead, 1, "dead counted up");
	ASSERT_FALSE(hosttable_kill(&e.ht4, s, BPFROUTE_SLOT_LIVE | 1U << 2),
		     "deleting it again fails");
	/* A DEAD slot is not reused: the neighbourhood stays full. */
	ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &same[0]), BPFROUTE_TABLE_CROWDED,
		  "the deleted address back: no slot within reach (DEAD is not reused)");
out:
	finish(&e);
}

/* A delete decided on a state that has changed since fails. */
static void test_kill_races_renewal(void)
{
	struct bpfroute_host h = entry(4, 1, NOW_S + 60, 1), *s;
	struct env e;
	__u32 seen;

	if (!start(&e, "kill_races_renewal", 16))
		return;
	if (!ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &h), BPFROUTE_TABLE_INSTALLED, "put"))
		goto out;
	s = hosttable_find(&e.ht4, &e.conf, h.addr);
	if (!ASSERT_TRUE(s != NULL, "found"))
		goto out;
	seen = s->state;
	h.expires = NOW_S + 600;
	ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &h), BPFROUTE_TABLE_RENEWED, "renewed meanwhile");
	ASSERT_FALSE(hosttable_kill(&e.ht4, s, seen), "the delete of what was seen fails");
	ASSERT_EQ(s->state & 3, BPFROUTE_SLOT_LIVE, "still live");
	ASSERT_TRUE(hosttable_kill(&e.ht4, s, s->state), "a delete of what is there succeeds");
	/* A renewal after the delete adds it afresh, in another slot. */
	ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &h), BPFROUTE_TABLE_INSTALLED, "added again");
	ASSERT_TRUE(hosttable_find(&e.ht4, &e.conf, h.addr) != s, "not in the DEAD slot");
out:
	finish(&e);
}

/* ---------------------------------------------------------------------------
 * The filter
 */

static void test_filter(void)
{
	const __u32 n = 8000, probes = 100000;
	const struct table_map *flt;
	struct bpfroute_host h;
	__u32 fp = 0;
	struct env e;
	char m[160];
	__u64 w[2];

	if (!start(&e, "filter", 1000000))
		return;
	flt = hosttable_role(&e.ht4, BPFROUTE_HOSTS_FILTER);
	if (!ASSERT_TRUE(flt != NULL, "the filter is mapped") ||
	    !ASSERT_EQ(flt->n, BPFROUTE_TABLE_MIN_SLOTS / BPFROUTE_FILTER_SLOTS_PER_BLOCK,
		       "a block per 64 slots"))
		goto out;
	/* Half full, as the agent lets a table get: about 16 bits an address. */
	for (__u32 i = 0; i < n; i++) {
		h = entry(4, i, NOW_S + 600, 1);
		if (!ASSERT_EQ(hosttable_learn(&e.ht4, &e.conf, &h), BPFROUTE_TABLE_INSTALLED,
			       "fill"))
			goto out;
	}
	for (__u32 i = 0; i < n; i++) {
		h = entry(4, i, 0, 0);
		bpfroute_table_key(h.addr, w);
		if (!ASSERT_TRUE(bpfroute_filter_test(flt, bpfroute_table_hash(&e.conf, w)),
				 MSG(m, "address %u passes the filter: no false negative", i)))
			goto out;
	}
	for (__u32 i = 0; i < probes; i++) {
		h = entry(4, n + 1000 + i, 0, 0);
		bpfroute_table_key(h.addr, w);
		fp += bpfroute_filter_test(flt, bpfroute_table_hash(&e.conf, w));
	}
	printf("  info: filter at half a table: %.2f%% false positives (%u of %u)\n",
	       100.0 * fp / probes, fp, probes);
	ASSERT_TRUE(fp < probes / 50, MSG(m, "false positives %u of %u: under 2%%", fp, probes));
out:
	finish(&e);
}

/* ---------------------------------------------------------------------------
 * Rebuilding
 */

/* Put n entries with traffic on them, delete every dead_every-th. */
static bool fill_with_traffic(struct env *e, __u32 n, __u32 dead_every)
{
	for (__u32 i = 0; i < n; i++) {
		struct bpfroute_host h = entry(4, i, NOW_S + 600, 1), *s;

		if (hosttable_learn(&e->ht4, &e->conf, &h) != BPFROUTE_TABLE_INSTALLED)
			return ASSERT_TRUE(false, "fill");
		s = hosttable_find(&e->ht4, &e->conf, h.addr);
		s->packets = i + 1;
		s->bytes = 100ULL * (i + 1);
		if (dead_every && i % dead_every == 0 && !hosttable_kill(&e->ht4, s, s->state))
			return ASSERT_TRUE(false, "delete");
	}
	return true;
}

/* Every entry but the deleted ones, with its counters. */
static bool expect_all(struct env *e, __u32 n, __u32 dead_every, const char *what)
{
	__u32 live = 0;
	char m[160];

	for (__u32 i = 0; i < n; i++) {
		struct bpfroute_host h = entry(4, i, 0, 0), *s;

		s = hosttable_find(&e->ht4, &e->conf, h.addr);
		if (dead_every && i % dead_every == 0) {
			if (!ASSERT_TRUE(!s, MSG(m, "%s: deleted %u stays gone", what, i)))
				return false;
			continue;
		}
		if (!ASSERT_TRUE(s != NULL, MSG(m, "%s: %u found", what, i)) ||
		    !ASSERT_EQ(s->packets, i + 1, MSG(m, "%s: %u packets", what, i)) ||
		    !ASSERT_EQ(s->bytes, 100ULL * (i + 1), MSG(m, "%s: %u bytes", what, i)) ||
		    !ASSERT_EQ(s->expires, NOW_S + 600, MSG(m, "%s: %u expiry", what, i)))
			return false;
		live++;
	}
	return ASSERT_EQ(e->ht4.ctl->live, live, MSG(m, "%s: live entries", what));
}

static void test_rebuild(void)
{
	const __u32 n = 6000;
	const struct table_map *t;
	struct env e;
	__u32 id0;

	if (!start(&e, "rebuild", 1000000))
		return;
	if (!fill_with_traffic(&e, n, 4))
		goto out;
	t = hosttable_role(&e.ht4, BPFROUTE_HOSTS_TABLE);
	id0 = t->id;
	ASSERT_EQ(e.ht4.ctl->dead, n / 4, "a quarter deleted");
	if (!ASSERT_OK(hosttable_rebuild(&e.ht4, &e.maps, &e.conf, 1U << 16), "grow to 64k"))
		goto out;
	t = hosttable_role(&e.ht4, BPFROUTE_HOSTS_TABLE);
	ASSERT_EQ(t->n, 1U << 16, "the new table's slots");
	ASSERT_NEQ(t->id, id0, "another map in the table's role");
	ASSERT_EQ(e.ht4.ctl->dead, 0, "no deleted slot in a rebuilt table");
	ASSERT_TRUE(!hosttable_role(&e.ht4, BPFROUTE_HOSTS_NEXT_TABLE) &&
		    !hosttable_role(&e.ht4, BPFROUTE_HOSTS_NEXT_FILTER), "next roles empty again");
	expect_all(&e, n, 4, "grown");
	if (!ASSERT_OK(hosttable_rebuild(&e.ht4, &e.maps, &e.conf, BPFROUTE_TABLE_MIN_SLOTS),
		       "shrink to the smallest"))
		goto out;
	expect_all(&e, n, 4, "shrunk");
	/* What the datapath sees: the roles of the array of maps, mapped afresh. */
	hosttable_close(&e.ht4);
	if (ASSERT_OK(hosttable_open(&e.maps, 4, &e.ht4), "map again"))
		expect_all(&e, n, 4, "mapped afresh");
out:
	finish(&e);
}

/*
 * Too many live entries for the table asked: the rebuild gives up and the
 * old table stays, whole.
 */
static void test_rebuild_too_small(void)
{
	struct env e;
	__u32 id0;

	if (!start(&e, "rebuild_too_small", 1000000))
		return;
	if (!ASSERT_OK(hosttable_rebuild(&e.ht4, &e.maps, &e.conf, 1U << 16), "grow") ||
	    !fill_with_traffic(&e, 3 * BPFROUTE_TABLE_MIN_SLOTS / 2, 0))
		goto out;
	id0 = hosttable_role(&e.ht4, BPFROUTE_HOSTS_TABLE)->id;
	ASSERT_EQ(hosttable_rebuild(&e.ht4, &e.maps, &e.conf, BPFROUTE_TABLE_MIN_SLOTS),
		  -ENOSPC, "entries that do not fit: refused");
	ASSERT_EQ(hosttable_role(&e.ht4, BPFROUTE_HOSTS_TABLE)->id, id0, "the old table stays");
	ASSERT_TRUE(!hosttable_role(&e.ht4, BPFROUTE_HOSTS_NEXT_TABLE), "no next table left");
	expect_all(&e, 3 * BPFROUTE_TABLE_MIN_SLOTS / 2, 0, "after the refused rebuild");
out:
	finish(&e);
}

/* ---------------------------------------------------------------------------
 * The classifier finds what user space put, and nothing else
 */

static bool steer_verdict(struct env *e, int family, const __u8 *a, __u32 *verdict)
{
	char dst[INET6_ADDRSTRLEN];
	struct pkt p, out;

	inet_ntop(family == 4 ? AF_INET : AF_INET6, a, dst, sizeof(dst));
	if (family == 4) {
		struct ip4_spec s = { .dst = dst, .ttl = 64, .frag_off = IP4_DF, .payload = 8 };

		pkt_ipv4(&p, mac_us, &s);
	} else {
		struct ip6_spec s = { .dst = dst, .hop_limit = 64, .payload = 8 };

		pkt_ipv6(&p, mac_us, &s);
	}
	return !run_once(bpf_program__fd(e->skel->progs.bpfroute_steer), &p, verdict, &out);
}

static void test_classifier_agrees(void)
{
	const __u32 n = 3000;
	struct env e;
	char m[160];

	if (!start(&e, "classifier_agrees", 1000000))
		return;
	for (int family = 4; family <= 6; family += 2)
		for (__u32 i = 0; i < n; i += 2) {
			/* Alive whatever the clock: expires in 68 years. */
			struct bpfroute_host h = entry(family, i, 0x7fffffff, 1);

			if (!ASSERT_EQ(hosttable_learn(ht_of(&e, family), &e.conf, &h),
				       BPFROUTE_TABLE_INSTALLED, "fill every other address"))
				goto out;
		}
	/* A rebuilt table too: the classifier reads its size from the map. */
	if (!ASSERT_OK(hosttable_rebuild(&e.ht6, &e.maps, &e.conf, 1U << 15), "rebuild IPv6"))
		goto out;
	for (int family = 4; family <= 6; family += 2)
		for (__u32 i = 0; i < n; i++) {
			__u32 verdict = ~0U;
			__u8 a[16];

			addr_of(family, i, a);
			if (!ASSERT_TRUE(steer_verdict(&e, family, a, &verdict), "test_run") ||
			    !ASSERT_EQ(verdict, i % 2 ? TC_ACT_OK : TC_ACT_REDIRECT,
				       MSG(m, "IPv%d address %u: %s", family, i,
					   i % 2 ? "not learned: passed" : "learned: steered")))
				goto out;
		}
out:
	finish(&e);
}

int main(int argc, char **argv)
{
	test__init(argc, argv);

	libbpf_set_print(libbpf_print);
	private_netns();

	RUN_TEST(test_put_find_renew);
	RUN_TEST(test_max_routes_full);
	RUN_TEST(test_crowded_and_dead);
	RUN_TEST(test_kill_races_renewal);
	RUN_TEST(test_filter);
	RUN_TEST(test_rebuild);
	RUN_TEST(test_rebuild_too_small);
	RUN_TEST(test_classifier_agrees);
	return test__exit_status();
}
