/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* IPv4/IPv6 prefixes as the command line and the config file spell them. */
#ifndef BPFROUTE_PREFIX_H
#define BPFROUTE_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct prefix {
	int family;		/* AF_INET or AF_INET6 */
	__u32 len;		/* prefix length in bits */
	__u8 addr[16];		/* network order; first 4 bytes for AF_INET */
};

/* Longest text prefix_format() writes, with the NUL. */
#define PREFIX_STRLEN 44	/* INET6_ADDRSTRLEN + "/128" */

/*
 * Parse "203.0.113.0/24", "2001:db8::/32", or a bare address (a host
 * prefix). Refuses host bits set beyond the length, as `ip route` does.
 * Returns 0, or -EINVAL with a one-line reason in *why (static string).
 * The length is 1 to 3 decimal digits with no sign and no leading zero
 * ("/08" is refused: iproute2 would read "/010" as octal). why may be NULL.
 */
int prefix_parse(const char *text, struct prefix *p, const char **why);

/* "203.0.113.0/24"; buf must hold PREFIX_STRLEN bytes. Returns buf. */
char *prefix_format(const struct prefix *p, char *buf, size_t size);

/* Does p contain the address addr (of p's family, network order)? */
bool prefix_contains(const struct prefix *p, const __u8 *addr);

#endif /* BPFROUTE_PREFIX_H */
