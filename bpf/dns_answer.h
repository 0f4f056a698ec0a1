/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Learning from answers on their way to the client (LAN egress). An answer
 * to a recorded query whose question falls under a domain rule has the A and
 * AAAA records along its CNAME chain installed in the learned tables here,
 * before the packet leaves the gateway: the client cannot open a connection
 * to an answered address before the route to it exists. The agent still
 * gets every such answer through the ring buffer, for its bookkeeping.
 *
 * Learning is all or nothing per answer: the records are collected first and
 * installed only if the whole answer section parsed cleanly.
 */
#ifndef BPFROUTE_DNS_ANSWER_H
#define BPFROUTE_DNS_ANSWER_H

#include "dns_query.h"
#include "dns_rules.h"
#include "learn.h"


/* clang does not inline memcmp for BPF. */
static __always_inline bool addr16_equal(const __u8 *a, const __u8 *b)
{
	__u8 diff = 0;

	for (int i = 0; i < 16; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

static __always_inline bool chain_seen(const struct rr_walk *w, __u64 hash)
{
	for (int i = 0; i <= BPFROUTE_DNS_CHAIN_MAX; i++) {
		if (i > (int)w->links)
			break;
		if (w->seen[i] == hash)
			return true;
	}
	return false;
}

/* One resource record of the answer section. */
static long rr_walk_one(__u32 idx, void *ctx)
{
	struct dns_scratch *s = dns_scratch();
	const struct bpfroute_conf *conf;
	__u32 zero = 0, off, type, class, ttl, rdlen, rdoff, wire;
	struct rr_walk *w;
	__u64 owner;

	(void)idx;
	(void)ctx;
	conf = bpf_map_lookup_elem(&BPFROUTE_MAP_CONF, &zero);
	if (!s || !conf)
		return 1;
	w = &s->rr;
	if (w->left == 0)
		return 1;
	w->left--;
	off = w->off;
	if (name_walk(conf, s, &off, &owner, &wire, 0) || off + 10 > s->msg_len)
		goto malformed;
	type = msg_u16(s, off);
	class = msg_u16(s, off + 2);
	ttl = msg_u32(s, off + 4);
	rdlen = msg_u16(s, off + 8);
	rdoff = off + 10;
	if (rdoff + rdlen > s->msg_len)
		goto malformed;
	w->off = rdoff + rdlen;
	if (class != DNS_CLASS_IN)
		return 0;

	if (type == DNS_TYPE_CNAME) {
		__u32 toff = rdoff;
		__u64 target;

		if (name_walk(conf, s, &toff, &target, &wire, 0) || toff != rdoff + rdlen)
			goto malformed;
		if (owner != w->chain) {
			w->off_chain++;
			return 0;
		}
		if (w->links >= BPFROUTE_DNS_CHAIN_MAX || chain_seen(w, target)) {
			w->err = BPFROUTE_STAT_DNS_CNAME_LOOP;
			return 1;
		}
		w->links++;
		w->seen[IDX(w->links, 2 * BPFROUTE_DNS_CHAIN_MAX - 1)] = target;
		w->chain = target;
		return 0;
	}
	if (type == DNS_TYPE_A || type == DNS_TYPE_AAAA) {
		__u32 alen = type == DNS_TYPE_A ? 4 : 16;
		struct dns_learn *l;

		if (rdlen != alen)
			goto malformed;
		if (owner != w->chain) {
			w->off_chain++;
			return 0;
		}
		if (w->n_learn >= BPFROUTE_DNS_LEARN_MAX) {
			w->overflow = 1;
			return 0;
		}
		l = &s->learn[IDX(w->n_learn, BPFROUTE_DNS_LEARN_MAX - 1)];
		__builtin_memset(l->addr, 0, sizeof(l->addr));
		for (__u32 i = 0; i < 16; i++)
			if (i < alen)
				l->addr[i] = msg_byte(s, rdoff + i);
		l->ttl = ttl;
		l->family = alen == 4 ? 4 : 6;
		w->n_learn++;
		return 0;
	}
	return 0;		/* other types (DNAME, RRSIG, ...) are not followed */
malformed:
	w->err = BPFROUTE_STAT_DNS_MALFORMED;
	return 1;
}

#define EVENTS_WAKE_FIRST	(BPFROUTE_EVENTS_BYTES / 4)
#define EVENTS_WAKE_STEP	(BPFROUTE_EVENTS_BYTES / 8)

static __always_inline void dns_emit(struct dns_scratch *s, const struct dns_packet *dp,
				     __u8 verdict, __u32 rule, __u32 ifindex, __u16 learned,
				     __u64 name_id, __u64 now)
{
	struct bpfroute_dns_event *ev = &s->ev;
	bool finish = verdict == BPFROUTE_DNS_AGENT || verdict == BPFROUTE_DNS_FULL;
	__u64 cap = finish ? s->msg_len : 0;	/* 64-bit: no copy to zero-extend */
	__u64 avail, rec, wake;

	ev->ts_ns = now;
	ev->name_id = name_id;
	__builtin_memcpy(ev->client, dp->daddr, sizeof(ev->client));
	__builtin_memcpy(ev->server, dp->saddr, sizeof(ev->server));
	ev->client_port = dp->dport;
	ev->server_port = dp->sport;
	ev->family = dp->family;
	ev->proto = dp->proto;
	ev->verdict = verdict;
	ev->pad = 0;
	ev->rule = rule;
	ev->learned = learned;
	ev->pad2 = 0;
	ev->pad3 = 0;
	ev->msg_len = dp->len;
	ev->ifindex = ifindex;
	if (cap > BPFROUTE_DNS_MSG_MAX)
		cap = BPFROUTE_DNS_MSG_MAX;
	ev->cap_len = (__u32)cap;
	/*
	 * Waking the agent costs an interrupt (about 10 us here, in the
	 * answer's path): only events it must act on wake it, and an event
	 * that takes the ring past a quarter full or past each eighth above
	 * that, so that a burst of bookkeeping cannot fill the ring and crowd
	 * out an answer the agent must finish. Waking it for every event
	 * above a quarter would cost each of them the interrupt until the
	 * agent has caught up. The rest waits for its next poll.
	 */
	avail = bpf_ringbuf_query(&BPFROUTE_MAP_EVENTS, BPF_RB_AVAIL_DATA);
	rec = (sizeof(*ev) + cap + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;
	wake = finish || (avail + rec > EVENTS_WAKE_FIRST &&
			  (avail + rec) / EVENTS_WAKE_STEP != avail / EVENTS_WAKE_STEP) ?
		       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&BPFROUTE_MAP_EVENTS, ev, sizeof(*ev) + cap, wake))
		count(BPFROUTE_STAT_DNS_EVENT_LOST, 1);
}

/* Called for every packet from port 53 that leaves a LAN interface. */
static __always_inline void dns_learn_answer(struct __sk_buff *skb)
{
	struct bpfroute_query_key key = {};
	const struct bpfroute_conf *conf;
	struct bpfroute_rule *rule;
	struct bpfroute_query_slot *slot;
	struct bpfroute_query *q;
	struct dns_scratch *s;
	struct dns_packet dp;
	struct rr_walk *w;
	__u16 qtype, qclass, flags, ancount;
	__u32 zero = 0, installed;
	__u8 verdict;
	__u64 qhash, now;
	int off;

	conf = bpf_map_lookup_elem(&BPFROUTE_MAP_CONF, &zero);
	if (!conf || !(conf->flags & BPFROUTE_CONF_F_LEARN))
		return;
	s = dns_scratch();
	if (!s)
		return;
	off = dns_packet_parse(skb, &dp, true);
	if (off == DNS_PACKET_FRAGMENT) {
		count(BPFROUTE_STAT_DNS_ANSWER, 1);
		count(BPFROUTE_STAT_DNS_TOO_BIG, 1);
		return;
	}
	if (off)
		return;
	count(BPFROUTE_STAT_DNS_ANSWER, 1);
	if (dns_load(skb, &dp, s)) {
		count(BPFROUTE_STAT_DNS_TOO_BIG, 1);
		return;
	}
	flags = msg_u16(s, 2);
	if ((flags & DNS_QUERY_MASK) != DNS_F_QR || msg_u16(s, 4) != 1) {
		count(BPFROUTE_STAT_DNS_MALFORMED, 1);
		return;
	}
	if (!dns_resolver_trusted(conf, dp.saddr, dp.family)) {
		count(BPFROUTE_STAT_DNS_UNTRUSTED, 1);
		return;
	}

	/* The exact reverse of a recorded query, or nothing. */
	__builtin_memcpy(key.client, dp.daddr, sizeof(key.client));
	key.client_port = dp.dport;
	key.id = bpf_htons(msg_u16(s, 0));
	key.family = dp.family;
	key.proto = dp.proto;
	slot = dns_query_find(conf, &key);
	if (!slot) {
		count(dns_unmatched_reason(conf, &key), 1);
		return;
	}
	q = &slot->q;
	if (!addr16_equal(q->server, dp.saddr) || q->server_port != dp.sport) {
		count(BPFROUTE_STAT_DNS_WRONG_SERVER, 1);
		return;
	}
	off = dns_question(conf, s, &qhash, &qtype, &qclass, 1);
	if (off < 0) {
		count(BPFROUTE_STAT_DNS_MALFORMED, 1);
		return;
	}
	if (qhash != q->qhash || qtype != q->qtype || qclass != q->qclass) {
		count(BPFROUTE_STAT_DNS_WRONG_QUESTION, 1);
		return;
	}

	rule = dns_match_rule(conf, s);
	if (!rule) {
		dns_query_forget(slot);
		count(BPFROUTE_STAT_DNS_NO_RULE, 1);
		return;
	}

	/* Collect the chain's addresses; install nothing unless all is well. */
	ancount = msg_u16(s, 6);
	w = &s->rr;
	__builtin_memset(w, 0, sizeof(*w));
	w->off = off;
	w->left = ancount < BPFROUTE_DNS_RR_MAX ? ancount : BPFROUTE_DNS_RR_MAX;
	w->chain = qhash;
	w->seen[0] = qhash;
	if ((flags & DNS_F_RCODE) == 0)	/* NOERROR: other codes carry no answer to learn */
		bpf_loop(BPFROUTE_DNS_RR_MAX, rr_walk_one, NULL, 0);
	if (w->err) {
		count(w->err, 1);
		return;
	}
	dns_query_forget(slot);
	if (w->off_chain)
		count(BPFROUTE_STAT_DNS_OFF_CHAIN, w->off_chain);

	now = bpf_ktime_get_ns();
	installed = learn_install(s, rule, qhash, dp.saddr, w->n_learn, bpfroute_seconds(now),
				  &verdict);
	if (installed)
		count(BPFROUTE_STAT_DNS_LEARNED, 1);
	if (w->overflow || ancount > BPFROUTE_DNS_RR_MAX) {
		verdict = BPFROUTE_DNS_AGENT;
		count(BPFROUTE_STAT_DNS_TO_AGENT, 1);
	}
	dns_emit(s, &dp, verdict, rule->id, rule->ifindex, installed, qhash, now);
}

#endif /* BPFROUTE_DNS_ANSWER_H */
