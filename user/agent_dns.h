/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's reading of a DNS answer: the question, and the A and AAAA
 * records along the CNAME chain that starts at it, by the kernel's rules
 * (bpf/dns_answer.h): records in order, a CNAME or address counts only if
 * its owner is the chain's current name, a chain that loops or grows past
 * BPFROUTE_DNS_CHAIN_MAX links or a malformed record refuses the whole
 * answer, a TTL is the address record's own.
 *
 * Names are decompressed by c-ares (ares_expand_name). The chain is not
 * taken from ares_parse_a_reply(): c-ares 1.18 follows every CNAME of the
 * answer section whatever its owner, and gives each address the smallest
 * TTL of all CNAMEs seen, so an off-chain CNAME would choose what is
 * learned (the subtest cares_offchain of selftests/test_agent.c shows it).
 */
#ifndef BPFROUTE_AGENT_DNS_H
#define BPFROUTE_AGENT_DNS_H

#include <stddef.h>
#include <linux/types.h>

#include "bpfroute_abi.h"

/* Addresses one answer can carry: a 64 KiB TCP answer of A records. */
#define AGENT_DNS_ADDRS_MAX	4096

struct agent_dns_addr {
	__u8 family;		/* 4 or 6 */
	__u8 addr[16];		/* network order; IPv4 in the first 4 bytes */
	__u32 ttl;		/* seconds, as in the record */
};

struct agent_dns_answer {
	__u8 qname[BPFROUTE_DNS_NAME_MAX];	/* lower-case wire form */
	__u16 qname_len;
	__u16 qtype;
	__u16 rcode;
	char qtext[BPFROUTE_DNS_NAME_MAX * 4];	/* as c-ares writes it, for messages */
	__u32 off_chain;	/* records skipped: owner not on the chain */
	__u32 links;		/* CNAMEs followed */
	size_t n;
	struct agent_dns_addr addrs[AGENT_DNS_ADDRS_MAX];
};

/*
 * Parse a response into ans. Returns 0 (ans->n may be 0: another rcode, no
 * record on the chain), -EBADMSG if malformed (not a response, not one
 * question, bad name or record), -ELOOP if the chain loops or is too long.
 */
int agent_dns_parse(const __u8 *msg, size_t len, struct agent_dns_answer *ans);

/*
 * Only the question: its name in lower-case wire form and as text. Returns
 * the wire length, or -EBADMSG.
 */
int agent_dns_question(const __u8 *msg, size_t len, __u8 *wire, char *text, size_t text_size);

/*
 * A name as c-ares writes it ("a.b", "a\.b", "\255", "" for the root) to
 * lower-case wire form. Returns the wire length, or -EINVAL.
 */
int agent_dns_text_to_wire(const char *text, __u8 *wire, size_t size);

#endif /* BPFROUTE_AGENT_DNS_H */
