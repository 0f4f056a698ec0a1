/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Recording the queries clients send (LAN ingress), so that an answer is
 * learned only as the exact reverse of one of them (the lesson of DNSpooq,
 * CVE-2020-25684..25686): same client address and port, same id, same
 * server address and port, same question.
 */
#ifndef BPFROUTE_DNS_QUERY_H
#define BPFROUTE_DNS_QUERY_H

#include "dns_packet.h"
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

/* Called for every packet to port 53 that enters a LAN interface. */
static __always_inline void dns_record_query(struct __sk_buff *skb)
{
	struct bpfroute_query_key key = {};
	struct bpfroute_query q = {};
	const struct bpfroute_conf *conf;
	struct dns_scratch *s;
	struct dns_packet dp;
	__u32 zero = 0;

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
	bpf_map_update_elem(&BPFROUTE_MAP_QUERIES, &key, &q, BPF_ANY);
	dns_qseen_put(conf, &key);
	count(BPFROUTE_STAT_DNS_QUERY, 1);
}

#endif /* BPFROUTE_DNS_QUERY_H */
