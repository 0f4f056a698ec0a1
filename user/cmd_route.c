// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `bpfroute route add PREFIX dev IFNAME` and `bpfroute route del PREFIX`. */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "cmd.h"
#include "config.h"
#include "excl.h"
#include "log.h"
#include "maps.h"
#include "pindir.h"
#include "routes.h"
#include "targets.h"
#include "tc.h"

/* The LAN interfaces themselves cannot be targets: a packet would loop. */
static int check_target(const struct bpfroute_maps *m, const char *dev, int ifindex)
{
	struct tc_link *links;
	int n, err;

	err = tc_list_attached(map_id(m->stats), &links, &n);
	if (err)
		return err;
	for (int i = 0; i < n && !err; i++)
		if (links[i].ifindex == ifindex) {
			pr_err("route: %s is a LAN interface of this instance, not a target\n",
			       dev);
			err = -EINVAL;
		}
	free(links);
	return err;
}

/*
 * The new target's tunnel endpoints join the exclusions, and a device new to
 * bpfroute_target gets its entry (an Ethernet one needs F_ETHER for its next
 * hop's MAC), before the route.
 */
static int route_add(const struct bpfroute_maps *m, const struct prefix *p, const char *dev,
		     int ifindex)
{
	struct route_entry *entries, *e;
	int err, *targets = NULL, n = 0;
	bool target_added = false;
	size_t count;

	err = routes_list(m, &entries, &count);
	if (err)
		return err;
	targets = calloc(count + 1, sizeof(*targets));
	if (!targets) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < count; i++)
		if (!(entries[i].route.flags & BPFROUTE_ROUTE_F_BYPASS))	/* no device */
			targets[n++] = entries[i].route.ifindex;
	targets[n++] = ifindex;
	err = excl_sync(m, targets, n);
	if (err) {
		pr_err("route: updating the exclusions: %s%s\n", strerror(-err),
		       err == -E2BIG ? EXCL_E2BIG_WHY : "");
		goto cleanup;
	}
	err = targets_add_missing(m, dev, ifindex, &target_added);
	if (err) {
		pr_err("route: writing the target %s: %s%s\n", dev, strerror(-err),
		       err == -E2BIG ? " (more target devices than bpfroute_target holds)" : "");
		goto cleanup;
	}
	e = routes_find(entries, count, p);
	/* Over a bypass of the config too: the operator's later word wins. */
	err = routes_set(m, p, ifindex, BPFROUTE_ORIGIN_MANUAL, 0, 0, e ? &e->route : NULL);
	if (err) {
		pr_err("route: adding %s: %s%s\n", dev, strerror(-err),
		       err == -E2BIG || err == -ENOSPC ? " (the route map is full)" : "");
		/* Nothing points at a target written for this route alone. */
		if (target_added)
			bpf_map_delete_elem(m->targets, &ifindex);
	}
cleanup:
	free(targets);
	free(entries);
	return err;
}

int cmd_route(const struct cli *cli, int argc, char **argv)
{
	struct bpfroute_maps m = {};
	bool json = cli->json, add;
	const char *why, *dev = NULL;
	struct prefix p;
	struct pindir pd;
	int idx, err, ifindex = 0;

	idx = cmd_parse_opts("route", argc, argv, &json, NULL);
	if (idx < 0)
		return idx;
	argc -= idx;
	argv += idx;

	/* Check every argument before taking the lock. */
	if (argc == 4 && !strcmp(argv[0], "add") && !strcmp(argv[2], "dev")) {
		add = true;
		dev = argv[3];
	} else if (argc == 2 && !strcmp(argv[0], "del")) {
		add = false;
	} else {
		cmd_bad_usage("route", "expected 'add PREFIX dev IFNAME' or 'del PREFIX'");
		return -EINVAL;
	}
	/* As the config tells them apart: a name is no prefix with a typo. */
	if (!config_word_is_prefix(argv[1])) {
		pr_err("route: %s is a domain name: domain rules belong in the config file "
		       "('route %s dev IFNAME' there, then 'bpfroute load')\n", argv[1], argv[1]);
		return -EINVAL;
	}
	if (prefix_parse(argv[1], &p, &why)) {
		pr_err("route: %s: %s\n", argv[1], why);
		return -EINVAL;
	}
	if (add) {
		ifindex = strlen(dev) < IF_NAMESIZE ? (int)if_nametoindex(dev) : 0;
		if (!ifindex) {
			pr_err("route: unknown device '%s'\n", dev);
			return -ENODEV;
		}
	}

	err = cmd_open(cli, true, &pd, &m, NULL);
	if (err)
		return err;

	if (add) {
		err = check_target(&m, dev, ifindex);
		if (!err)
			err = route_add(&m, &p, dev, ifindex);
	} else {
		err = routes_del(&m, &p);
		if (err == -ENOENT)
			pr_err("route: no route %s\n", argv[1]);
		else if (err)
			pr_err("route: deleting %s: %s\n", argv[1], strerror(-err));
	}
	/* The classifier looks in the tries only where a prefix may cover. */
	if (!err) {
		err = routes_summarize(&m);
		if (err)
			pr_err("route: writing bpfroute_pfxsum: %s\n", strerror(-err));
	}
	maps_close(&m);
	pindir_close(&pd);
	return err;
}
