/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Endpoints from the kernel's WireGuard through generic netlink, following
 * include/uapi/linux/wireguard.h and drivers/net/wireguard/netlink.c:
 * WG_CMD_GET_DEVICE is dump-only and answers with a series of NLM_F_MULTI
 * messages ended by NLMSG_DONE, which carries the dump's error code. Peers
 * that do not fit are continued in the next message, and a peer whose
 * allowed IPs do not fit is repeated with only its public key and allowed
 * IPs; WGPEER_A_ENDPOINT comes only in a peer's first part, so counting
 * endpoint attributes counts each peer once.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink.h"
#include "wireguard.h"

/* Tries when peers change during the dump (NLM_F_DUMP_INTR), as wg does. */
#ifndef WG_DUMP_TRIES
#define WG_DUMP_TRIES 5
#endif

#define nla_ok(a, rem)                                                          \
	((rem) >= (int)sizeof(struct nlattr) && (a)->nla_len >= sizeof(struct nlattr) && \
	 (a)->nla_len <= (rem))
#define nla_next(a, rem)                                                        \
	((rem) -= NLA_ALIGN((a)->nla_len),                                      \
	 (const struct nlattr *)((const char *)(a) + NLA_ALIGN((a)->nla_len)))
#define nla_for_each(a, start, len, rem)                                        \
	for ((a) = (const struct nlattr *)(start), (rem) = (len); nla_ok(a, rem); \
	     (a) = nla_next(a, rem))
#define nla_for_each_nested(a, nest, rem)                                       \
	nla_for_each(a, nla_data(nest), nla_len_payload(nest), rem)
#define nla_type(a) ((a)->nla_type & NLA_TYPE_MASK)

static inline const void *nla_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static inline int nla_len_payload(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* Append an attribute; the caller sized the message for it. */
static void nlmsg_put_attr(struct nlmsghdr *nlh, __u16 type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* CTRL_CMD_GETFAMILY's answer: store the family id in *(int *)ctx. */
static int family_id_cb(const struct nlmsghdr *nlh, void *ctx)
{
	const struct nlattr *a;
	int rem;

	if (nlh->nlmsg_type != GENL_ID_CTRL || nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EPROTO;
	nla_for_each(a, (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
		     nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), rem) {
		if (nla_type(a) == CTRL_ATTR_FAMILY_ID && nla_len_payload(a) >= (int)sizeof(__u16)) {
			*(int *)ctx = *(const __u16 *)nla_data(a);
			return 1;
		}
	}
	return -EPROTO;
}

/* The "wireguard" family's id; -EOPNOTSUPP when the module is not there. */
static int family_id(int fd)
{
	struct {
		struct nlmsghdr nlh;
		struct genlmsghdr genl;
		char attrs[NLA_HDRLEN + NLA_ALIGN(sizeof(WG_GENL_NAME))];
	} req;
	int family, err;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.nlh.nlmsg_type = GENL_ID_CTRL;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = 1;
	req.genl.cmd = CTRL_CMD_GETFAMILY;
	req.genl.version = 1;
	nlmsg_put_attr(&req.nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME, sizeof(WG_GENL_NAME));
	err = nl_transact(fd, &req.nlh, family_id_cb, &family);
	/* ctrl_getfamily() answers -ENOENT for an unknown family. */
	if (err == -ENOENT)
		return -EOPNOTSUPP;
	if (err < 0)
		return err;
	/* 0 is NLMSG_DONE, which never answers a request without NLM_F_DUMP. */
	return err ? family : -EPROTO;
}

/* WGPEER_A_ENDPOINT: a struct sockaddr_in or sockaddr_in6, as the kernel keeps it. */
static int parse_endpoint(const struct nlattr *a, struct wg_endpoint *ep)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	sa_family_t family;
	size_t len = nla_len_payload(a);

	if (len < sizeof(family))
		return -EPROTO;
	memcpy(&family, nla_data(a), sizeof(family));
	if (family == AF_INET && len >= sizeof(sin)) {
		memcpy(&sin, nla_data(a), sizeof(sin));
		wg_endpoint_set(ep, AF_INET, &sin.sin_addr, ntohs(sin.sin_port));
		return 0;
	}
	if (family == AF_INET6 && len >= sizeof(sin6)) {
		memcpy(&sin6, nla_data(a), sizeof(sin6));
		wg_endpoint_set(ep, AF_INET6, &sin6.sin6_addr, ntohs(sin6.sin6_port));
		return 0;
	}
	return -EPROTO;
}

int wg_genl_parse_device(const struct nlmsghdr *nlh, struct wg_endpoint *out, int max,
			 int *count)
{
	const struct nlattr *a, *peer, *pa;
	int rem, prem, parem, err;

	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EPROTO;
	nla_for_each(a, (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
		     nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), rem) {
		if (nla_type(a) != WGDEVICE_A_PEERS)
			continue;
		nla_for_each_nested(peer, a, prem) {
			nla_for_each_nested(pa, peer, parem) {
				struct wg_endpoint ep;

				if (nla_type(pa) != WGPEER_A_ENDPOINT)
					continue;
				err = parse_endpoint(pa, &ep);
				if (err)
					return err;
				if (*count < max)
					out[*count] = ep;
				(*count)++;
			}
		}
	}
	return 0;
}

struct dump_ctx {
	__u16 family;
	struct wg_endpoint *out;
	int max;
	int count;
};

static int dump_device_cb(const struct nlmsghdr *nlh, void *ctx)
{
	struct dump_ctx *d = ctx;

	if (nlh->nlmsg_type != d->family)
		return 0;
	return wg_genl_parse_device(nlh, d->out, d->max, &d->count);
}

/* One complete dump: the count, or -EINTR if the peers changed meanwhile. */
static int dump_device(int fd, __u16 family, __u32 seq, int ifindex, struct wg_endpoint *out,
		       int max)
{
	struct {
		struct nlmsghdr nlh;
		struct genlmsghdr genl;
		char attrs[NLA_HDRLEN + NLA_ALIGN(sizeof(__u32))];
	} req;
	struct dump_ctx d = { .family = family, .out = out, .max = max };
	__u32 index = ifindex;
	int err;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.nlh.nlmsg_type = family;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = seq;
	req.genl.cmd = WG_CMD_GET_DEVICE;
	req.genl.version = WG_GENL_VERSION;
	/*
	 * lookup_interface() takes the ifindex or the name, never both (-EBADR);
	 * the ifindex is the device rtnetlink just named, even if it was renamed.
	 */
	nlmsg_put_attr(&req.nlh, WGDEVICE_A_IFINDEX, &index, sizeof(index));
	/*
	 * A failing dump start (wg_get_device_start) comes as an error, a
	 * failing dump as NLMSG_DONE's error code: nl_transact() returns either.
	 */
	err = nl_transact(fd, &req.nlh, dump_device_cb, &d);
	return err ? err : d.count;
}

int wg_genl_get_endpoints(int ifindex, struct wg_endpoint *out, int max)
{
	int fd, tries, family, ret;

	fd = nl_open(NETLINK_GENERIC, WG_IO_TIMEOUT_MS);
	if (fd < 0)
		return fd;
	family = family_id(fd);
	if (family < 0) {
		ret = family;
		goto cleanup;
	}

	/*
	 * Each try starts from scratch: a dump cut by a peer change may have
	 * skipped or repeated peers. Sequence numbers keep tries apart.
	 */
	for (tries = 0; tries < WG_DUMP_TRIES; tries++) {
		ret = dump_device(fd, family, 2 + tries, ifindex, out, max);
		if (ret != -EINTR)
			goto cleanup;
	}
	ret = -EAGAIN;

cleanup:
	close(fd);
	return ret;
}
