// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `bpfroute status` and `bpfroute routes`: read-only views of an instance. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "cmd.h"
#include "json.h"
#include "log.h"
#include "maps.h"
#include "pindir.h"
#include "routes.h"
#include "tc.h"

/*
 * Open a loaded instance for reading. The shared lock waits for a load or
 * unload in progress, so what is shown is never half of one.
 */
static int open_instance(const struct cli *cli, struct pindir *pd, struct bpfroute_maps *m)
{
	int err;

	err = pindir_open(pd, cli->pin_dir, false);
	if (!err) {
		err = maps_open(pd, m);
		if (err)
			pindir_close(pd);
	}
	if (err == -ENOENT)
		pr_warn("bpfroute is not loaded at %s (run 'bpfroute load')\n", cli->pin_dir);
	else if (err)
		pr_warn("%s: %s\n", cli->pin_dir, strerror(-err));
	return err;
}

static const char *dev_name(__u32 ifindex, char *buf)
{
	if (if_indextoname(ifindex, buf))
		return buf;
	snprintf(buf, IF_NAMESIZE, "#%u", ifindex);	/* the device is gone */
	return buf;
}

static size_t map_count(int fd)
{
	struct bpfroute_key6 key, next;	/* the largest key of our maps */
	size_t n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		n++;
		key = next;
		prev = &key;
	}
	return n;
}

static void print_routes(const struct route_entry *e, size_t count, bool json)
{
	char pfx[PREFIX_STRLEN], dev[IF_NAMESIZE];
	struct json j;

	if (json) {
		json_init(&j, stdout);
		json_array_begin(&j);
		for (size_t i = 0; i < count; i++) {
			json_object_begin(&j);
			json_kv_string(&j, "prefix", prefix_format(&e[i].prefix, pfx, sizeof(pfx)));
			json_kv_string(&j, "dev", dev_name(e[i].route.ifindex, dev));
			json_kv_u64(&j, "ifindex", e[i].route.ifindex);
			json_kv_string(&j, "origin", route_origin_name(e[i].route.origin));
			json_key(&j, "expires_in");
			json_null(&j);	/* prefix routes do not expire */
			json_kv_u64(&j, "packets", e[i].route.packets);
			json_kv_u64(&j, "bytes", e[i].route.bytes);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_done(&j);
		return;
	}
	printf("%-43s %-15s %-8s %-10s %12s %14s\n", "PREFIX", "DEV", "ORIGIN", "EXPIRES-IN",
	       "PACKETS", "BYTES");
	for (size_t i = 0; i < count; i++)
		printf("%-43s %-15s %-8s %-10s %12llu %14llu\n",
		       prefix_format(&e[i].prefix, pfx, sizeof(pfx)),
		       dev_name(e[i].route.ifindex, dev), route_origin_name(e[i].route.origin),
		       "-", (unsigned long long)e[i].route.packets,
		       (unsigned long long)e[i].route.bytes);
}

int cmd_routes(const struct cli *cli, int argc, char **argv)
{
	struct bpfroute_maps m = {};
	struct route_entry *entries = NULL;
	bool json = cli->json;
	struct pindir pd;
	size_t count;
	int idx, err;

	idx = cmd_parse_opts("routes", argc, argv, &json, NULL);
	if (idx < 0)
		return idx;
	if (idx < argc) {
		cmd_bad_usage("routes", "unexpected argument \'%s\'", argv[idx]);
		return -EINVAL;
	}
	err = open_instance(cli, &pd, &m);
	if (err)
		return err;
	err = routes_list(&m, &entries, &count);
	if (err)
		pr_warn("reading the routes: %s\n", strerror(-err));
	else
		print_routes(entries, count, json);
	free(entries);
	maps_close(&m);
	pindir_close(&pd);
	return err;
}

static void print_status(const struct cli *cli, const struct tc_link *links, int n_links,
			 const size_t *fill, const __u64 *stats, bool json)
{
	static const char *const fill_names[4] = { "routes4", "routes6", "excluded4",
						   "excluded6" };
	static const size_t fill_max[4] = { BPFROUTE_MAX_PREFIXES, BPFROUTE_MAX_PREFIXES,
					    BPFROUTE_MAX_EXCL, BPFROUTE_MAX_EXCL };
	struct json j;

	if (json) {
		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_string(&j, "pin_dir", cli->pin_dir);
		json_key(&j, "attached");
		json_array_begin(&j);
		for (int i = 0; i < n_links; i++) {
			json_object_begin(&j);
			json_kv_string(&j, "dev", links[i].name);
			json_kv_u64(&j, "ifindex", links[i].ifindex);
			json_kv_string(&j, "hook", "tc_ingress");
			json_kv_u64(&j, "prog_id", links[i].prog_id);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_key(&j, "maps");
		json_object_begin(&j);
		for (int i = 0; i < 4; i++) {
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
	printf("attached:%s\n", n_links ? "" : "  nowhere");
	for (int i = 0; i < n_links; i++)
		printf("  %-15s ifindex %-5d tc ingress  prog id %u\n", links[i].name,
		       links[i].ifindex, links[i].prog_id);
	printf("maps:\n");
	for (int i = 0; i < 4; i++)
		printf("  %-15s %zu / %zu\n", fill_names[i], fill[i], fill_max[i]);
	printf("counters:\n");
	for (__u32 s = 0; s < BPFROUTE_STAT_MAX; s++)
		printf("  %-17s %llu\n", stat_name(s), (unsigned long long)stats[s]);
}

int cmd_status(const struct cli *cli, int argc, char **argv)
{
	__u64 stats[BPFROUTE_STAT_MAX] = {};
	struct tc_link *links = NULL;
	struct bpfroute_maps m = {};
	bool json = cli->json;
	int idx, err, n_links;
	struct pindir pd;
	size_t fill[4];

	idx = cmd_parse_opts("status", argc, argv, &json, NULL);
	if (idx < 0)
		return idx;
	if (idx < argc) {
		cmd_bad_usage("status", "unexpected argument \'%s\'", argv[idx]);
		return -EINVAL;
	}
	err = open_instance(cli, &pd, &m);
	if (err)
		return err;
	err = tc_list_attached(map_id(m.route4), &links, &n_links);
	if (err) {
		pr_warn("listing the interfaces: %s\n", strerror(-err));
		goto cleanup;
	}
	fill[0] = map_count(m.route4);
	fill[1] = map_count(m.route6);
	fill[2] = map_count(m.excl4);
	fill[3] = map_count(m.excl6);
	for (__u32 s = 0; s < BPFROUTE_STAT_MAX && !err; s++)
		err = stats_read(&m, s, &stats[s]);
	if (err) {
		pr_warn("reading the counters: %s\n", strerror(-err));
		goto cleanup;
	}
	print_status(cli, links, n_links, fill, stats, json);
cleanup:
	free(links);
	maps_close(&m);
	pindir_close(&pd);
	return err;
}
