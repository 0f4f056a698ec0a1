// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "hosts.h"
#include "routes.h"

__u32 hosts_lifetime_s(const struct bpfroute_conf *conf, __u32 ttl)
{
	return bpfroute_lifetime_s(conf, ttl);
}

__u32 hosts_since(const struct bpfroute_host *h)
{
	return h->last_used > h->expires ? h->last_used : h->expires;
}

bool hosts_expired(const struct bpfroute_host *h, __u32 now)
{
	return now > h->expires;
}

/* The classifier's test (host_alive()). */
bool hosts_dead(const struct bpfroute_host *h, __u32 now, __u32 idle_timeout)
{
	return bpfroute_host_dead(h, now, idle_timeout);
}

bool hosts_addr_special(int family, const __u8 *addr)
{
	return family == 4 ? bpfroute_ipv4_special(addr) : bpfroute_ipv6_special(addr);
}

bool hosts_refused(const struct bpfroute_maps *m, int family, const __u8 *addr)
{
	struct bpfroute_resolver_key rkey = { .family = family };
	struct bpfroute_excl excl;
	__u32 one;

	if (hosts_addr_special(family, addr))
		return true;
	if (!bpf_map_lookup_elem(family == 4 ? m->excl4 : m->excl6, addr, &excl))
		return true;
	/* As the learner (bpf/learn.h): a bypassed network is never steered. */
	if (routes_in_bypass(m, family, addr))
		return true;
	memcpy(rkey.addr, addr, family == 4 ? 4 : 16);
	return !bpf_map_lookup_elem(m->resolvers, &rkey, &one);
}

bool hosts_is_server(const struct hosts_origin *o, int family, const __u8 *addr)
{
	__u8 a[16] = {};

	memcpy(a, addr, family == 4 ? 4 : 16);
	for (size_t i = 0; i < o->n_servers; i++)
		if (!memcmp(o->servers[i], a, sizeof(a)))
			return true;
	return false;
}

int hosts_put(struct hosttable *ht, const struct bpfroute_conf *conf,
	      const struct hosts_origin *o, const __u8 *addr, __u32 ttl, __u32 now)
{
	struct bpfroute_host fresh = {
		.ifindex = o->ifindex,
		.expires = o->ts + hosts_lifetime_s(conf, ttl),
		.last_used = o->ts,
		.rule = o->rule,
		.clients = o->clients,
		.name_id = o->name_id,
	};

	memcpy(fresh.addr, addr, ht->family == 4 ? 4 : 16);
	if (hosts_dead(&fresh, now, conf->idle_timeout))
		return HOSTS_STALE;
	switch (hosttable_learn(ht, conf, &fresh)) {
	case BPFROUTE_TABLE_INSTALLED:
		return HOSTS_INSTALLED;
	case BPFROUTE_TABLE_RENEWED:
		return HOSTS_RENEWED;
	case BPFROUTE_TABLE_UNCHANGED:
		return HOSTS_UNCHANGED;
	default:
		return -E2BIG;	/* max-routes, or no slot within reach */
	}
}

static bool reapable(const struct bpfroute_host *h, __u32 now,
		     const struct bpfroute_conf *dead_by)
{
	if (now < BPFROUTE_TABLE_GRACE_S)
		return false;
	now -= BPFROUTE_TABLE_GRACE_S;
	return hosts_expired(h, now) && (!dead_by || hosts_dead(h, now, dead_by->idle_timeout));
}

int hosts_reap(struct hosttable *ht, struct bpfroute_host *s, const struct bpfroute_host *seen,
	       __u32 now, const struct bpfroute_conf *dead_by)
{
	__u32 st = TABLE_READ(s->state);

	if (BPFROUTE_SLOT_KIND(st) != BPFROUTE_SLOT_LIVE)
		return -ENOENT;
	/* Renewed since it was seen: its fate is decided again, on the new state. */
	if (st != seen->state)
		return -EAGAIN;
	/*
	 * last_used moves without a version bump (the classifier writes it, at
	 * most once a second): read it again now, after the state.
	 */
	if (TABLE_READ(s->last_used) != seen->last_used || !reapable(seen, now, dead_by))
		return -EAGAIN;
	return hosttable_kill(ht, s, st) ? 0 : -EAGAIN;
}

int hosts_name_put(const struct bpfroute_maps *m, __u64 id, const __u8 *wire, size_t len)
{
	struct bpfroute_name name = {};

	if (len > sizeof(name.name))
		return -EINVAL;
	if (!bpf_map_lookup_elem(m->names, &id, &name))
		return 0;
	name.len = (__u16)len;
	memcpy(name.name, wire, len);
	if (bpf_map_update_elem(m->names, &id, &name, BPF_ANY))
		return -errno;
	return 0;
}

__u64 hosts_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * HOSTS_NSEC_PER_SEC + (__u64)ts.tv_nsec;
}
