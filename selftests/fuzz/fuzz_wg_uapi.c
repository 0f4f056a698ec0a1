// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer harness: the reader of a userspace WireGuard daemon's reply to
 * "get=1" (wg_uapi_read_reply(), user/wireguard_uapi.c). The bytes come
 * through a socketpair, as from wireguard-go's UAPI socket, and the writing
 * end is closed after them: the reader sees the reply, then EOF. The first
 * byte is how many endpoints the caller has room for (0..7); out is
 * allocated exactly that large, so that ASan sees a write past it.
 *
 * Checked besides memory errors and undefined behaviour: the result is a
 * count or a negative errno, and every endpoint stored is IPv4 or IPv6.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wireguard.h"

/* Well under a unix socket's send buffer: the write never blocks. */
#define REPLY_MAX 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_endpoint *out;
	int sv[2], max, ret;

	if (size < 1 || size > REPLY_MAX)
		return 0;
	max = data[0] & 7;
	out = malloc(max ? (size_t)max * sizeof(*out) : 1);
	if (!out || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	if (size > 1 && write(sv[1], data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	close(sv[1]);

	ret = wg_uapi_read_reply(sv[0], out, max);
	if (ret < -4095)
		abort();
	for (int i = 0; i < ret && i < max; i++)
		if (out[i].family != AF_INET && out[i].family != AF_INET6)
			abort();
	close(sv[0]);
	free(out);
	return 0;
}
