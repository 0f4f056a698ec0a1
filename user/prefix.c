/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* IPv4/IPv6 prefixes as the command line and the config file spell them. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "prefix.h"

static __u32 family_bits(int family)
{
	return family == AF_INET6 ? 128 : 32;
}

/*
 * The length is 1 to 3 decimal digits without a sign or leading zeros. The
 * zeros are refused because iproute2 reads a length with strtoul(..., 0)
 * (get_prefix_1() -> get_netmask(..., 0)), so `ip route` takes "/010" as
 * octal 8 and refuses "/08": we would rather refuse both than disagree.
 */
static int parse_len(const char *s, __u32 max, __u32 *len)
{
	size_t n = strlen(s);
	__u32 v = 0;
	size_t i;

	if (n < 1 || n > 3 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (__u32)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*len = v;
	return 0;
}

int prefix_parse(const char *text, struct prefix *p, const char **why)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash;
	struct prefix tmp;
	const char *unused;
	size_t alen;
	__u32 i;

	if (!why)
		why = &unused;
	memset(&tmp, 0, sizeof(tmp));
	slash = strchr(text, '/');
	alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen >= sizeof(addr)) {
		*why = "bad address";
		return -EINVAL;
	}
	memcpy(addr, text, alen);
	addr[alen] = '\0';

	/* inet_pton(AF_INET) takes only the dotted quad, not "10.1" or "010.0.0.1". */
	tmp.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(tmp.family, addr, tmp.addr) != 1) {
		*why = "bad address";
		return -EINVAL;
	}

	tmp.len = family_bits(tmp.family);
	if (slash && parse_len(slash + 1, tmp.len, &tmp.len)) {
		*why = "bad prefix length";
		return -EINVAL;
	}

	/*
	 * `ip route add 203.0.113.5/24` fails with "Invalid prefix for given
	 * prefix length": a typo in either half should not silently become a
	 * wider or narrower route than the operator meant.
	 */
	for (i = tmp.len; i < family_bits(tmp.family); i++) {
		if (tmp.addr[i / 8] & (0x80 >> (i % 8))) {
			*why = "host bits set";
			return -EINVAL;
		}
	}

	*p = tmp;
	return 0;
}

char *prefix_format(const struct prefix *p, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	if (!size)
		return buf;
	if (!inet_ntop(p->family, p->addr, addr, sizeof(addr)))
		snprintf(buf, size, "?/%u", p->len);
	else
		snprintf(buf, size, "%s/%u", addr, p->len);
	return buf;
}

bool prefix_contains(const struct prefix *p, const __u8 *addr)
{
	__u32 len = p->len, bytes, bits;

	/* Never read past the family's address, whatever len says. */
	if (len > family_bits(p->family))
		len = family_bits(p->family);
	bytes = len / 8;
	bits = len % 8;
	if (memcmp(p->addr, addr, bytes))
		return false;
	if (bits) {
		__u8 mask = (__u8)(0xff << (8 - bits));

		if ((p->addr[bytes] ^ addr[bytes]) & mask)
			return false;
	}
	return true;
}
