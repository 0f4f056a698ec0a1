/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Installing learned addresses in the learned tables (hosts.h), and the
 * addresses that are never learned: the gateway's own and the tunnel
 * endpoints (bpfroute_excl*), the trusted resolvers and the answering
 * server, and addresses a router never forwards to.
 */
#ifndef BPFROUTE_LEARN_H
#define BPFROUTE_LEARN_H

#include "dns.h"
#include "forward.h"
#include "hosts.h"
#include "stats.h"

/*
 * Is the address inside a bypass prefix (the longest configured prefix that
 * covers it is a bypass)? Such a network stays on the ordinary path whatever
 * name points into it: a learned entry, looked up before the prefixes, would
 * steer it.
 */
static __always_inline bool learn_in_bypass(const struct dns_learn *l)
{
	struct bpfroute_route *route;

	if (l->family == 4) {
		struct bpfroute_key4 k4 = { .prefixlen = 32 };

		__builtin_memcpy(k4.addr, l->addr, sizeof(k4.addr));
		route = bpf_map_lookup_elem(&BPFROUTE_MAP_ROUTE4, &k4);
	} else {
		struct bpfroute_key6 k6 = { .prefixlen = 128 };

		__builtin_memcpy(k6.addr, l->addr, sizeof(k6.addr));
		route = bpf_map_lookup_elem(&BPFROUTE_MAP_ROUTE6, &k6);
	}
	return route && (route->flags & BPFROUTE_ROUTE_F_BYPASS);
}

static __always_inline bool learn_refused(const struct dns_learn *l, const __u8 *server)
{
	struct bpfroute_resolver_key rkey = { .family = l->family };
	__u8 diff = 0;

	/*
	 * Not the server that answered either, trusted list or not: an answer
	 * must never steer DNS itself into the tunnel.
	 */
	for (int i = 0; i < 16; i++)
		diff |= l->addr[i] ^ server[i];
	if (!diff)
		return true;

	if (l->family == 4) {
		if (bpfroute_ipv4_special(l->addr) ||
		    bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL4, l->addr))
			return true;
	} else {
		if (bpfroute_ipv6_special(l->addr) ||
		    bpf_map_lookup_elem(&BPFROUTE_MAP_EXCL6, l->addr))
			return true;
	}
	__builtin_memcpy(rkey.addr, l->addr, sizeof(rkey.addr));
	return bpf_map_lookup_elem(&BPFROUTE_MAP_RESOLVERS, &rkey) != NULL;
}

static long learn_one(__u32 idx, void *ctx)
{
	struct hosts_scratch *hs = hosts_scratch();
	struct dns_scratch *s = dns_scratch();
	const struct bpfroute_conf *conf;
	struct bpfroute_host *fresh;
	struct learn_pass *p;
	struct dns_learn *l;
	__u32 zero = 0;
	int r;

	(void)ctx;
	conf = bpf_map_lookup_elem(&BPFROUTE_MAP_CONF, &zero);
	if (!s || !hs || !conf)
		return 1;
	p = &s->lp;
	if (idx >= p->n)
		return 1;
	l = &s->learn[IDX(idx, BPFROUTE_DNS_LEARN_MAX - 1)];
	if (learn_refused(l, p->server)) {
		count(BPFROUTE_STAT_DNS_REFUSED_ADDR, 1);
		return 0;
	}
	if (learn_in_bypass(l)) {
		count(BPFROUTE_STAT_DNS_REFUSED_BYPASS, 1);
		return 0;
	}
	fresh = &hs->fresh;
	*fresh = (struct bpfroute_host){
		.ifindex = p->ifindex,
		.expires = p->now + bpfroute_lifetime_s(conf, l->ttl),
		.last_used = p->now,
		.rule = p->rule,
		.clients = (__u8)p->clients,
		.name_id = p->name_id,
	};
	__builtin_memcpy(fresh->addr, l->addr, sizeof(fresh->addr));
	/* A renewal never shortens an entry (bpfroute_table_renew()). */
	r = hosts_learn(l->family, conf);
	if (r == BPFROUTE_TABLE_FULL || r == BPFROUTE_TABLE_CROWDED) {
		/* Never evict a live entry: the agent makes room, or grows the table. */
		p->full = 1;
		count(BPFROUTE_STAT_DNS_REFUSED_FULL, 1);
	} else {
		p->installed++;
		count(BPFROUTE_STAT_LEARNED_ADDRS, 1);
	}
	return 0;
}

/* Remember the question's name for `bpfroute routes`, once. */
static __always_inline void learn_name(struct dns_scratch *s, __u64 name_id)
{
	if (bpf_map_lookup_elem(&BPFROUTE_MAP_NAMES, &name_id))
		return;
	bpf_map_update_elem(&BPFROUTE_MAP_NAMES, &name_id, &s->q, BPF_ANY);
}

/*
 * Install the addresses collected in scratch->learn under rule. Returns how
 * many were installed or renewed; *verdict tells the agent what happened.
 */
static __always_inline __u32 learn_install(struct dns_scratch *s,
					   const struct bpfroute_rule *rule, __u64 name_id,
					   const __u8 *server, __u32 n, __u32 now, __u8 *verdict)
{
	struct learn_pass *p = &s->lp;

	*p = (struct learn_pass){
		.now = now,
		.name_id = name_id,
		.n = n,
		.ifindex = rule->ifindex,
		.rule = rule->id,
		.clients = rule->clients,
	};
	__builtin_memcpy(p->server, server, sizeof(p->server));
	if (n)
		bpf_loop(BPFROUTE_DNS_LEARN_MAX, learn_one, NULL, 0);
	if (p->installed)
		learn_name(s, name_id);
	*verdict = p->full ? BPFROUTE_DNS_FULL :
		   p->installed ? BPFROUTE_DNS_LEARNED : BPFROUTE_DNS_NOTHING;
	return p->installed;
}

#endif /* BPFROUTE_LEARN_H */
