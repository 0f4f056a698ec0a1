/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Which WireGuard source answers for a device, decided by its rtnetlink link
 * kind, and the netlink plumbing shared with wireguard_genl.c.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "wireguard.h"

#define LINK_KIND_MAX 32

static const __u8 v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

void wg_endpoint_set(struct wg_endpoint *ep, int family, const void *addr, __u16 port)
{
	memset(ep, 0, sizeof(*ep));
	ep->port = port;
	/*
	 * A dual-stack UDP socket sends to ::ffff:a.b.c.d as IPv4, so that is
	 * the destination the datapath must recognise.
	 */
	if (family == AF_INET6 && !memcmp(addr, v4mapped_prefix, sizeof(v4mapped_prefix))) {
		ep->family = AF_INET;
		memcpy(ep->addr, (const __u8 *)addr + sizeof(v4mapped_prefix), 4);
		return;
	}
	ep->family = family;
	memcpy(ep->addr, addr, family == AF_INET ? 4 : 16);
}

int wg_nl_open(int protocol)
{
	struct timeval tv = {
		.tv_sec = WG_IO_TIMEOUT_MS / 1000,
		.tv_usec = (WG_IO_TIMEOUT_MS % 1000) * 1000,
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

int wg_nl_send(int fd, const void *req, size_t len)
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

int wg_nl_recv(int fd, void *buf, size_t len)
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

/* Copy a string attribute, which need not be NUL-terminated in the message. */
static void rta_strcpy(char *dst, size_t dstlen, const struct rtattr *rta)
{
	size_t n = RTA_PAYLOAD(rta);
	const char *s = RTA_DATA(rta);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void parse_linkinfo(const struct rtattr *linkinfo, char *kind, size_t kindlen)
{
	const struct rtattr *rta = RTA_DATA(linkinfo);
	int rem = RTA_PAYLOAD(linkinfo);

	for (; RTA_OK(rta, rem); rta = RTA_NEXT(rta, rem)) {
		if ((rta->rta_type & NLA_TYPE_MASK) == IFLA_INFO_KIND)
			rta_strcpy(kind, kindlen, rta);
	}
}

/*
 * Ask rtnetlink, in our network namespace, for IFNAME's index and link kind
 * ("" for devices without one, such as lo or a physical NIC). Asking by name
 * in one request means the index and the kind belong to the same device.
 */
static int link_kind(const char *ifname, char *kind, size_t kindlen, int *ifindex)
{
	struct {
		struct nlmsghdr nlh;
		struct ifinfomsg ifi;
		char attrs[RTA_SPACE(IF_NAMESIZE)];
	} req;
	size_t namelen = strlen(ifname) + 1;
	const __u32 seq = 1;
	struct rtattr *rta;
	struct nlmsghdr *nlh;
	char *buf = NULL;
	int fd, n, rem, err;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_type = RTM_GETLINK;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = seq;
	req.ifi.ifi_family = AF_UNSPEC;
	rta = (struct rtattr *)req.attrs;
	rta->rta_type = IFLA_IFNAME;
	rta->rta_len = RTA_LENGTH(namelen);
	memcpy(RTA_DATA(rta), ifname, namelen);
	req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi)) + RTA_ALIGN(rta->rta_len);

	fd = wg_nl_open(NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	buf = malloc(WG_NL_BUFSIZE);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = wg_nl_send(fd, &req, req.nlh.nlmsg_len);
	if (err)
		goto cleanup;

	for (;;) {
		n = wg_nl_recv(fd, buf, WG_NL_BUFSIZE);
		if (n < 0) {
			err = n;
			goto cleanup;
		}
		for (nlh = (struct nlmsghdr *)buf; wg_nlmsg_ok(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			const struct ifinfomsg *ifi = NLMSG_DATA(nlh);

			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				err = -EPROTO;
				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error < 0)
					err = e->error;
				goto cleanup;
			}
			if (nlh->nlmsg_type != RTM_NEWLINK ||
			    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
				continue;

			*ifindex = ifi->ifi_index;
			kind[0] = '\0';
			rta = IFLA_RTA(ifi);
			rem = IFLA_PAYLOAD(nlh);
			for (; RTA_OK(rta, rem); rta = RTA_NEXT(rta, rem)) {
				if ((rta->rta_type & NLA_TYPE_MASK) == IFLA_LINKINFO)
					parse_linkinfo(rta, kind, kindlen);
			}
			err = 0;
			goto cleanup;
		}
	}

cleanup:
	free(buf);
	close(fd);
	return err;
}

static int check_ifname(const char *ifname)
{
	size_t len;

	if (!ifname)
		return -EINVAL;
	len = strnlen(ifname, IF_NAMESIZE);
	/* No '/': the name becomes part of the UAPI socket's path. */
	if (len == 0 || len >= IF_NAMESIZE || strchr(ifname, '/'))
		return -EINVAL;
	return 0;
}

int wg_is_wireguard(const char *ifname)
{
	char kind[LINK_KIND_MAX];
	int ifindex, err;

	err = check_ifname(ifname);
	if (err)
		return err;
	err = link_kind(ifname, kind, sizeof(kind), &ifindex);
	if (err)
		return err;
	if (!strcmp(kind, "wireguard"))
		return 1;
	/* Only a TUN device of our namespace may be served by a UAPI daemon. */
	if (strcmp(kind, "tun"))
		return 0;
	err = wg_uapi_get_endpoints(ifname, NULL, 0);
	if (err == -ENOENT)
		return 0;
	return err < 0 ? err : 1;
}

int wg_get_endpoints(const char *ifname, struct wg_endpoint *out, int max)
{
	char kind[LINK_KIND_MAX];
	int ifindex, ret;

	ret = check_ifname(ifname);
	if (ret)
		return ret;
	if (max < 0 || (max > 0 && !out))
		return -EINVAL;
	ret = link_kind(ifname, kind, sizeof(kind), &ifindex);
	if (ret)
		return ret;

	if (!strcmp(kind, "wireguard")) {
		ret = wg_genl_get_endpoints(ifindex, out, max);
	} else if (!strcmp(kind, "tun")) {
		ret = wg_uapi_get_endpoints(ifname, out, max);
		if (ret == -ENOENT)
			ret = -EOPNOTSUPP;
	} else {
		ret = -EOPNOTSUPP;
	}
	if (ret > max)
		ret = -ENOSPC;
	return ret;
}
