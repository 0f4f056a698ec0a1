/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Unit tests of the config file parser and of the prefix helpers. Pure user
 * space: no BPF, no privileges; only config_check_devices() looks at the
 * network namespace, and only for "lo". The route-list tests write their
 * lists into a directory under /tmp of their own and work in it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "prefix.h"
#include "test.h"
#include "bpfroute_abi.h"	/* BPFROUTE_MAX_RESOLVERS; after <linux/types.h> */

TEST_STATE_DEFINE;

#define NAME "t.conf"

/* A refused parse must leave nothing behind: no pointers, no counts, no settings. */
static bool cfg_is_empty(const struct config *cfg)
{
	return !cfg->path && !cfg->ifaces && !cfg->n_ifaces && !cfg->routes && !cfg->n_routes &&
	       !cfg->lists && !cfg->n_lists &&
	       !cfg->masq && !cfg->n_masq && !cfg->xdp && !cfg->n_xdp &&
	       !cfg->strict && !cfg->n_strict &&
	       !cfg->resolvers && !cfg->n_resolvers && !cfg->min_ttl && !cfg->max_ttl &&
	       !cfg->idle_timeout && !cfg->max_routes && !cfg->prefetch &&
	       !cfg->max_client_flows && !cfg->clients && !cfg->n_clients &&
	       !cfg->fleet.export_table && !cfg->fleet.export_line &&
	       !cfg->fleet.export_prefixes && !cfg->fleet.import_table &&
	       !cfg->fleet.import_line && !cfg->fleet.import_dev[0];
}

/*
 * Parses text and expects a refusal with exactly ret and message. cfg starts
 * as garbage: the parser must not rely on the caller zeroing it.
 */
static bool expect_refusal(const char *text, int want_ret, const char *want_msg)
{
	struct config cfg;
	char err[512];
	bool ok = true;
	int ret;

	memset(&cfg, 0xa5, sizeof(cfg));
	memset(err, 'X', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	ret = config_parse_string(NAME, text, &cfg, err, sizeof(err));
	ok &= ASSERT_EQ(ret, want_ret, want_msg);
	ok &= ASSERT_STREQ(err, want_msg, "message");
	if (ret == 0)
		config_free(&cfg);
	else
		ok &= ASSERT_TRUE(cfg_is_empty(&cfg), "cfg empty after refusal");
	return ok;
}

/* Parses text that must be accepted; the caller frees cfg. */
static bool expect_ok(const char *text, struct config *cfg)
{
	char err[512] = "";
	int ret;

	ret = config_parse_string(NAME, text, cfg, err, sizeof(err));
	if (!ASSERT_OK(ret, "config_parse_string")) {
		printf("  message: %s\n", err);
		return false;
	}
	return true;
}

static const char *fmt(const struct prefix *p)
{
	static char buf[PREFIX_STRLEN];

	return prefix_format(p, buf, sizeof(buf));
}

/* A name of exactly len characters, 63-character labels separated by dots. */
static void make_name(char *out, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = (i % 64 == 63) ? '.' : 'a';
	out[len] = '\0';
}

static void test_valid_full_file(void)
{
	static const char text[] =
		"# bpfroute test configuration\n"			/* 1 */
		"\n"							/* 2 */
		"interface lan0\t\t# clients\n"				/* 3 */
		"\tinterface   lan1  \n"				/* 4 */
		"route 203.0.113.0/24 dev wg0\n"			/* 5 */
		"route\t198.51.100.7\tdev\twg0 # bare address\n"	/* 6 */
		"route 2001:DB8:0:1::/64 dev wg1\n"			/* 7 */
		"route 2001:db8::1 dev wg1\n"				/* 8 */
		"   # indented comment\n"				/* 9 */
		"route *.Corp.Example.COM. dev wg0\n"			/* 10 */
		"route example.com dev wg0\n"				/* 11 */
		"route *.example.com dev wg1\n"				/* 12 */
		"route localhost dev wg0\n"				/* 13 */
		"route _dmarc.Ex-ample.org dev wg0#no space\n"		/* 14 */
		"route 203.0.113.0/25 dev wg1";				/* 15, no newline */
	struct config cfg;
	struct config_route *r;

	test__start_subtest("valid_full_file");
	if (!expect_ok(text, &cfg))
		goto out;
	ASSERT_STREQ(cfg.path, NAME, "path");
	if (!ASSERT_EQ(cfg.n_ifaces, 2, "n_ifaces") || !ASSERT_EQ(cfg.n_routes, 10, "n_routes"))
		goto cleanup;
	ASSERT_STREQ(cfg.ifaces[0].name, "lan0", "iface 0 name");
	ASSERT_EQ(cfg.ifaces[0].line, 3, "iface 0 line");
	ASSERT_STREQ(cfg.ifaces[1].name, "lan1", "iface 1 name");
	ASSERT_EQ(cfg.ifaces[1].line, 4, "iface 1 line");

	r = &cfg.routes[0];
	ASSERT_EQ(r->kind, CONFIG_ROUTE_PREFIX, "r0 kind");
	ASSERT_EQ(r->prefix.family, AF_INET, "r0 family");
	ASSERT_EQ(r->prefix.len, 24, "r0 len");
	ASSERT_MEMEQ(r->prefix.addr, "\xcb\x00\x71\x00", 4, "r0 addr");
	ASSERT_STREQ(fmt(&r->prefix), "203.0.113.0/24", "r0 prefix");
	ASSERT_STREQ(r->dev, "wg0", "r0 dev");
	ASSERT_EQ(r->line, 5, "r0 line");

	r = &cfg.routes[1];
	ASSERT_EQ(r->kind, CONFIG_ROUTE_PREFIX, "r1 kind");
	ASSERT_EQ(r->prefix.family, AF_INET, "r1 family");
	ASSERT_EQ(r->prefix.len, 32, "r1 bare address is /32");
	ASSERT_STREQ(fmt(&r->prefix), "198.51.100.7/32", "r1 prefix");
	ASSERT_STREQ(r->dev, "wg0", "r1 dev");
	ASSERT_EQ(r->line, 6, "r1 line");

	r = &cfg.routes[2];
	ASSERT_EQ(r->kind, CONFIG_ROUTE_PREFIX, "r2 kind");
	ASSERT_EQ(r->prefix.family, AF_INET6, "r2 family");
	ASSERT_EQ(r->prefix.len, 64, "r2 len");
	ASSERT_MEMEQ(r->prefix.addr, "\x20\x01\x0d\xb8\x00\x00\x00\x01\0\0\0\0\0\0\0\0", 16,
		     "r2 addr");
	ASSERT_STREQ(fmt(&r->prefix), "2001:db8:0:1::/64", "r2 prefix");
	ASSERT_STREQ(r->dev, "wg1", "r2 dev");
	ASSERT_EQ(r->line, 7, "r2 line");

	r = &cfg.routes[3];
	ASSERT_EQ(r->prefix.family, AF_INET6, "r3 family");
	ASSERT_EQ(r->prefix.len, 128, "r3 bare address is /128");
	ASSERT_STREQ(fmt(&r->prefix), "2001:db8::1/128", "r3 prefix");
	ASSERT_EQ(r->line, 8, "r3 line");

	r = &cfg.routes[4];
	ASSERT_EQ(r->kind, CONFIG_ROUTE_DOMAIN, "r4 kind");
	ASSERT_STREQ(r->domain, "corp.example.com", "r4 lower case, no dot, no *.");
	ASSERT_TRUE(r->wildcard, "r4 wildcard");
	ASSERT_STREQ(r->dev, "wg0", "r4 dev");
	ASSERT_EQ(r->line, 10, "r4 line");

	r = &cfg.routes[5];
	ASSERT_EQ(r->kind, CONFIG_ROUTE_DOMAIN, "r5 kind");
	ASSERT_STREQ(r->domain, "example.com", "r5 domain");
	ASSERT_FALSE(r->wildcard, "r5 wildcard");
	ASSERT_EQ(r->line, 11, "r5 line");

	r = &cfg.routes[6];
	ASSERT_STREQ(r->domain, "example.com", "r6 domain");
	ASSERT_TRUE(r->wildcard, "r6 wildcard");
	ASSERT_STREQ(r->dev, "wg1", "r6 dev");
	ASSERT_EQ(r->line, 12, "r6 line");

	r = &cfg.routes[7];
	ASSERT_STREQ(r->domain, "localhost", "r7 single label");
	ASSERT_FALSE(r->wildcard, "r7 wildcard");
	ASSERT_EQ(r->line, 13, "r7 line");

	r = &cfg.routes[8];
	ASSERT_STREQ(r->domain, "_dmarc.ex-ample.org", "r8 underscore, '#' without space");
	ASSERT_STREQ(r->dev, "wg0", "r8 dev");
	ASSERT_EQ(r->line, 14, "r8 line");

	r = &cfg.routes[9];
	ASSERT_STREQ(fmt(&r->prefix), "203.0.113.0/25", "r9 same address, other length");
	ASSERT_STREQ(r->dev, "wg1", "r9 dev");
	ASSERT_EQ(r->line, 15, "r9 line without newline");
cleanup:
	config_free(&cfg);
out:
	test__end_subtest();
}

static void test_interfaces_without_routes_valid(void)
{
	struct config cfg;

	test__start_subtest("interfaces_without_routes_valid");
	if (expect_ok("interface lan0\ninterface eth1\n", &cfg)) {
		ASSERT_EQ(cfg.n_ifaces, 2, "n_ifaces");
		ASSERT_EQ(cfg.n_routes, 0, "n_routes");
		ASSERT_TRUE(cfg.routes == NULL, "routes NULL");
		config_free(&cfg);
	}
	test__end_subtest();
}

static void test_no_interface_line(void)
{
	test__start_subtest("no_interface_line");
	expect_refusal("", -EINVAL, NAME ": no interface line");
	expect_refusal("# only a comment\n\n   \n", -EINVAL, NAME ": no interface line");
	expect_refusal("route 10.0.0.0/8 dev wg0\n", -EINVAL, NAME ": no interface line");
	test__end_subtest();
}

static void test_unknown_keyword(void)
{
	test__start_subtest("unknown_keyword");
	expect_refusal("interface lan0\nfoo bar\n", -EINVAL, NAME ":2: unknown keyword 'foo'");
	/* Keywords are case-sensitive. */
	expect_refusal("\n\nInterface lan0\n", -EINVAL, NAME ":3: unknown keyword 'Interface'");
	test__end_subtest();
}

static void test_interface_usage(void)
{
	test__start_subtest("interface_usage");
	expect_refusal("interface\n", -EINVAL, NAME ":1: usage: interface IFNAME");
	expect_refusal("interface lan0\ninterface lan1 lan2\n", -EINVAL,
		       NAME ":2: usage: interface IFNAME");
	expect_refusal("interface # lan0\n", -EINVAL, NAME ":1: usage: interface IFNAME");
	test__end_subtest();
}

static void test_route_usage(void)
{
	test__start_subtest("route_usage");
	expect_refusal("interface lan0\nroute\n", -EINVAL,
		       NAME ":2: usage: route PREFIX|DOMAIN dev IFNAME [masquerade] [clients NAME]");
	expect_refusal("interface lan0\nroute 10.0.0.0/8\n", -EINVAL,
		       NAME ":2: usage: route PREFIX|DOMAIN dev IFNAME [masquerade] [clients NAME]");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev\n", -EINVAL,
		       NAME ":2: usage: route PREFIX|DOMAIN dev IFNAME [masquerade] [clients NAME]");
	expect_refusal("interface lan0\n\nroute 10.0.0.0/8 dev wg0 metric 5\n", -EINVAL,
		       NAME ":3: unknown option 'metric' after dev wg0; "
		       "usage: route PREFIX|DOMAIN dev IFNAME [masquerade] [clients NAME]");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 via wg0\n", -EINVAL,
		       NAME ":2: expected 'dev', got 'via'; "
		       "usage: route PREFIX|DOMAIN dev IFNAME [masquerade] [clients NAME]");
	test__end_subtest();
}

static void test_bad_interface_name(void)
{
	struct config cfg;

	test__start_subtest("bad_interface_name");
	expect_refusal("interface abcdefghijklmnop\n", -EINVAL,
		       NAME ":1: bad interface name 'abcdefghijklmnop': longer than 15 characters");
	expect_refusal("interface lan0\ninterface a/b\n", -EINVAL,
		       NAME ":2: bad interface name 'a/b': contains '/'");
	expect_refusal("interface lan0:1\n", -EINVAL,
		       NAME ":1: bad interface name 'lan0:1': contains ':'");
	expect_refusal("interface .\n", -EINVAL,
		       NAME ":1: bad interface name '.': '.' and '..' are not device names");
	expect_refusal("interface ..\n", -EINVAL,
		       NAME ":1: bad interface name '..': '.' and '..' are not device names");
	/* 15 characters is the most the kernel keeps (IFNAMSIZ - 1). */
	if (expect_ok("interface abcdefghijklmno\ninterface ...\n", &cfg)) {
		ASSERT_STREQ(cfg.ifaces[0].name, "abcdefghijklmno", "15 characters");
		ASSERT_STREQ(cfg.ifaces[1].name, "...", "three dots are a name");
		config_free(&cfg);
	}
	test__end_subtest();
}

static void test_bad_route_device(void)
{
	test__start_subtest("bad_route_device");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev abcdefghijklmnop\n", -EINVAL,
		       NAME ":2: bad device name 'abcdefghijklmnop': longer than 15 characters");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg/0\n", -EINVAL,
		       NAME ":2: bad device name 'wg/0': contains '/'");
	expect_refusal("interface lan0\nroute example.com dev wg0:1\n", -EINVAL,
		       NAME ":2: bad device name 'wg0:1': contains ':'");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev ..\n", -EINVAL,
		       NAME ":2: bad device name '..': '.' and '..' are not device names");
	test__end_subtest();
}

static void test_duplicate_interface(void)
{
	test__start_subtest("duplicate_interface");
	expect_refusal("# lan\n\ninterface lan0\nroute 10.0.0.0/8 dev wg0\ninterface lan0\n",
		       -EINVAL, NAME ":5: duplicate interface lan0 (first at line 3)");
	test__end_subtest();
}

static void test_duplicate_prefix(void)
{
	struct config cfg;

	test__start_subtest("duplicate_prefix");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0\nroute 10.0.0.0/8 dev wg1\n",
		       -EINVAL, NAME ":3: duplicate route 10.0.0.0/8 (first at line 2)");
	/* Spelled differently, the same prefix. */
	expect_refusal("interface lan0\nroute 2001:DB8::/32 dev wg0\n\n"
		       "route 2001:db8:0::/32 dev wg0\n",
		       -EINVAL, NAME ":4: duplicate route 2001:db8::/32 (first at line 2)");
	expect_refusal("interface lan0\nroute 192.0.2.1 dev wg0\nroute 192.0.2.1/32 dev wg0\n",
		       -EINVAL, NAME ":3: duplicate route 192.0.2.1/32 (first at line 2)");
	/* Other lengths and other families are other prefixes. */
	if (expect_ok("interface lan0\nroute 10.0.0.0/8 dev wg0\nroute 10.0.0.0/16 dev wg1\n"
		      "route 0.0.0.0/0 dev wg0\nroute ::/0 dev wg0\n", &cfg)) {
		ASSERT_EQ(cfg.n_routes, 4, "n_routes");
		config_free(&cfg);
	}
	test__end_subtest();
}

static void test_duplicate_domain(void)
{
	struct config cfg;

	test__start_subtest("duplicate_domain");
	expect_refusal("interface lan0\nroute example.com dev wg0\nroute Example.COM. dev wg1\n",
		       -EINVAL, NAME ":3: duplicate route example.com (first at line 2)");
	expect_refusal("interface lan0\nroute *.example.com dev wg0\nroute example.com dev wg0\n"
		       "route *.EXAMPLE.com dev wg0\n",
		       -EINVAL, NAME ":4: duplicate route *.example.com (first at line 2)");
	/* The wildcard flag makes it another rule. */
	if (expect_ok("interface lan0\nroute *.example.com dev wg0\nroute example.com dev wg0\n",
		      &cfg)) {
		ASSERT_EQ(cfg.n_routes, 2, "n_routes");
		config_free(&cfg);
	}
	test__end_subtest();
}

/*
 * The routes' hash set grows (rehashing every route) as the file goes on: a
 * duplicate of a route from before any growth, and one of a route from
 * after several, are still found, at their lines.
 */
static void test_duplicate_after_growth(void)
{
	size_t cap = 1000 * 40 + 200, n = 0;
	char *text = malloc(cap);
	struct config cfg;

	test__start_subtest("duplicate_after_growth");
	if (!ASSERT_TRUE(text != NULL, "malloc"))
		goto out;
	n += snprintf(text + n, cap - n, "interface lan0\n");
	for (int i = 0; i < 1000; i++)
		n += snprintf(text + n, cap - n, "route 100.64.%d.%d/32 dev wg0\n", i / 256, i % 256);
	snprintf(text + n, cap - n, "route 100.64.3.0/32 dev wg1\n");
	expect_refusal(text, -EINVAL, NAME ":1002: duplicate route 100.64.3.0/32 (first at line 770)");
	snprintf(text + n, cap - n, "route 100.64.0.0/32 dev wg1\n");
	expect_refusal(text, -EINVAL, NAME ":1002: duplicate route 100.64.0.0/32 (first at line 2)");
	snprintf(text + n, cap - n, "route 100.64.0.0/31 dev wg1\n");
	if (expect_ok(text, &cfg)) {
		ASSERT_EQ(cfg.n_routes, 1001, "n_routes");
		config_free(&cfg);
	}
out:
	free(text);
	test__end_subtest();
}

static void test_interface_is_route_target(void)
{
	test__start_subtest("interface_is_route_target");
	expect_refusal("interface wg0\ninterface lan0\nroute example.com dev wg0\n", -EINVAL,
		       NAME ":3: wg0 is both a LAN interface (line 1) and a route target");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0\n\ninterface wg0\n", -EINVAL,
		       NAME ":4: wg0 is both a route target (line 2) and a LAN interface");
	test__end_subtest();
}

static void test_bad_prefix_route(void)
{
	test__start_subtest("bad_prefix_route");
	expect_refusal("interface lan0\nroute 1.2.3/24 dev wg0\n", -EINVAL,
		       NAME ":2: bad address in 1.2.3/24");
	expect_refusal("interface lan0\nroute 1.2.3.256 dev wg0\n", -EINVAL,
		       NAME ":2: bad address in 1.2.3.256");
	expect_refusal("interface lan0\nroute 2001:db8::g/64 dev wg0\n", -EINVAL,
		       NAME ":2: bad address in 2001:db8::g/64");
	expect_refusal("interface lan0\nroute 1.2.3.0/33 dev wg0\n", -EINVAL,
		       NAME ":2: bad prefix length in 1.2.3.0/33");
	expect_refusal("interface lan0\nroute ::/129 dev wg0\n", -EINVAL,
		       NAME ":2: bad prefix length in ::/129");
	expect_refusal("interface lan0\nroute 1.2.3.4/ dev wg0\n", -EINVAL,
		       NAME ":2: bad prefix length in 1.2.3.4/");
	expect_refusal("interface lan0\nroute 1.2.3.4/-1 dev wg0\n", -EINVAL,
		       NAME ":2: bad prefix length in 1.2.3.4/-1");
	expect_refusal("interface lan0\n\n\nroute 203.0.113.5/24 dev wg0\n", -EINVAL,
		       NAME ":4: host bits set in 203.0.113.5/24");
	expect_refusal("interface lan0\nroute 2001:db8::1/64 dev wg0\n", -EINVAL,
		       NAME ":2: host bits set in 2001:db8::1/64");
	/* Digits and dots only: an address, even with too few parts. */
	expect_refusal("interface lan0\nroute 203.0.113 dev wg0\n", -EINVAL,
		       NAME ":2: bad address in 203.0.113");
	test__end_subtest();
}

/* Names may start with a digit; only digits and dots make an address. */
static void test_digit_names(void)
{
	struct config cfg;
	char err[256];
	int ret;

	test__start_subtest("digit_names");
	ret = config_parse_string(NAME, "interface lan0\nroute 1e100.net dev wg0\n"
				  "route *.163.com dev wg0\n", &cfg, err, sizeof(err));
	if (ASSERT_OK(ret, "parse names starting with digits")) {
		ASSERT_EQ(cfg.n_routes, 2, "routes");
		ASSERT_EQ(cfg.routes[0].kind, CONFIG_ROUTE_DOMAIN, "1e100.net kind");
		ASSERT_STREQ(cfg.routes[0].domain, "1e100.net", "1e100.net name");
		ASSERT_EQ(cfg.routes[1].kind, CONFIG_ROUTE_DOMAIN, "*.163.com kind");
		ASSERT_STREQ(cfg.routes[1].domain, "163.com", "*.163.com name");
		ASSERT_TRUE(cfg.routes[1].wildcard, "*.163.com wildcard");
		config_free(&cfg);
	}
	test__end_subtest();
}

static void test_bad_domain(void)
{
	char name[300], text[600], msg[600];
	struct config cfg;

	test__start_subtest("bad_domain");
	expect_refusal("interface lan0\nroute * dev wg0\n", -EINVAL,
		       NAME ":2: bad domain '*': wildcard without a name");
	expect_refusal("interface lan0\nroute *. dev wg0\n", -EINVAL,
		       NAME ":2: bad domain '*.': wildcard without a name");
	expect_refusal("interface lan0\nroute **.x dev wg0\n", -EINVAL,
		       NAME ":2: bad domain '**.x': '*' is allowed only as the whole first label");
	expect_refusal("interface lan0\nroute a.*.b dev wg0\n", -EINVAL,
		       NAME ":2: bad domain 'a.*.b': '*' is allowed only as the whole first label");
	expect_refusal("interface lan0\nroute *.*.b dev wg0\n", -EINVAL,
		       NAME ":2: bad domain '*.*.b': '*' is allowed only as the whole first label");
	expect_refusal("interface lan0\nroute *x.com dev wg0\n", -EINVAL,
		       NAME ":2: bad domain '*x.com': "
		       "'*' is allowed only as the whole first label");
	expect_refusal("interface lan0\nroute . dev wg0\n", -EINVAL,
		       NAME ":2: bad domain '.': empty name");
	expect_refusal("interface lan0\nroute a..b dev wg0\n", -EINVAL,
		       NAME ":2: bad domain 'a..b': empty label");
	expect_refusal("interface lan0\nroute .a dev wg0\n", -EINVAL,
		       NAME ":2: bad domain '.a': empty label");
	expect_refusal("interface lan0\nroute example.com.. dev wg0\n", -EINVAL,
		       NAME ":2: bad domain 'example.com..': empty label");
	expect_refusal("interface lan0\nroute -a.com dev wg0\n", -EINVAL,
		       NAME ":2: bad domain '-a.com': label starts or ends with '-'");
	expect_refusal("interface lan0\nroute a-.com dev wg0\n", -EINVAL,
		       NAME ":2: bad domain 'a-.com': label starts or ends with '-'");
	expect_refusal("interface lan0\nroute a.com- dev wg0\n", -EINVAL,
		       NAME ":2: bad domain 'a.com-': label starts or ends with '-'");
	expect_refusal("interface lan0\nroute a$b.com dev wg0\n", -EINVAL,
		       NAME ":2: bad domain 'a$b.com': invalid character '$'");
	expect_refusal("interface lan0\nroute caf\xc3\xa9.fr dev wg0\n", -EINVAL,
		       NAME ":2: bad domain 'caf\xc3\xa9.fr': invalid byte 0xc3");

	/* 64-character label. */
	memset(name, 'a', 64);
	strcpy(name + 64, ".com");
	snprintf(text, sizeof(text), "interface lan0\nroute %s dev wg0\n", name);
	snprintf(msg, sizeof(msg), NAME ":2: bad domain '%s': label longer than 63 characters",
		 name);
	expect_refusal(text, -EINVAL, msg);

	/* 254 characters: one too many, with or without the trailing dot. */
	make_name(name, 254);
	snprintf(text, sizeof(text), "interface lan0\nroute %s. dev wg0\n", name);
	snprintf(msg, sizeof(msg), NAME ":2: bad domain '%s.': name longer than 253 characters",
		 name);
	expect_refusal(text, -EINVAL, msg);

	/* The limits themselves are fine: 63-character label, 253 characters. */
	make_name(name, 253);
	snprintf(text, sizeof(text), "interface lan0\nroute *.%s. dev wg0\n", name);
	if (expect_ok(text, &cfg)) {
		ASSERT_STREQ(cfg.routes[0].domain, name, "253 characters");
		ASSERT_TRUE(cfg.routes[0].wildcard, "wildcard");
		config_free(&cfg);
	}
	if (expect_ok("interface lan0\nroute *.com dev wg0\nroute x0-9.A_b dev wg0\n", &cfg)) {
		ASSERT_STREQ(cfg.routes[0].domain, "com", "wildcard TLD");
		ASSERT_STREQ(cfg.routes[1].domain, "x0-9.a_b", "inner '-' and '_'");
		config_free(&cfg);
	}
	test__end_subtest();
}

static void test_line_length_limit(void)
{
	char text[2 * CONFIG_LINE_MAX + 64];
	struct config cfg;
	size_t off;

	test__start_subtest("line_length_limit");
	/* A comment line of exactly CONFIG_LINE_MAX characters is fine. */
	off = (size_t)snprintf(text, sizeof(text), "interface lan0\n#");
	memset(text + off, 'x', CONFIG_LINE_MAX - 1);
	strcpy(text + off + CONFIG_LINE_MAX - 1, "\n");
	if (expect_ok(text, &cfg))
		config_free(&cfg);

	/* One more character is refused, on the right line, comment or not. */
	off = (size_t)snprintf(text, sizeof(text), "interface lan0\n\n#");
	memset(text + off, 'x', CONFIG_LINE_MAX);
	strcpy(text + off + CONFIG_LINE_MAX, "\ninterface lan1\n");
	expect_refusal(text, -EINVAL, NAME ":3: line longer than 1023 characters");

	/* Also the last line, without its newline. */
	off = (size_t)snprintf(text, sizeof(text), "interface lan0\n");
	memset(text + off, ' ', CONFIG_LINE_MAX + 1);
	text[off + CONFIG_LINE_MAX + 1] = '\0';
	expect_refusal(text, -EINVAL, NAME ":2: line longer than 1023 characters");
	test__end_subtest();
}

static void test_control_characters(void)
{
	test__start_subtest("control_characters");
	expect_refusal("interface lan0\r\n", -EINVAL,
		       NAME ":1: carriage return (DOS line endings?)");
	expect_refusal("interface lan0\n# bell \a in a comment\n", -EINVAL,
		       NAME ":2: control character 0x07");
	expect_refusal("interface lan0\nroute example.com\vdev wg0\n", -EINVAL,
		       NAME ":2: control character 0x0b");
	test__end_subtest();
}

/* Writes len bytes of data to a new temp file; returns its path in path. */
static bool write_temp(char *path, const void *data, size_t len)
{
	int fd;

	strcpy(path, "/tmp/bpfroute-test-config-XXXXXX");
	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		return false;
	if (!ASSERT_EQ(write(fd, data, len), (long long)len, "write")) {
		close(fd);
		unlink(path);
		return false;
	}
	close(fd);
	return true;
}

static void test_parse_file(void)
{
	static const char text[] = "interface lan0\nroute 203.0.113.0/24 dev wg0\n"
				   "route *.corp.example.com dev wg0\n";
	char path[64], err[512], want[600];
	struct config cfg;
	int ret;

	test__start_subtest("parse_file");
	if (!write_temp(path, text, sizeof(text) - 1))
		goto out;
	ret = config_parse_file(path, &cfg, err, sizeof(err));
	unlink(path);
	if (!ASSERT_OK(ret, "config_parse_file")) {
		printf("  message: %s\n", err);
		goto out;
	}
	ASSERT_STREQ(cfg.path, path, "path is a copy of the name");
	ASSERT_TRUE(cfg.path != path, "path is a copy");
	ASSERT_EQ(cfg.n_ifaces, 1, "n_ifaces");
	if (ASSERT_EQ(cfg.n_routes, 2, "n_routes")) {
		ASSERT_STREQ(fmt(&cfg.routes[0].prefix), "203.0.113.0/24", "route 0");
		ASSERT_STREQ(cfg.routes[1].domain, "corp.example.com", "route 1");
		ASSERT_EQ(cfg.routes[1].line, 3, "route 1 line");
	}
	config_free(&cfg);
	ASSERT_TRUE(cfg_is_empty(&cfg), "config_free zeroes");
out:
	test__end_subtest();

	test__start_subtest("parse_file_missing");
	strcpy(path, "/nonexistent/bpfroute-test/bpfroute.conf");
	memset(&cfg, 0xa5, sizeof(cfg));
	ret = config_parse_file(path, &cfg, err, sizeof(err));
	ASSERT_EQ(ret, -ENOENT, "ret");
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	ASSERT_STREQ(err, want, "message");
	ASSERT_TRUE(cfg_is_empty(&cfg), "cfg empty");
	test__end_subtest();

	test__start_subtest("parse_file_directory");
	strcpy(path, "/tmp/bpfroute-test-dir-XXXXXX");
	if (!ASSERT_TRUE(mkdtemp(path) != NULL, "mkdtemp"))
		goto out_dir;
	ret = config_parse_file(path, &cfg, err, sizeof(err));
	rmdir(path);
	ASSERT_EQ(ret, -EISDIR, "ret");
	snprintf(want, sizeof(want), "%s: not a regular file (a directory)", path);
	ASSERT_STREQ(err, want, "message");
	ASSERT_TRUE(cfg_is_empty(&cfg), "cfg empty");
out_dir:
	test__end_subtest();

	test__start_subtest("parse_file_nul_byte");
	{
		static const char nul[] = "interface lan0\n# a \0 here\ninterface lan1\n";

		if (!write_temp(path, nul, sizeof(nul) - 1))
			goto out_nul;
		ret = config_parse_file(path, &cfg, err, sizeof(err));
		unlink(path);
		ASSERT_EQ(ret, -EINVAL, "ret");
		snprintf(want, sizeof(want), "%s:2: NUL byte", path);
		ASSERT_STREQ(err, want, "message");
		ASSERT_TRUE(cfg_is_empty(&cfg), "cfg empty");
	}
out_nul:
	test__end_subtest();
}

/*
 * Sized to the config: 10,000 rules and half as many again, 15,000, in
 * steps of the declared 4096: 16,384. Any number of rules up to the limit
 * passes the capacity check unless max-rules says fewer.
 */
static void test_capacity(void)
{
	size_t cap = 10000 * 40 + 64, n = 0;
	char *text = malloc(cap), err[512];
	struct config cfg;

	test__start_subtest("capacity_rules");
	if (!ASSERT_TRUE(text != NULL, "malloc"))
		goto out;
	n += snprintf(text + n, cap - n, "interface lan0\n");
	for (int i = 0; i < 10000; i++)
		n += snprintf(text + n, cap - n, "route r%d.example.com dev wg0\n", i);
	if (expect_ok(text, &cfg)) {
		ASSERT_OK(config_check_capacity(&cfg, err, sizeof(err)), "within the limit");
		ASSERT_EQ(config_rules_capacity(&cfg), 16384, "sized to the config");
		ASSERT_EQ(config_prefixes_capacity(&cfg), BPFROUTE_PREFIXES_DEFAULT,
			  "no prefixes: the floor");
		config_free(&cfg);
	}
out:
	free(text);
	test__end_subtest();
}

/*
 * max-rules and max-prefixes: the sizes of bpfroute_rules and of each
 * prefix trie. Unset, they are sized to the config with room to grow by
 * half, in steps of the declared size; set, they bound the config.
 */
static void test_capacity_settings(void)
{
	char text[4096], err[512];
	struct config cfg;
	size_t n;

	test__start_subtest("capacity_settings");
	if (expect_ok("interface lan0\nroute a.example dev wg0\n", &cfg)) {
		ASSERT_EQ(cfg.max_rules, 0, "max-rules unset");
		ASSERT_EQ(cfg.max_prefixes, 0, "max-prefixes unset");
		ASSERT_EQ(config_rules_capacity(&cfg), BPFROUTE_RULES_DEFAULT, "rules default");
		ASSERT_EQ(config_prefixes_capacity(&cfg), BPFROUTE_PREFIXES_DEFAULT,
			  "prefixes default");
		config_free(&cfg);
	}
	if (expect_ok("interface lan0\nmax-rules 1\nmax-prefixes 1048576\n", &cfg)) {
		ASSERT_EQ(cfg.max_rules, 1, "max-rules 1");
		ASSERT_EQ(cfg.max_rules_line, 2, "max-rules line");
		ASSERT_EQ(config_rules_capacity(&cfg), 1, "as set");
		ASSERT_EQ(config_prefixes_capacity(&cfg), 1048576, "max-prefixes 1M");
		ASSERT_EQ(cfg.max_prefixes_line, 3, "max-prefixes line");
		config_free(&cfg);
	}
	expect_refusal("interface lan0\nmax-rules 0\n", -EINVAL,
		       NAME ":2: max-rules 0 is out of range 1..1048576");
	expect_refusal("interface lan0\nmax-rules 1048577\n", -EINVAL,
		       NAME ":2: max-rules 1048577 is out of range 1..1048576");
	expect_refusal("interface lan0\nmax-prefixes 1048577\n", -EINVAL,
		       NAME ":2: max-prefixes 1048577 is out of range 1..1048576");
	expect_refusal("interface lan0\nmax-prefixes 0x10\n", -EINVAL,
		       NAME ":2: bad number '0x10' for max-prefixes");
	expect_refusal("interface lan0\nmax-rules 10\nmax-rules 20\n", -EINVAL,
		       NAME ":3: duplicate max-rules (first at line 2)");
	expect_refusal("interface lan0\nmax-prefixes\n", -EINVAL,
		       NAME ":2: usage: max-prefixes COUNT");

	/* Set: one rule or prefix more is refused at its line, naming the setting. */
	n = (size_t)snprintf(text, sizeof(text), "interface lan0\nmax-rules 2\nmax-prefixes 2\n"
			     "route a.example dev wg0\nroute *.b.example dev wg0\n"
			     "route 192.0.2.0/25 dev wg0\nroute 192.0.2.128/25 dev wg0\n"
			     "route 2001:db8::/32 dev wg0\n");
	if (expect_ok(text, &cfg)) {
		ASSERT_OK(config_check_capacity(&cfg, err, sizeof(err)), "two of each fit");
		config_free(&cfg);
	}
	snprintf(text + n, sizeof(text) - n, "route c.example dev wg0\n");
	if (expect_ok(text, &cfg)) {
		ASSERT_EQ(config_check_capacity(&cfg, err, sizeof(err)), -E2BIG, "a third rule");
		ASSERT_STREQ(err, NAME ":9: more than 2 domain rules: max-rules is 2 (" NAME ":2)",
			     "names max-rules");
		config_free(&cfg);
	}
	snprintf(text + n, sizeof(text) - n, "route 198.51.100.0/24 dev wg0\n");
	if (expect_ok(text, &cfg)) {
		ASSERT_EQ(config_check_capacity(&cfg, err, sizeof(err)), -E2BIG, "a third prefix");
		ASSERT_STREQ(err, NAME ":9: more than 2 IPv4 prefix routes: max-prefixes is 2 ("
			     NAME ":3)", "names max-prefixes");
		config_free(&cfg);
	}

	/* Unset: half as many again, in steps of the declared size. */
	n = (size_t)snprintf(text, sizeof(text), "interface lan0\n");
	for (int i = 0; i < 4; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "route 198.51.100.%d dev wg0\n",
				      i);
	if (expect_ok(text, &cfg)) {
		ASSERT_EQ(config_prefixes_capacity(&cfg), BPFROUTE_PREFIXES_DEFAULT, "the floor");
		config_free(&cfg);
	}
	test__end_subtest();
}

/* A FIFO would block the read until a writer came: refused as it is. */
static void test_parse_file_fifo(void)
{
	char path[64], err[512], want[600];
	struct config cfg;
	int ret;

	test__start_subtest("parse_file_fifo");
	snprintf(path, sizeof(path), "/tmp/bpfroute-test-fifo-%d", (int)getpid());
	if (!ASSERT_OK(mkfifo(path, 0600), "mkfifo"))
		goto out;
	ret = config_parse_file(path, &cfg, err, sizeof(err));
	unlink(path);
	ASSERT_EQ(ret, -EINVAL, "ret");
	snprintf(want, sizeof(want), "%s: not a regular file (a FIFO)", path);
	ASSERT_STREQ(err, want, "message");
	ASSERT_TRUE(cfg_is_empty(&cfg), "cfg empty");
out:
	test__end_subtest();
}

static void test_parse_file_size_limit(void)
{
	char path[64], err[512], want[600];
	struct config cfg;
	int fd, ret;

	test__start_subtest("parse_file_size_limit");
	strcpy(path, "/tmp/bpfroute-test-config-XXXXXX");
	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		goto out;

	/* 16 MiB exactly is read (and then refused for its content)... */
	if (!ASSERT_OK(ftruncate(fd, 16 << 20), "ftruncate"))
		goto cleanup;
	ret = config_parse_file(path, &cfg, err, sizeof(err));
	ASSERT_EQ(ret, -EINVAL, "16 MiB ret");
	snprintf(want, sizeof(want), "%s:1: line longer than 1023 characters", path);
	ASSERT_STREQ(err, want, "16 MiB message");

	/* ...one byte more is not. */
	if (!ASSERT_OK(ftruncate(fd, (16 << 20) + 1), "ftruncate"))
		goto cleanup;
	ret = config_parse_file(path, &cfg, err, sizeof(err));
	ASSERT_EQ(ret, -EFBIG, "16 MiB + 1 ret");
	snprintf(want, sizeof(want), "%s: larger than 16 MiB", path);
	ASSERT_STREQ(err, want, "16 MiB + 1 message");
	ASSERT_TRUE(cfg_is_empty(&cfg), "cfg empty");
cleanup:
	close(fd);
	unlink(path);
out:
	test__end_subtest();
}

static void test_check_devices(void)
{
	char err[512];
	struct config cfg;
	int ret;

	test__start_subtest("check_devices");
	if (!if_nametoindex("lo")) {
		test__skip("no loopback device in this namespace");
		return;
	}
	if (expect_ok("interface lo\n", &cfg)) {
		ASSERT_OK(config_check_devices(&cfg, err, sizeof(err)), "lo exists");
		config_free(&cfg);
	}
	if (expect_ok("interface lo\nroute 10.0.0.0/8 dev bpfrt-nodev9\n", &cfg)) {
		ret = config_check_devices(&cfg, err, sizeof(err));
		ASSERT_EQ(ret, -ENODEV, "route target missing");
		ASSERT_STREQ(err, NAME ":2: unknown device 'bpfrt-nodev9'", "message");
		config_free(&cfg);
	}
	/* Reported in line order, routes and interfaces mixed. */
	if (expect_ok("interface lo\nroute example.com dev bpfrt-nodev1\ninterface bpfrt-nodev2\n",
		      &cfg)) {
		ret = config_check_devices(&cfg, err, sizeof(err));
		ASSERT_EQ(ret, -ENODEV, "route first");
		ASSERT_STREQ(err, NAME ":2: unknown device 'bpfrt-nodev1'", "message");
		config_free(&cfg);
	}
	if (expect_ok("\ninterface bpfrt-nodev2\nroute example.com dev bpfrt-nodev1\n", &cfg)) {
		ret = config_check_devices(&cfg, err, sizeof(err));
		ASSERT_EQ(ret, -ENODEV, "interface first");
		ASSERT_STREQ(err, NAME ":2: unknown device 'bpfrt-nodev2'", "message");
		config_free(&cfg);
	}
	test__end_subtest();
}

/*
 * `target IFNAME ... strict [yes|no]`: what happens to a device's packets
 * while it is down. Strict is the default; the line records what it says.
 */
static void test_fleet_lines(void)
{
	struct config cfg;

	test__start_subtest("fleet_lines");
	if (expect_ok("interface lan0\nroute *.corp.example.com dev wg0\nexport table 100\n"
		      "export prefixes yes\nimport table 4000000000 dev wg0\n", &cfg)) {
		ASSERT_EQ(cfg.fleet.export_table, 100, "export table");
		ASSERT_EQ(cfg.fleet.export_line, 3, "export line");
		ASSERT_TRUE(cfg.fleet.export_prefixes, "export prefixes");
		ASSERT_EQ(cfg.fleet.import_table, 4000000000U, "import table above 2^31");
		ASSERT_STREQ(cfg.fleet.import_dev, "wg0", "import dev");
		ASSERT_EQ(cfg.fleet.import_line, 5, "import line");
		config_free(&cfg);
	}
	/* Nothing said: no table is touched. */
	if (expect_ok("interface lan0\nroute 10.0.0.0/8 dev wg0\n", &cfg)) {
		ASSERT_TRUE(!cfg.fleet.export_line && !cfg.fleet.import_line, "fleet off");
		config_free(&cfg);
	}
	/* The import device may be a target by a target line alone. */
	if (expect_ok("interface lan0\ntarget wg1 strict no\nimport table 7 dev wg1\n", &cfg))
		config_free(&cfg);

	expect_refusal("interface lan0\nexport table 254\n", -EINVAL,
		       NAME ":2: export table 254: 254 is the main table; choose a table of its "
		       "own (1..252, or 256 and above)");
	expect_refusal("interface lan0\nexport table 255\n", -EINVAL,
		       NAME ":2: export table 255: 255 is the local table; choose a table of its "
		       "own (1..252, or 256 and above)");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0\nimport table 253 dev wg0\n",
		       -EINVAL, NAME ":3: import table 253: 253 is the default table; choose a "
		       "table of its own (1..252, or 256 and above)");
	expect_refusal("interface lan0\nexport table 0\n", -EINVAL,
		       NAME ":2: export table 0: 0 is no table; choose a table of its own "
		       "(1..252, or 256 and above)");
	/* Names are refused rather than read from rt_tables: the kernel knows numbers only. */
	expect_refusal("interface lan0\nexport table main\n", -EINVAL,
		       NAME ":2: export table 'main': not a table number 1..4294967295");
	expect_refusal("interface lan0\nexport table 4294967296\n", -EINVAL,
		       NAME ":2: export table '4294967296': not a table number 1..4294967295");
	expect_refusal("interface lan0\nexport table 010\n", -EINVAL,
		       NAME ":2: export table '010': not a table number 1..4294967295");
	expect_refusal("interface lan0\nexport table 100\nexport table 101\n", -EINVAL,
		       NAME ":3: duplicate export table (first at line 2)");
	expect_refusal("interface lan0\nexport table\n", -EINVAL,
		       NAME ":2: usage: export table N, or export prefixes yes|no");
	expect_refusal("interface lan0\nexport routes 100\n", -EINVAL,
		       NAME ":2: unknown export 'routes'; usage: export table N, or export "
		       "prefixes yes|no");
	expect_refusal("interface lan0\nexport table 100\nexport prefixes maybe\n", -EINVAL,
		       NAME ":3: bad value 'maybe' for export prefixes; usage: export table N, or "
		       "export prefixes yes|no");
	expect_refusal("interface lan0\nexport prefixes yes\n", -EINVAL,
		       NAME ":2: export prefixes yes without an export table line");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0\nimport table 100\n", -EINVAL,
		       NAME ":3: usage: import table M dev IFNAME");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0\nimport table 100 via wg0\n",
		       -EINVAL, NAME ":3: usage: import table M dev IFNAME");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0\nimport table 100 dev a/b\n",
		       -EINVAL, NAME ":3: bad device name 'a/b': contains '/'");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0\nimport table 100 dev wg0\n"
		       "import table 101 dev wg0\n", -EINVAL,
		       NAME ":4: duplicate import (first at line 3)");
	/* What comes in must not go out again: a loop between the gateways. */
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0\nexport table 100\n"
		       "import table 100 dev wg0\n", -EINVAL,
		       NAME ":4: import and export use the same table 100 (lines 3 and 4)");
	/* The datapath redirects to a device by its target entry. */
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0\nimport table 200 dev wg1\n",
		       -EINVAL, NAME ":3: import dev wg1: not a target (no route, route-list or "
		       "target line names it)");
	test__end_subtest();
}

static void test_strict_target(void)
{
	static const struct {
		const char *text;
		const char *dev;
		bool strict;
		bool masq, xdp;
	} ok_cases[] = {
		{ "interface lan0\ntarget wg0 strict\n", "wg0", true, false, false },
		{ "interface lan0\ntarget wg0 strict yes\n", "wg0", true, false, false },
		{ "interface lan0\ntarget wg0 strict no\n", "wg0", false, false, false },
		{ "interface lan0\ntarget wg0 masquerade strict no\n", "wg0", false, true, false },
		{ "interface lan0\ntarget wg0 strict no masquerade\n", "wg0", false, true, false },
		{ "interface lan0\ntarget eth1 xdp strict no\n", "eth1", false, false, true },
		{ "interface lan0\ntarget eth1 strict yes xdp\n", "eth1", true, false, true },
		{ "interface lan0\nroute 10.0.0.0/8 dev wg0\ntarget wg0\tstrict\tno # tunnel\n",
		  "wg0", false, false, false },
	};
	struct config cfg;
	char m[160];

	test__start_subtest("strict_target");
	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct config_strict *st;

		if (!expect_ok(ok_cases[i].text, &cfg))
			continue;
		/* Every assertion names the case by its text. */
		snprintf(m, sizeof(m), "%s", ok_cases[i].text);
		st = config_strict_find(&cfg, ok_cases[i].dev);
		if (ASSERT_TRUE(st, m)) {
			ASSERT_EQ(st->strict, ok_cases[i].strict, m);
			ASSERT_EQ(st->line, cfg.n_routes ? 3 : 2, m);
		}
		ASSERT_EQ(cfg.n_strict, 1, m);
		ASSERT_EQ(config_masq_find(&cfg, ok_cases[i].dev) != NULL, ok_cases[i].masq, m);
		ASSERT_EQ(config_xdp_find(&cfg, ok_cases[i].dev) != NULL, ok_cases[i].xdp, m);
		/* A target is a target device, counted once with its routes. */
		ASSERT_EQ(config_n_targets(&cfg), 1, m);
		config_free(&cfg);
	}
	/* No strict line: none recorded, the device is strict. */
	if (expect_ok("interface lan0\nroute 10.0.0.0/8 dev wg0\ntarget wg0 masquerade\n",
		      &cfg)) {
		ASSERT_TRUE(!config_strict_find(&cfg, "wg0"), "no strict entry without 'strict'");
		ASSERT_EQ(cfg.n_strict, 0, "n_strict without 'strict'");
		config_free(&cfg);
	}

	expect_refusal("interface lan0\ntarget wg0 strict maybe\n", -EINVAL,
		       NAME ":2: unknown option 'maybe' for target wg0; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	expect_refusal("interface lan0\ntarget wg0 strict no no\n", -EINVAL,
		       NAME ":2: unknown option 'no' for target wg0; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	expect_refusal("interface lan0\ntarget wg0 no\n", -EINVAL,
		       NAME ":2: unknown option 'no' for target wg0; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	expect_refusal("interface lan0\ntarget wg0 strict no strict\n", -EINVAL,
		       NAME ":2: 'strict' given twice; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	/* Keywords are case-sensitive, as everywhere in the file. */
	expect_refusal("interface lan0\ntarget wg0 strict No\n", -EINVAL,
		       NAME ":2: unknown option 'No' for target wg0; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	expect_refusal("interface lan0\ntarget wg0 Strict\n", -EINVAL,
		       NAME ":2: unknown option 'Strict' for target wg0; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	/* A property of the device, not of a rule: never on a route line. */
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0 strict no\n", -EINVAL,
		       NAME ":2: unknown option 'strict' after dev wg0; "
		       "usage: route PREFIX|DOMAIN dev IFNAME [masquerade] [clients NAME]");
	expect_refusal("interface lan0\nroute-list l.txt dev wg0 strict\n", -EINVAL,
		       NAME ":2: unknown option 'strict' after dev wg0; usage: route-list FILE dev IFNAME "
		       "[masquerade] [format bpfroute|domains|v2fly] [clients NAME]");
	/* One target line per device, whatever each says. */
	expect_refusal("interface lan0\ntarget wg0 masquerade\ntarget wg0 strict no\n", -EINVAL,
		       NAME ":3: duplicate target wg0 (first at line 2)");
	expect_refusal("interface lan0\ntarget wg0 strict no\ntarget wg0 masquerade\n", -EINVAL,
		       NAME ":3: duplicate target wg0 (first at line 2)");
	expect_refusal("interface lan0\ntarget wg0 strict\ntarget wg0 strict\n", -EINVAL,
		       NAME ":3: duplicate target wg0 (first at line 2)");
	expect_refusal("interface lan0\ntarget lan0 strict no\n", -EINVAL,
		       NAME ":2: lan0 is both a LAN interface (line 1) and a target");
	expect_refusal("target wg0 strict no\ninterface wg0\n", -EINVAL,
		       NAME ":2: wg0 is both a target (line 1) and a LAN interface");
	expect_refusal("interface lan0\ntarget eth1 xdp masquerade strict no\n", -EINVAL,
		       NAME ":2: eth1: 'xdp' and 'masquerade' exclude each other: "
		       "masquerade is done in TC, not XDP");

	/* The device of a strict line must exist, named at its line. */
	if (if_nametoindex("lo") &&
	    expect_ok("interface lo\n\ntarget bpfrt-nodev3 strict no\n", &cfg)) {
		int ret = config_check_devices(&cfg, m, sizeof(m));

		ASSERT_EQ(ret, -ENODEV, "strict target missing");
		ASSERT_STREQ(m, NAME ":3: unknown device 'bpfrt-nodev3'", "message");
		config_free(&cfg);
	}
	test__end_subtest();
}

static void test_config_free_and_short_err(void)
{
	struct config cfg;
	char err[8];
	int ret;

	test__start_subtest("config_free_and_short_err");
	if (expect_ok("interface lan0\nroute example.com dev wg0\n", &cfg)) {
		config_free(&cfg);
		ASSERT_TRUE(cfg_is_empty(&cfg), "zeroed");
		config_free(&cfg);	/* twice is harmless */
		ASSERT_TRUE(cfg_is_empty(&cfg), "still zeroed");
	}
	config_free(NULL);

	/* A short buffer truncates the message; no buffer at all is fine. */
	ret = config_parse_string(NAME, "bogus\n", &cfg, err, sizeof(err));
	ASSERT_EQ(ret, -EINVAL, "short err ret");
	ASSERT_STREQ(err, "t.conf:", "truncated");
	ret = config_parse_string(NAME, "bogus\n", &cfg, NULL, 0);
	ASSERT_EQ(ret, -EINVAL, "NULL err ret");
	ASSERT_TRUE(cfg_is_empty(&cfg), "cfg empty");

	/* Many routes: the arrays grow past their first allocation. */
	{
		char *text = malloc(64 * 1000 + 32);
		size_t off, i;

		if (!ASSERT_TRUE(text != NULL, "malloc"))
			goto out;
		off = (size_t)sprintf(text, "interface lan0\n");
		for (i = 0; i < 1000; i++)
			off += (size_t)sprintf(text + off, "route 10.%zu.%zu.0/24 dev wg0\n",
					       i / 256, i % 256);
		if (expect_ok(text, &cfg)) {
			ASSERT_EQ(cfg.n_routes, 1000, "n_routes");
			ASSERT_STREQ(fmt(&cfg.routes[999].prefix), "10.3.231.0/24", "last");
			ASSERT_EQ(cfg.routes[999].line, 1001, "last line");
			config_free(&cfg);
		}
		free(text);
	}
out:
	test__end_subtest();
}

/* The settings' values when the file says nothing, as config.h documents them. */
static void test_settings_defaults(void)
{
	struct config cfg;

	test__start_subtest("settings_defaults");
	ASSERT_EQ(CONFIG_DEFAULT_MIN_TTL, 30, "CONFIG_DEFAULT_MIN_TTL");
	ASSERT_EQ(CONFIG_DEFAULT_MAX_TTL, 86400, "CONFIG_DEFAULT_MAX_TTL");
	ASSERT_EQ(CONFIG_DEFAULT_IDLE_TIMEOUT, 300, "CONFIG_DEFAULT_IDLE_TIMEOUT");
	ASSERT_EQ(CONFIG_DEFAULT_MAX_ROUTES, 1000000, "CONFIG_DEFAULT_MAX_ROUTES");

	/* cfg starts as garbage: the defaults come from the parser, not from a memset. */
	memset(&cfg, 0xa5, sizeof(cfg));
	if (expect_ok("interface lan0\nroute example.com dev wg0\n", &cfg)) {
		ASSERT_EQ(cfg.min_ttl, 30, "min_ttl");
		ASSERT_EQ(cfg.max_ttl, 86400, "max_ttl");
		ASSERT_EQ(cfg.idle_timeout, 300, "idle_timeout");
		ASSERT_EQ(cfg.max_routes, 1000000, "max_routes");
		ASSERT_FALSE(cfg.prefetch, "prefetch defaults to no");
		ASSERT_EQ(cfg.n_resolvers, 0, "n_resolvers: none, trust any");
		ASSERT_TRUE(cfg.resolvers == NULL, "resolvers NULL");
		config_free(&cfg);
	}

	/* One setting given, the others keep their defaults. */
	memset(&cfg, 0xa5, sizeof(cfg));
	if (expect_ok("idle-timeout 60\ninterface lan0\n", &cfg)) {
		ASSERT_EQ(cfg.idle_timeout, 60, "idle_timeout given");
		ASSERT_EQ(cfg.min_ttl, 30, "min_ttl default");
		ASSERT_EQ(cfg.max_ttl, 86400, "max_ttl default");
		ASSERT_EQ(cfg.max_routes, 1000000, "max_routes default");
		ASSERT_FALSE(cfg.prefetch, "prefetch default");
		config_free(&cfg);
	}
	test__end_subtest();
}

static void test_settings_valid_full_file(void)
{
	static const char text[] =
		"interface lan0\n"					/* 1 */
		"route *.corp.example.com dev wg0\n"			/* 2 */
		"resolver 192.0.2.53\t# the office resolver\n"		/* 3 */
		"\tresolver   2001:DB8::53  \n"				/* 4 */
		"resolver 198.51.100.1/32\n"				/* 5 */
		"resolver 2001:db8:0:1::1/128\n"			/* 6 */
		"resolver 127.0.0.1\n"					/* 7 */
		"resolver ::1#local\n"					/* 8 */
		"min-ttl 60\n"						/* 9 */
		"max-ttl 3600 # an hour\n"				/* 10 */
		"idle-timeout 0\n"					/* 11 */
		"max-routes 16777216\n"					/* 12 */
		"prefetch yes";						/* 13, no newline */
	static const struct {
		int family;
		const char *addr;
		const char *bytes;
		int line;
	} want[] = {
		{ AF_INET, "192.0.2.53/32", "\xc0\x00\x02\x35", 3 },
		{ AF_INET6, "2001:db8::53/128", "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\x00\x53", 4 },
		{ AF_INET, "198.51.100.1/32", "\xc6\x33\x64\x01", 5 },
		{ AF_INET6, "2001:db8:0:1::1/128",
		  "\x20\x01\x0d\xb8\0\0\0\x01\0\0\0\0\0\0\0\x01", 6 },
		{ AF_INET, "127.0.0.1/32", "\x7f\x00\x00\x01", 7 },
		{ AF_INET6, "::1/128", "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 8 },
	};
	struct config cfg;
	char what[64];
	size_t i;

	test__start_subtest("settings_valid_full_file");
	if (!expect_ok(text, &cfg))
		goto out;
	ASSERT_EQ(cfg.n_ifaces, 1, "n_ifaces");
	ASSERT_EQ(cfg.n_routes, 1, "n_routes");
	ASSERT_EQ(cfg.min_ttl, 60, "min_ttl");
	ASSERT_EQ(cfg.max_ttl, 3600, "max_ttl");
	ASSERT_EQ(cfg.idle_timeout, 0, "idle_timeout 0 is allowed");
	ASSERT_EQ(cfg.max_routes, 16777216, "max_routes at its maximum");
	ASSERT_TRUE(cfg.prefetch, "prefetch yes, on the last line without newline");
	if (!ASSERT_EQ(cfg.n_resolvers, 6, "n_resolvers"))
		goto cleanup;
	for (i = 0; i < cfg.n_resolvers; i++) {
		const struct config_resolver *r = &cfg.resolvers[i];
		size_t alen = want[i].family == AF_INET ? 4 : 16;

		snprintf(what, sizeof(what), "resolver %zu (%s)", i, want[i].addr);
		ASSERT_EQ(r->addr.family, want[i].family, what);
		ASSERT_EQ(r->addr.len, want[i].family == AF_INET ? 32 : 128, what);
		ASSERT_MEMEQ(r->addr.addr, want[i].bytes, alen, what);
		ASSERT_STREQ(fmt(&r->addr), want[i].addr, what);
		ASSERT_EQ(r->line, want[i].line, what);
	}
cleanup:
	config_free(&cfg);
	ASSERT_TRUE(cfg_is_empty(&cfg), "config_free zeroes the new fields");
out:
	test__end_subtest();
}

/* The ends of every range are accepted, and min-ttl may equal max-ttl. */
static void test_settings_limits_valid(void)
{
	struct config cfg;

	test__start_subtest("settings_limits_valid");
	if (expect_ok("interface lan0\nmin-ttl 0\nmax-ttl 1\nidle-timeout 2147483647\n"
		      "max-routes 1\nprefetch no\n", &cfg)) {
		ASSERT_EQ(cfg.min_ttl, 0, "min_ttl 0");
		ASSERT_EQ(cfg.max_ttl, 1, "max_ttl 1");
		ASSERT_EQ(cfg.idle_timeout, 2147483647, "idle_timeout 2^31-1");
		ASSERT_EQ(cfg.max_routes, 1, "max_routes 1");
		ASSERT_FALSE(cfg.prefetch, "prefetch no");
		config_free(&cfg);
	}
	if (expect_ok("interface lan0\nmax-ttl 2147483647\nmin-ttl 2147483647\n", &cfg)) {
		ASSERT_EQ(cfg.min_ttl, 2147483647, "min_ttl 2^31-1");
		ASSERT_EQ(cfg.max_ttl, 2147483647, "max_ttl 2^31-1");
		config_free(&cfg);
	}
	if (expect_ok("interface lan0\nmin-ttl 300\nmax-ttl 300\n", &cfg)) {
		ASSERT_EQ(cfg.min_ttl, 300, "min_ttl equal");
		ASSERT_EQ(cfg.max_ttl, 300, "max_ttl equal");
		config_free(&cfg);
	}
	/* Only the default max-ttl bounds a given min-ttl, and the other way round. */
	if (expect_ok("interface lan0\nmin-ttl 86400\n", &cfg)) {
		ASSERT_EQ(cfg.min_ttl, 86400, "min_ttl up to the default max_ttl");
		config_free(&cfg);
	}
	if (expect_ok("interface lan0\nmax-ttl 30\n", &cfg)) {
		ASSERT_EQ(cfg.max_ttl, 30, "max_ttl down to the default min_ttl");
		config_free(&cfg);
	}
	test__end_subtest();
}

static void test_settings_usage(void)
{
	test__start_subtest("settings_usage");
	expect_refusal("interface lan0\nmin-ttl\n", -EINVAL, NAME ":2: usage: min-ttl SECONDS");
	expect_refusal("interface lan0\nmin-ttl 30 60\n", -EINVAL,
		       NAME ":2: usage: min-ttl SECONDS");
	expect_refusal("interface lan0\nmax-ttl # 86400\n", -EINVAL,
		       NAME ":2: usage: max-ttl SECONDS");
	expect_refusal("interface lan0\n\nidle-timeout\n", -EINVAL,
		       NAME ":3: usage: idle-timeout SECONDS");
	expect_refusal("interface lan0\nmax-routes 1000 per-family\n", -EINVAL,
		       NAME ":2: usage: max-routes COUNT");
	expect_refusal("interface lan0\nprefetch\n", -EINVAL, NAME ":2: usage: prefetch yes|no");
	expect_refusal("interface lan0\nprefetch yes no\n", -EINVAL,
		       NAME ":2: usage: prefetch yes|no");
	/* Keywords are exact: no underscores, no capitals. */
	expect_refusal("interface lan0\nmin_ttl 30\n", -EINVAL,
		       NAME ":2: unknown keyword 'min_ttl'");
	expect_refusal("interface lan0\nPrefetch yes\n", -EINVAL,
		       NAME ":2: unknown keyword 'Prefetch'");
	expect_refusal("interface lan0\nresolvers 192.0.2.53\n", -EINVAL,
		       NAME ":2: unknown keyword 'resolvers'");
	test__end_subtest();
}

static void test_settings_bad_number(void)
{
	static const char *const bad[] = {
		"x", "-1", "+1", "01", "00", "007", "1e3", "0x10", "1.5", "30s", "1,000",
		"\xd9\xa3",	/* ARABIC-INDIC DIGIT THREE */
	};
	static const char *const keys[] = { "min-ttl", "max-ttl", "idle-timeout", "max-routes" };
	char text[128], msg[128];
	size_t i, k;

	test__start_subtest("settings_bad_number");
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(text, sizeof(text), "interface lan0\n%s %s\n", keys[k], bad[i]);
			snprintf(msg, sizeof(msg), NAME ":2: bad number '%s' for %s", bad[i],
				 keys[k]);
			expect_refusal(text, -EINVAL, msg);
		}
	}
	/* Not a number even when it is too long to be in range. */
	expect_refusal("interface lan0\nmin-ttl 99999999999999999999999x\n", -EINVAL,
		       NAME ":2: bad number '99999999999999999999999x' for min-ttl");
	test__end_subtest();
}

static void test_settings_out_of_range(void)
{
	test__start_subtest("settings_out_of_range");
	expect_refusal("interface lan0\nmin-ttl 99999999999\n", -EINVAL,
		       NAME ":2: min-ttl 99999999999 is out of range 0..2147483647");
	/* RFC 2181 section 8: 2^31 and above would be a TTL of 0. */
	expect_refusal("interface lan0\nmin-ttl 2147483648\n", -EINVAL,
		       NAME ":2: min-ttl 2147483648 is out of range 0..2147483647");
	expect_refusal("interface lan0\nmax-ttl 2147483648\n", -EINVAL,
		       NAME ":2: max-ttl 2147483648 is out of range 1..2147483647");
	/* 2^32 must not wrap to 0, nor 2^64 + 1 to 1. */
	expect_refusal("interface lan0\nmax-ttl 4294967296\n", -EINVAL,
		       NAME ":2: max-ttl 4294967296 is out of range 1..2147483647");
	expect_refusal("interface lan0\nmax-routes 18446744073709551617\n", -EINVAL,
		       NAME ":2: max-routes 18446744073709551617 is out of range 1..16777216");
	expect_refusal("interface lan0\nmax-ttl 0\n", -EINVAL,
		       NAME ":2: max-ttl 0 is out of range 1..2147483647");
	expect_refusal("interface lan0\nidle-timeout 2147483648\n", -EINVAL,
		       NAME ":2: idle-timeout 2147483648 is out of range 0..2147483647");
	expect_refusal("interface lan0\nmax-routes 0\n", -EINVAL,
		       NAME ":2: max-routes 0 is out of range 1..16777216");
	expect_refusal("interface lan0\nmax-routes 16777217\n", -EINVAL,
		       NAME ":2: max-routes 16777217 is out of range 1..16777216");
	test__end_subtest();
}

/* max-client-flows: a default of a few thousand, 1 up to a whole flow table. */
static void test_max_client_flows(void)
{
	struct config cfg;

	test__start_subtest("max_client_flows");
	memset(&cfg, 0xa5, sizeof(cfg));
	if (expect_ok("interface lan0\n", &cfg)) {
		ASSERT_EQ(cfg.max_client_flows, 4096, "max_client_flows default");
		config_free(&cfg);
	}
	memset(&cfg, 0xa5, sizeof(cfg));
	if (expect_ok("interface lan0\nmax-client-flows 1\n", &cfg)) {
		ASSERT_EQ(cfg.max_client_flows, 1, "max_client_flows 1");
		config_free(&cfg);
	}
	memset(&cfg, 0xa5, sizeof(cfg));
	if (expect_ok("interface lan0\nmax-client-flows 262144\n", &cfg)) {
		ASSERT_EQ(cfg.max_client_flows, 262144, "max_client_flows at its maximum");
		config_free(&cfg);
	}
	expect_refusal("interface lan0\nmax-client-flows 0\n", -EINVAL,
		       NAME ":2: max-client-flows 0 is out of range 1..262144");
	expect_refusal("interface lan0\nmax-client-flows 262145\n", -EINVAL,
		       NAME ":2: max-client-flows 262145 is out of range 1..262144");
	expect_refusal("interface lan0\nmax-client-flows -1\n", -EINVAL,
		       NAME ":2: bad number '-1' for max-client-flows");
	expect_refusal("interface lan0\nmax-client-flows 100 per-client\n", -EINVAL,
		       NAME ":2: usage: max-client-flows COUNT");
	expect_refusal("interface lan0\nmax-client-flows 10\nmax-client-flows 20\n", -EINVAL,
		       NAME ":3: duplicate max-client-flows (first at line 2)");
	test__end_subtest();
}

/* `metrics ADDRESS:PORT`: off by default, a literal address and a port. */
static void test_metrics_line(void)
{
	static const __u8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct config cfg;

	test__start_subtest("metrics_line");
	memset(&cfg, 0xa5, sizeof(cfg));
	if (expect_ok("interface lan0\n", &cfg)) {
		ASSERT_EQ(cfg.metrics.family, 0, "metrics off by default");
		config_free(&cfg);
	}
	memset(&cfg, 0xa5, sizeof(cfg));
	if (expect_ok("interface lan0\nmetrics 192.0.2.1:9472\n", &cfg)) {
		ASSERT_EQ(cfg.metrics.family, AF_INET, "metrics IPv4 family");
		ASSERT_EQ(memcmp(cfg.metrics.addr, "\xc0\x00\x02\x01", 4), 0, "metrics IPv4 address");
		ASSERT_EQ(cfg.metrics.port, 9472, "metrics IPv4 port");
		ASSERT_STREQ(cfg.metrics.text, "192.0.2.1:9472", "metrics text");
		config_free(&cfg);
	}
	memset(&cfg, 0xa5, sizeof(cfg));
	if (expect_ok("interface lan0\nmetrics [2001:db8::1]:65535\n", &cfg)) {
		ASSERT_EQ(cfg.metrics.family, AF_INET6, "metrics IPv6 family");
		ASSERT_EQ(memcmp(cfg.metrics.addr, v6, 16), 0, "metrics IPv6 address");
		ASSERT_EQ(cfg.metrics.port, 65535, "metrics IPv6 port at its maximum");
		config_free(&cfg);
	}
	expect_refusal("interface lan0\nmetrics 192.0.2.1:0\n", -EINVAL,
		       NAME ":2: metrics: port '0' is out of range 1..65535");
	expect_refusal("interface lan0\nmetrics 192.0.2.1:65536\n", -EINVAL,
		       NAME ":2: metrics: port '65536' is out of range 1..65535");
	expect_refusal("interface lan0\nmetrics 192.0.2.1:http\n", -EINVAL,
		       NAME ":2: metrics: port 'http' is not a number in 1..65535");
	expect_refusal("interface lan0\nmetrics gw.example.com:9472\n", -EINVAL,
		       NAME ":2: metrics: 'gw.example.com' is not a literal IPv4 address (a name "
		       "is not taken); usage: metrics IPV4:PORT or metrics [IPV6]:PORT");
	expect_refusal("interface lan0\nmetrics [gw.example.com]:9472\n", -EINVAL,
		       NAME ":2: metrics: 'gw.example.com' is not a literal IPv6 address (a name "
		       "is not taken); usage: metrics IPV4:PORT or metrics [IPV6]:PORT");
	/* An IPv6 address without brackets: which colon ends it? */
	expect_refusal("interface lan0\nmetrics 2001:db8::1:9472\n", -EINVAL,
		       NAME ":2: bad address '2001:db8::1:9472' for metrics; usage: metrics "
		       "IPV4:PORT or metrics [IPV6]:PORT");
	expect_refusal("interface lan0\nmetrics 192.0.2.1\n", -EINVAL,
		       NAME ":2: bad address '192.0.2.1' for metrics; usage: metrics "
		       "IPV4:PORT or metrics [IPV6]:PORT");
	expect_refusal("interface lan0\nmetrics 192.0.2.1:9472 192.0.2.2:9472\n", -EINVAL,
		       NAME ":2: usage: metrics IPV4:PORT or metrics [IPV6]:PORT");
	expect_refusal("interface lan0\nmetrics 192.0.2.1:9472\nmetrics 192.0.2.1:9473\n",
		       -EINVAL, NAME ":3: duplicate metrics (first at line 2)");
	test__end_subtest();
}

static void test_prefetch_bad_value(void)
{
	test__start_subtest("prefetch_bad_value");
	expect_refusal("interface lan0\nprefetch true\n", -EINVAL,
		       NAME ":2: bad value 'true' for prefetch; usage: prefetch yes|no");
	expect_refusal("interface lan0\nprefetch Yes\n", -EINVAL,
		       NAME ":2: bad value 'Yes' for prefetch; usage: prefetch yes|no");
	expect_refusal("interface lan0\nprefetch 1\n", -EINVAL,
		       NAME ":2: bad value '1' for prefetch; usage: prefetch yes|no");
	expect_refusal("interface lan0\nprefetch on\n", -EINVAL,
		       NAME ":2: bad value 'on' for prefetch; usage: prefetch yes|no");
	test__end_subtest();
}

static void test_settings_duplicate(void)
{
	test__start_subtest("settings_duplicate");
	expect_refusal("interface lan0\n\n\nmin-ttl 30\nmin-ttl 60\n", -EINVAL,
		       NAME ":5: duplicate min-ttl (first at line 4)");
	/* The same value twice is still two lines for one setting. */
	expect_refusal("max-ttl 600\ninterface lan0\nmax-ttl 600\n", -EINVAL,
		       NAME ":3: duplicate max-ttl (first at line 1)");
	expect_refusal("interface lan0\nidle-timeout 0\nmin-ttl 5\nidle-timeout 0\n", -EINVAL,
		       NAME ":4: duplicate idle-timeout (first at line 2)");
	expect_refusal("interface lan0\nmax-routes 10\nmax-routes 20\n", -EINVAL,
		       NAME ":3: duplicate max-routes (first at line 2)");
	expect_refusal("interface lan0\nprefetch no\nprefetch yes\n", -EINVAL,
		       NAME ":3: duplicate prefetch (first at line 2)");
	test__end_subtest();
}

static void test_min_ttl_above_max_ttl(void)
{
	test__start_subtest("min_ttl_above_max_ttl");
	/* Reported at whichever of the two came last. */
	expect_refusal("interface lan0\nmax-ttl 300\n\nmin-ttl 600\n", -EINVAL,
		       NAME ":4: min-ttl 600 is above max-ttl 300");
	expect_refusal("interface lan0\nmin-ttl 600\nmax-ttl 300\nprefetch yes\n", -EINVAL,
		       NAME ":3: min-ttl 600 is above max-ttl 300");
	/* Against a default: the message says which value nobody wrote. */
	expect_refusal("interface lan0\nmin-ttl 86401\n", -EINVAL,
		       NAME ":2: min-ttl 86401 is above max-ttl 86400 (the default)");
	expect_refusal("interface lan0\n\nmax-ttl 29\n", -EINVAL,
		       NAME ":3: min-ttl 30 (the default) is above max-ttl 29");
	test__end_subtest();
}

static void test_resolver_usage(void)
{
	test__start_subtest("resolver_usage");
	expect_refusal("interface lan0\nresolver\n", -EINVAL, NAME ":2: usage: resolver ADDRESS");
	expect_refusal("interface lan0\nresolver 192.0.2.53 192.0.2.54\n", -EINVAL,
		       NAME ":2: usage: resolver ADDRESS");
	expect_refusal("interface lan0\nresolver # 192.0.2.53\n", -EINVAL,
		       NAME ":2: usage: resolver ADDRESS");
	expect_refusal("interface lan0\nresolver 192.0.2.53 port 5353\n", -EINVAL,
		       NAME ":2: usage: resolver ADDRESS");
	test__end_subtest();
}

static void test_resolver_bad_address(void)
{
	test__start_subtest("resolver_bad_address");
	expect_refusal("interface lan0\nresolver 192.0.2\n", -EINVAL,
		       NAME ":2: bad address in 192.0.2");
	expect_refusal("interface lan0\nresolver dns.example.com\n", -EINVAL,
		       NAME ":2: bad address in dns.example.com");
	expect_refusal("interface lan0\nresolver 2001:db8::g\n", -EINVAL,
		       NAME ":2: bad address in 2001:db8::g");
	expect_refusal("interface lan0\nresolver fe80::53%lan0\n", -EINVAL,
		       NAME ":2: bad address in fe80::53%lan0");
	expect_refusal("interface lan0\nresolver 192.0.2.53:53\n", -EINVAL,
		       NAME ":2: bad address in 192.0.2.53:53");
	expect_refusal("interface lan0\nresolver /32\n", -EINVAL, NAME ":2: bad address in /32");
	/* The length, if written, is read as for routes. */
	expect_refusal("interface lan0\nresolver 192.0.2.53/33\n", -EINVAL,
		       NAME ":2: bad prefix length in 192.0.2.53/33");
	expect_refusal("interface lan0\nresolver 192.0.2.53/\n", -EINVAL,
		       NAME ":2: bad prefix length in 192.0.2.53/");
	expect_refusal("interface lan0\nresolver 192.0.2.53/032\n", -EINVAL,
		       NAME ":2: bad prefix length in 192.0.2.53/032");
	expect_refusal("interface lan0\nresolver 192.0.2.53/32/32\n", -EINVAL,
		       NAME ":2: bad prefix length in 192.0.2.53/32/32");
	expect_refusal("interface lan0\nresolver 192.0.2.53/3/2\n", -EINVAL,
		       NAME ":2: bad prefix length in 192.0.2.53/3/2");
	expect_refusal("interface lan0\nresolver 2001:db8::53/1280\n", -EINVAL,
		       NAME ":2: bad prefix length in 2001:db8::53/1280");
	expect_refusal("interface lan0\nresolver 2001:db8::53/+128\n", -EINVAL,
		       NAME ":2: bad prefix length in 2001:db8::53/+128");
	test__end_subtest();
}

static void test_resolver_prefix(void)
{
	static const char *const prefixes[] = {
		"192.0.2.0/24",		/* a subnet */
		"192.0.2.53/24",	/* an interface address as `ip addr` shows it */
		"192.0.2.53/31",
		"0.0.0.0/0",
		"2001:db8::53/64",
		"2001:db8::/127",
		"::1/32",		/* an IPv4 host length on an IPv6 address */
	};
	char text[128];
	size_t i;

	test__start_subtest("resolver_prefix");
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		snprintf(text, sizeof(text), "interface lan0\nresolver %s\n", prefixes[i]);
		expect_refusal(text, -EINVAL,
			       NAME ":2: resolver must be an address, not a prefix");
	}
	test__end_subtest();
}

static void test_resolver_special_address(void)
{
	struct config cfg;

	test__start_subtest("resolver_special_address");
	expect_refusal("interface lan0\nresolver 0.0.0.0\n", -EINVAL,
		       NAME ":2: resolver 0.0.0.0 is the unspecified address, not a server");
	expect_refusal("interface lan0\nresolver 0.0.0.0/32\n", -EINVAL,
		       NAME ":2: resolver 0.0.0.0 is the unspecified address, not a server");
	expect_refusal("interface lan0\nresolver ::\n", -EINVAL,
		       NAME ":2: resolver :: is the unspecified address, not a server");
	expect_refusal("interface lan0\nresolver 0:0::0/128\n", -EINVAL,
		       NAME ":2: resolver :: is the unspecified address, not a server");
	expect_refusal("interface lan0\nresolver 224.0.0.251\n", -EINVAL,
		       NAME ":2: resolver 224.0.0.251 is a multicast address, not a server");
	expect_refusal("interface lan0\nresolver 239.255.255.255\n", -EINVAL,
		       NAME ":2: resolver 239.255.255.255 is a multicast address, not a server");
	expect_refusal("interface lan0\nresolver FF02::FB\n", -EINVAL,
		       NAME ":2: resolver ff02::fb is a multicast address, not a server");
	expect_refusal("interface lan0\nresolver ff05::1:3/128\n", -EINVAL,
		       NAME ":2: resolver ff05::1:3 is a multicast address, not a server");
	/* The neighbours of those ranges, and loopback, are servers. */
	if (expect_ok("interface lan0\nresolver 223.255.255.255\nresolver 240.0.0.1\n"
		      "resolver 0.0.0.1\nresolver ::2\nresolver feff::1\nresolver 127.0.0.53\n"
		      "resolver 127.0.0.1\nresolver ::1\n", &cfg)) {
		ASSERT_EQ(cfg.n_resolvers, 8, "n_resolvers");
		config_free(&cfg);
	}
	test__end_subtest();
}

static void test_resolver_duplicate(void)
{
	struct config cfg;

	test__start_subtest("resolver_duplicate");
	expect_refusal("interface lan0\nresolver 192.0.2.53\nresolver 192.0.2.54\n"
		       "resolver 192.0.2.53\n",
		       -EINVAL, NAME ":4: duplicate resolver 192.0.2.53 (first at line 2)");
	/* Spelled differently, the same address. */
	expect_refusal("interface lan0\nresolver 192.0.2.53\nresolver 192.0.2.53/32\n", -EINVAL,
		       NAME ":3: duplicate resolver 192.0.2.53 (first at line 2)");
	expect_refusal("interface lan0\n\nresolver 2001:DB8::53\nresolver 2001:db8:0:0::53/128\n",
		       -EINVAL, NAME ":4: duplicate resolver 2001:db8::53 (first at line 3)");
	/* The same bytes in another family are another address. */
	if (expect_ok("interface lan0\nresolver 127.0.0.1\nresolver ::1\nresolver 1.0.0.0\n"
		      "resolver 100::\n", &cfg)) {
		ASSERT_EQ(cfg.n_resolvers, 4, "n_resolvers");
		config_free(&cfg);
	}
	test__end_subtest();
}

/*
 * bpfroute_resolv holds BPFROUTE_MAX_RESOLVERS (64) entries: as many resolvers
 * are fine, one more is refused at its line.
 */
static void test_resolver_limit(void)
{
	const size_t max = BPFROUTE_MAX_RESOLVERS;
	size_t size = 32 * (max + 2), off, i;
	struct config cfg;
	char msg[64];
	char *text;

	test__start_subtest("resolver_limit");
	text = malloc(size);
	if (!ASSERT_TRUE(text != NULL, "malloc"))
		goto out;
	off = (size_t)snprintf(text, size, "interface lan0\n");
	for (i = 0; i < max; i++)
		off += (size_t)snprintf(text + off, size - off, "resolver 10.%zu.%zu.1\n",
					i / 256, i % 256);
	if (expect_ok(text, &cfg)) {
		if (ASSERT_EQ(cfg.n_resolvers, max, "as many resolvers as the map holds"))
			ASSERT_EQ(cfg.resolvers[max - 1].line, (long long)max + 1, "last line");
		config_free(&cfg);
	}
	snprintf(text + off, size - off, "resolver 2001:db8::53\n");
	snprintf(msg, sizeof(msg), NAME ":%zu: more than %zu resolvers", max + 2, max);
	expect_refusal(text, -EINVAL, msg);
	free(text);
out:
	test__end_subtest();
}

/*
 * Masquerade is a property of the target device: any route line to it or a
 * target line makes it masqueraded, listed once with the first such line.
 */
static void test_masquerade_valid(void)
{
	static const char text[] =
		"interface lan0\n"					/* 1 */
		"route 203.0.113.0/24 dev wg0\n"			/* 2 */
		"route *.corp.example.com dev wg0 masquerade\n"		/* 3 */
		"route 2001:db8:3::/64\tdev wg0   masquerade # again\n"	/* 4 */
		"route 198.51.100.0/24 dev wg1\n"			/* 5 */
		"target wg2 masquerade\n"				/* 6 */
		"route example.org dev wg2\n"				/* 7 */
		"route 192.0.2.0/24 dev wg3 masquerade\n"		/* 8 */
		"target wg3 masquerade";				/* 9, no newline */
	const struct config_masq *m;
	struct config cfg;

	test__start_subtest("masquerade_valid");
	if (!expect_ok(text, &cfg))
		goto out;
	if (!ASSERT_EQ(cfg.n_routes, 6, "n_routes") || !ASSERT_EQ(cfg.n_masq, 3, "n_masq"))
		goto cleanup;
	ASSERT_FALSE(cfg.routes[0].masquerade, "line 2 says nothing");
	ASSERT_TRUE(cfg.routes[1].masquerade, "line 3 says masquerade");
	ASSERT_TRUE(cfg.routes[2].masquerade, "line 4 says masquerade");
	ASSERT_FALSE(cfg.routes[4].masquerade, "line 7: the target line does, not the route");

	ASSERT_STREQ(cfg.masq[0].dev, "wg0", "masq 0 dev");
	ASSERT_EQ(cfg.masq[0].line, 3, "wg0: the first line that says masquerade");
	ASSERT_EQ(cfg.masq[0].target_line, 0, "wg0: no target line");
	ASSERT_STREQ(cfg.masq[1].dev, "wg2", "masq 1 dev");
	ASSERT_EQ(cfg.masq[1].line, 6, "wg2 line");
	ASSERT_EQ(cfg.masq[1].target_line, 6, "wg2 target line");
	ASSERT_STREQ(cfg.masq[2].dev, "wg3", "masq 2 dev");
	ASSERT_EQ(cfg.masq[2].line, 8, "wg3: the route line came first");
	ASSERT_EQ(cfg.masq[2].target_line, 9, "wg3 target line, also given");

	m = config_masq_find(&cfg, "wg0");
	ASSERT_TRUE(m == &cfg.masq[0], "find wg0");
	ASSERT_TRUE(config_masq_find(&cfg, "wg1") == NULL, "wg1 is not masqueraded");
	ASSERT_TRUE(config_masq_find(&cfg, "wg") == NULL, "no prefix match");
cleanup:
	config_free(&cfg);
	ASSERT_TRUE(cfg_is_empty(&cfg), "config_free zeroes masq");
out:
	test__end_subtest();

	/* A target line alone (for routes added with `route add`) is fine. */
	test__start_subtest("masquerade_target_without_routes");
	if (expect_ok("target wg0 masquerade\ninterface lan0\n", &cfg)) {
		ASSERT_EQ(cfg.n_routes, 0, "n_routes");
		if (ASSERT_EQ(cfg.n_masq, 1, "n_masq"))
			ASSERT_EQ(cfg.masq[0].target_line, 1, "target line");
		config_free(&cfg);
	}
	test__end_subtest();
}

static void test_masquerade_refusals(void)
{
	test__start_subtest("masquerade_route_options");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0 masq\n", -EINVAL,
		       NAME ":2: unknown option 'masq' after dev wg0; "
		       "usage: route PREFIX|DOMAIN dev IFNAME [masquerade] [clients NAME]");
	/* Keywords are case-sensitive, as everywhere in the file. */
	expect_refusal("interface lan0\nroute example.com dev wg0 Masquerade\n", -EINVAL,
		       NAME ":2: unknown option 'Masquerade' after dev wg0; "
		       "usage: route PREFIX|DOMAIN dev IFNAME [masquerade] [clients NAME]");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0 masquerade snat\n", -EINVAL,
		       NAME ":2: unknown option 'snat' after dev wg0; "
		       "usage: route PREFIX|DOMAIN dev IFNAME [masquerade] [clients NAME]");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0 masquerade masquerade\n",
		       -EINVAL, NAME ":2: 'masquerade' given twice; "
		       "usage: route PREFIX|DOMAIN dev IFNAME [masquerade] [clients NAME]");
	/* The other checks of a route still hold with the option. */
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev lan0 masquerade\n", -EINVAL,
		       NAME ":2: lan0 is both a LAN interface (line 1) and a route target");
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev wg0\n"
		       "route 10.0.0.0/8 dev wg0 masquerade\n", -EINVAL,
		       NAME ":3: duplicate route 10.0.0.0/8 (first at line 2)");
	test__end_subtest();

	test__start_subtest("masquerade_target_usage");
	expect_refusal("interface lan0\ntarget\n", -EINVAL,
		       NAME ":2: usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	expect_refusal("interface lan0\ntarget wg0\n", -EINVAL,
		       NAME ":2: target wg0: missing 'masquerade', 'xdp' or 'strict'; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	expect_refusal("interface lan0\ntarget wg0 # masquerade\n", -EINVAL,
		       NAME ":2: target wg0: missing 'masquerade', 'xdp' or 'strict'; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	expect_refusal("interface lan0\n\ntarget wg0 nat\n", -EINVAL,
		       NAME ":3: unknown option 'nat' for target wg0; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	expect_refusal("interface lan0\ntarget wg0 masquerade yes\n", -EINVAL,
		       NAME ":2: unknown option 'yes' for target wg0; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	expect_refusal("interface lan0\ntarget wg0 masquerade masquerade\n", -EINVAL,
		       NAME ":2: 'masquerade' given twice; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	expect_refusal("interface lan0\ntarget wg/0 masquerade\n", -EINVAL,
		       NAME ":2: bad device name 'wg/0': contains '/'");
	expect_refusal("interface lan0\nTarget wg0 masquerade\n", -EINVAL,
		       NAME ":2: unknown keyword 'Target'");
	test__end_subtest();

	test__start_subtest("masquerade_target_duplicate");
	expect_refusal("interface lan0\ntarget wg0 masquerade\nroute 10.0.0.0/8 dev wg0\n"
		       "target wg0 masquerade\n", -EINVAL,
		       NAME ":4: duplicate target wg0 (first at line 2)");
	/* A route line saying masquerade is not a target line: no duplicate. */
	{
		struct config cfg;

		if (expect_ok("interface lan0\nroute 10.0.0.0/8 dev wg0 masquerade\n"
			      "target wg0 masquerade\n", &cfg)) {
			ASSERT_EQ(cfg.n_masq, 1, "one device");
			config_free(&cfg);
		}
	}
	test__end_subtest();

	test__start_subtest("masquerade_target_is_lan");
	expect_refusal("interface lan0\ninterface lan1\ntarget lan1 masquerade\n", -EINVAL,
		       NAME ":3: lan1 is both a LAN interface (line 2) and a target");
	expect_refusal("target lan0 masquerade\n\ninterface lan0\n", -EINVAL,
		       NAME ":3: lan0 is both a target (line 1) and a LAN interface");
	test__end_subtest();
}

/* A target line's device must exist, like any other; reported in line order. */
static void test_masquerade_check_devices(void)
{
	char err[512];
	struct config cfg;

	test__start_subtest("masquerade_check_devices");
	if (!if_nametoindex("lo")) {
		test__skip("no loopback device in this namespace");
		return;
	}
	if (expect_ok("interface lo\n\ntarget bpfrt-nodev3 masquerade\n", &cfg)) {
		ASSERT_EQ(config_check_devices(&cfg, err, sizeof(err)), -ENODEV, "target missing");
		ASSERT_STREQ(err, NAME ":3: unknown device 'bpfrt-nodev3'", "message");
		config_free(&cfg);
	}
	if (expect_ok("interface lo\ntarget bpfrt-nodev3 masquerade\n"
		      "route 10.0.0.0/8 dev bpfrt-nodev1 masquerade\n"
		      "target bpfrt-nodev1 masquerade\n", &cfg)) {
		ASSERT_EQ(config_check_devices(&cfg, err, sizeof(err)), -ENODEV, "target first");
		ASSERT_STREQ(err, NAME ":2: unknown device 'bpfrt-nodev3'", "message");
		config_free(&cfg);
	}
	if (expect_ok("interface lo\nroute 10.0.0.0/8 dev bpfrt-nodev1 masquerade\n"
		      "target bpfrt-nodev3 masquerade\n", &cfg)) {
		ASSERT_EQ(config_check_devices(&cfg, err, sizeof(err)), -ENODEV, "route first");
		ASSERT_STREQ(err, NAME ":2: unknown device 'bpfrt-nodev1'", "message");
		config_free(&cfg);
	}
	if (expect_ok("interface bpfrt-nodev2\ntarget lo masquerade\n", &cfg)) {
		ASSERT_EQ(config_check_devices(&cfg, err, sizeof(err)), -ENODEV, "interface");
		ASSERT_STREQ(err, NAME ":1: unknown device 'bpfrt-nodev2'", "message");
		config_free(&cfg);
	}
	test__end_subtest();
}

/*
 * `target DEV xdp`: a property of the device, one target line per device,
 * never with masquerade (done in TC only), whichever line comes first.
 */
static void test_xdp_valid(void)
{
	static const char text[] =
		"interface lan0\n"					/* 1 */
		"target eth1 xdp\n"					/* 2 */
		"route 203.0.113.0/24 dev eth1\n"			/* 3 */
		"target wg0 masquerade\n"				/* 4 */
		"route 198.51.100.0/24 dev eth2\n"			/* 5 */
		"\ttarget  eth2\txdp   # forwarded in XDP\n"		/* 6 */
		"route *.corp.example.com dev eth1";			/* 7, no newline */
	struct config cfg;

	test__start_subtest("xdp_valid");
	if (!expect_ok(text, &cfg))
		goto out;
	if (!ASSERT_EQ(cfg.n_xdp, 2, "n_xdp") || !ASSERT_EQ(cfg.n_masq, 1, "n_masq") ||
	    !ASSERT_EQ(cfg.n_routes, 3, "n_routes"))
		goto cleanup;
	ASSERT_STREQ(cfg.xdp[0].dev, "eth1", "xdp 0 dev");
	ASSERT_EQ(cfg.xdp[0].line, 2, "xdp 0 line");
	ASSERT_STREQ(cfg.xdp[1].dev, "eth2", "xdp 1 dev");
	ASSERT_EQ(cfg.xdp[1].line, 6, "xdp 1 line");
	ASSERT_TRUE(config_xdp_find(&cfg, "eth1") == &cfg.xdp[0], "find eth1");
	ASSERT_TRUE(config_xdp_find(&cfg, "eth2") == &cfg.xdp[1], "find eth2");
	ASSERT_TRUE(config_xdp_find(&cfg, "wg0") == NULL, "wg0 is masqueraded, not xdp");
	ASSERT_TRUE(config_xdp_find(&cfg, "eth") == NULL, "no prefix match");
	ASSERT_TRUE(config_masq_find(&cfg, "eth1") == NULL, "eth1 is not masqueraded");
	ASSERT_FALSE(cfg.routes[0].masquerade, "line 3 says nothing");
cleanup:
	config_free(&cfg);
	ASSERT_TRUE(cfg_is_empty(&cfg), "config_free zeroes xdp");
out:
	test__end_subtest();

	/* A target line alone (for routes added with `route add`) is fine. */
	test__start_subtest("xdp_target_without_routes");
	if (expect_ok("target eth1 xdp\ninterface lan0\n", &cfg)) {
		ASSERT_EQ(cfg.n_routes, 0, "n_routes");
		ASSERT_EQ(cfg.n_masq, 0, "n_masq");
		if (ASSERT_EQ(cfg.n_xdp, 1, "n_xdp"))
			ASSERT_EQ(cfg.xdp[0].line, 1, "target line");
		config_free(&cfg);
	}
	test__end_subtest();
}

static void test_xdp_refusals(void)
{
	test__start_subtest("xdp_with_masquerade");
	expect_refusal("interface lan0\ntarget eth1 xdp masquerade\n", -EINVAL,
		       NAME ":2: eth1: 'xdp' and 'masquerade' exclude each other: "
		       "masquerade is done in TC, not XDP");
	expect_refusal("interface lan0\ntarget eth1 masquerade xdp\n", -EINVAL,
		       NAME ":2: eth1: 'xdp' and 'masquerade' exclude each other: "
		       "masquerade is done in TC, not XDP");
	/* A route line said masquerade first... */
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev eth1 masquerade\n"
		       "target eth1 xdp\n", -EINVAL,
		       NAME ":3: eth1: 'xdp' and 'masquerade' (line 2) exclude each other: "
		       "masquerade is done in TC, not XDP");
	/* ... or comes after. */
	expect_refusal("interface lan0\ntarget eth1 xdp\nroute 203.0.113.0/24 dev eth1\n"
		       "route example.com dev eth1 masquerade\n", -EINVAL,
		       NAME ":4: eth1: 'masquerade' and 'xdp' (line 2) exclude each other: "
		       "masquerade is done in TC, not XDP");
	test__end_subtest();

	test__start_subtest("xdp_target_usage");
	expect_refusal("interface lan0\ntarget eth1 xdp xdp\n", -EINVAL,
		       NAME ":2: 'xdp' given twice; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	expect_refusal("interface lan0\ntarget eth1 XDP\n", -EINVAL,
		       NAME ":2: unknown option 'XDP' for target eth1; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	expect_refusal("interface lan0\ntarget eth1 xdp native\n", -EINVAL,
		       NAME ":2: unknown option 'native' for target eth1; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	expect_refusal("interface lan0\ntarget eth1 # xdp\n", -EINVAL,
		       NAME ":2: target eth1: missing 'masquerade', 'xdp' or 'strict'; "
		       "usage: target IFNAME [masquerade|xdp] [strict [yes|no]]");
	/* xdp is a property of the device: not an option of a route line. */
	expect_refusal("interface lan0\nroute 10.0.0.0/8 dev eth1 xdp\n", -EINVAL,
		       NAME ":2: unknown option 'xdp' after dev eth1; "
		       "usage: route PREFIX|DOMAIN dev IFNAME [masquerade] [clients NAME]");
	test__end_subtest();

	test__start_subtest("xdp_target_duplicate");
	expect_refusal("interface lan0\ntarget eth1 xdp\ntarget eth1 xdp\n", -EINVAL,
		       NAME ":3: duplicate target eth1 (first at line 2)");
	expect_refusal("interface lan0\ntarget eth1 masquerade\n\ntarget eth1 xdp\n", -EINVAL,
		       NAME ":4: duplicate target eth1 (first at line 2)");
	expect_refusal("interface lan0\ntarget eth1 xdp\ntarget eth1 masquerade\n", -EINVAL,
		       NAME ":3: duplicate target eth1 (first at line 2)");
	test__end_subtest();

	test__start_subtest("xdp_target_is_lan");
	expect_refusal("interface lan0\ninterface lan1\ntarget lan1 xdp\n", -EINVAL,
		       NAME ":3: lan1 is both a LAN interface (line 2) and a target");
	expect_refusal("target lan0 xdp\n\ninterface lan0\n", -EINVAL,
		       NAME ":3: lan0 is both a target (line 1) and a LAN interface");
	test__end_subtest();
}

/* An xdp target line's device must exist, like any other. */
static void test_xdp_check_devices(void)
{
	char err[512];
	struct config cfg;

	test__start_subtest("xdp_check_devices");
	if (!if_nametoindex("lo")) {
		test__skip("no loopback device in this namespace");
		return;
	}
	if (expect_ok("interface lo\n# an xdp target only\n\ntarget bpfrt-nodev4 xdp\n", &cfg)) {
		ASSERT_EQ(config_check_devices(&cfg, err, sizeof(err)), -ENODEV, "target missing");
		ASSERT_STREQ(err, NAME ":4: unknown device 'bpfrt-nodev4'", "message");
		config_free(&cfg);
	}
	if (expect_ok("interface lo\ntarget bpfrt-nodev4 xdp\n"
		      "route 10.0.0.0/8 dev bpfrt-nodev1\n", &cfg)) {
		ASSERT_EQ(config_check_devices(&cfg, err, sizeof(err)), -ENODEV, "target first");
		ASSERT_STREQ(err, NAME ":2: unknown device 'bpfrt-nodev4'", "message");
		config_free(&cfg);
	}
	test__end_subtest();
}

/* prefix_parse() then prefix_format() gives the canonical text. */
static void test_prefix_roundtrip(void)
{
	static const struct {
		const char *in, *out;
		int family;
		__u32 len;
	} cases[] = {
		{ "0.0.0.0/0", "0.0.0.0/0", AF_INET, 0 },
		{ "::/0", "::/0", AF_INET6, 0 },
		{ "203.0.113.0/24", "203.0.113.0/24", AF_INET, 24 },
		{ "10.0.0.0/8", "10.0.0.0/8", AF_INET, 8 },
		{ "192.0.2.1", "192.0.2.1/32", AF_INET, 32 },
		{ "192.0.2.1/32", "192.0.2.1/32", AF_INET, 32 },
		{ "255.255.255.254/31", "255.255.255.254/31", AF_INET, 31 },
		{ "::1", "::1/128", AF_INET6, 128 },
		{ "2001:DB8::/32", "2001:db8::/32", AF_INET6, 32 },
		{ "2001:db8:8000::/33", "2001:db8:8000::/33", AF_INET6, 33 },
		{ "::ffff:192.0.2.1", "::ffff:192.0.2.1/128", AF_INET6, 128 },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", AF_INET6, 128 },
	};
	char buf[PREFIX_STRLEN];
	struct prefix p, q;
	const char *why;
	size_t i;

	test__start_subtest("prefix_roundtrip");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		if (!ASSERT_OK(prefix_parse(cases[i].in, &p, &why), cases[i].in)) {
			printf("  why: %s\n", why ? why : "(null)");
			continue;
		}
		ASSERT_EQ(p.family, cases[i].family, cases[i].in);
		ASSERT_EQ(p.len, cases[i].len, cases[i].in);
		ASSERT_STREQ(prefix_format(&p, buf, sizeof(buf)), cases[i].out, cases[i].in);
		/* And the output parses back to the same prefix. */
		if (ASSERT_OK(prefix_parse(buf, &q, &why), buf))
			ASSERT_MEMEQ(&p, &q, sizeof(p), buf);
	}
	/* A short buffer truncates, still NUL-terminated. */
	prefix_parse("203.0.113.0/24", &p, &why);
	ASSERT_STREQ(prefix_format(&p, buf, 8), "203.0.1", "truncated");
	test__end_subtest();
}

static void test_prefix_refusals(void)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
		{ "", "bad address" },
		{ "/24", "bad address" },
		{ "1.2.3", "bad address" },
		{ "1.2.3.256", "bad address" },
		{ "010.0.0.1", "bad address" },
		{ " 1.2.3.4", "bad address" },
		{ "1.2.3.4 /32", "bad address" },
		{ "fe80::1%eth0", "bad address" },
		{ "2001:db8:::/48", "bad address" },
		{ "1.2.3.4/", "bad prefix length" },
		{ "1.2.3.4/-1", "bad prefix length" },
		{ "1.2.3.4/+1", "bad prefix length" },
		{ "1.2.3.4/ 1", "bad prefix length" },
		{ "1.2.3.4/33", "bad prefix length" },
		{ "::/129", "bad prefix length" },
		/* Leading zeros: `ip route` would read "/010" as octal 8. */
		{ "1.2.3.4/08", "bad prefix length" },
		{ "0.0.0.0/00", "bad prefix length" },
		{ "1.2.3.4/0032", "bad prefix length" },
		{ "1.2.3.4/1000", "bad prefix length" },
		{ "1.2.3.4/24/1", "bad prefix length" },
		{ "1.2.3.0/255.255.255.0", "bad prefix length" },
		{ "203.0.113.5/24", "host bits set" },
		{ "11.0.0.0/7", "host bits set" },
		{ "2001:db8::1/64", "host bits set" },
		{ "::1/127", "host bits set" },
	};
	struct prefix p, before;
	const char *why;
	size_t i;

	test__start_subtest("prefix_refusals");
	memset(&before, 0x5a, sizeof(before));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = before;
		why = NULL;
		ASSERT_EQ(prefix_parse(cases[i].in, &p, &why), -EINVAL, cases[i].in);
		ASSERT_STREQ(why, cases[i].why, cases[i].in);
		ASSERT_MEMEQ(&p, &before, sizeof(p), "p untouched on error");
	}
	/* why may be NULL. */
	ASSERT_EQ(prefix_parse("1.2.3.4/33", &p, NULL), -EINVAL, "NULL why");
	test__end_subtest();
}

static void test_prefix_contains(void)
{
	struct prefix p;
	__u8 a[16];
	const char *why;

	test__start_subtest("prefix_contains");
	prefix_parse("203.0.113.0/24", &p, &why);
	inet_pton(AF_INET, "203.0.113.77", a);
	ASSERT_TRUE(prefix_contains(&p, a), "203.0.113.77 in /24");
	inet_pton(AF_INET, "203.0.114.0", a);
	ASSERT_FALSE(prefix_contains(&p, a), "203.0.114.0 not in /24");

	prefix_parse("192.0.2.128/25", &p, &why);
	inet_pton(AF_INET, "192.0.2.255", a);
	ASSERT_TRUE(prefix_contains(&p, a), ".255 in .128/25");
	inet_pton(AF_INET, "192.0.2.127", a);
	ASSERT_FALSE(prefix_contains(&p, a), ".127 not in .128/25");

	prefix_parse("0.0.0.0/0", &p, &why);
	inet_pton(AF_INET, "255.255.255.255", a);
	ASSERT_TRUE(prefix_contains(&p, a), "/0 contains everything");

	prefix_parse("192.0.2.1", &p, &why);
	inet_pton(AF_INET, "192.0.2.1", a);
	ASSERT_TRUE(prefix_contains(&p, a), "host /32 contains itself");
	inet_pton(AF_INET, "192.0.2.0", a);
	ASSERT_FALSE(prefix_contains(&p, a), "host /32 only");

	prefix_parse("2001:db8:8000::/33", &p, &why);
	inet_pton(AF_INET6, "2001:db8:ffff::1", a);
	ASSERT_TRUE(prefix_contains(&p, a), "v6 /33 inside");
	inet_pton(AF_INET6, "2001:db8:7fff::1", a);
	ASSERT_FALSE(prefix_contains(&p, a), "v6 /33 bit 33 differs");

	prefix_parse("::/0", &p, &why);
	ASSERT_TRUE(prefix_contains(&p, a), "::/0 contains everything");

	prefix_parse("2001:db8::1", &p, &why);
	inet_pton(AF_INET6, "2001:db8::1", a);
	ASSERT_TRUE(prefix_contains(&p, a), "v6 host /128");
	a[15] ^= 1;
	ASSERT_FALSE(prefix_contains(&p, a), "v6 host /128, last bit differs");
	test__end_subtest();
}

/*
 * route-list: the list files live in a directory of their own, made for each
 * test and removed after it, and the tests work in it, so that the config
 * (NAME, no directory) finds them by their bare names and the messages name
 * them so.
 */
struct list_dir {
	char path[64];
	int back;			/* the directory the tests came from */
	char files[16][32];
	int n_files;
};

static bool list_dir_enter(struct list_dir *d)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->path, "/tmp/bpfroute-test-lists-XXXXXX");
	d->back = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!ASSERT_TRUE(d->back >= 0, "open ."))
		return false;
	if (!ASSERT_TRUE(mkdtemp(d->path) != NULL, "mkdtemp") ||
	    !ASSERT_OK(chdir(d->path), "chdir")) {
		close(d->back);
		return false;
	}
	return true;
}

static void list_dir_leave(struct list_dir *d)
{
	for (int i = d->n_files - 1; i >= 0; i--)
		if (unlink(d->files[i]))
			rmdir(d->files[i]);
	ASSERT_OK(fchdir(d->back), "fchdir back");
	close(d->back);
	ASSERT_OK(rmdir(d->path), "list directory empty at the end");
}

/* Writes text into the file name (in the test's directory); noted for removal. */
static bool list_file(struct list_dir *d, const char *name, const char *text)
{
	FILE *f;
	bool ok;

	if (!ASSERT_TRUE(d->n_files < 16, "room for another file"))
		return false;
	f = fopen(name, "w");
	if (!ASSERT_TRUE(f != NULL, name))
		return false;
	snprintf(d->files[d->n_files++], sizeof(d->files[0]), "%s", name);
	ok = fputs(text, f) >= 0;
	ok &= !fclose(f);
	return ASSERT_TRUE(ok, "write the list");
}

/* A route of cfg is the name or prefix text, to dev, from file:line. */
static bool route_is(const struct config *cfg, size_t i, const char *text, const char *dev,
		     const char *file, int line)
{
	char got[CONFIG_DOMAIN_MAX + 2];
	const struct config_route *r;
	bool ok = true;

	if (!ASSERT_TRUE(i < cfg->n_routes, text))
		return false;
	r = &cfg->routes[i];
	if (r->kind == CONFIG_ROUTE_PREFIX)
		snprintf(got, sizeof(got), "%s", fmt(&r->prefix));
	else
		snprintf(got, sizeof(got), "%s%s", r->wildcard ? "*." : "", r->domain);
	ok &= ASSERT_STREQ(got, text, "route");
	ok &= ASSERT_STREQ(r->dev, dev, text);
	ok &= ASSERT_STREQ(config_route_file(cfg, r), file, text);
	ok &= ASSERT_EQ(r->line, line, text);
	return ok;
}

static void test_route_list_bpfroute(void)
{
	struct list_dir d;
	struct config cfg;

	test__start_subtest("route_list_bpfroute");
	if (!list_dir_enter(&d))
		goto out;
	if (!list_file(&d, "corp.txt",
		       "# corp names and prefixes\n"		/* 1 */
		       "\n"					/* 2 */
		       "  app.Example.ORG.  \n"			/* 3 */
		       "\t*.corp.example.com\t# the subtree\n"	/* 4 */
		       "203.0.113.0/24#no space\n"		/* 5 */
		       "   \t\n"				/* 6 */
		       "2001:db8:3::/48\n"			/* 7 */
		       "198.51.100.7"))				/* 8, no newline */
		goto leave;
	if (!expect_ok("interface lan0\n"
		       "route-list corp.txt dev wg0 masquerade   # the list\n", &cfg))
		goto leave;
	if (ASSERT_EQ(cfg.n_routes, 5, "n_routes")) {
		route_is(&cfg, 0, "app.example.org", "wg0", "corp.txt", 3);
		route_is(&cfg, 1, "*.corp.example.com", "wg0", "corp.txt", 4);
		route_is(&cfg, 2, "203.0.113.0/24", "wg0", "corp.txt", 5);
		route_is(&cfg, 3, "2001:db8:3::/48", "wg0", "corp.txt", 7);
		route_is(&cfg, 4, "198.51.100.7/32", "wg0", "corp.txt", 8);
		ASSERT_TRUE(cfg.routes[0].masquerade, "entries masqueraded");
		ASSERT_EQ(cfg.routes[0].list, 1, "entry of the first list");
		ASSERT_EQ(config_route_dev_line(&cfg, &cfg.routes[4]), 2,
			  "the device's line is the route-list line");
	}
	if (ASSERT_EQ(cfg.n_lists, 1, "n_lists")) {
		ASSERT_STREQ(cfg.lists[0].path, "corp.txt", "list path");
		ASSERT_EQ(cfg.lists[0].format, CONFIG_LIST_BPFROUTE, "default format");
		ASSERT_EQ(cfg.lists[0].line, 2, "list line");
	}
	if (ASSERT_EQ(cfg.n_masq, 1, "masqueraded devices"))
		ASSERT_EQ(cfg.masq[0].line, 2, "masqueraded by the route-list line");
	config_free(&cfg);

	/* An empty list is a list of nothing, not an error. */
	if (list_file(&d, "empty.txt", "# nothing yet\n") &&
	    expect_ok("interface lan0\nroute-list empty.txt dev wg0 format bpfroute\n", &cfg)) {
		ASSERT_EQ(cfg.n_routes, 0, "no routes from an empty list");
		ASSERT_EQ(cfg.n_lists, 1, "the list is still known");
		config_free(&cfg);
	}
leave:
	list_dir_leave(&d);
out:
	test__end_subtest();
}

static void test_route_list_domains(void)
{
	struct list_dir d;
	struct config cfg;

	test__start_subtest("route_list_domains");
	if (!list_dir_enter(&d))
		goto out;
	if (!list_file(&d, "plain.txt", "# a published list\nexample.com\n\n"
		       "  Ads.Example.NET.  # x\n*.only-below.example\n"))
		goto leave;
	if (expect_ok("interface lan0\nroute-list plain.txt dev wg0 format domains\n", &cfg)) {
		/* A bare name: the name and everything below it, two rules. */
		if (ASSERT_EQ(cfg.n_routes, 5, "n_routes")) {
			route_is(&cfg, 0, "example.com", "wg0", "plain.txt", 2);
			route_is(&cfg, 1, "*.example.com", "wg0", "plain.txt", 2);
			route_is(&cfg, 2, "ads.example.net", "wg0", "plain.txt", 4);
			route_is(&cfg, 3, "*.ads.example.net", "wg0", "plain.txt", 4);
			/* "*.NAME" says the names below only, as in a route line. */
			route_is(&cfg, 4, "*.only-below.example", "wg0", "plain.txt", 5);
		}
		ASSERT_EQ(cfg.lists[0].format, CONFIG_LIST_DOMAINS, "format");
		config_free(&cfg);
	}
	/* Names only: an address is a hosts file or a mistake, not a name. */
	if (list_file(&d, "addr.txt", "example.com\n203.0.113.0/24\n"))
		expect_refusal("interface lan0\nroute-list addr.txt dev wg0 format domains\n",
			       -EINVAL, "addr.txt:2: '203.0.113.0/24' is an address or prefix: a "
			       "domains list holds names (format bpfroute takes prefixes)");
	if (list_file(&d, "hosts.txt", "# hosts\nexample.com\n0.0.0.0 ads.example.com\n"))
		expect_refusal("interface lan0\nroute-list hosts.txt dev wg0 format domains\n",
			       -EINVAL, "hosts.txt:3: one name a line, found 'ads.example.com' "
			       "after '0.0.0.0'");
	if (list_file(&d, "bad.txt", "example.com\n\nexa mple.org\n"))
		expect_refusal("interface lan0\nroute-list bad.txt dev wg0 format domains\n",
			       -EINVAL, "bad.txt:3: one name a line, found 'mple.org' after 'exa'");
	if (list_file(&d, "bad2.txt", "a..b\n"))
		expect_refusal("interface lan0\nroute-list bad2.txt dev wg0 format domains\n",
			       -EINVAL, "bad2.txt:1: bad domain 'a..b': empty label");
leave:
	list_dir_leave(&d);
out:
	test__end_subtest();
}

static void test_route_list_v2fly(void)
{
	struct list_dir d;
	struct config cfg;

	test__start_subtest("route_list_v2fly");
	if (!list_dir_enter(&d))
		goto out;
	if (!list_file(&d, "v2.txt",
		       "# v2fly/domain-list-community\n"		/* 1 */
		       "domain:example.com\n"				/* 2 */
		       "full:www.example.org @cn\n"			/* 3 */
		       "bare.example.net @ads @!cn &other-list\n"	/* 4 */
		       "\n"						/* 5 */
		       "full:api.example.org # a comment\n"))		/* 6 */
		goto leave;
	if (expect_ok("interface lan0\nroute-list v2.txt dev wg1 format v2fly\n", &cfg)) {
		if (ASSERT_EQ(cfg.n_routes, 6, "n_routes")) {
			route_is(&cfg, 0, "example.com", "wg1", "v2.txt", 2);
			route_is(&cfg, 1, "*.example.com", "wg1", "v2.txt", 2);
			/* full: the name alone; the attribute ignored */
			route_is(&cfg, 2, "www.example.org", "wg1", "v2.txt", 3);
			/* bare: as domain: */
			route_is(&cfg, 3, "bare.example.net", "wg1", "v2.txt", 4);
			route_is(&cfg, 4, "*.bare.example.net", "wg1", "v2.txt", 4);
			route_is(&cfg, 5, "api.example.org", "wg1", "v2.txt", 6);
		}
		config_free(&cfg);
	}

	/* Each refusal names the list and the line, and says what is not supported. */
	if (list_file(&d, "kw.txt", "domain:example.com\nkeyword:google\n"))
		expect_refusal("interface lan0\nroute-list kw.txt dev wg1 format v2fly\n", -EINVAL,
			       "kw.txt:2: keyword: is not supported: bpfroute matches whole names, "
			       "not parts of them");
	if (list_file(&d, "re.txt", "\n\nregexp:^ads[0-9]+\\.example\\.com$\n"))
		expect_refusal("interface lan0\nroute-list re.txt dev wg1 format v2fly\n", -EINVAL,
			       "re.txt:3: regexp: is not supported: bpfroute matches whole names, "
			       "not patterns");
	if (list_file(&d, "inc.txt", "include:google @cn\n"))
		expect_refusal("interface lan0\nroute-list inc.txt dev wg1 format v2fly\n", -EINVAL,
			       "inc.txt:1: include: is not supported: give the included list a "
			       "route-list line of its own");
	if (list_file(&d, "other.txt", "domain:a.example\nipcidr:10.0.0.0/8\n"))
		expect_refusal("interface lan0\nroute-list other.txt dev wg1 format v2fly\n",
			       -EINVAL, "other.txt:2: unknown v2fly entry type 'ipcidr:'; domain:, "
			       "full: or a bare name");
	if (list_file(&d, "star.txt", "full:*.example.com\n"))
		expect_refusal("interface lan0\nroute-list star.txt dev wg1 format v2fly\n",
			       -EINVAL, "star.txt:1: '*.example.com': v2fly has no '*.' wildcard: "
			       "domain:NAME covers NAME and the names below it");
	if (list_file(&d, "extra.txt", "domain:example.com ads\n"))
		expect_refusal("interface lan0\nroute-list extra.txt dev wg1 format v2fly\n",
			       -EINVAL, "extra.txt:1: 'ads' after the entry: only attributes "
			       "(@attr) and affiliations (&list) may follow it");
	if (list_file(&d, "ip.txt", "192.0.2.1\n"))
		expect_refusal("interface lan0\nroute-list ip.txt dev wg1 format v2fly\n",
			       -EINVAL, "ip.txt:1: '192.0.2.1' is an address: a v2fly list holds "
			       "names");
	if (list_file(&d, "empty.txt", "domain:\n"))
		expect_refusal("interface lan0\nroute-list empty.txt dev wg1 format v2fly\n",
			       -EINVAL, "empty.txt:1: bad domain '': empty name");
leave:
	list_dir_leave(&d);
out:
	test__end_subtest();
}

/* FILE is relative to the config's directory, not to the working directory. */
static void test_route_list_path(void)
{
	char err[512], abs[128], text[256];
	struct list_dir d;
	struct config cfg;
	int ret;

	test__start_subtest("route_list_path");
	if (!list_dir_enter(&d))
		goto out;
	if (!ASSERT_OK(mkdir("etc", 0700), "mkdir etc"))
		goto leave;
	snprintf(d.files[d.n_files++], sizeof(d.files[0]), "etc");
	if (!list_file(&d, "etc/near.txt", "near.example.com\n") ||
	    !list_file(&d, "near.txt", "wrong.example.com\n"))
		goto leave;
	ret = config_parse_string("etc/t.conf", "interface lan0\nroute-list near.txt dev wg0\n",
				  &cfg, err, sizeof(err));
	if (ASSERT_OK(ret, err)) {
		ASSERT_STREQ(cfg.lists[0].path, "etc/near.txt", "next to the config");
		route_is(&cfg, 0, "near.example.com", "wg0", "etc/near.txt", 1);
		config_free(&cfg);
	}
	/* An absolute FILE is taken as it is. */
	snprintf(abs, sizeof(abs), "%s/near.txt", d.path);
	snprintf(text, sizeof(text), "interface lan0\nroute-list %s dev wg0\n", abs);
	ret = config_parse_string("etc/t.conf", text, &cfg, err, sizeof(err));
	if (ASSERT_OK(ret, err)) {
		route_is(&cfg, 0, "wrong.example.com", "wg0", abs, 1);
		config_free(&cfg);
	}
	/* Missing next to the config: the config's line says which list. */
	ret = config_parse_string("etc/t.conf", "interface lan0\n\nroute-list none.txt dev wg0\n",
				  &cfg, err, sizeof(err));
	ASSERT_EQ(ret, -ENOENT, "missing list");
	ASSERT_STREQ(err, "etc/t.conf:3: route-list etc/none.txt: No such file or directory",
		     "missing list message");
	ASSERT_TRUE(cfg_is_empty(&cfg), "cfg empty");
leave:
	list_dir_leave(&d);
out:
	test__end_subtest();
}

/* Lists that cannot be read, or not as lists: refused at the route-list line. */
static void test_route_list_not_a_file(void)
{
	struct list_dir d;

	test__start_subtest("route_list_not_a_file");
	if (!list_dir_enter(&d))
		goto out;
	expect_refusal("interface lan0\nroute-list missing.txt dev wg0\n", -ENOENT,
		       NAME ":2: route-list missing.txt: No such file or directory");
	/* A FIFO would block the read until a writer came. */
	if (ASSERT_OK(mkfifo("fifo.txt", 0600), "mkfifo")) {
		snprintf(d.files[d.n_files++], sizeof(d.files[0]), "fifo.txt");
		expect_refusal("interface lan0\nroute-list fifo.txt dev wg0\n", -EINVAL,
			       NAME ":2: route-list fifo.txt: not a regular file (a FIFO)");
	}
	expect_refusal("interface lan0\nroute-list . dev wg0\n", -EISDIR,
		       NAME ":2: route-list .: not a regular file (a directory)");
	list_dir_leave(&d);
out:
	test__end_subtest();
}

static void test_route_list_usage(void)
{
	struct list_dir d;

	test__start_subtest("route_list_usage");
	if (!list_dir_enter(&d))
		goto out;
	if (!list_file(&d, "l.txt", "example.com\n"))
		goto leave;
	expect_refusal("interface lan0\nroute-list l.txt\n", -EINVAL,
		       NAME ":2: " "usage: route-list FILE dev IFNAME [masquerade] "
		       "[format bpfroute|domains|v2fly] [clients NAME]");
	expect_refusal("interface lan0\nroute-list l.txt via wg0\n", -EINVAL,
		       NAME ":2: expected 'dev', got 'via'; usage: route-list FILE dev IFNAME "
		       "[masquerade] [format bpfroute|domains|v2fly] [clients NAME]");
	expect_refusal("interface lan0\nroute-list l.txt dev wg0 format hosts\n", -EINVAL,
		       NAME ":2: unknown format 'hosts'; usage: route-list FILE dev IFNAME "
		       "[masquerade] [format bpfroute|domains|v2fly] [clients NAME]");
	expect_refusal("interface lan0\nroute-list l.txt dev wg0 format\n", -EINVAL,
		       NAME ":2: format: missing its name; usage: route-list FILE dev IFNAME "
		       "[masquerade] [format bpfroute|domains|v2fly] [clients NAME]");
	expect_refusal("interface lan0\nroute-list l.txt dev wg0 format v2fly format domains\n",
		       -EINVAL, NAME ":2: 'format' given twice; usage: route-list FILE dev IFNAME "
		       "[masquerade] [format bpfroute|domains|v2fly] [clients NAME]");
	expect_refusal("interface lan0\nroute-list l.txt dev wg0 masquerade masquerade\n",
		       -EINVAL, NAME ":2: 'masquerade' given twice; usage: route-list FILE dev "
		       "IFNAME [masquerade] [format bpfroute|domains|v2fly] [clients NAME]");
	expect_refusal("interface lan0\nroute-list l.txt dev wg0 xdp\n", -EINVAL,
		       NAME ":2: unknown option 'xdp' after dev wg0; usage: route-list FILE dev "
		       "IFNAME [masquerade] [format bpfroute|domains|v2fly] [clients NAME]");
	expect_refusal("interface lan0\nroute-list l.txt dev wg0/1\n", -EINVAL,
		       NAME ":2: bad device name 'wg0/1': contains '/'");
	/* The LAN conflict, from both sides, at the config's lines. */
	expect_refusal("interface lan0\nroute-list l.txt dev lan0\n", -EINVAL,
		       NAME ":2: lan0 is both a LAN interface (line 1) and a route target");
	expect_refusal("interface lan0\nroute-list l.txt dev wg0\ninterface wg0\n", -EINVAL,
		       NAME ":3: wg0 is both a route target (line 2) and a LAN interface");
	/* masquerade and xdp exclude each other, for a list's device too. */
	expect_refusal("interface lan0\ntarget wg0 xdp\nroute-list l.txt dev wg0 masquerade\n",
		       -EINVAL, NAME ":3: wg0: 'masquerade' and 'xdp' (line 2) exclude each "
		       "other: masquerade is done in TC, not XDP");
leave:
	list_dir_leave(&d);
out:
	test__end_subtest();
}

/* Bad entries of format bpfroute, and lines the reader refuses in any format. */
static void test_route_list_bad_lines(void)
{
	char *big = malloc(2 * CONFIG_LINE_MAX + 200000);
	struct list_dir d;
	struct config cfg;
	size_t off = 0;

	test__start_subtest("route_list_bad_lines");
	if (!ASSERT_TRUE(big != NULL, "malloc") || !list_dir_enter(&d))
		goto out;
	if (list_file(&d, "hostbits.txt", "example.com\n203.0.113.5/24\n"))
		expect_refusal("interface lan0\nroute-list hostbits.txt dev wg0\n", -EINVAL,
			       "hostbits.txt:2: host bits set in 203.0.113.5/24");
	if (list_file(&d, "two.txt", "# two a line\nexample.com example.org\n"))
		expect_refusal("interface lan0\nroute-list two.txt dev wg0\n", -EINVAL,
			       "two.txt:2: one entry a line, found 'example.org' after "
			       "'example.com'");
	if (list_file(&d, "name.txt", "ok.example.com\nbad_*.example.com\n"))
		expect_refusal("interface lan0\nroute-list name.txt dev wg0\n", -EINVAL,
			       "name.txt:2: bad domain 'bad_*.example.com': '*' is allowed only as "
			       "the whole first label");
	if (list_file(&d, "crlf.txt", "example.com\r\nexample.org\r\n"))
		expect_refusal("interface lan0\nroute-list crlf.txt dev wg0 format domains\n",
			       -EINVAL, "crlf.txt:1: carriage return (DOS line endings?)");
	if (list_file(&d, "ctl.txt", "example.com\n# a bell \a\n"))
		expect_refusal("interface lan0\nroute-list ctl.txt dev wg0 format v2fly\n",
			       -EINVAL, "ctl.txt:2: control character 0x07");

	/*
	 * Past 64 KiB, the lines cross the reader's pieces: every entry is
	 * still read whole, at its line, up to a line one character too long.
	 * Prefixes: 5000 names would be more rules than bpfroute_rules holds.
	 */
	for (int i = 0; i < 5000; i++)
		off += (size_t)sprintf(big + off, "# %d\n100.64.%d.%d/32\n", i, i / 256, i % 256);
	big[off] = '#';		/* a comment of the longest line, 10001 */
	memset(big + off + 1, 'a', CONFIG_LINE_MAX - 1);
	strcpy(big + off + CONFIG_LINE_MAX, "\n");
	if (list_file(&d, "long.txt", big) &&
	    expect_ok("interface lan0\nroute-list long.txt dev wg0\n", &cfg)) {
		ASSERT_EQ(cfg.n_routes, 5000, "entries across the pieces");
		route_is(&cfg, 4999, "100.64.19.135/32", "wg0", "long.txt", 10000);
		config_free(&cfg);
	}
	/* One character more, not the last line, and then as the last line without a newline. */
	strcpy(big + off + CONFIG_LINE_MAX, "a\nlast.example.com\n");
	if (list_file(&d, "toolong.txt", big))
		expect_refusal("interface lan0\nroute-list toolong.txt dev wg0\n", -EINVAL,
			       "toolong.txt:10001: line longer than 1023 characters");
	strcpy(big + off + CONFIG_LINE_MAX, "a");
	if (list_file(&d, "toolong2.txt", big))
		expect_refusal("interface lan0\nroute-list toolong2.txt dev wg0\n", -EINVAL,
			       "toolong2.txt:10001: line longer than 1023 characters");
	list_dir_leave(&d);
out:
	free(big);
	test__end_subtest();
}

/*
 * Published lists repeat themselves and overlap: the same entry to the same
 * device is one rule, whoever says it. To another device it is refused,
 * naming both places; two route lines stay refused as ever.
 */
static void test_route_list_duplicates(void)
{
	struct list_dir d;
	struct config cfg;

	test__start_subtest("route_list_duplicates");
	if (!list_dir_enter(&d))
		goto out;
	if (!list_file(&d, "a.txt", "example.com\n203.0.113.0/24\nexample.com\n*.example.com\n") ||
	    !list_file(&d, "b.txt", "other.example\nEXAMPLE.com.\n203.0.113.0/24\n") ||
	    !list_file(&d, "sub.txt", "example.com\n*.example.com\n") ||
	    !list_file(&d, "c.txt", "x.example\n203.0.113.0/24\n"))
		goto leave;
	if (expect_ok("interface lan0\n"
		      "route 203.0.113.0/24 dev wg0\n"		/* the prefix, first */
		      "route-list a.txt dev wg0\n"
		      "route-list b.txt dev wg0\n"
		      "route example.com dev wg0 masquerade\n"	/* after: merged too */
		      "route-list sub.txt dev wg0 format domains\n", &cfg)) {
		if (ASSERT_EQ(cfg.n_routes, 4, "each rule once")) {
			route_is(&cfg, 0, "203.0.113.0/24", "wg0", NAME, 2);
			route_is(&cfg, 1, "example.com", "wg0", "a.txt", 1);
			route_is(&cfg, 2, "*.example.com", "wg0", "a.txt", 4);
			route_is(&cfg, 3, "other.example", "wg0", "b.txt", 1);
		}
		/* The merged route line still says masquerade, for the device. */
		if (ASSERT_EQ(cfg.n_masq, 1, "masqueraded by the merged line"))
			ASSERT_EQ(cfg.masq[0].line, 5, "masquerade line");
		config_free(&cfg);
	}
	/* Another device: refused at the later place, naming the first. */
	expect_refusal("interface lan0\nroute-list a.txt dev wg0\nroute-list c.txt dev wg1\n",
		       -EINVAL, "c.txt:2: duplicate route 203.0.113.0/24 to wg1 (first at a.txt:2 "
		       "to wg0)");
	expect_refusal("interface lan0\nroute example.com dev wg1\nroute-list a.txt dev wg0\n",
		       -EINVAL, "a.txt:1: duplicate route example.com to wg0 (first at " NAME ":2 "
		       "to wg1)");
	expect_refusal("interface lan0\nroute-list sub.txt dev wg0 format domains\n"
		       "route *.example.com dev wg1\n",
		       -EINVAL, NAME ":3: duplicate route *.example.com to wg1 (first at sub.txt:1 "
		       "to wg0)");
	/* The same list to two devices conflicts with itself. */
	expect_refusal("interface lan0\nroute-list c.txt dev wg0\nroute-list c.txt dev wg1\n",
		       -EINVAL, "c.txt:1: duplicate route x.example to wg1 (first at c.txt:1 to "
		       "wg0)");
	/* Route lines alone: as before, whatever the device. */
	expect_refusal("interface lan0\nroute example.com dev wg0\nroute example.com dev wg0\n",
		       -EINVAL, NAME ":3: duplicate route example.com (first at line 2)");
leave:
	list_dir_leave(&d);
out:
	test__end_subtest();
}

#define LIST_RULES	4096
#define LIST_RULES_TEXT	"4096"

/*
 * `bypass NAME|*.NAME|PREFIX`: an entry of cfg->routes with bypass set and
 * no device, in file order among the routes, of either kind and family.
 */
static void test_bypass_valid(void)
{
	static const struct {
		const char *text;
		bool wildcard;
		enum config_route_kind kind;
	} want[] = {
		{ "corp.example.com", true, CONFIG_ROUTE_DOMAIN },
		{ "public.corp.example.com", false, CONFIG_ROUTE_DOMAIN },
		{ "a.corp.example.com", true, CONFIG_ROUTE_DOMAIN },
		{ "203.0.113.0/24", false, CONFIG_ROUTE_PREFIX },
		{ "203.0.113.128/25", false, CONFIG_ROUTE_PREFIX },
		{ "2001:db8:7::/48", false, CONFIG_ROUTE_PREFIX },
		{ "198.51.100.7/32", false, CONFIG_ROUTE_PREFIX },
	};
	static const bool bypass[] = { false, true, true, false, true, true, true };
	struct config cfg;
	char got[CONFIG_DOMAIN_MAX];

	test__start_subtest("bypass_valid");
	if (expect_ok("interface lan0\n"
		      "route *.corp.example.com dev wg0\n"
		      "bypass public.corp.example.com\n"
		      "bypass *.A.corp.example.com.   # case and trailing dot as a route's\n"
		      "route 203.0.113.0/24 dev wg0\n"
		      "bypass 203.0.113.128/25\n"
		      "bypass 2001:db8:7::/48\n"
		      "bypass 198.51.100.7\n", &cfg)) {
		if (ASSERT_EQ(cfg.n_routes, 7, "routes and bypasses")) {
			for (size_t i = 0; i < cfg.n_routes; i++) {
				const struct config_route *r = &cfg.routes[i];

				if (r->kind == CONFIG_ROUTE_PREFIX)
					snprintf(got, sizeof(got), "%s", fmt(&r->prefix));
				else
					snprintf(got, sizeof(got), "%s", r->domain);
				ASSERT_STREQ(got, want[i].text, "entry");
				ASSERT_EQ(r->kind, want[i].kind, want[i].text);
				ASSERT_EQ(r->wildcard, want[i].wildcard, want[i].text);
				ASSERT_EQ(r->bypass, bypass[i], want[i].text);
				ASSERT_STREQ(r->dev, bypass[i] ? "" : "wg0", want[i].text);
				ASSERT_EQ(r->line, (int)i + 2, want[i].text);
			}
		}
		/* A bypass names no device: one target, wg0. */
		ASSERT_EQ(config_n_targets(&cfg), 1, "targets");
		config_free(&cfg);
	}
	/* Bypasses alone, without any route: valid, if useless. */
	if (expect_ok("interface lan0\nbypass example.com\n", &cfg)) {
		ASSERT_EQ(cfg.n_routes, 1, "a lone bypass");
		config_free(&cfg);
	}
	test__end_subtest();
}

/* Refused with FILE:LINE: reason, nothing kept. */
static void test_bypass_refusals(void)
{
	test__start_subtest("bypass_refusals");
	expect_refusal("interface lan0\nbypass\n", -EINVAL, NAME ":2: usage: bypass PREFIX|DOMAIN");
	expect_refusal("interface lan0\nbypass example.com dev wg0\n", -EINVAL,
		       NAME ":2: usage: bypass PREFIX|DOMAIN");
	expect_refusal("interface lan0\nbypass a.example.com b.example.com\n", -EINVAL,
		       NAME ":2: usage: bypass PREFIX|DOMAIN");
	expect_refusal("interface lan0\nbypass 203.0.113.5/24\n", -EINVAL,
		       NAME ":2: host bits set in 203.0.113.5/24");
	expect_refusal("interface lan0\nbypass exa_mple..com\n", -EINVAL,
		       NAME ":2: bad domain 'exa_mple..com': empty label");
	/* Route and bypass of the same name or prefix: both lines named, either order. */
	expect_refusal("interface lan0\nroute *.corp.example.com dev wg0\n"
		       "route public.corp.example.com dev wg0\nbypass public.corp.example.com\n",
		       -EINVAL, NAME ":4: public.corp.example.com is both a route (" NAME ":3) "
		       "and a bypass");
	expect_refusal("interface lan0\nbypass *.corp.example.com\n"
		       "route *.corp.example.com dev wg0 masquerade\n",
		       -EINVAL, NAME ":3: *.corp.example.com is both a bypass (" NAME ":2) "
		       "and a route");
	expect_refusal("interface lan0\nbypass 2001:db8::/32\nroute 2001:db8::/32 dev wg0\n",
		       -EINVAL, NAME ":3: 2001:db8::/32 is both a bypass (" NAME ":2) and a route");
	expect_refusal("interface lan0\nbypass example.com\nbypass EXAMPLE.com.\n", -EINVAL,
		       NAME ":3: duplicate bypass example.com (first at line 2)");
	/*
	 * A name and the names below it are two rules, both taken (the refusal
	 * comes at line 4). Lists of bypasses are not a keyword.
	 */
	expect_refusal("interface lan0\nbypass example.com\nbypass *.example.com\n"
		       "bypass-list x.txt\n", -EINVAL, NAME ":4: unknown keyword 'bypass-list'");
	test__end_subtest();
}

/* A list entry that is also a bypass line: refused, naming both, either order. */
static void test_bypass_list_entry(void)
{
	struct list_dir d;

	test__start_subtest("bypass_list_entry");
	if (!list_dir_enter(&d))
		goto out;
	if (!list_file(&d, "a.txt", "example.com\n203.0.113.0/24\n"))
		goto leave;
	expect_refusal("interface lan0\nroute-list a.txt dev wg0\nbypass 203.0.113.0/24\n",
		       -EINVAL, NAME ":3: 203.0.113.0/24 is both a route (a.txt:2) and a bypass");
	expect_refusal("interface lan0\nbypass example.com\nroute-list a.txt dev wg0\n",
		       -EINVAL, "a.txt:1: example.com is both a bypass (" NAME ":2) and a route");
leave:
	list_dir_leave(&d);
out:
	test__end_subtest();
}

/* A bypass has no device to look up, and takes a place in the maps. */
static void test_bypass_devices_capacity(void)
{
	struct config cfg;
	char err[512];

	test__start_subtest("bypass_devices_capacity");
	if (if_nametoindex("lo") &&
	    expect_ok("interface lo\nbypass example.com\nbypass 203.0.113.0/24\n", &cfg)) {
		ASSERT_OK(config_check_devices(&cfg, err, sizeof(err)), "no device to look up");
		config_free(&cfg);
	}
	test__end_subtest();
}

/*
 * A list past what the maps hold is refused while it is read, with the
 * capacity check's message at the first entry past it; a route line after
 * a full list is refused by the capacity check, at its line.
 */
static void test_route_list_capacity(void)
{
	size_t cap = (size_t)(LIST_RULES + 1) * 32 + 64, n = 0;
	char *text = malloc(cap), err[512], want[512];
	struct list_dir d;
	struct config cfg;

	test__start_subtest("route_list_capacity");
	if (!ASSERT_TRUE(text != NULL, "malloc") || !list_dir_enter(&d))
		goto out;
	for (int i = 0; i < LIST_RULES; i++)
		n += (size_t)snprintf(text + n, cap - n, "r%d.example.com\n", i);
	if (!list_file(&d, "full.txt", text))
		goto leave;
	if (expect_ok("interface lan0\nmax-rules " LIST_RULES_TEXT "\n"
		      "route-list full.txt dev wg0\n", &cfg)) {
		ASSERT_OK(config_check_capacity(&cfg, err, sizeof(err)), "as many as it holds");
		config_free(&cfg);
	}
	if (expect_ok("interface lan0\nmax-rules " LIST_RULES_TEXT "\n"
		      "route-list full.txt dev wg0\nroute one.example dev wg0\n", &cfg)) {
		ASSERT_EQ(config_check_capacity(&cfg, err, sizeof(err)), -E2BIG, "one more line");
		snprintf(want, sizeof(want), NAME ":4: more than %d domain rules: max-rules is "
			 "%d (" NAME ":2)", LIST_RULES, LIST_RULES);
		ASSERT_STREQ(err, want, "at the route line");
		config_free(&cfg);
	}
	/* max-rules after the list: the list is read whole, then counted. */
	if (expect_ok("interface lan0\nroute-list full.txt dev wg0\nmax-rules 100\n", &cfg)) {
		ASSERT_EQ(config_check_capacity(&cfg, err, sizeof(err)), -E2BIG, "set below");
		ASSERT_STREQ(err, "full.txt:101: more than 100 domain rules: max-rules is 100 ("
			     NAME ":3)", "at the list's line");
		config_free(&cfg);
	}
	snprintf(text + n, cap - n, "one-more.example.com\n");
	if (list_file(&d, "over.txt", text)) {
		snprintf(want, sizeof(want), "over.txt:%d: more than %d domain rules: "
			 "max-rules is %d (" NAME ":2)", LIST_RULES + 1, LIST_RULES, LIST_RULES);
		expect_refusal("interface lan0\nmax-rules " LIST_RULES_TEXT "\n"
			       "route-list over.txt dev wg0\n", -E2BIG, want);
		/* As domains, each name is two rules: half as many names fit. */
		snprintf(want, sizeof(want), "over.txt:%d: more than %d domain rules: "
			 "max-rules is %d (" NAME ":2)", LIST_RULES / 2 + 1, LIST_RULES, LIST_RULES);
		expect_refusal("interface lan0\nmax-rules " LIST_RULES_TEXT "\n"
			       "route-list over.txt dev wg0 format domains\n", -E2BIG, want);
	}
leave:
	list_dir_leave(&d);
out:
	free(text);
	test__end_subtest();
}

/* A list's device must exist, even while the list is empty; blamed at the route-list line. */
static void test_route_list_check_devices(void)
{
	struct list_dir d;
	struct config cfg;
	char err[512];

	test__start_subtest("route_list_check_devices");
	if (!if_nametoindex("lo")) {
		test__skip("no loopback device in this namespace");
		return;
	}
	if (!list_dir_enter(&d))
		goto out;
	if (list_file(&d, "empty.txt", "") &&
	    expect_ok("interface lo\n\nroute-list empty.txt dev bpfrt-nodev3\n", &cfg)) {
		ASSERT_EQ(config_check_devices(&cfg, err, sizeof(err)), -ENODEV, "empty list");
		ASSERT_STREQ(err, NAME ":3: unknown device 'bpfrt-nodev3'", "message");
		config_free(&cfg);
	}
	if (list_file(&d, "one.txt", "\n\n\nexample.com\n") &&
	    expect_ok("interface lo\nroute-list one.txt dev bpfrt-nodev4\n", &cfg)) {
		ASSERT_EQ(config_check_devices(&cfg, err, sizeof(err)), -ENODEV, "list entry");
		ASSERT_STREQ(err, NAME ":2: unknown device 'bpfrt-nodev4'", "message");
		config_free(&cfg);
	}
	list_dir_leave(&d);
out:
	test__end_subtest();
}

/* Client groups: `clients NAME PREFIX...`, and `clients NAME` after a route's device. */
static void test_clients_valid(void)
{
	struct config cfg;

	test__start_subtest("clients_valid");
	if (!expect_ok("interface lan0\n"
		       "clients staff 192.0.2.0/26 2001:db8:1::/64 192.0.2.77\n"	/* 2 */
		       "clients guests 192.0.2.128/25\n"				/* 3 */
		       "route 203.0.113.0/24 dev wg0 clients staff\n"			/* 4 */
		       "route *.corp.example.com dev wg0 masquerade clients guests\n"	/* 5 */
		       "route example.org dev wg0\n"					/* 6 */
		       "route 198.51.100.0/24 dev wg0 clients staff masquerade\n",	/* 7 */
		       &cfg))
		goto out;
	if (ASSERT_EQ(cfg.n_clients, 2, "n_clients")) {
		ASSERT_STREQ(cfg.clients[0].name, "staff", "group 1 name");
		ASSERT_EQ(cfg.clients[0].line, 2, "group 1 line");
		if (ASSERT_EQ(cfg.clients[0].n_prefixes, 3, "group 1 prefixes")) {
			ASSERT_STREQ(fmt(&cfg.clients[0].prefixes[0]), "192.0.2.0/26", "prefix 0");
			ASSERT_STREQ(fmt(&cfg.clients[0].prefixes[1]), "2001:db8:1::/64",
				     "prefix 1, IPv6");
			ASSERT_STREQ(fmt(&cfg.clients[0].prefixes[2]), "192.0.2.77/32",
				     "prefix 2, a bare address");
		}
		ASSERT_STREQ(cfg.clients[1].name, "guests", "group 2 name");
	}
	if (ASSERT_EQ(cfg.n_routes, 4, "n_routes")) {
		ASSERT_EQ(cfg.routes[0].clients, 1, "prefix route for staff (id 1)");
		ASSERT_EQ(cfg.routes[1].clients, 2, "domain rule for guests (id 2)");
		ASSERT_TRUE(cfg.routes[1].masquerade, "masquerade before clients");
		ASSERT_EQ(cfg.routes[2].clients, 0, "no group: every client");
		ASSERT_EQ(cfg.routes[3].clients, 1, "clients before masquerade");
		ASSERT_TRUE(cfg.routes[3].masquerade, "masquerade after clients");
	}
	ASSERT_STREQ(config_clients_name(&cfg, 0), "all", "name of group 0");
	ASSERT_STREQ(config_clients_name(&cfg, 2), "guests", "name of group 2");
	config_free(&cfg);
out:
	test__end_subtest();
}

static void test_clients_refusals(void)
{
	char text[8192];
	size_t n;

	test__start_subtest("clients_refusals");
	expect_refusal("interface lan0\nclients staff\n", -EINVAL,
		       NAME ":2: usage: clients NAME PREFIX [PREFIX...]");
	expect_refusal("interface lan0\nclients 1staff 192.0.2.0/24\n", -EINVAL,
		       NAME ":2: bad client group name '1staff': does not start with a letter");
	expect_refusal("interface lan0\nclients st.aff 192.0.2.0/24\n", -EINVAL,
		       NAME ":2: bad client group name 'st.aff': only letters, digits, '-' and '_'");
	expect_refusal("interface lan0\nclients all 192.0.2.0/24\n", -EINVAL,
		       NAME ":2: bad client group name 'all': 'all' stands for every client");
	expect_refusal("interface lan0\nclients staff 192.0.2.1/24\n", -EINVAL,
		       NAME ":2: host bits set in 192.0.2.1/24");
	expect_refusal("interface lan0\nclients staff 192.0.2.0/24 nonsense\n", -EINVAL,
		       NAME ":2: bad address in nonsense");
	expect_refusal("interface lan0\nclients staff 192.0.2.0/24 192.0.2.0/24\n", -EINVAL,
		       NAME ":2: prefix 192.0.2.0/24 given twice");
	expect_refusal("interface lan0\nclients staff 192.0.2.0/24\nclients staff 2001:db8::/32\n",
		       -EINVAL, NAME ":3: duplicate client group staff (first at line 2)");
	/* Used before it is defined, or never defined. */
	expect_refusal("interface lan0\nroute 203.0.113.0/24 dev wg0 clients staff\n"
		       "clients staff 192.0.2.0/24\n", -EINVAL,
		       NAME ":2: unknown client group 'staff' (a clients line defines it, before "
		       "its use)");
	expect_refusal("interface lan0\nclients staff 192.0.2.0/24\n"
		       "route 203.0.113.0/24 dev wg0 clients\n", -EINVAL,
		       NAME ":3: clients: missing the group's name; usage: route PREFIX|DOMAIN dev "
		       "IFNAME [masquerade] [clients NAME]");
	expect_refusal("interface lan0\nclients a 192.0.2.0/24\nclients b 192.0.2.0/25\n"
		       "route example.com dev wg0 clients a clients b\n", -EINVAL,
		       NAME ":4: 'clients' given twice; usage: route PREFIX|DOMAIN dev IFNAME "
		       "[masquerade] [clients NAME]");
	expect_refusal("interface lan0\nclients a 192.0.2.0/24\ntarget wg0 masquerade clients a\n",
		       -EINVAL, NAME ":3: unknown option 'clients' for target wg0; usage: target "
		       "IFNAME [masquerade|xdp] [strict [yes|no]]");
	/* One rule per name: the same name for two groups is a duplicate. */
	expect_refusal("interface lan0\nclients a 192.0.2.0/24\nclients b 192.0.2.128/25\n"
		       "route example.com dev wg0 clients a\nroute example.com dev wg0 clients b\n",
		       -EINVAL, NAME ":5: duplicate route example.com (first at line 4)");
	/* At most BPFROUTE_MAX_CLIENT_GROUPS groups, the one past refused at its line. */
	n = (size_t)snprintf(text, sizeof(text), "interface lan0\n");
	for (int i = 0; i <= BPFROUTE_MAX_CLIENT_GROUPS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "clients g%d 192.0.2.%d\n", i, i);
	expect_refusal(text, -E2BIG, NAME ":66: more than 64 client groups");
	/* More prefixes than one line holds. */
	n = (size_t)snprintf(text, sizeof(text), "interface lan0\nclients big");
	for (int i = 0; i < 62; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " 192.0.2.%d", i);
	expect_refusal(text, -EINVAL, NAME ":2: more than 61 prefixes on one clients line");
	test__end_subtest();
}

/* A list's entries take its group; the same entry for another group is refused. */
static void test_route_list_clients(void)
{
	struct list_dir d;
	struct config cfg;

	test__start_subtest("route_list_clients");
	if (!list_dir_enter(&d))
		goto out;
	if (!list_file(&d, "a.txt", "example.com\n*.example.com\n203.0.113.0/24\n"))
		goto leave;
	if (expect_ok("interface lan0\nclients staff 192.0.2.0/26\n"
		      "route-list a.txt dev wg0 format bpfroute clients staff masquerade\n"
		      "route example.com dev wg0 clients staff\n", &cfg)) {
		if (ASSERT_EQ(cfg.n_routes, 3, "n_routes")) {
			ASSERT_EQ(cfg.routes[0].clients, 1, "name of the list for staff");
			ASSERT_EQ(cfg.routes[1].clients, 1, "*.name of the list for staff");
			ASSERT_EQ(cfg.routes[2].clients, 1, "prefix of the list for staff");
		}
		if (ASSERT_EQ(cfg.n_lists, 1, "n_lists"))
			ASSERT_EQ(cfg.lists[0].clients, 1, "the list's group");
		config_free(&cfg);
	}
	expect_refusal("interface lan0\nclients staff 192.0.2.0/26\n"
		       "route-list a.txt dev wg0 clients staff\n"
		       "route example.com dev wg0\n", -EINVAL,
		       NAME ":4: duplicate route example.com for clients all (first at a.txt:1 for "
		       "clients staff)");
	expect_refusal("interface lan0\nroute-list a.txt dev wg0 clients staff\n", -EINVAL,
		       NAME ":2: unknown client group 'staff' (a clients line defines it, before "
		       "its use)");
leave:
	list_dir_leave(&d);
out:
	test__end_subtest();
}

int main(int argc, char **argv)
{
	test__init(argc, argv);

	RUN_TEST(test_valid_full_file);
	RUN_TEST(test_interfaces_without_routes_valid);
	RUN_TEST(test_no_interface_line);
	RUN_TEST(test_unknown_keyword);
	RUN_TEST(test_interface_usage);
	RUN_TEST(test_route_usage);
	RUN_TEST(test_bad_interface_name);
	RUN_TEST(test_bad_route_device);
	RUN_TEST(test_duplicate_interface);
	RUN_TEST(test_duplicate_prefix);
	RUN_TEST(test_duplicate_domain);
	RUN_TEST(test_duplicate_after_growth);
	RUN_TEST(test_interface_is_route_target);
	RUN_TEST(test_bypass_valid);
	RUN_TEST(test_bypass_refusals);
	RUN_TEST(test_bypass_list_entry);
	RUN_TEST(test_bypass_devices_capacity);
	RUN_TEST(test_bad_prefix_route);
	RUN_TEST(test_digit_names);
	RUN_TEST(test_bad_domain);
	RUN_TEST(test_line_length_limit);
	RUN_TEST(test_control_characters);
	RUN_TEST(test_parse_file);
	RUN_TEST(test_parse_file_size_limit);
	RUN_TEST(test_parse_file_fifo);
	RUN_TEST(test_capacity);
	RUN_TEST(test_capacity_settings);
	RUN_TEST(test_check_devices);
	RUN_TEST(test_route_list_bpfroute);
	RUN_TEST(test_route_list_domains);
	RUN_TEST(test_route_list_v2fly);
	RUN_TEST(test_route_list_path);
	RUN_TEST(test_route_list_not_a_file);
	RUN_TEST(test_route_list_usage);
	RUN_TEST(test_route_list_bad_lines);
	RUN_TEST(test_route_list_duplicates);
	RUN_TEST(test_route_list_capacity);
	RUN_TEST(test_route_list_check_devices);
	RUN_TEST(test_clients_valid);
	RUN_TEST(test_clients_refusals);
	RUN_TEST(test_route_list_clients);
	RUN_TEST(test_config_free_and_short_err);
	RUN_TEST(test_settings_defaults);
	RUN_TEST(test_settings_valid_full_file);
	RUN_TEST(test_settings_limits_valid);
	RUN_TEST(test_settings_usage);
	RUN_TEST(test_settings_bad_number);
	RUN_TEST(test_settings_out_of_range);
	RUN_TEST(test_prefetch_bad_value);
	RUN_TEST(test_settings_duplicate);
	RUN_TEST(test_min_ttl_above_max_ttl);
	RUN_TEST(test_resolver_usage);
	RUN_TEST(test_resolver_bad_address);
	RUN_TEST(test_resolver_prefix);
	RUN_TEST(test_resolver_special_address);
	RUN_TEST(test_resolver_duplicate);
	RUN_TEST(test_resolver_limit);
	RUN_TEST(test_masquerade_valid);
	RUN_TEST(test_masquerade_refusals);
	RUN_TEST(test_masquerade_check_devices);
	RUN_TEST(test_xdp_valid);
	RUN_TEST(test_xdp_refusals);
	RUN_TEST(test_xdp_check_devices);
	RUN_TEST(test_max_client_flows);
	RUN_TEST(test_metrics_line);
	RUN_TEST(test_strict_target);
	RUN_TEST(test_fleet_lines);
	RUN_TEST(test_prefix_roundtrip);
	RUN_TEST(test_prefix_refusals);
	RUN_TEST(test_prefix_contains);
	return test__exit_status();
}
