/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The metrics of an instance in the Prometheus text exposition format
 * (version 0.0.4): what `bpfroute metrics` prints and the agent serves.
 * One writer for both, so the two never differ.
 */
#ifndef BPFROUTE_METRICS_H
#define BPFROUTE_METRICS_H

#include <stdio.h>
#include <net/if.h>
#include <linux/types.h>

#include "bpfroute_abi.h"
#include "maps.h"
#include "metrics_walk.h"

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct metrics_source {
	const struct bpfroute_maps *m;
	/* The last complete walk; NULL: no per-target and per-rule series. */
	const struct metrics_agg *agg;
	/*
	 * The agent's own record when the agent writes the text (it is up,
	 * by definition, and its sandbox allows no kill(pid, 0)); NULL: read
	 * bpfroute_agent and judge it.
	 */
	const struct bpfroute_agent *self;
	/*
	 * A rule's text by id ("*.corp.example.com"), or NULL if unknown;
	 * it may be overwritten by the next call.
	 */
	const char *(*rule_name)(void *ctx, __u32 id);
	/* The ids of the rules bpfroute_rules holds, sorted. */
	const __u32 *rule_ids;
	size_t n_rule_ids;
	/* A device's name into buf (IF_NAMESIZE), or "#IFINDEX" if unknown. */
	const char *(*dev_name)(void *ctx, __u32 ifindex, char *buf);
	void *ctx;
};

/* Write the whole text to out. 0, or -errno (a map that cannot be read). */
int metrics_write(FILE *out, const struct metrics_source *src);

/* Write s as a label value: backslash, double quote and newline escaped. */
void metrics_label_value(FILE *out, const char *s);

#endif /* BPFROUTE_METRICS_H */
