// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The targets' link state: BPFROUTE_TARGET_F_DOWN in bpfroute_target, which
 * tells the classifier to drop a down target's packets (strict) or pass
 * them to the stack (`strict no`). `load` sets it from the state it finds;
 * the agent keeps it current from rtnetlink's link notifications
 * (RTNLGRP_LINK: RTM_NEWLINK on any change of flags or oper state,
 * RTM_DELLINK when a device goes).
 *
 * Down is what netdev_up() calls not up: not IFF_UP, or not IFF_RUNNING
 * (the kernel's netif_oper_up(): oper state down, lower layer down,
 * dormant), or gone. The sockets are opened before the sandbox: it allows
 * no new netlink socket, but reading, and asking on one held, need no
 * capability.
 *
 * Notifications are a hint, not a record: a full receive queue loses them
 * (ENOBUFS), and `load` (a reload by the helper, or by hand) writes the
 * entries whole from what it saw a moment before. So every target is asked
 * for anew (RTM_GETLINK by ifindex) after an overflow, after a reload, and
 * every AGENT_LINKS_SYNC_NS anyway.
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <bpf/bpf.h>

#include "agent.h"
#include "log.h"
#include "netlink.h"

/* A link notification is about 1.5 KiB; a datagram holds one. */
#define LINKS_BUFSIZE		8192
/* Datagrams read in one go before the loop looks elsewhere. */
#define LINKS_READ_BUDGET	64
/* How long an RTM_GETLINK answer may take. */
#define LINKS_TIMEOUT_MS	1000

int agent_links_open(struct agent_links *l)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int err;

	l->mc_fd = l->req_fd = -1;
	l->sync_at = 0;
	l->seq = 0;
	l->mc_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (l->mc_fd < 0) {
		err = -errno;
		goto fail;
	}
	if (bind(l->mc_fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		goto fail;
	}
	l->req_fd = nl_open(NETLINK_ROUTE, LINKS_TIMEOUT_MS);
	if (l->req_fd < 0) {
		err = l->req_fd;
		goto fail;
	}
	return 0;
fail:
	agent_links_close(l);
	return err;
}

void agent_links_close(struct agent_links *l)
{
	if (l->mc_fd >= 0)
		close(l->mc_fd);
	if (l->req_fd >= 0)
		close(l->req_fd);
	l->mc_fd = l->req_fd = -1;
}

/* What the datapath does with the packets of a target in this state. */
static const char *state_text(__u32 flags)
{
	if (!(flags & BPFROUTE_TARGET_F_DOWN))
		return "up: steered again";
	if (flags & BPFROUTE_TARGET_F_FALLBACK)
		return "down: its traffic takes the ordinary path (strict no)";
	return "down: its traffic is dropped (strict)";
}

int agent_links_set(struct agent *a, __u32 ifindex, bool down, const char *name)
{
	struct bpfroute_target t;
	char num[16];

	if (bpf_map_lookup_elem(a->maps->targets, &ifindex, &t))
		return errno == ENOENT ? 0 : -errno;	/* not a target */
	if (!!(t.flags & BPFROUTE_TARGET_F_DOWN) == down)
		return 0;
	if (down)
		t.flags |= BPFROUTE_TARGET_F_DOWN;
	else
		t.flags &= ~BPFROUTE_TARGET_F_DOWN;
	/*
	 * The whole value: the next hops the datapath noted meanwhile are
	 * hints it finds again (bpf/next_hop.h). BPF_EXIST: a target that
	 * `load` removed meanwhile stays removed.
	 */
	if (bpf_map_update_elem(a->maps->targets, &ifindex, &t, BPF_EXIST))
		return errno == ENOENT ? 0 : -errno;
	if (!name || !*name) {
		snprintf(num, sizeof(num), "#%u", ifindex);
		name = num;
	}
	pr_info("target %s (ifindex %u) %s\n", name, ifindex, state_text(t.flags));
	return 1;
}

/* Down, as netdev_up() says it: not administratively up, or not running. */
static bool flags_down(unsigned int flags)
{
	return !(flags & IFF_UP) || !(flags & IFF_RUNNING);
}

/* The device name of a link message, into name (IF_NAMESIZE), or "". */
static void link_name(const struct nlmsghdr *nlh, char *name)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nlh);
	const struct rtattr *rta = IFLA_RTA(ifi);
	int rem = (int)IFLA_PAYLOAD(nlh);

	name[0] = '\0';
	for (; RTA_OK(rta, rem); rta = RTA_NEXT(rta, rem)) {
		size_t len = RTA_PAYLOAD(rta);

		if (rta->rta_type != IFLA_IFNAME)
			continue;
		if (len >= IF_NAMESIZE)
			len = IF_NAMESIZE - 1;
		memcpy(name, RTA_DATA(rta), len);
		name[len] = '\0';
		return;
	}
}

/* One link message, a notification or an answer: the target's new state. */
static int link_msg(struct agent *a, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nlh);
	char name[IF_NAMESIZE];

	if ((nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) || ifi->ifi_index <= 0)
		return 0;
	link_name(nlh, name);
	return agent_links_set(a, (__u32)ifi->ifi_index,
			       nlh->nlmsg_type == RTM_DELLINK || flags_down(ifi->ifi_flags), name);
}

/* The answer to one RTM_GETLINK: that link's message, which ends the exchange. */
static int getlink_cb(const struct nlmsghdr *nlh, void *ctx)
{
	int err;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	err = link_msg(ctx, nlh);
	return err < 0 ? err : 1;
}

/* Ask for one target's link; gone (ENODEV) is down. */
static int sync_one(struct agent_links *l, struct agent *a, __u32 ifindex)
{
	struct {
		struct nlmsghdr nlh;
		struct ifinfomsg ifi;
	} req = {
		.nlh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST,
			.nlmsg_seq = ++l->seq,
		},
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)ifindex },
	};
	int err = nl_transact(l->req_fd, &req.nlh, getlink_cb, a);

	if (err == -ENODEV)
		return agent_links_set(a, ifindex, true, NULL);
	return err < 0 ? err : 0;
}

int agent_links_sync(struct agent_links *l, struct agent *a, __u64 now)
{
	__u32 keys[BPFROUTE_MAX_TARGETS], key, *prev = NULL;
	size_t n = 0;
	int err = 0;

	if (l->req_fd < 0)
		return 0;
	l->sync_at = now + AGENT_LINKS_SYNC_NS;
	/* The keys first: an update while walking may restart a hash map's walk. */
	while (n < BPFROUTE_MAX_TARGETS && !bpf_map_get_next_key(a->maps->targets, prev, &key)) {
		keys[n++] = key;
		prev = &keys[n - 1];
	}
	for (size_t i = 0; i < n; i++) {
		int ret = sync_one(l, a, keys[i]);

		if (ret < 0 && !err)
			err = ret;
	}
	if (err)
		pr_debug("links: asking for the targets' state: %s\n", strerror(-err));
	return err;
}

void agent_links_read(struct agent_links *l, struct agent *a, __u64 now)
{
	char buf[LINKS_BUFSIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool overflow = false;

	for (int i = 0; i < LINKS_READ_BUDGET; i++) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		const struct nlmsghdr *nlh;
		ssize_t got;
		int n;

		got = recvfrom(l->mc_fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
			       &fromlen);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			/* The kernel dropped notifications: what changed is unknown. */
			overflow = errno == ENOBUFS;
			break;
		}
		/* Only the kernel speaks for links. */
		if (from.nl_pid != 0)
			continue;
		n = (int)got;
		for (nlh = (const struct nlmsghdr *)buf; nl_msg_ok(nlh, n); nlh = NLMSG_NEXT(nlh, n))
			if (link_msg(a, nlh) < 0)
				overflow = true;	/* a failed update: ask again */
	}
	if (overflow || now >= l->sync_at)
		agent_links_sync(l, a, now);
}
