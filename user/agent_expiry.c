// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Room and hygiene in the learned tables.
 *
 * Eviction: the kernel never evicts (bpf/learn.h refuses an address once
 * max-routes entries live), so the agent makes room: the least recently used
 * EXPIRED entry goes first, in order of max(last use, expiry); an entry that
 * has not expired is never evicted, and without an expired one the address
 * is refused. Candidates come from one scan of the table, which keeps the
 * AGENT_LRU_MAX oldest expired entries; each is checked again just before it
 * goes (hosts_reap()), so one used or renewed since the scan is skipped. The
 * order stays exact between scans: an entry not kept was younger than every
 * kept one or had not expired, and an entry's age only ever grows (its last
 * use and expiry only move forward).
 *
 * Sweeping: dead entries (expired and unused for their idle_timeout) are
 * misses for the classifier already; deleting them makes room in the table
 * (max-routes counts live entries), a chunk of slots per tick so that a
 * million never stall the loop. The slots they leave are reclaimed when the
 * table is rebuilt (agent_tables.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"

void agent_lru_reset(struct agent *a)
{
	for (int i = 0; i < 2; i++) {
		a->lru[i].n = 0;
		a->lru[i].pos = 0;
		a->lru[i].rescan_at = 0;
		a->sweep[i] = (struct agent_sweep){ 0 };
	}
}

static __u32 cand_age(const struct agent_lru_cand *c)
{
	return hosts_since(&c->seen);
}

static void cand_swap(struct agent_lru_cand *x, struct agent_lru_cand *y)
{
	struct agent_lru_cand t = *x;

	*x = *y;
	*y = t;
}

/* Keep the AGENT_LRU_MAX oldest: a max-heap on age while scanning. */
static void lru_offer(struct agent_lru *l, __u32 slot, const struct bpfroute_host *h)
{
	struct agent_lru_cand *c = l->c;
	size_t i;

	if (l->n == AGENT_LRU_MAX) {
		if (hosts_since(h) >= cand_age(&c[0]))
			return;
		i = 0;	/* replace the youngest, then sift it down */
	} else {
		i = l->n++;
	}
	c[i].slot = slot;
	c[i].seen = *h;
	if (i) {
		for (; i && cand_age(&c[(i - 1) / 2]) < cand_age(&c[i]); i = (i - 1) / 2)
			cand_swap(&c[(i - 1) / 2], &c[i]);
		return;
	}
	for (;;) {
		size_t big = i, left = 2 * i + 1, right = left + 1;

		if (left < l->n && cand_age(&c[left]) > cand_age(&c[big]))
			big = left;
		if (right < l->n && cand_age(&c[right]) > cand_age(&c[big]))
			big = right;
		if (big == i)
			break;
		cand_swap(&c[i], &c[big]);
		i = big;
	}
}

static int cand_cmp(const void *x, const void *y)
{
	__u32 a = cand_age(x), b = cand_age(y);

	return a < b ? -1 : a > b;
}

/* The table of a family, or NULL if it is not mapped. */
const struct table_map *agent_table(struct agent *a, int family)
{
	return hosttable_role(agent_ht(a, family), BPFROUTE_HOSTS_TABLE);
}

/* hosts_reap() checks the fields again before it deletes. */
bool agent_slot_read(const struct table_map *t, __u32 i, struct bpfroute_host *h)
{
	struct bpfroute_host *s = TABLE_SLOT(t, i);

	if (!s || BPFROUTE_SLOT_KIND(TABLE_READ(s->state)) != BPFROUTE_SLOT_LIVE)
		return false;
	*h = *s;
	return BPFROUTE_SLOT_KIND(h->state) == BPFROUTE_SLOT_LIVE;
}

bool agent_walk_step(struct agent *a, struct agent_walk *w, __u32 budget,
		     void (*fn)(struct agent *a, int family, const struct bpfroute_host *h,
				void *ctx),
		     void *ctx)
{
	struct bpfroute_host h;

	while (budget && w->fam < 2) {
		int family = w->fam ? 6 : 4;
		const struct table_map *t = agent_table(a, family);

		if (!t || t->id != w->table_id[w->fam]) {
			w->table_id[w->fam] = t ? t->id : 0;
			w->next = 0;
		}
		for (; t && budget && w->next < t->n; budget--, w->next++)
			if (agent_slot_read(t, w->next, &h))
				fn(a, family, &h, ctx);
		if (!t || w->next >= t->n) {
			w->fam++;
			w->next = 0;
		}
	}
	return w->fam >= 2;
}

/* Read the whole table for the oldest expired entries. */
static void lru_scan(struct agent *a, int family, __u32 now)
{
	struct agent_lru *l = &a->lru[agent_fam(family)];
	const struct table_map *t = agent_table(a, family);
	__u32 min_live = UINT32_MAX;
	struct bpfroute_host h;

	l->n = 0;
	l->pos = 0;
	for (__u32 i = 0; t && i < t->n; i++) {
		if (!agent_slot_read(t, i, &h))
			continue;
		if (hosts_expired(&h, now))
			lru_offer(l, i, &h);
		else if (h.expires < min_live)
			min_live = h.expires;
	}
	qsort(l->c, l->n, sizeof(*l->c), cand_cmp);
	/*
	 * With every expired entry in hand, nothing new can be found before
	 * the next expiry - or before an entry learned since the scan expires,
	 * which AGENT_LRU_RESCAN_NS bounds.
	 */
	l->rescan_at = 0;
	if (l->n < AGENT_LRU_MAX) {
		__u64 next = (__u64)now + AGENT_LRU_RESCAN_NS / HOSTS_NSEC_PER_SEC;

		l->rescan_at = min_live < next ? min_live : next;
	}
}

int agent_evict(struct agent *a, int family, __u64 now_ns)
{
	struct agent_lru *l = &a->lru[agent_fam(family)];
	const struct table_map *t = agent_table(a, family);
	__u32 now = hosts_seconds(now_ns);
	int scans = 0, err;

	if (!t)
		return -ENOSPC;
	for (;;) {
		const struct agent_lru_cand *c;

		if (l->pos >= l->n) {
			if (scans++ || now < l->rescan_at)
				return -ENOSPC;
			lru_scan(a, family, now);
			continue;
		}
		c = &l->c[l->pos++];
		err = hosts_reap(agent_ht(a, family), TABLE_SLOT(t, c->slot), &c->seen, now, NULL);
		if (!err) {
			a->st.evicted++;
			return 0;
		}
		/* Used or renewed since the scan: only a new scan knows its place. */
		if (err == -EAGAIN)
			l->rescan_at = 0;
	}
}

int agent_install(struct agent *a, const struct hosts_origin *o, int family,
		  const __u8 *addr, __u32 ttl, __u64 now_ns)
{
	__u32 now = hosts_seconds(now_ns);
	int r = -E2BIG;

	if (hosts_is_server(o, family, addr) || hosts_refused(a->maps, family, addr)) {
		a->st.refused++;
		return -EPERM;
	}
	/* A few rounds: the kernel may take the room made before we do. */
	for (int tries = 0; tries < 4 && r == -E2BIG; tries++) {
		r = hosts_put(agent_ht(a, family), &a->conf, o, addr, ttl, now);
		if (r == -E2BIG && agent_evict(a, family, now_ns))
			break;
	}
	if (r == -E2BIG) {
		a->st.refused_full++;
		return -ENOSPC;
	}
	if (r == HOSTS_INSTALLED || r == HOSTS_RENEWED)
		a->st.installed++;
	return r;
}

int agent_sweep(struct agent *a, int family, __u64 now_ns, __u32 budget)
{
	struct agent_sweep *s = &a->sweep[agent_fam(family)];
	const struct table_map *t = agent_table(a, family);
	__u32 now = hosts_seconds(now_ns), looked = 0;
	struct bpfroute_host h;

	if (!t)
		return 0;
	if (s->next >= t->n)
		s->next = 0;	/* the table was rebuilt smaller meanwhile */
	while (looked < budget) {
		__u32 i = s->next++;

		looked++;
		if (agent_slot_read(t, i, &h) && hosts_dead(&h, now, a->conf.idle_timeout) &&
		    !hosts_reap(agent_ht(a, family), TABLE_SLOT(t, i), &h, now, &a->conf)) {
			a->st.expired++;
			s->reaped++;
		}
		if (s->next >= t->n) {
			s->next = 0;	/* a pass is complete */
			s->reaped = 0;
			break;
		}
	}
	return (int)looked;
}

/*
 * The kernel refuses new addresses once max-routes entries live, and the
 * agent installs its own only after the client has been answered: keep
 * 1/128 of max-routes free by evicting expired entries (never a live one).
 */
void agent_keep_room(struct agent *a, int family, __u64 now)
{
	struct hosttable *ht = agent_ht(a, family);
	__u32 max = a->conf.max_routes, room = max / 128 ? max / 128 : 1, live, want, done = 0;

	if (!ht->ctl || !max)
		return;
	live = TABLE_READ(ht->ctl->live);
	if ((__u64)live + room <= max)
		return;
	want = live + room - max;
	if (want > 256)
		want = 256;	/* a tick's worth; the next tick does more */
	while (done < want && !agent_evict(a, family, now))
		done++;
	if (done)
		pr_debug("bpfroute_host%d nearly full: evicted %u expired entries\n", family, done);
}
