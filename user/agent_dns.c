// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A DNS answer read as the kernel reads it (bpf/dns_answer.h), so that what
 * the agent learns from an answer is what the kernel would have learned had
 * it walked the whole answer: see agent_dns.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "agent_dns.h"
#include "bpfroute_dns_wire.h"
#include "dnsname.h"

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 get32(const __u8 *p)
{
	return (__u32)get16(p) << 16 | get16(p + 2);
}

static __u8 lower(__u8 c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/*
 * The name at off, by the kernel's rules (include/bpfroute_dns_wire.h), to
 * lower-case wire form in wire (BPFROUTE_DNS_NAME_MAX bytes). *used is how
 * many bytes the name takes at off. Returns the wire length, or -EBADMSG.
 */
static int name_at(const __u8 *msg, size_t len, size_t off, __u8 *wire, size_t *used)
{
	struct dns_name_cursor c;

	if (len > 0xffff)	/* a DNS message; also keeps positions in a __u32 */
		return -EBADMSG;
	dns_name_start(&c, (__u32)off);
	for (int i = 0; i < DNS_NAME_STEPS; i++) {
		__u32 at = c.len, pos = c.pos;
		__u8 b0 = pos < len ? msg[pos] : 0, b1 = pos + 1 < len ? msg[pos + 1] : 0;
		int step = dns_name_step(&c, (__u32)len, b0, b1);

		if (step == DNS_NAME_BAD)
			return -EBADMSG;
		if (step == DNS_NAME_JUMP)
			continue;
		wire[at] = b0;
		for (__u32 k = 0; k < b0; k++)
			wire[at + 1 + k] = lower(msg[c.label + k]);
		if (step == DNS_NAME_END) {
			*used = c.end - off;
			return (int)c.len;
		}
	}
	return -EBADMSG;	/* more labels and jumps than a walk takes */
}

/* The chain of names from the question on, as the kernel follows it. */
struct chain {
	__u8 names[BPFROUTE_DNS_CHAIN_MAX + 1][BPFROUTE_DNS_NAME_MAX];
	__u16 lens[BPFROUTE_DNS_CHAIN_MAX + 1];
	__u32 links;		/* names[links] is the current name */
};

static bool chain_is(const struct chain *c, __u32 i, const __u8 *name, int len)
{
	return c->lens[i] == len && !memcmp(c->names[i], name, (size_t)len);
}

static bool chain_seen(const struct chain *c, const __u8 *name, int len)
{
	for (__u32 i = 0; i <= c->links; i++)
		if (chain_is(c, i, name, len))
			return true;
	return false;
}

/* A record's fixed part, after its owner (RFC 1035 4.1.3). */
struct rr {
	__u16 type;
	__u16 class;
	__u32 ttl;
	size_t rdoff;
	__u16 rdlen;
};

static int rr_cname(const __u8 *msg, size_t len, const struct rr *r, struct chain *c,
		    bool on_chain, struct agent_dns_answer *ans)
{
	__u8 target[BPFROUTE_DNS_NAME_MAX];
	size_t used;
	int tlen;

	tlen = name_at(msg, len, r->rdoff, target, &used);
	if (tlen < 0 || used != r->rdlen)
		return -EBADMSG;
	if (!on_chain) {
		ans->off_chain++;
		return 0;
	}
	if (c->links >= BPFROUTE_DNS_CHAIN_MAX || chain_seen(c, target, tlen))
		return -ELOOP;
	c->links++;
	memcpy(c->names[c->links], target, (size_t)tlen);
	c->lens[c->links] = (__u16)tlen;
	ans->links = c->links;
	return 0;
}

static int rr_addr(const __u8 *msg, const struct rr *r, bool on_chain,
		   struct agent_dns_answer *ans)
{
	size_t alen = r->type == DNS_TYPE_A ? 4 : 16;
	struct agent_dns_addr *a;

	if (r->rdlen != alen)
		return -EBADMSG;
	if (!on_chain) {
		ans->off_chain++;
		return 0;
	}
	if (ans->n >= AGENT_DNS_ADDRS_MAX)
		return 0;	/* cannot happen below 64 KiB */
	a = &ans->addrs[ans->n++];
	memset(a, 0, sizeof(*a));
	a->family = alen == 4 ? 4 : 6;
	memcpy(a->addr, msg + r->rdoff, alen);
	a->ttl = r->ttl;
	return 0;
}

/* One answer record at *off; *off moves past it. */
static int rr_walk(const __u8 *msg, size_t len, size_t *off, struct chain *c,
		   struct agent_dns_answer *ans)
{
	__u8 owner[BPFROUTE_DNS_NAME_MAX];
	const __u8 *p;
	struct rr r;
	size_t used;
	bool on_chain;
	int olen;

	olen = name_at(msg, len, *off, owner, &used);
	if (olen < 0 || *off + used + 10 > len)
		return -EBADMSG;
	p = msg + *off + used;
	r = (struct rr){ get16(p), get16(p + 2), get32(p + 4), *off + used + 10, get16(p + 8) };
	if (r.rdoff + r.rdlen > len)
		return -EBADMSG;
	*off = r.rdoff + r.rdlen;
	if (r.class != DNS_CLASS_IN)
		return 0;
	on_chain = chain_is(c, c->links, owner, olen);
	if (r.type == DNS_TYPE_CNAME)
		return rr_cname(msg, len, &r, c, on_chain, ans);
	if (r.type == DNS_TYPE_A || r.type == DNS_TYPE_AAAA)
		return rr_addr(msg, &r, on_chain, ans);
	return 0;	/* DNAME, RRSIG, ...: not followed, as in the kernel */
}

int agent_dns_parse(const __u8 *msg, size_t len, struct agent_dns_answer *ans)
{
	struct chain c;
	size_t off, used;
	__u16 flags, ancount;
	int qlen, err;

	ans->n = 0;
	ans->off_chain = 0;
	ans->links = 0;
	if (len < DNS_HDR_LEN)
		return -EBADMSG;
	flags = get16(msg + 2);
	if ((flags & DNS_QUERY_MASK) != DNS_F_QR || get16(msg + 4) != 1)
		return -EBADMSG;
	qlen = name_at(msg, len, DNS_HDR_LEN, ans->qname, &used);
	off = DNS_HDR_LEN + used;
	if (qlen < 0 || off + 4 > len ||
	    dnsname_to_text(ans->qname, (size_t)qlen, ans->qtext, sizeof(ans->qtext)))
		return -EBADMSG;
	ans->qname_len = (__u16)qlen;
	ans->qtype = get16(msg + off);
	ans->rcode = flags & DNS_F_RCODE;
	off += 4;
	if (ans->rcode)
		return 0;	/* NXDOMAIN and the rest carry nothing to learn */

	memcpy(c.names[0], ans->qname, (size_t)qlen);
	c.lens[0] = (__u16)qlen;
	c.links = 0;
	ancount = get16(msg + 6);
	for (__u16 i = 0; i < ancount; i++) {
		err = rr_walk(msg, len, &off, &c, ans);
		if (err) {
			ans->n = 0;	/* all or nothing, as in the kernel */
			return err;
		}
	}
	return 0;
}
