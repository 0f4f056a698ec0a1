/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The configuration file: line based, '#' starts a comment.
 *
 *   interface lan0                    # LAN interface to classify on; one or more
 *   route 203.0.113.0/24 dev wg0      # static prefix to a target device
 *   route *.corp.example.com dev wg0  # domain rule (learned from DNS answers)
 *
 * Parsing is pure: it checks syntax and consistency only. Whether devices
 * exist is checked by config_check_devices(), so that a file is refused with
 * FILE:LINE: reason before anything in the kernel is touched.
 */
#ifndef BPFROUTE_CONFIG_H
#define BPFROUTE_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "prefix.h"

#define CONFIG_DEFAULT_PATH "/etc/bpfroute/bpfroute.conf"
#define CONFIG_DOMAIN_MAX 254		/* 253 characters and the NUL */
#define CONFIG_LINE_MAX 1023		/* characters in a line, without the newline */

struct config_iface {
	char name[IF_NAMESIZE];
	int line;
};

enum config_route_kind {
	CONFIG_ROUTE_PREFIX,
	CONFIG_ROUTE_DOMAIN,
};

struct config_route {
	enum config_route_kind kind;
	struct prefix prefix;		/* CONFIG_ROUTE_PREFIX */
	/*
	 * CONFIG_ROUTE_DOMAIN: the name in lower case without a trailing dot
	 * and, for a wildcard, without the leading "*." (wildcard set).
	 */
	char domain[CONFIG_DOMAIN_MAX];
	bool wildcard;
	char dev[IF_NAMESIZE];		/* target device */
	int line;
};

struct config {
	char *path;			/* as given, for messages */
	struct config_iface *ifaces;
	size_t n_ifaces;
	struct config_route *routes;
	size_t n_routes;
};

/*
 * Parse a file. On error returns a negative errno and writes
 * "FILE:LINE: reason" (or "FILE: reason") into err; cfg is then empty and
 * needs no config_free(). On success the caller frees cfg with config_free().
 */
int config_parse_file(const char *path, struct config *cfg, char *err, size_t errlen);

/* The same, for text held in memory; name stands in for the file name. */
int config_parse_string(const char *name, const char *text, struct config *cfg,
			char *err, size_t errlen);

/*
 * Check that every interface and every route's target device exists in the
 * current network namespace. -ENODEV and "FILE:LINE: unknown device X".
 */
int config_check_devices(const struct config *cfg, char *err, size_t errlen);

void config_free(struct config *cfg);

#endif /* BPFROUTE_CONFIG_H */
