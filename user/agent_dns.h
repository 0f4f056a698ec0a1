/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's reading of a DNS answer: the question, and the A and AAAA
 * records along the CNAME chain that starts at it, by the kernel's rules
 * (bpf/dns_answer.h): records in order, a CNAME or address counts only if
 * its owner is the chain's current name, a chain that loops or grows past
 * BPFROUTE_DNS_CHAIN_MAX links or a malformed record refuses the whole
 * answer, a TTL is the address record's own.
 *
 * Names are read in wire form by the kernel's own rules
 * (include/bpfroute_dns_wire.h), never through a text form: c-ares 1.18's
 * ares_expand_name() writes a NUL inside a label unescaped, so
 * "a.corp.example.com.\000.evil" would compare equal to the question. The
 * chain is not taken from ares_parse_a_reply() either: c-ares 1.18 follows
 * every CNAME of the answer section whatever its owner, and gives each
 * address the smallest TTL of all CNAMEs seen (the subtest cares_offchain of
 * selftests/test_agent.c shows it). c-ares is the prefetch's resolver only.
 */
#ifndef BPFROUTE_AGENT_DNS_H
#define BPFROUTE_AGENT_DNS_H

#include <stddef.h>
#include <linux/types.h>

#include "bpfroute_abi.h"
#include "dnsname.h"

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
	char qtext[DNSNAME_TEXT_MAX];	/* escaped as dig does, for messages */
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

#endif /* BPFROUTE_AGENT_DNS_H */
