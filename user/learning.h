/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The settings, resolvers and domain rules the datapath learns with. */
#ifndef BPFROUTE_LEARNING_H
#define BPFROUTE_LEARNING_H

#include <stdbool.h>

#include "config.h"
#include "maps.h"

/*
 * Make bpfroute_conf, bpfroute_resolv and bpfroute_rules say what cfg says.
 * route_idx[i] is the target ifindex of cfg->routes[i]. Domain rules get ids
 * 0, 1, ... in config order; learned entries follow their rule by name.
 */
int learning_sync(const struct bpfroute_maps *m, const struct config *cfg, const int *route_idx);

/* The kernel's key and value of a domain rule. */
int learning_rule_make(const struct bpfroute_conf *conf, const struct config_route *r,
		       __u16 id, __u32 ifindex, struct bpfroute_rule_key *key,
		       struct bpfroute_rule *val);

bool learning_is_resolver(const struct config *cfg, const struct bpfroute_resolver_key *key);

#endif /* BPFROUTE_LEARNING_H */
