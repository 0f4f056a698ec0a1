/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The netlink request/response loop, shared by every netlink question we ask. */
#include <errno.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "netlink.h"

/* Room for any netlink datagram: the kernel caps dump skbs near 32 KiB. */
#define NL_BUFSIZE 32768

int nl_open(int protocol, int timeout_ms)
{
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int nl_send(int fd, const void *req, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	do {
		n = sendto(fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int nl_recv(int fd, void *buf, size_t len)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	for (;;) {
		msg.msg_namelen = sizeof(from);
		n = recvmsg(fd, &msg, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		if (msg.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		/* Any local process may send to our port; only the kernel speaks for it. */
		if (from.nl_pid != 0)
			continue;
		return (int)n;
	}
}

/*
 * NLMSG_OK() compares the unsigned nlmsg_len with an int, which clang's
 * -Wsign-compare refuses; the int must stay signed so that NLMSG_NEXT() past
 * an unaligned last message ends the loop instead of wrapping around.
 */
bool nl_msg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)len;
}

/* An NLMSG_ERROR's code; 0 would be an acknowledgement, which we never ask for. */
static int nlmsg_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) || e->error >= 0)
		return -EPROTO;
	return e->error;
}

int nl_transact(int fd, const struct nlmsghdr *req,
		int (*cb)(const struct nlmsghdr *nlh, void *ctx), void *ctx)
{
	const struct nlmsghdr *nlh;
	bool intr = false;
	char *buf;
	int n, err;

	buf = malloc(NL_BUFSIZE);
	if (!buf)
		return -ENOMEM;
	err = nl_send(fd, req, req->nlmsg_len);
	if (err)
		goto cleanup;

	for (;;) {
		n = nl_recv(fd, buf, NL_BUFSIZE);
		if (n < 0) {
			err = n;
			goto cleanup;
		}
		for (nlh = (struct nlmsghdr *)buf; nl_msg_ok(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq)
				continue;
			/* The kernel may flag any part of the dump, NLMSG_DONE included. */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = nlmsg_error(nlh);
				goto cleanup;
			}
			/* NLMSG_DONE carries the dump's error code (netlink_dump()). */
			if (nlh->nlmsg_type == NLMSG_DONE) {
				err = intr ? -EINTR : 0;
				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) &&
				    *(const int *)NLMSG_DATA(nlh) < 0)
					err = *(const int *)NLMSG_DATA(nlh);
				goto cleanup;
			}
			err = cb(nlh, ctx);
			if (err)
				goto cleanup;
		}
	}

cleanup:
	free(buf);
	return err;
}
