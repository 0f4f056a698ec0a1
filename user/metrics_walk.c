// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The walk behind the per-target and per-rule metrics, in steps. A table
 * rebuilt or a map changed between two steps is read as it is then: a walk
 * spread over a few turns of the loop is a consistent-enough picture for
 * counters scraped every few seconds, not a snapshot. A map key removed
 * under the cursor makes the kernel start that map again from its first
 * key; the walk of a map ends after max_entries keys whatever happens, so
 * it always ends (some entries may then count twice or not at all).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "agentrec.h"
#include "hosttable.h"
#include "metrics_walk.h"

enum walk_phase { WALK_TABLE4, WALK_TABLE6, WALK_ROUTE4, WALK_ROUTE6, WALK_FLOWS, WALK_END };

int metrics_walk_init(struct metrics_walk *w)
{
	memset(w, 0, sizeof(*w));
	w->work = calloc(1, sizeof(*w->work));
	w->done = calloc(1, sizeof(*w->done));
	if (w->work && w->done)
		return 0;
	metrics_walk_free(w);
	return -ENOMEM;
}

void metrics_walk_free(struct metrics_walk *w)
{
	free(w->work);
	free(w->done);
	memset(w, 0, sizeof(*w));
}

bool metrics_walk_busy(const struct metrics_walk *w)
{
	return w->phase != WALK_TABLE4 || w->pos || w->have_key;
}

/* The target of ifindex in the walk's figures; the last one if all are taken. */
struct metrics_rule *metrics_rule_slot(struct metrics_agg *g, __u32 id, bool add)
{
	__u32 h = (id * 2654435761U) & (METRICS_RULE_SLOTS - 1);

	for (;; h = (h + 1) & (METRICS_RULE_SLOTS - 1)) {
		struct metrics_rule *r = &g->rule[h];

		if (r->used && r->id == id)
			return r;
		if (r->used)
			continue;
		/* An empty slot ends the probe: the id is not there. */
		if (!add || g->n_rules >= METRICS_RULES_MAX)
			return NULL;
		r->used = true;
		r->id = id;
		g->n_rules++;
		return r;
	}
}

static struct metrics_target *target_of(struct metrics_walk *w, __u32 ifindex)
{
	struct metrics_agg *g = w->work;

	if (w->last < g->n_targets && g->target[w->last].ifindex == ifindex)
		return &g->target[w->last];
	for (__u32 i = 0; i < g->n_targets; i++) {
		if (g->target[i].ifindex == ifindex) {
			w->last = i;
			return &g->target[i];
		}
	}
	if (g->n_targets == METRICS_TARGETS_MAX)
		return &g->target[METRICS_TARGETS_MAX - 1];
	w->last = g->n_targets++;
	g->target[w->last].ifindex = ifindex;
	return &g->target[w->last];
}

/* Slots of a learned table, read in place; returns the units spent. */
static __u64 walk_table(struct metrics_walk *w, const struct hosttable *ht, int fam,
			__u64 budget)
{
	const struct table_map *t = ht ? hosttable_role(ht, BPFROUTE_HOSTS_TABLE) : NULL;
	__u64 spent = 0;

	while (t && w->pos < t->n && spent < budget) {
		const struct bpfroute_host *s = TABLE_SLOT(t, w->pos);
		struct metrics_target *tg;
		__u64 packets, bytes;
		struct metrics_rule *r;
		__u32 rule;

		w->pos++;
		spent++;
		if (BPFROUTE_SLOT_KIND(TABLE_READ(s->state)) != BPFROUTE_SLOT_LIVE)
			continue;
		packets = TABLE_READ(s->packets);
		bytes = TABLE_READ(s->bytes);
		rule = TABLE_READ(s->rule);
		tg = target_of(w, TABLE_READ(s->ifindex));
		tg->entries[fam]++;
		tg->packets[METRICS_LEARNED] += packets;
		tg->bytes[METRICS_LEARNED] += bytes;
		r = metrics_rule_slot(w->work, rule, true);
		if (r) {
			r->entries[fam]++;
			r->packets += packets;
			r->bytes += bytes;
		} else {
			w->work->rules_unlabelled++;
		}
	}
	if (!t || w->pos >= t->n) {
		w->pos = 0;
		w->phase++;
	}
	return spent;
}

/* Keys of a map, with their values; returns the units spent. */
static __u64 walk_map(struct metrics_walk *w, int fd, __u64 budget)
{
	union {
		struct bpfroute_route route;
		struct bpfroute_nat nat;
	} val;
	__u32 max = 0;
	__u64 spent = 0;
	bool end = fd < 0;

	if (!end) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			max = info.max_entries;
	}
	while (!end && spent < budget) {
		__typeof__(w->key) next;

		spent += METRICS_WALK_KEY_COST;
		if (w->seen >= max ||
		    bpf_map_get_next_key(fd, w->have_key ? (void *)&w->key : NULL, &next)) {
			end = true;
			break;
		}
		w->key = next;
		w->have_key = true;
		w->seen++;
		if (bpf_map_lookup_elem(fd, &next, &val))
			continue;	/* gone meanwhile */
		if (w->phase == WALK_FLOWS) {
			target_of(w, val.nat.ifindex)->flows++;
			w->work->flows++;
			continue;
		}
		target_of(w, val.route.ifindex)->packets[METRICS_PREFIX] += val.route.packets;
		target_of(w, val.route.ifindex)->bytes[METRICS_PREFIX] += val.route.bytes;
		w->work->prefixes[w->phase == WALK_ROUTE4 ? 0 : 1]++;
	}
	if (end) {
		w->have_key = false;
		w->seen = 0;
		w->phase++;
	}
	return spent;
}

int metrics_walk_step(struct metrics_walk *w, const struct bpfroute_maps *m,
		      const struct hosttable *ht4, const struct hosttable *ht6, __u64 budget)
{
	__u64 spent = 0;

	while (spent < budget && w->phase != WALK_END) {
		switch (w->phase) {
		case WALK_TABLE4:
			spent += walk_table(w, ht4, 0, budget - spent);
			break;
		case WALK_TABLE6:
			spent += walk_table(w, ht6, 1, budget - spent);
			break;
		case WALK_ROUTE4:
			spent += walk_map(w, m->route4, budget - spent);
			break;
		case WALK_ROUTE6:
			spent += walk_map(w, m->route6, budget - spent);
			break;
		default:
			spent += walk_map(w, m->nat_out, budget - spent);
			break;
		}
	}
	if (w->phase != WALK_END)
		return 0;
	/* Publish: the finished figures swap with the old ones, which start afresh. */
	{
		struct metrics_agg *done = w->work;

		done->done_ns = agentrec_now();
		w->work = w->done;
		w->done = done;
		memset(w->work, 0, sizeof(*w->work));
	}
	w->have_done = true;
	w->phase = WALK_TABLE4;
	w->pos = 0;
	w->last = 0;
	return 1;
}

int metrics_walk_all(struct metrics_walk *w, const struct bpfroute_maps *m,
		     const struct hosttable *ht4, const struct hosttable *ht6)
{
	int ret;

	while (!(ret = metrics_walk_step(w, m, ht4, ht6, ~0ULL >> 1)))
		;
	return ret < 0 ? ret : 0;
}
