/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The configuration file: line based, '#' starts a comment.
 *
 *   interface lan0                    # LAN interface to classify on; one or more
 *   route 203.0.113.0/24 dev wg0      # static prefix to a target device
 *   route *.corp.example.com dev wg0  # domain rule (learned from DNS answers)
 *   route 198.51.100.0/24 dev wg1 masquerade  # ... leaving with wg1's own address
 *   route-list lists/corp.txt dev wg0 # the same for each entry of a list file
 *   bypass public.corp.example.com    # stays on the ordinary path: the most
 *                                     # specific of routes and bypasses wins
 *   target wg1 masquerade             # the same, for every rule to wg1
 *   target eth1 xdp                   # the XDP stage forwards to eth1 itself
 *   target wg2 strict no              # while wg2 is down: the ordinary path
 *   resolver 192.0.2.53               # trusted DNS server; repeatable; none: any
 *   min-ttl 30                        # seconds a learned entry lives at least
 *   max-ttl 86400                     # ... and at most
 *   idle-timeout 300                  # unused this long after expiry: removed
 *   max-routes 1000000                # learned entries per address family
 *   prefetch yes                      # resolve exact-name rules ahead of clients
 *   max-client-flows 4096             # masqueraded flows per client address
 *   metrics 192.0.2.1:9472            # the agent serves Prometheus metrics here
 *   clients staff 192.0.2.0/26        # a client group, for `route ... clients staff`
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
#include "bpfroute_abi.h"	/* after prefix.h: it needs <linux/types.h> */

#define CONFIG_DEFAULT_PATH "/etc/bpfroute/bpfroute.conf"
#define CONFIG_DOMAIN_MAX 254		/* 253 characters and the NUL */
#define CONFIG_LINE_MAX 1023		/* characters in a line, without the newline */

struct config_name_block;

struct config_iface {
	char name[IF_NAMESIZE];
	int line;
};

enum config_route_kind {
	CONFIG_ROUTE_PREFIX,
	CONFIG_ROUTE_DOMAIN,
};

struct config_route {
	/*
	 * What every walk over the routes reads comes first, within one cache
	 * line: a list of a million entries is walked several times by load.
	 */
	enum config_route_kind kind;
	struct prefix prefix;		/* CONFIG_ROUTE_PREFIX */
	char dev[IF_NAMESIZE];		/* target device; "" for a bypass */
	bool masquerade;		/* the line says `masquerade` */
	bool wildcard;
	/*
	 * A `bypass` line: the prefix or name stays on the ordinary path; the
	 * most specific of the routes and bypasses wins. No device.
	 */
	bool bypass;
	unsigned int clients;		/* client group id (1 + index in cfg->clients); 0: all */
	int line;			/* in its file: the config, or its list */
	unsigned int list;		/* 0: a route line; else 1 + its index in cfg->lists */
	/*
	 * CONFIG_ROUTE_DOMAIN: the name in lower case without a trailing dot
	 * and, for a wildcard, without the leading "*." (wildcard set). Held
	 * apart, in the config's name store (cfg->names), and not inline:
	 * inline, every route would carry CONFIG_DOMAIN_MAX bytes, and a
	 * million-prefix list made 320-byte records, 390 MiB to fault in and
	 * walk.
	 */
	const char *domain;
};

/*
 * How a list file of a `route-list` line is written (config_list.c):
 * BPFROUTE, an entry as a route line takes it (NAME, *.NAME, PREFIX);
 * DOMAINS, a bare NAME is the name and every name below it (two rules);
 * V2FLY, v2fly/domain-list-community text (domain:, full:, a bare NAME).
 */
enum config_list_format {
	CONFIG_LIST_BPFROUTE,
	CONFIG_LIST_DOMAINS,
	CONFIG_LIST_V2FLY,
};

/* A `route-list FILE dev IFNAME [masquerade] [format FORMAT]` line. */
struct config_list {
	char *path;			/* FILE, relative to the config's directory made whole */
	char dev[IF_NAMESIZE];		/* every entry's target device */
	bool masquerade;
	enum config_list_format format;
	unsigned int clients;		/* every entry's client group; 0: all */
	int line;			/* of the route-list line in the config */
};

/*
 * A `clients NAME PREFIX [PREFIX...]` line: a client group, whose id is 1 +
 * its index in cfg->clients (at most BPFROUTE_MAX_CLIENT_GROUPS). A rule
 * or prefix route `clients NAME` steers only packets from these sources.
 */

struct config_clients {
	char name[BPFROUTE_CLIENTS_NAME_MAX];
	struct prefix *prefixes;	/* either family */
	size_t n_prefixes;
	int line;
};

/*
 * A masqueraded target device. Masquerade is a property of the device, not
 * of a rule: every rule to it, configured or added, shares it. A device is
 * masqueraded if a `target DEV masquerade` line or any route line to it says
 * so; it is listed once, with the first such line.
 */
struct config_masq {
	char dev[IF_NAMESIZE];
	int line;			/* first line that made it masqueraded */
	int target_line;		/* its `target` line; 0 if none */
};

/*
 * A `target DEV xdp` line: DEV accepts XDP frames, and the XDP stage on the
 * LAN interfaces forwards to it itself. Never with masquerade, which is done
 * in the TC stage only.
 */
struct config_xdp {
	char dev[IF_NAMESIZE];
	int line;			/* its `target` line */
};

/*
 * A `target` line that says `strict`: what the datapath does with a
 * device's packets while it is down or gone. Strict (the default, and
 * `strict` or `strict yes`): dropped and counted, never leaked; `strict no`:
 * the gateway's ordinary path. A device without such a line is strict.
 */
struct config_strict {
	char dev[IF_NAMESIZE];
	bool strict;
	int line;			/* its `target` line */
};

/* Defaults of the learning settings (seconds, entries). */
#define CONFIG_DEFAULT_MIN_TTL		30
#define CONFIG_DEFAULT_MAX_TTL		86400
#define CONFIG_DEFAULT_IDLE_TIMEOUT	300
#define CONFIG_DEFAULT_MAX_ROUTES	1000000

struct config_resolver {
	struct prefix addr;		/* a host prefix: /32 or /128 */
	int line;
};

/* `metrics ADDRESS:PORT`: where the agent serves its metrics. */
struct config_metrics {
	int family;			/* AF_INET or AF_INET6; 0: off (the default) */
	__u8 addr[16];			/* network order; IPv4 in the first 4 */
	__u16 port;			/* host order, 1..65535 */
	char text[64];			/* as written: "192.0.2.1:9472", "[2001:db8::1]:9472" */
};

/*
 * Learned entries shared with other gateways through a routing daemon
 * (config_fleet.c): `export table N`, `export prefixes yes|no`,
 * `import table M dev IFNAME`. A line's number is 0 when it is absent.
 */
struct config_fleet {
	__u32 export_table;		/* learned entries are mirrored here */
	bool export_prefixes;		/* and the configured prefixes */
	int export_line, export_prefixes_line;
	__u32 import_table;		/* host routes here become learned entries */
	char import_dev[IF_NAMESIZE];	/* to this target */
	int import_line;
};

struct config {
	char *path;			/* as given, for messages */
	struct config_iface *ifaces;
	size_t n_ifaces;
	struct config_route *routes;	/* route lines and list entries, in file order */
	size_t n_routes;
	struct config_name_block *names;	/* the routes' domain names (config.c) */
	struct config_list *lists;	/* route-list lines, in line order */
	size_t n_lists;
	struct config_masq *masq;	/* masqueraded target devices, in line order */
	size_t n_masq;
	struct config_xdp *xdp;		/* `target DEV xdp` devices, in line order */
	size_t n_xdp;
	struct config_strict *strict;	/* `target DEV strict ...` lines, in line order */
	size_t n_strict;
	struct config_resolver *resolvers;	/* trusted DNS servers; none: any */
	size_t n_resolvers;
	__u32 min_ttl;			/* learned entries live at least this long */
	__u32 max_ttl;			/* and at most this long, whatever the TTL */
	__u32 idle_timeout;		/* after expiry, unused this long: removed */
	__u32 max_routes;		/* learned entries, per address family */
	bool prefetch;			/* resolve exact-name rules ahead of clients */
	__u32 max_client_flows;		/* masqueraded flows per client address */
	/*
	 * Capacities of bpfroute_rules and of each prefix trie; 0: not set,
	 * sized to the config (config_capacity()).
	 */
	__u32 max_rules;
	__u32 max_prefixes;
	int max_rules_line, max_prefixes_line;	/* where they were set; 0: not */
	struct config_metrics metrics;	/* off unless a `metrics` line says */
	struct config_clients *clients;	/* client groups, in line order: id = index + 1 */
	size_t n_clients;
	struct config_fleet fleet;
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
 * The same, for len bytes in memory read as a file's: a NUL byte is refused
 * where it stands instead of ending the text (the fuzz harness).
 */
int config_parse_buf(const char *name, const char *buf, size_t len, struct config *cfg,
		     char *err, size_t errlen);

/*
 * Check that every interface, every route's target device and every `target`
 * line's device exists in the current network namespace. -ENODEV and
 * "FILE:LINE: unknown device X", for the first such line.
 */
int config_check_devices(const struct config *cfg, char *err, size_t errlen);

/*
 * Check that what cfg asks for fits the kernel's maps: prefix routes of each
 * family, domain rules, target devices, LAN interfaces with the XDP stage.
 * -E2BIG and "FILE:LINE: more than N ..." at the first line past a capacity.
 * Manual routes (`route add`) come on top: load counts them as it writes.
 */
int config_check_capacity(const struct config *cfg, char *err, size_t errlen);

/*
 * The capacities the maps get when made for cfg: max-rules and max-prefixes
 * as set, else the config's domain rules (prefixes of the larger family) and
 * half as many again, rounded up to a multiple of the declared size and at
 * least that, at most the limit: room for lists to grow by half without
 * an unload (see config_capacity_fits()).
 */
__u32 config_rules_capacity(const struct config *cfg);
__u32 config_prefixes_capacity(const struct config *cfg);

/* Domain rules, IPv4 and IPv6 prefixes of cfg. */
void config_count(const struct config *cfg, size_t *rules, size_t *prefixes4,
		  size_t *prefixes6);

/* Target devices of cfg (routes and target lines), each counted once. */
size_t config_n_targets(const struct config *cfg);

/*
 * Is the first word of a `route` line a prefix or address, not a domain name?
 * Digits and dots, or any ':' or '/', make a prefix.
 */
bool config_word_is_prefix(const char *word);

/*
 * A domain name as a `route` line takes it ("*.Corp.example.com."): into out
 * (CONFIG_DOMAIN_MAX bytes) in lower case, without the trailing dot and the
 * "*." (*wildcard set). 0, or -EINVAL with a one-line reason in why.
 */
int config_domain_parse(const char *text, char *out, bool *wildcard, char *why, size_t whylen);

/* The file r was read from, for messages at r->line: the config or its list. */
const char *config_route_file(const struct config *cfg, const struct config_route *r);

/*
 * The config's line that chose r's device: its route line, or for a list
 * entry the route-list line (messages about the device, not the entry).
 */
int config_route_dev_line(const struct config *cfg, const struct config_route *r);

/* The name of client group id of cfg: "all" for 0, as `route` lines lack one. */
const char *config_clients_name(const struct config *cfg, unsigned int id);

/* The masquerade entry of dev, or NULL if dev is not masqueraded. */
const struct config_masq *config_masq_find(const struct config *cfg, const char *dev);

/* The `target dev xdp` line of dev, or NULL if there is none. */
const struct config_xdp *config_xdp_find(const struct config *cfg, const char *dev);

/* The `target dev strict ...` line of dev, or NULL (strict, the default). */
const struct config_strict *config_strict_find(const struct config *cfg, const char *dev);

void config_free(struct config *cfg);

/*
 * For the parser alone, shared by config.c (lines, messages) and
 * config_settings.c (the single-valued settings: min-ttl, max-ttl,
 * idle-timeout, max-routes, prefetch, max-client-flows, metrics). The rest of bpfroute reads struct
 * config and needs none of this.
 */
#define CONFIG_SETTINGS_N 9

/* The line each setting was given on; 0 if it was not (the default holds). */
struct config_settings_lines {
	int line[CONFIG_SETTINGS_N];
};

/* Puts the defaults in cfg and forgets every line. */
void config_settings_init(struct config *cfg, struct config_settings_lines *lines);

/*
 * Parses one line whose keyword is tok[0], given on line. Returns -ENOENT if
 * tok[0] names no setting (nothing is written), 0, or -EINVAL with a reason
 * in why: the caller adds "FILE:LINE: ".
 */
int config_setting_parse(struct config *cfg, struct config_settings_lines *lines, int line,
			 char **tok, int ntok, char *why, size_t whylen);

/*
 * Checks the settings against each other once the whole file is read.
 * Returns 0, or -EINVAL with a reason in why and the line to blame in *line.
 */
int config_settings_check(const struct config *cfg, const struct config_settings_lines *lines,
			  int *line, char *why, size_t whylen);

/*
 * Why line (n characters, NUL-terminated) cannot be parsed whatever it says,
 * or NULL: a NUL, a carriage return or another control character but tab.
 * Config and list files alike. why holds the reason (64 bytes are enough).
 */
/* Why name cannot name a device (the kernel's dev_valid_name()), or NULL. */
const char *config_ifname_invalid(const char *name);

/*
 * config_fleet.c: an export or import line (tok[0] says which) into
 * cfg->fleet; -ENOENT if tok[0] is neither, -EINVAL with why.
 */
int config_fleet_parse(struct config *cfg, int line, char **tok, int ntok, char *why,
		       size_t whylen);
/* After the whole file: the fleet lines agree with each other and the targets. */
int config_fleet_check(const struct config *cfg, int *line, char *why, size_t whylen);

const char *config_line_invalid(const char *line, size_t n, char *why, size_t whylen);

/*
 * Opens path for reading if it is a regular file: the descriptor, or a
 * negative errno with the reason ("No such file or directory", "not a
 * regular file (a FIFO)") in why. Never waits for a FIFO's writer.
 */
int config_open_regular(const char *path, char *why, size_t whylen);

/*
 * The entries of a list file, one at a time, from config_list_read(): r has
 * kind, prefix or domain and wildcard, and line set; the rest is zero. 0 to
 * go on, or a negative errno with the message written by the callback.
 */
typedef int (*config_list_entry_fn)(void *ctx, const struct config_route *r);

/*
 * Reads the list file open at fd (named path in messages) in format, and
 * hands each entry to fn; a NAME that covers the names below it comes as
 * two entries, the name and then *.NAME. 0, fn's error, or a negative errno
 * with "PATH:LINE: reason" written into err. Reads the file in pieces: a
 * list is never held whole.
 */
int config_list_read(int fd, const char *path, enum config_list_format format,
		     config_list_entry_fn fn, void *ctx, char *err, size_t errlen);

#endif /* BPFROUTE_CONFIG_H */
