/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Which WireGuard source answers for a device, decided by its rtnetlink link
 * kind.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink.h"
#include "wireguard.h"

#define LINK_KIND_MAX 32

struct link {
	int ifindex;
	char kind[LINK_KIND_MAX];	/* IFLA_INFO_KIND, "" if none */
};

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

/* The RTM_NEWLINK answering our RTM_GETLINK. */
static int link_cb(const struct nlmsghdr *nlh, void *ctx)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nlh);
	struct link *link = ctx;
	const struct rtattr *rta;
	int rem;

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;

	link->ifindex = ifi->ifi_index;
	link->kind[0] = '\0';
	rta = IFLA_RTA(ifi);
	rem = IFLA_PAYLOAD(nlh);
	for (; RTA_OK(rta, rem); rta = RTA_NEXT(rta, rem)) {
		if ((rta->rta_type & NLA_TYPE_MASK) == IFLA_LINKINFO)
			parse_linkinfo(rta, link->kind, sizeof(link->kind));
	}
	return 1;
}

/*
 * Ask rtnetlink, in our network namespace, for IFNAME's index and link kind
 * ("" for devices without one, such as lo or a physical NIC). Asking by name
 * in one request means the index and the kind belong to the same device.
 */
static int link_kind(const char *ifname, struct link *link)
{
	struct {
		struct nlmsghdr nlh;
		struct ifinfomsg ifi;
		char attrs[RTA_SPACE(IF_NAMESIZE)];
	} req;
	size_t namelen = strlen(ifname) + 1;
	struct rtattr *rta;
	int fd, err;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_type = RTM_GETLINK;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	rta = (struct rtattr *)req.attrs;
	rta->rta_type = IFLA_IFNAME;
	rta->rta_len = RTA_LENGTH(namelen);
	memcpy(RTA_DATA(rta), ifname, namelen);
	req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi)) + RTA_ALIGN(rta->rta_len);

	fd = nl_open(NETLINK_ROUTE, WG_IO_TIMEOUT_MS);
	if (fd < 0)
		return fd;
	err = nl_transact(fd, &req.nlh, link_cb, link);
	close(fd);
	if (err < 0)
		return err;
	/* 0 is NLMSG_DONE, which never answers a request without NLM_F_DUMP. */
	return err ? 0 : -EPROTO;
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
	struct link link;
	int err;

	err = check_ifname(ifname);
	if (err)
		return err;
	err = link_kind(ifname, &link);
	if (err)
		return err;
	if (!strcmp(link.kind, "wireguard"))
		return 1;
	/* Only a TUN device of our namespace may be served by a UAPI daemon. */
	if (strcmp(link.kind, "tun"))
		return 0;
	err = wg_uapi_get_endpoints(ifname, NULL, 0);
	if (err == -ENOENT)
		return 0;
	return err < 0 ? err : 1;
}

int wg_get_endpoints(const char *ifname, struct wg_endpoint *out, int max)
{
	struct link link;
	int ret;

	ret = check_ifname(ifname);
	if (ret)
		return ret;
	if (max < 0 || (max > 0 && !out))
		return -EINVAL;
	ret = link_kind(ifname, &link);
	if (ret)
		return ret;

	if (!strcmp(link.kind, "wireguard")) {
		ret = wg_genl_get_endpoints(link.ifindex, out, max);
	} else if (!strcmp(link.kind, "tun")) {
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
