// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `bpfroute check [-c FILE]`: what `load` checks before it touches the
 * kernel (load_prepare(): the config, its devices, addresses and
 * capacities), the layout of any pinned state at the pin directory, and
 * whether the verifier takes the BPF programs, with maps of their own that
 * go when check exits. Creates no pin directory, pins nothing, attaches
 * nothing. What only an attach can tell (a driver without native XDP,
 * another program on one of our hooks) load finds out and rolls back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capacity.h"
#include "cmd.h"
#include "config.h"
#include "datapath.h"
#include "json.h"
#include "layout.h"
#include "load.h"
#include "log.h"
#include "pindir.h"

/*
 * As load does: another layout's pinned state is refused, and so are pinned
 * maps too small for the config; none is fine if load could make the pin
 * directory. The capacities the maps would have into *cap.
 */
static int check_pinned(const char *pin_dir, const struct config *cfg, struct capacity *cap)
{
	struct pindir pd;
	int err;

	err = pindir_open(&pd, pin_dir, false);
	if (err == -ENOENT) {
		err = pindir_check_new(pin_dir);	/* load would make it */
		return err ? err : capacity_plan(cfg, NULL, cap);
	}
	if (err) {
		if (err != -EPERM)	/* pindir_open() said why */
			pr_err("%s: %s\n", pin_dir, strerror(-err));
		return err;
	}
	err = layout_check(&pd, NULL);
	if (!err)
		err = capacity_plan(cfg, &pd, cap);
	pindir_close(&pd);
	return err;
}

static void print_size(char *buf, size_t len, __u64 bytes)
{
	if (bytes >= 1ULL << 30)
		snprintf(buf, len, "%.1f GiB", (double)bytes / (1ULL << 30));
	else if (bytes >= 1ULL << 20)
		snprintf(buf, len, "%.1f MiB", (double)bytes / (1ULL << 20));
	else
		snprintf(buf, len, "%.1f KiB", (double)bytes / (1ULL << 10));
}

/*
 * The kernel memory of the maps at their capacities: how capacity.c
 * estimates it is in bpfroute.conf(5), and the header line says it is an
 * estimate of the most they take.
 */
static void print_memory(const struct capacity_mem *mem, size_t n, __u64 total, struct json *j)
{
	char size[32];

	if (j) {
		json_key(j, "memory");
		json_object_begin(j);
		json_kv_u64(j, "total_bytes", total);
		json_key(j, "maps");
		json_array_begin(j);
		for (size_t i = 0; i < n; i++) {
			json_object_begin(j);
			json_kv_string(j, "map", mem[i].name);
			json_kv_string(j, "type", mem[i].type);
			json_kv_u64(j, "max_entries", mem[i].max_entries);
			json_kv_u64(j, "entry_bytes", mem[i].entry_bytes);
			json_kv_u64(j, "bytes", mem[i].bytes);
			json_object_end(j);
		}
		json_array_end(j);
		json_object_end(j);
		return;
	}
	print_size(size, sizeof(size), total);
	printf("kernel memory of the maps when full, estimated from their capacity, key and "
	       "value sizes: %s\n", size);
	for (size_t i = 0; i < n; i++) {
		print_size(size, sizeof(size), mem[i].bytes);
		printf("  %-28s %-14s %10u x %5u B %12s\n", mem[i].name,
		       mem[i].type ? mem[i].type : "?", mem[i].max_entries, mem[i].entry_bytes,
		       size);
	}
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static void print_summary(const char *path, const struct config *cfg, bool verified, bool json,
			  const struct capacity *cap, const struct capacity_mem *mem, size_t n_mem,
			  __u64 total)
{
	size_t n_prefixes = 0, n_domains, n_bypasses = 0, n_targets = config_n_targets(cfg);
	size_t n_grouped = 0;
	struct json j;

	/* Routes and rules to a device; bypasses, prefix or name, on their own. */
	for (size_t i = 0; i < cfg->n_routes; i++) {
		n_bypasses += cfg->routes[i].bypass;
		n_prefixes += !cfg->routes[i].bypass && cfg->routes[i].kind == CONFIG_ROUTE_PREFIX;
		n_grouped += cfg->routes[i].clients != 0;
	}
	n_domains = cfg->n_routes - n_prefixes - n_bypasses;
	if (json) {
		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_string(&j, "config", path);
		json_kv_u64(&j, "interfaces", cfg->n_ifaces);
		json_kv_u64(&j, "prefix_routes", n_prefixes);
		json_kv_u64(&j, "domain_rules", n_domains);
		json_kv_u64(&j, "bypasses", n_bypasses);
		json_kv_u64(&j, "targets", n_targets);
		json_kv_u64(&j, "masqueraded", cfg->n_masq);
		json_kv_u64(&j, "xdp", cfg->n_xdp);
		json_kv_u64(&j, "client_groups", cfg->n_clients);
		json_kv_u64(&j, "client_routes", n_grouped);
		json_key(&j, "programs_verified");
		json_bool(&j, verified);
		json_kv_u64(&j, "max_rules", cap->rules);
		json_kv_u64(&j, "max_prefixes4", cap->prefixes[0]);
		json_kv_u64(&j, "max_prefixes6", cap->prefixes[1]);
		print_memory(mem, n_mem, total, &j);
		json_object_end(&j);
		json_done(&j);
		return;
	}
	printf("%s: ok: %zu interface%s, %zu prefix route%s, %zu domain rule%s, %zu target%s",
	       path, cfg->n_ifaces, plural(cfg->n_ifaces), n_prefixes, plural(n_prefixes),
	       n_domains, plural(n_domains), n_targets, plural(n_targets));
	if (n_bypasses)
		printf(", %zu bypass%s", n_bypasses, n_bypasses == 1 ? "" : "es");
	if (cfg->n_masq)
		printf(", %zu masqueraded", cfg->n_masq);
	if (cfg->n_xdp)
		printf(", %zu with xdp", cfg->n_xdp);
	if (cfg->n_clients)
		printf(", %zu client group%s (for %zu route%s)", cfg->n_clients,
		       plural(cfg->n_clients), n_grouped, plural(n_grouped));
	if (!verified)
		printf("; BPF programs not verified (no permission to load them: run as root)");
	printf("\n");
	printf("capacities: %u domain rules (max-rules), %u IPv4 and %u IPv6 prefixes "
	       "(max-prefixes), %u learned addresses per family (max-routes)\n", cap->rules,
	       cap->prefixes[0], cap->prefixes[1], cfg->max_routes);
	print_memory(mem, n_mem, total, NULL);
}

int cmd_check(const struct cli *cli, int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	bool json = cli->json, verified = true;
	struct capacity_mem *mem = NULL;
	struct capacity cap;
	struct config cfg;
	size_t n_mem = 0;
	__u64 total = 0;
	int err;

	err = cmd_parse_opts_only("check", argc, argv, &json, &path);
	if (err)
		return err;
	err = load_prepare(path, &cfg);
	if (err)
		return err;
	err = check_pinned(cli->pin_dir, &cfg, &cap);
	if (!err) {
		err = datapath_verify(NULL);	/* sizes do not change the verdict */
		if (err == -EPERM) {
			verified = false;
			err = 0;
		}
	}
	if (!err) {
		err = capacity_memory(&cap, cfg.max_routes, &mem, &n_mem, &total);
		if (err)
			pr_err("estimating the maps' memory: %s\n", strerror(-err));
	}
	if (!err)
		print_summary(path, &cfg, verified, json, &cap, mem, n_mem, total);
	free(mem);
	config_free(&cfg);
	return err;
}
