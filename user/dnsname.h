/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * DNS names as the kernel side keeps them: lower-case wire form (RFC 1035
 * 3.1), hashed with the instance's key (include/bpfroute_name_hash.h).
 */
#ifndef BPFROUTE_DNSNAME_H
#define BPFROUTE_DNSNAME_H

#include <stddef.h>
#include <linux/types.h>

#include "bpfroute_abi.h"

/*
 * "Corp.Example.com" or "corp.example.com." to lower-case wire form, root
 * label included. Returns the wire length, or -EINVAL.
 */
int dnsname_to_wire(const char *text, __u8 *wire, size_t size);

/*
 * The longest text of a name, NUL included: 255 wire bytes, each at most
 * "\DDD" (a length byte becomes a dot or nothing).
 */
#define DNSNAME_TEXT_MAX 1024

/*
 * Wire form to "corp.example.com" ("." for the root), escaped as dig does:
 * "\." and "\\" inside labels, "\032" for a space, "\027" for ESC, so the
 * text is printable ASCII whatever the name holds. -EINVAL if malformed or
 * longer than size (DNSNAME_TEXT_MAX always fits).
 */
int dnsname_to_text(const __u8 *wire, size_t len, char *text, size_t size);

/* The keyed hash of a whole name, first byte to last (questions, chains). */
__u64 dnsname_hash(const struct bpfroute_conf *conf, const __u8 *wire, size_t len);

/* The keyed hash of a rule's name, last byte to first (domain rules). */
__u64 dnsname_rule_hash(const struct bpfroute_conf *conf, const __u8 *wire, size_t len);

#endif /* BPFROUTE_DNSNAME_H */
