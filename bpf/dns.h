/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * DNS message parsing in the kernel (RFC 1035 section 4).
 *
 * A message is first copied into a per-CPU scratch buffer, so that every read
 * is an index into a fixed array, masked into bounds; the logical bound is
 * the message length, checked separately. Names are walked a label at a time
 * under bpf_loop(), so the verifier checks the walk once however long the
 * name is, and compression pointers must point strictly backwards, each
 * before the last: a pointer loop cannot hold the walk.
 *
 * Names are identified by a keyed hash of their lower-case wire form. The key
 * is random per instance (bpfroute_conf), so nobody outside can make two names
 * collide; where a match steers traffic (domain rules), the bytes are
 * compared as well.
 */
#ifndef BPFROUTE_DNS_H
#define BPFROUTE_DNS_H

#include "bpfroute_abi.h"
#include "bpfroute_dns_wire.h"
#include "bpfroute_name_hash.h"

#define DNS_MSG_MASK		(BPFROUTE_DNS_MSG_MAX - 1)
#define DNS_NAME_MASK		(BPFROUTE_DNS_NAME_MAX - 1)

struct dns_learn {
	__u8 addr[16];		/* network order; IPv4 in the first 4 bytes */
	__u32 ttl;		/* seconds, as in the record */
	__u32 family;		/* 4 or 6 */
};

/* scratch->learn is indexed by mask (IDX()), the verifier's bound. */
_Static_assert(!(BPFROUTE_DNS_LEARN_MAX & (BPFROUTE_DNS_LEARN_MAX - 1)),
	       "BPFROUTE_DNS_LEARN_MAX is a power of two");

/*
 * The state of one name walk. It lives in the scratch map, not on the stack:
 * values read back from a map are unknown to the verifier, so it checks a
 * bpf_loop() callback once instead of once per distinct iteration state.
 */
struct name_walk {
	struct dns_name_cursor c;	/* the rules: include/bpfroute_dns_wire.h */
	__u32 base;		/* 0: write to scratch->q; NAME_MAX: to junk */
	__u64 hash;
	int err;		/* 1: malformed */
	int done;
};

/* The backward pass over the question for its rule (dns_rules.h). */
struct rule_match {
	__u64 hash;		/* backward hash of q.name[labels[k]..len) */
	__u32 k;		/* labels left to hash, from the last */
	__u32 found;		/* a rule matched: best is its key */
	struct bpfroute_rule_key best;
};

/* The walk over the answer section (dns_answer.h). */
struct rr_walk {
	__u32 off;		/* next record */
	__u32 left;		/* records left to walk */
	__u64 chain;		/* hash of the chain's current name */
	__u64 seen[2 * BPFROUTE_DNS_CHAIN_MAX];	/* names on the chain */
	__u32 links;
	__u32 n_learn;		/* addresses collected in scratch->learn */
	__u32 overflow;		/* more addresses than the kernel keeps */
	__u32 off_chain;	/* records skipped: owner off the chain */
	int err;		/* BPFROUTE_STAT_DNS_MALFORMED or _CNAME_LOOP */
};

/* Installing the learned addresses (learn.h). */
struct learn_pass {
	__u64 now;		/* seconds (bpfroute_seconds()) */
	__u64 name_id;
	__u8 server[16];	/* the answering server: never learned */
	__u32 n;		/* addresses in scratch->learn */
	__u32 ifindex;
	__u32 rule;
	__u32 clients;		/* the rule's client group */
	__u32 installed;
	__u32 full;		/* some address refused: map full */
};

/* The parser's working memory, one per CPU (bpfroute_scratch). */
struct dns_scratch {
	/* The event for the agent: header, then the message, contiguous. */
	struct bpfroute_dns_event ev;
	__u8 msg[BPFROUTE_DNS_MSG_MAX];
	/*
	 * The question's name, lower-case wire form, which is also the value
	 * for bpfroute_names. A walk that does not keep its name writes into
	 * junk instead: the same code without a branch per byte.
	 */
	struct bpfroute_name q;
	__u8 junk[BPFROUTE_DNS_NAME_MAX];
	__u8 labels[DNS_LABELS_MAX];	/* where each label of q starts */
	__u32 n_labels;
	struct dns_learn learn[BPFROUTE_DNS_LEARN_MAX];
	__u32 msg_len;		/* bytes of msg that are valid */
	/* The state of the bpf_loop() walks, kept here for the verifier. */
	struct name_walk walk;
	struct rule_match rm;
	struct rr_walk rr;
	struct learn_pass lp;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_scratch);
} BPFROUTE_MAP_SCRATCH SEC(".maps");

static __always_inline struct dns_scratch *dns_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&BPFROUTE_MAP_SCRATCH, &zero);
}

/*
 * An index masked into an array's bounds. The barrier keeps clang from
 * dropping a mask it can prove redundant: the verifier cannot, and would
 * refuse the access.
 */
#define IDX(v, mask) ({ __u32 idx_ = (v); barrier_var(idx_); idx_ & (mask); })

static __always_inline __u8 msg_byte(const struct dns_scratch *s, __u32 off)
{
	return s->msg[IDX(off, DNS_MSG_MASK)];
}

static __always_inline __u16 msg_u16(const struct dns_scratch *s, __u32 off)
{
	return (__u16)msg_byte(s, off) << 8 | msg_byte(s, off + 1);
}

static __always_inline __u32 msg_u32(const struct dns_scratch *s, __u32 off)
{
	return (__u32)msg_u16(s, off) << 16 | msg_u16(s, off + 2);
}

/* ASCII lower case by table: no branch per byte for the verifier to split on. */
#define LC(c) ((__u8)((c) >= 'A' && (c) <= 'Z' ? (c) + ('a' - 'A') : (c)))
#define LC4(c) LC(c), LC((c) + 1), LC((c) + 2), LC((c) + 3)
#define LC16(c) LC4(c), LC4((c) + 4), LC4((c) + 8), LC4((c) + 12)
#define LC64(c) LC16(c), LC16((c) + 16), LC16((c) + 32), LC16((c) + 48)
static const volatile __u8 dns_lower[256] = { LC64(0), LC64(64), LC64(128), LC64(192) };

#define DNS_OUT_MASK	(2 * BPFROUTE_DNS_NAME_MAX - 1)

static long name_walk_label(__u32 idx, void *ctx)
{
	struct dns_scratch *s = dns_scratch();
	struct name_walk *w;
	__u32 pos, len, at, i;
	__u8 b, *out;
	int step;

	(void)idx;
	(void)ctx;
	if (!s)
		return 1;
	w = &s->walk;
	pos = w->c.pos;
	b = msg_byte(s, pos);
	at = w->c.len;		/* where this label goes in the copy */
	step = dns_name_step(&w->c, s->msg_len, b, msg_byte(s, pos + 1));
	if (step == DNS_NAME_JUMP)
		return 0;
	if (step == DNS_NAME_BAD)
		goto bad;
	if (!w->base) {
		if (s->n_labels >= DNS_LABELS_MAX)
			goto bad;
		s->labels[IDX(s->n_labels, DNS_LABELS_MAX - 1)] = at;
		s->n_labels++;
	}
	out = s->q.name;	/* q.name, then junk right after it */
	len = b;
	w->hash = name_hash_byte(w->hash, b);
	out[IDX(w->base + at, DNS_OUT_MASK)] = b;
	for (i = 0; i < DNS_LABEL_MAX; i++) {
		__u8 c;

		if (i >= len)
			break;
		/* Names compare case-insensitively (RFC 4343). */
		c = dns_lower[msg_byte(s, pos + 1 + i)];
		w->hash = name_hash_byte(w->hash, c);
		out[IDX(w->base + at + 1 + i, DNS_OUT_MASK)] = c;
	}
	if (step == DNS_NAME_END) {	/* the root label ends the name */
		w->done = 1;
		return 1;
	}
	return 0;
bad:
	w->err = 1;
	return 1;
}

/*
 * Walk the name at *off: on success, *off is the first byte after it, *hash
 * its keyed (forward) hash and *wire_len its decompressed length. With copy,
 * the name also lands in scratch->q with its label starts. Returns 0, or -1 if
 * the name is malformed (bad label, pointer forwards or in a loop, longer
 * than 255 bytes, past the message).
 */
static __always_inline int name_walk(const struct bpfroute_conf *conf, struct dns_scratch *s,
				     __u32 *off, __u64 *hash, __u32 *wire_len, int copy)
{
	struct name_walk *w = &s->walk;

	*w = (struct name_walk){
		.base = copy ? 0 : BPFROUTE_DNS_NAME_MAX,
		.hash = name_hash_init(conf),
	};
	dns_name_start(&w->c, *off);
	bpf_loop(DNS_NAME_STEPS, name_walk_label, NULL, 0);
	if (w->err || !w->done)
		return -1;
	*off = w->c.end;
	*hash = name_hash_final(conf, w->hash);
	*wire_len = w->c.len;
	return 0;
}

/*
 * The question of a message in scratch: its name (copied to qname when
 * copy), type and class. Returns the offset after the question, or -1.
 */
static __always_inline int dns_question(const struct bpfroute_conf *conf, struct dns_scratch *s,
					__u64 *qhash, __u16 *qtype, __u16 *qclass, int copy)
{
	__u32 off = DNS_HDR_LEN, len;

	if (copy) {
		/* What follows the name goes to bpfroute_names: no stale bytes. */
		__builtin_memset(&s->q, 0, sizeof(s->q));
		s->n_labels = 0;
	}
	if (name_walk(conf, s, &off, qhash, &len, copy))
		return -1;
	if (off + 4 > s->msg_len)
		return -1;
	*qtype = msg_u16(s, off);
	*qclass = msg_u16(s, off + 2);
	if (copy)
		s->q.len = len;
	return off + 4;
}

#endif /* BPFROUTE_DNS_H */
