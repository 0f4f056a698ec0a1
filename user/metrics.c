// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The metrics text. Names follow Prometheus' conventions: counters end in
 * _total, times are in seconds, every family has its HELP and TYPE lines
 * before its samples. The datapath's counters keep the names `status` gives
 * them: `steered` is bpfroute_steered_total; the dns_*, nat_* and pass_*
 * counters are one family each (bpfroute_dns_total, bpfroute_nat_total,
 * bpfroute_pass_total) with the rest of the name in the `counter` label, so
 * that `sum by (counter)` and the troubleshooting table line up.
 *
 * Label values come from the network (rule names may hold any byte, which
 * the rule text already escapes as dig does) and from device names; they
 * are escaped as the format asks (backslash, double quote, newline).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agentrec.h"
#include "metrics.h"
#include "version.h"

void metrics_label_value(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '"')
			fputs("\\\"", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample without labels. */
static void sample(FILE *out, const char *name, __u64 v)
{
	fprintf(out, "%s %llu\n", name, (unsigned long long)v);
}

/* The families the datapath's counters are grouped in, by prefix of their name. */
static const struct {
	const char *prefix;	/* "dns_" */
	const char *name;	/* bpfroute_dns_total */
	const char *help;
} groups[] = {
	{ "dns_", "bpfroute_dns_total",
	  "DNS messages the learner saw, by outcome (the dns_* counters of bpfroute status)" },
	{ "nat_", "bpfroute_nat_total",
	  "Masquerade events (the nat_* counters of bpfroute status)" },
	{ "pass_", "bpfroute_pass_total",
	  "Packets passed on unsteered, by reason (the pass_* counters of bpfroute status)" },
};

#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

static int group_of(const char *stat)
{
	for (size_t g = 0; g < N_GROUPS; g++)
		if (!strncmp(stat, groups[g].prefix, strlen(groups[g].prefix)))
			return (int)g;
	return -1;
}

static int write_datapath(FILE *out, const struct bpfroute_maps *m)
{
	__u64 v[BPFROUTE_STAT_MAX];
	int err;

	for (__u32 s = 0; s < BPFROUTE_STAT_MAX; s++) {
		err = stats_read(m, s, &v[s]);
		if (err)
			return err;
	}
	/* Counters of their own first, then each group. */
	for (__u32 s = 0; s < BPFROUTE_STAT_MAX; s++) {
		char name[96];

		if (group_of(stat_name(s)) >= 0)
			continue;
		snprintf(name, sizeof(name), "bpfroute_%s_total", stat_name(s));
		fprintf(out, "# HELP %s The %s counter of bpfroute status (the datapath)\n",
			name, stat_name(s));
		fprintf(out, "# TYPE %s counter\n", name);
		sample(out, name, v[s]);
	}
	for (size_t g = 0; g < N_GROUPS; g++) {
		family(out, groups[g].name, "counter", groups[g].help);
		for (__u32 s = 0; s < BPFROUTE_STAT_MAX; s++) {
			if (group_of(stat_name(s)) != (int)g)
				continue;
			fprintf(out, "%s{counter=\"%s\"} %llu\n", groups[g].name,
				stat_name(s) + strlen(groups[g].prefix), (unsigned long long)v[s]);
		}
	}
	return 0;
}

static size_t count_keys(int fd, size_t max)
{
	__u32 key, next;
	size_t n = 0;
	void *prev = NULL;

	while (fd >= 0 && n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		n++;
		key = next;
		prev = &key;
	}
	return n;
}

/* Fill of the maps an operator sizes or watches. */
static void write_maps(FILE *out, const struct metrics_source *src)
{
	const struct bpfroute_maps *m = src->m;
	const struct metrics_agg *g = src->agg;
	struct bpfroute_hostctl ctl[2] = {};
	struct bpfroute_conf conf = {};
	__u32 zero = 0;
	struct {
		const char *map;
		bool walked;	/* known only from a walk */
		__u64 entries, max;
	} fill[7];
	int n = 0;

	bpf_map_lookup_elem(m->conf, &zero, &conf);
	for (__u32 i = 0; i < 2 && m->hostctl >= 0; i++)
		bpf_map_lookup_elem(m->hostctl, &i, &ctl[i]);
	fill[n++] = (typeof(fill[0])){ "learned4", false, ctl[0].live, conf.max_routes };
	fill[n++] = (typeof(fill[0])){ "learned6", false, ctl[1].live, conf.max_routes };
	/* The sizes the config gave them (max-prefixes, max-rules). */
	fill[n++] = (typeof(fill[0])){ "routes4", true, g ? g->prefixes[0] : 0,
				       map_max_entries(m->route4) };
	fill[n++] = (typeof(fill[0])){ "routes6", true, g ? g->prefixes[1] : 0,
				       map_max_entries(m->route6) };
	fill[n++] = (typeof(fill[0])){ "rules", false, src->n_rule_ids,
				       map_max_entries(m->rules) };
	fill[n++] = (typeof(fill[0])){ "targets", false,
				       count_keys(m->targets, BPFROUTE_MAX_TARGETS),
				       BPFROUTE_MAX_TARGETS };
	fill[n++] = (typeof(fill[0])){ "nat_out", true, g ? g->flows : 0, BPFROUTE_MAX_FLOWS };

	family(out, "bpfroute_map_entries", "gauge",
	       "Entries in a map (learned4/6: live learned entries; nat_out: masqueraded flows)");
	for (int i = 0; i < n; i++)
		if (!fill[i].walked || g)
			fprintf(out, "bpfroute_map_entries{map=\"%s\"} %llu\n", fill[i].map,
				(unsigned long long)fill[i].entries);
	family(out, "bpfroute_map_capacity", "gauge",
	       "Entries a map takes at most (learned4/6: max-routes)");
	for (int i = 0; i < n; i++)
		fprintf(out, "bpfroute_map_capacity{map=\"%s\"} %llu\n", fill[i].map,
			(unsigned long long)fill[i].max);
}

static void dev_label(FILE *out, const struct metrics_source *src, __u32 ifindex)
{
	char buf[IF_NAMESIZE + 16];

	if (src->dev_name)
		src->dev_name(src->ctx, ifindex, buf);
	else
		snprintf(buf, sizeof(buf), "#%u", ifindex);
	fputs("dev=\"", out);
	metrics_label_value(out, buf);
	fputc('"', out);
}

/*
 * A gauge of two series per target device: the __u64[2] at `off` of its
 * struct metrics_target, the two told apart by label=value[k].
 */
static void write_target_pairs(FILE *out, const struct metrics_source *src, const char *name,
			       const char *help, const char *label, const char *const value[2],
			       size_t off)
{
	const struct metrics_agg *g = src->agg;

	family(out, name, "gauge", help);
	for (__u32 i = 0; i < g->n_targets; i++) {
		const __u64 *v = (const __u64 *)((const char *)&g->target[i] + off);

		for (int k = 0; k < 2; k++) {
			fprintf(out, "%s{", name);
			dev_label(out, src, g->target[i].ifindex);
			fprintf(out, ",%s=\"%s\"} %llu\n", label, value[k],
				(unsigned long long)v[k]);
		}
	}
}

static void write_targets(FILE *out, const struct metrics_source *src)
{
	static const char *const origin[METRICS_ORIGINS] = { "learned", "prefix" };
	static const char *const fam[2] = { "ipv4", "ipv6" };
	const struct metrics_agg *g = src->agg;

	_Static_assert(METRICS_ORIGINS == 2, "write_target_pairs writes two origins");
	/*
	 * Gauges, not counters: the sum over the entries there now falls when
	 * an entry goes, and a counter that falls reads as a restart to rate().
	 */
	write_target_pairs(out, src, "bpfroute_target_packets",
			   "Packets steered to a target device by the entries there now (learned "
			   "or prefix); it falls when an entry goes", "origin", origin,
			   offsetof(struct metrics_target, packets));
	write_target_pairs(out, src, "bpfroute_target_bytes",
			   "Bytes steered to a target device, as bpfroute_target_packets",
			   "origin", origin, offsetof(struct metrics_target, bytes));
	write_target_pairs(out, src, "bpfroute_target_learned_entries",
			   "Learned entries to a target device, per family", "family", fam,
			   offsetof(struct metrics_target, entries));
	family(out, "bpfroute_target_flows", "gauge",
	       "Masqueraded flows through a target device");
	for (__u32 i = 0; i < g->n_targets; i++) {
		fputs("bpfroute_target_flows{", out);
		dev_label(out, src, g->target[i].ifindex);
		fprintf(out, "} %llu\n", (unsigned long long)g->target[i].flows);
	}
}

/* A rule's series: one per rule the config has, and per id seen in entries. */
static void rule_label(FILE *out, const struct metrics_source *src, __u32 id)
{
	const char *text = src->rule_name ? src->rule_name(src->ctx, id) : NULL;
	char unknown[16];

	if (!text) {
		snprintf(unknown, sizeof(unknown), "#%u", id);	/* a rule gone since */
		text = unknown;
	}
	fputs("rule=\"", out);
	metrics_label_value(out, text);
	fputc('"', out);
}

static int id_cmp(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The rules given series, sorted by id: every rule of the config while
 * there are at most METRICS_RULES_MAX, and the ids the walk met in entries
 * (a rule gone since included). *ids malloc()ed.
 */
static size_t rules_shown(const struct metrics_source *src, __u32 **ids)
{
	const struct metrics_agg *g = src->agg;
	size_t n = 0, all = src->n_rule_ids <= METRICS_RULES_MAX ? src->n_rule_ids : 0;

	*ids = malloc((all + METRICS_RULE_SLOTS + 1) * sizeof(**ids));
	if (!*ids)
		return 0;
	for (size_t i = 0; i < all; i++)
		(*ids)[n++] = src->rule_ids[i];
	for (size_t i = 0; i < METRICS_RULE_SLOTS; i++)
		if (g->rule[i].used)
			(*ids)[n++] = g->rule[i].id;
	qsort(*ids, n, sizeof(**ids), id_cmp);
	/* Each once. */
	for (size_t i = 1, k = n ? 1 : 0; i <= n; i++) {
		if (i == n) {
			n = k;
			break;
		}
		if ((*ids)[i] != (*ids)[k - 1])
			(*ids)[k++] = (*ids)[i];
	}
	return n;
}

static const struct metrics_rule *rule_of(const struct metrics_source *src, __u32 id)
{
	static const struct metrics_rule none;
	const struct metrics_rule *r =
		metrics_rule_slot((struct metrics_agg *)src->agg, id, false);

	return r ? r : &none;
}

/* One gauge of every rule shown: the field at `off` of its struct metrics_rule. */
static void write_rule_sum(FILE *out, const struct metrics_source *src, const __u32 *ids,
			   size_t n, const char *name, const char *help, size_t off)
{
	family(out, name, "gauge", help);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s{", name);
		rule_label(out, src, ids[i]);
		fprintf(out, "} %llu\n", (unsigned long long)*(const __u64 *)
			((const char *)rule_of(src, ids[i]) + off));
	}
}

static void write_rules(FILE *out, const struct metrics_source *src)
{
	static const char *const fam[2] = { "ipv4", "ipv6" };
	__u32 *ids;
	size_t n = rules_shown(src, &ids);

	write_rule_sum(out, src, ids, n, "bpfroute_rule_packets",
		       "Packets steered by the entries a domain rule learned, those there now; "
		       "it falls when an entry goes", offsetof(struct metrics_rule, packets));
	write_rule_sum(out, src, ids, n, "bpfroute_rule_bytes",
		       "Bytes steered by the entries a domain rule learned, as "
		       "bpfroute_rule_packets", offsetof(struct metrics_rule, bytes));
	family(out, "bpfroute_rule_learned_entries", "gauge",
	       "Learned entries of a domain rule, per family");
	for (size_t i = 0; i < n; i++) {
		for (int f = 0; f < 2; f++) {
			fputs("bpfroute_rule_learned_entries{", out);
			rule_label(out, src, ids[i]);
			fprintf(out, ",family=\"%s\"} %llu\n", fam[f],
				(unsigned long long)rule_of(src, ids[i])->entries[f]);
		}
	}
	family(out, "bpfroute_rule_entries_unlabelled", "gauge",
	       "Learned entries of rules without per-rule series (more than "
	       BPFROUTE_STR(METRICS_RULES_MAX) " rules have entries)");
	fprintf(out, "bpfroute_rule_entries_unlabelled %llu\n",
		(unsigned long long)src->agg->rules_unlabelled);
	free(ids);
}

static void write_seconds(FILE *out, const char *name, const char *type, const char *help,
			  __u64 ns)
{
	family(out, name, type, help);
	fprintf(out, "%s %llu.%09llu\n", name, (unsigned long long)(ns / 1000000000ULL),
		(unsigned long long)(ns % 1000000000ULL));
}

static int write_agent(FILE *out, const struct metrics_source *src)
{
	static const struct {
		const char *name;
		size_t off;
		const char *help;
	} counters[] = {
#define C(f, h) { "bpfroute_agent_" #f "_total", offsetof(struct bpfroute_agent, f), h }
		C(events, "Answer events the agent read from the ring buffer"),
		C(events_finished, "Answers the agent finished (too big for the kernel, or a "
				   "table full)"),
		C(installed, "Addresses the agent installed or renewed"),
		C(evicted, "Expired entries the agent evicted to make room"),
		C(expired, "Dead entries the agent swept"),
		C(refused, "Addresses the agent refused (special, excluded)"),
		C(refused_full, "Addresses the agent refused: no room and nothing to evict"),
		C(prefetches, "Prefetch queries the agent sent"),
		C(prefetch_failed, "Prefetch queries that failed"),
		C(parse_failures, "Answers the agent could not read"),
		C(dropped, "Answer events whose rule is gone"),
		C(flows_expired, "Masqueraded flows the agent swept"),
		C(rebuilds, "Learned tables the agent rebuilt (grown, shrunk, cleaned)"),
		C(rebuild_failed, "Table rebuilds given up (the old table stayed)"),
		C(export_written, "Routes the agent wrote to the export table"),
		C(export_removed, "Routes the agent removed from the export table"),
		C(export_failed, "Export table writes and removals the kernel refused"),
		C(imported, "Entries the agent installed from the import table"),
		C(import_withdrawn, "Imported entries expired because their route was withdrawn"),
#undef C
	};
	struct bpfroute_agent rec;
	enum agentrec_state state = AGENTREC_RUNNING;
	__u64 now = agentrec_now(), count = 0, cum = 0;
	int err;

	if (src->self) {
		rec = *src->self;
	} else {
		err = agentrec_read(src->m->agent, now, &rec, &state);
		if (err)
			return err;
	}
	family(out, "bpfroute_agent_up", "gauge",
	       "1 if an agent (bpfroute run) runs for this pin directory: its pid exists and "
	       "it ticked within 3 s");
	sample(out, "bpfroute_agent_up", state == AGENTREC_RUNNING);
	if (state == AGENTREC_RUNNING)
		write_seconds(out, "bpfroute_agent_uptime_seconds", "gauge",
			      "Seconds since the agent started", now - rec.start_ns);
	family(out, "bpfroute_agent_export_routes", "gauge",
	       "Routes of the agent's own in the export table (export table N)");
	sample(out, "bpfroute_agent_export_routes", rec.export_routes);
	family(out, "bpfroute_agent_import_routes", "gauge",
	       "Host routes of the import table the agent reads (import table M)");
	sample(out, "bpfroute_agent_import_routes", rec.import_routes);
	/* Counters of the agent that runs, or of the last one: since its start. */
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		family(out, counters[i].name, "counter", counters[i].help);
		sample(out, counters[i].name, *(const __u64 *)((const char *)&rec +
							       counters[i].off));
	}
	family(out, "bpfroute_agent_learn_latency_seconds", "histogram",
	       "Answers the agent finished: from the kernel's timestamp of the answer to the "
	       "agent having installed its addresses");
	for (unsigned int i = 0; i < BPFROUTE_AGENT_LAT_BUCKETS; i++)
		count += rec.lat_bucket[i];
	for (unsigned int i = 0; i < BPFROUTE_AGENT_LAT_BUCKETS - 1; i++) {
		__u64 le = agentrec_lat_le_ns(i);

		cum += rec.lat_bucket[i];
		fprintf(out, "bpfroute_agent_learn_latency_seconds_bucket{le=\"%g\"} %llu\n",
			(double)le / 1e9, (unsigned long long)cum);
	}
	fprintf(out, "bpfroute_agent_learn_latency_seconds_bucket{le=\"+Inf\"} %llu\n",
		(unsigned long long)count);
	fprintf(out, "bpfroute_agent_learn_latency_seconds_sum %llu.%09llu\n",
		(unsigned long long)(rec.lat_sum_ns / 1000000000ULL),
		(unsigned long long)(rec.lat_sum_ns % 1000000000ULL));
	sample(out, "bpfroute_agent_learn_latency_seconds_count", count);
	return 0;
}

int metrics_write(FILE *out, const struct metrics_source *src)
{
	int err;

	family(out, "bpfroute_build_info", "gauge",
	       "The bpfroute binary's version and the layout of the pinned state it uses");
	fprintf(out, "bpfroute_build_info{version=\"%s\",layout=\"%d\"} 1\n", BPFROUTE_VERSION,
		BPFROUTE_LAYOUT_VERSION);
	err = write_datapath(out, src->m);
	if (err)
		return err;
	write_maps(out, src);
	if (src->agg) {
		write_targets(out, src);
		write_rules(out, src);
	}
	err = write_agent(out, src);
	if (err)
		return err;
	return ferror(out) ? -EIO : 0;
}
