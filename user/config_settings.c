/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The single-valued settings of the config file: min-ttl, max-ttl,
 * idle-timeout, max-routes, max-rules, max-prefixes, prefetch,
 * max-client-flows and metrics. config.c
 * splits the lines and reports; this file knows the keywords, their values
 * and their limits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <linux/types.h>

#include "bpfroute_abi.h"
#include "bpfroute_policy.h"	/* BPFROUTE_CLIENT_FLOWS_DEFAULT */
#include "config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * RFC 2181 section 8: a TTL is an unsigned 32-bit field, but a value with
 * the most significant bit set is treated as if it were zero. A TTL above
 * 2^31 - 1 never reaches the clamp, so a max-ttl above it could never apply.
 * idle-timeout shares the bound: it is a time in the same seconds, and any
 * two of these added stay within a __u32.
 */
#define SECONDS_MAX	2147483647U

/*
 * Learned entries per family. A learned table is kept at most half full
 * (user/agent_tables.c), so max-routes 2^24 lets it grow to 2^25 slots of
 * 64 bytes: 2 GiB per family, of memory spent only as it fills.
 */
#define ROUTES_MAX	(1U << 24)

enum {
	SET_MIN_TTL,
	SET_MAX_TTL,
	SET_IDLE_TIMEOUT,
	SET_MAX_ROUTES,
	SET_PREFETCH,
	SET_MAX_CLIENT_FLOWS,
	SET_METRICS,
	SET_MAX_RULES,
	SET_MAX_PREFIXES,
};

enum setting_kind {
	KIND_NUMBER,		/* a number into a __u32 */
	KIND_BOOL,		/* yes|no into a bool */
	KIND_LISTEN,		/* ADDRESS:PORT into a struct config_metrics */
};

struct setting {
	const char *keyword;
	const char *usage;	/* the value in "usage: KEYWORD VALUE" */
	enum setting_kind kind;
	size_t offset;		/* of the field in struct config */
	__u32 min, max;		/* numbers: the accepted range, inclusive */
};

static const struct setting settings[] = {
	[SET_MIN_TTL] = { "min-ttl", "SECONDS", KIND_NUMBER,
			  offsetof(struct config, min_ttl), 0, SECONDS_MAX },
	[SET_MAX_TTL] = { "max-ttl", "SECONDS", KIND_NUMBER,
			  offsetof(struct config, max_ttl), 1, SECONDS_MAX },
	[SET_IDLE_TIMEOUT] = { "idle-timeout", "SECONDS", KIND_NUMBER,
			       offsetof(struct config, idle_timeout), 0, SECONDS_MAX },
	[SET_MAX_ROUTES] = { "max-routes", "COUNT", KIND_NUMBER,
			     offsetof(struct config, max_routes), 1, ROUTES_MAX },
	[SET_PREFETCH] = { "prefetch", "yes|no", KIND_BOOL,
			   offsetof(struct config, prefetch), 0, 0 },
	/* At most a whole flow table: any more could never apply. */
	[SET_MAX_CLIENT_FLOWS] = { "max-client-flows", "COUNT", KIND_NUMBER,
				   offsetof(struct config, max_client_flows), 1,
				   BPFROUTE_MAX_FLOWS },
	/* A TCP port: 0 would be any port, which no scraper could find. */
	[SET_METRICS] = { "metrics", "IPV4:PORT or metrics [IPV6]:PORT", KIND_LISTEN,
			  offsetof(struct config, metrics), 1, 65535 },
	/* The sizes of bpfroute_rules and of each of bpfroute_route4/6. */
	[SET_MAX_RULES] = { "max-rules", "COUNT", KIND_NUMBER,
			    offsetof(struct config, max_rules), 1, BPFROUTE_RULES_LIMIT },
	[SET_MAX_PREFIXES] = { "max-prefixes", "COUNT", KIND_NUMBER,
			       offsetof(struct config, max_prefixes), 1,
			       BPFROUTE_PREFIXES_LIMIT },
};

/* The table writes through offsets: make sure they land on the right types. */
_Static_assert(ARRAY_SIZE(settings) == CONFIG_SETTINGS_N, "CONFIG_SETTINGS_N");
_Static_assert(sizeof(((struct config *)0)->min_ttl) == sizeof(__u32), "min_ttl");
_Static_assert(sizeof(((struct config *)0)->max_ttl) == sizeof(__u32), "max_ttl");
_Static_assert(sizeof(((struct config *)0)->idle_timeout) == sizeof(__u32), "idle_timeout");
_Static_assert(sizeof(((struct config *)0)->max_routes) == sizeof(__u32), "max_routes");
_Static_assert(sizeof(((struct config *)0)->prefetch) == sizeof(bool), "prefetch");
_Static_assert(sizeof(((struct config *)0)->max_rules) == sizeof(__u32), "max_rules");
_Static_assert(sizeof(((struct config *)0)->max_prefixes) == sizeof(__u32), "max_prefixes");
_Static_assert(sizeof(((struct config *)0)->max_client_flows) == sizeof(__u32),
	       "max_client_flows");
/* config_settings_check() blames a line: the defaults alone must agree. */
_Static_assert(CONFIG_DEFAULT_MIN_TTL <= CONFIG_DEFAULT_MAX_TTL, "default TTLs");

void config_settings_init(struct config *cfg, struct config_settings_lines *lines)
{
	cfg->min_ttl = CONFIG_DEFAULT_MIN_TTL;
	cfg->max_ttl = CONFIG_DEFAULT_MAX_TTL;
	cfg->idle_timeout = CONFIG_DEFAULT_IDLE_TIMEOUT;
	cfg->max_routes = CONFIG_DEFAULT_MAX_ROUTES;
	/* "prefetch no": the gateway sends no DNS queries of its own unless asked. */
	cfg->prefetch = false;
	cfg->max_client_flows = BPFROUTE_CLIENT_FLOWS_DEFAULT;
	/* 0: sized to the config's rules and prefixes (config_rules_capacity()). */
	cfg->max_rules = 0;
	cfg->max_prefixes = 0;
	/* No port is opened unless the file asks for one. */
	memset(&cfg->metrics, 0, sizeof(cfg->metrics));
	memset(lines, 0, sizeof(*lines));
}

/*
 * Decimal digits only: no sign, no spaces, no leading zero except in "0"
 * itself. strtoul() would take " +0x1f", read "010" as 8 with base 0, and
 * wrap "-1" to ULONG_MAX. Returns -EINVAL if s is not a number, -ERANGE if
 * it is above max.
 */
static int parse_number(const char *s, __u32 max, __u32 *val)
{
	__u64 n = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		/* Stops growing past max, so any number of digits is safe. */
		if (n <= max)
			n = n * 10 + (__u64)(*s - '0');
	}
	if (n > max)
		return -ERANGE;
	*val = (__u32)n;
	return 0;
}

/*
 * `metrics ADDRESS:PORT`: a literal IPv4 address, or an IPv6 one in
 * brackets (its own colons would make the port ambiguous). No names: the
 * agent binds before anything resolves, and a name could mean several
 * addresses.
 */
static int parse_listen(const struct setting *s, const char *word, struct config_metrics *m,
			char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(word, ':'), *port;
	size_t hlen;
	__u32 v;
	int ret;

	memset(m, 0, sizeof(*m));
	if (!colon || colon == word || strlen(word) >= sizeof(m->text))
		goto usage;
	port = colon + 1;
	hlen = (size_t)(colon - word);
	if (word[0] == '[') {
		if (word[hlen - 1] != ']' || hlen < 3 || hlen - 2 >= sizeof(host))
			goto usage;
		memcpy(host, word + 1, hlen - 2);
		host[hlen - 2] = '\0';
		m->family = AF_INET6;
	} else {
		if (hlen >= sizeof(host) || memchr(word, ':', hlen))
			goto usage;
		memcpy(host, word, hlen);
		host[hlen] = '\0';
		m->family = AF_INET;
	}
	if (inet_pton(m->family, host, m->addr) != 1) {
		snprintf(why, whylen, "metrics: '%s' is not a literal %s address (a name is not "
			 "taken); usage: metrics %s", host,
			 m->family == AF_INET ? "IPv4" : "IPv6", s->usage);
		memset(m, 0, sizeof(*m));
		return -EINVAL;
	}
	ret = parse_number(port, s->max, &v);
	if (ret || v < s->min) {
		snprintf(why, whylen, "metrics: port '%s' is %s 1..65535", port,
			 ret == -EINVAL ? "not a number in" : "out of range");
		memset(m, 0, sizeof(*m));
		return -EINVAL;
	}
	m->port = (__u16)v;
	snprintf(m->text, sizeof(m->text), "%s", word);
	return 0;
usage:
	snprintf(why, whylen, "bad address '%s' for metrics; usage: metrics %s", word, s->usage);
	memset(m, 0, sizeof(*m));
	return -EINVAL;
}

int config_setting_parse(struct config *cfg, struct config_settings_lines *lines, int line,
			 char **tok, int ntok, char *why, size_t whylen)
{
	const struct setting *s;
	size_t i;
	__u32 v;
	int ret;

	for (i = 0; i < ARRAY_SIZE(settings); i++) {
		if (!strcmp(tok[0], settings[i].keyword))
			break;
	}
	if (i == ARRAY_SIZE(settings))
		return -ENOENT;
	s = &settings[i];

	if (ntok != 2) {
		snprintf(why, whylen, "usage: %s %s", s->keyword, s->usage);
		return -EINVAL;
	}
	/* Two values for one setting: which one did the operator mean? */
	if (lines->line[i]) {
		snprintf(why, whylen, "duplicate %s (first at line %d)", s->keyword,
			 lines->line[i]);
		return -EINVAL;
	}

	if (s->kind == KIND_LISTEN) {
		ret = parse_listen(s, tok[1], (struct config_metrics *)((char *)cfg + s->offset),
				   why, whylen);
		if (ret)
			return ret;
	} else if (s->kind == KIND_BOOL) {
		bool *field = (bool *)((char *)cfg + s->offset);

		if (!strcmp(tok[1], "yes")) {
			*field = true;
		} else if (!strcmp(tok[1], "no")) {
			*field = false;
		} else {
			snprintf(why, whylen, "bad value '%s' for %s; usage: %s %s", tok[1],
				 s->keyword, s->keyword, s->usage);
			return -EINVAL;
		}
	} else {
		ret = parse_number(tok[1], s->max, &v);
		if (ret == -EINVAL) {
			snprintf(why, whylen, "bad number '%s' for %s", tok[1], s->keyword);
			return -EINVAL;
		}
		if (ret || v < s->min) {
			snprintf(why, whylen, "%s %s is out of range %u..%u", s->keyword, tok[1],
				 s->min, s->max);
			return -EINVAL;
		}
		*(__u32 *)((char *)cfg + s->offset) = v;
	}
	lines->line[i] = line;
	if (i == SET_MAX_RULES)
		cfg->max_rules_line = line;
	else if (i == SET_MAX_PREFIXES)
		cfg->max_prefixes_line = line;
	return 0;
}

int config_settings_check(const struct config *cfg, const struct config_settings_lines *lines,
			  int *line, char *why, size_t whylen)
{
	int min_line = lines->line[SET_MIN_TTL];
	int max_line = lines->line[SET_MAX_TTL];

	if (cfg->min_ttl <= cfg->max_ttl)
		return 0;
	/*
	 * The later of the two lines made the pair disagree. One of them may
	 * be a default, which has no line (0) and is named as such so that
	 * the message does not quote a value the file never wrote.
	 */
	*line = min_line > max_line ? min_line : max_line;
	snprintf(why, whylen, "min-ttl %u%s is above max-ttl %u%s", cfg->min_ttl,
		 min_line ? "" : " (the default)", cfg->max_ttl, max_line ? "" : " (the default)");
	return -EINVAL;
}
