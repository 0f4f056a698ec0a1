/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Random DNS answers for the differential test (test_dns.c, differential):
 * CNAME chains with compression pointers as servers write them, owners that
 * are on the chain, off it, or nearly the question (a case change, one label
 * more, a NUL or a dot inside a label), records of other types and classes,
 * and now and then bytes changed or cut after the question. What matters is
 * not that an answer is sensible but that the kernel and the agent read it
 * alike, so the generator aims at the places where readers differ.
 *
 * Deterministic from its seed: a failure names the seed and the answer.
 */
#ifndef BPFROUTE_DNS_GEN_H
#define BPFROUTE_DNS_GEN_H

#include "dns_build.h"

struct dns_gen {
	__u64 state;		/* xorshift64* */
	/* Every name suffix written so far, for compression pointers. */
	struct {
		__u16 off;
		__u8 len;
		__u8 wire[255];
	} suffix[64];
	int n_suffix;
};

/* A name in wire form, built a label at a time. */
struct gen_name {
	__u8 w[256];
	size_t len;		/* with the root label, once ended */
};

static inline __u64 gen_u64(struct dns_gen *g)
{
	g->state ^= g->state >> 12;
	g->state ^= g->state << 25;
	g->state ^= g->state >> 27;
	return g->state * 0x2545f4914f6cdd1dULL;
}

/* 0 .. n-1 */
static inline __u32 gen_below(struct dns_gen *g, __u32 n)
{
	return (__u32)((gen_u64(g) >> 32) % n);
}

/* True with probability pct percent. */
static inline bool gen_pct(struct dns_gen *g, __u32 pct)
{
	return gen_below(g, 100) < pct;
}

static inline void gen_label(struct gen_name *n, const void *b, size_t len)
{
	n->w[n->len++] = (__u8)len;
	memcpy(n->w + n->len, b, len);
	n->len += len;
}

static inline void gen_end(struct gen_name *n)
{
	n->w[n->len++] = 0;
}

/* A random label: mostly hostname characters, sometimes bytes that text forms mangle. */
static inline void gen_random_label(struct dns_gen *g, struct gen_name *n)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
	static const __u8 odd[] = { 0, '.', '\\', ' ', 0x1b, '\n', 0x7f, 0x80, 0xff, '"', '*' };
	__u8 b[63];
	size_t len = 1 + gen_below(g, gen_pct(g, 5) ? 63 : 10);

	for (size_t i = 0; i < len; i++)
		b[i] = gen_pct(g, 8) ? odd[gen_below(g, sizeof(odd))] :
				       (__u8)plain[gen_below(g, sizeof(plain) - 1)];
	gen_label(n, b, len);
}

/* Flip the case of some letters: the same name to a reader that follows RFC 4343. */
static inline void gen_recase(struct dns_gen *g, struct gen_name *n)
{
	for (size_t i = 0; i < n->len; i++)
		if (((n->w[i] | 0x20) >= 'a' && (n->w[i] | 0x20) <= 'z') && gen_pct(g, 30))
			n->w[i] ^= 0x20;	/* length bytes are below 64: never letters */
}

/* The question: one to three random labels under example.com. */
static inline void gen_question_name(struct dns_gen *g, struct gen_name *q)
{
	int labels = 1 + (int)gen_below(g, 3);

	q->len = 0;
	for (int i = 0; i < labels; i++)
		gen_random_label(g, q);
	gen_label(q, "example", 7);
	gen_label(q, "com", 3);
	gen_end(q);
	gen_recase(g, q);
}

/* A name near q: equal but for case, or one label more, or a NUL or dot glued on. */
static inline void gen_near_name(struct dns_gen *g, const struct gen_name *q,
				 struct gen_name *out)
{
	size_t first = (size_t)q->w[0] + 1;

	out->len = 0;
	switch (gen_below(g, 5)) {
	case 0:		/* the question, case changed: on the chain */
		*out = *q;
		gen_recase(g, out);
		return;
	case 1:		/* one label more in front */
		gen_random_label(g, out);
		break;
	case 2:		/* the first label with a NUL or a dot appended */
	case 3: {
		__u8 b[64];
		size_t len = q->w[0];

		if (len < 63) {
			memcpy(b, q->w + 1, len);
			b[len++] = gen_pct(g, 50) ? 0 : '.';
			gen_label(out, b, len);
			memcpy(out->w + out->len, q->w + first, q->len - first);
			out->len += q->len - first;
			return;
		}
		break;
	}
	default:	/* a NUL label appended before the root */
		memcpy(out->w, q->w, q->len - 1);
		out->len = q->len - 1;
		gen_label(out, "\0", 1);
		gen_end(out);
		return;
	}
	memcpy(out->w + out->len, q->w, q->len);
	out->len += q->len;
}

/* Remember where the suffixes of a name written at off start. */
static inline void gen_note_suffixes(struct dns_gen *g, const __u8 *w, size_t len, size_t off)
{
	for (size_t i = 0; i < len && w[i] && g->n_suffix < 64 && off + i < 0x3fff; i += 1 + w[i]) {
		g->suffix[g->n_suffix].off = (__u16)(off + i);
		g->suffix[g->n_suffix].len = (__u8)(len - i);
		memcpy(g->suffix[g->n_suffix].wire, w + i, len - i);
		g->n_suffix++;
	}
}

/*
 * Write a name, compressed as a server would: the longest suffix written
 * before becomes a pointer, most of the time. Returns its offset.
 */
static inline size_t gen_put_name(struct dns_gen *g, struct dns_msg *m, const struct gen_name *n)
{
	size_t at = m->len;

	for (size_t i = 0; i < n->len && n->w[i]; i += 1 + n->w[i]) {
		for (int s = 0; s < g->n_suffix; s++) {
			if (g->suffix[s].len != n->len - i ||
			    memcmp(g->suffix[s].wire, n->w + i, n->len - i) || !gen_pct(g, 80))
				continue;
			dns_put(m, n->w, i);
			gen_note_suffixes(g, n->w, i, at);
			dns_put_ptr(m, g->suffix[s].off);
			return at;
		}
	}
	dns_put(m, n->w, n->len);
	gen_note_suffixes(g, n->w, n->len, at);
	return at;
}

static inline void gen_addr(struct dns_gen *g, __u8 *a, bool v6)
{
	memset(a, 0, 16);
	if (!v6) {
		a[0] = 203, a[1] = 0, a[2] = 113, a[3] = (__u8)gen_below(g, 256);
		return;
	}
	a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8;
	a[4] = 0x0a;
	a[15] = (__u8)gen_below(g, 256);
}

/* One answer record with owner and type chosen around the chain. */
static inline void gen_record(struct dns_gen *g, struct dns_msg *m, const struct gen_name *q,
			      struct gen_name *chain, int *links)
{
	struct gen_name owner, target;
	__u16 type, class = gen_pct(g, 4) ? DNS_C_CH : DNS_C_IN;
	size_t rdlen_at, rdata;
	__u32 r = gen_below(g, 100);
	__u8 a[16];

	if (r < 60) {
		owner = chain[*links];			/* the chain's current name */
		if (gen_pct(g, 20))
			gen_recase(g, &owner);
	} else if (r < 70) {
		owner = chain[gen_below(g, (__u32)*links + 1)];	/* an earlier link */
	} else if (r < 90) {
		gen_near_name(g, q, &owner);
	} else {
		owner.len = 0;
		gen_random_label(g, &owner);
		gen_label(&owner, "example", 7);
		gen_label(&owner, "net", 3);
		gen_end(&owner);
	}
	r = gen_below(g, 100);
	type = r < 30 ? DNS_T_CNAME : r < 65 ? DNS_T_A : r < 92 ? DNS_T_AAAA : DNS_T_TXT;

	gen_put_name(g, m, &owner);
	rdata = dns_rr_fixed(m, type, class, gen_pct(g, 3) ? 0x80000000u : gen_below(g, 4000),
			     0);
	rdlen_at = rdata - 2;
	if (type == DNS_T_CNAME) {
		if (gen_pct(g, 10) && *links) {
			target = chain[gen_below(g, (__u32)*links + 1)];	/* a loop */
		} else {
			target.len = 0;
			gen_random_label(g, &target);
			if (gen_pct(g, 50))
				gen_random_label(g, &target);
			gen_label(&target, "example", 7);
			gen_label(&target, gen_pct(g, 50) ? "com" : "net", 3);
			gen_end(&target);
		}
		gen_put_name(g, m, &target);
		if (*links < 15 && class == DNS_C_IN && owner.len == chain[*links].len &&
		    !strncasecmp((const char *)owner.w, (const char *)chain[*links].w, owner.len))
			chain[++*links] = target;	/* a guess: the readers decide */
	} else if (type == DNS_T_TXT) {
		dns_put(m, "\3txt", 4);
	} else {
		gen_addr(g, a, type == DNS_T_AAAA);
		/* Now and then the other family's length. */
		dns_put(m, a, gen_pct(g, 3) ? (type == DNS_T_A ? 16 : 4) : type == DNS_T_A ? 4 : 16);
	}
	dns_set_u16(m, rdlen_at, (__u16)(m->len - rdata));
	dns_count_add(m, DNS_AN, 1);
}

/*
 * A random answer to the question q (written by the caller into query too):
 * id, the question echoed, up to 12 records; now and then damaged after the
 * question. *qtype is the question's type.
 */
static inline void gen_answer(struct dns_gen *g, struct dns_msg *m, __u16 id,
			      const struct gen_name *q, __u16 qtype)
{
	struct gen_name chain[16];
	int links = 0, records = (int)gen_below(g, 13);
	size_t qend;

	g->n_suffix = 0;
	dns_header(m, id, DNS_F_QR | DNS_F_RD | DNS_F_RA);
	gen_put_name(g, m, q);
	dns_put_u16(m, qtype);
	dns_put_u16(m, DNS_C_IN);
	dns_count_add(m, DNS_QD, 1);
	qend = m->len;
	chain[0] = *q;
	for (int i = 0; i < records && m->len < DNS_BUILD_MAX - 600; i++)
		gen_record(g, m, q, chain, &links);
	if (gen_pct(g, 10) && m->len > qend) {	/* damage after the question */
		int n = 1 + (int)gen_below(g, 3);

		for (int i = 0; i < n; i++)
			m->b[qend + gen_below(g, (__u32)(m->len - qend))] = (__u8)gen_u64(g);
	}
	if (gen_pct(g, 5) && m->len > qend)	/* cut short */
		m->len = qend + gen_below(g, (__u32)(m->len - qend));
}

#endif /* BPFROUTE_DNS_GEN_H */
