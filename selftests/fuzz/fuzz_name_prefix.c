// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer harness: DNS names between text and wire form (user/dnsname.c)
 * and prefixes as the command line and the config file spell them
 * (user/prefix.c). The first byte picks the size of the output buffers,
 * which are allocated exactly that large so that ASan sees one byte too
 * many; the rest is the text, or the wire name.
 *
 * Checked besides memory errors and undefined behaviour: a wire name
 * written is well formed (labels of 1..63 bytes ending in the root, 255
 * bytes at most, within the buffer, lower case); a text written is
 * NUL-terminated within its buffer; a prefix parsed has no host bits,
 * contains its own address, and reads back the same from its formatted text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dnsname.h"
#include "prefix.h"

#define TEXT_MAX 1024	/* longer texts add nothing but time */

static void check_wire(const __u8 *wire, int n, size_t size)
{
	int i = 0;

	if (n <= 0 || (size_t)n > size || n > 255)
		abort();
	while (wire[i]) {
		if (wire[i] > 63 || i + 1 + wire[i] >= n)
			abort();
		for (int j = i + 1; j <= i + wire[i]; j++)
			if (wire[j] >= 'A' && wire[j] <= 'Z')
				abort();
		i += 1 + wire[i];
	}
	if (i != n - 1)
		abort();
}

static void names(const char *text, const __u8 *raw, size_t rawlen, size_t size)
{
	/* malloc(0) too: ASan reports any access to it. */
	__u8 *wire = malloc(size);
	char *out = malloc(size);
	int n;

	if (!wire || !out)
		abort();
	n = dnsname_to_wire(text, wire, size);
	if (n >= 0) {
		check_wire(wire, n, size);
		/* What dnsname_to_wire() writes, dnsname_to_text() reads. */
		if (dnsname_to_text(wire, (size_t)n, out, size) == 0 && !memchr(out, 0, size))
			abort();
	}
	/* Any bytes as a wire name, as they come from a map. */
	if (dnsname_to_text(raw, rawlen, out, size) == 0 && !memchr(out, 0, size))
		abort();
	free(wire);
	free(out);
}

static void prefixes(const char *text, size_t size)
{
	char *buf = malloc(size);
	char full[PREFIX_STRLEN];
	struct prefix p, q;
	const char *why = NULL;
	__u32 bits;

	if (!buf)
		abort();
	if (prefix_parse(text, &p, &why)) {
		if (!why)
			abort();
		free(buf);
		return;
	}
	bits = p.family == AF_INET ? 32 : 128;
	if ((p.family != AF_INET && p.family != AF_INET6) || p.len > bits)
		abort();
	if (!prefix_contains(&p, p.addr))
		abort();
	for (__u32 i = p.len; i < bits; i++)
		if (p.addr[i / 8] & (0x80 >> (i % 8)))
			abort();
	prefix_format(&p, full, sizeof(full));
	if (prefix_parse(full, &q, NULL) || q.family != p.family || q.len != p.len ||
	    memcmp(q.addr, p.addr, sizeof(q.addr)))
		abort();
	/* A short buffer gets a cut text, never an overflow. */
	prefix_format(&p, buf, size);
	if (size && !memchr(buf, 0, size))
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t bufsize, len;
	char *text;

	if (size < 1 || size > TEXT_MAX)
		return 0;
	bufsize = data[0];
	len = size - 1;
	text = malloc(len + 1);
	if (!text)
		abort();
	memcpy(text, data + 1, len);
	text[len] = '\0';	/* a NUL inside ends the text early, as in C */
	names(text, data + 1, len, bufsize);
	prefixes(text, bufsize);
	free(text);
	return 0;
}
