/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Learned entries (the learned tables) as `bpfroute routes` shows them. */
#ifndef BPFROUTE_LEARNED_H
#define BPFROUTE_LEARNED_H

#include <stddef.h>

#include "bpfroute_abi.h"
#include "maps.h"
#include "prefix.h"

#include "dnsname.h"

#define LEARNED_TEXT_MAX (DNSNAME_TEXT_MAX + 2)	/* a name in text, with "*." */

/*
 * An entry holds no text: a million of them would cost a gigabyte of
 * escaped names. The question and the rule are looked up when printed.
 */
struct learned_entry {
	struct prefix prefix;		/* a host prefix: /32 or /128 */
	struct bpfroute_host host;
};

/* Every learned entry, IPv4 first; *entries is malloc()ed. */
int learned_list(const struct bpfroute_maps *m, struct learned_entry **entries, size_t *count);

/* The same, only the entries learned for the question of name_id. */
int learned_list_name(const struct bpfroute_maps *m, __u64 name_id,
		      struct learned_entry **entries, size_t *count);

/*
 * The entries of each rule id below n, counts[id][0] IPv4 and [1] IPv6, in
 * one walk over the tables: every entry the tables hold, as `routes` lists
 * them (expired ones included until the agent removes them).
 */
int learned_count_by_rule(const struct bpfroute_maps *m, __u32 (*counts)[2], size_t n);

/* The rules as text ("*.corp.example.com"), sorted by id; one block for free(). */
struct learned_rules {
	size_t n;
	struct {
		__u32 id;
		const char *text;
	} v[];
};

struct learned_rules *learned_rules_text(const struct bpfroute_maps *m);

/*
 * The rule with id, from learned_rules_text() (which may be NULL): "?" if
 * unknown, "import" for BPFROUTE_RULE_IMPORTED.
 */
const char *learned_rule(const struct learned_rules *rules, __u32 id);

/*
 * The question of name_id, escaped, into out: "?" if unknown, "-" for none
 * (0: an imported entry). Returns out.
 */
const char *learned_name(const struct bpfroute_maps *m, __u64 name_id,
			 char out[LEARNED_TEXT_MAX]);

/* Seconds until expiry (negative once expired). */
long long learned_expires_in(const struct bpfroute_host *h);

#endif /* BPFROUTE_LEARNED_H */
