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
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "datapath.h"
#include "json.h"
#include "layout.h"
#include "load.h"
#include "log.h"
#include "pindir.h"

/*
 * As load does: another layout's pinned state is refused; none is fine if
 * load could make the pin directory.
 */
static int check_pinned(const char *pin_dir)
{
	struct pindir pd;
	int err;

	err = pindir_open(&pd, pin_dir, false);
	if (err == -ENOENT)
		return pindir_check_new(pin_dir);	/* load would make it */
	if (err) {
		if (err != -EPERM)	/* pindir_open() said why */
			pr_err("%s: %s\n", pin_dir, strerror(-err));
		return err;
	}
	err = layout_check(&pd, NULL);
	pindir_close(&pd);
	return err;
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static void print_summary(const char *path, const struct config *cfg, bool verified, bool json)
{
	size_t n_prefixes = 0, n_domains, n_targets = config_n_targets(cfg), n_grouped = 0;
	struct json j;

	for (size_t i = 0; i < cfg->n_routes; i++) {
		n_prefixes += cfg->routes[i].kind == CONFIG_ROUTE_PREFIX;
		n_grouped += cfg->routes[i].clients != 0;
	}
	n_domains = cfg->n_routes - n_prefixes;
	if (json) {
		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_string(&j, "config", path);
		json_kv_u64(&j, "interfaces", cfg->n_ifaces);
		json_kv_u64(&j, "prefix_routes", n_prefixes);
		json_kv_u64(&j, "domain_rules", n_domains);
		json_kv_u64(&j, "targets", n_targets);
		json_kv_u64(&j, "masqueraded", cfg->n_masq);
		json_kv_u64(&j, "xdp", cfg->n_xdp);
		json_kv_u64(&j, "client_groups", cfg->n_clients);
		json_kv_u64(&j, "client_routes", n_grouped);
		json_key(&j, "programs_verified");
		json_bool(&j, verified);
		json_object_end(&j);
		json_done(&j);
		return;
	}
	printf("%s: ok: %zu interface%s, %zu prefix route%s, %zu domain rule%s, %zu target%s",
	       path, cfg->n_ifaces, plural(cfg->n_ifaces), n_prefixes, plural(n_prefixes),
	       n_domains, plural(n_domains), n_targets, plural(n_targets));
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
}

int cmd_check(const struct cli *cli, int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	bool json = cli->json, verified = true;
	struct config cfg;
	int err;

	err = cmd_parse_opts_only("check", argc, argv, &json, &path);
	if (err)
		return err;
	err = load_prepare(path, &cfg);
	if (err)
		return err;
	err = check_pinned(cli->pin_dir);
	if (!err) {
		err = datapath_verify();
		if (err == -EPERM) {
			verified = false;
			err = 0;
		}
	}
	if (!err)
		print_summary(path, &cfg, verified, json);
	config_free(&cfg);
	return err;
}
