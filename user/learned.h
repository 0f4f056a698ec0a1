/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Learned entries (the learned tables) as `bpfroute routes` shows them. */
#ifndef BPFROUTE_LEARNED_H
#define BPFROUTE_LEARNED_H

#include <stddef.h>

#include "bpfroute_abi.h"
#include "maps.h"
#include "prefix.h"

#define LEARNED_TEXT_MAX 256	/* a name in text, with a leading "*." */

struct learned_entry {
	struct prefix prefix;		/* a host prefix: /32 or /128 */
	struct bpfroute_host host;
	char name[LEARNED_TEXT_MAX];	/* the question, or "?" if unknown */
	char rule[LEARNED_TEXT_MAX];	/* the rule that learned it, or "?" */
};

/* Every learned entry, IPv4 first; *entries is malloc()ed. */
int learned_list(const struct bpfroute_maps *m, struct learned_entry **entries, size_t *count);

/* Seconds until expiry (negative once expired). */
long long learned_expires_in(const struct bpfroute_host *h);

#endif /* BPFROUTE_LEARNED_H */
