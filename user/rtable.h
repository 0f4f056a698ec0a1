/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Kernel routing tables over rtnetlink, for the fleet (config_fleet.c): the
 * export table the agent writes its learned entries to, as blackhole routes
 * of its own protocol for a routing daemon to announce, and the import
 * table it reads a daemon's routes from. No policy rule points to either,
 * so neither changes how the gateway forwards. Functions return negative
 * errno.
 */
#ifndef BPFROUTE_RTABLE_H
#define BPFROUTE_RTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/netlink.h>
#include <linux/types.h>

struct config;

/*
 * The protocol of the routes bpfroute writes (`proto bpfroute` with
 * etc/iproute2/rt_protos.d/bpfroute.conf): unassigned in <linux/rtnetlink.h>,
 * so a daemon can tell them from every other route (BIRD: krt_source = 191).
 */
#define RTABLE_PROTO		191
#define RTABLE_ID_MAX		0xffffffffU
/*
 * Routes written in one datagram, their acknowledgements read together: on
 * a small VM the kernel takes 50-80 us a route, so a batch is a few ms.
 */
#define RTABLE_BATCH		64

/* Why table id is not one of its own (unspecified, default, main, local), or NULL. */
static inline const char *rtable_id_reserved(__u32 id)
{
	switch (id) {
	case 0:
		return "0 is no table";
	case 253:
		return "253 is the default table";
	case 254:
		return "254 is the main table";
	case 255:
		return "255 is the local table";
	default:
		return NULL;
	}
}

/* A route to write: a blackhole for the prefix, or its removal. */
struct rtable_op {
	__u8 del;		/* 1: remove it */
	__u8 family;		/* 4 or 6 */
	__u8 len;		/* prefix length */
	__u8 pad;
	__u8 addr[16];		/* network order; IPv4 in the first 4 */
};

/* A route as the kernel reported it (RTM_NEWROUTE, RTM_DELROUTE). */
struct rtable_route {
	bool del;		/* RTM_DELROUTE */
	__u8 family;		/* 4 or 6 */
	__u8 len;		/* prefix length */
	__u8 protocol;
	__u8 type;		/* RTN_* */
	__u32 table;
	__u8 addr[16];
};

/*
 * Read a route message; -EINVAL if it is not one, or malformed, or of a
 * family other than IPv4 and IPv6.
 */
int rtable_parse(const struct nlmsghdr *nlh, struct rtable_route *r);

/*
 * Write n ops (at most RTABLE_BATCH) to table on fd (nl_open(NETLINK_ROUTE)),
 * as blackhole routes of RTABLE_PROTO: an add replaces, the removal of a
 * route already gone is no failure. Needs CAP_NET_ADMIN. Returns how many
 * failed (their first error is logged), or -errno if nothing could be sent.
 */
int rtable_write(int fd, __u32 table, const struct rtable_op *ops, size_t n);

/*
 * rtable_write() on a socket of its own, opened at the first call, after
 * checking what a compromised caller could ask: the table is not main,
 * local or default, no policy rule uses it (so the routes change how
 * nothing is forwarded), the prefixes are sane. -EPERM for a table refused.
 */
int rtable_write_checked(__u32 table, const struct rtable_op *ops, size_t n);

/*
 * How the agent writes the export table: a batch at a time, sent, then its
 * result collected, so that the agent need not wait while the kernel's
 * routing lock is held (a routing daemon writing 100k routes holds it for
 * seconds). By default rtable_write_checked() at the send; the sandboxed
 * agent's helper, which holds CAP_NET_ADMIN for it, once delegated
 * (privhelper_delegate()).
 */
struct rtable_writer {
	/* Start writing n ops (at most RTABLE_BATCH) to table: 0, or -errno. */
	int (*send)(__u32 table, const struct rtable_op *ops, size_t n);
	/* The sent batch's result: how many failed, -errno, or -EAGAIN while under way. */
	int (*result)(void);
	/* A descriptor readable when the result is there; -1: at once. */
	int (*fd)(void);
};
extern const struct rtable_writer *rtable_export_writer;

/* Ask for a dump of one family's (4, 6) routes of table (strict: the kernel filters). */
int rtable_dump_request(int fd, int family, __u32 table, __u32 seq);

/*
 * Call fn for each route of table (0: any) and protocol (0: any) of the
 * family (4, 6), on a blocking socket. 0, or -errno (-EINTR: the dump was
 * cut by a change).
 */
int rtable_dump(int fd, int family, __u32 table, __u8 protocol,
		int (*fn)(const struct rtable_route *r, void *ctx), void *ctx);

/*
 * Remove every route of RTABLE_PROTO from every table (`unload`: nothing is
 * announced for a gateway that steers nothing). How many went, or -errno.
 */
int rtable_remove_ours(void);

/*
 * Refuse export and import tables a policy rule uses: routes written there
 * would be forwarded by. 0, or -errno with a one-line reason in err.
 */
int rtable_check_tables(const struct config *cfg, char *err, size_t errlen);

/* The same for one table: 0, -EBUSY if a rule uses it, or -errno. */
int rtable_check_unused(__u32 table);

#endif /* BPFROUTE_RTABLE_H */
