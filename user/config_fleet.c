/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The fleet lines of the config: learned entries shared with other gateways
 * through a routing daemon (BIRD speaking BGP), by way of two kernel
 * routing tables that no policy rule points to.
 *
 *	export table N			learned entries go to table N (agent_export.c)
 *	export prefixes yes|no		the configured prefixes too (default no)
 *	import table M dev IFNAME	host routes of table M become learned
 *					entries to IFNAME (agent_import.c)
 *
 * config.c splits the lines and reports; this file knows the words. What
 * needs the kernel (that no rule uses the tables) is rtable_check_tables().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "rtable.h"

#define EXPORT_USAGE	"usage: export table N, or export prefixes yes|no"
#define IMPORT_USAGE	"usage: import table M dev IFNAME"

/* A table number, neither a name nor one the kernel's own routes live in. */
static int parse_table(const char *word, const char *what, __u32 *table, char *why,
		       size_t whylen)
{
	__u64 n = 0;
	const char *s = word;

	if (!*s || (s[0] == '0' && s[1]))
		goto bad;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			goto bad;
		n = n * 10 + (__u64)(*s - '0');
		if (n > RTABLE_ID_MAX)
			goto bad;
	}
	if (rtable_id_reserved((__u32)n)) {
		snprintf(why, whylen, "%s table %s: %s; choose a table of its own (1..252, or "
			 "256 and above)", what, word, rtable_id_reserved((__u32)n));
		return -EINVAL;
	}
	*table = (__u32)n;
	return 0;
bad:
	snprintf(why, whylen, "%s table '%s': not a table number 1..%u", what, word,
		 RTABLE_ID_MAX);
	return -EINVAL;
}

static int parse_export(struct config *cfg, int line, char **tok, int ntok, char *why,
			size_t whylen)
{
	struct config_fleet *f = &cfg->fleet;

	if (ntok != 3) {
		snprintf(why, whylen, EXPORT_USAGE);
		return -EINVAL;
	}
	if (!strcmp(tok[1], "table")) {
		if (f->export_line) {
			snprintf(why, whylen, "duplicate export table (first at line %d)",
				 f->export_line);
			return -EINVAL;
		}
		if (parse_table(tok[2], "export", &f->export_table, why, whylen))
			return -EINVAL;
		f->export_line = line;
		return 0;
	}
	if (!strcmp(tok[1], "prefixes")) {
		if (f->export_prefixes_line) {
			snprintf(why, whylen, "duplicate export prefixes (first at line %d)",
				 f->export_prefixes_line);
			return -EINVAL;
		}
		if (strcmp(tok[2], "yes") && strcmp(tok[2], "no")) {
			snprintf(why, whylen, "bad value '%s' for export prefixes; %s", tok[2],
				 EXPORT_USAGE);
			return -EINVAL;
		}
		f->export_prefixes = !strcmp(tok[2], "yes");
		f->export_prefixes_line = line;
		return 0;
	}
	snprintf(why, whylen, "unknown export '%s'; %s", tok[1], EXPORT_USAGE);
	return -EINVAL;
}

static int parse_import(struct config *cfg, int line, char **tok, int ntok, char *why,
			size_t whylen)
{
	struct config_fleet *f = &cfg->fleet;
	const char *bad;

	if (ntok != 5 || strcmp(tok[1], "table") || strcmp(tok[3], "dev")) {
		snprintf(why, whylen, IMPORT_USAGE);
		return -EINVAL;
	}
	/* One table: a second would need its own device, and a fleet has one tunnel. */
	if (f->import_line) {
		snprintf(why, whylen, "duplicate import (first at line %d)", f->import_line);
		return -EINVAL;
	}
	if (parse_table(tok[2], "import", &f->import_table, why, whylen))
		return -EINVAL;
	bad = config_ifname_invalid(tok[4]);
	if (bad) {
		snprintf(why, whylen, "bad device name '%s': %s", tok[4], bad);
		return -EINVAL;
	}
	strcpy(f->import_dev, tok[4]);	/* length checked by config_ifname_invalid() */
	f->import_line = line;
	return 0;
}

int config_fleet_parse(struct config *cfg, int line, char **tok, int ntok, char *why,
		       size_t whylen)
{
	if (!strcmp(tok[0], "export"))
		return parse_export(cfg, line, tok, ntok, why, whylen);
	if (!strcmp(tok[0], "import"))
		return parse_import(cfg, line, tok, ntok, why, whylen);
	return -ENOENT;
}

/* Is dev a target of cfg: the device of a route, a list or a target line? */
static bool is_target(const struct config *cfg, const char *dev)
{
	for (size_t i = 0; i < cfg->n_routes; i++)
		if (!cfg->routes[i].bypass && !strcmp(cfg->routes[i].dev, dev))
			return true;
	for (size_t i = 0; i < cfg->n_lists; i++)
		if (!strcmp(cfg->lists[i].dev, dev))
			return true;
	return config_masq_find(cfg, dev) || config_xdp_find(cfg, dev) ||
	       config_strict_find(cfg, dev);
}

int config_fleet_check(const struct config *cfg, int *line, char *why, size_t whylen)
{
	const struct config_fleet *f = &cfg->fleet;

	if (f->export_prefixes && !f->export_line) {
		*line = f->export_prefixes_line;
		snprintf(why, whylen, "export prefixes yes without an export table line");
		return -EINVAL;
	}
	/* What table M brings in would go out again through table N: a loop. */
	if (f->import_line && f->export_line && f->import_table == f->export_table) {
		*line = f->import_line > f->export_line ? f->import_line : f->export_line;
		snprintf(why, whylen, "import and export use the same table %u (lines %d and %d)",
			 f->import_table, f->export_line, f->import_line);
		return -EINVAL;
	}
	/* Its bpfroute_target entry is what the datapath redirects by. */
	if (f->import_line && !is_target(cfg, f->import_dev)) {
		*line = f->import_line;
		snprintf(why, whylen, "import dev %s: not a target (no route, route-list or target "
			 "line names it)", f->import_dev);
		return -EINVAL;
	}
	return 0;
}
