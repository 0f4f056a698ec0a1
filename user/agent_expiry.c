// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Room and hygiene in the learned maps.
 *
 * Eviction: the kernel never evicts (bpf/learn.h refuses an address when a
 * map is full), so the agent makes room: the least recently used EXPIRED
 * entry goes first, in order of max(last use, expiry); an entry that has not
 * expired is never evicted, and without an expired one the address is
 * refused. Candidates come from one scan of the map, which keeps the
 * AGENT_LRU_MAX oldest expired entries; each is checked again just before it
 * goes (hosts_reap()), so one used or renewed since the scan is skipped.
 * The order stays exact between scans: an entry not kept was younger than
 * every kept one or had not expired, and an entry's age only ever grows
 * (its last use and expiry only move forward).
 *
 * Sweeping: dead entries (expired and unused for their idle_timeout) are
 * misses for the classifier already; removing them is memory hygiene, done
 * a chunk per tick so that a million entries never stall the loop.
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
	}
}

static __u64 cand_age(const struct agent_lru_cand *c)
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
static void lru_offer(struct agent_lru *l, const __u8 *key, size_t ksz,
		      const struct bpfroute_host *h)
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
	memset(&c[i], 0, sizeof(c[i]));
	memcpy(c[i].key, key, ksz);
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
	__u64 a = cand_age(x), b = cand_age(y);

	return a < b ? -1 : a > b;
}

/* Read the whole map for the oldest expired entries. */
static int lru_scan(struct agent *a, int family, __u64 now)
{
	struct agent_lru *l = &a->lru[agent_fam(family)];
	size_t ksz = hosts_key_size(family);
	struct hosts_cursor cur = {};
	__u64 min_live = UINT64_MAX;
	int err;

	l->n = 0;
	l->pos = 0;
	while (!cur.done) {
		__u32 n = AGENT_BATCH;

		err = hosts_batch(hosts_fd(a->maps, family), &cur, a->batch_keys, a->batch_vals, &n);
		if (err)
			return err;
		for (__u32 i = 0; i < n; i++) {
			const struct bpfroute_host *h = &a->batch_vals[i];

			if (hosts_expired(h, now))
				lru_offer(l, a->batch_keys + i * ksz, ksz, h);
			else if (h->expires_ns < min_live)
				min_live = h->expires_ns;
		}
	}
	qsort(l->c, l->n, sizeof(*l->c), cand_cmp);
	/*
	 * With every expired entry in hand, nothing new can be found before
	 * the next expiry - or before an entry learned since the scan expires,
	 * which AGENT_LRU_RESCAN_NS bounds.
	 */
	l->rescan_at = 0;
	if (l->n < AGENT_LRU_MAX)
		l->rescan_at = min_live < now + AGENT_LRU_RESCAN_NS ? min_live :
			       now + AGENT_LRU_RESCAN_NS;
	return 0;
}

int agent_evict(struct agent *a, int family, __u64 now)
{
	struct agent_lru *l = &a->lru[agent_fam(family)];
	int fd = hosts_fd(a->maps, family), scans = 0, err;

	for (;;) {
		const struct agent_lru_cand *c;

		if (l->pos >= l->n) {
			if (scans++ || now < l->rescan_at)
				return -ENOSPC;
			err = lru_scan(a, family, now);
			if (err)
				return err;
			continue;
		}
		c = &l->c[l->pos++];
		err = hosts_reap(fd, c->key, &c->seen, now, false);
		if (!err) {
			a->st.evicted++;
			return 0;
		}
		/* Used or renewed since the scan: only a new scan knows its place. */
		if (err == -EAGAIN)
			l->rescan_at = 0;
		else if (err != -ENOENT)
			return err;
	}
}

int agent_install(struct agent *a, const struct hosts_origin *o, int family,
		  const __u8 *addr, __u32 ttl, __u64 now)
{
	int r = -E2BIG;

	if (hosts_is_server(o, family, addr) || hosts_refused(a->maps, family, addr)) {
		a->st.refused++;
		return -EPERM;
	}
	/* A few rounds: the kernel may take the room made before we do. */
	for (int tries = 0; tries < 4 && r == -E2BIG; tries++) {
		r = hosts_put(a->maps, &a->conf, o, family, addr, ttl, now);
		if (r == -E2BIG && agent_evict(a, family, now))
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

/* The dead among n entries just read: delete each unless renewed meanwhile. */
static void sweep_batch(struct agent *a, int family, __u32 n, __u64 now)
{
	struct agent_sweep *s = &a->sweep[agent_fam(family)];
	size_t ksz = hosts_key_size(family);
	int fd = hosts_fd(a->maps, family);

	for (__u32 i = 0; i < n; i++) {
		if (!hosts_dead(&a->batch_vals[i], now))
			continue;
		if (hosts_reap(fd, a->batch_keys + i * ksz, &a->batch_vals[i], now, true))
			continue;
		a->st.expired++;
		s->reaped++;
	}
}

int agent_sweep(struct agent *a, int family, __u64 now, __u32 budget)
{
	struct agent_sweep *s = &a->sweep[agent_fam(family)];
	__u32 looked = 0;
	int err;

	while (looked < budget) {
		__u32 n = AGENT_BATCH;	/* whole batches: a partial bucket is -ENOSPC */

		err = hosts_batch(hosts_fd(a->maps, family), &s->cur, a->batch_keys,
				  a->batch_vals, &n);
		if (err) {
			pr_debug("sweeping bpfroute_host%d: %s\n", family, strerror(-err));
			memset(s, 0, sizeof(*s));
			return err;
		}
		looked += n;
		s->seen += n;
		sweep_batch(a, family, n, now);
		if (s->cur.done) {
			s->last_count = s->seen - s->reaped;
			s->counted = true;
			s->cur = (struct hosts_cursor){};
			s->seen = 0;
			s->reaped = 0;
			break;
		}
	}
	return (int)looked;
}

/*
 * A full map makes the kernel refuse new addresses, and the agent installs
 * them only after the client has been answered: keep 1/128 of each map free
 * by evicting expired entries (never a live one) once a pass has counted.
 */
void agent_keep_room(struct agent *a, int family, __u64 now)
{
	struct agent_sweep *s = &a->sweep[agent_fam(family)];
	__u32 max = a->max_entries[agent_fam(family)];
	__u64 room = max / 128 ? max / 128 : 1, want, done = 0;

	if (!s->counted || !max || s->last_count + room <= max)
		return;
	want = s->last_count + room - max;
	if (want > 256)
		want = 256;	/* a tick's worth; the next tick does more */
	while (done < want && !agent_evict(a, family, now))
		done++;
	s->last_count -= done;
	if (done)
		pr_debug("bpfroute_host%d nearly full: evicted %llu expired entries\n", family,
			 (unsigned long long)done);
}
