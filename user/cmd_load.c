// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `bpfroute load`: check the config, load (or reload) the datapath, attach it
 * to the LAN interfaces, and make the maps match the config.
 *
 * The order keeps the kernel consistent at every step and the failure of any
 * step harmless: the whole config is checked before the kernel is touched;
 * exclusions go in before a program can see a route; attaching replaces the
 * filter atomically, and is rolled back interface by interface if one fails;
 * routes change only once the programs are in place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cmd.h"
#include "config.h"
#include "datapath.h"
#include "excl.h"
#include "learning.h"
#include "load.h"
#include "log.h"
#include "pindir.h"
#include "routes.h"
#include "tc.h"

struct load_ctx {
	struct config cfg;
	int *iface_idx;		/* ifindex of cfg.ifaces[i] */
	int *route_idx;		/* target ifindex of cfg.routes[i] */
	struct pindir pd;
	struct datapath dp;
	struct tc_link *before;	/* where this instance was attached before */
	int n_before;
	__u32 (*old_prog)[2];	/* our programs on cfg.ifaces[i] before, or 0,
				 * per enum tc_hook */
	int n_attached;		/* cfg.ifaces[0..n) attached by this run */
};

static int resolve_ifindexes(struct load_ctx *c)
{
	const struct config *cfg = &c->cfg;

	c->iface_idx = calloc(cfg->n_ifaces + 1, sizeof(int));
	c->route_idx = calloc(cfg->n_routes + 1, sizeof(int));
	c->old_prog = calloc(cfg->n_ifaces + 1, sizeof(*c->old_prog));
	if (!c->iface_idx || !c->route_idx || !c->old_prog)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_ifaces; i++)
		c->iface_idx[i] = if_nametoindex(cfg->ifaces[i].name);
	for (size_t i = 0; i < cfg->n_routes; i++)
		c->route_idx[i] = if_nametoindex(cfg->routes[i].dev);
	return 0;
}

/*
 * Refuse to replace a filter at our handle and priority that is not this
 * instance's: another program, or bpfroute with another pin directory.
 */
static int check_hooks_free(struct load_ctx *c, __u32 instance_id)
{
	for (size_t i = 0; i < c->cfg.n_ifaces; i++) {
		for (int hook = TC_HOOK_INGRESS; hook <= TC_HOOK_EGRESS; hook++) {
			__u32 prog_id;

			if (tc_query(c->iface_idx[i], hook, &prog_id))
				continue;
			if (!tc_prog_uses_map(prog_id, instance_id)) {
				pr_warn("%s: clsact %s handle 0x%x priority 0x%x holds program %u, "
					"which is not this instance's (another --pin-dir?); "
					"not replacing it\n", c->cfg.ifaces[i].name,
					hook == TC_HOOK_INGRESS ? "ingress" : "egress",
					BPFROUTE_TC_HANDLE, BPFROUTE_TC_PRIORITY, prog_id);
				return -EBUSY;
			}
			c->old_prog[i][hook] = prog_id;
		}
	}
	return 0;
}

/* Put back what attach_all() changed: the old programs, or no filters. */
static void rollback_attach(struct load_ctx *c)
{
	for (int i = 0; i < c->n_attached; i++) {
		for (int hook = TC_HOOK_INGRESS; hook <= TC_HOOK_EGRESS; hook++) {
			__u32 id = c->old_prog[i][hook];
			int fd = id ? bpf_prog_get_fd_by_id(id) : -1;

			if (fd >= 0) {
				tc_attach(c->iface_idx[i], hook, fd);
				close(fd);
			} else {
				tc_detach(c->iface_idx[i], hook);
			}
		}
	}
	c->n_attached = 0;
}

/*
 * Egress first: the learner is in place before the classifier starts
 * recording queries whose answers it must see.
 */
static int attach_all(struct load_ctx *c)
{
	for (size_t i = 0; i < c->cfg.n_ifaces; i++) {
		int err;

		c->n_attached++;
		err = tc_attach(c->iface_idx[i], TC_HOOK_EGRESS, c->dp.learn_fd);
		if (!err)
			err = tc_attach(c->iface_idx[i], TC_HOOK_INGRESS, c->dp.prog_fd);
		if (err) {
			pr_warn("attaching to %s: %s\n", c->cfg.ifaces[i].name, strerror(-err));
			rollback_attach(c);
			return err;
		}
	}
	return 0;
}

/* Interfaces dropped from the config: detach from them. */
static void detach_stale(struct load_ctx *c)
{
	for (int i = 0; i < c->n_before; i++) {
		bool keep = false;

		for (size_t j = 0; j < c->cfg.n_ifaces && !keep; j++)
			keep = c->iface_idx[j] == c->before[i].ifindex;
		if (keep)
			continue;
		tc_detach(c->before[i].ifindex, TC_HOOK_EGRESS);
		if (tc_detach(c->before[i].ifindex, TC_HOOK_INGRESS))
			pr_warn("detaching from %s failed\n", c->before[i].name);
		else
			pr_info("detached from %s (no longer in the config)\n", c->before[i].name);
	}
}

/* Every device a route points at: the config's, and those of added entries. */
static int collect_targets(struct load_ctx *c, int **targets, int *n)
{
	struct route_entry *entries;
	size_t count;
	int *t, err;

	err = routes_list(&c->dp.maps, &entries, &count);
	if (err)
		return err;
	t = calloc(count + c->cfg.n_routes + 1, sizeof(*t));
	if (!t) {
		free(entries);
		return -ENOMEM;
	}
	*n = 0;
	for (size_t i = 0; i < c->cfg.n_routes; i++)
		t[(*n)++] = c->route_idx[i];
	for (size_t i = 0; i < count; i++)
		t[(*n)++] = entries[i].route.ifindex;
	free(entries);
	*targets = t;
	return 0;
}

/*
 * Replies to steered traffic come back on the target device while the main
 * table routes their source elsewhere: strict reverse-path filtering
 * (rp_filter=1, RFC 3704) drops them. The effective value is the larger of
 * "all" and the device's own.
 */
static int read_rp_filter(const char *dev)
{
	char path[128];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", dev);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void warn_rp_filter(const struct config *cfg)
{
	int all = read_rp_filter("all");

	for (size_t i = 0; i < cfg->n_routes; i++) {
		const char *dev = cfg->routes[i].dev;
		int own = read_rp_filter(dev), eff = own > all ? own : all;
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(cfg->routes[j].dev, dev);
		if (!seen && eff == 1)
			pr_warn("warning: rp_filter=1 (strict) on %s drops the replies to steered "
				"traffic; set net.ipv4.conf.%s.rp_filter=2 (loose)\n", dev, dev);
	}
}

static void load_ctx_free(struct load_ctx *c)
{
	datapath_close(&c->dp);
	pindir_close(&c->pd);
	free(c->before);
	free(c->iface_idx);
	free(c->route_idx);
	free(c->old_prog);
	config_free(&c->cfg);
}

int cmd_load(const struct cli *cli, int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	bool json = cli->json;
	int idx;

	idx = cmd_parse_opts("load", argc, argv, &json, &path);
	if (idx < 0)
		return idx;
	if (idx < argc) {
		cmd_bad_usage("load", "unexpected argument '%s'", argv[idx]);
		return -EINVAL;
	}
	return load_instance(cli->pin_dir, path);
}

int load_instance(const char *pin_dir, const char *path)
{
	struct load_ctx c = { .pd.fd = -1 };
	int err, n_targets = 0, *targets = NULL;
	size_t n_prefixes = 0, n_domains;
	char msg[512];

	/* 1. Everything that can be checked without touching the kernel. */
	err = config_parse_file(path, &c.cfg, msg, sizeof(msg));
	if (!err)
		err = config_check_devices(&c.cfg, msg, sizeof(msg));
	if (err) {
		pr_warn("%s\n", msg);
		return err;
	}
	err = resolve_ifindexes(&c);
	if (err)
		goto cleanup;

	/* 2. The programs, with the instance's maps. */
	err = pindir_create(&c.pd, pin_dir);
	if (err)
		goto cleanup;
	err = datapath_load(&c.dp, &c.pd, c.cfg.max_routes);
	if (err)
		goto undo_pins;
	err = check_hooks_free(&c, map_id(c.dp.maps.stats));
	if (err)
		goto undo_pins;
	err = tc_list_attached(map_id(c.dp.maps.stats), &c.before, &c.n_before);
	if (err)
		goto undo_pins;

	/* 3. Exclusions before any program can see a route. */
	err = collect_targets(&c, &targets, &n_targets);
	if (!err)
		err = excl_sync(&c.dp.maps, targets, n_targets);
	if (err) {
		pr_warn("filling the exclusion maps: %s\n", strerror(-err));
		goto undo_pins;
	}
	err = learning_sync(&c.dp.maps, &c.cfg, c.route_idx);
	if (err) {
		pr_warn("writing the domain rules: %s\n", strerror(-err));
		goto undo_pins;
	}

	/* 4. Attach (atomic replace), then the routes, then let go of the old. */
	err = attach_all(&c);
	if (err)
		goto undo_pins;
	err = routes_sync_config(&c.dp.maps, &c.cfg, c.route_idx);
	if (err) {
		pr_warn("writing the config's routes: %s%s\n", strerror(-err),
			err == -E2BIG ? " (more prefixes than the route maps hold)" : "");
		goto cleanup;
	}
	detach_stale(&c);

	warn_rp_filter(&c.cfg);
	for (size_t i = 0; i < c.cfg.n_routes; i++)
		n_prefixes += c.cfg.routes[i].kind == CONFIG_ROUTE_PREFIX;
	n_domains = c.cfg.n_routes - n_prefixes;
	pr_info("%s %s: %zu interface%s, %zu prefix route%s, %zu domain rule%s from %s\n",
		c.n_before ? "reloaded" : "loaded", c.pd.path, c.cfg.n_ifaces,
		c.cfg.n_ifaces == 1 ? "" : "s", n_prefixes, n_prefixes == 1 ? "" : "s",
		n_domains, n_domains == 1 ? "" : "s", path);
	goto cleanup;

undo_pins:
	/* A first load that failed leaves nothing behind. */
	if (c.dp.fresh)
		maps_unpin(&c.pd);
	if (c.pd.created)
		pindir_remove(&c.pd);
cleanup:
	free(targets);
	load_ctx_free(&c);
	return err;
}
