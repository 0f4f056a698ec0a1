// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `export table N`: every entry learned on this gateway, as a blackhole host
 * route of protocol RTABLE_PROTO in kernel table N, for a routing daemon to
 * announce to the other gateways (etc/fleet/). The route goes when the entry
 * does: deleted, or dead (expired and idle, as the classifier sees it).
 * Entries imported from another gateway (BPFROUTE_RULE_IMPORTED) are not
 * exported again: an announcement must not come back to keep itself alive.
 *
 * The learned tables are the record; the agent keeps only what it wrote
 * (struct addrset), read back from table N at start, so a restart neither
 * writes everything again nor leaves a route behind. A walk of the tables
 * marks what should be there: new entries are written, unmarked routes
 * removed. The kernel learns without telling the agent the addresses, so a
 * walk starts when the tables' fill counters moved (an add or a delete),
 * and every AGENT_EXPORT_FULL_NS anyway (an entry dies without a write).
 * Walks and writes go in bounded steps per round of the agent's loop
 * (AGENT_EXPORT_SLOTS, AGENT_EXPORT_OPS), so learning never waits for more
 * than one of them.
 *
 * Writing routes needs CAP_NET_ADMIN, which the sandboxed agent has not:
 * its helper writes them (rtable_export_writer), a batch at a time, and the
 * agent collects the result in a later round: it never waits while the
 * kernel's routing lock is held by others (a daemon writing table M).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "addrset.h"
#include "agent.h"
#include "log.h"
#include "rtable.h"

/* Slots looked at per round of the loop: 1 MiB of a table, a millisecond or two. */
#define AGENT_EXPORT_SLOTS	16384
/* Routes written per round: one batch, a few milliseconds of the kernel's. */
#define AGENT_EXPORT_OPS	RTABLE_BATCH
/* No walk starts sooner than this after the last began: a learning storm is one walk. */
#define AGENT_EXPORT_GAP_NS	(100 * 1000 * 1000ULL)
/* A walk at least this often, for entries that died without a write. */
#define AGENT_EXPORT_FULL_NS	(5 * HOSTS_NSEC_PER_SEC)

struct agent_export {
	__u32 table;			/* 0: off */
	int dump_fd;			/* rtnetlink, for reading the table back */
	struct rtable_op *pfx;		/* the configured prefixes, with export prefixes yes */
	size_t n_pfx;
	struct addrset set;		/* what the table holds of ours, or will */
	__u32 gen;			/* the walk's mark */
	bool walking;
	struct agent_walk walk;
	__u64 sig;			/* the fill counters at the walk's start */
	__u64 walk_start, walk_at;	/* when the last began; when one is due at the latest */
	struct rtable_op *queue;	/* routes to write, in order */
	size_t nq, qpos, qcap;
	size_t inflight;		/* of them, sent at qpos, the result to come */
	__u64 retry_at;			/* after a batch failed whole: not before */
};

/* What moves when an entry is added or deleted, by the kernel or the agent. */
static __u64 fill_signature(struct agent *a)
{
	__u64 sig = 0;

	for (int f = 0; f < 2; f++) {
		const struct hosttable *ht = &a->ht[f];

		if (ht->ctl)
			sig = sig * 1000003 + TABLE_READ(ht->ctl->live) * 31 +
			      TABLE_READ(ht->ctl->dead);
		sig = sig * 1000003 + ht->role[BPFROUTE_HOSTS_TABLE].id;
	}
	return sig;
}

static size_t live_entries(struct agent *a)
{
	size_t n = 0;

	for (int f = 0; f < 2; f++)
		if (a->ht[f].ctl)
			n += TABLE_READ(a->ht[f].ctl->live);
	return n;
}

static int queue_add(struct agent_export *x, bool del, int family, __u8 len, const __u8 *addr)
{
	struct rtable_op *op;

	if (x->nq == x->qcap) {
		size_t cap = x->qcap ? x->qcap * 2 : 1024;
		struct rtable_op *q;

		/* Done ones first out: the queue only grows by what is pending. */
		if (x->qpos) {
			memmove(x->queue, x->queue + x->qpos, (x->nq - x->qpos) * sizeof(*op));
			x->nq -= x->qpos;
			x->qpos = 0;
		}
		if (x->nq == x->qcap) {
			q = realloc(x->queue, cap * sizeof(*q));
			if (!q)
				return -ENOMEM;
			x->queue = q;
			x->qcap = cap;
		}
	}
	op = &x->queue[x->nq++];
	memset(op, 0, sizeof(*op));
	op->del = del;
	op->family = (__u8)family;
	op->len = len;
	memcpy(op->addr, addr, family == 4 ? 4 : 16);
	return 0;
}

/* Mark the prefix as wanted in this walk; a new one is queued for writing. */
static void want(struct agent_export *x, int family, __u8 len, const __u8 *addr)
{
	bool added;
	struct addrset_entry *e = addrset_get(&x->set, family, len, addr, &added);

	if (!e)
		return;		/* no memory: the next walk tries again */
	if (added && queue_add(x, false, family, len, addr)) {
		addrset_del(&x->set, e);
		return;
	}
	e->mark = x->gen;
}

/* After a whole walk: what was not marked goes. */
static void walk_done(struct agent_export *x)
{
	for (size_t i = 0; i < x->n_pfx; i++)
		want(x, x->pfx[i].family, x->pfx[i].len, x->pfx[i].addr);
	for (size_t i = 0; i < x->set.cap;) {
		struct addrset_entry *e = &x->set.e[i];

		if (!e->family || e->mark == x->gen ||
		    queue_add(x, true, e->family, e->len, e->addr)) {
			i++;
			continue;
		}
		/* The next entry may shift into this slot: look at it again. */
		addrset_del(&x->set, e);
	}
	x->walking = false;
}

/* A live entry learned here: wanted in the table. */
static void walk_one(struct agent *a, int family, const struct bpfroute_host *h, void *ctx)
{
	const __u32 *now = ctx;

	if (h->rule != BPFROUTE_RULE_IMPORTED && !hosts_dead(h, *now, a->conf.idle_timeout))
		want(a->exp, family, family == 4 ? 32 : 128, h->addr);
}

/* One step of the walk: up to AGENT_EXPORT_SLOTS slots. */
static void walk_step(struct agent *a, __u64 now_ns)
{
	__u32 now = hosts_seconds(now_ns);

	if (agent_walk_step(a, &a->exp->walk, AGENT_EXPORT_SLOTS, walk_one, &now))
		walk_done(a->exp);
}

/* Count what the batch at qpos did: ret failed of it, or it failed whole (-errno). */
static void batch_done(struct agent *a, int ret, __u64 now)
{
	struct agent_export *x = a->exp;
	size_t n = x->inflight;

	x->inflight = 0;
	if (ret < 0) {
		/* Nothing was written: the routes stay queued, tried again in a second. */
		a->st.export_failed += n;
		x->retry_at = now + HOSTS_NSEC_PER_SEC;
		pr_debug("export: writing %zu routes: %s\n", n, strerror(-ret));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (x->queue[x->qpos + i].del)
			a->st.export_removed++;
		else
			a->st.export_written++;
	}
	a->st.export_failed += (__u64)ret;
	x->qpos += n;
	if (x->qpos == x->nq)
		x->qpos = x->nq = 0;
}

/* Collect the batch under way, if done; send the next. Never waits for the kernel. */
static void flush(struct agent *a, __u64 now)
{
	const struct rtable_writer *w = rtable_export_writer;
	struct agent_export *x = a->exp;
	size_t n;
	int ret;

	if (x->inflight) {
		ret = w->result();
		if (ret == -EAGAIN)
			return;
		batch_done(a, ret, now);
	}
	n = x->nq - x->qpos;
	if (!n || now < x->retry_at)
		return;
	if (n > AGENT_EXPORT_OPS)
		n = AGENT_EXPORT_OPS;
	ret = w->send(x->table, x->queue + x->qpos, n);
	if (ret)
		pr_debug("export: sending %zu routes: %s\n", n, strerror(-ret));
	else
		x->inflight = n;
}

/* The result of the batch under way, waiting up to a few seconds for it. */
static int result_wait(void)
{
	const struct rtable_writer *w = rtable_export_writer;
	int ret = w->result();

	for (int i = 0; i < 50 && ret == -EAGAIN; i++) {
		struct pollfd p = { .fd = w->fd(), .events = POLLIN };

		poll(&p, p.fd >= 0 ? 1 : 0, 100);
		ret = w->result();
	}
	return ret;
}

void agent_export_round(struct agent *a, __u64 now)
{
	struct agent_export *x = a->exp;

	if (!x || !x->table)
		return;
	if (!x->walking) {
		__u64 sig = fill_signature(a);

		if ((sig != x->sig && now - x->walk_start >= AGENT_EXPORT_GAP_NS) ||
		    now >= x->walk_at) {
			x->walking = true;
			agent_walk_start(&x->walk);
			x->gen++;
			/*
			 * An empty set (a start) is sized at once, not by doublings
			 * that each rehash it all within a step; imported entries
			 * are counted too, room to spare.
			 */
			if (!x->set.n)
				addrset_reserve(&x->set, live_entries(a) + x->n_pfx);
			x->sig = sig;
			x->walk_start = now;
			x->walk_at = now + AGENT_EXPORT_FULL_NS;
		}
	}
	if (x->walking)
		walk_step(a, now);
	flush(a, now);
}

int agent_export_timeout_ms(const struct agent *a, __u64 now)
{
	const struct agent_export *x = a->exp;
	__u64 due;

	if (!x || !x->table)
		return -1;
	if (x->walking || (!x->inflight && x->qpos < x->nq && now >= x->retry_at))
		return 0;
	if (x->inflight && rtable_export_writer->fd() < 0)
		return 0;	/* the result is there at once */
	if (x->inflight)
		return -1;	/* polled (agent_export_pollfd()) */
	/* A learn moves the counters without waking the agent: look every gap. */
	due = x->walk_start + AGENT_EXPORT_GAP_NS;
	return due > now ? (int)((due - now + 999999) / 1000000) : 0;
}

size_t agent_export_routes(const struct agent *a)
{
	return a->exp ? a->exp->set.n : 0;
}

bool agent_export_busy(const struct agent *a)
{
	return a->exp && (a->exp->walking || a->exp->qpos < a->exp->nq);
}

int agent_export_pollfd(const struct agent *a, struct pollfd *fd)
{
	const struct agent_export *x = a->exp;

	if (!x || !x->inflight || rtable_export_writer->fd() < 0)
		return 0;
	*fd = (struct pollfd){ .fd = rtable_export_writer->fd(), .events = POLLIN };
	return 1;
}

/* A route of ours found in the table at setup: known, so not written again. */
static int known_one(const struct rtable_route *r, void *ctx)
{
	struct agent_export *x = ctx;
	bool added;

	if (!addrset_get(&x->set, r->family, r->len, r->addr, &added))
		return -ENOMEM;
	return 0;
}

/* Remove every route of ours from the table, at once (export off or moved). */
static void export_clear(struct agent *a)
{
	struct agent_export *x = a->exp;

	if (x->inflight)
		result_wait();
	x->inflight = 0;
	x->nq = x->qpos = 0;
	for (size_t i = 0; i < x->set.cap; i++)
		if (x->set.e[i].family)
			queue_add(x, true, x->set.e[i].family, x->set.e[i].len,
				  x->set.e[i].addr);
	while (x->qpos < x->nq) {
		size_t n = x->nq - x->qpos > RTABLE_BATCH ? RTABLE_BATCH : x->nq - x->qpos;

		if (rtable_export_writer->send(x->table, x->queue + x->qpos, n) ||
		    result_wait() < 0)
			break;
		x->qpos += n;
	}
	x->nq = x->qpos = 0;
	addrset_free(&x->set);
}

/* The configured prefixes to announce too. */
static int prefixes_set(struct agent_export *x, const struct config *cfg)
{
	size_t n = 0;

	free(x->pfx);
	x->pfx = NULL;
	x->n_pfx = 0;
	if (!cfg->fleet.export_prefixes)
		return 0;
	for (size_t i = 0; i < cfg->n_routes; i++)
		n += cfg->routes[i].kind == CONFIG_ROUTE_PREFIX && !cfg->routes[i].bypass;
	x->pfx = calloc(n ? n : 1, sizeof(*x->pfx));
	if (!x->pfx)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct config_route *r = &cfg->routes[i];
		struct rtable_op *op;

		if (r->kind != CONFIG_ROUTE_PREFIX || r->bypass)
			continue;
		op = &x->pfx[x->n_pfx++];
		op->family = r->prefix.family == AF_INET ? 4 : 6;
		op->len = (__u8)r->prefix.len;
		memcpy(op->addr, r->prefix.addr, op->family == 4 ? 4 : 16);
	}
	return 0;
}

int agent_export_setup(struct agent *a, const struct config *cfg, int dump_fd, __u64 now)
{
	const struct config_fleet *f = &cfg->fleet;
	struct agent_export *x = a->exp;
	int err;

	if (x && x->table && x->table != (f->export_line ? f->export_table : 0)) {
		pr_info("export: removing %zu routes from table %u\n", x->set.n, x->table);
		export_clear(a);
		x->table = 0;
	}
	if (!f->export_line) {
		agent_export_free(a);
		return 0;
	}
	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x)
			return -ENOMEM;
		a->exp = x;
		x->dump_fd = -1;
	}
	if (dump_fd >= 0)
		x->dump_fd = dump_fd;
	err = prefixes_set(x, cfg);
	if (err)
		return err;
	if (x->table != f->export_table) {
		/* What an earlier run wrote is ours: read it back, then walk. */
		x->table = f->export_table;
		for (int family = 4; family <= 6 && x->dump_fd >= 0; family += 2) {
			err = rtable_dump(x->dump_fd, family, x->table,
					  RTABLE_PROTO, known_one, x);
			if (err)
				pr_warn("export: reading table %u back: %s (routes of an earlier "
					"run may stay)\n", x->table, strerror(-err));
		}
		pr_info("export: learned entries to table %u (%zu routes of ours there)%s\n",
			x->table, x->set.n, f->export_prefixes ? ", configured prefixes too" : "");
	}
	/* A walk now: the rules or prefixes may have changed with the reload. */
	x->walk_at = now;
	x->walking = false;
	return 0;
}

void agent_export_stop(struct agent *a)
{
	if (a->exp && a->exp->table)
		export_clear(a);
	agent_export_free(a);
}

void agent_export_free(struct agent *a)
{
	struct agent_export *x = a->exp;

	if (!x)
		return;
	addrset_free(&x->set);
	free(x->pfx);
	free(x->queue);
	free(x);
	a->exp = NULL;
}
