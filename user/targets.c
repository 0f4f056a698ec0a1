// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "netdev.h"
#include "targets.h"
#include "bpfroute_policy.h"	/* after targets.h: it needs the ABI */

/*
 * getifaddrs() lists a device's IPv4 addresses primary first, and its IPv6
 * addresses as the kernel holds them: the first global one is the one `ip
 * addr` shows first.
 */
int target_addrs(const char *dev, struct bpfroute_target *t)
{
	struct ifaddrs *list, *ifa;
	bool have4 = false, have6 = false;

	memset(t->addr4, 0, sizeof(t->addr4));
	memset(t->addr6, 0, sizeof(t->addr6));
	if (getifaddrs(&list))
		return -errno;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || strcmp(ifa->ifa_name, dev))
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET && !have4) {
			const struct sockaddr_in *sin = (const void *)ifa->ifa_addr;
			const __u8 *a = (const __u8 *)&sin->sin_addr;

			if (bpfroute_ipv4_special(a))
				continue;
			memcpy(t->addr4, a, sizeof(t->addr4));
			have4 = true;
		} else if (ifa->ifa_addr->sa_family == AF_INET6 && !have6) {
			const struct sockaddr_in6 *sin6 = (const void *)ifa->ifa_addr;
			const __u8 *a = sin6->sin6_addr.s6_addr;

			if (bpfroute_ipv6_special(a))
				continue;
			memcpy(t->addr6, a, sizeof(t->addr6));
			have6 = true;
		}
	}
	freeifaddrs(list);
	return 0;
}

int target_describe(const char *dev, struct bpfroute_target *t)
{
	struct netdev_hw hw;
	bool up = false;
	int err;

	memset(t, 0, sizeof(*t));
	err = netdev_hw_get(dev, &hw);
	if (!err)
		err = target_addrs(dev, t);
	if (!err)
		err = netdev_up(dev, &up);
	if (!err && netdev_hw_ether(&hw))
		t->flags |= BPFROUTE_TARGET_F_ETHER;
	if (!err && !up)
		t->flags |= BPFROUTE_TARGET_F_DOWN;
	return err;
}

static bool target_has_addr(const struct bpfroute_target *t)
{
	static const __u8 zero[16];

	return memcmp(t->addr4, zero, sizeof(t->addr4)) || memcmp(t->addr6, zero, sizeof(t->addr6));
}

int targets_check(const struct config *cfg, char *err, size_t errlen)
{
	const char *name = cfg->path ? cfg->path : "(config)";

	for (size_t i = 0; i < cfg->n_masq; i++) {
		const struct config_masq *mq = &cfg->masq[i];
		struct bpfroute_target t = {};
		int ret;

		ret = target_addrs(mq->dev, &t);
		if (ret) {
			snprintf(err, errlen, "%s:%d: reading the addresses of %s: %s", name,
				 mq->line, mq->dev, strerror(-ret));
			return ret;
		}
		if (!target_has_addr(&t)) {
			snprintf(err, errlen,
				 "%s:%d: %s has no global IPv4 or IPv6 address to masquerade with",
				 name, mq->line, mq->dev);
			return -EADDRNOTAVAIL;
		}
	}
	/*
	 * The XDP stage hands frames to the device as they are, Ethernet
	 * header and all; an L3 device has no use for one, and kernel
	 * WireGuard cannot take XDP frames at all (no ndo_xdp_xmit).
	 */
	for (size_t i = 0; i < cfg->n_xdp; i++) {
		const struct config_xdp *x = &cfg->xdp[i];
		struct netdev_hw hw;
		int ret;

		ret = netdev_hw_get(x->dev, &hw);
		if (ret) {
			snprintf(err, errlen, "%s:%d: reading the link type of %s: %s", name,
				 x->line, x->dev, strerror(-ret));
			return ret;
		}
		if (!netdev_hw_ether(&hw)) {
			snprintf(err, errlen, "%s:%d: %s is not an Ethernet device (link type %u): "
				 "'xdp' needs one", name, x->line, x->dev, hw.type);
			return -EINVAL;
		}
	}
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	__u32 x = ((const struct target_entry *)a)->ifindex;
	__u32 y = ((const struct target_entry *)b)->ifindex;

	return x < y ? -1 : x > y;
}

const struct target_entry *targets_find(const struct target_set *set, __u32 ifindex)
{
	struct target_entry want = { .ifindex = ifindex };

	if (!set->n)
		return NULL;
	return bsearch(&want, set->v, set->n, sizeof(*set->v), entry_cmp);
}

int targets_build(const struct config *cfg, const int *ifindexes, int n, struct target_set *set)
{
	int err = 0;

	set->n = 0;
	set->v = calloc(n + 1, sizeof(*set->v));
	if (!set->v)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		struct target_entry *e = &set->v[set->n];
		const struct config_strict *st;
		char dev[IF_NAMESIZE];
		bool seen = false;

		for (size_t j = 0; j < set->n && !seen; j++)
			seen = set->v[j].ifindex == (__u32)ifindexes[i];
		if (seen || ifindexes[i] <= 0)
			continue;
		memset(e, 0, sizeof(*e));
		e->ifindex = ifindexes[i];
		err = if_indextoname(ifindexes[i], dev) ? target_describe(dev, &e->val) : -ENODEV;
		/*
		 * A device gone since its route was added (a learned or added
		 * entry's): down, so that its packets are dropped and counted,
		 * and strict, since no config line can name it any more.
		 */
		if (err == -ENODEV) {
			err = 0;
			memset(&e->val, 0, sizeof(e->val));
			e->val.flags = BPFROUTE_TARGET_F_DOWN;
			set->n++;
			continue;
		}
		if (err)
			break;
		if (config_masq_find(cfg, dev))
			e->val.flags |= BPFROUTE_TARGET_F_MASQ;
		/* targets_check() made sure the device is Ethernet. */
		if (config_xdp_find(cfg, dev))
			e->val.flags |= BPFROUTE_TARGET_F_XDP;
		st = config_strict_find(cfg, dev);
		if (st && !st->strict)
			e->val.flags |= BPFROUTE_TARGET_F_FALLBACK;
		set->n++;
	}
	if (err) {
		targets_free(set);
		return err;
	}
	qsort(set->v, set->n, sizeof(*set->v), entry_cmp);
	return 0;
}

int targets_read(const struct bpfroute_maps *m, struct target_set *set)
{
	__u32 key, next, *prev = NULL;
	int err = 0;

	set->n = 0;
	set->v = calloc(BPFROUTE_MAX_TARGETS, sizeof(*set->v));
	if (!set->v)
		return -ENOMEM;
	/* The map holds no more than BPFROUTE_MAX_TARGETS: the bound is for safety. */
	while (set->n < BPFROUTE_MAX_TARGETS) {
		struct target_entry *e = &set->v[set->n];

		if (bpf_map_get_next_key(m->targets, prev, &next)) {
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
		e->ifindex = next;
		/* Deleted between the two calls: skip it. */
		if (!bpf_map_lookup_elem(m->targets, &next, &e->val))
			set->n++;
		key = next;
		prev = &key;
	}
	if (err) {
		targets_free(set);
		return err;
	}
	qsort(set->v, set->n, sizeof(*set->v), entry_cmp);
	return 0;
}

int targets_apply(const struct bpfroute_maps *m, const struct target_set *set)
{
	struct target_set old;
	int err;

	if (set->n > BPFROUTE_MAX_TARGETS)
		return -E2BIG;
	err = targets_read(m, &old);
	if (err)
		return err;
	/*
	 * The map may hold at most BPFROUTE_MAX_TARGETS at any moment: new
	 * entries and stale ones together may not fit. Stale entries are
	 * devices no route points at any more, so removing them first costs
	 * nothing; entries that stay are overwritten in place.
	 */
	for (size_t i = 0; i < old.n; i++) {
		if (targets_find(set, old.v[i].ifindex))
			continue;
		if (bpf_map_delete_elem(m->targets, &old.v[i].ifindex) && errno != ENOENT) {
			err = -errno;
			goto cleanup;
		}
	}
	for (size_t i = 0; i < set->n; i++) {
		if (bpf_map_update_elem(m->targets, &set->v[i].ifindex, &set->v[i].val, BPF_ANY)) {
			err = -errno;
			goto cleanup;
		}
	}
cleanup:
	targets_free(&old);
	return err;
}

int targets_add_missing(const struct bpfroute_maps *m, const char *dev, __u32 ifindex,
			bool *added)
{
	struct bpfroute_target t;
	int err;

	*added = false;
	if (!bpf_map_lookup_elem(m->targets, &ifindex, &t))
		return 0;
	if (errno != ENOENT)
		return -errno;
	err = target_describe(dev, &t);
	if (err)
		return err;
	if (bpf_map_update_elem(m->targets, &ifindex, &t, BPF_NOEXIST))
		return errno == EEXIST ? 0 : -errno;
	*added = true;
	return 0;
}

void targets_free(struct target_set *set)
{
	free(set->v);
	set->v = NULL;
	set->n = 0;
}
