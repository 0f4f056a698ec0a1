// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "iprules.h"
#include "netlink.h"

#define IPRULES_TIMEOUT_MS 2000
#define IPRULES_TRIES 3

/*
 * The rules a namespace starts with (fib_default_rules_init(),
 * fib6_rules_net_init()): local at 0, main at 32766, default (IPv4 only)
 * at 32767, each matching every packet.
 */
static bool rule_is_default(int family, __u32 prio, __u32 table)
{
	return (prio == 0 && table == RT_TABLE_LOCAL) ||
	       (prio == 32766 && table == RT_TABLE_MAIN) ||
	       (family == AF_INET && prio == 32767 && table == RT_TABLE_DEFAULT);
}

/* What a dump of the rules looks for. */
struct rules_seen {
	__u32 table;		/* a table to ask about; 0: none */
	int found;		/* a rule beyond the defaults */
	int uses_table;		/* a rule whose table is .table */
};

static int rule_cb(const struct nlmsghdr *nlh, void *ctx)
{
	const struct fib_rule_hdr *frh = NLMSG_DATA(nlh);
	struct rules_seen *seen = ctx;
	int len = (int)RTM_PAYLOAD(nlh);
	__u32 prio = 0, table;
	bool selector = false;

	if (nlh->nlmsg_type != RTM_NEWRULE || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*frh)))
		return 0;
	table = frh->table;
	for (const struct rtattr *a = (const void *)((const char *)frh + NLMSG_ALIGN(sizeof(*frh)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case FRA_PRIORITY:
			if (RTA_PAYLOAD(a) >= sizeof(__u32))
				memcpy(&prio, RTA_DATA(a), sizeof(prio));
			break;
		case FRA_TABLE:
			if (RTA_PAYLOAD(a) >= sizeof(__u32))
				memcpy(&table, RTA_DATA(a), sizeof(table));
			break;
		case FRA_PROTOCOL:
			break;
		case FRA_SUPPRESS_PREFIXLEN:
		case FRA_SUPPRESS_IFGROUP: {
			__u32 v = (__u32)-1;

			/* Dumped as -1, unset, for every rule. */
			if (RTA_PAYLOAD(a) >= sizeof(v))
				memcpy(&v, RTA_DATA(a), sizeof(v));
			selector |= v != (__u32)-1;
			break;
		}
		default:
			selector = true;	/* from, to, fwmark, iif, oif, ... */
			break;
		}
	}
	if (selector || frh->src_len || frh->dst_len || frh->tos || frh->action != FR_ACT_TO_TBL ||
	    (frh->flags & FIB_RULE_INVERT) || !rule_is_default(frh->family, prio, table))
		seen->found = 1;
	if (seen->table && table == seen->table)
		seen->uses_table = 1;
	return 0;
}

static int dump_rules(int fd, int family, __u32 seq, struct rules_seen *seen)
{
	struct {
		struct nlmsghdr nlh;
		struct fib_rule_hdr frh;
	} req = {
		.nlh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct fib_rule_hdr)),
			.nlmsg_type = RTM_GETRULE,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = seq,
		},
		.frh = { .family = (__u8)family },
	};

	return nl_transact(fd, &req.nlh, rule_cb, seen);
}

/* Read both families' rules into seen. 0, or -errno. */
static int rules_read(struct rules_seen *seen)
{
	int fd, err = 0;
	__u32 seq = 1;

	fd = nl_open(NETLINK_ROUTE, IPRULES_TIMEOUT_MS);
	if (fd < 0)
		return fd;
	for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
		/* A dump cut by a change is asked again. */
		for (int tries = 0; tries < IPRULES_TRIES; tries++) {
			err = dump_rules(fd, family, seq++, seen);
			if (err != -EINTR)
				break;
		}
		/* A kernel without IPv6 rules says so: it has none. */
		if (err == -EAFNOSUPPORT)
			err = 0;
		if (err)
			break;
	}
	close(fd);
	return err;
}

int iprules_present(void)
{
	struct rules_seen seen = {};
	int err = rules_read(&seen);

	return err ? err : seen.found;
}

int iprules_table_used(__u32 table)
{
	struct rules_seen seen = { .table = table };
	int err = rules_read(&seen);

	return err ? err : seen.uses_table;
}
