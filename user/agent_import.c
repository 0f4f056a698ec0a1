// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `import table M dev IFNAME`: every host route (/32, /128) of kernel table
 * M, where a routing daemon writes what other gateways announce (their
 * export tables, etc/fleet/), becomes a learned entry to IFNAME with rule
 * BPFROUTE_RULE_IMPORTED and a lifetime of max-ttl. The route's type and
 * next hop say nothing here: the entry goes to this gateway's own tunnel.
 *
 * An entry learned here wins: an address with a live entry of a rule is
 * left alone, and a local answer for an imported address makes it local
 * (the learner rewrites the rule). A withdrawal does not delete the entry:
 * it makes it expire now, so that it goes after idle-timeout without a
 * packet, as any entry does. A client whose connection moved to this
 * gateway keeps it; one that has stopped is not steered for long.
 *
 * Route notifications (RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE) say what
 * changes. They are a hint, not a record: a full socket loses them (the
 * daemon may write 100k routes at once), and the agent may have been
 * stopped. So the table is dumped whole at start, after a loss, and every
 * AGENT_IMPORT_SYNC_NS (which also renews the entries before max-ttl runs
 * out); after a complete dump, imported entries of addresses no longer in
 * the table expire (after the first, also those imported before the start:
 * a walk of the learned tables). Both sockets are non-blocking and every
 * step is bounded (datagrams, slots) per round, so a big table never holds
 * learning up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include "addrset.h"
#include "agent.h"
#include "log.h"
#include "netlink.h"
#include "rtable.h"

/* A route notification is about 100 bytes; a dump datagram holds up to 32 KiB. */
#define IMPORT_BUFSIZE		32768
/*
 * Datagrams read per round: notifications (one route each), and a dump's
 * (some 300 routes each, 5 to 10 ms to install on a small VM: three map
 * lookups of the refusal checks a route).
 */
#define IMPORT_NOTES_BUDGET	16
#define IMPORT_DUMP_BUDGET	1
/* Slots of the learned tables looked at per round after the first dump: 1 MiB. */
#define IMPORT_SWEEP_SLOTS	16384
/* The whole table read again at most this far apart. */
#define AGENT_IMPORT_SYNC_NS	(60 * HOSTS_NSEC_PER_SEC)
/* After routes found no room: the table read again this soon. */
#define AGENT_IMPORT_RETRY_NS	(2 * HOSTS_NSEC_PER_SEC)
/* How long the kernel may take to answer a question on the blocking socket. */
#define IMPORT_REQ_TIMEOUT_MS	2000

struct agent_import {
	__u32 table;		/* 0: off */
	__u32 ifindex;		/* the target */
	int mc_fd;		/* route notifications; -1: none */
	int dump_fd;		/* dumps; -1: none */
	int dump_family;	/* the family being dumped: 4, 6; 0: no dump under way */
	__u32 dump_seq;
	bool dump_intr;		/* the dump was cut by a change: not a record */
	struct addrset seen;	/* host routes of the table: marked by the dump that saw them */
	__u32 gen;		/* the current dump's mark */
	__u64 dump_at;		/* the next dump */
	/*
	 * After the first complete dump, a walk of the learned tables (in
	 * steps) for entries imported before this start and withdrawn since.
	 */
	bool sweep_due;
	struct agent_walk sweep;
	char *buf;
};

static bool host_route(const struct agent_import *im, const struct rtable_route *r)
{
	return r->table == im->table && r->len == (r->family == 4 ? 32 : 128);
}

/* An imported entry for addr: installed, or renewed; a local one is left alone. */
static void import_add(struct agent *a, int family, const __u8 *addr, __u64 now)
{
	struct agent_import *im = a->imp;
	__u32 now_s = hosts_seconds(now);
	struct bpfroute_host *s = hosttable_lookup(agent_ht(a, family), &a->conf, addr);
	struct hosts_origin o = {
		.ifindex = im->ifindex,
		.rule = BPFROUTE_RULE_IMPORTED,
		.ts = now_s,
	};
	int r;

	if (s && BPFROUTE_SLOT_KIND(TABLE_READ(s->state)) == BPFROUTE_SLOT_LIVE &&
	    TABLE_READ(s->rule) != BPFROUTE_RULE_IMPORTED &&
	    !hosts_dead(s, now_s, a->conf.idle_timeout)) {
		a->st.import_local++;
		return;
	}
	r = agent_install(a, &o, family, addr, a->conf.max_ttl, now);
	if (r == HOSTS_INSTALLED)
		a->st.imported++;
	/*
	 * No room yet: the table is being grown (at the next tick) or is full
	 * of live entries. A notification will not come again for this route:
	 * read the table again soon rather than at the next periodic dump.
	 */
	if (r == -ENOSPC && im->dump_at > now + AGENT_IMPORT_RETRY_NS)
		im->dump_at = now + AGENT_IMPORT_RETRY_NS;
}

/* A withdrawal: an imported entry for addr expires now. */
static void import_expire(struct agent *a, int family, const __u8 *addr, __u64 now)
{
	struct bpfroute_host *s = hosttable_lookup(agent_ht(a, family), &a->conf, addr);
	__u32 now_s = hosts_seconds(now), e;

	if (!s || TABLE_READ(s->rule) != BPFROUTE_RULE_IMPORTED)
		return;
	e = TABLE_READ(s->expires);
	/* The learner may renew it meanwhile, and make it local: that one wins. */
	if (e > now_s && __sync_bool_compare_and_swap(&s->expires, e, now_s))
		a->st.import_withdrawn++;
}

static void on_route(struct agent *a, const struct rtable_route *r, bool from_dump, __u64 now)
{
	struct agent_import *im = a->imp;
	struct addrset_entry *e;
	bool added;

	if (!host_route(im, r))
		return;
	if (r->del) {
		e = addrset_find(&im->seen, r->family, r->len, r->addr);
		if (e)
			addrset_del(&im->seen, e);
		import_expire(a, r->family, r->addr, now);
		return;
	}
	e = addrset_get(&im->seen, r->family, r->len, r->addr, &added);
	if (e)
		e->mark = im->gen;
	/* A notification of a route already known (a daemon's replace) renews nothing new. */
	if (added || from_dump)
		import_add(a, r->family, r->addr, now);
}

/* After a complete dump: what the table no longer holds expires. */
static void dump_done(struct agent *a, __u64 now)
{
	struct agent_import *im = a->imp;

	for (size_t i = 0; i < im->seen.cap;) {
		struct addrset_entry *e = &im->seen.e[i];

		if (!e->family || e->mark == im->gen) {
			i++;
			continue;
		}
		import_expire(a, e->family, e->addr, now);
		addrset_del(&im->seen, e);	/* the next may shift here: look again */
	}
	im->dump_family = 0;
	pr_debug("import: table %u read, %zu host routes\n", im->table, im->seen.n);
}

/* An entry imported before this start whose route is gone: it expires. */
static void sweep_one(struct agent *a, int family, const struct bpfroute_host *h, void *ctx)
{
	const __u64 *now = ctx;

	if (h->rule == BPFROUTE_RULE_IMPORTED && h->expires > hosts_seconds(*now) &&
	    !addrset_find(&a->imp->seen, family, family == 4 ? 32 : 128, h->addr))
		import_expire(a, family, h->addr, *now);
}

static int dump_start(struct agent_import *im, int family)
{
	int err;

	im->dump_family = family;
	if (family == 4)
		im->dump_intr = false;	/* a cut seen in IPv4 holds for the whole dump */
	im->dump_seq++;
	err = rtable_dump_request(im->dump_fd, family, im->table,
				  im->dump_seq);
	if (err) {
		im->dump_family = 0;
		pr_warn("import: asking for table %u: %s\n", im->table, strerror(-err));
	}
	return err;
}

/* The dump's next datagrams. */
static void dump_read(struct agent *a, __u64 now)
{
	struct agent_import *im = a->imp;

	for (int d = 0; d < IMPORT_DUMP_BUDGET && im->dump_family; d++) {
		int n = nl_recv(im->dump_fd, im->buf, IMPORT_BUFSIZE);

		if (n == -ETIMEDOUT)
			return;		/* nothing yet */
		if (n < 0) {
			pr_warn("import: reading table %u: %s\n", im->table, strerror(-n));
			im->dump_family = 0;
			im->dump_at = now + HOSTS_NSEC_PER_SEC;
			return;
		}
		for (const struct nlmsghdr *nlh = (void *)im->buf; nl_msg_ok(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			struct rtable_route r;
			int err = 0;

			if (nlh->nlmsg_seq != im->dump_seq)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				im->dump_intr = true;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				err = nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ? e->error : -EPROTO;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					err = *(const int *)NLMSG_DATA(nlh);
			} else {
				if (!rtable_parse(nlh, &r))
					on_route(a, &r, true, now);
				continue;
			}
			/* The end of this family's dump; a table not made yet is empty. */
			if (err && err != -ENOENT) {
				pr_warn("import: reading table %u: %s\n", im->table, strerror(-err));
				im->dump_family = 0;
				im->dump_at = now + HOSTS_NSEC_PER_SEC;
				return;
			}
			if (im->dump_family == 4) {
				dump_start(im, 6);
			} else if (im->dump_intr) {
				/* Routes changed under it: some may be missing; read again. */
				im->dump_family = 0;
				im->dump_at = now;
			} else {
				dump_done(a, now);
				if (im->sweep_due) {
					im->sweep_due = false;
					agent_walk_start(&im->sweep);
				}
			}
			break;
		}
	}
}

/* Notifications; a loss makes a dump due at once. */
static void notes_read(struct agent *a, __u64 now)
{
	struct agent_import *im = a->imp;

	for (int d = 0; d < IMPORT_NOTES_BUDGET; d++) {
		int n = nl_recv(im->mc_fd, im->buf, IMPORT_BUFSIZE);

		if (n == -ETIMEDOUT)
			return;
		if (n < 0) {
			if (n == -ENOBUFS)
				pr_debug("import: route notifications lost; reading table %u again\n",
					 im->table);
			else
				pr_warn("import: route notifications: %s\n", strerror(-n));
			im->dump_at = now;
			return;
		}
		for (const struct nlmsghdr *nlh = (void *)im->buf; nl_msg_ok(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			struct rtable_route r;

			if (!rtable_parse(nlh, &r))
				on_route(a, &r, false, now);
		}
	}
}

void agent_import_round(struct agent *a, __u64 now)
{
	struct agent_import *im = a->imp;

	if (!im || !im->table)
		return;
	notes_read(a, now);
	if (!im->dump_family && now >= im->dump_at) {
		__u64 every = AGENT_IMPORT_SYNC_NS;

		/* Renewed well before max-ttl runs out. */
		if ((__u64)a->conf.max_ttl * HOSTS_NSEC_PER_SEC / 3 < every)
			every = (__u64)a->conf.max_ttl * HOSTS_NSEC_PER_SEC / 3;
		im->dump_at = now + (every ? every : HOSTS_NSEC_PER_SEC);
		im->gen++;
		dump_start(im, 4);
	}
	dump_read(a, now);
	if (!im->sweep_due && im->sweep.fam < 2)
		agent_walk_step(a, &im->sweep, IMPORT_SWEEP_SLOTS, sweep_one, &now);
}

int agent_import_pollfds(const struct agent *a, struct pollfd *fds)
{
	const struct agent_import *im = a->imp;
	int n = 0;

	if (!im || !im->table)
		return 0;
	fds[n++] = (struct pollfd){ .fd = im->mc_fd, .events = POLLIN };
	if (im->dump_family)
		fds[n++] = (struct pollfd){ .fd = im->dump_fd, .events = POLLIN };
	return n;
}

int agent_import_timeout_ms(const struct agent *a, __u64 now)
{
	const struct agent_import *im = a->imp;

	if (!im || !im->table)
		return -1;
	if (im->dump_family)
		return -1;	/* polled */
	return im->dump_at > now ? (int)((im->dump_at - now + 999999) / 1000000) : 0;
}

int agent_fleet_open(struct agent_fleet_fds *fds)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	/* Room for a daemon's burst: 100k notifications are some 10 MiB. */
	int rcvbuf = 16 << 20, err;

	fds->mc_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	fds->dump_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	fds->req_fd = nl_open(NETLINK_ROUTE, IMPORT_REQ_TIMEOUT_MS);
	if (fds->mc_fd < 0 || fds->dump_fd < 0 ||
	    bind(fds->mc_fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		agent_fleet_close(fds);
		return err;
	}
	if (fds->req_fd < 0) {
		err = fds->req_fd;
		agent_fleet_close(fds);
		return err;
	}
	/* Before the sandbox: past net.core.rmem_max needs CAP_NET_ADMIN. */
	for (int i = 0; i < 2; i++) {
		int fd = i ? fds->dump_fd : fds->mc_fd;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	}
	return 0;
}

void agent_fleet_close(struct agent_fleet_fds *fds)
{
	if (fds->mc_fd >= 0)
		close(fds->mc_fd);
	if (fds->dump_fd >= 0)
		close(fds->dump_fd);
	if (fds->req_fd >= 0)
		close(fds->req_fd);
	fds->mc_fd = fds->dump_fd = fds->req_fd = -1;
}

/* Join or leave the route notification groups: only an import wants them. */
static int groups_set(int fd, bool join)
{
	static const int groups[] = { RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE };

	for (size_t i = 0; i < 2; i++)
		if (setsockopt(fd, SOL_NETLINK, join ? NETLINK_ADD_MEMBERSHIP :
			       NETLINK_DROP_MEMBERSHIP, &groups[i], sizeof(groups[i])) && join)
			return -errno;
	return 0;
}

int agent_import_setup(struct agent *a, const struct config *cfg,
		       const struct agent_fleet_fds *fds, __u32 ifindex, __u64 now)
{
	const struct config_fleet *f = &cfg->fleet;
	struct agent_import *im = a->imp;
	int err;

	if (!f->import_line) {
		if (im)
			groups_set(im->mc_fd, false);
		agent_import_free(a);
		return 0;
	}
	if (fds->mc_fd < 0 || fds->dump_fd < 0) {
		pr_err("import: no netlink sockets (they are opened at start only)\n");
		return -EBADF;
	}
	if (!ifindex) {
		pr_err("import dev %s: no such device\n", f->import_dev);
		return -ENODEV;
	}
	if (!im) {
		im = calloc(1, sizeof(*im));
		if (!im || !(im->buf = malloc(IMPORT_BUFSIZE))) {
			free(im);
			return -ENOMEM;
		}
		a->imp = im;
	}
	im->mc_fd = fds->mc_fd;
	im->dump_fd = fds->dump_fd;
	err = groups_set(im->mc_fd, true);
	if (err) {
		pr_err("import: joining the route notifications: %s\n", strerror(-err));
		agent_import_free(a);
		return err;
	}
	if (im->table != f->import_table || im->ifindex != ifindex)
		pr_info("import: host routes of table %u to %s\n", f->import_table,
			f->import_dev);
	im->table = f->import_table;
	im->ifindex = ifindex;
	/*
	 * Read it whole now. A dump under way must be read to its end (the
	 * kernel runs one per socket): it is taken as cut, and read again.
	 */
	if (im->dump_family)
		im->dump_intr = true;
	im->dump_at = now;
	im->sweep_due = true;
	im->sweep.fam = 2;
	return 0;
}

size_t agent_import_routes(const struct agent *a)
{
	return a->imp ? a->imp->seen.n : 0;
}

void agent_import_free(struct agent *a)
{
	struct agent_import *im = a->imp;

	if (!im)
		return;
	addrset_free(&im->seen);
	free(im->buf);
	free(im);
	a->imp = NULL;
}
