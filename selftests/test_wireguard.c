/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The WireGuard endpoint reader, in the current network namespace.
 *
 * Always: lo is not WireGuard, a missing device is -ENODEV, bad arguments
 * are -EINVAL. With WG_TEST_IFNAME (set by test_wireguard.sh, which runs
 * wireguard-go): that device is WireGuard and its endpoints are exactly
 * WG_TEST_ENDPOINTS ("198.51.100.130:51820,[2001:db8::2]:51821", any order).
 * With WG_TEST_FOREIGN_IFNAME: a TUN device of ours whose name matches
 * another namespace's wireguard-go socket is not taken for WireGuard (given
 * alone, only this is checked: the driver runs it in a second namespace).
 *
 * The kernel module is not on every test machine, so its parser is fed dump
 * messages laid out as drivers/net/wireguard/netlink.c writes them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "test.h"
#include "wireguard.h"

#define MAX_EPS 64

TEST_STATE_DEFINE;

static const char *ep_str(const struct wg_endpoint *ep, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(ep->family, ep->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?family %d", ep->family);
	snprintf(buf, len, ep->family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, ep->port);
	return buf;
}

/* The test's own reading of "IP:PORT,[IPv6]:PORT,...", independent of the library's. */
static int parse_expected(const char *list, struct wg_endpoint *out, int max)
{
	char *copy, *tok, *save, *host, *port, *end;
	unsigned long p;
	int n = 0;

	copy = strdup(list);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct wg_endpoint *ep = &out[n];

		if (n == max)
			goto bad;
		memset(ep, 0, sizeof(*ep));
		if (tok[0] == '[') {
			host = tok + 1;
			end = strchr(host, ']');
			if (!end || end[1] != ':')
				goto bad;
			*end = '\0';
			port = end + 2;
			ep->family = AF_INET6;
		} else {
			host = tok;
			end = strrchr(host, ':');
			if (!end)
				goto bad;
			*end = '\0';
			port = end + 1;
			ep->family = AF_INET;
		}
		if (inet_pton(ep->family, host, ep->addr) != 1)
			goto bad;
		p = strtoul(port, &end, 10);
		if (!*port || *end || p > 65535)
			goto bad;
		ep->port = p;
		n++;
	}
	free(copy);
	return n;
bad:
	free(copy);
	return -EINVAL;
}

static bool ep_equal(const struct wg_endpoint *a, const struct wg_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

/* Every expected endpoint matched by a distinct one we got, and no more. */
static bool assert_eps_eq(const struct wg_endpoint *got, int ngot,
			  const struct wg_endpoint *want, int nwant)
{
	bool used[MAX_EPS] = {};
	char buf[64];
	bool ok = true;
	int i, j;

	for (i = 0; i < nwant; i++) {
		for (j = 0; j < ngot; j++) {
			if (!used[j] && ep_equal(&got[j], &want[i])) {
				used[j] = true;
				break;
			}
		}
		if (j == ngot)
			ok = TEST_FAIL_("endpoint %s expected, not reported",
					ep_str(&want[i], buf, sizeof(buf)));
	}
	for (j = 0; j < ngot; j++) {
		if (!used[j])
			ok = TEST_FAIL_("endpoint %s reported, not expected",
					ep_str(&got[j], buf, sizeof(buf)));
	}
	return ok;
}

/* A dump message under construction, the way the kernel's nla_put() fills an skb. */
struct msg {
	union {
		struct nlmsghdr nlh;
		char buf[2048];
	};
};

static struct nlattr *put(struct msg *m, __u16 type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + NLMSG_ALIGN(m->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + a->nla_len, 0, NLA_ALIGN(a->nla_len) - a->nla_len);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

/* nla_nest_start() marks nests with NLA_F_NESTED; nla_nest_end() sets the length. */
static struct nlattr *nest(struct msg *m, __u16 type)
{
	return put(m, type | NLA_F_NESTED, NULL, 0);
}

static void nest_end(struct msg *m, struct nlattr *a)
{
	a->nla_len = m->buf + m->nlh.nlmsg_len - (char *)a;
}

static void msg_init(struct msg *m)
{
	struct genlmsghdr g = { .cmd = WG_CMD_GET_DEVICE, .version = WG_GENL_VERSION };

	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nlh.nlmsg_type = 0x20;
	m->nlh.nlmsg_flags = NLM_F_MULTI;
	memcpy(NLMSG_DATA(&m->nlh), &g, sizeof(g));
}

/* A peer's first part: everything get_peer() sends, endpoint if sa given. */
static void put_peer(struct msg *m, __u8 key, const void *sa, size_t salen)
{
	__u8 pubkey[WG_KEY_LEN], psk[WG_KEY_LEN] = {};
	__u8 handshake[16] = {}, cidr = 32;
	__u64 bytes = 0;
	__u32 version = 1, ip = htonl(0x0aff0001);
	__u16 keepalive = 0, family = AF_INET;
	struct nlattr *peer, *aips, *aip;

	memset(pubkey, key, sizeof(pubkey));
	peer = nest(m, 0);
	put(m, WGPEER_A_PUBLIC_KEY, pubkey, sizeof(pubkey));
	put(m, WGPEER_A_PRESHARED_KEY, psk, sizeof(psk));
	put(m, WGPEER_A_LAST_HANDSHAKE_TIME, handshake, sizeof(handshake));
	put(m, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, &keepalive, sizeof(keepalive));
	/* nla_put_u64_64bit() pads with WGPEER_A_UNSPEC where alignment needs it. */
	put(m, WGPEER_A_UNSPEC, NULL, 0);
	put(m, WGPEER_A_TX_BYTES, &bytes, sizeof(bytes));
	put(m, WGPEER_A_RX_BYTES, &bytes, sizeof(bytes));
	put(m, WGPEER_A_PROTOCOL_VERSION, &version, sizeof(version));
	if (sa)
		put(m, WGPEER_A_ENDPOINT, sa, salen);
	aips = nest(m, WGPEER_A_ALLOWEDIPS);
	aip = nest(m, 0);
	put(m, WGALLOWEDIP_A_CIDR_MASK, &cidr, sizeof(cidr));
	put(m, WGALLOWEDIP_A_FAMILY, &family, sizeof(family));
	put(m, WGALLOWEDIP_A_IPADDR, &ip, sizeof(ip));
	nest_end(m, aip);
	nest_end(m, aips);
	nest_end(m, peer);
}

static void test_wireguard_genl_parse(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(51820) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(51821) };
	struct sockaddr_in6 mapped = { .sin6_family = AF_INET6, .sin6_port = htons(51822) };
	struct wg_endpoint got[MAX_EPS], want[MAX_EPS];
	__u8 key[WG_KEY_LEN] = {}, bad[8] = {};
	struct nlattr *peers, *peer;
	__u32 ifindex = 7, fwmark = 0;
	__u16 port = 51820;
	struct msg m;
	int count = 0, nwant;

	test__start_subtest("wireguard_genl_parse");
	inet_pton(AF_INET, "198.51.100.130", &sin.sin_addr);
	inet_pton(AF_INET6, "2001:db8::2", &sin6.sin6_addr);
	inet_pton(AF_INET6, "::ffff:198.51.100.131", &mapped.sin6_addr);
	nwant = parse_expected("198.51.100.130:51820,[2001:db8::2]:51821,198.51.100.131:51822",
			       want, MAX_EPS);

	/* First message: the device, then peers until the skb is full. */
	msg_init(&m);
	put(&m, WGDEVICE_A_LISTEN_PORT, &port, sizeof(port));
	put(&m, WGDEVICE_A_FWMARK, &fwmark, sizeof(fwmark));
	put(&m, WGDEVICE_A_IFINDEX, &ifindex, sizeof(ifindex));
	put(&m, WGDEVICE_A_IFNAME, "wg0", 4);
	put(&m, WGDEVICE_A_PRIVATE_KEY, key, sizeof(key));
	put(&m, WGDEVICE_A_PUBLIC_KEY, key, sizeof(key));
	peers = nest(&m, WGDEVICE_A_PEERS);
	put_peer(&m, 1, &sin, sizeof(sin));
	put_peer(&m, 2, NULL, 0);	/* no endpoint: the kernel leaves it out */
	put_peer(&m, 3, &sin6, sizeof(sin6));
	nest_end(&m, peers);
	ASSERT_OK(wg_genl_parse_device(&m.nlh, got, MAX_EPS, &count), "first message");

	/*
	 * Next message: peer 3 continued (public key and allowed IPs only,
	 * so no second endpoint), then peer 4.
	 */
	msg_init(&m);
	put(&m, WGDEVICE_A_IFINDEX, &ifindex, sizeof(ifindex));
	put(&m, WGDEVICE_A_IFNAME, "wg0", 4);
	peers = nest(&m, WGDEVICE_A_PEERS);
	peer = nest(&m, 0);
	memset(key, 3, sizeof(key));
	put(&m, WGPEER_A_PUBLIC_KEY, key, sizeof(key));
	nest_end(&m, nest(&m, WGPEER_A_ALLOWEDIPS));
	nest_end(&m, peer);
	put_peer(&m, 4, &mapped, sizeof(mapped));
	nest_end(&m, peers);
	ASSERT_OK(wg_genl_parse_device(&m.nlh, got, MAX_EPS, &count), "second message");

	if (ASSERT_EQ(count, nwant, "endpoints over both messages"))
		assert_eps_eq(got, count, want, nwant);

	/* Counting goes on past max, so the caller can tell it fell short. */
	count = 0;
	ASSERT_OK(wg_genl_parse_device(&m.nlh, NULL, 0, &count), "count only");
	ASSERT_EQ(count, 1, "endpoints counted with max 0");

	/* An endpoint too short for its family is an error, not a skipped peer. */
	msg_init(&m);
	peers = nest(&m, WGDEVICE_A_PEERS);
	memcpy(bad, &sin, sizeof(bad));
	put_peer(&m, 5, bad, sizeof(bad));
	nest_end(&m, peers);
	count = 0;
	ASSERT_EQ(wg_genl_parse_device(&m.nlh, got, MAX_EPS, &count), -EPROTO,
		  "short sockaddr_in");
	test__end_subtest();
}

static void test_not_wireguard(void)
{
	struct wg_endpoint eps[MAX_EPS];

	test__start_subtest("wireguard_lo");
	ASSERT_EQ(wg_is_wireguard("lo"), 0, "wg_is_wireguard(lo)");
	ASSERT_EQ(wg_get_endpoints("lo", eps, MAX_EPS), -EOPNOTSUPP, "wg_get_endpoints(lo)");
	test__end_subtest();

	test__start_subtest("wireguard_nodev");
	ASSERT_EQ(wg_is_wireguard("brnodev0"), -ENODEV, "wg_is_wireguard(brnodev0)");
	ASSERT_EQ(wg_get_endpoints("brnodev0", eps, MAX_EPS), -ENODEV,
		  "wg_get_endpoints(brnodev0)");
	test__end_subtest();

	test__start_subtest("wireguard_einval");
	ASSERT_EQ(wg_is_wireguard(NULL), -EINVAL, "wg_is_wireguard(NULL)");
	ASSERT_EQ(wg_is_wireguard(""), -EINVAL, "wg_is_wireguard(\"\")");
	ASSERT_EQ(wg_is_wireguard("sixteen-chars-xx"), -EINVAL, "16-character name");
	ASSERT_EQ(wg_is_wireguard("../lo"), -EINVAL, "name with a slash");
	ASSERT_EQ(wg_get_endpoints("lo", eps, -1), -EINVAL, "negative max");
	ASSERT_EQ(wg_get_endpoints("lo", NULL, 1), -EINVAL, "NULL out with max 1");
	test__end_subtest();
}

static void test_device(const char *ifname, const char *list)
{
	struct wg_endpoint got[MAX_EPS], want[MAX_EPS];
	int ngot, nwant;

	test__start_subtest("wireguard_is_wireguard");
	ASSERT_EQ(wg_is_wireguard(ifname), 1, "wg_is_wireguard(WG_TEST_IFNAME)");
	test__end_subtest();

	test__start_subtest("wireguard_endpoints");
	nwant = parse_expected(list, want, MAX_EPS);
	if (!ASSERT_TRUE(nwant >= 0, "WG_TEST_ENDPOINTS parses"))
		goto out;
	ngot = wg_get_endpoints(ifname, got, MAX_EPS);
	if (!ASSERT_EQ(ngot, nwant, "endpoint count"))
		ngot = ngot < 0 ? 0 : ngot;
	assert_eps_eq(got, ngot, want, nwant);
	test__end_subtest();

	test__start_subtest("wireguard_endpoints_nospace");
	if (nwant == 0) {
		test__skip("no endpoints expected");
		return;
	}
	ASSERT_EQ(wg_get_endpoints(ifname, got, nwant - 1), -ENOSPC, "one slot short");
	ASSERT_EQ(wg_get_endpoints(ifname, NULL, 0), -ENOSPC, "no slots");
out:
	test__end_subtest();
}

static void test_wireguard_foreign_socket(const char *ifname)
{
	struct wg_endpoint eps[MAX_EPS];

	test__start_subtest("wireguard_foreign_socket");
	ASSERT_EQ(wg_is_wireguard(ifname), 0, "wg_is_wireguard(WG_TEST_FOREIGN_IFNAME)");
	ASSERT_EQ(wg_get_endpoints(ifname, eps, MAX_EPS), -EOPNOTSUPP,
		  "wg_get_endpoints(WG_TEST_FOREIGN_IFNAME)");
	test__end_subtest();
}

int main(int argc, char **argv)
{
	const char *ifname = getenv("WG_TEST_IFNAME");
	const char *foreign = getenv("WG_TEST_FOREIGN_IFNAME");

	test__init(argc, argv);

	/* The driver's second run, in another namespace: only what differs there. */
	if (foreign && !ifname) {
		RUN_TEST(test_wireguard_foreign_socket, foreign);
		return test__exit_status();
	}

	RUN_TEST(test_not_wireguard);
	RUN_TEST(test_wireguard_genl_parse);
	if (ifname) {
		RUN_TEST(test_device, ifname, getenv("WG_TEST_ENDPOINTS") ? : "");
	} else if (test__selected("wireguard_endpoints")) {
		test__start_subtest("wireguard_endpoints");
		test__skip("WG_TEST_IFNAME not set (selftests/test_wireguard.sh sets it)");
	}
	if (foreign)
		RUN_TEST(test_wireguard_foreign_socket, foreign);

	return test__exit_status();
}
