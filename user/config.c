/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The configuration file parser; config.h describes the format.
 *
 * Every refusal is one line, "FILE:LINE: reason", and leaves cfg empty: a
 * half-read file must never reach the kernel.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "bpfroute_abi.h"	/* after config.h: it needs <linux/types.h> */

/*
 * The file is read whole before parsing; the cap keeps a wrong path such as
 * /dev/zero from eating the gateway's memory.
 */
#define CONFIG_FILE_MAX		(16 << 20)

/*
 * The longest line is a `clients` line of many prefixes: the name and up
 * to CONFIG_MAX_TOKENS - 3 of them, one more token shows extras ("route-list
 * X dev Y masquerade format F clients G" has nine).
 */
#define CONFIG_MAX_TOKENS	64

#define DOMAIN_LABEL_MAX	63	/* RFC 1035 section 2.3.4 */

#define ROUTE_USAGE		"usage: route PREFIX|DOMAIN dev IFNAME [masquerade] [clients NAME]"
#define BYPASS_USAGE		"usage: bypass PREFIX|DOMAIN"
#define TARGET_USAGE		"usage: target IFNAME [masquerade|xdp] [strict [yes|no]]"
#define INTERFACE_USAGE		"usage: interface IFNAME"
#define RESOLVER_USAGE		"usage: resolver ADDRESS"
#define ROUTE_LIST_USAGE	"usage: route-list FILE dev IFNAME [masquerade] " \
				"[format bpfroute|domains|v2fly] [clients NAME]"
#define CLIENTS_USAGE		"usage: clients NAME PREFIX [PREFIX...]"

/*
 * Why a device cannot be both: the XDP stage forwards frames as they came,
 * and only the TC stage translates addresses (bpf/nat.h needs an skb).
 */
#define XDP_NO_MASQ		"masquerade is done in TC, not XDP"

struct parser {
	const char *name;		/* file name for messages */
	struct config *cfg;
	char *err;
	size_t errlen;
	int line;			/* 0: a message about the whole file */
	size_t ifaces_cap;
	size_t routes_cap;
	size_t masq_cap;
	size_t xdp_cap;
	size_t strict_cap;
	size_t resolvers_cap;
	struct config_settings_lines settings;
	/*
	 * The routes so far, by a hash of what they route (route_hash()):
	 * open addressing, index + 1 of cfg->routes, 0 empty. Keeps finding
	 * a duplicate O(1), not a walk of every earlier route (30000 routes
	 * took 1.3 s).
	 */
	struct route_slot *route_set;
	size_t route_set_cap;		/* a power of two, at most half full */
	size_t lists_cap;
	size_t clients_cap;
	size_t n_client4, n_client6;	/* client prefixes of each family, all groups */
	/*
	 * Domain rules, IPv4 and IPv6 prefixes so far: a list past what the
	 * maps hold is refused while it is read, before a long list fills
	 * memory with routes that could never load.
	 */
	size_t n_rules, n_prefixes4, n_prefixes6;
};

/* Writes "NAME:LINE: reason" (or "NAME: reason") and returns ret. */
static int __attribute__((format(printf, 3, 4)))
fail(struct parser *ps, int ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->err || !ps->errlen)
		return ret;
	if (ps->line)
		n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->name, ps->line);
	else
		n = snprintf(ps->err, ps->errlen, "%s: ", ps->name);
	if (n < 0 || (size_t)n >= ps->errlen)
		return ret;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return ret;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * The kernel's dev_valid_name() rules (net/core/dev.c), so that a name we
 * accept could name a device. ':' is refused there too: "eth0:1" is an old
 * alias label, and SIOCGIFINDEX (if_nametoindex) cuts the name at the colon,
 * so "lan0:1" would silently mean lan0.
 */
const char *config_ifname_invalid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return "empty";
	if (n >= IF_NAMESIZE)
		return "longer than 15 characters";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "'.' and '..' are not device names";
	for (; *name; name++) {
		if (*name == '/')
			return "contains '/'";
		if (*name == ':')
			return "contains ':'";
		if (*name == ' ' || (*name >= '\t' && *name <= '\r'))
			return "contains whitespace";
	}
	return NULL;
}

/*
 * Domain names: LDH labels plus '_' (RFC 2181 section 11 allows any octet,
 * and _dmarc-style labels do appear), 1..63 characters each, 253 characters
 * in all without the trailing dot (255 octets on the wire, RFC 1035 section
 * 3.1). Names are matched case-insensitively (RFC 4343), so they are stored
 * in lower case. On error writes a reason into why and returns -EINVAL.
 */
int config_domain_parse(const char *text, char *out, bool *wildcard, char *why, size_t whylen)
{
	const char *s = text;
	size_t n, i, label = 0;

	*wildcard = false;
	if (s[0] == '*' && s[1] == '.') {
		*wildcard = true;
		s += 2;
	} else if (!strcmp(s, "*")) {
		snprintf(why, whylen, "wildcard without a name");
		return -EINVAL;
	}

	n = strlen(s);
	if (n && s[n - 1] == '.')
		n--;
	if (n == 0) {
		snprintf(why, whylen, *wildcard ? "wildcard without a name" : "empty name");
		return -EINVAL;
	}
	if (n > CONFIG_DOMAIN_MAX - 1) {
		snprintf(why, whylen, "name longer than %d characters", CONFIG_DOMAIN_MAX - 1);
		return -EINVAL;
	}

	for (i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';

		if (c == '.') {
			if (label == 0) {
				snprintf(why, whylen, "empty label");
				return -EINVAL;
			}
			if (s[i - label] == '-' || s[i - 1] == '-') {
				snprintf(why, whylen, "label starts or ends with '-'");
				return -EINVAL;
			}
			label = 0;
			if (i < n)
				out[i] = '.';
			continue;
		}
		if (c == '*') {
			snprintf(why, whylen, "'*' is allowed only as the whole first label");
			return -EINVAL;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_') {
			if (c > ' ' && c < 0x7f)
				snprintf(why, whylen, "invalid character '%c'", c);
			else
				snprintf(why, whylen, "invalid byte 0x%02x", (unsigned char)c);
			return -EINVAL;
		}
		if (++label > DOMAIN_LABEL_MAX) {
			snprintf(why, whylen, "label longer than %d characters",
				 DOMAIN_LABEL_MAX);
			return -EINVAL;
		}
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	return 0;
}

/* Makes room for one more element; NULL (arr untouched) if memory is short. */
static void *grow(void *arr, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > SIZE_MAX / size)
		return NULL;
	p = realloc(arr, ncap * size);
	if (!p)
		return NULL;
	*cap = ncap;
	return p;
}

/*
 * The name store: the text of the routes' domain names, packed one after
 * the other in blocks that never move, so that a route keeps a pointer to
 * its name however many routes follow. One allocation per block, not per
 * name: a list of hundreds of thousands of names is read at every load.
 */
#define NAME_BLOCK_SIZE	(64 << 10)
_Static_assert(NAME_BLOCK_SIZE >= CONFIG_DOMAIN_MAX, "a name fits in a block");

struct config_name_block {
	struct config_name_block *next;	/* the block filled before this one */
	size_t used;
	char text[NAME_BLOCK_SIZE];
};

/* A copy of name in cfg's store, or NULL if memory is short. */
static const char *name_store(struct config *cfg, const char *name)
{
	struct config_name_block *b = cfg->names;
	size_t len = strlen(name) + 1;
	char *p;

	if (len > NAME_BLOCK_SIZE)
		return NULL;
	if (!b || NAME_BLOCK_SIZE - b->used < len) {
		b = malloc(sizeof(*b));
		if (!b)
			return NULL;
		b->next = cfg->names;
		b->used = 0;
		cfg->names = b;
	}
	p = b->text + b->used;
	memcpy(p, name, len);
	b->used += len;
	return p;
}

static void names_free(struct config_name_block *b)
{
	while (b) {
		struct config_name_block *next = b->next;

		free(b);
		b = next;
	}
}

/* The `target` line of dev, or 0 if it has none. */
static int target_line(const struct config *cfg, const char *dev)
{
	const struct config_masq *m = config_masq_find(cfg, dev);
	const struct config_xdp *x = config_xdp_find(cfg, dev);
	const struct config_strict *st = config_strict_find(cfg, dev);

	if (m && m->target_line)
		return m->target_line;
	if (x)
		return x->line;
	return st ? st->line : 0;
}

static int parse_interface(struct parser *ps, char **tok, int ntok)
{
	struct config *cfg = ps->cfg;
	struct config_iface *ifc;
	const char *why;
	size_t i;
	int line;

	if (ntok != 2)
		return fail(ps, -EINVAL, INTERFACE_USAGE);
	why = config_ifname_invalid(tok[1]);
	if (why)
		return fail(ps, -EINVAL, "bad interface name '%s': %s", tok[1], why);

	for (i = 0; i < cfg->n_ifaces; i++) {
		if (!strcmp(cfg->ifaces[i].name, tok[1]))
			return fail(ps, -EINVAL, "duplicate interface %s (first at line %d)",
				    tok[1], cfg->ifaces[i].line);
	}
	/* See parse_route(): the same conflict, found from the other side. */
	for (i = 0; i < cfg->n_routes; i++) {
		if (!strcmp(cfg->routes[i].dev, tok[1]))
			return fail(ps, -EINVAL,
				    "%s is both a route target (line %d) and a LAN interface",
				    tok[1], config_route_dev_line(cfg, &cfg->routes[i]));
	}
	/* A list without entries names its device all the same. */
	for (i = 0; i < cfg->n_lists; i++) {
		if (!strcmp(cfg->lists[i].dev, tok[1]))
			return fail(ps, -EINVAL,
				    "%s is both a route target (line %d) and a LAN interface",
				    tok[1], cfg->lists[i].line);
	}
	line = target_line(cfg, tok[1]);
	if (line)
		return fail(ps, -EINVAL, "%s is both a target (line %d) and a LAN interface",
			    tok[1], line);

	ifc = grow(cfg->ifaces, cfg->n_ifaces, &ps->ifaces_cap, sizeof(*cfg->ifaces));
	if (!ifc)
		return fail(ps, -ENOMEM, "out of memory");
	cfg->ifaces = ifc;
	ifc = &cfg->ifaces[cfg->n_ifaces++];
	memset(ifc, 0, sizeof(*ifc));
	strcpy(ifc->name, tok[1]);	/* length checked by config_ifname_invalid() */
	ifc->line = ps->line;
	return 0;
}

bool config_word_is_prefix(const char *word)
{
	/*
	 * No top-level domain is all digits (RFC 3696 section 2): a word of
	 * digits and dots, or one with a ':' or a '/', is an address or a
	 * prefix; anything else is a name ("1e100.net" included).
	 */
	return strpbrk(word, ":/") ||
	       (strspn(word, "0123456789.") == strlen(word) && strpbrk(word, "0123456789"));
}

static bool route_same(const struct config_route *a, const struct config_route *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == CONFIG_ROUTE_PREFIX)
		return a->prefix.family == b->prefix.family && a->prefix.len == b->prefix.len &&
		       !memcmp(a->prefix.addr, b->prefix.addr, sizeof(a->prefix.addr));
	return a->wildcard == b->wildcard && !strcmp(a->domain, b->domain);
}

/* FNV-1a: the file is the operator's, no adversary picks the keys. */
static __u64 hash_bytes(__u64 h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* Over what route_same() compares, and nothing else. */
static __u64 route_hash(const struct config_route *r)
{
	__u64 h = 0xcbf29ce484222325ULL;
	unsigned char head[3] = { (unsigned char)r->kind, 0, 0 };

	_Static_assert(sizeof(r->prefix.addr) == 16, "two words of address");

	if (r->kind == CONFIG_ROUTE_PREFIX) {
		__u64 w[2];

		/*
		 * A word at a time: a list of a million prefixes hashes each
		 * a few times, and byte by byte that was a second.
		 */
		memcpy(w, r->prefix.addr, sizeof(w));
		h ^= (__u64)r->prefix.family << 8 | r->prefix.len;
		h = (h ^ w[0]) * 0x9e3779b97f4a7c15ULL;
		h = (h ^ w[1]) * 0x9e3779b97f4a7c15ULL;
		return h ^ h >> 29;
	}
	head[1] = r->wildcard;
	h = hash_bytes(h, head, sizeof(head));
	return hash_bytes(h, r->domain, strlen(r->domain));
}

/*
 * The set of routes so far, by hash. Each slot keeps its route's hash, so
 * that a probe compares routes only when the hashes agree and the set grows
 * without hashing again: with a list of a million entries, every look at a
 * route is a cache miss.
 */
struct route_slot {
	__u32 idx;	/* 1 + index into cfg->routes; 0: empty */
	__u32 hash;
};

/* The earlier route of the same prefix or name as r, or NULL. */
static const struct config_route *route_set_find(const struct parser *ps,
						 const struct config_route *r)
{
	size_t mask = ps->route_set_cap - 1, i;
	__u32 h;

	if (!ps->route_set_cap)
		return NULL;
	h = (__u32)route_hash(r);
	for (i = h & mask; ps->route_set[i].idx; i = (i + 1) & mask) {
		const struct config_route *o = &ps->cfg->routes[ps->route_set[i].idx - 1];

		if (ps->route_set[i].hash == h && route_same(o, r))
			return o;
	}
	return NULL;
}

static void route_set_put(struct route_slot *set, size_t cap, __u32 idx, __u32 h)
{
	size_t i;

	for (i = h & (cap - 1); set[i].idx; i = (i + 1) & (cap - 1))
		;
	set[i].idx = idx + 1;
	set[i].hash = h;
}

/* cfg->routes[idx] joins the set, which doubles before it is half full. */
static int route_set_add(struct parser *ps, size_t idx)
{
	if (idx >= UINT32_MAX - 1)
		return -ENOMEM;
	if (2 * (idx + 1) > ps->route_set_cap) {
		size_t cap = ps->route_set_cap ? 2 * ps->route_set_cap : 64;
		struct route_slot *set = calloc(cap, sizeof(*set));

		if (!set)
			return -ENOMEM;
		for (size_t j = 0; j < ps->route_set_cap; j++)
			if (ps->route_set[j].idx)
				route_set_put(set, cap, ps->route_set[j].idx - 1,
					      ps->route_set[j].hash);
		free(ps->route_set);
		ps->route_set = set;
		ps->route_set_cap = cap;
	}
	route_set_put(ps->route_set, ps->route_set_cap, (__u32)idx,
		      (__u32)route_hash(&ps->cfg->routes[idx]));
	return 0;
}

/* r as a route line writes it, into buf (CONFIG_DOMAIN_MAX + 2 bytes at least). */
static const char *route_text(const struct config_route *r, char *buf, size_t len)
{
	if (r->kind == CONFIG_ROUTE_PREFIX)
		return prefix_format(&r->prefix, buf, len);
	snprintf(buf, len, "%s%s", r->wildcard ? "*." : "", r->domain);
	return buf;
}

/*
 * r routes what dup, read before, routes. Two route lines: refused, as ever
 * (one of them is a mistake). With a list on either side, the same device
 * is the same rule, merged (0): published lists repeat themselves and
 * overlap. Another device is refused, naming both places.
 */
static int route_dup(struct parser *ps, const struct config_route *r,
		     const struct config_route *dup)
{
	char text[CONFIG_DOMAIN_MAX + 2 > PREFIX_STRLEN ? CONFIG_DOMAIN_MAX + 2 : PREFIX_STRLEN];

	route_text(r, text, sizeof(text));
	/* Either is a mistake: which one the operator meant is theirs to say. */
	if (r->bypass != dup->bypass)
		return fail(ps, -EINVAL, "%s is both a %s (%s:%d) and a %s", text,
			    dup->bypass ? "bypass" : "route", config_route_file(ps->cfg, dup),
			    dup->line, r->bypass ? "bypass" : "route");
	if (r->bypass)
		return fail(ps, -EINVAL, "duplicate bypass %s (first at line %d)", text, dup->line);
	if (!r->list && !dup->list)
		return fail(ps, -EINVAL, "duplicate route %s (first at line %d)", text, dup->line);
	/* One rule per name or prefix: it cannot steer two groups two ways. */
	if (!strcmp(r->dev, dup->dev) && r->clients != dup->clients)
		return fail(ps, -EINVAL, "duplicate route %s for clients %s (first at %s:%d for "
			    "clients %s)", text, config_clients_name(ps->cfg, r->clients),
			    config_route_file(ps->cfg, dup), dup->line,
			    config_clients_name(ps->cfg, dup->clients));
	if (!strcmp(r->dev, dup->dev))
		return 0;
	return fail(ps, -EINVAL, "duplicate route %s to %s (first at %s:%d to %s)", text, r->dev,
		    config_route_file(ps->cfg, dup), dup->line, dup->dev);
}

/* r joins cfg->routes, the duplicate set and the counts. */
static int route_append(struct parser *ps, const struct config_route *r)
{
	struct config *cfg = ps->cfg;
	struct config_route *rp, *last;

	rp = grow(cfg->routes, cfg->n_routes, &ps->routes_cap, sizeof(*cfg->routes));
	if (!rp)
		return fail(ps, -ENOMEM, "out of memory");
	cfg->routes = rp;
	last = cfg->n_routes ? &cfg->routes[cfg->n_routes - 1] : NULL;
	cfg->routes[cfg->n_routes] = *r;
	if (r->kind == CONFIG_ROUTE_DOMAIN) {
		const char *name;

		/* A `domains` entry is a name and its wildcard: one copy of the text for both. */
		if (last && last->kind == CONFIG_ROUTE_DOMAIN && !strcmp(last->domain, r->domain))
			name = last->domain;
		else
			name = name_store(cfg, r->domain);
		if (!name)
			return fail(ps, -ENOMEM, "out of memory");
		cfg->routes[cfg->n_routes].domain = name;
	}
	cfg->n_routes++;
	if (route_set_add(ps, cfg->n_routes - 1))
		return fail(ps, -ENOMEM, "out of memory");
	if (r->kind == CONFIG_ROUTE_DOMAIN)
		ps->n_rules++;
	else if (r->prefix.family == AF_INET)
		ps->n_prefixes4++;
	else
		ps->n_prefixes6++;
	return 0;
}

/*
 * The group named by `clients NAME` (tok[*i] is "clients"): its id into
 * *clients, *i moved past the name. Groups are defined before their use.
 */
static int parse_clients_option(struct parser *ps, char **tok, int ntok, int *i,
				const char *usage, unsigned int *clients)
{
	const struct config *cfg = ps->cfg;

	if (*clients)
		return fail(ps, -EINVAL, "'clients' given twice; %s", usage);
	if (++*i == ntok)
		return fail(ps, -EINVAL, "clients: missing the group's name; %s", usage);
	for (size_t g = 0; g < cfg->n_clients; g++) {
		if (!strcmp(cfg->clients[g].name, tok[*i])) {
			*clients = (unsigned int)g + 1;
			return 0;
		}
	}
	return fail(ps, -EINVAL, "unknown client group '%s' (a clients line defines it, before "
		    "its use)", tok[*i]);
}

/*
 * The words after a route's device or a target's name, each at most once:
 * `masquerade`, for a route (clients not NULL) `clients NAME`, and for a
 * target (xdp not NULL) `xdp` and `strict`, which a `yes` or `no` may follow
 * (bare, it is `strict yes`): *strict is then 1 or 0, else left as it was.
 * what and dev say where they stand, for the
 * message.
 */
static int parse_options(struct parser *ps, char **tok, int ntok, const char *what,
			 const char *dev, const char *usage, bool *masquerade, bool *xdp,
			 int *strict, unsigned int *clients)
{
	bool strict_seen = false;

	for (int i = 0; i < ntok; i++) {
		bool *opt;
		int ret;

		if (clients && !strcmp(tok[i], "clients")) {
			ret = parse_clients_option(ps, tok, ntok, &i, usage, clients);
			if (ret)
				return ret;
			continue;
		}
		if (!strcmp(tok[i], "masquerade"))
			opt = masquerade;
		else if (xdp && !strcmp(tok[i], "xdp"))
			opt = xdp;
		else if (strict && !strcmp(tok[i], "strict"))
			opt = &strict_seen;
		else
			return fail(ps, -EINVAL, "unknown option '%s' %s %s; %s", tok[i], what, dev,
				    usage);
		if (*opt)
			return fail(ps, -EINVAL, "'%s' given twice; %s", tok[i], usage);
		*opt = true;
		if (opt != &strict_seen)
			continue;
		*strict = 1;
		if (i + 1 < ntok && (!strcmp(tok[i + 1], "yes") || !strcmp(tok[i + 1], "no")))
			*strict = !strcmp(tok[++i], "yes");
	}
	return 0;
}

/* dev is masqueraded from this line on; target: the line is its `target` line. */
static int masq_add(struct parser *ps, const char *dev, bool target)
{
	const struct config_xdp *x = config_xdp_find(ps->cfg, dev);
	struct config *cfg = ps->cfg;
	struct config_masq *m;
	size_t i;

	if (x)
		return fail(ps, -EINVAL, "%s: 'masquerade' and 'xdp' (line %d) exclude each other: "
			    XDP_NO_MASQ, dev, x->line);
	for (i = 0; i < cfg->n_masq; i++) {
		if (!strcmp(cfg->masq[i].dev, dev)) {
			if (target)
				cfg->masq[i].target_line = ps->line;
			return 0;
		}
	}
	m = grow(cfg->masq, cfg->n_masq, &ps->masq_cap, sizeof(*cfg->masq));
	if (!m)
		return fail(ps, -ENOMEM, "out of memory");
	cfg->masq = m;
	m = &cfg->masq[cfg->n_masq++];
	memset(m, 0, sizeof(*m));
	snprintf(m->dev, sizeof(m->dev), "%s", dev);
	m->line = ps->line;
	m->target_line = target ? ps->line : 0;
	return 0;
}

/*
 * The "WHAT dev IFNAME" that starts a route and a route-list line: the
 * device name into dev (IF_NAMESIZE), or the line refused with usage.
 */
static int parse_dev(struct parser *ps, char **tok, int ntok, const char *usage, char *dev)
{
	const char *why;

	if (ntok < 4)
		return fail(ps, -EINVAL, "%s", usage);
	if (strcmp(tok[2], "dev"))
		return fail(ps, -EINVAL, "expected 'dev', got '%s'; %s", tok[2], usage);
	why = config_ifname_invalid(tok[3]);
	if (why)
		return fail(ps, -EINVAL, "bad device name '%s': %s", tok[3], why);
	strcpy(dev, tok[3]);		/* length checked by config_ifname_invalid() */
	return 0;
}

/*
 * The PREFIX|DOMAIN word of a route or bypass line into r; a name is
 * written into name (CONFIG_DOMAIN_MAX bytes), which r->domain then points
 * to until route_append() stores it.
 */
static int parse_route_what(struct parser *ps, const char *arg, struct config_route *r,
			    char *name)
{
	const char *why;
	char buf[64];
	int ret;

	if (config_word_is_prefix(arg)) {
		r->kind = CONFIG_ROUTE_PREFIX;
		ret = prefix_parse(arg, &r->prefix, &why);
		if (ret)
			return fail(ps, ret, "%s in %s", why, arg);
	} else {
		r->kind = CONFIG_ROUTE_DOMAIN;
		ret = config_domain_parse(arg, name, &r->wildcard, buf, sizeof(buf));
		if (ret)
			return fail(ps, ret, "bad domain '%s': %s", arg, buf);
		r->domain = name;
	}
	return 0;
}

/*
 * `bypass PREFIX|NAME|*.NAME`: an exception to the routes, kept on the
 * ordinary path. One entry a line, never from a list: a bypass is a
 * deliberate carve-out, and a published list mixed with routes would hide
 * which wins.
 */
static int parse_bypass(struct parser *ps, char **tok, int ntok)
{
	const struct config_route *dup;
	struct config_route r;
	char name[CONFIG_DOMAIN_MAX];
	int ret;

	if (ntok != 2)
		return fail(ps, -EINVAL, "%s", BYPASS_USAGE);
	memset(&r, 0, sizeof(r));
	r.bypass = true;
	r.line = ps->line;
	ret = parse_route_what(ps, tok[1], &r, name);
	if (ret)
		return ret;
	dup = route_set_find(ps, &r);
	if (dup)
		return route_dup(ps, &r, dup);
	return route_append(ps, &r);
}

static int parse_route(struct parser *ps, char **tok, int ntok)
{
	struct config *cfg = ps->cfg;
	struct config_route r;
	const struct config_route *dup;
	char name[CONFIG_DOMAIN_MAX];
	size_t i;
	int ret;

	memset(&r, 0, sizeof(r));
	ret = parse_dev(ps, tok, ntok, ROUTE_USAGE, r.dev);
	if (ret)
		return ret;
	r.line = ps->line;
	ret = parse_options(ps, tok + 4, ntok - 4, "after dev", tok[3], ROUTE_USAGE,
			    &r.masquerade, NULL, NULL, &r.clients);
	if (ret)
		return ret;

	ret = parse_route_what(ps, tok[1], &r, name);
	if (ret)
		return ret;

	dup = route_set_find(ps, &r);
	if (dup) {
		ret = route_dup(ps, &r, dup);
		if (ret)
			return ret;
		/* Merged with a list's entry: its masquerade still marks the device. */
		return r.masquerade ? masq_add(ps, r.dev, false) : 0;
	}

	/*
	 * The classifier runs on the LAN interfaces' ingress; steering their
	 * traffic back out of one of them sends it to the LAN it came from.
	 */
	for (i = 0; i < cfg->n_ifaces; i++) {
		if (!strcmp(cfg->ifaces[i].name, r.dev))
			return fail(ps, -EINVAL,
				    "%s is both a LAN interface (line %d) and a route target",
				    r.dev, cfg->ifaces[i].line);
	}

	if (r.masquerade) {
		ret = masq_add(ps, r.dev, false);
		if (ret)
			return ret;
	}
	return route_append(ps, &r);
}

/* The most domain rules, and prefixes of one family, cfg may hold. */
static size_t rules_limit(const struct config *cfg)
{
	return cfg->max_rules ? cfg->max_rules : BPFROUTE_RULES_LIMIT;
}

static size_t prefixes_limit(const struct config *cfg)
{
	return cfg->max_prefixes ? cfg->max_prefixes : BPFROUTE_PREFIXES_LIMIT;
}

/* An entry of the list being read (the last of cfg->lists), from config_list_read(). */
static int list_entry(void *ctx, const struct config_route *entry)
{
	struct parser *ps = ctx;
	struct config *cfg = ps->cfg;
	const struct config_list *l = &cfg->lists[cfg->n_lists - 1];
	const struct config_route *dup;
	struct config_route r = *entry;
	int ret;

	/* Not snprintf(): this runs for every entry of every list. */
	memcpy(r.dev, l->dev, sizeof(r.dev));
	r.masquerade = l->masquerade;
	r.clients = l->clients;
	r.list = (unsigned int)cfg->n_lists;
	ps->line = r.line;
	dup = route_set_find(ps, &r);
	if (dup)
		return route_dup(ps, &r, dup);
	ret = route_append(ps, &r);
	if (ret)
		return ret;
	/*
	 * The capacity check's own message, at the first route past a map's
	 * size (max-rules or max-prefixes if set above the list, else the limit).
	 */
	if (ps->n_rules > rules_limit(cfg) || ps->n_prefixes4 > prefixes_limit(cfg) ||
	    ps->n_prefixes6 > prefixes_limit(cfg)) {
		ret = config_check_capacity(cfg, ps->err, ps->errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The list's FILE as it is opened and named: as written if absolute, else
 * relative to the directory of the config (a config in /etc/bpfroute finds
 * lists/x.txt in /etc/bpfroute/lists whatever the working directory is).
 */
static char *list_path(const char *config, const char *file)
{
	const char *slash = strrchr(config, '/');
	size_t dir, len;
	char *path;

	if (file[0] == '/' || !slash)
		return strdup(file);
	dir = (size_t)(slash - config);
	len = dir + 1 + strlen(file) + 1;
	path = malloc(len);
	if (path)
		snprintf(path, len, "%.*s/%s", (int)dir, config, file);
	return path;
}

/* The words after `route-list FILE dev IFNAME`: masquerade, format FORMAT, clients NAME. */
static int parse_list_options(struct parser *ps, char **tok, int ntok, struct config_list *l)
{
	static const char *const formats[] = {
		[CONFIG_LIST_BPFROUTE] = "bpfroute",
		[CONFIG_LIST_DOMAINS] = "domains",
		[CONFIG_LIST_V2FLY] = "v2fly",
	};
	bool format = false;

	for (int i = 0; i < ntok; i++) {
		size_t f;
		int ret;

		if (!strcmp(tok[i], "clients")) {
			ret = parse_clients_option(ps, tok, ntok, &i, ROUTE_LIST_USAGE, &l->clients);
			if (ret)
				return ret;
			continue;
		}
		if (!strcmp(tok[i], "masquerade")) {
			if (l->masquerade)
				return fail(ps, -EINVAL,
					    "'masquerade' given twice; " ROUTE_LIST_USAGE);
			l->masquerade = true;
			continue;
		}
		if (strcmp(tok[i], "format"))
			return fail(ps, -EINVAL,
				    "unknown option '%s' after dev %s; " ROUTE_LIST_USAGE, tok[i],
				    l->dev);
		if (format)
			return fail(ps, -EINVAL, "'format' given twice; " ROUTE_LIST_USAGE);
		if (++i == ntok)
			return fail(ps, -EINVAL, "format: missing its name; " ROUTE_LIST_USAGE);
		for (f = 0; f < sizeof(formats) / sizeof(formats[0]); f++)
			if (!strcmp(tok[i], formats[f]))
				break;
		if (f == sizeof(formats) / sizeof(formats[0]))
			return fail(ps, -EINVAL, "unknown format '%s'; " ROUTE_LIST_USAGE, tok[i]);
		l->format = (enum config_list_format)f;
		format = true;
	}
	return 0;
}

/*
 * `route-list FILE dev IFNAME [masquerade] [format FORMAT]`: each entry of
 * FILE is what a route line of it to IFNAME would be. The list is read here,
 * with the config: load, check and a reload (SIGHUP) read it afresh.
 */
static int parse_route_list(struct parser *ps, char **tok, int ntok)
{
	struct config *cfg = ps->cfg;
	const char *name = ps->name;
	struct config_list l, *lp;
	char reason[128];
	int fd, ret, line = ps->line;
	size_t i;

	memset(&l, 0, sizeof(l));
	ret = parse_dev(ps, tok, ntok, ROUTE_LIST_USAGE, l.dev);
	if (ret)
		return ret;
	l.line = ps->line;
	ret = parse_list_options(ps, tok + 4, ntok - 4, &l);
	if (ret)
		return ret;
	/* As for a route line: steering a LAN's traffic back into it. */
	for (i = 0; i < cfg->n_ifaces; i++) {
		if (!strcmp(cfg->ifaces[i].name, l.dev))
			return fail(ps, -EINVAL,
				    "%s is both a LAN interface (line %d) and a route target",
				    l.dev, cfg->ifaces[i].line);
	}
	if (l.masquerade) {
		ret = masq_add(ps, l.dev, false);
		if (ret)
			return ret;
	}

	lp = grow(cfg->lists, cfg->n_lists, &ps->lists_cap, sizeof(*cfg->lists));
	if (!lp)
		return fail(ps, -ENOMEM, "out of memory");
	cfg->lists = lp;
	l.path = list_path(name, tok[1]);
	if (!l.path)
		return fail(ps, -ENOMEM, "out of memory");
	cfg->lists[cfg->n_lists++] = l;	/* config_free() frees the path from here on */

	fd = config_open_regular(l.path, reason, sizeof(reason));
	if (fd < 0)
		return fail(ps, fd, "route-list %s: %s", l.path, reason);
	/* The entries' messages name the list and its lines. */
	ps->name = l.path;
	ret = config_list_read(fd, l.path, l.format, list_entry, ps, ps->err, ps->errlen);
	ps->name = name;
	ps->line = line;
	close(fd);
	return ret;
}

/* dev is forwarded to by the XDP stage: this line is its `target` line. */
static int xdp_add(struct parser *ps, const char *dev)
{
	const struct config_masq *mq = config_masq_find(ps->cfg, dev);
	struct config *cfg = ps->cfg;
	struct config_xdp *x;

	if (mq)
		return fail(ps, -EINVAL, "%s: 'xdp' and 'masquerade' (line %d) exclude each other: "
			    XDP_NO_MASQ, dev, mq->line);
	x = grow(cfg->xdp, cfg->n_xdp, &ps->xdp_cap, sizeof(*cfg->xdp));
	if (!x)
		return fail(ps, -ENOMEM, "out of memory");
	cfg->xdp = x;
	x = &cfg->xdp[cfg->n_xdp++];
	memset(x, 0, sizeof(*x));
	snprintf(x->dev, sizeof(x->dev), "%s", dev);
	x->line = ps->line;
	return 0;
}

/* The line's `strict` word for dev: this line is its `target` line. */
static int strict_add(struct parser *ps, const char *dev, bool strict)
{
	struct config *cfg = ps->cfg;
	struct config_strict *st;

	st = grow(cfg->strict, cfg->n_strict, &ps->strict_cap, sizeof(*cfg->strict));
	if (!st)
		return fail(ps, -ENOMEM, "out of memory");
	cfg->strict = st;
	st = &cfg->strict[cfg->n_strict++];
	memset(st, 0, sizeof(*st));
	snprintf(st->dev, sizeof(st->dev), "%s", dev);
	st->strict = strict;
	st->line = ps->line;
	return 0;
}

/*
 * `target IFNAME [masquerade|xdp] [strict [yes|no]]`: properties of the
 * device, shared by every rule to it, the config's and those added with
 * `route add`. A word is required: a bare `target wg0` would say nothing,
 * and a misspelt word must not pass for a device left as it was. One
 * `target` line per device.
 */
static int parse_target(struct parser *ps, char **tok, int ntok)
{
	struct config *cfg = ps->cfg;
	bool masquerade = false, xdp = false;
	int ret, line, strict = -1;
	const char *why;
	size_t i;

	if (ntok < 2)
		return fail(ps, -EINVAL, TARGET_USAGE);
	why = config_ifname_invalid(tok[1]);
	if (why)
		return fail(ps, -EINVAL, "bad device name '%s': %s", tok[1], why);
	ret = parse_options(ps, tok + 2, ntok - 2, "for target", tok[1], TARGET_USAGE,
			    &masquerade, &xdp, &strict, NULL);
	if (ret)
		return ret;
	if (!masquerade && !xdp && strict < 0)
		return fail(ps, -EINVAL, "target %s: missing 'masquerade', 'xdp' or 'strict'; "
			    TARGET_USAGE, tok[1]);
	if (masquerade && xdp)
		return fail(ps, -EINVAL, "%s: 'xdp' and 'masquerade' exclude each other: "
			    XDP_NO_MASQ, tok[1]);

	line = target_line(cfg, tok[1]);
	if (line)
		return fail(ps, -EINVAL, "duplicate target %s (first at line %d)", tok[1], line);
	/* As for routes: traffic steered into a LAN interface goes back where it came from. */
	for (i = 0; i < cfg->n_ifaces; i++) {
		if (!strcmp(cfg->ifaces[i].name, tok[1]))
			return fail(ps, -EINVAL,
				    "%s is both a LAN interface (line %d) and a target", tok[1],
				    cfg->ifaces[i].line);
	}
	if (strict >= 0) {
		ret = strict_add(ps, tok[1], strict);
		if (ret)
			return ret;
	}
	if (masquerade)
		return masq_add(ps, tok[1], true);
	return xdp ? xdp_add(ps, tok[1]) : 0;
}

/*
 * A resolver is an address, bare or with a length. Returns NULL with the
 * address as a host prefix in *p and the length written (the host length if
 * none) in *len, or a reason (*len is then 0).
 */
static const char *resolver_parse(const char *arg, struct prefix *p, __u32 *len)
{
	const char *slash = strchr(arg, '/');
	size_t alen = slash ? (size_t)(slash - arg) : strlen(arg);
	char buf[INET6_ADDRSTRLEN];
	struct prefix zero;
	const char *why;

	*len = 0;
	if (alen >= sizeof(buf))
		return "bad address";
	memcpy(buf, arg, alen);
	buf[alen] = '\0';
	if (prefix_parse(buf, p, &why))
		return why;
	*len = p->len;
	if (!slash)
		return NULL;

	/*
	 * The length is read by prefix_parse() too, so that routes and
	 * resolvers agree on it, but on the all-zero address: "192.0.2.53/24"
	 * would otherwise be refused for its host bits, when the mistake is
	 * the length. No valid length is longer than "/128".
	 */
	if (strlen(slash) > 4)
		return "bad prefix length";
	snprintf(buf, sizeof(buf), "%s%s", p->family == AF_INET ? "0.0.0.0" : "::", slash);
	if (prefix_parse(buf, &zero, &why))
		return why;
	*len = zero.len;
	return NULL;
}

/*
 * Why addr can never be the source of a DNS answer; NULL if it can. A host
 * never sends from a multicast address (RFC 1122 section 3.2.1.3, RFC 4291
 * section 2.7), and no server answers from the unspecified one: a resolver
 * line naming either would trust nothing, silently. Loopback is fine: a
 * resolver on the gateway itself (dnsmasq, unbound) is the common case.
 */
static const char *resolver_invalid(const struct prefix *p)
{
	static const __u8 zero[16];

	if (!memcmp(p->addr, zero, p->family == AF_INET ? 4 : 16))
		return "the unspecified address";
	if (p->family == AF_INET ? (p->addr[0] & 0xf0) == 0xe0 : p->addr[0] == 0xff)
		return "a multicast address";
	return NULL;
}

static int parse_resolver(struct parser *ps, char **tok, int ntok)
{
	struct config *cfg = ps->cfg;
	struct config_resolver r, *rp;
	char text[INET6_ADDRSTRLEN];
	const char *why;
	__u32 len;
	size_t i;

	if (ntok != 2)
		return fail(ps, -EINVAL, RESOLVER_USAGE);
	memset(&r, 0, sizeof(r));
	r.line = ps->line;
	why = resolver_parse(tok[1], &r.addr, &len);
	if (why)
		return fail(ps, -EINVAL, "%s in %s", why, tok[1]);
	/* bpfroute_resolv is a hash of single addresses: it cannot hold a subnet. */
	if (len != r.addr.len)
		return fail(ps, -EINVAL, "resolver must be an address, not a prefix");

	/* Name the address as `ip` prints it: spellings differ, addresses do not. */
	if (!inet_ntop(r.addr.family, r.addr.addr, text, sizeof(text)))
		strcpy(text, "?");
	why = resolver_invalid(&r.addr);
	if (why)
		return fail(ps, -EINVAL, "resolver %s is %s, not a server", text, why);

	for (i = 0; i < cfg->n_resolvers; i++) {
		const struct prefix *q = &cfg->resolvers[i].addr;

		if (q->family == r.addr.family && !memcmp(q->addr, r.addr.addr, sizeof(q->addr)))
			return fail(ps, -EINVAL, "duplicate resolver %s (first at line %d)", text,
				    cfg->resolvers[i].line);
	}
	/* bpfroute_resolv holds this many: refuse here, before load touches it. */
	if (cfg->n_resolvers >= BPFROUTE_MAX_RESOLVERS)
		return fail(ps, -EINVAL, "more than %d resolvers", BPFROUTE_MAX_RESOLVERS);

	rp = grow(cfg->resolvers, cfg->n_resolvers, &ps->resolvers_cap, sizeof(*cfg->resolvers));
	if (!rp)
		return fail(ps, -ENOMEM, "out of memory");
	cfg->resolvers = rp;
	cfg->resolvers[cfg->n_resolvers++] = r;
	return 0;
}

const char *config_line_invalid(const char *line, size_t n, char *why, size_t whylen)
{
	/*
	 * Refused even inside comments: a NUL would cut the line short where
	 * the reader cannot see it, and a stray '\r' (a file saved with DOS
	 * line endings) would glue itself to the last token of every line.
	 */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\0')
			snprintf(why, whylen, "NUL byte");
		else if (c == '\r')
			snprintf(why, whylen, "carriage return (DOS line endings?)");
		else if ((c < ' ' && c != '\t') || c == 0x7f)
			snprintf(why, whylen, "control character 0x%02x", c);
		else
			continue;
		return why;
	}
	return NULL;
}

/* A group's name: a letter, then letters, digits, '-' and '_'. */
static const char *clients_name_invalid(const char *name)
{
	size_t n = strlen(name);

	if (n >= BPFROUTE_CLIENTS_NAME_MAX)
		return "longer than 31 characters";
	if (!strcmp(name, "all"))
		return "'all' stands for every client";
	if (!is_alpha(name[0]))
		return "does not start with a letter";
	for (size_t i = 1; i < n; i++)
		if (!is_alpha(name[i]) && !is_digit(name[i]) && name[i] != '-' && name[i] != '_')
			return "only letters, digits, '-' and '_'";
	return NULL;
}

/*
 * `clients NAME PREFIX [PREFIX...]`: a client group, defined once, on one
 * line. Its prefixes go to bpfroute_cli4/6 (user/clients.c), which hold
 * BPFROUTE_MAX_CLIENT_PREFIXES of each family for all groups together.
 */
static int parse_clients(struct parser *ps, char **tok, int ntok)
{
	struct config *cfg = ps->cfg;
	struct config_clients g, *gp;
	const char *why;
	int ret;

	if (ntok < 3)
		return fail(ps, -EINVAL, CLIENTS_USAGE);
	if (ntok == CONFIG_MAX_TOKENS)
		return fail(ps, -EINVAL, "more than %d prefixes on one clients line",
			    CONFIG_MAX_TOKENS - 3);
	why = clients_name_invalid(tok[1]);
	if (why)
		return fail(ps, -EINVAL, "bad client group name '%s': %s", tok[1], why);
	for (size_t i = 0; i < cfg->n_clients; i++)
		if (!strcmp(cfg->clients[i].name, tok[1]))
			return fail(ps, -EINVAL, "duplicate client group %s (first at line %d)",
				    tok[1], cfg->clients[i].line);
	if (cfg->n_clients == BPFROUTE_MAX_CLIENT_GROUPS)
		return fail(ps, -E2BIG, "more than %d client groups", BPFROUTE_MAX_CLIENT_GROUPS);

	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "%s", tok[1]);
	g.line = ps->line;
	g.prefixes = calloc((size_t)ntok - 2, sizeof(*g.prefixes));
	if (!g.prefixes)
		return fail(ps, -ENOMEM, "out of memory");
	for (int i = 2; i < ntok; i++) {
		struct prefix *p = &g.prefixes[g.n_prefixes];
		size_t *n;

		ret = prefix_parse(tok[i], p, &why);
		if (ret) {
			ret = fail(ps, ret, "%s in %s", why, tok[i]);
			goto cleanup;
		}
		for (size_t j = 0; j < g.n_prefixes; j++) {
			if (g.prefixes[j].family == p->family && g.prefixes[j].len == p->len &&
			    !memcmp(g.prefixes[j].addr, p->addr, sizeof(p->addr))) {
				ret = fail(ps, -EINVAL, "prefix %s given twice", tok[i]);
				goto cleanup;
			}
		}
		n = p->family == AF_INET ? &ps->n_client4 : &ps->n_client6;
		if (++*n > BPFROUTE_MAX_CLIENT_PREFIXES) {
			ret = fail(ps, -E2BIG, "more than %d IPv%c client prefixes: bpfroute_cli%c "
				   "holds no more", BPFROUTE_MAX_CLIENT_PREFIXES,
				   p->family == AF_INET ? '4' : '6', p->family == AF_INET ? '4' : '6');
			goto cleanup;
		}
		g.n_prefixes++;
	}
	gp = grow(cfg->clients, cfg->n_clients, &ps->clients_cap, sizeof(*cfg->clients));
	if (!gp) {
		ret = fail(ps, -ENOMEM, "out of memory");
		goto cleanup;
	}
	cfg->clients = gp;
	cfg->clients[cfg->n_clients++] = g;
	return 0;
cleanup:
	free(g.prefixes);
	return ret;
}

/* line is NUL-terminated and n long, without its newline; it is modified. */
static int parse_line(struct parser *ps, char *line, size_t n)
{
	char *tok[CONFIG_MAX_TOKENS], *p, *hash;
	char why[CONFIG_LINE_MAX + 64];		/* quotes a token: up to a line */
	int ntok = 0, ret;

	if (config_line_invalid(line, n, why, sizeof(why)))
		return fail(ps, -EINVAL, "%s", why);

	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	p = line;
	for (;;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		if (ntok < CONFIG_MAX_TOKENS)
			tok[ntok++] = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
	}
	if (!ntok)
		return 0;

	if (!strcmp(tok[0], "interface"))
		return parse_interface(ps, tok, ntok);
	if (!strcmp(tok[0], "route"))
		return parse_route(ps, tok, ntok);
	if (!strcmp(tok[0], "route-list"))
		return parse_route_list(ps, tok, ntok);
	if (!strcmp(tok[0], "bypass"))
		return parse_bypass(ps, tok, ntok);
	if (!strcmp(tok[0], "resolver"))
		return parse_resolver(ps, tok, ntok);
	if (!strcmp(tok[0], "target"))
		return parse_target(ps, tok, ntok);
	if (!strcmp(tok[0], "clients"))
		return parse_clients(ps, tok, ntok);
	ret = config_fleet_parse(ps->cfg, ps->line, tok, ntok, why, sizeof(why));
	if (ret != -ENOENT)
		return ret ? fail(ps, ret, "%s", why) : 0;
	ret = config_setting_parse(ps->cfg, &ps->settings, ps->line, tok, ntok, why, sizeof(why));
	if (ret == -ENOENT)
		return fail(ps, -EINVAL, "unknown keyword '%s'", tok[0]);
	if (ret)
		return fail(ps, ret, "%s", why);
	return 0;
}

static int parse_buf(const char *name, const char *buf, size_t len, struct config *cfg,
		     char *err, size_t errlen)
{
	struct parser ps = { .name = name, .cfg = cfg, .err = err, .errlen = errlen };
	char line[CONFIG_LINE_MAX + 1], why[128];
	size_t off = 0;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->path = strdup(name);
	if (!cfg->path) {
		ret = fail(&ps, -ENOMEM, "out of memory");
		goto cleanup;
	}
	config_settings_init(cfg, &ps.settings);

	while (off < len) {
		const char *start = buf + off;
		const char *nl = memchr(start, '\n', len - off);
		size_t n = nl ? (size_t)(nl - start) : len - off;

		off += n + (nl ? 1 : 0);
		ps.line++;
		if (n > CONFIG_LINE_MAX) {
			ret = fail(&ps, -EINVAL, "line longer than %d characters",
				   CONFIG_LINE_MAX);
			goto cleanup;
		}
		memcpy(line, start, n);
		line[n] = '\0';
		ret = parse_line(&ps, line, n);
		if (ret)
			goto cleanup;
	}

	ret = config_settings_check(cfg, &ps.settings, &ps.line, why, sizeof(why));
	if (!ret)
		ret = config_fleet_check(cfg, &ps.line, why, sizeof(why));
	if (ret) {
		ret = fail(&ps, ret, "%s", why);
		goto cleanup;
	}

	ps.line = 0;
	if (!cfg->n_ifaces) {
		ret = fail(&ps, -EINVAL, "no interface line");
		goto cleanup;
	}
	free(ps.route_set);
	return 0;

cleanup:
	free(ps.route_set);
	config_free(cfg);
	return ret;
}

int config_parse_buf(const char *name, const char *buf, size_t len, struct config *cfg,
		     char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	return parse_buf(name, buf, len, cfg, err, errlen);
}

int config_parse_string(const char *name, const char *text, struct config *cfg,
			char *err, size_t errlen)
{
	return config_parse_buf(name, text, strlen(text), cfg, err, errlen);
}

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a file";
}

int config_open_regular(const char *path, char *why, size_t whylen)
{
	struct stat st;
	int fd, ret;

	/*
	 * O_NONBLOCK: opening a FIFO for reading waits for a writer, which
	 * may never come. The file is checked on the descriptor it is read
	 * from, so that it cannot be swapped between a look and the read.
	 */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(why, whylen, "%s", strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(why, whylen, "%s", strerror(-ret));
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file (%s)", file_kind(st.st_mode));
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	return fd;
}

int config_parse_file(const char *path, struct config *cfg, char *err, size_t errlen)
{
	struct parser ps = { .name = path, .err = err, .errlen = errlen };
	size_t len = 0, cap = 0;
	char *buf = NULL, *nbuf, why[128];
	struct stat st;
	ssize_t n;
	int fd, ret;

	memset(cfg, 0, sizeof(*cfg));
	if (err && errlen)
		err[0] = '\0';

	fd = config_open_regular(path, why, sizeof(why));
	if (fd < 0)
		return fail(&ps, fd, "%s", why);
	if (fstat(fd, &st)) {
		ret = -errno;
		fail(&ps, ret, "%s", strerror(-ret));
		goto cleanup;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		ret = fail(&ps, -EFBIG, "larger than %d MiB", CONFIG_FILE_MAX >> 20);
		goto cleanup;
	}

	for (;;) {
		if (len == cap) {
			if (len > CONFIG_FILE_MAX) {
				ret = fail(&ps, -EFBIG, "larger than %d MiB",
					   CONFIG_FILE_MAX >> 20);
				goto cleanup;
			}
			/* One byte past the cap tells a file of the cap from a bigger one. */
			cap = cap ? cap * 2 : 4096;
			if (cap > CONFIG_FILE_MAX)
				cap = CONFIG_FILE_MAX + 1;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				ret = fail(&ps, -ENOMEM, "out of memory");
				goto cleanup;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			fail(&ps, ret, "%s", strerror(-ret));
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}

	ret = parse_buf(path, buf, len, cfg, err, errlen);

cleanup:
	free(buf);
	close(fd);
	return ret;
}

/* Does dev exist? 0, or an error written as "unknown device" and the like. */
static int check_device(struct parser *ps, const char *dev, int line)
{
	int ret;

	ps->line = line;
	errno = 0;
	if (if_nametoindex(dev))
		return 0;
	/* glibc says ENODEV; a failed socket() says something else. */
	if (errno == 0 || errno == ENODEV || errno == ENXIO)
		return fail(ps, -ENODEV, "unknown device '%s'", dev);
	ret = -errno;
	return fail(ps, ret, "cannot look up device '%s': %s", dev, strerror(-ret));
}

/* dev on line is missing, and earlier than the missing device noted so far: note it. */
static void note_missing(const char *dev, int line, const char **missing, int *at)
{
	if (*missing && *at < line)
		return;
	if (!if_nametoindex(dev)) {
		*missing = dev;
		*at = line;
	}
}

int config_check_devices(const struct config *cfg, char *err, size_t errlen)
{
	struct parser ps = {
		.name = cfg->path ? cfg->path : "(config)",
		.err = err,
		.errlen = errlen,
	};
	const char *missing = NULL;
	int at = 0;

	if (err && errlen)
		err[0] = '\0';

	/* Interfaces, routes and target lines: the missing device of the earliest line. */
	for (size_t i = 0; i < cfg->n_ifaces; i++)
		note_missing(cfg->ifaces[i].name, cfg->ifaces[i].line, &missing, &at);
	/* One lookup per run of routes to one device: large configs repeat it. */
	for (size_t i = 0; i < cfg->n_routes; i++)
		if (!cfg->routes[i].bypass &&
		    (!i || strcmp(cfg->routes[i].dev, cfg->routes[i - 1].dev)))
			note_missing(cfg->routes[i].dev,
				     config_route_dev_line(cfg, &cfg->routes[i]), &missing, &at);
	/* A list's device, even if the list holds nothing (yet). */
	for (size_t i = 0; i < cfg->n_lists; i++)
		note_missing(cfg->lists[i].dev, cfg->lists[i].line, &missing, &at);
	for (size_t i = 0; i < cfg->n_masq; i++)
		if (cfg->masq[i].target_line)
			note_missing(cfg->masq[i].dev, cfg->masq[i].target_line, &missing, &at);
	for (size_t i = 0; i < cfg->n_xdp; i++)
		note_missing(cfg->xdp[i].dev, cfg->xdp[i].line, &missing, &at);
	for (size_t i = 0; i < cfg->n_strict; i++)
		note_missing(cfg->strict[i].dev, cfg->strict[i].line, &missing, &at);
	/* Looked up once more, for the reason in errno. */
	return missing ? check_device(&ps, missing, at) : 0;
}

/* Is dev one of names[0..n)? */
static bool name_in(char (*names)[IF_NAMESIZE], size_t n, const char *dev)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], dev))
			return true;
	return false;
}

/*
 * The target devices of cfg, those of the routes and of the target lines,
 * counted once each into *n; -E2BIG with the line of the first past
 * BPFROUTE_MAX_TARGETS in *line.
 */
static int targets_walk(const struct config *cfg, size_t *n, int *line)
{
	char (*names)[IF_NAMESIZE] = calloc(BPFROUTE_MAX_TARGETS, sizeof(*names));
	int ret = 0;

	*n = 0;
	if (!names)
		return -ENOMEM;
	size_t nr = cfg->n_routes, nm = cfg->n_masq, nx = cfg->n_xdp;

	for (size_t i = 0; i < nr + nm + nx + cfg->n_strict && !ret; i++) {
		const char *dev;

		if (i < nr) {
			if (cfg->routes[i].bypass)
				continue;	/* no device */
			dev = cfg->routes[i].dev;
			*line = config_route_dev_line(cfg, &cfg->routes[i]);
		} else if (i < nr + nm) {
			dev = cfg->masq[i - nr].dev;
			*line = cfg->masq[i - nr].line;
		} else if (i < nr + nm + nx) {
			dev = cfg->xdp[i - nr - nm].dev;
			*line = cfg->xdp[i - nr - nm].line;
		} else {
			dev = cfg->strict[i - nr - nm - nx].dev;
			*line = cfg->strict[i - nr - nm - nx].line;
		}
		if (name_in(names, *n, dev))
			continue;
		if (*n == BPFROUTE_MAX_TARGETS)
			ret = -E2BIG;
		else
			snprintf(names[(*n)++], IF_NAMESIZE, "%s", dev);
	}
	free(names);
	return ret;
}

size_t config_n_targets(const struct config *cfg)
{
	size_t n;
	int line;

	targets_walk(cfg, &n, &line);
	return n;
}

int config_check_capacity(const struct config *cfg, char *err, size_t errlen)
{
	struct parser ps = {
		.name = cfg->path ? cfg->path : "(config)",
		.err = err,
		.errlen = errlen,
	};
	size_t n4 = 0, n6 = 0, n_rules = 0, n_targets;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct config_route *r = &cfg->routes[i];
		char fam = r->prefix.family == AF_INET ? '4' : '6';

		ps.name = config_route_file(cfg, r);
		ps.line = r->line;
		if (r->kind == CONFIG_ROUTE_DOMAIN && ++n_rules > rules_limit(cfg)) {
			if (cfg->max_rules)
				return fail(&ps, -E2BIG, "more than %u domain rules: max-rules is "
					    "%u (%s:%d)", cfg->max_rules, cfg->max_rules,
					    cfg->path ? cfg->path : "(config)",
					    cfg->max_rules_line);
			return fail(&ps, -E2BIG, "more than %u domain rules: bpfroute_rules "
				    "holds no more", BPFROUTE_RULES_LIMIT);
		}
		if (r->kind == CONFIG_ROUTE_PREFIX &&
		    ++*(fam == '4' ? &n4 : &n6) > prefixes_limit(cfg)) {
			if (cfg->max_prefixes)
				return fail(&ps, -E2BIG, "more than %u IPv%c prefix routes: "
					    "max-prefixes is %u (%s:%d)", cfg->max_prefixes, fam,
					    cfg->max_prefixes, cfg->path ? cfg->path : "(config)",
					    cfg->max_prefixes_line);
			return fail(&ps, -E2BIG, "more than %u IPv%c prefix routes: "
				    "bpfroute_route%c holds no more", BPFROUTE_PREFIXES_LIMIT, fam,
				    fam);
		}
	}
	ps.name = cfg->path ? cfg->path : "(config)";
	ret = targets_walk(cfg, &n_targets, &ps.line);
	if (ret == -E2BIG)
		return fail(&ps, -E2BIG, "more than %d target devices: bpfroute_target holds no "
			    "more", BPFROUTE_MAX_TARGETS);
	if (ret)
		return fail(&ps, ret, "out of memory");
	/* The XDP stage keeps every LAN interface's MAC in bpfroute_lan. */
	if (cfg->n_xdp && cfg->n_ifaces > BPFROUTE_MAX_LANS) {
		ps.line = cfg->ifaces[BPFROUTE_MAX_LANS].line;
		return fail(&ps, -E2BIG, "more than %d LAN interfaces with the XDP stage "
			    "('target %s xdp', line %d): bpfroute_lan holds no more",
			    BPFROUTE_MAX_LANS, cfg->xdp[0].dev, cfg->xdp[0].line);
	}
	return 0;
}

void config_count(const struct config *cfg, size_t *rules, size_t *prefixes4,
		  size_t *prefixes6)
{
	*rules = *prefixes4 = *prefixes6 = 0;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct config_route *r = &cfg->routes[i];

		if (r->kind == CONFIG_ROUTE_DOMAIN)
			++*rules;
		else
			++*(r->prefix.family == AF_INET ? prefixes4 : prefixes6);
	}
}

/* n and half as many again, in whole steps of floor, within [floor, limit]. */
static __u32 capacity_for(size_t n, __u32 floor, __u32 limit)
{
	size_t want = n + n / 2;

	want = (want + floor - 1) / floor * floor;
	if (want < floor)
		want = floor;
	return want > limit ? limit : (__u32)want;
}

__u32 config_rules_capacity(const struct config *cfg)
{
	size_t rules, p4, p6;

	if (cfg->max_rules)
		return cfg->max_rules;
	config_count(cfg, &rules, &p4, &p6);
	return capacity_for(rules, BPFROUTE_RULES_DEFAULT, BPFROUTE_RULES_LIMIT);
}

__u32 config_prefixes_capacity(const struct config *cfg)
{
	size_t rules, p4, p6;

	if (cfg->max_prefixes)
		return cfg->max_prefixes;
	config_count(cfg, &rules, &p4, &p6);
	return capacity_for(p4 > p6 ? p4 : p6, BPFROUTE_PREFIXES_DEFAULT,
			    BPFROUTE_PREFIXES_LIMIT);
}

const char *config_route_file(const struct config *cfg, const struct config_route *r)
{
	if (r->list && r->list <= cfg->n_lists)
		return cfg->lists[r->list - 1].path;
	return cfg->path ? cfg->path : "(config)";
}

int config_route_dev_line(const struct config *cfg, const struct config_route *r)
{
	if (r->list && r->list <= cfg->n_lists)
		return cfg->lists[r->list - 1].line;
	return r->line;
}

const char *config_clients_name(const struct config *cfg, unsigned int id)
{
	if (!id)
		return "all";
	if (id > cfg->n_clients)
		return "?";
	return cfg->clients[id - 1].name;
}

const struct config_masq *config_masq_find(const struct config *cfg, const char *dev)
{
	for (size_t i = 0; i < cfg->n_masq; i++)
		if (!strcmp(cfg->masq[i].dev, dev))
			return &cfg->masq[i];
	return NULL;
}

const struct config_xdp *config_xdp_find(const struct config *cfg, const char *dev)
{
	for (size_t i = 0; i < cfg->n_xdp; i++)
		if (!strcmp(cfg->xdp[i].dev, dev))
			return &cfg->xdp[i];
	return NULL;
}

const struct config_strict *config_strict_find(const struct config *cfg, const char *dev)
{
	for (size_t i = 0; i < cfg->n_strict; i++)
		if (!strcmp(cfg->strict[i].dev, dev))
			return &cfg->strict[i];
	return NULL;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->ifaces);
	free(cfg->routes);
	names_free(cfg->names);
	for (size_t i = 0; i < cfg->n_lists; i++)
		free(cfg->lists[i].path);
	free(cfg->lists);
	free(cfg->masq);
	free(cfg->xdp);
	free(cfg->strict);
	free(cfg->resolvers);
	for (size_t i = 0; i < cfg->n_clients; i++)
		free(cfg->clients[i].prefixes);
	free(cfg->clients);
	memset(cfg, 0, sizeof(*cfg));
}
