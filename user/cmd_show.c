// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `bpfroute status` and `bpfroute routes`: read-only views of an instance. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "agentrec.h"
#include "clients.h"
#include "cmd.h"
#include "json.h"
#include "layout.h"
#include "learned.h"
#include "log.h"
#include "maps.h"
#include "pindir.h"
#include "routes.h"
#include "targets.h"
#include "tc.h"
#include "version.h"
#include "xdp.h"

/*
 * Open a loaded instance. The lock (shared for reading) waits for a load or
 * unload in progress, so what is shown is never half of one; the layout is
 * compared before any map is used.
 */
int cmd_open(const struct cli *cli, bool exclusive, struct pindir *pd, struct bpfroute_maps *m,
	     struct layout_state *layout)
{
	struct layout_state st;
	int err;

	err = pindir_open(pd, cli->pin_dir, exclusive);
	if (err)
		goto fail;
	err = layout_check(pd, &st);
	if (err) {
		pindir_close(pd);
		return err;	/* layout_check() said why */
	}
	err = maps_open(pd, m);
	if (err) {
		pindir_close(pd);
		goto fail;
	}
	if (layout)
		*layout = st;
	return 0;
fail:
	if (err == -ENOENT)
		pr_err("bpfroute is not loaded at %s (run 'bpfroute load')\n", cli->pin_dir);
	else if (err != -EPERM)	/* pindir_open() said why */
		pr_err("%s: %s\n", cli->pin_dir, strerror(-err));
	return err;
}

int cmd_open_instance(const struct cli *cli, struct pindir *pd, struct bpfroute_maps *m)
{
	return cmd_open(cli, false, pd, m, NULL);
}

const char *cmd_dev_name(__u32 ifindex, char *buf)
{
	if (if_indextoname(ifindex, buf))
		return buf;
	snprintf(buf, IF_NAMESIZE, "#%u", ifindex);	/* the device is gone */
	return buf;
}

/* Entries of a map; a walk of keys, fine for status but not for a hot path. */
static size_t map_count(int fd)
{
	union {
		struct bpfroute_key6 route;
		struct bpfroute_rule_key rule;
		struct bpfroute_query_key query;
		struct bpfroute_flow_key flow;
	} key, next;	/* room for the largest key of the maps counted */
	size_t n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		n++;
		key = next;
		prev = &key;
	}
	return n;
}

/*
 * Outstanding queries: the taken slots of bpfroute_query's buckets, out of
 * all of them. A map of another shape (an instance loaded by an older
 * bpfroute) is counted by its keys.
 */
static void queries_fill(int fd, size_t *fill, size_t *max)
{
	struct bpfroute_query_bucket bk;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	*fill = *max = 0;
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	if (info.value_size != sizeof(bk)) {
		*fill = map_count(fd);
		*max = info.max_entries;
		return;
	}
	for (__u32 b = 0; b < info.max_entries; b++) {
		if (bpf_map_lookup_elem(fd, &b, &bk))
			continue;
		for (int i = 0; i < BPFROUTE_QUERIES_PER_CLIENT; i++)
			*fill += bk.slot[i].key.family != 0;
	}
	*max = (size_t)info.max_entries * BPFROUTE_QUERIES_PER_CLIENT;
}

/* The live entries of the learned tables (IPv4, IPv6) and max-routes. */
static void learned_fill(const struct bpfroute_maps *m, size_t *fill, size_t *max)
{
	struct bpfroute_hostctl ctl[2] = {};
	struct bpfroute_conf conf = {};
	__u32 zero = 0;

	bpf_map_lookup_elem(m->conf, &zero, &conf);
	for (__u32 i = 0; i < 2; i++) {
		if (m->hostctl >= 0)
			bpf_map_lookup_elem(m->hostctl, &i, &ctl[i]);
		fill[i] = ctl[i].live;
		max[i] = conf.max_routes;
	}
}

/* Is the target device masqueraded? The kernel's word: bpfroute_target. */
static bool masqueraded(const struct target_set *targets, __u32 ifindex)
{
	const struct target_entry *t = targets_find(targets, ifindex);

	return t && (t->val.flags & BPFROUTE_TARGET_F_MASQ);
}

/* A prefix entry's DEV: its target, or `bypass` (kept on the ordinary path). */
static const char *route_dev(const struct bpfroute_route *r, char *dev)
{
	return r->flags & BPFROUTE_ROUTE_F_BYPASS ? "bypass" : cmd_dev_name(r->ifindex, dev);
}

/* ", clients NAME" for a route of a client group, "" for one of every client. */
static const char *clients_suffix(const struct bpfroute_maps *m, __u8 clients, char *buf,
				  size_t len)
{
	char name[BPFROUTE_CLIENTS_NAME_MAX + 4];

	if (!clients)
		buf[0] = '\0';
	else
		snprintf(buf, len, ", clients %s", clients_name(m, clients, name, sizeof(name)));
	return buf;
}

static void json_route(struct json *j, const char *prefix, const char *dev, __u32 ifindex,
		       bool masq, const char *origin, __u64 packets, __u64 bytes)
{
	json_kv_string(j, "prefix", prefix);
	json_kv_string(j, "dev", dev);
	json_kv_u64(j, "ifindex", ifindex);
	json_key(j, "masquerade");
	json_bool(j, masq);
	json_kv_string(j, "origin", origin);
	json_kv_u64(j, "packets", packets);
	json_kv_u64(j, "bytes", bytes);
}

/* What `routes` prints, read once. */
struct routes_view {
	const struct bpfroute_maps *m;
	const struct route_entry *e;
	size_t count;
	const struct learned_entry *l;
	size_t n_learned;
	const struct target_set *t;
	struct learned_rules *rules;	/* learned_rules_text() */
	__u32 idle_timeout;			/* bpfroute_conf's, every entry's */
};

static void print_routes_json(const struct routes_view *v)
{
	char pfx[PREFIX_STRLEN], dev[IF_NAMESIZE], name[LEARNED_TEXT_MAX];
	char cli[BPFROUTE_CLIENTS_NAME_MAX + 4];
	const struct route_entry *e = v->e;
	const struct learned_entry *l = v->l;
	struct json j;

	json_init(&j, stdout);
	json_array_begin(&j);
	for (size_t i = 0; i < v->count; i++) {
		bool bypass = e[i].route.flags & BPFROUTE_ROUTE_F_BYPASS;

		json_object_begin(&j);
		json_route(&j, prefix_format(&e[i].prefix, pfx, sizeof(pfx)),
			   bypass ? "" : cmd_dev_name(e[i].route.ifindex, dev), e[i].route.ifindex,
			   !bypass && masqueraded(v->t, e[i].route.ifindex),
			   route_origin_name(e[i].route.origin), e[i].route.packets,
			   e[i].route.bytes);
		json_key(&j, "bypass");
		json_bool(&j, bypass);
		json_kv_string(&j, "clients", clients_name(v->m, e[i].route.clients, cli,
							   sizeof(cli)));
		json_key(&j, "expires_in");
		json_null(&j);	/* prefix routes do not expire */
		json_object_end(&j);
	}
	for (size_t i = 0; i < v->n_learned; i++) {
		json_object_begin(&j);
		json_route(&j, prefix_format(&l[i].prefix, pfx, sizeof(pfx)),
			   cmd_dev_name(l[i].host.ifindex, dev), l[i].host.ifindex,
			   masqueraded(v->t, l[i].host.ifindex),
			   route_origin_name(BPFROUTE_ORIGIN_LEARNED), l[i].host.packets,
			   l[i].host.bytes);
		json_kv_string(&j, "clients", clients_name(v->m, l[i].host.clients, cli,
							   sizeof(cli)));
		json_key(&j, "expires_in");
		json_s64(&j, learned_expires_in(&l[i].host));
		json_kv_string(&j, "name", learned_name(v->m, l[i].host.name_id, name));
		json_kv_string(&j, "rule", learned_rule(v->rules, l[i].host.rule));
		json_kv_u64(&j, "idle_timeout", v->idle_timeout);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_done(&j);
}

/*
 * Prefix routes show where they came from (config, manual); learned ones
 * the question they were answered for, so that an address shared by many
 * names (a CDN) shows which name brought it in.
 */
static void print_routes(const struct routes_view *v)
{
	char pfx[PREFIX_STRLEN], dev[IF_NAMESIZE], left[24], name[LEARNED_TEXT_MAX];
	char cli[BPFROUTE_CLIENTS_NAME_MAX + 16];
	const struct route_entry *e = v->e;
	const struct learned_entry *l = v->l;
	const struct target_set *t = v->t;

	printf("%-43s %-15s %-4s %-10s %12s %14s  %s\n", "PREFIX", "DEV", "MASQ", "EXPIRES-IN",
	       "PACKETS", "BYTES", "ORIGIN");
	for (size_t i = 0; i < v->count; i++)
		printf("%-43s %-15s %-4s %-10s %12llu %14llu  %s%s\n",
		       prefix_format(&e[i].prefix, pfx, sizeof(pfx)), route_dev(&e[i].route, dev),
		       e[i].route.flags & BPFROUTE_ROUTE_F_BYPASS ? "-" :
		       masqueraded(t, e[i].route.ifindex) ? "yes" : "no", "-",
		       (unsigned long long)e[i].route.packets,
		       (unsigned long long)e[i].route.bytes, route_origin_name(e[i].route.origin),
		       clients_suffix(v->m, e[i].route.clients, cli, sizeof(cli)));
	for (size_t i = 0; i < v->n_learned; i++) {
		long long in = learned_expires_in(&l[i].host);

		if (in >= 0)
			snprintf(left, sizeof(left), "%llds", in);
		else
			snprintf(left, sizeof(left), "expired");
		printf("%-43s %-15s %-4s %-10s %12llu %14llu  %s (%s%s)\n",
		       prefix_format(&l[i].prefix, pfx, sizeof(pfx)),
		       cmd_dev_name(l[i].host.ifindex, dev),
		       masqueraded(t, l[i].host.ifindex) ? "yes" : "no", left,
		       (unsigned long long)l[i].host.packets, (unsigned long long)l[i].host.bytes,
		       learned_name(v->m, l[i].host.name_id, name),
		       learned_rule(v->rules, l[i].host.rule),
		       clients_suffix(v->m, l[i].host.clients, cli, sizeof(cli)));
	}
}

int cmd_routes(const struct cli *cli, int argc, char **argv)
{
	struct bpfroute_maps m = {};
	struct route_entry *entries = NULL;
	struct learned_entry *learned = NULL;
	size_t count = 0, n_learned = 0;
	struct target_set targets = {};
	struct routes_view v = { .m = &m, .t = &targets };
	struct bpfroute_conf conf;
	bool json = cli->json;
	struct pindir pd;
	int err;

	err = cmd_parse_opts_only("routes", argc, argv, &json, NULL);
	if (err)
		return err;
	err = cmd_open_instance(cli, &pd, &m);
	if (err)
		return err;
	err = routes_list(&m, &entries, &count);
	if (!err)
		err = learned_list(&m, &learned, &n_learned);
	if (!err)
		err = targets_read(&m, &targets);
	if (!err && n_learned && !(v.rules = learned_rules_text(&m)))
		err = -ENOMEM;
	if (!err && bpf_map_lookup_elem(m.conf, &(__u32){ 0 }, &conf))
		err = -errno;
	if (err) {
		pr_err("reading the routes: %s\n", strerror(-err));
	} else {
		v.e = entries;
		v.count = count;
		v.l = learned;
		v.n_learned = n_learned;
		v.idle_timeout = conf.idle_timeout;
		if (json)
			print_routes_json(&v);
		else
			print_routes(&v);
	}
	free(v.rules);
	free(entries);
	free(learned);
	targets_free(&targets);
	maps_close(&m);
	pindir_close(&pd);
	return err;
}

#define N_FILL 14	/* maps whose fill status shows */

/* The text of a target's address of one family, or "-" if it has none. */
static const char *target_addr_text(int family, const __u8 *addr, char *buf, size_t len)
{
	static const __u8 zero[16];

	if (!memcmp(addr, zero, family == AF_INET ? 4 : 16) || !inet_ntop(family, addr, buf, len))
		snprintf(buf, len, "-");
	return buf;
}

/* A target's address of one family in JSON: null if it has none. */
static void json_target_addr(struct json *j, const char *key, int family, const __u8 *addr)
{
	char text[INET6_ADDRSTRLEN];

	target_addr_text(family, addr, text, sizeof(text));
	if (strcmp(text, "-")) {
		json_kv_string(j, key, text);
		return;
	}
	json_key(j, key);
	json_null(j);
}

/* The reply translator on a target's ingress, or 0. */
static __u32 unnat_prog(const struct tc_link *links, int n_links, __u32 ifindex)
{
	for (int i = 0; i < n_links; i++)
		if (links[i].role == TC_ROLE_TARGET && (__u32)links[i].ifindex == ifindex)
			return links[i].prog_id;
	return 0;
}

/* A target's link flags as status prints them: "ether", "ether,xdp", or "-" (L3). */
static const char *target_link_text(__u32 flags)
{
	if (flags & BPFROUTE_TARGET_F_XDP)
		return flags & BPFROUTE_TARGET_F_ETHER ? "ether,xdp" : "xdp";
	return flags & BPFROUTE_TARGET_F_ETHER ? "ether" : "-";
}

/* Does a LAN interface of the classifier carry the XDP stage hook h? */
static bool xdp_on_lan(const struct tc_link *links, int n_links, const struct xdp_hook *h)
{
	for (int i = 0; i < n_links; i++)
		if (links[i].role == TC_ROLE_LAN && links[i].ifindex == h->ifindex)
			return true;
	return false;
}

/* What status says of the agent, read once. */
struct agent_view {
	struct bpfroute_agent rec;
	enum agentrec_state state;
	__u64 now;		/* agentrec_now() when it was read */
};

/* Seconds from a CLOCK_BOOTTIME time to v->now. */
static double agent_ago(const struct agent_view *v, __u64 ns)
{
	return v->now > ns ? (double)(v->now - ns) / 1e9 : 0;
}

/* How long the agent ran (runs): up to now, its stop, or its last tick. */
static __u64 agent_uptime_ns(const struct agent_view *v)
{
	const struct bpfroute_agent *r = &v->rec;
	__u64 end = v->state == AGENTREC_RUNNING ? v->now : r->stop_ns ? r->stop_ns : r->tick_ns;

	return end > r->start_ns ? end - r->start_ns : 0;
}

static void print_agent_json(struct json *j, const struct agent_view *v)
{
	json_key(j, "agent");
	json_object_begin(j);
	json_key(j, "running");
	json_bool(j, v->state == AGENTREC_RUNNING);
	if (v->state != AGENTREC_NONE) {
		json_kv_u64(j, "pid", v->rec.pid);
		json_kv_u64(j, "uptime_ms", agent_uptime_ns(v) / 1000000);
		json_kv_u64(j, "last_tick_ms_ago", (__u64)(agent_ago(v, v->rec.tick_ns) * 1000));
		json_key(j, "stopped_ms_ago");
		if (v->rec.stop_ns)
			json_u64(j, (__u64)(agent_ago(v, v->rec.stop_ns) * 1000));
		else
			json_null(j);
		if (v->rec.flags & BPFROUTE_AGENT_F_EXPORT)
			json_kv_u64(j, "export_routes", v->rec.export_routes);
		if (v->rec.flags & BPFROUTE_AGENT_F_IMPORT)
			json_kv_u64(j, "import_routes", v->rec.import_routes);
	}
	json_object_end(j);
}

/*
 * "running, pid N, up 5m 03s, last tick 0.4 s ago", or why not: none ran,
 * it stopped (and when), or it went without stopping (killed, crashed or
 * hung: its pid and last tick).
 */
static void print_agent(const struct agent_view *v)
{
	const struct bpfroute_agent *r = &v->rec;
	__u64 up = agent_uptime_ns(v) / 1000000000ULL;

	switch (v->state) {
	case AGENTREC_NONE:
		printf("agent:     not running (none has run since load)\n");
		break;
	case AGENTREC_RUNNING:
		printf("agent:     running, pid %u, up %llum %02llus, last tick %.1f s ago\n",
		       r->pid, (unsigned long long)up / 60, (unsigned long long)up % 60,
		       agent_ago(v, r->tick_ns));
		break;
	case AGENTREC_STOPPED:
		printf("agent:     not running (pid %u stopped %.0f s ago)\n", r->pid,
		       agent_ago(v, r->stop_ns));
		break;
	default:
		/* Killed, crashed (its pid gone) or hung (no tick): it did not say it stopped. */
		printf("agent:     not running (pid %u last ticked %.0f s ago, and did not stop "
		       "cleanly)\n", r->pid, agent_ago(v, r->tick_ns));
		break;
	}
	if (v->state != AGENTREC_NONE && (r->flags & BPFROUTE_AGENT_F_EXPORT))
		printf("fleet:     %llu routes in the export table (%llu written, %llu removed, "
		       "%llu failed)\n", (unsigned long long)r->export_routes,
		       (unsigned long long)r->export_written, (unsigned long long)r->export_removed,
		       (unsigned long long)r->export_failed);
	if (v->state != AGENTREC_NONE && (r->flags & BPFROUTE_AGENT_F_IMPORT))
		printf("fleet:     %llu routes in the import table (%llu entries installed, %llu "
		       "withdrawn)\n", (unsigned long long)r->import_routes,
		       (unsigned long long)r->imported, (unsigned long long)r->import_withdrawn);
}

static void print_status(const struct cli *cli, const struct layout_state *layout,
			 const struct agent_view *agent,
			 const struct tc_link *links, int n_links,
			 const struct xdp_hook *xdp, int n_xdp,
			 const struct target_set *targets, const size_t *fill,
			 const size_t *fill_max, const __u64 *stats, bool json)
{
	static const char *const fill_names[N_FILL] = {
		"routes4", "routes6", "learned4", "learned6", "excluded4", "excluded6",
		"rules", "queries", "targets", "nat_out", "nat_in", "lans", "clients4", "clients6",
	};
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN], dev[IF_NAMESIZE];
	int width = 0;
	struct json j;

	if (json) {
		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_string(&j, "pin_dir", cli->pin_dir);
		json_kv_string(&j, "version", BPFROUTE_VERSION);
		json_kv_u64(&j, "layout", layout->layout);
		json_key(&j, "layout_recorded");
		json_bool(&j, layout->recorded);
		print_agent_json(&j, agent);
		json_key(&j, "attached");
		json_array_begin(&j);
		for (int i = 0; i < n_links; i++) {
			if (links[i].role != TC_ROLE_LAN)
				continue;
			json_object_begin(&j);
			json_kv_string(&j, "dev", links[i].name);
			json_kv_u64(&j, "ifindex", links[i].ifindex);
			json_kv_u64(&j, "ingress_prog_id", links[i].prog_id);
			json_kv_u64(&j, "egress_prog_id", links[i].egress_prog_id);
			json_kv_u64(&j, "xdp_prog_id", xdp_find(xdp, n_xdp, links[i].ifindex));
			json_object_end(&j);
		}
		/* The XDP stage where the classifier is gone (detached by hand). */
		for (int i = 0; i < n_xdp; i++) {
			if (xdp_on_lan(links, n_links, &xdp[i]))
				continue;
			json_object_begin(&j);
			json_kv_string(&j, "dev", xdp[i].name);
			json_kv_u64(&j, "ifindex", xdp[i].ifindex);
			json_kv_u64(&j, "ingress_prog_id", 0);
			json_kv_u64(&j, "egress_prog_id", 0);
			json_kv_u64(&j, "xdp_prog_id", xdp[i].prog_id);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_key(&j, "targets");
		json_array_begin(&j);
		for (size_t i = 0; i < targets->n; i++) {
			const struct target_entry *t = &targets->v[i];

			json_object_begin(&j);
			json_kv_string(&j, "dev", cmd_dev_name(t->ifindex, dev));
			json_kv_u64(&j, "ifindex", t->ifindex);
			json_key(&j, "masquerade");
			json_bool(&j, t->val.flags & BPFROUTE_TARGET_F_MASQ);
			json_key(&j, "ether");
			json_bool(&j, t->val.flags & BPFROUTE_TARGET_F_ETHER);
			json_key(&j, "xdp");
			json_bool(&j, t->val.flags & BPFROUTE_TARGET_F_XDP);
			/* As the datapath has it: `load` and the agent keep it. */
			json_key(&j, "down");
			json_bool(&j, t->val.flags & BPFROUTE_TARGET_F_DOWN);
			json_key(&j, "strict");
			json_bool(&j, !(t->val.flags & BPFROUTE_TARGET_F_FALLBACK));
			json_target_addr(&j, "addr4", AF_INET, t->val.addr4);
			json_target_addr(&j, "addr6", AF_INET6, t->val.addr6);
			json_kv_u64(&j, "unnat_prog_id", unnat_prog(links, n_links, t->ifindex));
			json_object_end(&j);
		}
		json_array_end(&j);
		json_key(&j, "maps");
		json_object_begin(&j);
		for (int i = 0; i < N_FILL; i++) {
			json_key(&j, fill_names[i]);
			json_object_begin(&j);
			json_kv_u64(&j, "entries", fill[i]);
			json_kv_u64(&j, "max_entries", fill_max[i]);
			json_object_end(&j);
		}
		json_object_end(&j);
		json_key(&j, "counters");
		json_object_begin(&j);
		for (__u32 s = 0; s < BPFROUTE_STAT_MAX; s++)
			json_kv_u64(&j, stat_name(s), stats[s]);
		json_object_end(&j);
		json_object_end(&j);
		json_done(&j);
		return;
	}
	printf("pin dir:   %s\n", cli->pin_dir);
	printf("version:   %s\n", BPFROUTE_VERSION);
	printf("layout:    %u%s\n", layout->layout, layout->recorded ? "" :
	       " (not recorded: loaded by an older bpfroute; load records it)");
	print_agent(agent);
	printf("attached:%s\n", n_links || n_xdp ? "" : "  nowhere");
	for (int i = 0; i < n_links; i++) {
		__u32 xdp_id = xdp_find(xdp, n_xdp, links[i].ifindex);
		char xdp_text[32] = ", no xdp stage";

		if (xdp_id)
			snprintf(xdp_text, sizeof(xdp_text), ", xdp prog %u", xdp_id);
		if (links[i].role == TC_ROLE_LAN)
			printf("  %-15s ifindex %-5d tc ingress prog %u, egress prog %u%s\n",
			       links[i].name, links[i].ifindex, links[i].prog_id,
			       links[i].egress_prog_id, xdp_text);
		else
			printf("  %-15s ifindex %-5d tc ingress prog %u (replies of masqueraded "
			       "flows)\n", links[i].name, links[i].ifindex, links[i].prog_id);
	}
	for (int i = 0; i < n_xdp; i++)
		if (!xdp_on_lan(links, n_links, &xdp[i]))
			printf("  %-15s ifindex %-5d xdp prog %u (no tc classifier)\n", xdp[i].name,
			       xdp[i].ifindex, xdp[i].prog_id);
	printf("targets:%s\n", targets->n ? "" : "   none");
	for (size_t i = 0; i < targets->n; i++) {
		const struct target_entry *t = &targets->v[i];

		printf("  %-15s ifindex %-5u %-10s %-9s %-4s %-9s %s %s\n",
		       cmd_dev_name(t->ifindex, dev), t->ifindex,
		       t->val.flags & BPFROUTE_TARGET_F_MASQ ? "masquerade" : "routed",
		       target_link_text(t->val.flags),
		       t->val.flags & BPFROUTE_TARGET_F_DOWN ? "down" : "up",
		       t->val.flags & BPFROUTE_TARGET_F_FALLBACK ? "strict no" : "strict",
		       target_addr_text(AF_INET, t->val.addr4, a4, sizeof(a4)),
		       target_addr_text(AF_INET6, t->val.addr6, a6, sizeof(a6)));
	}
	printf("maps:\n");
	for (int i = 0; i < N_FILL; i++)
		printf("  %-15s %zu / %zu\n", fill_names[i], fill[i], fill_max[i]);
	/* The values in one column, however long the longest name grows. */
	for (__u32 s = 0; s < BPFROUTE_STAT_MAX; s++)
		if ((int)strlen(stat_name(s)) > width)
			width = (int)strlen(stat_name(s));
	printf("counters:\n");
	for (__u32 s = 0; s < BPFROUTE_STAT_MAX; s++)
		printf("  %-*s %llu\n", width, stat_name(s), (unsigned long long)stats[s]);
}

int cmd_status(const struct cli *cli, int argc, char **argv)
{
	__u64 stats[BPFROUTE_STAT_MAX] = {};
	struct target_set targets = {};
	struct tc_link *links = NULL;
	struct xdp_hook *xdp = NULL;
	struct bpfroute_maps m = {};
	struct layout_state layout;
	struct agent_view agent;
	bool json = cli->json;
	int err, n_links, n_xdp = 0;
	struct pindir pd;
	size_t fill[N_FILL], fill_max[N_FILL];

	err = cmd_parse_opts_only("status", argc, argv, &json, NULL);
	if (err)
		return err;
	err = cmd_open(cli, false, &pd, &m, &layout);
	if (err)
		return err;
	err = tc_list(map_id(m.stats), TC_ROLES_ALL, &links, &n_links);
	if (err) {
		pr_err("listing the interfaces: %s\n", strerror(-err));
		goto cleanup;
	}
	err = xdp_list(map_id(m.lans), &xdp, &n_xdp);
	if (err) {
		pr_err("listing the XDP programs: %s\n", strerror(-err));
		goto cleanup;
	}
	err = targets_read(&m, &targets);
	if (err) {
		pr_err("reading the targets: %s\n", strerror(-err));
		goto cleanup;
	}
	{
		int fds[N_FILL] = { m.route4, m.route6, -1, -1, m.excl4, m.excl6,
				    m.rules, m.queries, m.targets, m.nat_out, m.nat_in, m.lans,
				    m.cli4, m.cli6 };

		for (int i = 0; i < N_FILL; i++) {
			fill[i] = fds[i] < 0 ? 0 : map_count(fds[i]);
			fill_max[i] = fds[i] < 0 ? 0 : map_max_entries(fds[i]);
		}
		/* Learned: live entries of each table, against max-routes. */
		learned_fill(&m, &fill[2], &fill_max[2]);
		queries_fill(m.queries, &fill[7], &fill_max[7]);
	}
	agent.now = agentrec_now();
	err = agentrec_read(m.agent, agent.now, &agent.rec, &agent.state);
	if (err) {
		pr_err("reading the agent's record: %s\n", strerror(-err));
		goto cleanup;
	}
	for (__u32 s = 0; s < BPFROUTE_STAT_MAX && !err; s++)
		err = stats_read(&m, s, &stats[s]);
	if (err) {
		pr_err("reading the counters: %s\n", strerror(-err));
		goto cleanup;
	}
	print_status(cli, &layout, &agent, links, n_links, xdp, n_xdp, &targets, fill, fill_max, stats,
		     json);
cleanup:
	free(links);
	free(xdp);
	targets_free(&targets);
	maps_close(&m);
	pindir_close(&pd);
	return err;
}
