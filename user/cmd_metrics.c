// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `bpfroute metrics`: the metrics as Prometheus text, once, from the pinned
 * state under the shared lock; no agent needed. The same writer as the
 * agent's endpoint (metrics.c); here the walk over every entry is done at
 * once, where the agent spreads it over its loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "hosttable.h"
#include "learned.h"
#include "log.h"
#include "maps.h"
#include "metrics.h"
#include "pindir.h"

static const char *cli_rule_name(void *ctx, __u32 id)
{
	const char *text = learned_rule(ctx, id);

	return strcmp(text, "?") ? text : NULL;
}

static const char *cli_dev_name(void *ctx, __u32 ifindex, char *buf)
{
	(void)ctx;
	return cmd_dev_name(ifindex, buf);
}

int cmd_metrics(const struct cli *cli, int argc, char **argv)
{
	struct hosttable ht[2] = { { .ctl = NULL }, { .ctl = NULL } };
	bool json = false, opened[2] = { false, false };
	struct bpfroute_maps m = {};
	struct metrics_walk w = {};
	struct metrics_source src;
	struct learned_rules *rules = NULL;
	__u32 *ids = NULL;
	struct pindir pd;
	int err;

	err = cmd_parse_opts_only("metrics", argc, argv, &json, NULL);
	if (err)
		return err;
	if (json) {
		cmd_bad_usage("metrics", "no -j: the output is Prometheus text");
		return -EINVAL;
	}
	err = cmd_open_instance(cli, &pd, &m);
	if (err)
		return err;
	err = metrics_walk_init(&w);
	for (int f = 0; f < 2 && !err; f++) {
		err = hosttable_open(&m, f ? 6 : 4, &ht[f]);
		opened[f] = !err;
	}
	if (!err)
		err = metrics_walk_all(&w, &m, &ht[0], &ht[1]);
	if (!err && !(rules = learned_rules_text(&m)))
		err = -ENOMEM;
	if (!err && !(ids = calloc(rules->n + 1, sizeof(*ids))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < rules->n; i++)
		ids[i] = rules->v[i].id;
	if (err) {
		pr_err("reading the maps: %s\n", strerror(-err));
		goto cleanup;
	}
	src = (struct metrics_source){
		.m = &m, .agg = w.done, .rule_name = cli_rule_name, .dev_name = cli_dev_name,
		.ctx = rules, .rule_ids = ids, .n_rule_ids = rules->n,
	};
	err = metrics_write(stdout, &src);
	if (!err && fflush(stdout))
		err = -errno;
	if (err)
		pr_err("writing the metrics: %s\n", strerror(-err));
cleanup:
	free(ids);
	free(rules);
	for (int f = 0; f < 2; f++)
		if (opened[f])
			hosttable_close(&ht[f]);
	metrics_walk_free(&w);
	maps_close(&m);
	pindir_close(&pd);
	return err;
}
