/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The learned tables, defined once for the BPF programs and the agent: where
 * an address goes, how it is found, added, renewed and deleted, and the Bloom
 * filter in front of each table.
 *
 * A table is an array of 2^k slots of one cache line (struct bpfroute_host):
 * open addressing with linear probing. An address lives at most
 * BPFROUTE_TABLE_PROBES slots after its home slot, hash & (slots - 1); a hit
 * reads one line (the next ones are neighbours, which the hardware fetches
 * ahead). The hash is keyed (bpfroute_conf.hash_key, random per instance), so
 * nobody can aim addresses at one stretch of slots. The agent keeps every
 * table at most half full (user/agent_tables.c), where a probe sequence
 * longer than 64 slots does not happen in practice.
 *
 * The filter: one 512-bit block per 64 home slots, the block of an address
 * with BPFROUTE_FILTER_K of its bits set. A miss, most of a gateway's
 * traffic, reads one line of the filter, 8 bits a slot (about 16 an address),
 * where the table is 512: a filter small enough to stay in the cache, with
 * about 0.5% false positives at the table's fullest, which then read the
 * table as before. Bits are never cleared: the agent rebuilds the table and
 * its filter once enough addresses have been deleted.
 *
 * Concurrency, without locks, on each slot's state word. The learner adds
 * and renews on any CPU, the classifier reads on any CPU, the agent adds,
 * renews and deletes through a mapping of the same memory:
 *   EMPTY -> BUSY   a writer claims a slot (cmpxchg, with its key's
 *                   fingerprint), then writes the key and the fields;
 *   BUSY -> LIVE    and publishes them (cmpxchg: a full barrier, so a reader
 *                   that sees LIVE sees the key);
 *   LIVE -> LIVE    a renewal writes its fields, then bumps the version;
 *   LIVE -> DEAD    the agent deletes, by cmpxchg from the version it read:
 *                   it fails if a renewal came in between.
 * A DEAD slot is never used again and keeps its key, so a slot that once held
 * an address holds that address or nothing: a reader that matched a key is
 * never handed another address. DEAD slots go when the agent rebuilds the
 * table. A writer that meets BUSY with its own fingerprint waits for that key
 * to be published, which takes nanoseconds in the kernel (BPF programs run
 * with preemption off, softirq or BH-disabled). A writer in user space can
 * be preempted in between: the wait then ends, the address may get a second
 * slot further on, and the first in probe order is the one found; a rebuild
 * merges them.
 *
 * The includer defines, before including this file:
 *   bpfroute_table_t   what stands for a table or a filter (NULL: none),
 *   TABLE_SLOT(t, i)   a struct bpfroute_host * to slot i of t, NULL past it,
 *   TABLE_BLOCK(f, i)  a __u64 * to block i of filter f, NULL past it,
 *   TABLE_SLOTS(t)     the number of slots of t, or blocks of f (a power of 2),
 * and may define
 *   TABLE_PUT(role, t, h, fresh, ctl, max_live)
 *                      how bpfroute_table_learn() learns in the table of a
 *                      role (default: bpfroute_table_put(), every step in a
 *                      loop; BPF takes them under bpf_loop()),
 * and includes bpfroute_abi.h and bpfroute_policy.h with a type header.
 */
#ifndef BPFROUTE_TABLE_H
#define BPFROUTE_TABLE_H

#define BPFROUTE_SLOT_EMPTY	0U
#define BPFROUTE_SLOT_BUSY	1U	/* claimed: a key being written */
#define BPFROUTE_SLOT_LIVE	2U	/* an address */
#define BPFROUTE_SLOT_DEAD	3U	/* deleted */
#define BPFROUTE_SLOT_KIND(st)	((st) & 3U)
#define BPFROUTE_SLOT_TAG(st)	((st) >> 2)

/* How far an address may live from its home slot. */
#define BPFROUTE_TABLE_PROBES	64
/*
 * A claim this far from home counts in bpfroute_hostctl.far: the window is
 * half used, and the agent rebuilds while half of it is still free.
 */
#define BPFROUTE_TABLE_FAR	(BPFROUTE_TABLE_PROBES / 2)
/* Re-reads of a slot that a writer of the same key holds BUSY. */
#define BPFROUTE_TABLE_WAITS	16
/* Bits an address sets in its filter block. */
#define BPFROUTE_FILTER_K	4
/*
 * The agent deletes an entry only once it has been dead this long: a packet
 * that found it alive at the last moment has written last_used by then (a BPF
 * program runs to its end without sleeping), and the agent sees it.
 */
#define BPFROUTE_TABLE_GRACE_S	2

#define TABLE_READ(x) (*(volatile __typeof__(x) *)&(x))

/* What bpfroute_table_put() did. */
enum bpfroute_table_result {
	BPFROUTE_TABLE_INSTALLED,	/* a new entry */
	BPFROUTE_TABLE_RENEWED,		/* an entry took the new fields */
	BPFROUTE_TABLE_UNCHANGED,	/* an entry already said all of it */
	BPFROUTE_TABLE_EXISTS,		/* (copy) the address was there: left alone */
	BPFROUTE_TABLE_FULL,		/* max-routes live entries: refused */
	BPFROUTE_TABLE_CROWDED,		/* no free slot within reach: refused */
};

/* How bpfroute_table_put() treats an address that is there already. */
enum bpfroute_table_mode {
	BPFROUTE_TABLE_LEARN,	/* renew it as a fresh answer does */
	BPFROUTE_TABLE_COPY,	/* leave it: a rebuild's copy is older than the learner's */
};

/* The key of an address (16 bytes, IPv4 in the first 4) as two words. */
static __always_inline void bpfroute_table_key(const __u8 *addr, __u64 *w)
{
	__builtin_memcpy(w, addr, 16);
}

/*
 * The keyed hash of a key: its low bits pick the home slot, bits 6 and up the
 * filter block, bits 28..63 the filter bits and bits 34..63 the fingerprint.
 * Two multiply-xorshift rounds (MurmurHash3's finaliser), the secret mixed
 * into both words.
 */
static __always_inline __u64 bpfroute_table_hash(const struct bpfroute_conf *conf,
						 const __u64 *w)
{
	__u64 h = (w[0] ^ conf->hash_key[1]) * 0x9e3779b97f4a7c15ULL;

	h ^= (h >> 32) ^ w[1] ^ conf->hash_key[0];
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Never 0: a fingerprint of 0 would make BUSY look like a fresh claim. */
static __always_inline __u32 bpfroute_table_fp(__u64 h)
{
	return (__u32)(h >> 34) | 1U;
}

static __always_inline bool bpfroute_table_key_equal(const struct bpfroute_host *s,
						     const __u64 *w)
{
	const __u64 *k = (const __u64 *)s->addr;	/* 8-byte aligned: offset 8 */

	return k[0] == w[0] && k[1] == w[1];
}

/* Filter blocks of a table of this many slots. */
static __always_inline __u32 bpfroute_filter_blocks(__u32 slots)
{
	return slots >= BPFROUTE_FILTER_SLOTS_PER_BLOCK ?
	       slots / BPFROUTE_FILTER_SLOTS_PER_BLOCK : 1;
}

static __always_inline __u32 bpfroute_filter_block(__u64 h, __u32 blocks)
{
	return (__u32)(h >> 6) & (blocks - 1);
}

/* May filter f hold the address of hash h? false: the table does not. */
static __always_inline bool bpfroute_filter_test(bpfroute_table_t f, __u64 h)
{
	const __u64 *blk = TABLE_BLOCK(f, bpfroute_filter_block(h, TABLE_SLOTS(f)));

	if (!blk)
		return false;
	for (int j = 0; j < BPFROUTE_FILTER_K; j++) {
		__u32 bit = (__u32)(h >> (28 + 9 * j)) & 511;

		if (!(blk[bit >> 6] & (1ULL << (bit & 63))))
			return false;
	}
	return true;
}

static __always_inline void bpfroute_filter_add(bpfroute_table_t f, __u64 h)
{
	__u64 *blk;

	if (!f)
		return;
	blk = TABLE_BLOCK(f, bpfroute_filter_block(h, TABLE_SLOTS(f)));
	if (!blk)
		return;
	for (int j = 0; j < BPFROUTE_FILTER_K; j++) {
		__u32 bit = (__u32)(h >> (28 + 9 * j)) & 511;

		__sync_fetch_and_or(&blk[bit >> 6], 1ULL << (bit & 63));
	}
}

/*
 * The LIVE slot holding key w, or NULL. Probes stop at an EMPTY slot: no
 * address ever lives past one (slots are claimed in probe order and never
 * emptied again).
 */
static __always_inline struct bpfroute_host *bpfroute_table_find(bpfroute_table_t t, __u64 h,
								 const __u64 *w)
{
	__u32 mask = TABLE_SLOTS(t) - 1;

	for (__u32 p = 0; p < BPFROUTE_TABLE_PROBES; p++) {
		struct bpfroute_host *s = TABLE_SLOT(t, ((__u32)h + p) & mask);
		__u32 st;

		if (!s)
			return NULL;
		st = TABLE_READ(s->state);
		if (BPFROUTE_SLOT_KIND(st) == BPFROUTE_SLOT_EMPTY)
			return NULL;
		if (BPFROUTE_SLOT_KIND(st) == BPFROUTE_SLOT_LIVE && bpfroute_table_key_equal(s, w))
			return s;
	}
	return NULL;
}

/*
 * Renew the LIVE slot s (state st) with a fresh answer: the expiry never
 * moves back (a compare-and-swap, since two answers may race), the rule,
 * its client group, target and name are the latest answer's. Returns RENEWED or
 * UNCHANGED, or -1 if the slot died meanwhile (the caller adds the address
 * afresh).
 */
static __always_inline int bpfroute_table_renew(struct bpfroute_host *s, __u32 st,
						const struct bpfroute_host *fresh)
{
	__u32 e = TABLE_READ(s->expires);
	bool changed = false;

	for (int i = 0; i < 4 && fresh->expires > e; i++) {
		__u32 cur = __sync_val_compare_and_swap(&s->expires, e, fresh->expires);

		if (cur == e) {
			changed = true;
			break;
		}
		e = cur;
	}
	if (TABLE_READ(s->ifindex) != fresh->ifindex || TABLE_READ(s->rule) != fresh->rule ||
	    TABLE_READ(s->clients) != fresh->clients || TABLE_READ(s->name_id) != fresh->name_id) {
		s->ifindex = fresh->ifindex;
		s->rule = fresh->rule;
		s->clients = fresh->clients;
		s->name_id = fresh->name_id;
		changed = true;
	}
	if (!changed)
		return BPFROUTE_TABLE_UNCHANGED;
	/* The version moves on: a delete decided on what was read before fails. */
	if (__sync_val_compare_and_swap(&s->state, st, st + 4) == st)
		return BPFROUTE_TABLE_RENEWED;
	st = TABLE_READ(s->state);
	return BPFROUTE_SLOT_KIND(st) == BPFROUTE_SLOT_LIVE ? BPFROUTE_TABLE_RENEWED : -1;
}

/*
 * The state of one put, a probe at a time: a BPF program keeps it in a map
 * and takes the steps under bpf_loop(), so that the verifier checks one step
 * rather than every path through every probe.
 */
struct bpfroute_table_walk {
	__u64 key[2];		/* bpfroute_table_key() */
	__u64 h;		/* bpfroute_table_hash() */
	__u32 fp;		/* bpfroute_table_fp() */
	__u32 p;		/* the probe: slot h + p */
	__u32 waits;		/* re-reads of slot p held BUSY by our fingerprint */
	__u32 max_live;
	__s32 mode;		/* enum bpfroute_table_mode */
	__s32 result;		/* enum bpfroute_table_result once done, -1 before */
};

/* Steps a put takes at most: every probe, and the re-reads and retries on top. */
#define BPFROUTE_TABLE_STEPS	(BPFROUTE_TABLE_PROBES + BPFROUTE_TABLE_WAITS + 8)

static __always_inline void bpfroute_table_walk_init(struct bpfroute_table_walk *w,
						     const __u64 *key, __u64 h, int mode,
						     __u32 max_live)
{
	w->key[0] = key[0];
	w->key[1] = key[1];
	w->h = h;
	w->fp = bpfroute_table_fp(h);
	w->p = 0;
	w->waits = 0;
	w->max_live = max_live;
	w->mode = mode;
	w->result = -1;
}

/*
 * One step of adding the address of fresh to table t, or renewing it there
 * (w->mode): a look at slot h + p. ctl, if not NULL, counts the table's
 * LIVE entries (which may not pass w->max_live) and its far claims. Returns 1 when done, with
 * w->result set (enum bpfroute_table_result), 0 to be called again.
 */
static __always_inline int bpfroute_table_step(bpfroute_table_t t, struct bpfroute_table_walk *w,
					       const struct bpfroute_host *fresh,
					       struct bpfroute_hostctl *ctl)
{
	__u32 mask = TABLE_SLOTS(t) - 1, st, busy;
	__u32 *live = ctl ? &ctl->live : NULL;
	struct bpfroute_host *s;
	int r;

	if (w->p >= BPFROUTE_TABLE_PROBES)
		goto crowded;
	s = TABLE_SLOT(t, ((__u32)w->h + w->p) & mask);
	if (!s)
		goto crowded;
	st = TABLE_READ(s->state);
	switch (BPFROUTE_SLOT_KIND(st)) {
	case BPFROUTE_SLOT_EMPTY:
		if (live && __sync_fetch_and_add(live, 1) >= w->max_live) {
			__sync_fetch_and_add(live, -1);
			w->result = BPFROUTE_TABLE_FULL;
			return 1;
		}
		busy = BPFROUTE_SLOT_BUSY | w->fp << 2;
		if (__sync_val_compare_and_swap(&s->state, st, busy) != st) {
			if (live)
				__sync_fetch_and_add(live, -1);
			return 0;	/* taken meanwhile: look at it again */
		}
		/* Everything but the state word, which publishes it. */
		__builtin_memcpy((__u8 *)s + 4, (const __u8 *)fresh + 4, sizeof(*s) - 4);
		__sync_val_compare_and_swap(&s->state, busy, BPFROUTE_SLOT_LIVE | 1U << 2);
		if (ctl && w->p >= BPFROUTE_TABLE_FAR)
			__sync_fetch_and_add(&ctl->far, 1);
		w->result = BPFROUTE_TABLE_INSTALLED;
		return 1;
	case BPFROUTE_SLOT_BUSY:
		if (BPFROUTE_SLOT_TAG(st) == w->fp && w->waits < BPFROUTE_TABLE_WAITS) {
			w->waits++;
			return 0;	/* maybe our key: wait for it */
		}
		break;
	case BPFROUTE_SLOT_LIVE:
		if (!bpfroute_table_key_equal(s, w->key))
			break;
		if (w->mode == BPFROUTE_TABLE_COPY) {
			w->result = BPFROUTE_TABLE_EXISTS;
			return 1;
		}
		r = bpfroute_table_renew(s, st, fresh);
		if (r >= 0) {
			w->result = r;
			return 1;
		}
		break;		/* deleted under us: add it afresh */
	default:
		break;
	}
	w->p++;
	w->waits = 0;
	return 0;
crowded:
	if (ctl)
		__sync_fetch_and_add(&ctl->far, 1);
	w->result = BPFROUTE_TABLE_CROWDED;
	return 1;
}

/*
 * Add the address of fresh (hash h) to table t, or renew it there (mode),
 * all steps at once. Returns enum bpfroute_table_result.
 */
static __always_inline int bpfroute_table_put(bpfroute_table_t t, __u64 h,
					      const struct bpfroute_host *fresh, int mode,
					      struct bpfroute_hostctl *ctl, __u32 max_live)
{
	struct bpfroute_table_walk w;
	__u64 key[2];

	bpfroute_table_key(fresh->addr, key);
	bpfroute_table_walk_init(&w, key, h, mode, max_live);
	for (int i = 0; i < BPFROUTE_TABLE_STEPS; i++)
		if (bpfroute_table_step(t, &w, fresh, ctl))
			return w.result;
	return BPFROUTE_TABLE_CROWDED;
}

#ifndef TABLE_PUT
#define TABLE_PUT(role, t, h, fresh, ctl, max_live) \
	bpfroute_table_put(t, h, fresh, BPFROUTE_TABLE_LEARN, ctl, max_live)
#endif

/*
 * Learn fresh (its addr, fields and lifetime set) in a family's table tbl,
 * and while the agent rebuilds also in the next table ntbl (NULL: none): the
 * rebuild's copy then finds it there and leaves it. The filters take the
 * address before the tables do, so a published entry is never filtered out.
 * ctl counts the live entries of tbl, up to conf->max_routes. Returns enum
 * bpfroute_table_result of tbl.
 */
static __always_inline int bpfroute_table_learn(bpfroute_table_t tbl, bpfroute_table_t flt,
						bpfroute_table_t ntbl, bpfroute_table_t nflt,
						struct bpfroute_hostctl *ctl,
						const struct bpfroute_conf *conf,
						const struct bpfroute_host *fresh)
{
	__u64 w[2], h;
	int r;

	bpfroute_table_key(fresh->addr, w);
	h = bpfroute_table_hash(conf, w);
	bpfroute_filter_add(flt, h);
	bpfroute_filter_add(nflt, h);
	r = TABLE_PUT(BPFROUTE_HOSTS_TABLE, tbl, h, fresh, ctl, conf->max_routes);
	if (ntbl && r != BPFROUTE_TABLE_FULL && r != BPFROUTE_TABLE_CROWDED &&
	    TABLE_PUT(BPFROUTE_HOSTS_NEXT_TABLE, ntbl, h, fresh, NULL, 0) ==
		    BPFROUTE_TABLE_CROWDED)
		__sync_fetch_and_add(&ctl->next_failed, 1);
	return r;
}

/*
 * Delete slot s, whose state was seen as st (LIVE) when the caller decided:
 * fails if it was renewed or deleted since.
 */
static __always_inline bool bpfroute_table_kill(struct bpfroute_host *s, __u32 st)
{
	return BPFROUTE_SLOT_KIND(st) == BPFROUTE_SLOT_LIVE &&
	       __sync_val_compare_and_swap(&s->state, st,
					   (st & ~3U) | BPFROUTE_SLOT_DEAD) == st;
}

#endif /* BPFROUTE_TABLE_H */
