// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "hosts.h"

int hosts_fd(const struct bpfroute_maps *m, int family)
{
	return family == 4 ? m->host4 : m->host6;
}

size_t hosts_key_size(int family)
{
	return family == 4 ? sizeof(struct bpfroute_addr4) : sizeof(struct bpfroute_addr6);
}

__u64 hosts_lifetime_ns(const struct bpfroute_conf *conf, __u32 ttl)
{
	return bpfroute_lifetime_ns(conf, ttl);
}

__u64 hosts_since(const struct bpfroute_host *h)
{
	return h->last_used_ns > h->expires_ns ? h->last_used_ns : h->expires_ns;
}

bool hosts_expired(const struct bpfroute_host *h, __u64 now)
{
	return now > h->expires_ns;
}

/* The classifier's test (host_alive()), to the nanosecond. */
bool hosts_dead(const struct bpfroute_host *h, __u64 now)
{
	return bpfroute_host_dead(h, now);
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

/* Renew old (read at key) with what the answer says; never shorten. */
static int hosts_renew(int fd, const __u8 *addr, const struct bpfroute_host *old,
		       const struct bpfroute_conf *conf, const struct hosts_origin *o,
		       __u64 expires)
{
	struct bpfroute_host h = *old;

	if (expires > h.expires_ns)
		h.expires_ns = expires;
	h.ifindex = o->ifindex;
	h.rule = o->rule;
	h.name_id = o->name_id;
	h.idle_timeout = conf->idle_timeout;
	if (!memcmp(&h, old, sizeof(h)))
		return HOSTS_UNCHANGED;
	/*
	 * BPF_EXIST: an entry swept meanwhile is installed afresh by the
	 * caller's next try. Packets counted between the read and this write
	 * are lost: user space can only replace a whole value.
	 */
	if (bpf_map_update_elem(fd, addr, &h, BPF_EXIST))
		return -errno;
	return HOSTS_RENEWED;
}

int hosts_put(const struct bpfroute_maps *m, const struct bpfroute_conf *conf,
	      const struct hosts_origin *o, int family, const __u8 *addr, __u32 ttl, __u64 now)
{
	int fd = hosts_fd(m, family);
	struct bpfroute_host old, fresh = {
		.ifindex = o->ifindex,
		.rule = o->rule,
		.idle_timeout = conf->idle_timeout,
		.name_id = o->name_id,
		.expires_ns = o->ts_ns + hosts_lifetime_ns(conf, ttl),
		.last_used_ns = o->ts_ns,
	};
	int err;

	if (hosts_dead(&fresh, now))
		return HOSTS_STALE;
	/* Twice at most: the kernel or a sweep may add or remove it meanwhile. */
	for (int tries = 0; tries < 2; tries++) {
		if (!bpf_map_lookup_elem(fd, addr, &old)) {
			err = hosts_renew(fd, addr, &old, conf, o, fresh.expires_ns);
			if (err != -ENOENT)
				return err;
			continue;
		}
		if (errno != ENOENT)
			return -errno;
		if (!bpf_map_update_elem(fd, addr, &fresh, BPF_NOEXIST))
			return HOSTS_INSTALLED;
		if (errno != EEXIST)
			return -errno;	/* -E2BIG: full */
	}
	return -EAGAIN;
}

static bool same_life(const struct bpfroute_host *a, const struct bpfroute_host *b)
{
	return a->expires_ns == b->expires_ns && a->last_used_ns == b->last_used_ns;
}

static bool reapable(const struct bpfroute_host *cur, const struct bpfroute_host *seen,
		     __u64 now, bool need_dead)
{
	if (!same_life(cur, seen) || !hosts_expired(cur, now))
		return false;
	return !need_dead || hosts_dead(cur, now);
}

int hosts_reap(int fd, const void *key, const struct bpfroute_host *seen, __u64 now,
	       bool need_dead)
{
	struct bpfroute_host cur;

	if (bpf_map_lookup_elem(fd, key, &cur))
		return -errno;
	if (!reapable(&cur, seen, now, need_dead))
		return -EAGAIN;
	/*
	 * A renewal can still land between the read above and the delete:
	 * lookup-and-delete hands back what was deleted, so such an entry is
	 * put back (BPF_NOEXIST: unless the kernel has learned it afresh).
	 */
	if (bpf_map_lookup_and_delete_elem(fd, key, &cur))
		return -errno;
	if (!reapable(&cur, seen, now, need_dead)) {
		bpf_map_update_elem(fd, key, &cur, BPF_NOEXIST);
		return -EAGAIN;
	}
	return 0;
}

int hosts_batch(int fd, struct hosts_cursor *c, void *keys, struct bpfroute_host *vals, __u32 *n)
{
	__u64 out = 0;
	int err;

	if (c->done) {
		*n = 0;
		return 0;
	}
	err = bpf_map_lookup_batch(fd, c->started ? &c->token : NULL, &out, keys, vals, n, NULL);
	if (err && errno != ENOENT) {
		err = -errno;
		*n = 0;
		return err;
	}
	if (err)
		c->done = true;	/* ENOENT: this was the last batch, maybe empty */
	c->token = out;
	c->started = true;
	return 0;
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

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * HOSTS_NSEC_PER_SEC + (__u64)ts.tv_nsec;
}
