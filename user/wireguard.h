/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The peer endpoints of a WireGuard device, for the "never steer" map: a
 * packet addressed to a target device's own tunnel endpoint must not be
 * redirected into that tunnel, or the tunnel would route into itself.
 *
 * Two sources, chosen by what the device is in the current network namespace
 * (one RTM_GETLINK, IFLA_INFO_KIND):
 *  - "wireguard": the kernel module, asked over generic netlink
 *    (WG_CMD_GET_DEVICE, wireguard_genl.c);
 *  - "tun": possibly a userspace implementation (wireguard-go, boringtun),
 *    asked over its UAPI socket /var/run/wireguard/IFNAME.sock
 *    (wireguard_uapi.c).
 *
 * Limitation of the UAPI source: the socket path is the same in every
 * network namespace, so a socket of that name does not prove that its daemon
 * serves the TUN device we see. We use it only if a TUN device of that name
 * exists in our namespace and the listening socket bound to that path was
 * created in our namespace (unix_diag reports only our namespace's sockets;
 * a kernel without CONFIG_UNIX_DIAG leaves the TUN check alone). Two daemons
 * cannot serve one name (wireguard-go refuses to start while the socket
 * answers), so this rules out the one confusion left: an unrelated TUN
 * device sharing its name with another namespace's wireguard-go device. A
 * wireguard-go device moved to another namespace after it was created is
 * therefore not recognised there; its UDP socket stays in the daemon's
 * namespace, so its endpoints could not loop through our tunnel anyway.
 *
 * All functions need CAP_NET_ADMIN for the kernel source and access to
 * /var/run/wireguard for the userspace one; they return negative errno.
 */
#ifndef BPFROUTE_WIREGUARD_H
#define BPFROUTE_WIREGUARD_H

#include <linux/netlink.h>
#include <linux/types.h>
#include <net/if.h>

/* How long a stuck daemon (or kernel) may keep us waiting, per receive. */
#ifndef WG_IO_TIMEOUT_MS
#define WG_IO_TIMEOUT_MS 2000
#endif

struct wg_endpoint {
	int family;		/* AF_INET or AF_INET6 */
	__u8 addr[16];		/* network order; the first 4 bytes for AF_INET */
	__u16 port;		/* host order */
};

/*
 * Is IFNAME a WireGuard device of the current network namespace (kernel
 * module or userspace implementation)? 1 yes, 0 no, -ENODEV if there is no
 * such device, other negative errno if the answer could not be had (for
 * example -ETIMEDOUT from a stuck daemon, -EACCES without privileges).
 */
int wg_is_wireguard(const char *ifname);

/*
 * Write the endpoints of IFNAME's peers to out[0..max-1], one per peer that
 * has an endpoint, in the order the source lists the peers. A v4-mapped IPv6
 * endpoint (::ffff:a.b.c.d) is reported as AF_INET; an IPv6 scope id is
 * dropped. Returns the count (may be 0), -ENODEV if there is no such device,
 * -EOPNOTSUPP if it is not WireGuard, -ENOSPC if it has more than max
 * endpoints (a partial list would let traffic loop, so none is given), other
 * negative errno on failure.
 */
int wg_get_endpoints(const char *ifname, struct wg_endpoint *out, int max);

/*
 * Internal to wireguard*.c. Both sources fill at most max entries of out
 * (out may be NULL when max is 0) and return how many endpoints they found,
 * which may exceed max.
 */

/* v4-mapped IPv6 becomes AF_INET. addr: 4 or 16 bytes in network order. */
void wg_endpoint_set(struct wg_endpoint *ep, int family, const void *addr, __u16 port);

/* Kernel module: -EOPNOTSUPP if the "wireguard" genl family is not there. */
int wg_genl_get_endpoints(int ifindex, struct wg_endpoint *out, int max);

/*
 * One WG_CMD_GET_DEVICE dump message: add its peers' endpoints to *count,
 * storing those that fit below max. Exposed for the selftest, which cannot
 * load the kernel module on every machine.
 */
int wg_genl_parse_device(const struct nlmsghdr *nlh, struct wg_endpoint *out, int max,
			 int *count);

/*
 * Userspace implementation: -ENOENT if no daemon of our network namespace
 * answers on IFNAME's socket.
 */
int wg_uapi_get_endpoints(const char *ifname, struct wg_endpoint *out, int max);

/*
 * The reply to "get=1" read from fd, up to its blank line: the endpoints it
 * lists, or its errno. -EPROTO if the reply is malformed, a line is longer
 * than 4096 bytes or the connection ends first. Exposed for the fuzz
 * harness, which feeds it bytes through a socketpair.
 */
int wg_uapi_read_reply(int fd, struct wg_endpoint *out, int max);

#endif /* BPFROUTE_WIREGUARD_H */
