// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `bpfroute why ADDRESS|NAME`: what the datapath does with a packet from the
 * LAN to an address (from a given source: `why ADDRESS from SOURCE`), and why, read from the pinned state in the classifier's
 * own order (bpf/bpfroute_tc.bpf.c, bpf/lookup.h); for a name, the rule it
 * falls under and the addresses learned for it now. Every decision is made
 * by the functions the datapath's user-space side shares with it (the
 * learned tables, the policy, the rule keys), never by a copy.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "clients.h"
#include "cmd.h"
#include "config.h"
#include "dnsname.h"
#include "excl.h"
#include "hosts.h"
#include "json.h"
#include "learned.h"
#include "learning.h"
#include "log.h"
#include "maps.h"
#include "netdev.h"
#include "pindir.h"
#include "routes.h"
#include "targets.h"

/* What the classifier decides for a destination, in its order. */
enum why_verdict {
	WHY_LEARNED,	/* a live learned entry steers it */
	WHY_SPECIAL,	/* never forwarded (bpfroute_policy.h) */
	WHY_EXCLUDED,	/* bpfroute_excl4/6: the gateway's own, a tunnel endpoint */
	WHY_PREFIX,	/* the longest configured or added prefix steers it */
	WHY_BYPASS,	/* the longest prefix is a bypass: the ordinary path */
	WHY_EXPIRED,	/* only a learned entry past its life and idle: a miss */
	WHY_NO_ENTRY,	/* nothing covers it */
	WHY_NOT_CLIENT,	/* an entry of a client group steers it, but not from this source */
};

static const char *const verdict_names[] = {
	[WHY_LEARNED] = "learned",	[WHY_SPECIAL] = "special",
	[WHY_EXCLUDED] = "excluded",	[WHY_PREFIX] = "prefix",
	[WHY_EXPIRED] = "expired",	[WHY_NO_ENTRY] = "no_entry",
	[WHY_BYPASS] = "bypass",
	[WHY_NOT_CLIENT] = "not_client",
};

/* A target device as a steered packet meets it. */
struct why_target {
	__u32 ifindex;
	char dev[IF_NAMESIZE];
	const char *state;	/* "up", "down" or "missing" */
	bool masquerade;
	bool xdp;
	bool down;		/* BPFROUTE_TARGET_F_DOWN: the datapath's view */
	bool strict;		/* not BPFROUTE_TARGET_F_FALLBACK */
};

struct why_addr {
	int family;			/* AF_INET or AF_INET6 */
	__u8 addr[16];			/* network order */
	char text[INET6_ADDRSTRLEN];
	__u32 now;			/* the datapath's clock, seconds */
	__u32 idle_timeout;		/* bpfroute_conf's */
	enum why_verdict verdict;
	bool has_host;			/* a learned entry, live or not */
	bool host_dead;			/* ... expired and idle: a miss */
	struct bpfroute_host host;
	bool has_route;			/* the longest prefix covering it */
	struct route_entry route;
	bool special;
	bool excluded;
	struct bpfroute_excl excl;
	bool resolver;			/* a trusted resolver: never learned */
	struct why_target target;	/* of the entry that steers it */
	__u8 clients;			/* that entry's client group; 0: every client */
	char clients_name[BPFROUTE_CLIENTS_NAME_MAX + 4];
	bool has_from;			/* `from SOURCE` given */
	__u8 from[16];			/* network order, of family */
	char from_text[INET6_ADDRSTRLEN];
};

static void target_describe_ifindex(const struct target_set *targets, __u32 ifindex,
				    struct why_target *t)
{
	const struct target_entry *e = targets_find(targets, ifindex);
	bool up = false;

	memset(t, 0, sizeof(*t));
	t->ifindex = ifindex;
	if (!if_indextoname(ifindex, t->dev)) {
		snprintf(t->dev, sizeof(t->dev), "#%u", ifindex);
		t->state = "missing";
	} else {
		t->state = netdev_up(t->dev, &up) ? "missing" : up ? "up" : "down";
	}
	t->masquerade = e && (e->val.flags & BPFROUTE_TARGET_F_MASQ);
	t->xdp = e && (e->val.flags & BPFROUTE_TARGET_F_XDP);
	t->down = e && (e->val.flags & BPFROUTE_TARGET_F_DOWN);
	t->strict = !e || !(e->val.flags & BPFROUTE_TARGET_F_FALLBACK);
}

/* The learned entry of the address, as the classifier looks it up. */
static int why_host(const struct bpfroute_maps *m, const struct bpfroute_conf *conf,
		    struct why_addr *w)
{
	struct bpfroute_host *s;
	struct hosttable ht;
	__u8 key[16] = {};
	int err;

	err = hosttable_open(m, w->family == AF_INET ? 4 : 6, &ht);
	if (err)
		return err;
	memcpy(key, w->addr, w->family == AF_INET ? 4 : 16);
	s = hosttable_lookup(&ht, conf, key);
	if (s) {
		w->host = *s;
		w->has_host = true;
		w->host_dead = hosts_dead(&w->host, w->now, conf->idle_timeout);
	}
	hosttable_close(&ht);
	return 0;
}

static int why_address(const struct bpfroute_maps *m, const struct target_set *targets,
		       struct why_addr *w)
{
	struct bpfroute_resolver_key rkey = { .family = w->family == AF_INET ? 4 : 6 };
	struct route_entry *entries = NULL;
	const struct route_entry *e;
	struct bpfroute_conf conf;
	size_t count = 0;
	__u32 zero = 0, one;
	int fam = w->family == AF_INET ? 4 : 6, err;

	if (bpf_map_lookup_elem(m->conf, &zero, &conf))
		return -errno;
	w->now = hosts_seconds(hosts_now_ns());
	w->idle_timeout = conf.idle_timeout;
	err = why_host(m, &conf, w);
	if (err)
		return err;
	err = routes_list(m, &entries, &count);
	if (err)
		return err;
	/* The tries only where bpfroute_pfxsum lets the classifier look. */
	e = routes_summary_covers(m, w->family, w->addr) ?
		    routes_longest(entries, count, w->family, w->addr) : NULL;
	if (e) {
		w->route = *e;
		w->has_route = true;
	}
	free(entries);
	w->special = hosts_addr_special(fam, w->addr);
	err = excl_lookup(m, fam, w->addr, &w->excl);
	if (err && err != -ENOENT)
		return err;
	w->excluded = !err;
	memcpy(rkey.addr, w->addr, sizeof(w->addr));
	w->resolver = !bpf_map_lookup_elem(m->resolvers, &rkey, &one);

	/*
	 * bpf/lookup.h: a live learned entry first, and its destination is not
	 * checked again (the learner never learns one that is special,
	 * excluded or bypassed); then a prefix: a bypass passes the packet
	 * before anything else is checked, and a route's destination must be
	 * neither special nor excluded.
	 */
	if (w->has_host && !w->host_dead)
		w->verdict = WHY_LEARNED;
	else if (w->has_route && (w->route.route.flags & BPFROUTE_ROUTE_F_BYPASS))
		w->verdict = WHY_BYPASS;
	else if (w->special)
		w->verdict = WHY_SPECIAL;
	else if (w->excluded)
		w->verdict = WHY_EXCLUDED;
	else if (w->has_route)
		w->verdict = WHY_PREFIX;
	else if (w->has_host)
		w->verdict = WHY_EXPIRED;
	else
		w->verdict = WHY_NO_ENTRY;
	if (w->verdict == WHY_LEARNED) {
		target_describe_ifindex(targets, w->host.ifindex, &w->target);
		w->clients = w->host.clients;
	} else if (w->verdict == WHY_PREFIX) {
		target_describe_ifindex(targets, w->route.route.ifindex, &w->target);
		w->clients = w->route.route.clients;
	}
	clients_name(m, w->clients, w->clients_name, sizeof(w->clients_name));
	/* bpf/lookup.h client_steered(): after a hit, the source's groups. */
	if (w->clients && w->has_from) {
		__u64 mask;

		err = clients_of(m, fam, w->from, &mask);
		if (err && err != -ENOENT)
			return err;
		if (w->clients > BPFROUTE_MAX_CLIENT_GROUPS || !((mask >> (w->clients - 1)) & 1))
			w->verdict = WHY_NOT_CLIENT;
	}
	return 0;
}

/* Seconds a learned entry past its expiry may still go unused before it is a miss. */
static long long idle_left(const struct why_addr *w)
{
	return (long long)w->idle_timeout - ((long long)w->now - hosts_since(&w->host));
}

/* A name looked up by learned_name() or learned_rule(): null where it is unknown ("?"). */
static void json_kv_known(struct json *j, const char *key, const char *text)
{
	if (strcmp(text, "?")) {
		json_kv_string(j, key, text);
		return;
	}
	json_key(j, key);
	json_null(j);
}

static void json_host(struct json *j, const struct bpfroute_maps *m, const struct why_addr *w,
		      struct learned_rules *rules)
{
	char name[LEARNED_TEXT_MAX], dev[IF_NAMESIZE];
	const struct bpfroute_host *h = &w->host;

	json_key(j, "learned");
	if (!w->has_host) {
		json_null(j);
		return;
	}
	json_object_begin(j);
	json_kv_known(j, "question", learned_name(m, h->name_id, name));
	json_kv_known(j, "rule", learned_rule(rules, h->rule));
	json_kv_u64(j, "rule_id", h->rule);
	json_key(j, "expires_in");
	json_s64(j, (long long)h->expires - w->now);
	json_key(j, "expired");
	json_bool(j, hosts_expired(h, w->now));
	json_key(j, "steers");
	json_bool(j, !w->host_dead);
	json_kv_u64(j, "idle_timeout", w->idle_timeout);
	json_key(j, "last_use_ago");
	json_s64(j, (long long)w->now - h->last_used);
	json_kv_string(j, "dev", cmd_dev_name(h->ifindex, dev));
	json_kv_u64(j, "ifindex", h->ifindex);
	json_kv_u64(j, "packets", h->packets);
	json_kv_u64(j, "bytes", h->bytes);
	json_object_end(j);
}

static void json_address(const struct bpfroute_maps *m, const struct why_addr *w,
			 struct learned_rules *rules)
{
	char pfx[PREFIX_STRLEN], dev[IF_NAMESIZE];
	const struct why_target *t = &w->target;
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_kv_string(&j, "address", w->text);
	json_kv_u64(&j, "family", w->family == AF_INET ? 4 : 6);
	json_key(&j, "steered");
	json_bool(&j, w->verdict == WHY_LEARNED || w->verdict == WHY_PREFIX);
	json_kv_string(&j, "verdict", verdict_names[w->verdict]);
	json_kv_string(&j, "clients", w->clients_name);
	json_key(&j, "from");
	if (w->has_from)
		json_string(&j, w->from_text);
	else
		json_null(&j);
	json_host(&j, m, w, rules);
	json_key(&j, "prefix");
	if (w->has_route) {
		json_object_begin(&j);
		json_kv_string(&j, "prefix", prefix_format(&w->route.prefix, pfx, sizeof(pfx)));
		json_kv_string(&j, "origin", route_origin_name(w->route.route.origin));
		json_key(&j, "bypass");
		json_bool(&j, w->route.route.flags & BPFROUTE_ROUTE_F_BYPASS);
		json_kv_string(&j, "dev", w->route.route.flags & BPFROUTE_ROUTE_F_BYPASS ? "" :
				   cmd_dev_name(w->route.route.ifindex, dev));
		json_kv_u64(&j, "ifindex", w->route.route.ifindex);
		json_kv_u64(&j, "packets", w->route.route.packets);
		json_kv_u64(&j, "bytes", w->route.route.bytes);
		json_object_end(&j);
	} else {
		json_null(&j);
	}
	json_key(&j, "special");
	json_bool(&j, w->special);
	json_key(&j, "excluded");
	if (w->excluded) {
		json_object_begin(&j);
		json_kv_string(&j, "reason", w->excl.reason == BPFROUTE_EXCL_LOCAL ? "local" :
				   w->excl.reason == BPFROUTE_EXCL_ENDPOINT ? "endpoint" : "other");
		json_kv_string(&j, "dev", cmd_dev_name(w->excl.ifindex, dev));
		json_kv_u64(&j, "ifindex", w->excl.ifindex);
		json_object_end(&j);
	} else {
		json_null(&j);
	}
	json_key(&j, "resolver");
	json_bool(&j, w->resolver);
	json_key(&j, "target");
	if (w->verdict == WHY_LEARNED || w->verdict == WHY_PREFIX || w->verdict == WHY_NOT_CLIENT) {
		json_object_begin(&j);
		json_kv_string(&j, "dev", t->dev);
		json_kv_u64(&j, "ifindex", t->ifindex);
		json_kv_string(&j, "state", t->state);
		json_key(&j, "masquerade");
		json_bool(&j, t->masquerade);
		json_key(&j, "xdp");
		json_bool(&j, t->xdp);
		json_key(&j, "down");
		json_bool(&j, t->down);
		json_key(&j, "strict");
		json_bool(&j, t->strict);
		json_object_end(&j);
	} else {
		json_null(&j);
	}
	json_object_end(&j);
	json_done(&j);
}

/* A learned entry's lines: the question, the rule, time and traffic. */
static void print_host(const struct bpfroute_maps *m, const struct why_addr *w,
		       struct learned_rules *rules)
{
	const struct bpfroute_host *h = &w->host;
	long long in = (long long)h->expires - w->now;
	char name[LEARNED_TEXT_MAX];

	printf("  question:  %s\n", learned_name(m, h->name_id, name));
	printf("  rule:      %s (id %u)\n", learned_rule(rules, h->rule), h->rule);
	if (in >= 0)
		printf("  expires:   in %llds\n", in);
	else if (!w->host_dead)
		printf("  expires:   expired %llds ago; steers while used, a miss after %llds "
		       "more without a packet\n", -in, idle_left(w));
	else
		printf("  expires:   expired %llds ago, and unused for longer than its idle "
		       "timeout (%us): a miss, until the agent removes it\n", -in, w->idle_timeout);
	printf("  last use:  %llds ago\n", (long long)w->now - h->last_used);
	printf("  traffic:   %llu packets, %llu bytes\n", (unsigned long long)h->packets,
	       (unsigned long long)h->bytes);
}

/*
 * The target, and what happens to the packets while it is down: as the
 * datapath has it (BPFROUTE_TARGET_F_DOWN), and where that lags behind the
 * device (no agent has seen the change yet).
 */
static void print_target(const struct why_target *t)
{
	bool live_down = strcmp(t->state, "up") != 0;

	printf("  target:    %s (ifindex %u), %s, %s%s, %s\n", t->dev, t->ifindex, t->state,
	       t->masquerade ? "masquerade" : "routed", t->xdp ? ", forwarded in XDP" : "",
	       t->strict ? "strict" : "strict no");
	if (t->down && t->strict)
		printf("  down:      its packets are dropped and counted (drop_target_down), "
		       "never leaked: strict\n");
	else if (t->down)
		printf("  down:      its packets take the gateway's ordinary path "
		       "(pass_target_down): strict no\n");
	if (live_down && !t->down)
		printf("  down:      the datapath has not seen it yet (no agent running?): packets "
		       "are redirected into it and dropped by the kernel, uncounted%s\n",
		       t->strict ? "" : "; strict no falls back once the agent or a load sees it");
	else if (!live_down && t->down)
		printf("  up:        the datapath has not seen it yet (no agent running?): "
		       "it does once the agent or a load does\n");
}

static void print_address(const struct bpfroute_maps *m, const struct why_addr *w,
			  struct learned_rules *rules)
{
	char pfx[PREFIX_STRLEN], dev[IF_NAMESIZE];
	const struct route_entry *r = &w->route;

	switch (w->verdict) {
	case WHY_LEARNED:
		printf("%s: steered by a learned entry\n", w->text);
		print_host(m, w, rules);
		print_target(&w->target);
		break;
	case WHY_PREFIX:
		printf("%s: steered by the prefix %s (%s)\n", w->text,
		       prefix_format(&r->prefix, pfx, sizeof(pfx)),
		       route_origin_name(r->route.origin));
		printf("  traffic:   %llu packets, %llu bytes (of the prefix)\n",
		       (unsigned long long)r->route.packets, (unsigned long long)r->route.bytes);
		print_target(&w->target);
		break;
	case WHY_BYPASS:
		printf("%s: not steered: inside the bypass %s (%s): the ordinary path; "
		       "never learned either\n", w->text,
		       prefix_format(&r->prefix, pfx, sizeof(pfx)),
		       route_origin_name(r->route.origin));
		printf("  traffic:   %llu packets, %llu bytes (of the bypass)\n",
		       (unsigned long long)r->route.packets, (unsigned long long)r->route.bytes);
		break;
	case WHY_SPECIAL:
		printf("%s: not steered: a special address, never forwarded (multicast, "
		       "broadcast, loopback, link-local, unspecified or reserved)\n", w->text);
		break;
	case WHY_EXCLUDED:
		printf("%s: not steered: excluded, %s (%s)\n", w->text,
		       excl_reason_text(w->excl.reason), cmd_dev_name(w->excl.ifindex, dev));
		break;
	case WHY_EXPIRED:
		printf("%s: not steered: its learned entry expired and is idle\n", w->text);
		print_host(m, w, rules);
		break;
	case WHY_NO_ENTRY:
		printf("%s: not steered: no learned entry and no prefix covers it\n", w->text);
		break;
	case WHY_NOT_CLIENT:
		printf("%s: not steered from %s: its %s is for client group %s, which does "
		       "not hold %s\n", w->text, w->from_text,
		       w->has_host && !w->host_dead ? "learned entry" : "prefix", w->clients_name,
		       w->from_text);
		break;
	}
	if (w->clients && w->verdict != WHY_NOT_CLIENT && w->has_from)
		printf("  clients:   group %s only, which holds %s; other sources take the "
		       "ordinary path\n", w->clients_name, w->from_text);
	else if (w->clients && w->verdict != WHY_NOT_CLIENT)
		printf("  clients:   group %s only; other sources take the ordinary path "
		       "('from SOURCE' tells)\n", w->clients_name);
	/* What is there but does not decide. */
	if (w->verdict != WHY_PREFIX && w->verdict != WHY_BYPASS && w->verdict != WHY_NOT_CLIENT &&
	    w->has_route)
		printf("  prefix:    %s dev %s (%s), covers it but does not decide\n",
		       prefix_format(&r->prefix, pfx, sizeof(pfx)),
		       cmd_dev_name(r->route.ifindex, dev), route_origin_name(r->route.origin));
	if ((w->verdict == WHY_PREFIX || w->verdict == WHY_BYPASS) && w->has_host)
		printf("  learned:   an entry expired and idle, which does not decide\n");
	if (w->resolver)
		printf("  resolver:  a trusted resolver: never learned from answers\n");
}

/* A learned entry of a name, for listing. */
static int learned_cmp(const void *a, const void *b)
{
	const struct learned_entry *x = a, *y = b;

	if (x->prefix.family != y->prefix.family)
		return x->prefix.family == AF_INET ? -1 : 1;
	return memcmp(x->prefix.addr, y->prefix.addr, sizeof(x->prefix.addr));
}

struct why_name {
	const char *text;		/* as given */
	char name[CONFIG_DOMAIN_MAX];	/* lower case, no trailing dot */
	__u8 wire[BPFROUTE_DNS_NAME_MAX];
	int wire_len;
	struct learning_rule rule;	/* .used: a rule covers it */
	char rule_text[LEARNED_TEXT_MAX];
	struct learning_rule over;	/* .used: the rule a bypass wins over */
	char over_text[LEARNED_TEXT_MAX];
	struct learned_entry *learned;	/* entries of the question, sorted */
	size_t n_learned;
	__u32 now;
	__u32 idle_timeout;		/* bpfroute_conf's */
};

static int why_name(const struct bpfroute_maps *m, struct why_name *n)
{
	struct bpfroute_conf conf;
	__u32 zero = 0;
	size_t at = 0;
	__u64 id;
	int err;

	if (bpf_map_lookup_elem(m->conf, &zero, &conf))
		return -errno;
	n->now = hosts_seconds(hosts_now_ns());
	n->idle_timeout = conf.idle_timeout;
	err = learning_rule_match_from(m, &conf, n->wire, (size_t)n->wire_len, 0, &n->rule, &at);
	if (err && err != -ENOENT)
		return err;
	if (!err && learning_rule_text(&n->rule, n->rule_text, sizeof(n->rule_text)))
		snprintf(n->rule_text, sizeof(n->rule_text), "?");
	/* A bypass: the less specific rule it keeps the name from, if any. */
	if (!err && (n->rule.val.flags & BPFROUTE_RULE_F_BYPASS)) {
		err = learning_rule_match_from(m, &conf, n->wire, (size_t)n->wire_len, at + 1,
					       &n->over, NULL);
		if (err && err != -ENOENT)
			return err;
		if (!err && learning_rule_text(&n->over, n->over_text, sizeof(n->over_text)))
			snprintf(n->over_text, sizeof(n->over_text), "?");
	}
	/* Learned entries carry the keyed hash of their question (bpf/dns_answer.h). */
	id = dnsname_hash(&conf, n->wire, (size_t)n->wire_len);
	err = learned_list_name(m, id, &n->learned, &n->n_learned);
	if (err)
		return err;
	qsort(n->learned, n->n_learned, sizeof(*n->learned), learned_cmp);
	return 0;
}

static void json_name(const struct why_name *n, const struct target_set *targets,
		      struct learned_rules *rules)
{
	char addr[INET6_ADDRSTRLEN], dev[IF_NAMESIZE];
	const struct target_entry *t;
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_kv_string(&j, "name", n->name);
	json_key(&j, "rule");
	if (n->rule.used) {
		t = targets_find(targets, n->rule.val.ifindex);
		json_object_begin(&j);
		bool bypass = n->rule.val.flags & BPFROUTE_RULE_F_BYPASS;

		json_kv_string(&j, "rule", n->rule_text);
		json_kv_u64(&j, "id", n->rule.val.id);
		json_key(&j, "bypass");
		json_bool(&j, bypass);
		json_key(&j, "overrides");
		if (n->over.used)
			json_string(&j, n->over_text);
		else
			json_null(&j);
		json_kv_string(&j, "dev", bypass ? "" : cmd_dev_name(n->rule.val.ifindex, dev));
		json_kv_u64(&j, "ifindex", n->rule.val.ifindex);
		json_key(&j, "masquerade");
		json_bool(&j, t && (t->val.flags & BPFROUTE_TARGET_F_MASQ));
		json_object_end(&j);
	} else {
		json_null(&j);
	}
	json_key(&j, "learned");
	json_array_begin(&j);
	for (size_t i = 0; i < n->n_learned; i++) {
		const struct bpfroute_host *h = &n->learned[i].host;

		inet_ntop(n->learned[i].prefix.family, h->addr, addr, sizeof(addr));
		json_object_begin(&j);
		json_kv_string(&j, "address", addr);
		json_kv_string(&j, "dev", cmd_dev_name(h->ifindex, dev));
		json_kv_u64(&j, "ifindex", h->ifindex);
		json_kv_known(&j, "rule", learned_rule(rules, h->rule));
		json_key(&j, "expires_in");
		json_s64(&j, (long long)h->expires - n->now);
		json_key(&j, "steers");
		json_bool(&j, !hosts_dead(h, n->now, n->idle_timeout));
		json_kv_u64(&j, "packets", h->packets);
		json_kv_u64(&j, "bytes", h->bytes);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_done(&j);
}

static void print_name(const struct why_name *n, const struct target_set *targets)
{
	char addr[INET6_ADDRSTRLEN], dev[IF_NAMESIZE];
	const struct target_entry *t;

	printf("%s:\n", n->name);
	if (n->rule.used && (n->rule.val.flags & BPFROUTE_RULE_F_BYPASS)) {
		printf("  rule:      bypass %s (id %u)%s%s: answers for it are not learned, "
		       "it stays on the ordinary path\n", n->rule_text, n->rule.val.id,
		       n->over.used ? ", the most specific, wins over " : "",
		       n->over.used ? n->over_text : "");
	} else if (n->rule.used) {
		t = targets_find(targets, n->rule.val.ifindex);
		printf("  rule:      %s (id %u) to %s, %s\n", n->rule_text, n->rule.val.id,
		       cmd_dev_name(n->rule.val.ifindex, dev),
		       t && (t->val.flags & BPFROUTE_TARGET_F_MASQ) ? "masquerade" : "routed");
	} else {
		printf("  rule:      none: answers for it are not learned\n");
	}
	if (!n->n_learned)
		printf("  learned:   none\n");
	for (size_t i = 0; i < n->n_learned; i++) {
		const struct bpfroute_host *h = &n->learned[i].host;
		long long in = (long long)h->expires - n->now;

		inet_ntop(n->learned[i].prefix.family, h->addr, addr, sizeof(addr));
		printf("  %-10s %s to %s, ", i ? "" : "learned:", addr,
		       cmd_dev_name(h->ifindex, dev));
		if (in >= 0)
			printf("expires in %llds\n", in);
		else
			printf("expired %llds ago%s\n", -in,
			       hosts_dead(h, n->now, n->idle_timeout) ? ", idle: a miss" : ", steers while used");
	}
}

/* What the operand is: an address (4 or 16 bytes into w) or a name (into n). */
static int parse_operand(const char *arg, struct why_addr *w, struct why_name *n)
{
	char why[128];
	bool wildcard;

	if (config_word_is_prefix(arg)) {
		if (strchr(arg, '/')) {
			cmd_bad_usage("why", "%s is a prefix: give an address or a name", arg);
			return -EINVAL;
		}
		w->family = strchr(arg, ':') ? AF_INET6 : AF_INET;
		if (inet_pton(w->family, arg, w->addr) != 1) {
			cmd_bad_usage("why", "'%s' is not an IPv4 or IPv6 address", arg);
			return -EINVAL;
		}
		inet_ntop(w->family, w->addr, w->text, sizeof(w->text));
		return 0;
	}
	if (config_domain_parse(arg, n->name, &wildcard, why, sizeof(why))) {
		cmd_bad_usage("why", "'%s' is neither an address nor a name: %s", arg, why);
		return -EINVAL;
	}
	if (wildcard) {
		cmd_bad_usage("why", "%s is a rule, not a name: 'bpfroute rules' lists them", arg);
		return -EINVAL;
	}
	n->text = arg;
	n->wire_len = dnsname_to_wire(n->name, n->wire, sizeof(n->wire));
	if (n->wire_len < 0) {
		cmd_bad_usage("why", "'%s' is not a name", arg);
		return -EINVAL;
	}
	return 0;
}

int cmd_why(const struct cli *cli, int argc, char **argv)
{
	struct learned_rules *rules = NULL;
	struct target_set targets = {};
	struct bpfroute_maps m = {};
	struct why_addr w = {};
	struct why_name n = {};
	bool json = cli->json;
	struct pindir pd;
	int idx, rest, err;

	idx = cmd_parse_opts("why", argc, argv, &json, NULL);
	if (idx < 0)
		return idx;
	if (idx >= argc) {
		cmd_bad_usage("why", "expected an ADDRESS or a NAME");
		return -EINVAL;
	}
	err = parse_operand(argv[idx], &w, &n);
	if (err)
		return err;
	/* Options after the operand too (`why ADDRESS -j`): argv[idx] stands for the command. */
	rest = cmd_parse_opts("why", argc - idx, argv + idx, &json, NULL);
	if (rest < 0)
		return rest;
	idx += rest;
	/* `from SOURCE`: would a packet from this client be steered? */
	if (idx < argc && w.family && !strcmp(argv[idx], "from")) {
		if (idx + 1 >= argc) {
			cmd_bad_usage("why", "from: expected a source address");
			return -EINVAL;
		}
		if (inet_pton(w.family, argv[idx + 1], w.from) != 1) {
			cmd_bad_usage("why", "from: '%s' is not an IPv%c address, as %s is",
				      argv[idx + 1], w.family == AF_INET ? '4' : '6', w.text);
			return -EINVAL;
		}
		inet_ntop(w.family, w.from, w.from_text, sizeof(w.from_text));
		w.has_from = true;
		idx += 1;
		rest = cmd_parse_opts("why", argc - idx, argv + idx, &json, NULL);
		if (rest < 0)
			return rest;
		idx += rest;
	}
	if (idx < argc) {
		cmd_bad_usage("why", "unexpected argument '%s'", argv[idx]);
		return -EINVAL;
	}
	err = cmd_open_instance(cli, &pd, &m);
	if (err)
		return err;
	err = targets_read(&m, &targets);
	if (!err && !(rules = learned_rules_text(&m)))
		err = -ENOMEM;
	if (!err)
		err = w.family ? why_address(&m, &targets, &w) : why_name(&m, &n);
	if (err) {
		pr_err("reading the pinned state: %s\n", strerror(-err));
	} else if (w.family) {
		if (json)
			json_address(&m, &w, rules);
		else
			print_address(&m, &w, rules);
	} else {
		if (json)
			json_name(&n, &targets, rules);
		else
			print_name(&n, &targets);
	}
	free(n.learned);
	free(rules);
	targets_free(&targets);
	maps_close(&m);
	pindir_close(&pd);
	return err;
}
