// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Routes of the fleet's tables over rtnetlink (rtable.h).
 *
 * The export table holds blackhole routes: they say "this address is
 * steered by some gateway", not how to reach it, and a blackhole needs no
 * device, so a tunnel that goes down does not make the kernel flush them
 * (IPv4 deletes the routes of a device that goes down) and withdraw every
 * announcement at once. No rule looks the table up, so the blackhole never
 * drops a packet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include "config.h"
#include "iprules.h"
#include "log.h"
#include "netlink.h"
#include "rtable.h"

/* How long the kernel may take to acknowledge a batch of routes. */
#define RTABLE_WRITE_TIMEOUT_MS	2000

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* A route message: header, RTA_DST (up to 16 bytes), RTA_TABLE. */
struct route_req {
	struct nlmsghdr nlh;
	struct rtmsg rtm;
	char attrs[RTA_SPACE(16) + RTA_SPACE(sizeof(__u32))];
};

static void add_attr(struct nlmsghdr *nlh, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* The header of a route of ours in table; the kernel's table ids above 255 go as RTA_TABLE. */
static void route_head(struct route_req *r, __u16 type, __u16 flags, int family, __u8 len,
		       __u32 table, __u32 seq)
{
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = flags;
	r->nlh.nlmsg_seq = seq;
	r->rtm.rtm_family = family == 4 ? AF_INET : AF_INET6;
	r->rtm.rtm_dst_len = len;
	r->rtm.rtm_table = table < 256 ? (__u8)table : RT_TABLE_UNSPEC;
	r->rtm.rtm_protocol = RTABLE_PROTO;
	r->rtm.rtm_scope = RT_SCOPE_UNIVERSE;
	r->rtm.rtm_type = RTN_BLACKHOLE;
	add_attr(&r->nlh, RTA_TABLE, &table, sizeof(table));
}

int rtable_parse(const struct nlmsghdr *nlh, struct rtable_route *r)
{
	const struct rtmsg *rtm = NLMSG_DATA(nlh);
	const struct rtattr *a;
	int len;

	if ((nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE) ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->del = nlh->nlmsg_type == RTM_DELROUTE;
	if (rtm->rtm_family == AF_INET && rtm->rtm_dst_len <= 32)
		r->family = 4;
	else if (rtm->rtm_family == AF_INET6 && rtm->rtm_dst_len <= 128)
		r->family = 6;
	else
		return -EINVAL;
	r->len = rtm->rtm_dst_len;
	r->protocol = rtm->rtm_protocol;
	r->type = rtm->rtm_type;
	r->table = rtm->rtm_table;
	len = (int)RTM_PAYLOAD(nlh);
	for (a = RTM_RTA(rtm); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) == sizeof(__u32)) {
			memcpy(&r->table, RTA_DATA(a), sizeof(__u32));
		} else if (a->rta_type == RTA_DST) {
			if (RTA_PAYLOAD(a) != (r->family == 4 ? 4U : 16U))
				return -EINVAL;
			memcpy(r->addr, RTA_DATA(a), RTA_PAYLOAD(a));
		}
	}
	return 0;
}

/* Read acknowledgements until every one of seq..seq+n-1 came. Returns how many failed. */
static int read_acks(int fd, __u32 seq, size_t n, const struct rtable_op *ops)
{
	char buf[8192];
	size_t acked = 0;
	int failed = 0;

	while (acked < n) {
		int got = nl_recv(fd, buf, sizeof(buf));

		if (got < 0)
			return got;
		for (const struct nlmsghdr *nlh = (void *)buf; nl_msg_ok(nlh, got);
		     nlh = NLMSG_NEXT(nlh, got)) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);
			__u32 i = nlh->nlmsg_seq - seq;

			if (nlh->nlmsg_type != NLMSG_ERROR || i >= n ||
			    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				continue;
			acked++;
			/* A removal of a route already gone (by hand, by a flush) is done. */
			if (!e->error || (ops[i].del && (e->error == -ESRCH || e->error == -ENOENT)))
				continue;
			if (!failed++)
				pr_warn("%s a route in the export table: %s\n",
					ops[i].del ? "removing" : "writing", strerror(-e->error));
		}
	}
	return failed;
}

int rtable_write(int fd, __u32 table, const struct rtable_op *ops, size_t n)
{
	static __u32 next_seq = 1;
	struct route_req *reqs;
	size_t len = 0;
	__u32 seq;
	int err;

	if (n > RTABLE_BATCH)
		return -E2BIG;
	if (!n)
		return 0;
	reqs = calloc(n, sizeof(*reqs));
	if (!reqs)
		return -ENOMEM;
	seq = next_seq;
	next_seq += (__u32)n;
	for (size_t i = 0; i < n; i++) {
		struct route_req r;
		__u16 flags = NLM_F_REQUEST | NLM_F_ACK;

		if (!ops[i].del)
			flags |= NLM_F_CREATE | NLM_F_REPLACE;
		route_head(&r, ops[i].del ? RTM_DELROUTE : RTM_NEWROUTE, flags, ops[i].family,
			   ops[i].len, table, seq + (__u32)i);
		add_attr(&r.nlh, RTA_DST, ops[i].addr, ops[i].family == 4 ? 4 : 16);
		/* Packed one after the other: one datagram, the kernel takes each in turn. */
		memcpy((char *)reqs + len, &r, r.nlh.nlmsg_len);
		len += NLMSG_ALIGN(r.nlh.nlmsg_len);
	}
	err = nl_send(fd, reqs, len);
	free(reqs);
	return err ? err : read_acks(fd, seq, n, ops);
}

/* A dump request for table, on fd made strict: the kernel filters by table, not us. */
static int dump_prepare(int fd, struct route_req *r, int family, __u32 table, __u32 seq)
{
	int one = 1;

	if (setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one)))
		return -errno;
	route_head(r, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, family, 0, table, seq);
	/* Strict checking refuses a dump request with a scope; protocol and type would filter. */
	r->rtm.rtm_protocol = 0;
	r->rtm.rtm_type = 0;
	r->rtm.rtm_scope = 0;
	return 0;
}

int rtable_dump_request(int fd, int family, __u32 table, __u32 seq)
{
	struct route_req r;
	int err = dump_prepare(fd, &r, family, table, seq);

	return err ? err : nl_send(fd, &r, r.nlh.nlmsg_len);
}

struct dump_ctx {
	__u32 table;
	__u8 protocol;
	int (*fn)(const struct rtable_route *r, void *ctx);
	void *ctx;
};

static int dump_one(const struct nlmsghdr *nlh, void *ctx)
{
	const struct dump_ctx *d = ctx;
	struct rtable_route r;

	if (rtable_parse(nlh, &r) || (d->table && r.table != d->table) ||
	    (d->protocol && r.protocol != d->protocol))
		return 0;
	return d->fn(&r, d->ctx);
}

int rtable_dump(int fd, int family, __u32 table, __u8 protocol,
		int (*fn)(const struct rtable_route *r, void *ctx), void *ctx)
{
	struct dump_ctx d = { table, protocol, fn, ctx };
	struct route_req r;
	int err = dump_prepare(fd, &r, family, table, 1);

	if (err)
		return err;
	err = nl_transact(fd, &r.nlh, dump_one, &d);
	/* A table that does not exist yet holds nothing. */
	return err == -ENOENT ? 0 : err;
}

int rtable_check_unused(__u32 table)
{
	int used = iprules_table_used(table);

	return used < 0 ? used : used ? -EBUSY : 0;
}

int rtable_check_tables(const struct config *cfg, char *err, size_t errlen)
{
	const struct config_fleet *f = &cfg->fleet;
	const __u32 tables[2] = { f->export_table, f->import_table };
	const int lines[2] = { f->export_line, f->import_line };
	static const char *const what[2] = { "export", "import" };

	for (int i = 0; i < 2; i++) {
		int ret;

		if (!lines[i])
			continue;
		ret = rtable_check_unused(tables[i]);
		if (ret == -EBUSY)
			snprintf(err, errlen, "%s:%d: %s table %u: an ip rule looks it up, so its routes "
				 "would change forwarding; choose a table no rule names", cfg->path,
				 lines[i], what[i], tables[i]);
		else if (ret)
			snprintf(err, errlen, "%s:%d: %s table %u: reading the ip rules: %s",
				 cfg->path, lines[i], what[i], tables[i], strerror(-ret));
		if (ret)
			return ret;
	}
	return 0;
}

int rtable_write_checked(__u32 table, const struct rtable_op *ops, size_t n)
{
	static int fd = -1;
	int err;

	if (rtable_id_reserved(table))
		return -EPERM;
	for (size_t i = 0; i < n; i++)
		if ((ops[i].family != 4 && ops[i].family != 6) ||
		    ops[i].len > (ops[i].family == 4 ? 32 : 128))
			return -EINVAL;
	err = rtable_check_unused(table);
	if (err)
		return err == -EBUSY ? -EPERM : err;
	if (fd < 0) {
		err = nl_open(NETLINK_ROUTE, RTABLE_WRITE_TIMEOUT_MS);
		if (err < 0)
			return err;
		fd = err;
	}
	return rtable_write(fd, table, ops, n);
}

/* The default writer: the whole write at the send. */
static int direct_result_value;

static int direct_send(__u32 table, const struct rtable_op *ops, size_t n)
{
	direct_result_value = rtable_write_checked(table, ops, n);
	return 0;
}

static int direct_result(void)
{
	return direct_result_value;
}

static int direct_fd(void)
{
	return -1;
}

static const struct rtable_writer direct_writer = {
	.send = direct_send,
	.result = direct_result,
	.fd = direct_fd,
};

const struct rtable_writer *rtable_export_writer = &direct_writer;

/* Routes of ours found for removal, any table. */
struct ours {
	struct rtable_route *v;
	size_t n, cap;
};

static int ours_add(const struct rtable_route *r, void *ctx)
{
	struct ours *o = ctx;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 256;
		struct rtable_route *v = realloc(o->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = *r;
	return 0;
}

static int by_table(const void *a, const void *b)
{
	const struct rtable_route *x = a, *y = b;

	return x->table < y->table ? -1 : x->table > y->table;
}

int rtable_remove_ours(void)
{
	struct rtable_op ops[RTABLE_BATCH];
	struct ours o = {};
	int fd, err = 0, failed = 0;

	fd = nl_open(NETLINK_ROUTE, RTABLE_WRITE_TIMEOUT_MS);
	if (fd < 0)
		return fd;
	for (int family = 4; family <= 6 && !err; family += 2)
		err = rtable_dump(fd, family, 0, RTABLE_PROTO, ours_add, &o);
	qsort(o.v, o.n, sizeof(*o.v), by_table);
	for (size_t i = 0; i < o.n && !err;) {
		size_t n = 0;

		for (; i + n < o.n && n < RTABLE_BATCH && o.v[i + n].table == o.v[i].table; n++)
			ops[n] = (struct rtable_op){ .del = 1, .family = o.v[i + n].family,
						     .len = o.v[i + n].len };
		for (size_t k = 0; k < n; k++)
			memcpy(ops[k].addr, o.v[i + k].addr, sizeof(ops[k].addr));
		err = rtable_write(fd, o.v[i].table, ops, n);
		if (err > 0)
			failed += err;
		err = err < 0 ? err : 0;
		i += n;
	}
	close(fd);
	free(o.v);
	return err ? err : (int)o.n - failed;
}
