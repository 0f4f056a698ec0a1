// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "hosttable.h"
#include "log.h"

static size_t page_round(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + page - 1) / page * page;
}

/* Map an inner map whose fd is held in tm (n known). */
static int table_map_mmap(struct table_map *tm)
{
	tm->len = page_round((size_t)tm->n * sizeof(struct bpfroute_host));
	tm->mem = mmap(NULL, tm->len, PROT_READ | PROT_WRITE, MAP_SHARED, tm->fd, 0);
	if (tm->mem == MAP_FAILED) {
		tm->mem = NULL;
		return -errno;
	}
	return 0;
}

void table_map_close(struct table_map *tm)
{
	if (tm->mem)
		munmap(tm->mem, tm->len);
	if (tm->fd >= 0)
		close(tm->fd);
	*tm = (struct table_map){ .fd = -1 };
}

int (*hosttable_fd_by_id)(enum hosttable_obj kind, __u32 id);

static int fd_by_id(enum hosttable_obj kind, __u32 id)
{
	int fd;

	if (hosttable_fd_by_id)
		return hosttable_fd_by_id(kind, id);
	fd = kind == HOSTTABLE_BTF ? bpf_btf_get_fd_by_id(id) : bpf_map_get_fd_by_id(id);
	return fd < 0 ? -errno : fd;
}

/* The map behind id, mapped. */
static int table_map_by_id(__u32 id, struct table_map *tm)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int err;

	*tm = (struct table_map){ .fd = -1 };
	tm->fd = fd_by_id(HOSTTABLE_MAP, id);
	if (tm->fd < 0)
		return tm->fd;
	if (bpf_obj_get_info_by_fd(tm->fd, &info, &len)) {
		err = -errno;
		goto fail;
	}
	tm->id = id;
	tm->n = info.max_entries;
	err = table_map_mmap(tm);
	if (!err)
		return 0;
fail:
	table_map_close(tm);
	return err;
}

/* A mapping of our own of a map held in src (no lookup by id). */
static int table_map_dup(const struct table_map *src, struct table_map *tm)
{
	int err;

	*tm = (struct table_map){ .fd = -1 };
	tm->fd = fcntl(src->fd, F_DUPFD_CLOEXEC, 0);
	if (tm->fd < 0)
		return -errno;
	tm->id = src->id;
	tm->n = src->n;
	err = table_map_mmap(tm);
	if (err)
		table_map_close(tm);
	return err;
}

/* The BTF object behind fd, read from the kernel. */
static struct btf *btf_from_fd(int fd)
{
	struct bpf_btf_info info = {};
	__u32 len = sizeof(info);
	struct btf *btf = NULL;
	void *data;

	if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.btf_size)
		return NULL;
	data = malloc(info.btf_size);
	if (!data)
		return NULL;
	len = sizeof(info);
	info = (struct bpf_btf_info){ .btf = (__u64)(unsigned long)data,
				      .btf_size = info.btf_size };
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		btf = btf__new(data, info.btf_size);	/* NULL on error (libbpf 1.0) */
	}
	free(data);
	return btf;
}

/*
 * The BTF of the instance's programs, for tables that bpftool prints slot by
 * slot: the type ids of __u32 (bpfroute_conf's key) and struct
 * bpfroute_host. Without BTF a table still works; bpftool prints bytes.
 */
static int slot_btf(const struct bpfroute_maps *m, int *btf_fd, __u32 *key_id, __u32 *val_id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct btf *btf;
	int id;

	if (bpf_obj_get_info_by_fd(m->conf, &info, &len) || !info.btf_id)
		return -ENOENT;
	*btf_fd = fd_by_id(HOSTTABLE_BTF, info.btf_id);
	if (*btf_fd < 0)
		return *btf_fd;
	btf = btf_from_fd(*btf_fd);
	id = btf ? btf__find_by_name_kind(btf, "bpfroute_host", BTF_KIND_STRUCT) : -ENOENT;
	btf__free(btf);
	if (id <= 0) {
		close(*btf_fd);
		*btf_fd = -1;
		return -ENOENT;
	}
	*key_id = info.btf_key_type_id;
	*val_id = (__u32)id;
	return 0;
}

int table_map_create(const struct bpfroute_maps *m, int family, bool filter, __u32 slots,
		     struct table_map *tm)
{
	static const char *const names[2][2] = {
		{ BPFROUTE_STR(BPFROUTE_INNER_TABLE4), BPFROUTE_STR(BPFROUTE_INNER_FILTER4) },
		{ BPFROUTE_STR(BPFROUTE_INNER_TABLE6), BPFROUTE_STR(BPFROUTE_INNER_FILTER6) },
	};
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	__u32 n = filter ? bpfroute_filter_blocks(slots) : slots;
	int btf_fd = -1, err;

	*tm = (struct table_map){ .fd = -1 };
	if (!filter && !slot_btf(m, &btf_fd, &opts.btf_key_type_id, &opts.btf_value_type_id))
		opts.btf_fd = (__u32)btf_fd;
	tm->fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, names[family == 4 ? 0 : 1][filter], sizeof(__u32),
				sizeof(struct bpfroute_host), n, &opts);
	err = tm->fd < 0 ? -errno : 0;
	if (btf_fd >= 0)
		close(btf_fd);
	if (err)
		goto fail;
	tm->id = map_id(tm->fd);
	tm->n = n;
	err = table_map_mmap(tm);
	if (!err)
		return 0;
fail:
	table_map_close(tm);
	return err;
}

static int outer_fd(const struct bpfroute_maps *m, int family)
{
	return family == 4 ? m->host4 : m->host6;
}

int hosttable_open(const struct bpfroute_maps *m, int family, struct hosttable *ht)
{
	__u32 fam = family == 4 ? 0 : 1;
	int err;

	memset(ht, 0, sizeof(*ht));
	ht->family = family;
	ht->outer = outer_fd(m, family);
	for (int r = 0; r < BPFROUTE_HOSTS_ROLES; r++)
		ht->role[r] = (struct table_map){ .fd = -1 };
	for (__u32 r = 0; r < BPFROUTE_HOSTS_ROLES; r++) {
		__u32 id;

		if (bpf_map_lookup_elem(ht->outer, &r, &id)) {
			if (errno == ENOENT)
				continue;	/* an empty role */
			err = -errno;
			goto fail;
		}
		err = table_map_by_id(id, &ht->role[r]);
		if (err)
			goto fail;
	}
	ht->ctl_len = page_round(2 * sizeof(struct bpfroute_hostctl));
	ht->ctl_mem = mmap(NULL, ht->ctl_len, PROT_READ | PROT_WRITE, MAP_SHARED, m->hostctl, 0);
	if (ht->ctl_mem == MAP_FAILED) {
		ht->ctl_mem = NULL;
		err = -errno;
		goto fail;
	}
	ht->ctl = (struct bpfroute_hostctl *)ht->ctl_mem + fam;
	return 0;
fail:
	hosttable_close(ht);
	return err;
}

void hosttable_close(struct hosttable *ht)
{
	for (int r = 0; r < BPFROUTE_HOSTS_ROLES; r++)
		table_map_close(&ht->role[r]);
	if (ht->ctl_mem)
		munmap(ht->ctl_mem, ht->ctl_len);
	ht->ctl_mem = NULL;
	ht->ctl = NULL;
}

/*
 * Put map fd (-1: nothing) in a role of the outer map. Either way the
 * kernel waits for every BPF program that may still hold the role's old
 * map to finish (synchronize_rcu() in map_update_elem()/map_delete_elem()
 * of an array of maps): once this returns, nothing uses the old map.
 */
static int outer_put(int outer, __u32 role, int fd)
{
	if (fd >= 0 ? bpf_map_update_elem(outer, &role, &fd, BPF_ANY) :
		      bpf_map_delete_elem(outer, &role) && errno != ENOENT)
		return -errno;
	return 0;
}

int hosttable_set_role(struct hosttable *ht, int role, const struct table_map *tm)
{
	struct table_map *cur = &ht->role[role];
	int err;

	err = outer_put(ht->outer, (__u32)role, tm ? tm->fd : -1);
	if (err)
		return err;
	table_map_close(cur);
	if (!tm)
		return 0;
	/* A mapping of our own: the caller keeps its table_map. */
	return table_map_dup(tm, cur);
}

/* Give a filter the addresses of a table (a filter lost in a crash). */
static void filter_fill(const struct table_map *flt, const struct table_map *tbl,
			const struct bpfroute_conf *conf)
{
	for (__u32 i = 0; i < tbl->n; i++) {
		struct bpfroute_host *s = TABLE_SLOT(tbl, i);
		__u64 w[2];

		if (BPFROUTE_SLOT_KIND(TABLE_READ(s->state)) != BPFROUTE_SLOT_LIVE)
			continue;
		bpfroute_table_key(s->addr, w);
		bpfroute_filter_add(flt, bpfroute_table_hash(conf, w));
	}
}

int hosttable_each_live(const struct bpfroute_maps *m, int family,
			void (*fn)(struct hosttable *ht, struct bpfroute_host *s, __u32 st,
				   void *ctx),
			void *ctx)
{
	const struct table_map *t;
	struct hosttable ht;
	int err;

	err = hosttable_open(m, family, &ht);
	if (err)
		return err;
	t = hosttable_role(&ht, BPFROUTE_HOSTS_TABLE);
	for (__u32 i = 0; t && i < t->n; i++) {
		struct bpfroute_host *s = TABLE_SLOT(t, i);
		__u32 st = TABLE_READ(s->state);

		if (BPFROUTE_SLOT_KIND(st) == BPFROUTE_SLOT_LIVE)
			fn(&ht, s, st, ctx);
	}
	hosttable_close(&ht);
	return 0;
}

static int setup_family(const struct bpfroute_maps *m, const struct bpfroute_conf *conf,
			int family, __u32 slots)
{
	struct table_map tbl = { .fd = -1 }, flt = { .fd = -1 };
	struct hosttable ht;
	int err;

	err = hosttable_open(m, family, &ht);
	if (err)
		return err;
	/* A rebuild holds the lock from start to end: these are a crash's. */
	for (int r = BPFROUTE_HOSTS_NEXT_TABLE; !err && r <= BPFROUTE_HOSTS_NEXT_FILTER; r++)
		if (ht.role[r].fd >= 0)
			err = hosttable_set_role(&ht, r, NULL);
	if (err)
		goto out;
	if (!hosttable_role(&ht, BPFROUTE_HOSTS_FILTER)) {
		const struct table_map *cur = hosttable_role(&ht, BPFROUTE_HOSTS_TABLE);

		err = table_map_create(m, family, true, cur ? cur->n : slots, &flt);
		if (err)
			goto out;
		if (cur)
			filter_fill(&flt, cur, conf);
		err = hosttable_set_role(&ht, BPFROUTE_HOSTS_FILTER, &flt);
		if (err)
			goto out;
	}
	if (!hosttable_role(&ht, BPFROUTE_HOSTS_TABLE)) {
		/* The filter goes in first: no moment with a table but no filter. */
		err = table_map_create(m, family, false, slots, &tbl);
		if (!err)
			err = hosttable_set_role(&ht, BPFROUTE_HOSTS_TABLE, &tbl);
	}
out:
	table_map_close(&tbl);
	table_map_close(&flt);
	hosttable_close(&ht);
	return err;
}

int hosttable_setup(const struct bpfroute_maps *m, __u32 slots)
{
	struct bpfroute_conf conf;
	__u32 zero = 0;
	int err;

	if (bpf_map_lookup_elem(m->conf, &zero, &conf))
		return -errno;
	err = setup_family(m, &conf, 4, slots);
	if (!err)
		err = setup_family(m, &conf, 6, slots);
	return err;
}

struct bpfroute_host *hosttable_find(const struct hosttable *ht, const struct bpfroute_conf *conf,
				     const __u8 *addr)
{
	const struct table_map *tbl = hosttable_role(ht, BPFROUTE_HOSTS_TABLE);
	__u64 w[2];

	if (!tbl)
		return NULL;
	bpfroute_table_key(addr, w);
	return bpfroute_table_find(tbl, bpfroute_table_hash(conf, w), w);
}

struct bpfroute_host *hosttable_lookup(const struct hosttable *ht,
				       const struct bpfroute_conf *conf, const __u8 *addr)
{
	const struct table_map *tbl = hosttable_role(ht, BPFROUTE_HOSTS_TABLE);
	const struct table_map *flt = hosttable_role(ht, BPFROUTE_HOSTS_FILTER);
	__u64 w[2], h;

	if (!tbl || !flt)
		return NULL;
	bpfroute_table_key(addr, w);
	h = bpfroute_table_hash(conf, w);
	if (!bpfroute_filter_test(flt, h))
		return NULL;
	return bpfroute_table_find(tbl, h, w);
}

/* The role's map, unless it is the same map as `same` holds. */
static const struct table_map *role_unless(const struct hosttable *ht, int role, int same)
{
	const struct table_map *t = hosttable_role(ht, role), *o = hosttable_role(ht, same);

	return t && o && t->id == o->id ? NULL : t;
}

int hosttable_learn(struct hosttable *ht, const struct bpfroute_conf *conf,
		    const struct bpfroute_host *fresh)
{
	const struct table_map *tbl = hosttable_role(ht, BPFROUTE_HOSTS_TABLE);
	const struct table_map *flt = hosttable_role(ht, BPFROUTE_HOSTS_FILTER);

	if (!tbl || !flt)
		return BPFROUTE_TABLE_CROWDED;
	return bpfroute_table_learn(tbl, flt,
				    role_unless(ht, BPFROUTE_HOSTS_NEXT_TABLE, BPFROUTE_HOSTS_TABLE),
				    role_unless(ht, BPFROUTE_HOSTS_NEXT_FILTER, BPFROUTE_HOSTS_FILTER),
				    ht->ctl, conf, fresh);
}

int hosttable_purge(struct hosttable *ht, const struct bpfroute_conf *conf, const __u8 *addr)
{
	struct bpfroute_host *s;
	int n = 0;

	/* Twice at most: a table may hold an address twice (bpfroute_table.h). */
	while (n < 2 && (s = hosttable_find(ht, conf, addr))) {
		if (hosttable_kill(ht, s, s->state))
			n++;
	}
	return n;
}

bool hosttable_kill(struct hosttable *ht, struct bpfroute_host *s, __u32 st)
{
	if (!bpfroute_table_kill(s, st))
		return false;
	__sync_fetch_and_add(&ht->ctl->live, -1);
	__sync_fetch_and_add(&ht->ctl->dead, 1);
	return true;
}

static __u32 pow2_at_least(__u64 v)
{
	__u64 p = 1;

	while (p < v)
		p <<= 1;
	return p > BPFROUTE_TABLE_MAX_SLOTS ? BPFROUTE_TABLE_MAX_SLOTS : (__u32)p;
}

__u32 hosttable_slots_for(__u32 live, __u32 max_routes)
{
	__u32 want = pow2_at_least(2 * (__u64)live), most = pow2_at_least(2 * (__u64)max_routes);

	if (most < BPFROUTE_TABLE_MIN_SLOTS)
		most = BPFROUTE_TABLE_MIN_SLOTS;
	if (want < BPFROUTE_TABLE_MIN_SLOTS)
		want = BPFROUTE_TABLE_MIN_SLOTS;
	return want < most ? want : most;
}

__u32 hosttable_rebuild_want(const struct hosttable *ht, __u32 max_routes)
{
	const struct table_map *t = hosttable_role(ht, BPFROUTE_HOSTS_TABLE);
	__u32 live, dead, want;

	if (!t || !ht->ctl)
		return 0;
	live = TABLE_READ(ht->ctl->live);
	dead = TABLE_READ(ht->ctl->dead);
	want = hosttable_slots_for(live, max_routes);
	if (live > t->n / 2 && want > t->n)
		return want;
	if ((__u64)live + dead > (__u64)t->n * 6 / 10)
		return want;
	/* A probe window is filling with DEAD slots: rebuild, at least as big. */
	if (TABLE_READ(ht->ctl->far) && dead)
		return want > t->n ? want : t->n;
	if (live < t->n / 8 && want < t->n)
		return want;
	return 0;
}

/* Copy every LIVE entry of tbl into ntbl and nflt, counters at 0. */
static int rebuild_copy(const struct table_map *tbl, const struct table_map *ntbl,
			const struct table_map *nflt, const struct bpfroute_conf *conf)
{
	for (__u32 i = 0; i < tbl->n; i++) {
		struct bpfroute_host *s = TABLE_SLOT(tbl, i), copy;
		__u64 w[2], h;

		if (BPFROUTE_SLOT_KIND(TABLE_READ(s->state)) != BPFROUTE_SLOT_LIVE)
			continue;
		/*
		 * Read while the datapath writes: a renewal racing this read
		 * writes the next table too, after or before the copy, and
		 * wins either way (the copy never replaces an entry).
		 */
		copy = *s;
		copy.packets = copy.bytes = 0;
		bpfroute_table_key(copy.addr, w);
		h = bpfroute_table_hash(conf, w);
		bpfroute_filter_add(nflt, h);
		if (bpfroute_table_put(ntbl, h, &copy, BPFROUTE_TABLE_COPY, NULL, 0) ==
		    BPFROUTE_TABLE_CROWDED)
			return -ENOSPC;
	}
	return 0;
}

/*
 * After the swap: what the old table counted since the copy (all of its
 * counters: the copy took none) goes to the new, and the later last use.
 */
static void rebuild_reconcile(const struct table_map *old, const struct table_map *ntbl,
			      const struct bpfroute_conf *conf)
{
	for (__u32 i = 0; i < old->n; i++) {
		struct bpfroute_host *s = TABLE_SLOT(old, i), *d;
		__u64 w[2];
		__u32 lu;

		if (BPFROUTE_SLOT_KIND(s->state) != BPFROUTE_SLOT_LIVE)
			continue;
		bpfroute_table_key(s->addr, w);
		d = bpfroute_table_find(ntbl, bpfroute_table_hash(conf, w), w);
		if (!d)
			continue;
		if (s->packets)
			__sync_fetch_and_add(&d->packets, s->packets);
		if (s->bytes)
			__sync_fetch_and_add(&d->bytes, s->bytes);
		lu = TABLE_READ(d->last_used);
		while (s->last_used > lu) {
			__u32 cur = __sync_val_compare_and_swap(&d->last_used, lu, s->last_used);

			if (cur == lu)
				break;
			lu = cur;
		}
	}
}

int hosttable_rebuild(struct hosttable *ht, const struct bpfroute_maps *m,
		      const struct bpfroute_conf *conf, __u32 slots)
{
	struct table_map ntbl = { .fd = -1 }, nflt = { .fd = -1 }, old = { .fd = -1 };
	int err;

	if (!hosttable_role(ht, BPFROUTE_HOSTS_TABLE) || !hosttable_role(ht, BPFROUTE_HOSTS_FILTER))
		return -ENOENT;
	err = table_map_create(m, ht->family, false, slots, &ntbl);
	if (!err)
		err = table_map_create(m, ht->family, true, slots, &nflt);
	if (err)
		goto fail;

	/*
	 * 1. The learner writes the new table too from here on: every program
	 * that started before has finished when the update returns, and its
	 * address is in the old table, which the copy reads next.
	 */
	__sync_lock_test_and_set(&ht->ctl->next_failed, 0);
	err = hosttable_set_role(ht, BPFROUTE_HOSTS_NEXT_FILTER, &nflt);
	if (!err)
		err = hosttable_set_role(ht, BPFROUTE_HOSTS_NEXT_TABLE, &ntbl);
	/* 2. Everything the old table holds. */
	if (!err)
		err = rebuild_copy(&ht->role[BPFROUTE_HOSTS_TABLE], &ntbl, &nflt, conf);
	if (!err && TABLE_READ(ht->ctl->next_failed))
		err = -ENOSPC;
	if (err)
		goto unregister;

	/*
	 * 3. The swap. Filter first: the new filter holds every address of
	 * both tables, so each filter goes with each table meanwhile. Keep the
	 * old table's mapping for the counters.
	 */
	old = ht->role[BPFROUTE_HOSTS_TABLE];
	ht->role[BPFROUTE_HOSTS_TABLE] = (struct table_map){ .fd = -1 };
	err = hosttable_set_role(ht, BPFROUTE_HOSTS_FILTER, &nflt);
	if (!err)
		err = outer_put(ht->outer, BPFROUTE_HOSTS_TABLE, ntbl.fd);
	if (err) {
		ht->role[BPFROUTE_HOSTS_TABLE] = old;
		old = (struct table_map){ .fd = -1 };
		goto unregister;
	}
	err = table_map_dup(&ntbl, &ht->role[BPFROUTE_HOSTS_TABLE]);
	/* 4. No program holds the old table now: nothing counts into it. */
	hosttable_set_role(ht, BPFROUTE_HOSTS_NEXT_TABLE, NULL);
	hosttable_set_role(ht, BPFROUTE_HOSTS_NEXT_FILTER, NULL);
	rebuild_reconcile(&old, &ntbl, conf);
	__sync_lock_test_and_set(&ht->ctl->dead, 0);
	__sync_lock_test_and_set(&ht->ctl->far, 0);
	goto out;

unregister:
	hosttable_set_role(ht, BPFROUTE_HOSTS_NEXT_TABLE, NULL);
	hosttable_set_role(ht, BPFROUTE_HOSTS_NEXT_FILTER, NULL);
fail:
	pr_debug("rebuilding bpfroute_host%d to %u slots: %s\n", ht->family, slots,
		 strerror(-err));
out:
	table_map_close(&old);
	table_map_close(&ntbl);
	table_map_close(&nflt);
	return err;
}
