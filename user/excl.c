// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "excl.h"
#include "hosttable.h"
#include "log.h"
#include "wireguard.h"

#define EXCL_MAX_ENDPOINTS 256	/* per target device */

struct excl_entry {
	int family;
	__u8 addr[16];		/* network order */
	struct bpfroute_excl val;
};

struct excl_set {
	struct excl_entry *v;
	size_t n;
};

static bool excl_has(const struct excl_set *set, int family, const void *addr)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].family == family &&
		    !memcmp(set->v[i].addr, addr, family == AF_INET ? 4 : 16))
			return true;
	return false;
}

/* Add an address once: the first reason seen for it stays (local before endpoint). */
static int excl_add(struct excl_set *set, int family, const void *addr, __u32 reason,
		    __u32 ifindex)
{
	struct excl_entry *grown, *e;

	if (excl_has(set, family, addr))
		return 0;
	grown = realloc(set->v, (set->n + 1) * sizeof(*set->v));
	if (!grown)
		return -ENOMEM;
	set->v = grown;
	e = &grown[set->n++];
	memset(e, 0, sizeof(*e));
	e->family = family;
	memcpy(e->addr, addr, family == AF_INET ? 4 : 16);
	e->val.reason = reason;
	e->val.ifindex = ifindex;
	return 0;
}

static int collect_local(struct excl_set *set)
{
	struct ifaddrs *ifa_list, *ifa;
	int err = 0;

	if (getifaddrs(&ifa_list))
		return -errno;
	for (ifa = ifa_list; ifa && !err; ifa = ifa->ifa_next) {
		__u32 ifindex;

		if (!ifa->ifa_addr)
			continue;
		ifindex = if_nametoindex(ifa->ifa_name);
		if (ifa->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)ifa->ifa_addr;

			err = excl_add(set, AF_INET, &sin->sin_addr, BPFROUTE_EXCL_LOCAL, ifindex);
			/* A directed broadcast is for the gateway's own LAN, too. */
			if (!err && (ifa->ifa_flags & IFF_BROADCAST) && ifa->ifa_broadaddr) {
				sin = (const void *)ifa->ifa_broadaddr;
				err = excl_add(set, AF_INET, &sin->sin_addr, BPFROUTE_EXCL_LOCAL,
					       ifindex);
			}
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const void *)ifa->ifa_addr;

			err = excl_add(set, AF_INET6, &sin6->sin6_addr, BPFROUTE_EXCL_LOCAL,
				       ifindex);
		}
	}
	freeifaddrs(ifa_list);
	return err;
}

static int collect_endpoints(struct excl_set *set, int ifindex)
{
	struct wg_endpoint *eps;
	char name[IF_NAMESIZE];
	int n, err = 0;

	if (!if_indextoname(ifindex, name))
		return 0;	/* gone: nothing of it to exclude */
	eps = calloc(EXCL_MAX_ENDPOINTS, sizeof(*eps));
	if (!eps)
		return -ENOMEM;
	n = wg_get_endpoints(name, eps, EXCL_MAX_ENDPOINTS);
	if (n == -EOPNOTSUPP || n == -ENODEV) {
		n = 0;	/* not WireGuard: it has no endpoint of its own */
	} else if (n < 0) {
		pr_err("reading the WireGuard endpoints of %s: %s\n", name, strerror(-n));
		err = n;
	}
	for (int i = 0; i < n && !err; i++)
		err = excl_add(set, eps[i].family, eps[i].addr, BPFROUTE_EXCL_ENDPOINT, ifindex);
	free(eps);
	return err;
}

/* Write the set, then delete what is in the maps but not in the set. */
static int excl_apply(const struct bpfroute_maps *m, const struct excl_set *set)
{
	struct bpfroute_addr6 key, next;
	int fds[2] = { m->excl4, m->excl6 };
	int families[2] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < set->n; i++) {
		const struct excl_entry *e = &set->v[i];
		int fd = e->family == AF_INET ? m->excl4 : m->excl6;

		if (bpf_map_update_elem(fd, e->addr, &e->val, BPF_ANY))
			return -errno;
	}
	for (int f = 0; f < 2; f++) {
		void *prev = NULL;

		/*
		 * Deleting the current key would restart get_next_key at the
		 * start of the hash map: delete behind the cursor instead.
		 */
		while (!bpf_map_get_next_key(fds[f], prev, &next)) {
			if (prev && !excl_has(set, families[f], prev))
				bpf_map_delete_elem(fds[f], prev);
			key = next;
			prev = &key;
		}
		if (prev && !excl_has(set, families[f], prev))
			bpf_map_delete_elem(fds[f], prev);
	}
	return 0;
}

/*
 * Delete the learned entries of excluded addresses: an address may become
 * excluded after it was learned (a new tunnel endpoint, a new address of
 * the gateway), and the classifiers do not check a learned entry's
 * destination again (dest_checked() in bpf/lookup.h). The learner refuses
 * it from the moment the exclusion is written, which is before this runs.
 */
static int excl_purge_learned(const struct bpfroute_maps *m, const struct excl_set *set)
{
	struct bpfroute_conf conf;
	struct hosttable ht[2];
	__u32 zero = 0;
	int err;

	if (bpf_map_lookup_elem(m->conf, &zero, &conf))
		return -errno;
	err = hosttable_open(m, 4, &ht[0]);
	if (err)
		return err;
	err = hosttable_open(m, 6, &ht[1]);
	if (err) {
		hosttable_close(&ht[0]);
		return err;
	}
	for (size_t i = 0; i < set->n; i++) {
		const struct excl_entry *e = &set->v[i];
		struct hosttable *t = &ht[e->family == AF_INET ? 0 : 1];
		__u8 addr[16] = {};

		memcpy(addr, e->addr, e->family == AF_INET ? 4 : 16);
		hosttable_purge(t, &conf, addr);
	}
	hosttable_close(&ht[0]);
	hosttable_close(&ht[1]);
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* bpfroute_excl4 and bpfroute_excl6 hold BPFROUTE_MAX_EXCL each. */
static int excl_check_size(const struct excl_set *set)
{
	size_t n4 = 0;

	for (size_t i = 0; i < set->n; i++)
		n4 += set->v[i].family == AF_INET;
	return n4 > BPFROUTE_MAX_EXCL || set->n - n4 > BPFROUTE_MAX_EXCL ? -E2BIG : 0;
}

int excl_sync(const struct bpfroute_maps *m, const int *targets, int n_targets)
{
	struct excl_set set = {};
	int *devs, n_devs = 0, err;

	/* Every route names its device: read each device once, not once per route. */
	devs = malloc((n_targets + 1) * sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	memcpy(devs, targets, n_targets * sizeof(*devs));
	qsort(devs, n_targets, sizeof(*devs), cmp_int);
	for (int i = 0; i < n_targets; i++)
		if (!n_devs || devs[n_devs - 1] != devs[i])
			devs[n_devs++] = devs[i];

	err = collect_local(&set);
	for (int i = 0; i < n_devs && !err; i++)
		err = collect_endpoints(&set, devs[i]);
	if (!err)
		err = excl_check_size(&set);
	if (!err)
		err = excl_apply(m, &set);
	if (!err)
		err = excl_purge_learned(m, &set);
	free(set.v);
	free(devs);
	return err;
}

int excl_lookup(const struct bpfroute_maps *m, int family, const __u8 *addr,
		struct bpfroute_excl *val)
{
	if (bpf_map_lookup_elem(family == 4 ? m->excl4 : m->excl6, addr, val))
		return -errno;
	return 0;
}

const char *excl_reason_text(__u32 reason)
{
	switch (reason) {
	case BPFROUTE_EXCL_LOCAL:
		return "an address of the gateway";
	case BPFROUTE_EXCL_ENDPOINT:
		return "a tunnel endpoint";
	default:
		return "excluded";
	}
}
