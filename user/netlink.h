/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One netlink request and its answer, for the rtnetlink, sock_diag and
 * generic netlink questions the WireGuard endpoint reader asks the kernel.
 * Functions return negative errno.
 */
#ifndef BPFROUTE_NETLINK_H
#define BPFROUTE_NETLINK_H

#include <stdbool.h>
#include <linux/netlink.h>

/*
 * Open a netlink socket of this protocol. A receive waits at most timeout_ms,
 * so that a stuck kernel side cannot hang us.
 */
int nl_open(int protocol, int timeout_ms);

/*
 * Send req (nlmsg_len bytes) to the kernel and pass each message answering it
 * (req's nlmsg_seq) to cb, except NLMSG_ERROR and NLMSG_DONE, which end the
 * exchange. cb returns 0 for the next message, a positive value to stop with
 * it, or a negative errno to fail with it. Only a dump ends with NLMSG_DONE:
 * for other requests, cb must stop at the answer it wanted.
 *
 * Returns cb's positive value; 0 at NLMSG_DONE, or -EINTR if the kernel
 * flagged the dump NLM_F_DUMP_INTR (objects changed meanwhile and may be
 * missing or repeated: dump again); the error NLMSG_ERROR or NLMSG_DONE
 * carries (an acknowledgement, error 0, is -EPROTO: do not set NLM_F_ACK);
 * -ETIMEDOUT if the kernel is silent for the socket's timeout; other
 * negative errno.
 */
int nl_transact(int fd, const struct nlmsghdr *req,
		int (*cb)(const struct nlmsghdr *nlh, void *ctx), void *ctx);

/* Send len bytes of messages to the kernel. */
int nl_send(int fd, const void *req, size_t len);

/*
 * Receive into buf (len bytes) the next datagram the kernel sent us and
 * return its length; -ETIMEDOUT after the socket's timeout (or at once on a
 * non-blocking socket with nothing to read), -EMSGSIZE if it did not fit,
 * -ENOBUFS if the socket lost messages (a multicast group's overflow).
 */
int nl_recv(int fd, void *buf, size_t len);

/*
 * Is there a whole message at nlh in the len bytes left of a datagram? For
 * walks with NLMSG_NEXT(), in place of NLMSG_OK() (see netlink.c).
 */
bool nl_msg_ok(const struct nlmsghdr *nlh, int len);

#endif /* BPFROUTE_NETLINK_H */
