// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer harness: the config file parser (user/config.c) on any bytes,
 * as config_parse_file() would read them, without a file or the kernel:
 * config_check_devices() is not called. Besides memory errors (ASan) and
 * undefined behaviour (UBSan), it checks the parser's promises: a refusal
 * is one line naming the file and leaves cfg empty; what is accepted holds
 * a LAN interface, agreeing TTLs, routes and bypasses in their documented
 * form (a bypass without a device, never from a list), and every
 * domain rule converts to the wire form bpfroute load gives the kernel.
 * A route-list line reads its list relative to the working directory, if
 * the name exists: the route-list line is fuzzed, the list files are not.
 */
#define _GNU_SOURCE	/* memmem() */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "dnsname.h"

#define NAME "fuzz.conf"

static bool cfg_is_empty(const struct config *cfg)
{
	static const struct config zero;

	return !memcmp(cfg, &zero, sizeof(zero));
}

/*
 * lists: the input has a route-list line, whose list file (read from the
 * working directory, if the name the fuzzer wrote exists) may be the one
 * the refusal names.
 */
static void check_refusal(const struct config *cfg, const char *err, bool lists)
{
	if (!cfg_is_empty(cfg))
		abort();	/* a half-read file must never reach the kernel */
	if (strchr(err, '\n') || !strchr(err, ':'))
		abort();	/* "FILE:LINE: reason", one line */
	if (!lists && strncmp(err, NAME ":", strlen(NAME ":")))
		abort();
}

static void check_route(const struct config_route *r)
{
	__u8 wire[BPFROUTE_DNS_NAME_MAX];
	size_t n;

	if (r->line <= 0 || strlen(r->dev) >= IF_NAMESIZE)
		abort();
	/* A route has a device; a bypass none, and nothing to masquerade. */
	if (r->bypass ? r->dev[0] || r->masquerade || r->list : !r->dev[0])
		abort();
	if (r->kind == CONFIG_ROUTE_PREFIX) {
		if (r->prefix.family != AF_INET && r->prefix.family != AF_INET6)
			abort();
		if (r->prefix.len > (r->prefix.family == AF_INET ? 32U : 128U))
			abort();
		return;
	}
	n = strnlen(r->domain, CONFIG_DOMAIN_MAX);
	if (!n || n == CONFIG_DOMAIN_MAX || r->domain[n - 1] == '.')
		abort();
	for (size_t i = 0; i < n; i++)
		if (r->domain[i] >= 'A' && r->domain[i] <= 'Z')
			abort();	/* stored in lower case */
	/* user/learning.c turns every domain rule into this for the kernel. */
	if (dnsname_to_wire(r->domain, wire, sizeof(wire)) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[256];
	int ret;

	/* Garbage in cfg and err: the parser must not rely on the caller zeroing them. */
	memset(&cfg, 0xa5, sizeof(cfg));
	memset(err, 'X', sizeof(err));
	ret = config_parse_buf(NAME, (const char *)data, size, &cfg, err, sizeof(err));
	if (ret) {
		if (ret >= 0)
			abort();
		check_refusal(&cfg, err, memmem(data, size, "route-list", 10) != NULL);
		return 0;
	}
	if (!cfg.n_ifaces || cfg.min_ttl > cfg.max_ttl || strcmp(cfg.path, NAME))
		abort();
	for (size_t i = 0; i < cfg.n_routes; i++) {
		check_route(&cfg.routes[i]);
		/* Steering into a LAN interface sends traffic back where it came from. */
		for (size_t j = 0; j < cfg.n_ifaces; j++)
			if (!strcmp(cfg.routes[i].dev, cfg.ifaces[j].name))
				abort();
	}
	for (size_t i = 0; i < cfg.n_masq; i++)
		if (config_xdp_find(&cfg, cfg.masq[i].dev))
			abort();	/* xdp and masquerade exclude each other */
	config_free(&cfg);
	return 0;
}
