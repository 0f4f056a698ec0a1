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
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "agent.h"
#include "cmd.h"
#include "config.h"
#include "load.h"
#include "log.h"
#include "maps.h"
#include "pindir.h"
#include "privhelper.h"
#include "sandbox.h"

struct run_ctx {
	const char *pin_dir;
	const char *path;
	struct config cfg;
	bool have_cfg;
	struct bpfroute_maps maps;
	struct agent a;
	struct agent_loop loop;
};

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
	now = hosts_now_ns();
	run_follow_maps(c, now);
	err = agent_refresh(&c->a, now);
	if (err >= 0)
		err = agent_prefetch_setup(&c->a, &c->cfg, now);
	return err < 0 ? err : 0;
}

static int run_start(struct run_ctx *c)
{
	__u64 now = hosts_now_ns();
	int err;

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
		err = agent_prefetch_setup(&c->a, &c->cfg, now);
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
	};
	bool json = false;
	int idx, err;

	idx = cmd_parse_opts("run", argc, argv, &json, &c.path);
	if (idx < 0)
		return idx;
	if (idx < argc) {
		cmd_bad_usage("run", "unexpected argument '%s'", argv[idx]);
		return -EINVAL;
	}
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
	pr_info("agent running for %s (pid %d)%s\n", c.pin_dir, (int)getpid(),
		c.cfg.prefetch ? ", prefetching exact-name rules" : "");
	err = agent_loop_run(&c.loop);
	agent_summary(&c.a);
cleanup:
	agent_loop_free(&c.loop);
	agent_free(&c.a);
	maps_close(&c.maps);
	privhelper_stop();
	if (c.have_cfg)
		config_free(&c.cfg);
	return err;
}
