// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's caches of the pinned maps: the settings (bpfroute_conf), the
 * domain rules by id, the sizes of the learned maps. All are read again on
 * reload, every AGENT_RULES_EVERY_NS, and whenever an event names a rule the
 * cache does not know: a `bpfroute load` by hand is noticed too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "agent.h"
#include "agentrec.h"
#include "dnsname.h"
#include "learning.h"
#include "log.h"

static int conf_read(struct agent *a)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(a->maps->conf, &zero, &a->conf))
		return -errno;
	return 0;
}

struct agent_rules {
	struct agent_rule *v;
	size_t n;
	size_t n_bypass;
	__u8 *names;
};

/* Every rule of bpfroute_rules, sorted by id, names pooled. */
static int rules_read(const struct bpfroute_maps *m, struct agent_rules *out)
{
	struct learning_rule *list = NULL;
	size_t n = 0, bytes = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = learning_rules_list(m, &list, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		if (list[i].val.name_len <= sizeof(list[i].val.name))
			bytes += list[i].val.name_len;
	out->v = calloc(n + 1, sizeof(*out->v));
	out->names = malloc(bytes + 1);
	if (!out->v || !out->names) {
		free(out->v);
		free(out->names);
		free(list);
		memset(out, 0, sizeof(*out));
		return -ENOMEM;
	}
	bytes = 0;
	for (size_t i = 0; i < n; i++) {
		struct agent_rule *r = &out->v[out->n];

		if (list[i].val.name_len > sizeof(list[i].val.name))
			continue;
		r->used = true;
		r->id = list[i].val.id;
		r->wildcard = list[i].key.wildcard;
		r->bypass = list[i].val.flags & BPFROUTE_RULE_F_BYPASS;
		out->n_bypass += r->bypass;
		r->clients = list[i].val.clients;
		r->ifindex = list[i].val.ifindex;
		r->name_len = list[i].val.name_len;
		r->name = out->names + bytes;
		memcpy(out->names + bytes, list[i].val.name, r->name_len);
		bytes += r->name_len;
		out->n++;
	}
	free(list);
	return 0;
}

static bool rules_same(const struct agent *a, const struct agent_rules *r)
{
	if (a->n_rules != r->n)
		return false;
	for (size_t i = 0; i < r->n; i++) {
		const struct agent_rule *x = &a->rules[i], *y = &r->v[i];

		if (x->id != y->id || x->ifindex != y->ifindex || x->wildcard != y->wildcard ||
		    x->bypass != y->bypass || x->clients != y->clients ||
		    x->name_len != y->name_len || memcmp(x->name, y->name, x->name_len))
			return false;
	}
	return true;
}

int agent_rule_text(const struct agent_rule *r, char *buf, size_t size)
{
	char text[DNSNAME_TEXT_MAX];
	int n;

	if (dnsname_to_text(r->name, r->name_len, text, sizeof(text)))
		return -EINVAL;
	n = snprintf(buf, size, "%s%s", r->wildcard ? "*." : "", text);
	return n < 0 || (size_t)n >= size ? -EINVAL : 0;
}

const struct agent_rule *agent_rule_by_id(const struct agent *a, __u32 id)
{
	size_t lo = 0, hi = a->n_rules;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->rules[mid].id == id)
			return &a->rules[mid];
		if (a->rules[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int agent_refresh(struct agent *a, __u64 now)
{
	struct agent_rules fresh;
	bool changed;
	int err;

	err = conf_read(a);
	if (err)
		return err;
	err = rules_read(a->maps, &fresh);
	if (err)
		return err;
	changed = !rules_same(a, &fresh);
	free(a->rules);
	free(a->rule_names);
	a->rules = fresh.v;
	a->n_rules = fresh.n;
	a->n_bypass = fresh.n_bypass;
	a->rule_names = fresh.names;
	a->rules_read_ns = now;
	if (changed)
		agent_prefetch_rules(a, now);
	return changed;
}

/* Does rule r cover the question: the name itself, or (wildcard) a name below it? */
static bool rule_covers(const struct agent_rule *r, const __u8 *q, size_t qlen)
{
	for (size_t i = 0; i < qlen && q[i]; i += 1 + q[i]) {
		if (qlen - i != r->name_len || memcmp(q + i, r->name, r->name_len))
			continue;
		return r->wildcard ? i > 0 : i == 0;
	}
	return false;
}

/*
 * Is the question's most specific rule a bypass? The kernel matched before
 * it emitted the event; a reload since may have added a bypass for the name
 * (`bypass public.corp.example.com` under `route *.corp.example.com`). The
 * same order as bpf/dns_rules.h (learning_rule_match(): a lookup of
 * bpfroute_rules per label, whatever the number of rules); only answers the
 * agent finishes pay it, and only while the config has a bypass rule.
 */
static bool rule_bypassed(const struct agent *a, const __u8 *qname, size_t qlen)
{
	struct learning_rule best;

	return a->n_bypass && !learning_rule_match(a->maps, &a->conf, qname, qlen, &best) &&
	       (best.val.flags & BPFROUTE_RULE_F_BYPASS);
}

/*
 * Ids are given in config order, so after a reload an id may name another
 * rule: the question must still fall under it, or the cache is read again.
 * A bypass rule, or a question a bypass covers more specifically, has none.
 */
const struct agent_rule *agent_rule(struct agent *a, __u32 id, const __u8 *qname,
				    size_t qlen, __u64 now)
{
	const struct agent_rule *r = agent_rule_by_id(a, id);

	if (!(r && r->used && rule_covers(r, qname, qlen))) {
		if (now - a->rules_read_ns < HOSTS_NSEC_PER_SEC || agent_refresh(a, now) < 0)
			return NULL;
		r = agent_rule_by_id(a, id);
		if (!(r && r->used && rule_covers(r, qname, qlen)))
			return NULL;
	}
	if (r->bypass || rule_bypassed(a, qname, qlen))
		return NULL;
	return r;
}

static int agent_read_maps(struct agent *a, struct bpfroute_maps *m, __u64 now)
{
	int err;

	agent_flows_close(a);	/* mapped from the old maps */
	a->maps = m;
	err = agent_tables_open(a);
	if (err)
		return err;
	err = agent_refresh(a, now);
	return err < 0 ? err : 0;
}

int agent_init(struct agent *a, struct bpfroute_maps *m, __u64 now)
{
	int err = -ENOMEM;

	memset(a, 0, sizeof(*a));
	a->ans = malloc(sizeof(*a->ans));
	for (int i = 0; i < 2; i++) {
		a->lru[i].c = malloc(AGENT_LRU_MAX * sizeof(*a->lru[i].c));
		a->ht[i] = (struct hosttable){ .ctl = NULL };
		for (int r = 0; r < BPFROUTE_HOSTS_ROLES; r++)
			a->ht[i].role[r].fd = -1;
	}
	if (!a->ans || !a->lru[0].c || !a->lru[1].c)
		goto cleanup;
	a->report_ns = now;
	err = agent_read_maps(a, m, now);
	if (!err)
		return 0;
cleanup:
	agent_free(a);
	return err;
}

int agent_set_maps(struct agent *a, struct bpfroute_maps *m, __u64 now)
{
	return agent_read_maps(a, m, now);
}

void agent_free(struct agent *a)
{
	agent_prefetch_free(a);
	agent_export_free(a);
	agent_import_free(a);
	agent_tables_close(a);
	agent_flows_close(a);
	free(a->rules);
	free(a->rule_names);
	free(a->ans);
	for (int i = 0; i < 2; i++)
		free(a->lru[i].c);
	memset(a, 0, sizeof(*a));
}

/* "p50 X us, p99 Y us" of a latency record. */
static const char *lat_text(const struct agent_lat *l, char *buf, size_t size)
{
	snprintf(buf, size, "p50 %llu us, p99 %llu us",
		 (unsigned long long)agent_lat_percentile(l, 50) / 1000,
		 (unsigned long long)agent_lat_percentile(l, 99) / 1000);
	return buf;
}

/* The fleet's counters, when it has an export or import table: one line. */
static void fleet_report(const struct agent *a, bool debug)
{
	const struct agent_stats *s = &a->st;
	char line[320];

	if (!a->exp && !a->imp)
		return;
	snprintf(line, sizeof(line),
		 "fleet: %zu routes exported (%llu written, %llu removed, %llu failed); "
		 "%zu routes imported (%llu entries installed, %llu left to local ones, "
		 "%llu withdrawn); longest step %llu us of CPU\n",
		 agent_export_routes(a), (unsigned long long)s->export_written,
		 (unsigned long long)s->export_removed, (unsigned long long)s->export_failed,
		 agent_import_routes(a), (unsigned long long)s->imported,
		 (unsigned long long)s->import_local, (unsigned long long)s->import_withdrawn,
		 (unsigned long long)s->fleet_step_max_ns / 1000);
	if (debug)
		pr_debug("%s", line);
	else
		pr_info("%s", line);
}

static void agent_report(struct agent *a, __u64 now)
{
	const struct agent_stats *s = &a->st;
	char learn[64], delay[64];

	if (now - a->report_ns < AGENT_REPORT_EVERY_NS)
		return;
	a->report_ns = now;
	pr_debug("agent: %llu events (delay %s), %llu finished (learn latency %s); "
		 "%llu installed, %llu evicted, %llu expired, %llu refused, %llu refused (full), "
		 "%llu tables rebuilt\n",
		 (unsigned long long)s->events, lat_text(&a->lat, delay, sizeof(delay)),
		 (unsigned long long)s->events_finished,
		 lat_text(&a->lat_learn, learn, sizeof(learn)), (unsigned long long)s->installed,
		 (unsigned long long)s->evicted, (unsigned long long)s->expired,
		 (unsigned long long)s->refused, (unsigned long long)s->refused_full,
		 (unsigned long long)s->rebuilds);
	fleet_report(a, true);
}

void agent_tick(struct agent *a, __u64 now)
{
	if (now - a->rules_read_ns >= AGENT_RULES_EVERY_NS)
		agent_refresh(a, now);	/* the prefetch list follows */
	else
		conf_read(a);	/* min-ttl and friends follow a reload at once */
	for (int family = 4; family <= 6; family += 2) {
		__u32 n, chunk;

		agent_tables_fit(a, family, now);
		/* A whole pass in about a minute, in chunks of milliseconds. */
		n = agent_ht(a, family)->role[BPFROUTE_HOSTS_TABLE].n;
		chunk = n / 60 < AGENT_SWEEP_MIN ? AGENT_SWEEP_MIN :
			n / 60 > AGENT_SWEEP_MAX ? AGENT_SWEEP_MAX : n / 60;
		agent_sweep(a, family, now, chunk);
		agent_keep_room(a, family, now);
	}
	agent_flows_sweep(a, now, BPFROUTE_MAX_FLOWS / 60 + 1);
	agent_prefetch_tick(a, now);
	agent_report(a, now);
}

int agent_record(struct agent *a, __u64 boot_now)
{
	const struct agent_stats *s = &a->st;
	struct bpfroute_agent *r = &a->rec;

	r->tick_ns = boot_now;
	r->events = s->events;
	r->events_finished = s->events_finished;
	r->installed = s->installed;
	r->evicted = s->evicted;
	r->expired = s->expired;
	r->refused = s->refused;
	r->refused_full = s->refused_full;
	r->prefetches = s->prefetches;
	r->prefetch_failed = s->prefetch_failed;
	r->parse_failures = s->parse_failures;
	r->dropped = s->dropped;
	r->flows_expired = s->flows_expired;
	r->rebuilds = s->rebuilds;
	r->rebuild_failed = s->rebuild_failed;
	r->export_routes = agent_export_routes(a);
	r->export_written = s->export_written;
	r->export_removed = s->export_removed;
	r->export_failed = s->export_failed;
	r->import_routes = agent_import_routes(a);
	r->imported = s->imported;
	r->import_withdrawn = s->import_withdrawn;
	r->flags &= ~(BPFROUTE_AGENT_F_EXPORT | BPFROUTE_AGENT_F_IMPORT);
	if (a->exp)
		r->flags |= BPFROUTE_AGENT_F_EXPORT;
	if (a->imp)
		r->flags |= BPFROUTE_AGENT_F_IMPORT;
	return agentrec_write(a->maps->agent, r);
}

void agent_summary(const struct agent *a)
{
	const struct agent_stats *s = &a->st;
	char learn[64], delay[64];

	pr_info("agent: %llu events (delay %s), %llu finished by the agent (learn latency %s), "
		"%llu installed, %llu evicted, %llu expired, %llu refused, %llu refused (full), "
		"%llu prefetches (%llu failed), %llu parse failures, %llu dropped, "
		"%llu flows expired, %llu tables rebuilt (%llu failed)\n",
		(unsigned long long)s->events, lat_text(&a->lat, delay, sizeof(delay)),
		(unsigned long long)s->events_finished,
		lat_text(&a->lat_learn, learn, sizeof(learn)), (unsigned long long)s->installed,
		(unsigned long long)s->evicted, (unsigned long long)s->expired,
		(unsigned long long)s->refused, (unsigned long long)s->refused_full,
		(unsigned long long)s->prefetches, (unsigned long long)s->prefetch_failed,
		(unsigned long long)s->parse_failures, (unsigned long long)s->dropped,
		(unsigned long long)s->flows_expired, (unsigned long long)s->rebuilds,
		(unsigned long long)s->rebuild_failed);
	fleet_report(a, false);
}
