// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netlink.h"
#include "tc.h"
#include "xdp.h"

int xdp_query(int ifindex, struct xdp_progs *progs)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, opts);
	int err;

	err = bpf_xdp_query(ifindex, 0, &opts);
	if (err)
		return err;
	progs->drv = opts.drv_prog_id;
	progs->skb = opts.skb_prog_id;
	progs->hw = opts.hw_prog_id;
	return 0;
}

int xdp_attach(int ifindex, int prog_fd, int old_fd)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	__u32 flags = XDP_FLAGS_DRV_MODE;

	/* libbpf reads old_prog_fd 0 as "none": never ask for fd 0 (stdin). */
	if (old_fd > 0) {
		opts.old_prog_fd = old_fd;
		flags |= XDP_FLAGS_REPLACE;
	} else {
		flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;
	}
	return bpf_xdp_attach(ifindex, prog_fd, flags, &opts);
}

int xdp_detach(int ifindex, int old_fd)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd);

	if (old_fd <= 0)
		return -EINVAL;
	return bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE, &opts);
}

bool xdp_prog_ours(__u32 prog_id, __u32 lan_id)
{
	return prog_id && lan_id && tc_prog_uses_map(prog_id, lan_id);
}

/* A link dump answers in messages of many links: a few seconds is plenty. */
#define XDP_NL_TIMEOUT_MS	5000
/* A dump interrupted by links changing (NLM_F_DUMP_INTR) is asked again. */
#define XDP_NL_TRIES		5

struct list_ctx {
	__u32 lan_id;
	struct xdp_hook *out;
	int n;
};

/* The native program id in an IFLA_XDP attribute, or 0. */
static __u32 attr_drv_prog(const struct rtattr *xdp)
{
	const struct rtattr *rta = RTA_DATA(xdp);
	int rem = RTA_PAYLOAD(xdp);
	__u32 id;

	for (; RTA_OK(rta, rem); rta = RTA_NEXT(rta, rem)) {
		if ((rta->rta_type & NLA_TYPE_MASK) != IFLA_XDP_DRV_PROG_ID ||
		    RTA_PAYLOAD(rta) < sizeof(id))
			continue;
		memcpy(&id, RTA_DATA(rta), sizeof(id));
		return id;
	}
	return 0;
}

/* One link of the dump: noted if its native XDP program is the instance's. */
static int list_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nlh);
	struct list_ctx *ctx = arg;
	char name[IF_NAMESIZE] = "";
	struct xdp_hook *grown;
	const struct rtattr *rta;
	__u32 drv = 0;
	int rem;

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	rta = IFLA_RTA(ifi);
	rem = IFLA_PAYLOAD(nlh);
	for (; RTA_OK(rta, rem); rta = RTA_NEXT(rta, rem)) {
		size_t len = RTA_PAYLOAD(rta) < sizeof(name) ? RTA_PAYLOAD(rta) : sizeof(name) - 1;

		switch (rta->rta_type & NLA_TYPE_MASK) {
		case IFLA_IFNAME:
			memcpy(name, RTA_DATA(rta), len);
			name[len] = '\0';
			break;
		case IFLA_XDP:
			drv = attr_drv_prog(rta);
			break;
		}
	}
	if (!xdp_prog_ours(drv, ctx->lan_id))
		return 0;
	grown = realloc(ctx->out, (ctx->n + 1) * sizeof(*ctx->out));
	if (!grown)
		return -ENOMEM;
	ctx->out = grown;
	memset(&ctx->out[ctx->n], 0, sizeof(ctx->out[ctx->n]));
	ctx->out[ctx->n].ifindex = ifi->ifi_index;
	snprintf(ctx->out[ctx->n].name, sizeof(ctx->out[ctx->n].name), "%s", name);
	ctx->out[ctx->n].prog_id = drv;
	ctx->n++;
	return 0;
}

/*
 * One RTM_GETLINK dump tells every device's XDP programs: asking device by
 * device (bpf_xdp_query() dumps every link for each) would cost the square
 * of the number of devices.
 */
int xdp_list(__u32 lan_id, struct xdp_hook **hooks, int *count)
{
	struct {
		struct nlmsghdr nlh;
		struct ifinfomsg ifi;
	} req;
	struct list_ctx ctx = { .lan_id = lan_id };
	int fd, err = -EINTR;

	fd = nl_open(NETLINK_ROUTE, XDP_NL_TIMEOUT_MS);
	if (fd < 0)
		return fd;
	for (int try = 1; err == -EINTR && try <= XDP_NL_TRIES; try++) {
		free(ctx.out);
		ctx.out = NULL;
		ctx.n = 0;
		memset(&req, 0, sizeof(req));
		req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
		req.nlh.nlmsg_type = RTM_GETLINK;
		req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		req.nlh.nlmsg_seq = try;
		req.ifi.ifi_family = AF_UNSPEC;
		err = nl_transact(fd, &req.nlh, list_cb, &ctx);
	}
	close(fd);
	if (err) {
		free(ctx.out);
		return err;
	}
	*hooks = ctx.out;
	*count = ctx.n;
	return 0;
}

__u32 xdp_find(const struct xdp_hook *hooks, int n, int ifindex)
{
	for (int i = 0; i < n; i++)
		if (hooks[i].ifindex == ifindex)
			return hooks[i].prog_id;
	return 0;
}
