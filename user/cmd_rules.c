// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `bpfroute rules`: the domain rules of the loaded config as the kernel holds
 * them (bpfroute_rules), by id, each with its target and the
 * learned entries it brought in, per family: one walk over the learned
 * tables for all of them. A bypass rule shows `bypass` for its device.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients.h"
#include "cmd.h"
#include "json.h"
#include "learned.h"
#include "learning.h"
#include "log.h"
#include "maps.h"
#include "pindir.h"
#include "targets.h"

struct rules_view {
	const struct bpfroute_maps *m;
	const struct learning_rule *rules;	/* sorted by id */
	size_t n;
	__u32 (*counts)[2];			/* by id: IPv4, IPv6 entries */
	const struct target_set *targets;
};

static bool rule_masqueraded(const struct rules_view *v, __u32 ifindex)
{
	const struct target_entry *t = targets_find(v->targets, ifindex);

	return t && (t->val.flags & BPFROUTE_TARGET_F_MASQ);
}

static bool rule_bypass(const struct learning_rule *r)
{
	return r->val.flags & BPFROUTE_RULE_F_BYPASS;
}

/* The DEV column: the target, or `bypass` for a rule that has none. */
static const char *rule_dev(const struct learning_rule *r, char *dev)
{
	return rule_bypass(r) ? "bypass" : cmd_dev_name(r->val.ifindex, dev);
}

static const char *rule_text(const struct learning_rule *r, char *buf, size_t len)
{
	if (learning_rule_text(r, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

static void print_rules_json(const struct rules_view *v)
{
	char name[LEARNED_TEXT_MAX], dev[IF_NAMESIZE], cli[BPFROUTE_CLIENTS_NAME_MAX + 4];
	struct json j;

	json_init(&j, stdout);
	json_array_begin(&j);
	for (size_t i = 0; i < v->n; i++) {
		const struct learning_rule *r = &v->rules[i];
		__u32 id = r->val.id;

		json_object_begin(&j);
		json_kv_string(&j, "rule", rule_text(r, name, sizeof(name)));
		json_kv_u64(&j, "id", id);
		json_key(&j, "wildcard");
		json_bool(&j, r->key.wildcard);
		json_key(&j, "bypass");
		json_bool(&j, rule_bypass(r));
		json_kv_string(&j, "dev", rule_bypass(r) ? "" : cmd_dev_name(r->val.ifindex, dev));
		json_kv_u64(&j, "ifindex", r->val.ifindex);
		json_key(&j, "masquerade");
		json_bool(&j, rule_masqueraded(v, r->val.ifindex));
		json_kv_string(&j, "clients", clients_name(v->m, r->val.clients, cli, sizeof(cli)));
		json_kv_u64(&j, "learned4", v->counts[id][0]);
		json_kv_u64(&j, "learned6", v->counts[id][1]);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_done(&j);
}

static void print_rules(const struct rules_view *v)
{
	char name[LEARNED_TEXT_MAX], dev[IF_NAMESIZE], cli[BPFROUTE_CLIENTS_NAME_MAX + 4];

	printf("%-5s %-40s %-15s %-4s %-10s %10s %10s\n", "ID", "RULE", "DEV", "MASQ", "CLIENTS",
	       "LEARNED4", "LEARNED6");
	for (size_t i = 0; i < v->n; i++) {
		const struct learning_rule *r = &v->rules[i];
		__u32 id = r->val.id;

		printf("%-5u %-40s %-15s %-4s %-10s %10u %10u\n", id,
		       rule_text(r, name, sizeof(name)), rule_dev(r, dev),
		       rule_bypass(r) ? "-" : rule_masqueraded(v, r->val.ifindex) ? "yes" : "no",
		       clients_name(v->m, r->val.clients, cli, sizeof(cli)), v->counts[id][0],
		       v->counts[id][1]);
	}
}

int cmd_rules(const struct cli *cli, int argc, char **argv)
{
	struct target_set targets = {};
	struct learning_rule *rules = NULL;
	struct bpfroute_maps m = {};
	__u32 (*counts)[2] = NULL;
	size_t n = 0, n_ids;
	bool json = cli->json;
	struct pindir pd;
	int err;

	err = cmd_parse_opts_only("rules", argc, argv, &json, NULL);
	if (err)
		return err;
	err = cmd_open_instance(cli, &pd, &m);
	if (err)
		return err;
	err = learning_rules_list(&m, &rules, &n);
	n_ids = n ? (size_t)rules[n - 1].val.id + 1 : 1;
	if (!err && !(counts = calloc(n_ids, sizeof(*counts))))
		err = -ENOMEM;
	if (!err)
		err = learned_count_by_rule(&m, counts, n_ids);
	if (!err)
		err = targets_read(&m, &targets);
	if (err) {
		pr_err("reading the rules: %s\n", strerror(-err));
	} else {
		struct rules_view v = { &m, rules, n, counts, &targets };

		if (json)
			print_rules_json(&v);
		else
			print_rules(&v);
	}
	free(rules);
	free(counts);
	targets_free(&targets);
	maps_close(&m);
	pindir_close(&pd);
	return err;
}
