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

/* Called for every packet to port 53 that enters a LAN interface. */
static __always_inline void dns_record_query(struct __sk_buff *skb)
{
	struct bpfroute_qsock_key skey = {};
	struct bpfroute_query_key key = {};
	struct bpfroute_qid_key ikey = {};
	struct bpfroute_query q = {};
	const struct bpfroute_conf *conf;
	struct dns_scratch *s;
	struct dns_packet dp;
	__u64 now;
	__u32 zero = 0, port;

	conf = bpf_map_lookup_elem(&BPFROUTE_MAP_CONF, &zero);
	if (!conf || !(conf->flags & BPFROUTE_CONF_F_LEARN))
		return;		/* no domain rule: nothing to learn */
	s = dns_scratch();
	/* A query in IP fragments is not recorded: its answer cannot match. */
	if (!s || dns_packet_parse(skb, &dp, false) || dns_load(skb, &dp, s))
		return;
	/* A standard query (QR 0, opcode 0) with one question. */
	if ((msg_u16(s, 2) & 0xf800) != 0 || msg_u16(s, 4) != 1)
		return;
	if (!dns_resolver_trusted(conf, dp.daddr, dp.family)) {
		count(BPFROUTE_STAT_DNS_QUERY_UNTRUSTED, 1);
		return;
	}
	if (dns_question(conf, s, &q.qhash, &q.qtype, &q.qclass, 0) < 0)
		return;

	now = bpf_ktime_get_ns();
	__builtin_memcpy(key.client, dp.saddr, sizeof(key.client));
	key.client_port = dp.sport;
	key.id = bpf_htons(msg_u16(s, 0));
	key.family = dp.family;
	key.proto = dp.proto;
	__builtin_memcpy(q.server, dp.daddr, sizeof(q.server));
	q.server_port = dp.dport;
	q.sent_ns = now;
	bpf_map_update_elem(&BPFROUTE_MAP_QUERIES, &key, &q, BPF_ANY);

	__builtin_memcpy(ikey.client, dp.saddr, sizeof(ikey.client));
	ikey.id = key.id;
	ikey.family = dp.family;
	ikey.proto = dp.proto;
	port = dp.sport;
	bpf_map_update_elem(&BPFROUTE_MAP_QIDS, &ikey, &port, BPF_ANY);

	__builtin_memcpy(skey.client, dp.saddr, sizeof(skey.client));
	skey.port = dp.sport;
	skey.family = dp.family;
	skey.proto = dp.proto;
	bpf_map_update_elem(&BPFROUTE_MAP_QSOCKS, &skey, &now, BPF_ANY);
	count(BPFROUTE_STAT_DNS_QUERY, 1);
}

#endif /* BPFROUTE_DNS_QUERY_H */
