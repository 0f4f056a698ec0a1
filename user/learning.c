// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The kernel's side of learning, written by `load`: the settings
 * (bpfroute_conf), the trusted resolvers and the domain rules. With these in
 * place the datapath learns from DNS answers on its own, agent or no agent.
 *
 * Order matters, because the programs read these maps while they change:
 * learning and trust are narrowed first, the maps changed next, and only then
 * widened again to what the new config says. Learned entries follow their
 * rule: a rule that keeps its name keeps its entries (retargeted if its
 * device or client group changed), a rule dropped from the config takes its entries with it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <bpf/bpf.h>

#include "bpfroute_dns_wire.h"
#include "dnsname.h"
#include "hosttable.h"
#include "iprules.h"
#include "learning.h"
#include "log.h"

static int conf_read(const struct bpfroute_maps *m, struct bpfroute_conf *conf)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->conf, &zero, conf))
		return -errno;
	return 0;
}

static int conf_write(const struct bpfroute_maps *m, const struct bpfroute_conf *conf)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(m->conf, &zero, conf, BPF_ANY))
		return -errno;
	return 0;
}

/*
 * The hash key is made once per instance and kept: the rules, the recorded
 * queries and the learned names are all keyed by it.
 */
static int conf_key(struct bpfroute_conf *conf)
{
	if (conf->hash_key[0] || conf->hash_key[1])
		return 0;
	if (getrandom(conf->hash_key, sizeof(conf->hash_key), 0) != sizeof(conf->hash_key))
		return -errno ? -errno : -EIO;
	return 0;
}

static __u32 conf_flags(const struct config *cfg)
{
	__u32 flags = cfg->n_resolvers ? BPFROUTE_CONF_F_RESOLVERS : 0;

	for (size_t i = 0; i < cfg->n_routes; i++)
		if (cfg->routes[i].kind == CONFIG_ROUTE_DOMAIN)
			flags |= BPFROUTE_CONF_F_LEARN;
	/*
	 * A destination's next hop may be kept for a second only where no
	 * policy rule can make it depend on the client (bpf/next_hop.h); if
	 * the rules cannot be read, the FIB is asked for every packet.
	 */
	if (iprules_present() == 0)
		flags |= BPFROUTE_CONF_F_NH_CACHE;
	return flags;
}

static void resolver_key(const struct prefix *p, struct bpfroute_resolver_key *key)
{
	memset(key, 0, sizeof(*key));
	key->family = p->family == AF_INET ? 4 : 6;
	memcpy(key->addr, p->addr, p->family == AF_INET ? 4 : 16);
}

static int resolvers_sync(const struct bpfroute_maps *m, const struct config *cfg)
{
	struct bpfroute_resolver_key key, next;
	void *prev = NULL;
	__u32 one = 1;

	for (size_t i = 0; i < cfg->n_resolvers; i++) {
		resolver_key(&cfg->resolvers[i].addr, &key);
		if (bpf_map_update_elem(m->resolvers, &key, &one, BPF_ANY))
			return -errno;
	}
	/* Delete behind the cursor: deleting it would restart the walk. */
	while (!bpf_map_get_next_key(m->resolvers, prev, &next)) {
		if (prev && !learning_is_resolver(cfg, prev))
			bpf_map_delete_elem(m->resolvers, prev);
		key = next;
		prev = &key;
	}
	if (prev && !learning_is_resolver(cfg, prev))
		bpf_map_delete_elem(m->resolvers, prev);
	return 0;
}

bool learning_is_resolver(const struct config *cfg, const struct bpfroute_resolver_key *key)
{
	struct bpfroute_resolver_key k;

	for (size_t i = 0; i < cfg->n_resolvers; i++) {
		resolver_key(&cfg->resolvers[i].addr, &k);
		if (!memcmp(&k, key, sizeof(k)))
			return true;
	}
	return false;
}

int learning_rule_make(const struct bpfroute_conf *conf, const struct config_route *r,
		       __u32 id, __u32 ifindex, struct bpfroute_rule_key *key,
		       struct bpfroute_rule *val)
{
	int len;

	memset(key, 0, sizeof(*key));
	memset(val, 0, sizeof(*val));
	len = dnsname_to_wire(r->domain, val->name, sizeof(val->name));
	if (len < 0)
		return len;
	val->name_len = (__u16)len;
	val->ifindex = ifindex;
	val->id = id;
	val->clients = (__u8)r->clients;
	key->wildcard = r->wildcard;
	key->hash = dnsname_rule_hash(conf, val->name, (size_t)len);
	return 0;
}

int learning_rules_read(const struct bpfroute_maps *m, struct learning_rule *slots, size_t n)
{
	struct bpfroute_rule_key key, next;
	struct bpfroute_rule val;
	void *prev = NULL;

	while (!bpf_map_get_next_key(m->rules, prev, &next)) {
		if (!bpf_map_lookup_elem(m->rules, &next, &val) && val.id < n) {
			slots[val.id].key = next;
			slots[val.id].val = val;
			slots[val.id].used = true;
		}
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

int learning_rule_text(const struct learning_rule *rule, char *text, size_t size)
{
	char name[DNSNAME_TEXT_MAX];
	int n;

	if (rule->val.name_len > sizeof(rule->val.name) ||
	    dnsname_to_text(rule->val.name, rule->val.name_len, name, sizeof(name)))
		return -EINVAL;
	n = snprintf(text, size, "%s%s", rule->key.wildcard ? "*." : "", name);
	return n < 0 || (size_t)n >= size ? -EINVAL : 0;
}

/* Does the kernel's rule at key name exactly the suffix of the question? */
static int rule_at(const struct bpfroute_maps *m, const struct bpfroute_rule_key *key,
		   const __u8 *suffix, size_t len, struct bpfroute_rule *val)
{
	if (bpf_map_lookup_elem(m->rules, key, val))
		return errno == ENOENT ? -ENOENT : -errno;
	/* As the kernel: a hash collision never matches. */
	if (val->name_len != len || len > sizeof(val->name) || memcmp(val->name, suffix, len))
		return -ENOENT;
	return 0;
}

int learning_rule_match(const struct bpfroute_maps *m, const struct bpfroute_conf *conf,
			const __u8 *wire, size_t len, struct learning_rule *rule)
{
	size_t starts[DNS_LABELS_MAX], n = 0;
	int err;

	for (size_t i = 0; i < len && wire[i]; i += 1 + wire[i]) {
		if (n == DNS_LABELS_MAX)
			return -ENOENT;	/* the kernel's parser refuses such a name */
		starts[n++] = i;
	}
	/*
	 * bpf/dns_rules.h walks from the root up and keeps the last find: the
	 * whole name (an exact rule) wins, then the longest suffix (a wildcard).
	 * Here the same keys, looked up from the most specific down.
	 */
	for (size_t k = 0; k < n; k++) {
		memset(rule, 0, sizeof(*rule));
		rule->key.hash = dnsname_rule_hash(conf, wire + starts[k], len - starts[k]);
		rule->key.wildcard = k != 0;
		err = rule_at(m, &rule->key, wire + starts[k], len - starts[k], &rule->val);
		if (!err) {
			rule->used = true;
			return 0;
		}
		if (err != -ENOENT)
			return err;
	}
	return -ENOENT;
}

/* The new rule with the same name and kind as old, or NULL. */
static const struct learning_rule *rule_successor(const struct learning_rule *fresh,
						  size_t n, const struct learning_rule *old)
{
	for (size_t i = 0; i < n; i++)
		if (fresh[i].used && !memcmp(&fresh[i].key, &old->key, sizeof(old->key)) &&
		    fresh[i].val.name_len == old->val.name_len &&
		    !memcmp(fresh[i].val.name, old->val.name, old->val.name_len))
			return &fresh[i];
	return NULL;
}

/*
 * Make every learned entry follow its rule into the new config: a rule
 * that keeps its name keeps its entries (retargeted, and given the rule's
 * client group), a dropped rule's
 * entries are deleted. Written in place: the counters the classifier adds
 * meanwhile are kept.
 */
static int hosts_follow_rules(const struct bpfroute_maps *m, int family,
			      const struct learning_rule *old, const struct learning_rule *fresh,
			      size_t n)
{
	const struct table_map *t;
	struct hosttable ht;
	int err;

	err = hosttable_open(m, family, &ht);
	if (err)
		return err;
	t = hosttable_role(&ht, BPFROUTE_HOSTS_TABLE);
	for (__u32 i = 0; t && i < t->n; i++) {
		struct bpfroute_host *s = TABLE_SLOT(t, i);
		const struct learning_rule *to = NULL;
		__u32 st = TABLE_READ(s->state);
		__u32 rule;

		if (BPFROUTE_SLOT_KIND(st) != BPFROUTE_SLOT_LIVE)
			continue;
		rule = TABLE_READ(s->rule);
		if (rule < n && old[rule].used)
			to = rule_successor(fresh, n, &old[rule]);
		if (!to) {
			/* Its rule is gone: so is the route. */
			hosttable_kill(&ht, s, st);
			continue;
		}
		/*
		 * A racing renewal by the learner writes the new rule's id and
		 * target already (the rules are in place before this runs).
		 */
		if (to->val.id != rule || to->val.ifindex != TABLE_READ(s->ifindex) ||
		    to->val.clients != TABLE_READ(s->clients)) {
			s->ifindex = to->val.ifindex;
			s->rule = to->val.id;
			s->clients = to->val.clients;
		}
	}
	hosttable_close(&ht);
	return 0;
}

static int rules_sync(const struct bpfroute_maps *m, const struct bpfroute_conf *conf,
		      const struct config *cfg, const int *route_idx)
{
	size_t n = BPFROUTE_MAX_RULES, id = 0;
	struct learning_rule *old, *fresh;
	int err;

	old = calloc(n, sizeof(*old));
	fresh = calloc(n, sizeof(*fresh));
	if (!old || !fresh) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = learning_rules_read(m, old, n);
	if (err)
		goto cleanup;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct config_route *r = &cfg->routes[i];

		if (r->kind != CONFIG_ROUTE_DOMAIN)
			continue;
		if (id >= n) {
			err = -E2BIG;
			goto cleanup;
		}
		err = learning_rule_make(conf, r, (__u32)id, (__u32)route_idx[i], &fresh[id].key,
					 &fresh[id].val);
		if (err)
			goto cleanup;
		fresh[id++].used = true;
	}

	/* New rules in, entries retargeted or dropped, old rules out. */
	for (size_t i = 0; i < n; i++) {
		if (fresh[i].used &&
		    bpf_map_update_elem(m->rules, &fresh[i].key, &fresh[i].val, BPF_ANY)) {
			err = -errno;
			goto cleanup;
		}
	}
	err = hosts_follow_rules(m, 4, old, fresh, n);
	if (!err)
		err = hosts_follow_rules(m, 6, old, fresh, n);
	if (err)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		if (old[i].used && !rule_successor(fresh, n, &old[i]))
			bpf_map_delete_elem(m->rules, &old[i].key);
cleanup:
	free(old);
	free(fresh);
	return err;
}

int learning_sync(const struct bpfroute_maps *m, const struct config *cfg, const int *route_idx)
{
	struct bpfroute_conf conf;
	__u32 flags = conf_flags(cfg);
	int err;

	err = conf_read(m, &conf);
	if (!err)
		err = conf_key(&conf);
	if (err)
		return err;
	conf.min_ttl = cfg->min_ttl;
	conf.max_ttl = cfg->max_ttl;
	conf.idle_timeout = cfg->idle_timeout;
	conf.max_routes = cfg->max_routes;
	conf.max_client_flows = cfg->max_client_flows;
	conf.flags &= flags;	/* narrow first */
	err = conf_write(m, &conf);
	if (!err)
		err = resolvers_sync(m, cfg);
	if (!err)
		err = rules_sync(m, &conf, cfg, route_idx);
	if (err)
		return err;
	conf.flags = flags;	/* then widen */
	return conf_write(m, &conf);
}
