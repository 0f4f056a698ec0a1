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
#include "dnsname.h"
#include "log.h"

static int conf_read(struct agent *a)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(a->maps->conf, &zero, &a->conf))
		return -errno;
	return 0;
}

static __u32 max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

static void rule_set(struct agent_rule *r, const struct bpfroute_rule_key *key,
		     const struct bpfroute_rule *val)
{
	char text[BPFROUTE_DNS_NAME_MAX];

	memset(r, 0, sizeof(*r));
	if (val->name_len > sizeof(val->name) ||
	    dnsname_to_text(val->name, val->name_len, text, sizeof(text)))
		return;
	r->used = true;
	r->wildcard = key->wildcard;
	r->ifindex = val->ifindex;
	r->name_len = val->name_len;
	memcpy(r->name, val->name, val->name_len);
	snprintf(r->text, sizeof(r->text), "%s%s", r->wildcard ? "*." : "", text);
}

/* Every rule of bpfroute_rules into rules[], by id. */
static int rules_read(const struct bpfroute_maps *m, struct agent_rule *rules)
{
	struct bpfroute_rule_key key, next;
	struct bpfroute_rule val;
	void *prev = NULL;

	memset(rules, 0, BPFROUTE_MAX_RULES * sizeof(*rules));
	while (!bpf_map_get_next_key(m->rules, prev, &next)) {
		if (!bpf_map_lookup_elem(m->rules, &next, &val) && val.id < BPFROUTE_MAX_RULES)
			rule_set(&rules[val.id], &next, &val);
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

int agent_refresh(struct agent *a, __u64 now)
{
	struct agent_rule *fresh;
	bool changed;
	int err;

	err = conf_read(a);
	if (err)
		return err;
	fresh = malloc(BPFROUTE_MAX_RULES * sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	err = rules_read(a->maps, fresh);
	if (err) {
		free(fresh);
		return err;
	}
	changed = memcmp(fresh, a->rules, BPFROUTE_MAX_RULES * sizeof(*fresh)) != 0;
	free(a->rules);
	a->rules = fresh;
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
 * Ids are given in config order, so after a reload an id may name another
 * rule: the question must still fall under it, or the cache is read again.
 */
const struct agent_rule *agent_rule(struct agent *a, __u16 id, const __u8 *qname,
				    size_t qlen, __u64 now)
{
	const struct agent_rule *r = id < BPFROUTE_MAX_RULES ? &a->rules[id] : NULL;

	if (!r)
		return NULL;
	if (r->used && rule_covers(r, qname, qlen))
		return r;
	if (now - a->rules_read_ns < HOSTS_NSEC_PER_SEC || agent_refresh(a, now) < 0)
		return NULL;
	r = &a->rules[id];
	return r->used && rule_covers(r, qname, qlen) ? r : NULL;
}

static int agent_read_maps(struct agent *a, struct bpfroute_maps *m, __u64 now)
{
	__u32 biggest;
	int err;

	a->maps = m;
	a->max_entries[0] = max_entries(m->host4);
	a->max_entries[1] = max_entries(m->host6);
	biggest = a->max_entries[0] > a->max_entries[1] ? a->max_entries[0] : a->max_entries[1];
	/* A whole pass in about a minute, in chunks a tick handles in milliseconds. */
	a->sweep_chunk = biggest / 60;
	if (a->sweep_chunk < AGENT_BATCH)
		a->sweep_chunk = AGENT_BATCH;
	if (a->sweep_chunk > 16 * AGENT_BATCH)
		a->sweep_chunk = 16 * AGENT_BATCH;
	memset(a->sweep, 0, sizeof(a->sweep));
	agent_lru_reset(a);
	err = agent_refresh(a, now);
	return err < 0 ? err : 0;
}

int agent_init(struct agent *a, struct bpfroute_maps *m, __u64 now)
{
	int err = -ENOMEM;

	memset(a, 0, sizeof(*a));
	a->rules = calloc(BPFROUTE_MAX_RULES, sizeof(*a->rules));
	a->ans = malloc(sizeof(*a->ans));
	a->batch_keys = malloc(AGENT_BATCH * sizeof(struct bpfroute_addr6));
	a->batch_vals = malloc(AGENT_BATCH * sizeof(*a->batch_vals));
	for (int i = 0; i < 2; i++)
		a->lru[i].c = malloc(AGENT_LRU_MAX * sizeof(*a->lru[i].c));
	if (!a->rules || !a->ans || !a->batch_keys || !a->batch_vals || !a->lru[0].c ||
	    !a->lru[1].c)
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
	free(a->rules);
	free(a->ans);
	free(a->batch_keys);
	free(a->batch_vals);
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

static void agent_report(struct agent *a, __u64 now)
{
	const struct agent_stats *s = &a->st;
	char learn[64], delay[64];

	if (now - a->report_ns < AGENT_REPORT_EVERY_NS)
		return;
	a->report_ns = now;
	pr_debug("agent: %llu events (delay %s), %llu finished (learn latency %s); "
		 "%llu installed, %llu evicted, %llu expired, %llu refused, %llu refused (full)\n",
		 (unsigned long long)s->events, lat_text(&a->lat, delay, sizeof(delay)),
		 (unsigned long long)s->events_finished,
		 lat_text(&a->lat_learn, learn, sizeof(learn)), (unsigned long long)s->installed,
		 (unsigned long long)s->evicted, (unsigned long long)s->expired,
		 (unsigned long long)s->refused, (unsigned long long)s->refused_full);
}

void agent_tick(struct agent *a, __u64 now)
{
	if (now - a->rules_read_ns >= AGENT_RULES_EVERY_NS)
		agent_refresh(a, now);	/* the prefetch list follows */
	else
		conf_read(a);	/* min-ttl and friends follow a reload at once */
	for (int family = 4; family <= 6; family += 2) {
		agent_sweep(a, family, now, a->sweep_chunk);
		agent_keep_room(a, family, now);
	}
	agent_flows_sweep(a, now, a->sweep_chunk);
	agent_prefetch_tick(a, now);
	agent_report(a, now);
}

void agent_summary(const struct agent *a)
{
	const struct agent_stats *s = &a->st;
	char learn[64], delay[64];

	pr_info("agent: %llu events (delay %s), %llu finished by the agent (learn latency %s), "
		"%llu installed, %llu evicted, %llu expired, %llu refused, %llu refused (full), "
		"%llu prefetches (%llu failed), %llu parse failures, %llu dropped, "
		"%llu flows expired\n",
		(unsigned long long)s->events, lat_text(&a->lat, delay, sizeof(delay)),
		(unsigned long long)s->events_finished,
		lat_text(&a->lat_learn, learn, sizeof(learn)), (unsigned long long)s->installed,
		(unsigned long long)s->evicted, (unsigned long long)s->expired,
		(unsigned long long)s->refused, (unsigned long long)s->refused_full,
		(unsigned long long)s->prefetches, (unsigned long long)s->prefetch_failed,
		(unsigned long long)s->parse_failures, (unsigned long long)s->dropped,
		(unsigned long long)s->flows_expired);
}
