/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Installing learned addresses in bpfroute_host4/6, and the addresses that
 * are never learned: the gateway's own and the tunnel endpoints
 * (bpfroute_excl*), the trusted resolvers and the answering server, and
 * addresses a router never forwards to.
 */
#ifndef BPFROUTE_LEARN_H
#define BPFROUTE_LEARN_H

#include "dns.h"
#include "forward.h"
#include "stats.h"



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
	struct dns_scratch *s = dns_scratch();
	const struct bpfroute_conf *conf;
	struct bpfroute_host *old, fresh = {};
	struct learn_pass *p;
	struct dns_learn *l;
	__u64 expires;
	__u32 zero = 0;
	void *map;
	long err;

	(void)ctx;
	conf = bpf_map_lookup_elem(&BPFROUTE_MAP_CONF, &zero);
	if (!s || !conf)
		return 1;
	p = &s->lp;
	if (idx >= p->n)
		return 1;
	l = &s->learn[IDX(idx, BPFROUTE_DNS_LEARN_MAX - 1)];
	if (learn_refused(l, p->server)) {
		count(BPFROUTE_STAT_DNS_REFUSED_ADDR, 1);
		return 0;
	}
	map = l->family == 4 ? (void *)&BPFROUTE_MAP_HOST4 : (void *)&BPFROUTE_MAP_HOST6;
	expires = p->now + bpfroute_lifetime_ns(conf, l->ttl);

	old = bpf_map_lookup_elem(map, l->addr);
	if (old) {
		/* A fresh answer renews the entry; it never shortens it. */
		if (expires > old->expires_ns)
			old->expires_ns = expires;
		old->ifindex = p->ifindex;
		old->rule = p->rule;
		old->name_id = p->name_id;
		old->idle_timeout = conf->idle_timeout;
		p->installed++;
		count(BPFROUTE_STAT_LEARNED_ADDRS, 1);
		return 0;
	}
	fresh.ifindex = p->ifindex;
	fresh.rule = p->rule;
	fresh.idle_timeout = conf->idle_timeout;
	fresh.name_id = p->name_id;
	fresh.expires_ns = expires;
	fresh.last_used_ns = p->now;
	err = bpf_map_update_elem(map, l->addr, &fresh, BPF_NOEXIST);
	if (err == -E2BIG) {
		/* Full: never evict a live entry. The agent frees expired ones. */
		p->full = 1;
		count(BPFROUTE_STAT_DNS_REFUSED_FULL, 1);
	} else if (!err || err == -EEXIST) {
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
					   const __u8 *server, __u32 n, __u64 now, __u8 *verdict)
{
	struct learn_pass *p = &s->lp;

	*p = (struct learn_pass){
		.now = now,
		.name_id = name_id,
		.n = n,
		.ifindex = rule->ifindex,
		.rule = rule->id,
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
