/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The settings, resolvers and domain rules the datapath learns with. */
#ifndef BPFROUTE_LEARNING_H
#define BPFROUTE_LEARNING_H

#include <stdbool.h>

#include "config.h"
#include "maps.h"

/*
 * Make bpfroute_conf, bpfroute_resolv and bpfroute_rules say what cfg says.
 * route_idx[i] is the target ifindex of cfg->routes[i]. A rule that was
 * there keeps its id, new rules take the lowest free ids (at the first load
 * 0, 1, ... in config order); learned entries follow their rule by name,
 * and go with a rule that goes. -E2BIG, with nothing changed, if the rules
 * do not fit bpfroute_rules.
 */
int learning_sync(const struct bpfroute_maps *m, const struct config *cfg, const int *route_idx);

/* The kernel's key and value of a domain rule. */
int learning_rule_make(const struct bpfroute_conf *conf, const struct config_route *r,
		       __u32 id, __u32 ifindex, struct bpfroute_rule_key *key,
		       struct bpfroute_rule *val);

/* A domain rule as the kernel holds it (bpfroute_rules). */
struct learning_rule {
	struct bpfroute_rule_key key;
	struct bpfroute_rule val;
	bool used;		/* a rule has this id */
};

/* Every rule of bpfroute_rules, sorted by id; *rules is malloc()ed. */
int learning_rules_list(const struct bpfroute_maps *m, struct learning_rule **rules, size_t *n);

/* The rule with id in a list from learning_rules_list(), or NULL. */
const struct learning_rule *learning_rule_by_id(const struct learning_rule *rules, size_t n,
						__u32 id);

/*
 * The rule a question (lower-case wire form, root label included) falls
 * under, as the learner matches it (bpf/dns_rules.h): an exact rule for the
 * name itself, else the wildcard rule of its longest proper suffix
 * (`*.example.com` does not cover example.com). 0 with *rule, -ENOENT if no
 * rule covers it, or -errno.
 */
int learning_rule_match(const struct bpfroute_maps *m, const struct bpfroute_conf *conf,
			const __u8 *wire, size_t len, struct learning_rule *rule);

/*
 * The same, skipping the `from` most specific candidates (0: the name itself,
 * k: the wildcard of the k-th suffix); *at (if not NULL) says which matched.
 * `why` shows what a bypass rule wins over: the match from *at + 1.
 */
int learning_rule_match_from(const struct bpfroute_maps *m, const struct bpfroute_conf *conf,
			     const __u8 *wire, size_t len, size_t from,
			     struct learning_rule *rule, size_t *at);

/* A rule as written in the config ("*.corp.example.com"), into text; -EINVAL if malformed. */
int learning_rule_text(const struct learning_rule *rule, char *text, size_t size);

bool learning_is_resolver(const struct config *cfg, const struct bpfroute_resolver_key *key);

#endif /* BPFROUTE_LEARNING_H */
