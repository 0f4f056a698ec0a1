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

	/* Bypass rules alone leave nothing to learn. */
	for (size_t i = 0; i < cfg->n_routes; i++)
		if (cfg->routes[i].kind == CONFIG_ROUTE_DOMAIN && !cfg->routes[i].bypass)
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
	val->ifindex = r->bypass ? 0 : ifindex;
	val->flags = r->bypass ? BPFROUTE_RULE_F_BYPASS : 0;
	val->id = id;
	val->clients = (__u8)r->clients;
	key->wildcard = r->wildcard;
	key->hash = dnsname_rule_hash(conf, val->name, (size_t)len);
	return 0;
}

static int rule_id_cmp(const void *a, const void *b)
{
	const struct learning_rule *x = a, *y = b;

	return x->val.id < y->val.id ? -1 : x->val.id > y->val.id;
}

/* The walk of old: a key, then its value, for kernels without batch lookups. */
static int rules_list_walk(int fd, struct learning_rule **rules, size_t *n, size_t *room)
{
	struct bpfroute_rule_key key, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (*n == *room) {
			struct learning_rule *grown;

			*room = *room ? 2 * *room : 1024;
			grown = realloc(*rules, *room * sizeof(**rules));
			if (!grown)
				return -ENOMEM;
			*rules = grown;
		}
		if (!bpf_map_lookup_elem(fd, &next, &(*rules)[*n].val)) {
			(*rules)[*n].key = next;
			(*rules)[*n].used = true;
			(*n)++;
		}
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

/*
 * In batches of this many: one system call a batch, where a walk takes two
 * an entry (200,000 rules: 0.1 s against a second or more).
 */
#define RULES_BATCH	4096

int learning_rules_list(const struct bpfroute_maps *m, struct learning_rule **rules, size_t *n)
{
	struct bpfroute_rule_key *keys = NULL;
	struct bpfroute_rule *vals = NULL;
	size_t room = 0;
	__u32 batch = 0;
	bool first = true;
	int err = 0;

	*rules = NULL;
	*n = 0;
	keys = malloc(RULES_BATCH * sizeof(*keys));
	vals = malloc(RULES_BATCH * sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		__u32 count = RULES_BATCH;
		struct learning_rule *grown;
		bool done;

		err = bpf_map_lookup_batch(m->rules, first ? NULL : &batch, &batch, keys, vals,
					   &count, NULL);
		if (err)
			err = -errno;
		done = err == -ENOENT;
		if (err && !done) {
			/*
			 * No batch operations (before Linux 5.6), or a bucket
			 * beyond the batch: walk instead, from the start.
			 */
			*n = 0;
			err = rules_list_walk(m->rules, rules, n, &room);
			break;
		}
		first = false;
		if (*n + count > room) {
			room = (*n + count) * 2;
			grown = realloc(*rules, room * sizeof(**rules));
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			*rules = grown;
		}
		for (__u32 i = 0; i < count; i++) {
			(*rules)[*n].key = keys[i];
			(*rules)[*n].val = vals[i];
			(*rules)[(*n)++].used = true;
		}
		if (done) {
			err = 0;
			break;
		}
	}
	if (!err && *n)
		qsort(*rules, *n, sizeof(**rules), rule_id_cmp);
cleanup:
	if (err) {
		free(*rules);
		*rules = NULL;
		*n = 0;
	}
	free(keys);
	free(vals);
	return err;
}

const struct learning_rule *learning_rule_by_id(const struct learning_rule *rules, size_t n,
						__u32 id)
{
	struct learning_rule want;

	want.val.id = id;
	if (!n || want.val.id != id)
		return NULL;
	return bsearch(&want, rules, n, sizeof(*rules), rule_id_cmp);
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
	return learning_rule_match_from(m, conf, wire, len, 0, rule, NULL);
}

int learning_rule_match_from(const struct bpfroute_maps *m, const struct bpfroute_conf *conf,
			     const __u8 *wire, size_t len, size_t from,
			     struct learning_rule *rule, size_t *at)
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
	for (size_t k = from; k < n; k++) {
		memset(rule, 0, sizeof(*rule));
		rule->key.hash = dnsname_rule_hash(conf, wire + starts[k], len - starts[k]);
		rule->key.wildcard = k != 0;
		err = rule_at(m, &rule->key, wire + starts[k], len - starts[k], &rule->val);
		if (!err) {
			rule->used = true;
			if (at)
				*at = k;
			return 0;
		}
		if (err != -ENOENT)
			return err;
	}
	return -ENOENT;
}

/*
 * The rules of a sync, found by name in O(1): an open-addressing index of
 * a rule array by its kernel key, which is already a keyed hash of the name.
 */
struct rule_index {
	const struct learning_rule *rules;
	__u32 *slot;		/* index + 1 into rules; 0: empty */
	size_t mask;
};

static int rule_index_build(struct rule_index *ix, const struct learning_rule *rules, size_t n)
{
	size_t size = 16;

	while (size < 2 * n)
		size <<= 1;
	ix->rules = rules;
	ix->mask = size - 1;
	ix->slot = calloc(size, sizeof(*ix->slot));
	if (!ix->slot)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t h = (size_t)(rules[i].key.hash ^ rules[i].key.wildcard) & ix->mask;

		while (ix->slot[h])
			h = (h + 1) & ix->mask;
		ix->slot[h] = (__u32)i + 1;
	}
	return 0;
}

static bool rule_same(const struct learning_rule *a, const struct learning_rule *b)
{
	return !memcmp(&a->key, &b->key, sizeof(a->key)) &&
	       a->val.name_len == b->val.name_len && a->val.name_len <= sizeof(a->val.name) &&
	       !memcmp(a->val.name, b->val.name, a->val.name_len);
}

/* The index of the rule with the same name and kind as r, or -1. */
static long rule_index_find(const struct rule_index *ix, const struct learning_rule *r)
{
	size_t h = (size_t)(r->key.hash ^ r->key.wildcard) & ix->mask;

	for (; ix->slot[h]; h = (h + 1) & ix->mask)
		if (rule_same(&ix->rules[ix->slot[h] - 1], r))
			return (long)ix->slot[h] - 1;
	return -1;
}

/*
 * Make the learned entries follow the rules, in place (the counters the
 * classifier adds meanwhile are kept): an entry whose rule id has
 * kill[id] set goes; one with to[id].set takes that target device and
 * client group. ids at or above n are left alone.
 */
/* Where a rule that stays now sends its entries. */
struct rule_move {
	__u32 ifindex;
	__u8 clients;
	__u8 set;
};

struct follow {
	const __u8 *kill;
	const struct rule_move *to;
	size_t n;
};

static void follow_one(struct hosttable *ht, struct bpfroute_host *s, __u32 st, void *ctx)
{
	const struct follow *f = ctx;
	__u32 rule = TABLE_READ(s->rule);

	if (rule >= f->n)
		return;
	if (f->kill && f->kill[rule]) {
		hosttable_kill(ht, s, st);	/* its rule is gone: so is the route */
	} else if (f->to && f->to[rule].set && (f->to[rule].ifindex != TABLE_READ(s->ifindex) ||
						 f->to[rule].clients != TABLE_READ(s->clients))) {
		s->ifindex = f->to[rule].ifindex;
		s->clients = f->to[rule].clients;
	}
}

static int hosts_follow_rules(const struct bpfroute_maps *m, int family, const __u8 *kill,
			      const struct rule_move *to, size_t n)
{
	struct follow f = { kill, to, n };

	return hosttable_each_live(m, family, follow_one, &f);
}

/*
 * After a bypass rule is added, the entries learned for the names it now
 * covers go too: learned under a wildcard route before the bypass (say
 * public.corp.example.com under *.corp.example.com), their rule stays and
 * keeps them. Each entry's question (bpfroute_names) is matched again
 * against the rules, now exactly the config's. An entry whose name is no
 * longer known is kept: it expires as ever.
 */
struct drop_bypassed {
	const struct bpfroute_maps *m;
	const struct bpfroute_conf *conf;
};

static void drop_one(struct hosttable *ht, struct bpfroute_host *s, __u32 st, void *ctx)
{
	const struct drop_bypassed *d = ctx;
	__u64 name_id = TABLE_READ(s->name_id);
	struct learning_rule best;
	struct bpfroute_name name;

	if (bpf_map_lookup_elem(d->m->names, &name_id, &name) || name.len > sizeof(name.name))
		return;
	if (!learning_rule_match(d->m, d->conf, name.name, name.len, &best) &&
	    (best.val.flags & BPFROUTE_RULE_F_BYPASS))
		hosttable_kill(ht, s, st);
}

static int hosts_drop_bypassed(const struct bpfroute_maps *m, const struct bpfroute_conf *conf,
			       int family)
{
	struct drop_bypassed d = { m, conf };

	return hosttable_each_live(m, family, drop_one, &d);
}

/* A new rule's id until it is given one: never a real id, ids stay below the map's size. */
#define RULE_ID_NONE	((typeof(((struct bpfroute_rule *)0)->id))-1)

/* Write n keys and values; one system call where the kernel batches. */
static int rules_write(int fd, const struct bpfroute_rule_key *keys,
		       const struct bpfroute_rule *vals, __u32 n)
{
	__u32 count = n;

	if (!n || !bpf_map_update_batch(fd, keys, vals, &count, NULL))
		return 0;
	/* No batch updates (before Linux 5.6), or a failure part way: one by one. */
	for (__u32 i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &keys[i], &vals[i], BPF_ANY))
			return -errno;
	return 0;
}

static void rules_delete(int fd, const struct bpfroute_rule_key *keys, __u32 n)
{
	__u32 count = n;

	if (!n || !bpf_map_delete_batch(fd, keys, &count, NULL))
		return;
	/* A key already gone stops a batch: the rest one by one. */
	for (__u32 i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &keys[i]);
}

/*
 * bpfroute_rules as the config says, in O(n) for n rules: the old rules
 * listed once, the new ones found among them by name through a hash index.
 *
 * A rule that stays keeps its id, and so its learned entries keep naming it;
 * new rules take the lowest free ids. At no moment is a rule that stays
 * missing from the map: it is never deleted, and rewritten (in place, by
 * the kernel's update) only if its device changed. The order:
 *   1. capacity: every new rule fits, counted before anything is written,
 *      so a sync that cannot finish changes nothing;
 *   2. removed rules out, then their learned entries (so no new rule can
 *      reuse an id whose entries are still there);
 *   3. new and retargeted rules in, in batches;
 *   4. the entries of retargeted rules moved to the new device and group (after the
 *      rule: a renewal racing this writes the new device already), those of
 *      a rule that became a bypass deleted;
 *   5. with a bypass new to the config, the entries of the names it now
 *      covers deleted (hosts_drop_bypassed()).
 */
static int rules_sync(const struct bpfroute_maps *m, const struct bpfroute_conf *conf,
		      const struct config *cfg, const int *route_idx)
{
	struct learning_rule *old = NULL, *fresh = NULL;
	struct bpfroute_rule_key *keys = NULL;
	struct bpfroute_rule *vals = NULL;
	size_t n_old = 0, n_fresh = 0, n_ids, next_id = 0;
	__u32 cap = map_max_entries(m->rules), n_write = 0, n_gone = 0;
	struct rule_index ix = {};
	__u8 *used = NULL, *kill = NULL;
	struct rule_move *to = NULL;
	bool moved = false, bypassed = false, bypass_new = false;
	int err;

	if (!cap)
		return -errno ? -errno : -EINVAL;
	err = learning_rules_list(m, &old, &n_old);
	if (err)
		return err;
	for (size_t i = 0; i < cfg->n_routes; i++)
		n_fresh += cfg->routes[i].kind == CONFIG_ROUTE_DOMAIN;
	if (n_fresh > cap) {
		err = -E2BIG;
		goto cleanup;
	}
	/* Ids below the map's size, and any an old rule holds. */
	n_ids = n_old ? (size_t)old[n_old - 1].val.id + 1 : 0;
	if (n_ids < cap)
		n_ids = cap;
	fresh = calloc(n_fresh + 1, sizeof(*fresh));
	keys = calloc(n_fresh + n_old + 1, sizeof(*keys));
	vals = calloc(n_fresh + 1, sizeof(*vals));
	used = calloc(n_ids, 1);
	kill = calloc(n_ids, 1);
	to = calloc(n_ids, sizeof(*to));
	if (!fresh || !keys || !vals || !used || !kill || !to) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = rule_index_build(&ix, old, n_old);
	if (err)
		goto cleanup;

	n_fresh = 0;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct config_route *r = &cfg->routes[i];
		struct learning_rule *f = &fresh[n_fresh];
		long o;

		if (r->kind != CONFIG_ROUTE_DOMAIN)
			continue;
		err = learning_rule_make(conf, r, 0, (__u32)route_idx[i], &f->key, &f->val);
		if (err)
			goto cleanup;
		o = rule_index_find(&ix, f);
		if (o >= 0 && !old[o].used)
			o = -1;		/* the same name twice: config.c refuses it */
		if (o >= 0) {
			bool was_bypass = old[o].val.flags & BPFROUTE_RULE_F_BYPASS;
			bool is_bypass = f->val.flags & BPFROUTE_RULE_F_BYPASS;

			f->val.id = old[o].val.id;
			used[f->val.id] = 1;
			old[o].used = false;	/* stays */
			/* To be written: its device, client group or kind changed. */
			f->used = old[o].val.ifindex != f->val.ifindex ||
				  old[o].val.clients != f->val.clients || was_bypass != is_bypass;
			if (is_bypass && !was_bypass) {
				bypass_new = bypassed = true;	/* its entries go, in 4 */
			} else if (f->used && !is_bypass) {
				to[f->val.id] = (struct rule_move){ f->val.ifindex, f->val.clients, 1 };
				moved = true;
			}
		} else {
			f->used = true;
			f->val.id = RULE_ID_NONE;	/* below */
			bypass_new |= (f->val.flags & BPFROUTE_RULE_F_BYPASS) != 0;
		}
		n_fresh++;
	}
	for (size_t i = 0; i < n_fresh; i++) {
		if (fresh[i].val.id != RULE_ID_NONE || !fresh[i].used)
			continue;
		while (next_id < n_ids && used[next_id])
			next_id++;
		if (next_id >= cap) {
			err = -E2BIG;	/* cannot happen: n_fresh <= cap */
			goto cleanup;
		}
		fresh[i].val.id = (typeof(fresh[i].val.id))next_id;
		used[next_id] = 1;
	}

	/* 2. Removed rules (those old[] still marks used), then their entries. */
	for (size_t i = 0; i < n_old; i++) {
		if (!old[i].used)
			continue;
		keys[n_gone++] = old[i].key;
		kill[old[i].val.id] = 1;
	}
	rules_delete(m->rules, keys, n_gone);
	if (n_gone) {
		err = hosts_follow_rules(m, 4, kill, NULL, n_ids);
		if (!err)
			err = hosts_follow_rules(m, 6, kill, NULL, n_ids);
		if (err)
			goto cleanup;
	}
	/* From here on kill[] names rules that became bypasses (a removed id may be reused). */
	memset(kill, 0, n_ids);
	for (size_t i = 0; i < n_fresh && bypassed; i++)
		if (fresh[i].used && (fresh[i].val.flags & BPFROUTE_RULE_F_BYPASS) &&
		    fresh[i].val.id != RULE_ID_NONE)
			kill[fresh[i].val.id] = 1;

	/* 3. New and retargeted rules. */
	for (size_t i = 0; i < n_fresh; i++) {
		if (!fresh[i].used)
			continue;
		keys[n_write] = fresh[i].key;
		vals[n_write++] = fresh[i].val;
	}
	err = rules_write(m->rules, keys, vals, n_write);
	if (err)
		goto cleanup;

	/* 4. The entries of retargeted rules, and of rules now bypasses. */
	if (moved || bypassed) {
		err = hosts_follow_rules(m, 4, bypassed ? kill : NULL, moved ? to : NULL, n_ids);
		if (!err)
			err = hosts_follow_rules(m, 6, bypassed ? kill : NULL, moved ? to : NULL,
						 n_ids);
	}
	/* 5. The names a new bypass covers, learned under a wider rule. */
	if (!err && bypass_new) {
		err = hosts_drop_bypassed(m, conf, 4);
		if (!err)
			err = hosts_drop_bypassed(m, conf, 6);
	}
cleanup:
	free(ix.slot);
	free(old);
	free(fresh);
	free(keys);
	free(vals);
	free(used);
	free(kill);
	free(to);
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
