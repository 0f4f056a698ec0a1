/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * DNS messages for the tests, written byte by byte as RFC 1035 section 4
 * lays them out, and compressed as real servers compress them: an answer's
 * owner is a pointer to the question (0xc00c), a CNAME target reuses the
 * suffix of a name written before it (section 4.1.4). Nothing here shares
 * code with the BPF parser: a test that agrees with it agrees with the RFC.
 *
 * A fixture that does not fit, or a name that is not a name, is a bug of
 * the test: it aborts.
 */
#ifndef BPFROUTE_DNS_BUILD_H
#define BPFROUTE_DNS_BUILD_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#define DNS_BUILD_MAX	4096
#define DNS_QNAME_OFF	12	/* the question's name, where 0xc00c points */

/* Header flags (RFC 1035 section 4.1.1), host order. */
#define DNS_F_QR	0x8000
#define DNS_F_OPCODE	0x7800
#define DNS_F_TC	0x0200
#define DNS_F_RD	0x0100
#define DNS_F_RA	0x0080
#define DNS_RCODE_NXDOMAIN	3

#define DNS_T_A		1
#define DNS_T_CNAME	5
#define DNS_T_NULL	10
#define DNS_T_TXT	16
#define DNS_T_AAAA	28
#define DNS_T_OPT	41
#define DNS_C_IN	1
#define DNS_C_CH	3

/* The header's counts, by their offsets. */
enum dns_section {
	DNS_QD = 4,
	DNS_AN = 6,
	DNS_NS = 8,
	DNS_AR = 10,
};

struct dns_msg {
	__u8 b[DNS_BUILD_MAX];
	size_t len;
};

static inline void dns_build_bug(const char *what, const char *detail)
{
	fprintf(stderr, "test bug: %s: %s\n", what, detail);
	abort();
}

/* Appends n bytes (zeros if src is NULL); returns where they start. */
static inline size_t dns_put(struct dns_msg *m, const void *src, size_t n)
{
	size_t at = m->len;

	if (m->len + n > sizeof(m->b))
		dns_build_bug("DNS message overflows", "more than DNS_BUILD_MAX bytes");
	if (src)
		memcpy(m->b + at, src, n);
	else
		memset(m->b + at, 0, n);
	m->len += n;
	return at;
}

static inline void dns_set_u16(struct dns_msg *m, size_t off, __u16 v)
{
	m->b[off] = v >> 8;
	m->b[off + 1] = v & 0xff;
}

static inline __u16 dns_get_u16(const struct dns_msg *m, size_t off)
{
	return (__u16)(m->b[off] << 8 | m->b[off + 1]);
}

static inline size_t dns_put_u16(struct dns_msg *m, __u16 v)
{
	size_t at = dns_put(m, NULL, 2);

	dns_set_u16(m, at, v);
	return at;
}

static inline size_t dns_put_u32(struct dns_msg *m, __u32 v)
{
	size_t at = dns_put_u16(m, v >> 16);

	dns_put_u16(m, v & 0xffff);
	return at;
}

static inline void dns_count_add(struct dns_msg *m, enum dns_section sec, int n)
{
	dns_set_u16(m, sec, (__u16)(dns_get_u16(m, sec) + n));
}

/*
 * The wire form of a dotted name, root label included: "a.b" is 1 a 1 b 0,
 * "" and "." are the root alone. lower: ASCII lower case, as names compare
 * (RFC 4343). Returns its length; out holds at least 256 bytes.
 */
static inline size_t dns_wire(const char *name, __u8 *out, bool lower)
{
	size_t n = 0;
	const char *p = name;

	if (!strcmp(name, "."))
		p = "";
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (len == 0 || len > 63 || n + 1 + len + 1 > 256)
			dns_build_bug("bad DNS name", name);
		out[n++] = (__u8)len;
		for (size_t i = 0; i < len; i++) {
			char ch = p[i];

			if (lower && ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			out[n++] = (__u8)ch;
		}
		if (!dot)
			break;
		p = dot + 1;
	}
	out[n++] = 0;
	return n;
}

/* A name written out in full; returns its offset. */
static inline size_t dns_put_name(struct dns_msg *m, const char *name)
{
	__u8 w[256];

	return dns_put(m, w, dns_wire(name, w, false));
}

/* A compression pointer to target (RFC 1035 section 4.1.4); returns its offset. */
static inline size_t dns_put_ptr(struct dns_msg *m, size_t target)
{
	if (target > 0x3fff)
		dns_build_bug("compression pointer", "target beyond 14 bits");
	return dns_put_u16(m, (__u16)(0xc000 | target));
}

/* The labels of `labels` ("a.b", or "" for none), then a pointer to target. */
static inline size_t dns_put_name_ptr(struct dns_msg *m, const char *labels, size_t target)
{
	__u8 w[256];
	size_t at = m->len;

	if (*labels)
		dns_put(m, w, dns_wire(labels, w, false) - 1);	/* without the root */
	dns_put_ptr(m, target);
	return at;
}

/* A header with every count zero. */
static inline void dns_header(struct dns_msg *m, __u16 id, __u16 flags)
{
	m->len = 0;
	dns_put_u16(m, id);
	dns_put_u16(m, flags);
	dns_put(m, NULL, 8);
}

static inline void dns_question(struct dns_msg *m, const char *name, __u16 type, __u16 class)
{
	dns_put_name(m, name);
	dns_put_u16(m, type);
	dns_put_u16(m, class);
	dns_count_add(m, DNS_QD, 1);
}

/* What follows a record's owner: type, class, TTL, rdlength. Returns the rdata's offset. */
static inline size_t dns_rr_fixed(struct dns_msg *m, __u16 type, __u16 class, __u32 ttl,
				  __u16 rdlen)
{
	dns_put_u16(m, type);
	dns_put_u16(m, class);
	dns_put_u32(m, ttl);
	dns_put_u16(m, rdlen);
	return m->len;
}

/*
 * An answer record of class IN whose owner is a pointer to owner, counted in
 * ANCOUNT. Returns the rdata's offset.
 */
static inline size_t dns_rr(struct dns_msg *m, size_t owner, __u16 type, __u32 ttl,
			    const void *rdata, __u16 rdlen)
{
	size_t at;

	dns_put_ptr(m, owner);
	at = dns_rr_fixed(m, type, DNS_C_IN, ttl, rdlen);
	dns_put(m, rdata, rdlen);
	dns_count_add(m, DNS_AN, 1);
	return at;
}

static inline size_t dns_rr_a(struct dns_msg *m, size_t owner, __u32 ttl, const char *addr)
{
	__u8 a[4];

	if (inet_pton(AF_INET, addr, a) != 1)
		dns_build_bug("bad IPv4 address", addr);
	return dns_rr(m, owner, DNS_T_A, ttl, a, sizeof(a));
}

static inline size_t dns_rr_aaaa(struct dns_msg *m, size_t owner, __u32 ttl, const char *addr)
{
	__u8 a[16];

	if (inet_pton(AF_INET6, addr, a) != 1)
		dns_build_bug("bad IPv6 address", addr);
	return dns_rr(m, owner, DNS_T_AAAA, ttl, a, sizeof(a));
}

/*
 * A CNAME whose target is `labels` followed by a pointer to ptr, or, with
 * ptr 0, `labels` written out in full. Returns the target's offset, for
 * later records to point at.
 */
static inline size_t dns_rr_cname_ptr(struct dns_msg *m, size_t owner, __u32 ttl,
				      const char *labels, size_t ptr)
{
	size_t rdata, rdlen_at;

	dns_put_ptr(m, owner);
	rdata = dns_rr_fixed(m, DNS_T_CNAME, DNS_C_IN, ttl, 0);
	rdlen_at = rdata - 2;
	if (ptr)
		dns_put_name_ptr(m, labels, ptr);
	else
		dns_put_name(m, labels);
	dns_set_u16(m, rdlen_at, (__u16)(m->len - rdata));
	dns_count_add(m, DNS_AN, 1);
	return rdata;
}

static inline size_t dns_rr_cname(struct dns_msg *m, size_t owner, __u32 ttl, const char *target)
{
	return dns_rr_cname_ptr(m, owner, ttl, target, 0);
}

/*
 * An EDNS(0) OPT pseudo-record (RFC 6891 section 6.1.2) in the additional
 * section, as resolvers add to their answers: root owner, the sender's UDP
 * payload size where the class goes, no options. 11 bytes.
 */
static inline void dns_opt(struct dns_msg *m, __u16 udp_payload)
{
	dns_put(m, NULL, 1);
	dns_rr_fixed(m, DNS_T_OPT, udp_payload, 0, 0);
	dns_count_add(m, DNS_AR, 1);
}

/* A query as a stub resolver sends it: recursion desired, one question of class IN. */
static inline void dns_query_msg(struct dns_msg *m, __u16 id, const char *name, __u16 type)
{
	dns_header(m, id, DNS_F_RD);
	dns_question(m, name, type, DNS_C_IN);
}

/* The start of an answer: QR, RD, RA, NOERROR, the question echoed; no records yet. */
static inline void dns_answer_msg(struct dns_msg *m, __u16 id, const char *name, __u16 type)
{
	dns_header(m, id, DNS_F_QR | DNS_F_RD | DNS_F_RA);
	dns_question(m, name, type, DNS_C_IN);
}

#endif /* BPFROUTE_DNS_BUILD_H */
