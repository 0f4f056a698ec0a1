/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Endpoints from a userspace WireGuard implementation (wireguard-go,
 * boringtun) through its UAPI socket, as in wireguard.com/xplatform: send
 * "get=1\n\n", read key=value lines up to a blank line; peers' lines include
 * "endpoint=IP:PORT" ("[IPv6]:PORT" for IPv6), the last line is "errno=N".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "netlink.h"
#include "wireguard.h"

#define WG_UAPI_DIR "/var/run/wireguard"	/* wireguard-go's and wg's */
#define UAPI_LINE_MAX 4096			/* lines are keys, addresses, counters */
#define TCP_LISTEN_STATE 10			/* TCP_LISTEN, as unix_diag reuses it */

/* Does this unix_diag message describe the listener bound to the inode *st? */
static int listener_cb(const struct nlmsghdr *nlh, void *ctx)
{
	const struct unix_diag_msg *msg = NLMSG_DATA(nlh);
	const struct stat *st = ctx;
	const struct rtattr *rta;
	int rem;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*msg)))
		return 0;

	rta = (const struct rtattr *)(msg + 1);
	rem = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*msg));
	for (; RTA_OK(rta, rem); rta = RTA_NEXT(rta, rem)) {
		struct unix_diag_vfs vfs;

		if ((rta->rta_type & NLA_TYPE_MASK) != UNIX_DIAG_VFS || RTA_PAYLOAD(rta) < sizeof(vfs))
			continue;
		memcpy(&vfs, RTA_DATA(rta), sizeof(vfs));
		/* The kernel's s_dev: 12 bits of major above 20 of minor. */
		if (vfs.udiag_vfs_ino == (__u32)st->st_ino &&
		    vfs.udiag_vfs_dev >> 20 == major(st->st_dev) &&
		    (vfs.udiag_vfs_dev & 0xfffff) == minor(st->st_dev))
			return 1;
	}
	return 0;
}

/*
 * Is a listening unix socket bound to the inode of st among the sockets of
 * our network namespace? unix_diag only reports sockets of the namespace the
 * asking socket lives in, which ties the UAPI path, shared by all namespaces,
 * to a daemon started in ours. 1 yes, 0 no, negative errno if unknown.
 */
static int listener_in_our_netns(const struct stat *st)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} req;
	int fd, err;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = 1;
	req.req.sdiag_family = AF_UNIX;
	req.req.udiag_states = 1U << TCP_LISTEN_STATE;
	req.req.udiag_show = UDIAG_SHOW_VFS;

	fd = nl_open(NETLINK_SOCK_DIAG, WG_IO_TIMEOUT_MS);
	if (fd < 0)
		return fd;
	err = nl_transact(fd, &req.nlh, listener_cb, (void *)st);
	close(fd);
	return err;
}

/* "192.0.2.1:51820", "[2001:db8::1]:51820" or "[fe80::1%eth0]:51820". */
static int parse_endpoint(const char *s, struct wg_endpoint *ep)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	const char *end, *port;
	unsigned long p;
	__u8 addr[16];
	char *pct, *tail;
	int family;
	size_t len;

	if (*s == '[') {
		end = strchr(++s, ']');
		if (!end || end[1] != ':')
			return -EPROTO;
		family = AF_INET6;
		port = end + 2;
	} else {
		end = strrchr(s, ':');
		if (!end)
			return -EPROTO;
		family = AF_INET;
		port = end + 1;
	}
	len = end - s;
	if (len >= sizeof(host))
		return -EPROTO;
	memcpy(host, s, len);
	host[len] = '\0';
	/* The scope id only says which link; the address is what we match. */
	pct = strchr(host, '%');
	if (pct && family == AF_INET6)
		*pct = '\0';
	if (inet_pton(family, host, addr) != 1)
		return -EPROTO;

	if (*port < '0' || *port > '9')
		return -EPROTO;
	errno = 0;
	p = strtoul(port, &tail, 10);
	if (errno || *tail || p > 65535)
		return -EPROTO;

	wg_endpoint_set(ep, family, addr, p);
	return 0;
}

static int parse_errno(const char *s)
{
	char *tail;
	long v;

	errno = 0;
	v = strtol(s, &tail, 10);
	if (errno || *tail || tail == s || v > 4095 || v < -4095)
		return -EPROTO;
	/* wireguard-go writes a positive errno; take either sign. */
	return v > 0 ? -v : v;
}

static int uapi_connect(const char *path)
{
	struct timeval tv = {
		.tv_sec = WG_IO_TIMEOUT_MS / 1000,
		.tv_usec = (WG_IO_TIMEOUT_MS % 1000) * 1000,
	};
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A daemon that accepts but never answers must not hang us. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		err = -errno;
		goto err_close;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		/* No daemon: no socket, or one left behind by a daemon that died. */
		if (err == -ENOENT || err == -ECONNREFUSED)
			err = -ENOENT;
		else if (err == -EAGAIN)
			err = -ETIMEDOUT;
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return err;
}

static int send_all(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		s += n;
		len -= n;
	}
	return 0;
}

int wg_uapi_read_reply(int fd, struct wg_endpoint *out, int max)
{
	int count = 0, status = 1, err;
	size_t used = 0, linelen;
	char *buf, *nl;
	ssize_t n;

	buf = malloc(UAPI_LINE_MAX);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		nl = memchr(buf, '\n', used);
		if (!nl) {
			if (used == UAPI_LINE_MAX) {
				err = -EPROTO;
				goto cleanup;
			}
			n = recv(fd, buf + used, UAPI_LINE_MAX - used, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				err = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
				goto cleanup;
			}
			/* The daemon keeps the connection open: EOF means it went away. */
			if (n == 0) {
				err = -EPROTO;
				goto cleanup;
			}
			used += n;
			continue;
		}
		*nl = '\0';
		linelen = nl - buf;
		/* The blank line ends the answer; errno must have come first. */
		if (linelen == 0)
			break;

		if (!strncmp(buf, "endpoint=", 9)) {
			struct wg_endpoint ep;

			err = parse_endpoint(buf + 9, &ep);
			if (err)
				goto cleanup;
			if (count < max)
				out[count] = ep;
			count++;
		} else if (!strncmp(buf, "errno=", 6)) {
			status = parse_errno(buf + 6);
		}
		used -= linelen + 1;
		memmove(buf, nl + 1, used);
	}

	err = status > 0 ? -EPROTO : status;
	if (!err)
		err = count;

cleanup:
	/* The answer carries the device's private key: leave no copy behind. */
	explicit_bzero(buf, UAPI_LINE_MAX);
	free(buf);
	return err;
}

int wg_uapi_get_endpoints(const char *ifname, struct wg_endpoint *out, int max)
{
	static const char get[] = "get=1\n\n";
	char path[sizeof(WG_UAPI_DIR) + IF_NAMESIZE + 8];
	struct stat st;
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s.sock", WG_UAPI_DIR, ifname);

	fd = uapi_connect(path);
	if (fd < 0)
		return fd;
	if (stat(path, &st) < 0) {
		err = -errno;
		goto cleanup;
	}
	err = listener_in_our_netns(&st);
	if (err == 0) {
		err = -ENOENT;
		goto cleanup;
	}
	/*
	 * A kernel without unix_diag (CONFIG_UNIX_DIAG) cannot tell: then the
	 * TUN device of this name in our namespace is all the proof we have.
	 */
	if (err < 0 && err != -ENOENT && err != -EOPNOTSUPP && err != -EPROTONOSUPPORT)
		goto cleanup;

	err = send_all(fd, get, sizeof(get) - 1);
	if (err)
		goto cleanup;
	err = wg_uapi_read_reply(fd, out, max);

cleanup:
	close(fd);
	return err;
}
