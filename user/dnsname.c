// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dnsname.h"
#include "bpfroute_name_hash.h"

int dnsname_to_wire(const char *text, __u8 *wire, size_t size)
{
	size_t out = 0;
	const char *p = text;

	if (!strcmp(text, ".")) {
		if (size < 1)
			return -EINVAL;
		wire[0] = 0;
		return 1;
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (len == 0 || len > 63 || out + 1 + len + 1 > size || out + 1 + len + 1 > 255)
			return -EINVAL;
		wire[out++] = (__u8)len;
		for (size_t i = 0; i < len; i++)
			wire[out++] = (__u8)tolower((unsigned char)p[i]);
		if (!dot)
			break;
		p = dot + 1;	/* a trailing dot ends the loop on "" */
	}
	/* "" is the root too: its one byte must fit as well. */
	if (out >= size)
		return -EINVAL;
	wire[out++] = 0;
	return (int)out;
}

/*
 * One byte of a label as dig prints it (RFC 1035 5.1, RFC 4343 2.1): a
 * character with a meaning in zone files behind a backslash, anything that is
 * not printable ASCII as \DDD. Names come from the network: printed raw, a
 * label with a newline or ESC forges lines and drives the terminal.
 */
static size_t text_byte(__u8 c, char *out)
{
	if (c <= ' ' || c >= 0x7f)
		return (size_t)sprintf(out, "\\%03u", c);
	if (strchr(".\\\"();@$", c)) {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	out[0] = (char)c;
	return 1;
}

int dnsname_to_text(const __u8 *wire, size_t len, char *text, size_t size)
{
	size_t in = 0, out = 0;
	char esc[5];

	while (in < len && wire[in]) {
		size_t l = wire[in];

		if (l > 63 || in + 1 + l >= len)
			return -EINVAL;
		if (out) {
			if (out + 1 >= size)
				return -EINVAL;
			text[out++] = '.';
		}
		for (size_t i = 0; i < l; i++) {
			size_t n = text_byte(wire[in + 1 + i], esc);

			if (out + n >= size)
				return -EINVAL;
			memcpy(text + out, esc, n);
			out += n;
		}
		in += 1 + l;
	}
	if (in >= len || size < 2)
		return -EINVAL;
	if (!out)
		text[out++] = '.';
	text[out] = '\0';
	return 0;
}

__u64 dnsname_hash(const struct bpfroute_conf *conf, const __u8 *wire, size_t len)
{
	__u64 h = name_hash_init(conf);

	for (size_t i = 0; i < len; i++)
		h = name_hash_byte(h, wire[i]);
	return name_hash_final(conf, h);
}

__u64 dnsname_rule_hash(const struct bpfroute_conf *conf, const __u8 *wire, size_t len)
{
	__u64 h = name_hash_init(conf);

	for (size_t i = len; i > 0; i--)
		h = name_hash_byte(h, wire[i - 1]);
	return name_hash_final(conf, h);
}
