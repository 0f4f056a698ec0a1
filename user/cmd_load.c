// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `bpfroute load`: check the config, load (or reload) the datapath, attach it
 * to the LAN interfaces (TC, and XDP when a target says `xdp`) and to the
 * masqueraded targets, and make the maps match the config.
 *
 * The order keeps the kernel consistent at every step and the failure of any
 * step harmless: the whole config is checked before the kernel is touched
 * (devices, and an address for every masqueraded one); exclusions go in
 * before a program can see a route; the reply translator is on a target's
 * ingress before bpfroute_target says the target is masqueraded, and that is
 * written before a new rule, program or route can steer to it; attaching
 * replaces each filter atomically, and a failure puts back every filter and
 * bpfroute_target as they were; the XDP stage goes on after the TC stage it
 * passes to, and its failure on one interface puts back the TC filters too;
 * routes change only once the programs are in place; programs come off last.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "clients.h"
#include "cmd.h"
#include "config.h"
#include "datapath.h"
#include "excl.h"
#include "flows.h"
#include "layout.h"
#include "learning.h"
#include "load.h"
#include "load_xdp.h"
#include "log.h"
#include "pindir.h"
#include "rtable.h"
#include "routes.h"
#include "targets.h"
#include "tc.h"

struct load_ctx {
	struct config cfg;
	int *iface_idx;		/* ifindex of cfg.ifaces[i] */
	int *route_idx;		/* target ifindex of cfg.routes[i] */
	int *masq_idx;		/* ifindex of cfg.masq[i] */
	int *xdp_idx;		/* ifindex of cfg.xdp[i] */
	int *strict_idx;	/* ifindex of cfg.strict[i] */
	struct pindir pd;
	struct datapath dp;
	struct tc_link *before;	/* where this instance was attached before: LAN
				 * interfaces and masqueraded targets */
	int n_before;
	/*
	 * Our programs on the hooks before, held open (-1: none): a replaced
	 * program is freed, id and all, once nothing holds it any more, and a
	 * rollback needs it back.
	 */
	int (*old_prog)[2];	/* on cfg.ifaces[i], per enum tc_hook */
	int *old_unnat;		/* on cfg.masq[i]'s ingress */
	int n_attached;		/* cfg.ifaces[0..n) attached by this run */
	int n_unnat;		/* cfg.masq[0..n) given the translator by this run */
	struct target_set old_targets;	/* bpfroute_target before this run */
	bool targets_written;	/* bpfroute_target changed by this run */
	struct load_xdp xdp;	/* the XDP stage on the LAN interfaces */
};

static int resolve_ifindexes(struct load_ctx *c)
{
	const struct config *cfg = &c->cfg;

	c->iface_idx = calloc(cfg->n_ifaces + 1, sizeof(int));
	c->route_idx = calloc(cfg->n_routes + 1, sizeof(int));
	c->masq_idx = calloc(cfg->n_masq + 1, sizeof(int));
	c->xdp_idx = calloc(cfg->n_xdp + 1, sizeof(int));
	c->strict_idx = calloc(cfg->n_strict + 1, sizeof(int));
	c->old_prog = calloc(cfg->n_ifaces + 1, sizeof(*c->old_prog));
	c->old_unnat = calloc(cfg->n_masq + 1, sizeof(*c->old_unnat));
	/* Before any check: load_ctx_free() closes what is not -1. */
	for (size_t i = 0; c->old_prog && i < cfg->n_ifaces; i++)
		c->old_prog[i][TC_HOOK_INGRESS] = c->old_prog[i][TC_HOOK_EGRESS] = -1;
	for (size_t i = 0; c->old_unnat && i < cfg->n_masq; i++)
		c->old_unnat[i] = -1;
	if (!c->iface_idx || !c->route_idx || !c->masq_idx || !c->xdp_idx || !c->strict_idx ||
	    !c->old_prog || !c->old_unnat)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_ifaces; i++)
		c->iface_idx[i] = if_nametoindex(cfg->ifaces[i].name);
	/* One lookup per run of routes to one device: a list makes a long run. */
	for (size_t i = 0; i < cfg->n_routes; i++)
		c->route_idx[i] = cfg->routes[i].bypass ? 0 :
				  i && !strcmp(cfg->routes[i].dev, cfg->routes[i - 1].dev) ?
				  c->route_idx[i - 1] : (int)if_nametoindex(cfg->routes[i].dev);
	for (size_t i = 0; i < cfg->n_masq; i++)
		c->masq_idx[i] = if_nametoindex(cfg->masq[i].dev);
	for (size_t i = 0; i < cfg->n_xdp; i++)
		c->xdp_idx[i] = if_nametoindex(cfg->xdp[i].dev);
	for (size_t i = 0; i < cfg->n_strict; i++)
		c->strict_idx[i] = if_nametoindex(cfg->strict[i].dev);
	return 0;
}

/* The device name has ifindex idx still, or says that it has not. */
static bool device_same(const char *name, int idx)
{
	int now = (int)if_nametoindex(name);

	if (now == idx)
		return true;
	if (now)
		pr_err("%s changed during the load (ifindex %d, now %d): nothing was changed\n",
		       name, idx, now);
	else
		pr_err("%s vanished during the load: nothing was changed\n", name);
	return false;
}

/*
 * After attaching: every device of the config is still the one the load
 * looked up. A device deleted (or deleted and made again) meanwhile would
 * leave a route to an ifindex that is nobody's, or someone else's.
 */
static int recheck_devices(const struct load_ctx *c)
{
	const struct config *cfg = &c->cfg;

	for (size_t i = 0; i < cfg->n_ifaces; i++)
		if (!device_same(cfg->ifaces[i].name, c->iface_idx[i]))
			return -ENODEV;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		if (cfg->routes[i].bypass)
			continue;	/* no device */
		if (i && !strcmp(cfg->routes[i].dev, cfg->routes[i - 1].dev))
			continue;	/* as resolve_ifindexes() */
		if (!device_same(cfg->routes[i].dev, c->route_idx[i]))
			return -ENODEV;
	}
	for (size_t i = 0; i < cfg->n_masq; i++)
		if (!device_same(cfg->masq[i].dev, c->masq_idx[i]))
			return -ENODEV;
	return 0;
}

static bool is_lan(const struct load_ctx *c, int ifindex)
{
	for (size_t i = 0; i < c->cfg.n_ifaces; i++)
		if (c->iface_idx[i] == ifindex)
			return true;
	return false;
}

static bool is_masq(const struct load_ctx *c, int ifindex)
{
	for (size_t i = 0; i < c->cfg.n_masq; i++)
		if (c->masq_idx[i] == ifindex)
			return true;
	return false;
}

/* Is the filter on a hook this instance's? Say whose it is if not. */
static int hook_ours(__u32 prog_id, __u32 instance_id, const char *dev, enum tc_hook hook)
{
	if (tc_prog_uses_map(prog_id, instance_id))
		return 0;
	pr_err("%s: clsact %s handle 0x%x priority 0x%x holds program %u, which is not this "
	       "instance's (another --pin-dir?); not replacing it\n", dev,
	       hook == TC_HOOK_INGRESS ? "ingress" : "egress", BPFROUTE_TC_HANDLE,
	       BPFROUTE_TC_PRIORITY, prog_id);
	return -EBUSY;
}

/*
 * Refuse to replace a filter at our handle and priority that is not this
 * instance's: another program, or bpfroute with another pin directory. Ours
 * are noted, to be put back if attaching fails.
 */
static int check_hooks_free(struct load_ctx *c, __u32 instance_id)
{
	__u32 prog_id;
	int err;

	for (size_t i = 0; i < c->cfg.n_ifaces; i++) {
		for (int hook = TC_HOOK_INGRESS; hook <= TC_HOOK_EGRESS; hook++) {
			if (tc_query(c->iface_idx[i], hook, &prog_id))
				continue;
			err = hook_ours(prog_id, instance_id, c->cfg.ifaces[i].name, hook);
			if (err)
				return err;
			c->old_prog[i][hook] = bpf_prog_get_fd_by_id(prog_id);
		}
	}
	for (size_t i = 0; i < c->cfg.n_masq; i++) {
		if (tc_query(c->masq_idx[i], TC_HOOK_INGRESS, &prog_id))
			continue;
		err = hook_ours(prog_id, instance_id, c->cfg.masq[i].dev, TC_HOOK_INGRESS);
		if (err)
			return err;
		c->old_unnat[i] = bpf_prog_get_fd_by_id(prog_id);
	}
	return 0;
}

/* Put back what attach_all() changed: the old programs, or no filters. */
static void rollback_attach(struct load_ctx *c)
{
	for (int i = 0; i < c->n_attached; i++) {
		for (int hook = TC_HOOK_INGRESS; hook <= TC_HOOK_EGRESS; hook++) {
			int fd = c->old_prog[i][hook];

			if (fd >= 0)
				tc_attach(c->iface_idx[i], hook, fd);
			else
				tc_detach(c->iface_idx[i], hook);
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
			pr_err("attaching to %s: %s\n", c->cfg.ifaces[i].name, strerror(-err));
			rollback_attach(c);
			return err;
		}
	}
	return 0;
}

/* Put back what attach_unnat() changed: the old programs, or no filter. */
static void rollback_unnat(struct load_ctx *c)
{
	for (int i = 0; i < c->n_unnat; i++) {
		int fd = c->old_unnat[i];

		if (fd >= 0)
			tc_attach(c->masq_idx[i], TC_HOOK_INGRESS, fd);
		else
			tc_detach(c->masq_idx[i], TC_HOOK_INGRESS);
	}
	c->n_unnat = 0;
}

/*
 * The reply translator on the ingress of every masqueraded target, before
 * bpfroute_target says the target is masqueraded: the classifier translates
 * a client's packet only once it reads BPFROUTE_TARGET_F_MASQ there, so the
 * translator is in place before the first translated packet can have a
 * reply. Until then it finds no flow and passes every packet on untouched.
 * WireGuard devices are L3 (no MAC header), but clsact and its filters work
 * on them as on any device.
 */
static int attach_unnat(struct load_ctx *c)
{
	for (size_t i = 0; i < c->cfg.n_masq; i++) {
		int err;

		c->n_unnat++;
		err = tc_attach(c->masq_idx[i], TC_HOOK_INGRESS, c->dp.unnat_fd);
		if (err) {
			pr_err("attaching the reply translator to %s: %s\n", c->cfg.masq[i].dev,
			       strerror(-err));
			rollback_unnat(c);
			return err;
		}
	}
	return 0;
}

/*
 * bpfroute_target for every target: masqueraded or not, with the addresses
 * it has now. The map as it was is kept for undo_targets().
 */
static int write_targets(struct load_ctx *c, const int *targets, int n_targets)
{
	struct target_set want = {};
	int err;

	err = targets_read(&c->dp.maps, &c->old_targets);
	if (!err)
		err = targets_build(&c->cfg, targets, n_targets, &want);
	/* Flows made while a target was masqueraded keep translating. */
	for (size_t i = 0; !err && i < want.n; i++) {
		size_t live = 0;

		if (!(want.v[i].val.flags & BPFROUTE_TARGET_F_MASQ) &&
		    (flows_count_on(&c->dp.maps, want.v[i].ifindex, &live) || live))
			want.v[i].val.flags |= BPFROUTE_TARGET_F_DRAIN;
	}
	if (!err) {
		c->targets_written = true;
		err = targets_apply(&c->dp.maps, &want);
	}
	if (err)
		pr_err("writing the targets: %s%s\n", strerror(-err),
		       err == -E2BIG ? " (more target devices than bpfroute_target holds)" : "");
	targets_free(&want);
	return err;
}

/*
 * A later step failed: bpfroute_target as it was, then the translators as
 * they were, in that order, so that no moment has a masqueraded target
 * without its translator.
 */
static void undo_targets(struct load_ctx *c)
{
	if (c->targets_written && targets_apply(&c->dp.maps, &c->old_targets))
		pr_err("putting bpfroute_target back failed\n");
	c->targets_written = false;
	rollback_unnat(c);
}

/* Interfaces dropped from the config: detach from them. */
static void detach_stale(struct load_ctx *c)
{
	for (int i = 0; i < c->n_before; i++) {
		int ifindex = c->before[i].ifindex;

		if (c->before[i].role != TC_ROLE_LAN || is_lan(c, ifindex))
			continue;
		tc_detach(ifindex, TC_HOOK_EGRESS);
		/* Now a masqueraded target: its ingress holds the translator already. */
		if (is_masq(c, ifindex))
			pr_info("detached the classifier from %s (now a target)\n",
				c->before[i].name);
		else if (tc_detach(ifindex, TC_HOOK_INGRESS))
			pr_warn("detaching from %s failed\n", c->before[i].name);
		else
			pr_info("detached from %s (no longer in the config)\n", c->before[i].name);
	}
}

/*
 * Targets no longer masqueraded: take their translator off, unless flows
 * through them live on. Dropping `masquerade` applies to new flows; a flow
 * that exists keeps being translated both ways until it times out and the
 * agent removes it. A later load then takes the translator off.
 */
static void detach_stale_unnat(struct load_ctx *c)
{
	for (int i = 0; i < c->n_before; i++) {
		int ifindex = c->before[i].ifindex;
		size_t live = 0;

		if (c->before[i].role != TC_ROLE_TARGET)
			continue;
		/* Still masqueraded; or a LAN interface now, its ingress the classifier's. */
		if (is_masq(c, ifindex) || is_lan(c, ifindex))
			continue;
		if (flows_count_on(&c->dp.maps, ifindex, &live))
			live = 1;	/* cannot tell: keep the replies working */
		if (live) {
			pr_info("%s is no longer masqueraded, but %zu flow%s through it live on: "
				"its reply translator stays until a load after they time out\n",
				c->before[i].name, live, live == 1 ? "" : "s");
			continue;
		}
		if (tc_detach(ifindex, TC_HOOK_INGRESS))
			pr_warn("detaching the reply translator from %s failed\n",
				c->before[i].name);
		else
			pr_info("detached the reply translator from %s (no longer masqueraded)\n",
				c->before[i].name);
	}
}

/*
 * Every target device: those of the config's routes and target lines, and
 * those of entries added with `route add`.
 */
static int collect_targets(struct load_ctx *c, int **targets, int *n)
{
	struct route_entry *entries;
	size_t count;
	int *t, err;

	err = routes_list(&c->dp.maps, &entries, &count);
	if (err)
		return err;
	t = calloc(count + c->cfg.n_routes + c->cfg.n_masq + c->cfg.n_xdp + c->cfg.n_strict + 1,
		   sizeof(*t));
	if (!t) {
		free(entries);
		return -ENOMEM;
	}
	*n = 0;
	for (size_t i = 0; i < c->cfg.n_routes; i++)
		if (!c->cfg.routes[i].bypass)
			t[(*n)++] = c->route_idx[i];
	for (size_t i = 0; i < c->cfg.n_masq; i++)
		t[(*n)++] = c->masq_idx[i];
	for (size_t i = 0; i < c->cfg.n_xdp; i++)
		t[(*n)++] = c->xdp_idx[i];
	for (size_t i = 0; i < c->cfg.n_strict; i++)
		t[(*n)++] = c->strict_idx[i];
	/* The map's config entries are the old config's: the file says which stay. */
	for (size_t i = 0; i < count; i++)
		if (entries[i].route.origin != BPFROUTE_ORIGIN_CONFIG)
			t[(*n)++] = entries[i].route.ifindex;
	free(entries);
	*targets = t;
	return 0;
}

/*
 * Replies to steered traffic come back on the target device while the main
 * table routes their source elsewhere: strict reverse-path filtering
 * (rp_filter=1, RFC 3704) drops them. The effective value is the larger of
 * "all" and the device's own. Not on a masqueraded target: bpfroute_unnat
 * redirects the replies to their clients on ingress (bpf/nat.h), before the
 * stack filters anything.
 */
static int read_conf(const char *family, const char *dev, const char *key)
{
	char path[128];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, dev, key);
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
	int all = read_conf("ipv4", "all", "rp_filter");

	for (size_t i = 0; i < cfg->n_routes; i++) {
		const char *dev = cfg->routes[i].dev;
		bool seen = i && !strcmp(cfg->routes[i - 1].dev, dev);
		int own, eff;

		if (cfg->routes[i].bypass)
			continue;
		/*
		 * Once a device, and the walk back only where the device
		 * changes: a list makes a long run of routes to one.
		 */
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(cfg->routes[j].dev, dev);
		if (seen)
			continue;
		own = read_conf("ipv4", dev, "rp_filter");
		eff = own > all ? own : all;
		if (eff == 1 && !config_masq_find(cfg, dev))
			pr_warn("warning: rp_filter=1 (strict) on %s drops the replies to steered "
				"traffic; set net.ipv4.conf.%s.rp_filter=2 (loose)\n", dev, dev);
	}
}

/*
 * With forwarding off on a LAN interface the gateway forwards nothing that
 * comes in there, and bpf_fib_lookup() answers nothing for that device:
 * the reverse-path checks (bpf/route_back.h) then record only queries to a
 * resolver on the gateway itself and refuse every new masqueraded flow.
 */
static void warn_forwarding(const struct config *cfg)
{
	static const char *const fams[][2] = { { "ipv4", "IPv4" }, { "ipv6", "IPv6" } };

	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		const char *dev = cfg->ifaces[i].name;

		for (size_t f = 0; f < 2; f++)
			if (read_conf(fams[f][0], dev, "forwarding") == 0)
				pr_warn("warning: %s forwarding is off on %s: nothing from it is "
					"forwarded or masqueraded, and only queries to the gateway "
					"itself are learned; set net.%s.conf.%s.forwarding=1\n",
					fams[f][1], dev, fams[f][0], dev);
	}
}

static void load_ctx_free(struct load_ctx *c)
{
	load_xdp_free(&c->xdp);
	for (size_t i = 0; c->old_prog && i < c->cfg.n_ifaces; i++)
		for (int hook = TC_HOOK_INGRESS; hook <= TC_HOOK_EGRESS; hook++)
			if (c->old_prog[i][hook] >= 0)
				close(c->old_prog[i][hook]);
	for (size_t i = 0; c->old_unnat && i < c->cfg.n_masq; i++)
		if (c->old_unnat[i] >= 0)
			close(c->old_unnat[i]);
	datapath_close(&c->dp);
	pindir_close(&c->pd);
	free(c->before);
	free(c->iface_idx);
	free(c->route_idx);
	free(c->masq_idx);
	free(c->xdp_idx);
	free(c->strict_idx);
	free(c->old_prog);
	free(c->old_unnat);
	targets_free(&c->old_targets);
	config_free(&c->cfg);
}

int cmd_load(const struct cli *cli, int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	bool json = cli->json;
	int err;

	err = cmd_parse_opts_only("load", argc, argv, &json, &path);
	if (err)
		return err;
	return load_instance(cli->pin_dir, path);
}

int load_prepare(const char *path, struct config *cfg)
{
	char msg[512];
	int err;

	err = config_parse_file(path, cfg, msg, sizeof(msg));
	if (!err)
		err = config_check_devices(cfg, msg, sizeof(msg));
	if (!err)
		err = config_check_capacity(cfg, msg, sizeof(msg));
	if (!err)
		err = targets_check(cfg, msg, sizeof(msg));
	if (!err)
		err = rtable_check_tables(cfg, msg, sizeof(msg));
	if (err) {
		pr_err("%s\n", msg);
		/* Parsed but refused: `bpfroute run` comes back here at every SIGHUP. */
		config_free(cfg);
	}
	return err;
}

/*
 * Milliseconds of CPU this process spent, in user space and in the kernel
 * on its behalf, for the debug log of each step's cost: on a busy gateway
 * the CPU time says more than the wall clock.
 */
static double load_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int load_instance(const char *pin_dir, const char *path)
{
	double t0 = load_ms();
	struct load_ctx c = { .pd.fd = -1 };
	int err, n_targets = 0, *targets = NULL;
	struct capacity cap;
	size_t n_prefixes = 0, n_domains, n_bypasses = 0;
	char masq[64] = "", xdp[64] = "", bypass[64] = "";

	/* 1. Everything that can be checked without touching the kernel. */
	err = load_prepare(path, &c.cfg);
	if (err)
		return err;
	pr_debug("load: config read and checked in %.0f ms of CPU\n", load_ms() - t0);
	err = resolve_ifindexes(&c);
	if (err)
		goto cleanup;

	/* 2. The programs, with the instance's maps. */
	err = pindir_create(&c.pd, pin_dir);
	if (err)
		goto cleanup;
	/* Maps of another layout are neither reused nor touched. */
	err = layout_check(&c.pd, NULL);
	if (!err)
		err = capacity_plan(&c.cfg, &c.pd, &cap);
	if (err)
		goto undo_pins;
	t0 = load_ms();
	err = datapath_load(&c.dp, &c.pd, &cap);
	pr_debug("load: programs loaded in %.0f ms of CPU\n", load_ms() - t0);
	if (!err) {
		err = layout_record(c.dp.maps.layout);
		if (err)
			pr_err("recording the layout in %s: %s\n",
			       BPFROUTE_STR(BPFROUTE_MAP_LAYOUT), strerror(-err));
	}
	if (err)
		goto undo_pins;
	err = check_hooks_free(&c, map_id(c.dp.maps.stats));
	if (err)
		goto undo_pins;
	c.xdp.cfg = &c.cfg;
	c.xdp.iface_idx = c.iface_idx;
	c.xdp.lan_fd = c.dp.maps.lans;
	c.xdp.prog_fd = c.dp.xdp_fd;
	err = load_xdp_check(&c.xdp);
	if (err)
		goto undo_pins;
	err = tc_list(map_id(c.dp.maps.stats), TC_ROLES_ALL, &c.before, &c.n_before);
	if (err)
		goto undo_pins;

	/* 3. Exclusions before any program can see a route. */
	err = collect_targets(&c, &targets, &n_targets);
	if (!err)
		err = excl_sync(&c.dp.maps, targets, n_targets);
	if (err) {
		pr_err("filling the exclusion maps: %s%s\n", strerror(-err),
		       err == -E2BIG ? EXCL_E2BIG_WHY : "");
		goto undo_pins;
	}

	/*
	 * 4. Masquerade: the reply translators, then the targets that tell
	 * the classifier to translate, then the rules that may steer to them.
	 */
	err = attach_unnat(&c);
	if (err)
		goto undo_pins;
	err = write_targets(&c, targets, n_targets);
	if (err)
		goto undo_targets;
	/*
	 * Client groups before the rules and routes that name them; the
	 * entries of groups gone are deleted after those changed (below).
	 */
	err = clients_sync(&c.dp.maps, &c.cfg);
	if (err) {
		pr_err("writing the client groups: %s\n", strerror(-err));
		goto undo_targets;
	}
	t0 = load_ms();
	err = learning_sync(&c.dp.maps, &c.cfg, c.route_idx);
	pr_debug("load: domain rules written in %.0f ms of CPU\n", load_ms() - t0);
	if (err) {
		pr_err("writing the domain rules: %s\n", strerror(-err));
		goto undo_targets;
	}

	/*
	 * 5. Attach (atomic replace): TC, then the XDP stage that passes to
	 * it; then the routes, then let go of the old.
	 */
	err = attach_all(&c);
	if (err)
		goto undo_targets;
	err = load_xdp_attach(&c.xdp);
	if (err) {
		rollback_attach(&c);
		goto undo_targets;
	}
	err = recheck_devices(&c);
	if (err) {
		load_xdp_rollback(&c.xdp);
		rollback_attach(&c);
		goto undo_targets;
	}
	t0 = load_ms();
	err = routes_sync_config(&c.dp.maps, &c.cfg, c.route_idx);
	pr_debug("load: prefixes written in %.0f ms of CPU\n", load_ms() - t0);
	if (err) {
		pr_err("writing the config's routes: %s%s\n", strerror(-err),
		       err == -E2BIG ? " (more prefixes than the route maps hold)" : "");
		goto cleanup;
	}
	err = clients_prune(&c.dp.maps, &c.cfg);
	if (err) {
		pr_err("deleting old client prefixes: %s\n", strerror(-err));
		goto cleanup;
	}
	/* XDP first: it passes to TC, never the other way round. */
	load_xdp_detach_stale(&c.xdp);
	detach_stale(&c);
	detach_stale_unnat(&c);

	warn_rp_filter(&c.cfg);
	warn_forwarding(&c.cfg);
	for (size_t i = 0; i < c.cfg.n_routes; i++) {
		n_bypasses += c.cfg.routes[i].bypass;
		n_prefixes += !c.cfg.routes[i].bypass &&
			      c.cfg.routes[i].kind == CONFIG_ROUTE_PREFIX;
	}
	n_domains = c.cfg.n_routes - n_prefixes - n_bypasses;
	if (n_bypasses)
		snprintf(bypass, sizeof(bypass), ", %zu bypass%s", n_bypasses,
			 n_bypasses == 1 ? "" : "es");
	if (c.cfg.n_masq)
		snprintf(masq, sizeof(masq), ", %zu masqueraded target%s", c.cfg.n_masq,
			 c.cfg.n_masq == 1 ? "" : "s");
	if (c.cfg.n_xdp)
		snprintf(xdp, sizeof(xdp), ", %zu XDP target%s", c.cfg.n_xdp,
			 c.cfg.n_xdp == 1 ? "" : "s");
	pr_info("%s %s: %zu interface%s, %zu prefix route%s, %zu domain rule%s%s%s%s from %s\n",
		c.n_before ? "reloaded" : "loaded", c.pd.path, c.cfg.n_ifaces,
		c.cfg.n_ifaces == 1 ? "" : "s", n_prefixes, n_prefixes == 1 ? "" : "s",
		n_domains, n_domains == 1 ? "" : "s", bypass, masq, xdp, path);
	goto cleanup;

undo_targets:
	undo_targets(&c);
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
