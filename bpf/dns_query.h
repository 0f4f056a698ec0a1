/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Recording the queries clients send (LAN ingress), so that an answer is
 * learned only as the exact reverse of one of them (the lesson of DNSpooq,
 * CVE-2020-25684..25686): same client address and port, same id, same
 * server address and port, same question.
 */
#ifndef BPFROUTE_DNS_QUERY_H
#define BPFROUTE_DNS_QUERY_H

#include "bpfroute_policy.h"
#include "dns_packet.h"
#include "next_hop.h"
#include "route_back.h"
#include "stats.h"

static __always_inline bool dns_resolver_trusted(const struct bpfroute_conf *conf,
						 const __u8 *addr, __u8 family)
{
	struct bpfroute_resolver_key key = { .family = family };

	if (!(conf->flags & BPFROUTE_CONF_F_RESOLVERS))
		return true;
	__builtin_memcpy(key.addr, addr, sizeof(key.addr));
	return bpf_map_lookup_elem(&BPFROUTE_MAP_RESOLVERS, &key) != NULL;
}

/*
 * The slot of bpfroute_qseen where a query's key goes, by (client, id) or by
 * (client, port): a keyed hash, so nobody can aim one client's queries at
 * another's slots.
 */
static __always_inline __u32 dns_qseen_slot(const struct bpfroute_conf *conf,
					    const struct bpfroute_query_key *k, __u32 by)
{
	__u64 w[2], tail, h;

	__builtin_memcpy(w, k->client, sizeof(w));
	tail = by == BPFROUTE_QSEEN_BY_ID ? k->id : k->client_port;
	tail |= (__u64)k->family << 16 | (__u64)k->proto << 24 | (__u64)by << 32;
	h = (w[0] ^ conf->hash_key[0]) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ (h >> 32) ^ w[1] ^ tail << 24) * 0x9e3779b97f4a7c15ULL;
	return (__u32)name_hash_final(conf, h) & (BPFROUTE_QSEEN_SLOTS - 1);
}

static __always_inline struct bpfroute_query_key *
dns_qseen(const struct bpfroute_conf *conf, const struct bpfroute_query_key *k, __u32 by)
{
	__u32 slot = dns_qseen_slot(conf, k, by);

	return bpf_map_lookup_elem(&BPFROUTE_MAP_QSEEN, &slot);
}

/* Two plain stores: no lock, no list, nothing to evict. */
static __always_inline void dns_qseen_put(const struct bpfroute_conf *conf,
					  const struct bpfroute_query_key *k)
{
	struct bpfroute_query_key *slot;

	slot = dns_qseen(conf, k, BPFROUTE_QSEEN_BY_ID);
	if (slot)
		*slot = *k;
	slot = dns_qseen(conf, k, BPFROUTE_QSEEN_BY_PORT);
	if (slot)
		*slot = *k;
}

static __always_inline bool dns_same_client(const struct bpfroute_query_key *a,
					    const struct bpfroute_query_key *b)
{
	const __u8 *x = a->client, *y = b->client;
	__u8 diff = 0;

	for (int i = 0; i < 16; i++)
		diff |= x[i] ^ y[i];
	return !diff && a->family == b->family && a->proto == b->proto;
}

/*
 * Why an answer with key k matched no recorded query: the client asked with
 * this id from another port; from this port with this id, but the query was
 * answered already (a duplicate or a replay: unsolicited); from this port
 * with another id; or nothing at all.
 */
static __always_inline __u32 dns_unmatched_reason(const struct bpfroute_conf *conf,
						  const struct bpfroute_query_key *k)
{
	const struct bpfroute_query_key *seen;

	seen = dns_qseen(conf, k, BPFROUTE_QSEEN_BY_ID);
	if (seen && seen->id == k->id && dns_same_client(seen, k))
		return seen->client_port == k->client_port ? BPFROUTE_STAT_DNS_UNSOLICITED :
							     BPFROUTE_STAT_DNS_WRONG_PORT;
	seen = dns_qseen(conf, k, BPFROUTE_QSEEN_BY_PORT);
	if (seen && seen->client_port == k->client_port && dns_same_client(seen, k))
		return BPFROUTE_STAT_DNS_WRONG_ID;
	return BPFROUTE_STAT_DNS_UNSOLICITED;
}

static __always_inline bool dns_same_key(const struct bpfroute_query_key *a,
					 const struct bpfroute_query_key *b)
{
	const __u64 *x = (const void *)a, *y = (const void *)b;

	_Static_assert(sizeof(*a) == 3 * sizeof(__u64), "query key: three words");
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]));
}

static __always_inline struct bpfroute_query_bucket *
dns_query_bucket(const struct bpfroute_conf *conf, const struct bpfroute_query_key *k)
{
	__u32 b = bpfroute_query_bucket(conf, k->client, k->family);

	return bpf_map_lookup_elem(&BPFROUTE_MAP_QUERIES, &b);
}

/* A slot of the shared buckets where the query of key k may be (way 0 or 1). */
static __always_inline struct bpfroute_query_slot *
dns_query_shared(const struct bpfroute_conf *conf, const struct bpfroute_query_key *k, int way)
{
	__u32 i = bpfroute_query_shared(conf, k, way);
	__u32 b = BPFROUTE_QUERY_BUCKETS + i / BPFROUTE_QUERIES_PER_CLIENT;
	struct bpfroute_query_bucket *bk = bpf_map_lookup_elem(&BPFROUTE_MAP_QUERIES, &b);

	return bk ? &bk->slot[i & (BPFROUTE_QUERIES_PER_CLIENT - 1)] : NULL;
}

/* The recorded query of key k, or NULL: its client's bucket, else its shared slots. */
static __always_inline struct bpfroute_query_slot *
dns_query_find(const struct bpfroute_conf *conf, const struct bpfroute_query_key *k)
{
	struct bpfroute_query_bucket *bk = dns_query_bucket(conf, k);
	struct bpfroute_query_slot *sh;

	if (!bk)
		return NULL;
	for (int i = 0; i < BPFROUTE_QUERIES_PER_CLIENT; i++)
		if (dns_same_key(&bk->slot[i].key, k))
			return &bk->slot[i];
	for (int way = 0; way < BPFROUTE_QUERY_SHARED_WAYS; way++) {
		sh = dns_query_shared(conf, k, way);
		if (sh && dns_same_key(&sh->key, k))
			return sh;
	}
	return NULL;
}

/* An answered query gives its slot back. */
static __always_inline void dns_query_forget(struct bpfroute_query_slot *slot)
{
	slot->key.family = 0;
}

/* Is daddr one of the gateway's own addresses (bpfroute_excl4/6, read at load)? */
static __always_inline bool dns_to_gateway(const struct dns_packet *dp)
{
	const struct bpfroute_excl *x;

	if (dp->family == 4)
		x = bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL4, dp->daddr);
	else
		x = bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL6, dp->daddr);
	return x && x->reason == BPFROUTE_EXCL_LOCAL;
}

/*
 * Would the gateway send the answer back out the interface the query came
 * in on (route_back.h)? The route to the client's address through that
 * interface (BPF_FIB_LOOKUP_OUTPUT with it as ifindex considers only routes
 * through it, as `ip route get CLIENT oif LAN`).
 */
static __always_inline bool dns_source_on_path(struct __sk_buff *skb, const struct dns_packet *dp)
{
	__u32 oif = 0;
	long rc;

	rc = route_back(skb, dp->family, dp->proto, dp->daddr, dp->saddr, skb->ingress_ifindex,
			BPF_FIB_LOOKUP_OUTPUT, &oif);
	/*
	 * Forwarding off on the interface: the helper answers nothing, even
	 * for an output lookup (bpf_ipv4_fib_lookup() checks IN_DEV_FORWARD
	 * first), and the gateway forwards nothing either: only a query to a
	 * resolver on the gateway can be answered.
	 */
	if (rc == BPF_FIB_LKUP_RET_FWD_DISABLED)
		return dns_to_gateway(dp);
	return route_back_by(rc, oif, skb->ingress_ifindex);
}

/*
 * Called for every packet to port 53 that enters a LAN interface, with its
 * TTL or hop limit. Only a query the gateway will pass on is recorded: one
 * it forwards (TTL above 1) or delivers to a resolver of its own, from a
 * source it routes back out this interface.
 */
static __always_inline void dns_record_query(struct __sk_buff *skb, __u8 ttl)
{
	struct bpfroute_query_key key = {};
	struct bpfroute_query_slot *sh;
	struct bpfroute_query_bucket *bk;
	struct bpfroute_query q = {};
	const struct bpfroute_conf *conf;
	struct dns_scratch *s;
	struct dns_packet dp;
	__u64 oldest = ~0ULL;
	__u32 zero = 0, victim = 0;
	bool taken = true;

	conf = bpf_map_lookup_elem(&BPFROUTE_MAP_CONF, &zero);
	if (!conf || !(conf->flags & BPFROUTE_CONF_F_LEARN))
		return;		/* no domain rule: nothing to learn */
	s = dns_scratch();
	/* A query in IP fragments is not recorded: its answer cannot match. */
	if (!s || dns_packet_parse(skb, &dp, false) || dns_load(skb, &dp, s))
		return;
	/* A standard query (QR 0, opcode 0) with one question. */
	if ((msg_u16(s, 2) & DNS_QUERY_MASK) != 0 || msg_u16(s, 4) != 1)
		return;
	if (!dns_resolver_trusted(conf, dp.daddr, dp.family)) {
		count(BPFROUTE_STAT_DNS_QUERY_UNTRUSTED, 1);
		return;
	}
	/*
	 * TTL 1 expires here (RFC 1812 5.3.1): never forwarded, never
	 * answered, unless it is for a resolver on the gateway, where it is
	 * delivered, not forwarded.
	 */
	if (ttl <= 1 && !dns_to_gateway(&dp)) {
		count(BPFROUTE_STAT_DNS_QUERY_TTL, 1);
		return;
	}
	if (!dns_source_on_path(skb, &dp)) {
		count(BPFROUTE_STAT_DNS_QUERY_OFF_PATH, 1);
		return;
	}
	if (dns_question(conf, s, &q.qhash, &q.qtype, &q.qclass, 0) < 0)
		return;

	__builtin_memcpy(key.client, dp.saddr, sizeof(key.client));
	key.client_port = dp.sport;
	key.id = bpf_htons(msg_u16(s, 0));
	key.family = dp.family;
	key.proto = dp.proto;
	__builtin_memcpy(q.server, dp.daddr, sizeof(q.server));
	q.server_port = dp.dport;
	q.sent_ns = bpf_ktime_get_ns();

	/*
	 * A free slot of the client's bucket or the same query again; else a
	 * stale one of its own, its shared slot, or its own oldest.
	 */
	bk = dns_query_bucket(conf, &key);
	if (!bk)
		return;
	for (__u32 i = 0; i < BPFROUTE_QUERIES_PER_CLIENT; i++) {
		const struct bpfroute_query_slot *sl = &bk->slot[i];

		if (!sl->key.family || dns_same_key(&sl->key, &key)) {
			victim = i;
			taken = false;
			break;
		}
		if (sl->q.sent_ns < oldest) {
			oldest = sl->q.sent_ns;
			victim = i;
		}
	}
	if (taken && oldest + BPFROUTE_QUERY_KEEP_NS >= q.sent_ns) {
		for (int way = 0; way < BPFROUTE_QUERY_SHARED_WAYS; way++) {
			sh = dns_query_shared(conf, &key, way);
			if (sh && (!sh->key.family || dns_same_key(&sh->key, &key) ||
				   sh->q.sent_ns + BPFROUTE_QUERY_KEEP_NS < q.sent_ns)) {
				sh->q = q;
				sh->key = key;
				goto recorded;
			}
		}
		count(BPFROUTE_STAT_DNS_QUERY_EVICTED, 1);
	}
	victim &= BPFROUTE_QUERIES_PER_CLIENT - 1;
	bk->slot[victim].q = q;
	bk->slot[victim].key = key;
recorded:
	dns_qseen_put(conf, &key);
	count(BPFROUTE_STAT_DNS_QUERY, 1);
}

#endif /* BPFROUTE_DNS_QUERY_H */
