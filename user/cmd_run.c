// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `bpfroute run`: load the instance (as `load` does), then stay in the
 * foreground as its agent until SIGTERM or SIGINT, logging to stderr: fit
 * for a systemd service of Type=simple with ExecReload=kill -HUP $MAINPID.
 *
 * Restart safety: the datapath and every learned route live in the pinned
 * maps, which the agent only ever adds to, evicts from by the rules and
 * sweeps; it never unloads anything, on exit or on error. Killed at any
 * moment, the kernel goes on steering and learning; started again, the
 * agent reloads (an atomic replace), rebuilds its caches from the maps and
 * reads the events that waited in the ring buffer.
 *
 * The pin directory is locked (shared) only while the maps are opened, so
 * that `load`, `route add` and the rest never wait for the agent. A
 * `bpfroute unload` followed by `load` by hand makes new maps: the agent
 * notices within seconds and follows them.
 *
 * Least privilege: once loaded, attached and opened, the agent keeps only
 * CAP_BPF, sets no_new_privs and installs a seccomp allow-list
 * (sandbox.c) before it reads its first event: the DNS answers it parses
 * (its own parser, c-ares) are the attacker's. A helper forked before
 * (privhelper.c) keeps the rest and does on request what needs it: the
 * reload on SIGHUP, opening the learned tables by id.
 *
 * Link state: the agent opens its rtnetlink sockets before `load`, so that no
 * change of a target's link after load's look is missed, and keeps
 * BPFROUTE_TARGET_F_DOWN current from them (agent_links.c). It asks for
 * every target's state again after a reload and after following new maps,
 * since `load` writes the entries whole. While no agent runs the flag stays
 * as last written: a strict target that goes down is still never leaked
 * (the kernel drops what is redirected to a down or missing device, only
 * uncounted), but a `strict no` target's traffic falls back only once an
 * agent (or a `load`) has seen it down.
 *
 * Metrics: with a `metrics ADDRESS:PORT` line the agent binds and listens
 * there before the sandbox (a bind that fails ends `run` at once, non-zero)
 * and serves the endpoint from its own loop (metrics_http.c). A changed
 * `metrics` line on SIGHUP is not applied: the socket stays as it was bound
 * and a warning says the new one takes effect at the next start (binding
 * anew would need privileges the sandbox no longer has for ports below
 * 1024, and a failed rebind must not cost the endpoint that works).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include <bpf/bpf.h>

#include "agent.h"
#include "agentrec.h"
#include "cmd.h"
#include "config.h"
#include "load.h"
#include "log.h"
#include "maps.h"
#include "metrics.h"
#include "metrics_http.h"
#include "metrics_walk.h"
#include "pindir.h"
#include "privhelper.h"
#include "sandbox.h"

/* A target device's name by ifindex, for the metrics' labels. */
struct run_dev {
	__u32 ifindex;
	char name[IF_NAMESIZE];
};

struct run_ctx {
	const char *pin_dir;
	const char *path;
	struct config cfg;
	bool have_cfg;
	struct bpfroute_maps maps;
	struct agent a;
	struct agent_loop loop;
	struct config_metrics metrics;	/* where the endpoint listens (bound at start) */
	struct metrics_http http;
	struct metrics_walk walk;
	struct run_dev *devs;		/* the config's target devices */
	size_t n_devs;
	struct agent_links links;	/* the targets' link state */
	struct agent_fleet_fds fleet;	/* the export and import tables' sockets */
	char rule_text[DNSNAME_TEXT_MAX + 2];	/* run_rule_name()'s answer */
};

/*
 * A device's ifindex from sysfs: the sandboxed agent may open files to
 * read, but not the ioctl() if_nametoindex() uses. 0 if it is not there.
 */
static __u32 sysfs_ifindex(const char *name)
{
	char path[64 + IF_NAMESIZE], buf[16] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/ifindex", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? (__u32)strtoul(buf, NULL, 10) : 0;
}

/* The names of the config's target devices, looked up now (start, SIGHUP). */
static void run_devs_read(struct run_ctx *c)
{
	struct run_dev *devs = calloc(c->cfg.n_routes + c->cfg.n_masq + c->cfg.n_xdp + 1,
				      sizeof(*devs));
	size_t n = 0;

	if (!devs)
		return;		/* the labels say #IFINDEX meanwhile */
	for (size_t i = 0; i < c->cfg.n_routes + c->cfg.n_masq + c->cfg.n_xdp; i++) {
		const char *name = i < c->cfg.n_routes ? c->cfg.routes[i].dev :
				   i < c->cfg.n_routes + c->cfg.n_masq ?
				   c->cfg.masq[i - c->cfg.n_routes].dev :
				   c->cfg.xdp[i - c->cfg.n_routes - c->cfg.n_masq].dev;
		__u32 ifindex;
		size_t k;

		if (!*name)
			continue;	/* a bypass: no device */
		ifindex = sysfs_ifindex(name);

		for (k = 0; k < n && devs[k].ifindex != ifindex; k++)
			;
		if (!ifindex || k < n)
			continue;
		devs[n].ifindex = ifindex;
		snprintf(devs[n].name, sizeof(devs[n].name), "%s", name);
		n++;
	}
	free(c->devs);
	c->devs = devs;
	c->n_devs = n;
}

static const char *run_dev_name(void *ctx, __u32 ifindex, char *buf)
{
	const struct run_ctx *c = ctx;

	for (size_t i = 0; i < c->n_devs; i++)
		if (c->devs[i].ifindex == ifindex)
			return strcpy(buf, c->devs[i].name);
	/* A device added by `route add` or renamed since: the number, as status does. */
	snprintf(buf, IF_NAMESIZE, "#%u", ifindex);
	return buf;
}

static const char *run_rule_name(void *ctx, __u32 id)
{
	struct run_ctx *c = ctx;
	const struct agent_rule *r = agent_rule_by_id(&c->a, id);

	if (!r || !r->used || agent_rule_text(r, c->rule_text, sizeof(c->rule_text)))
		return NULL;
	return c->rule_text;
}

/* The endpoint's answer: the same writer as `bpfroute metrics`. */
static int run_render(void *ctx, FILE *out)
{
	struct run_ctx *c = ctx;
	struct metrics_source src = {
		.m = &c->maps,
		.agg = c->walk.have_done ? c->walk.done : NULL,
		.self = &c->a.rec,
		.rule_name = run_rule_name,
		.dev_name = run_dev_name,
		.ctx = c,
	};
	__u32 *ids = calloc(c->a.n_rules + 1, sizeof(*ids));
	int err;

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < c->a.n_rules; i++)
		ids[i] = c->a.rules[i].id;
	src.rule_ids = ids;
	src.n_rule_ids = c->a.n_rules;
	agent_record(&c->a, agentrec_now());	/* the counters of this moment */
	err = metrics_write(out, &src);
	free(ids);
	return err;
}

/* Listen where the config says, before the sandbox. */
static int run_metrics_open(struct run_ctx *c)
{
	const struct config_metrics *w = &c->cfg.metrics;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(w->port) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(w->port) };
	int err;

	c->metrics = *w;
	if (!w->family)
		return 0;
	memcpy(&sin.sin_addr, w->addr, 4);
	memcpy(&sin6.sin6_addr, w->addr, 16);
	err = metrics_walk_init(&c->walk);
	if (!err)
		err = w->family == AF_INET ?
		      metrics_http_open(&c->http, (struct sockaddr *)&sin, sizeof(sin), w->text,
					run_render, c) :
		      metrics_http_open(&c->http, (struct sockaddr *)&sin6, sizeof(sin6), w->text,
					run_render, c);
	if (err)
		return err;
	c->loop.http = &c->http;
	c->loop.walk = &c->walk;
	c->a.rec.flags |= BPFROUTE_AGENT_F_METRICS;
	run_devs_read(c);
	return 0;
}

static int run_open_maps(const char *pin_dir, struct bpfroute_maps *m)
{
	struct pindir pd;
	int err;

	err = pindir_open(&pd, pin_dir, false);
	if (err)
		return err;
	err = maps_open(&pd, m);
	pindir_close(&pd);
	return err;
}

/* The agent's own reading of the config: prefetch and the resolvers. */
static int run_read_config(struct run_ctx *c)
{
	struct config cfg;
	char msg[512];
	int err;

	err = config_parse_file(c->path, &cfg, msg, sizeof(msg));
	if (err) {
		pr_err("%s\n", msg);
		return err;
	}
	if (c->have_cfg)
		config_free(&c->cfg);
	c->cfg = cfg;
	c->have_cfg = true;
	return 0;
}

/* The pinned learned map's id in *id: 0, -ENOENT if it is not pinned, or -errno. */
static int pinned_id(const char *pin_dir, __u32 *id)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, BPFROUTE_STR(BPFROUTE_MAP_HOST4));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	*id = map_id(fd);
	close(fd);
	return 0;
}

/* The export and import tables as the config says (start, SIGHUP). */
static int run_fleet_setup(struct run_ctx *c, __u64 now)
{
	int err = agent_export_setup(&c->a, &c->cfg, c->fleet.req_fd, now);

	if (!err)
		err = agent_import_setup(&c->a, &c->cfg, &c->fleet,
					 c->cfg.fleet.import_line ?
					 sysfs_ifindex(c->cfg.fleet.import_dev) : 0, now);
	return err;
}

/* Follow the instance's maps if they are not the ones held. */
static void run_follow_maps(struct run_ctx *c, __u64 now)
{
	struct bpfroute_maps fresh;
	__u32 id = 0;
	int err = pinned_id(c->pin_dir, &id);

	if (err && err != -ENOENT) {
		pr_debug("%s: looking at the pins: %s\n", c->pin_dir, strerror(-err));
		return;		/* maybe a moment's trouble: look again next tick */
	}
	if (err) {
		/*
		 * Unloaded: an agent idling on maps nobody uses would only
		 * look alive. Exit 0, as for SIGTERM: nothing failed.
		 */
		pr_info("%s: unloaded (the pins are gone); the agent stops\n", c->pin_dir);
		/* What it exported announces routes nothing steers any more. */
		agent_export_stop(&c->a);
		c->loop.stop = true;
		return;
	}
	if (id == map_id(c->maps.host4))
		return;
	if (run_open_maps(c->pin_dir, &fresh))
		return;
	maps_close(&c->maps);
	c->maps = fresh;
	if (agent_set_maps(&c->a, &c->maps, now) || agent_loop_ringbuf(&c->loop))
		pr_warn("%s: following the instance's new maps failed\n", c->pin_dir);
	else
		pr_info("%s: loaded afresh; following its new maps\n", c->pin_dir);
	agent_links_sync(&c->links, &c->a, now);
	/* The new tables hold nothing imported: read the import table again now. */
	run_fleet_setup(c, now);
}

static void run_check(void *ctx, __u64 now)
{
	run_follow_maps(ctx, now);
}

/* SIGHUP: load again; a refused config leaves everything as it was. */
static int run_reload(void *ctx)
{
	struct run_ctx *c = ctx;
	__u64 now;
	int err;

	pr_info("SIGHUP: reloading %s\n", c->path);
	err = privhelper_reload(c->pin_dir, c->path);
	if (!err)
		err = run_read_config(c);
	if (err) {
		pr_info("reload failed; still running on the previous config\n");
		return err;
	}
	if (memcmp(&c->cfg.metrics, &c->metrics, sizeof(c->metrics)))
		pr_warn("metrics: the changed 'metrics' line takes effect at the next start; "
			"%s%s\n", c->metrics.family ? "still serving on " : "still off",
			c->metrics.family ? c->metrics.text : "");
	if (c->loop.http)
		run_devs_read(c);
	now = hosts_now_ns();
	run_follow_maps(c, now);
	/* load wrote the targets whole, from the links as it saw them. */
	agent_links_sync(&c->links, &c->a, now);
	err = agent_refresh(&c->a, now);
	if (err >= 0)
		err = agent_prefetch_setup(&c->a, &c->cfg, now);
	if (err >= 0)
		err = run_fleet_setup(c, now);
	return err < 0 ? err : 0;
}

static int run_start(struct run_ctx *c)
{
	__u64 now = hosts_now_ns();
	int err;

	/* Before load: a link that changes after load looked at it is told. */
	err = agent_links_open(&c->links);
	if (err) {
		pr_err("run: watching the links (rtnetlink): %s\n", strerror(-err));
		return err;
	}
	c->loop.links = &c->links;
	err = agent_fleet_open(&c->fleet);
	if (err) {
		pr_err("run: rtnetlink sockets for export and import: %s\n", strerror(-err));
		return err;
	}
	err = load_instance(c->pin_dir, c->path);
	if (!err)
		err = run_read_config(c);
	if (err)
		return err;
	err = run_open_maps(c->pin_dir, &c->maps);
	if (err) {
		if (err != -EPERM)	/* pindir_open() said why */
			pr_err("%s: opening the pinned maps: %s\n", c->pin_dir, strerror(-err));
		return err;
	}
	err = agent_init(&c->a, &c->maps, now);
	if (!err)
		agent_links_sync(&c->links, &c->a, now);
	if (!err)
		err = agent_prefetch_setup(&c->a, &c->cfg, now);
	if (!err)
		err = run_fleet_setup(c, now);
	if (!err && c->cfg.prefetch)
		c->a.rec.flags |= BPFROUTE_AGENT_F_PREFETCH;
	/* Bound before the sandbox; a failure was said in one line. */
	if (!err) {
		err = run_metrics_open(c);
		if (err)
			return err;
	}
	if (!err) {
		c->loop.a = &c->a;
		err = agent_loop_ringbuf(&c->loop);
	}
	if (err)
		pr_err("starting the agent: %s\n", strerror(-err));
	return err;
}

int cmd_run(const struct cli *cli, int argc, char **argv)
{
	struct run_ctx c = {
		.pin_dir = cli->pin_dir,
		.path = CONFIG_DEFAULT_PATH,
		.maps.owned = false,
		.loop = { .sigfd = -1, .reload = run_reload, .check = run_check },
		.http = { .lfd = -1 },
		.links = { .mc_fd = -1, .req_fd = -1 },
		.fleet = { .mc_fd = -1, .dump_fd = -1, .req_fd = -1 },
	};
	bool json = false;
	int err;

	err = cmd_parse_opts_only("run", argc, argv, &json, &c.path);
	if (err)
		return err;
	c.loop.ctx = &c;
	/* First: a SIGTERM during the load is read afterwards, not fatal. */
	err = agent_signals(&c.loop.sigfd);
	if (err) {
		pr_err("run: signals: %s\n", strerror(-err));
		return err;
	}
	/* Before anything is opened: the helper holds none of the agent's fds. */
	err = privhelper_start(c.pin_dir, c.path);
	if (err) {
		pr_err("run: starting the helper: %s\n", strerror(-err));
		goto cleanup;
	}
	err = run_start(&c);
	if (!err) {
		privhelper_delegate();
		err = sandbox_enter();
	}
	if (err)
		goto cleanup;
	pr_info("agent running for %s (pid %d)%s%s%s\n", c.pin_dir, (int)getpid(),
		c.cfg.prefetch ? ", prefetching exact-name rules" : "",
		c.metrics.family ? ", metrics on http://" : "",
		c.metrics.family ? c.metrics.text : "");
	err = agent_loop_run(&c.loop);
	agent_summary(&c.a);
cleanup:
	agent_loop_free(&c.loop);
	agent_links_close(&c.links);
	agent_fleet_close(&c.fleet);
	metrics_http_close(&c.http);
	metrics_walk_free(&c.walk);
	free(c.devs);
	agent_free(&c.a);
	maps_close(&c.maps);
	privhelper_stop();
	if (c.have_cfg)
		config_free(&c.cfg);
	return err;
}
