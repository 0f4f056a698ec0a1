/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The DNS wire format as bpfroute reads it (RFC 1035 4.1), one definition for
 * the kernel's learner (bpf/dns.h) and the agent's (user/agent_dns.c): the
 * header's fields, the record types followed, and the rules of a name.
 *
 * Both sides must refuse and accept the same names, or an answer the kernel
 * refused could be learned by the agent (a NUL or a dot inside a label, a
 * pointer loop, a name past 255 bytes read differently by a text-form
 * decompressor). So the rules live here, as one step function over a cursor;
 * each side reads the bytes its own way (the kernel from a masked scratch
 * copy) and copies the labels itself.
 *
 * As bpfroute_abi.h, it includes nothing: include vmlinux.h (BPF) or
 * <linux/types.h> (user space) first.
 */
#ifndef BPFROUTE_DNS_WIRE_H
#define BPFROUTE_DNS_WIRE_H

#define DNS_PORT		53
#define DNS_HDR_LEN		12

/* The header's second 16-bit word. */
#define DNS_F_QR		0x8000	/* a response */
#define DNS_F_OPCODE		0x7800	/* 0: a standard query */
#define DNS_F_RCODE		0x000f	/* 0: no error */
/* A query we record: QR 0, opcode 0. An answer we read: QR 1, opcode 0. */
#define DNS_QUERY_MASK		(DNS_F_QR | DNS_F_OPCODE)

#define DNS_TYPE_A		1
#define DNS_TYPE_CNAME		5
#define DNS_TYPE_AAAA		28
#define DNS_CLASS_IN		1

#define DNS_LABEL_MAX		63
#define DNS_NAME_WIRE_MAX	255	/* labels, length bytes and the root */
#define DNS_LABELS_MAX		128	/* a 255-byte name has at most 127 labels */
#define DNS_JUMPS_MAX		16	/* compression pointers followed per name */
/* Steps a walk can take: every label, every jump. */
#define DNS_NAME_STEPS		(DNS_LABELS_MAX + DNS_JUMPS_MAX)

/* Where a name walk is; dns_name_start() sets it up. */
struct dns_name_cursor {
	__u32 pos;	/* the next length byte or pointer */
	__u32 label;	/* after DNS_NAME_LABEL: where the label's bytes start */
	__u32 end;	/* first byte after the name where it was found; 0: not yet */
	__u32 limit;	/* a pointer must point below this */
	__u32 len;	/* wire length so far: length bytes and labels */
	__u32 jumps;
};

enum dns_name_step {
	DNS_NAME_LABEL,	/* a label of b0 bytes at label; pos is past it */
	DNS_NAME_JUMP,	/* a pointer followed; pos is its target */
	DNS_NAME_END,	/* the root label: len is the name's wire length */
	DNS_NAME_BAD,	/* malformed: the whole name is refused */
};

static __always_inline void dns_name_start(struct dns_name_cursor *c, __u32 off)
{
	c->pos = off;
	c->label = 0;
	c->end = 0;
	c->limit = ~0U;
	c->len = 0;
	c->jumps = 0;
}

/*
 * One step of a name in a message of msg_len bytes; b0 and b1 are the bytes
 * at c->pos and c->pos + 1 (b1 is not used if it is past the message).
 *
 * Refused: a byte past the message, the extended label types 0x40 and 0x80
 * (RFC 6891 obsoletes them), a name longer than 255 bytes, a pointer that
 * does not point strictly backwards of itself and of every earlier pointer
 * of the name (so a walk cannot loop), more than DNS_JUMPS_MAX pointers.
 * Any byte is allowed inside a label, NUL and '.' included: names are
 * compared in wire form, never as text.
 */
static __always_inline int dns_name_step(struct dns_name_cursor *c, __u32 msg_len, __u8 b0,
					 __u8 b1)
{
	__u32 pos = c->pos;

	if (pos >= msg_len)
		return DNS_NAME_BAD;
	if ((b0 & 0xc0) == 0xc0) {
		__u32 target = (__u32)(b0 & 0x3f) << 8 | b1;

		if (pos + 1 >= msg_len || target >= c->limit || target >= pos ||
		    ++c->jumps > DNS_JUMPS_MAX)
			return DNS_NAME_BAD;
		if (!c->end)
			c->end = pos + 2;
		c->limit = target;
		c->pos = target;
		return DNS_NAME_JUMP;
	}
	if (b0 & 0xc0)
		return DNS_NAME_BAD;
	if (pos + 1 + b0 > msg_len || c->len + 1 + b0 > DNS_NAME_WIRE_MAX)
		return DNS_NAME_BAD;
	c->label = pos + 1;
	c->len += 1 + b0;
	if (!b0) {
		if (!c->end)
			c->end = pos + 1;
		return DNS_NAME_END;
	}
	c->pos = pos + 1 + b0;
	return DNS_NAME_LABEL;
}

#endif /* BPFROUTE_DNS_WIRE_H */
