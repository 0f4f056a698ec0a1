// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The helper of the sandboxed agent (privhelper.h): one SOCK_SEQPACKET
 * socket pair, one request at a time, a reply of an error and, for an
 * object opened by id, its fd (SCM_RIGHTS). The agent waits for each reply,
 * as it waited for load_instance() itself before.
 *
 * What a compromised agent could ask is bounded by what the helper checks:
 * a reload reads the file the helper was started with; a map by id must be
 * in a role of the instance's bpfroute_host4/6 now (the agent could write
 * those anyway); a BTF object must be the one of the instance's programs;
 * routes are blackholes of bpfroute's protocol, written to or removed from
 * a table that is not main, local or default and that no policy rule looks
 * up (rtable.c), so they change how nothing is forwarded here.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <bpf/bpf.h>

#include "hosttable.h"
#include "load.h"
#include "log.h"
#include "maps.h"
#include "privhelper.h"
#include "rtable.h"

enum priv_op {
	PRIV_RELOAD = 1,
	PRIV_MAP_FD,	/* id: a learned table or filter of the instance */
	PRIV_BTF_FD,	/* id: the BTF of the instance's programs */
	PRIV_ROUTES,	/* id: the export table; routes follow the request */
};

struct priv_req {
	__u32 op;	/* enum priv_op */
	__u32 id;
};

/* A request with its routes: PRIV_ROUTES carries up to RTABLE_BATCH. */
struct priv_msg {
	struct priv_req req;
	struct rtable_op ops[RTABLE_BATCH];
};

struct priv_reply {
	__s32 err;	/* 0, or -errno; an fd comes with 0 for MAP_FD and BTF_FD */
};

static int priv_sock = -1;
/* The writer before privhelper_delegate(), again after privhelper_stop(). */
static const struct rtable_writer *default_writer;
static pid_t priv_pid = -1;

static int pin_open(const char *pin_dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

/* Is id in a role of the instance's learned tables now? */
static int check_table_id(const char *pin_dir, __u32 id)
{
	static const char *const outer[] = {
		BPFROUTE_STR(BPFROUTE_MAP_HOST4), BPFROUTE_STR(BPFROUTE_MAP_HOST6),
	};

	for (size_t i = 0; i < 2; i++) {
		int fd = pin_open(pin_dir, outer[i]);

		if (fd < 0)
			return fd;
		for (__u32 r = 0; r < BPFROUTE_HOSTS_ROLES; r++) {
			__u32 got;

			if (!bpf_map_lookup_elem(fd, &r, &got) && got == id) {
				close(fd);
				return 0;
			}
		}
		close(fd);
	}
	return -EPERM;
}

/* Is id the BTF of the instance's programs (that of bpfroute_conf)? */
static int check_btf_id(const char *pin_dir, __u32 id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd, err = 0;

	fd = pin_open(pin_dir, BPFROUTE_STR(BPFROUTE_MAP_CONF));
	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	else if (!info.btf_id || info.btf_id != id)
		err = -EPERM;
	close(fd);
	return err;
}

static int send_reply(int sock, int err, int fd)
{
	struct priv_reply rep = { .err = err };
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = {};
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int serve_one(int sock, const char *pin_dir, const char *path,
		     const struct priv_msg *msg, size_t len)
{
	const struct priv_req *req = &msg->req;
	int err, fd = -1;

	if (req->op == PRIV_ROUTES) {
		size_t n = (len - sizeof(*req)) / sizeof(struct rtable_op);

		if (len < sizeof(*req) || (len - sizeof(*req)) % sizeof(struct rtable_op))
			return send_reply(sock, -EINVAL, -1);
		err = rtable_write_checked(req->id, msg->ops, n);
		if (err == -EPERM)
			pr_err("helper: refused to write routes to table %u: main, local, default "
			       "or used by an ip rule\n", req->id);
		return send_reply(sock, err, -1);
	}
	if (len != sizeof(*req))
		return -EINVAL;
	switch (req->op) {
	case PRIV_RELOAD:
		return send_reply(sock, load_instance(pin_dir, path), -1);
	case PRIV_MAP_FD:
		err = check_table_id(pin_dir, req->id);
		if (!err) {
			fd = bpf_map_get_fd_by_id(req->id);
			err = fd < 0 ? -errno : 0;
		}
		break;
	case PRIV_BTF_FD:
		err = check_btf_id(pin_dir, req->id);
		if (!err) {
			fd = bpf_btf_get_fd_by_id(req->id);
			err = fd < 0 ? -errno : 0;
		}
		break;
	default:
		err = -EINVAL;
		break;
	}
	if (err == -EPERM)
		pr_err("helper: refused to open %s id %u: not the instance's\n",
		       req->op == PRIV_BTF_FD ? "BTF" : "map", req->id);
	err = send_reply(sock, err, fd);
	if (fd >= 0)
		close(fd);
	return err;
}

static void __attribute__((noreturn)) serve(int sock, const char *pin_dir, const char *path)
{
	static struct priv_msg msg;

	for (;;) {
		ssize_t n = recv(sock, &msg, sizeof(msg), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);	/* the agent is gone */
		if (serve_one(sock, pin_dir, path, &msg, (size_t)n))
			_exit(1);
	}
}

/*
 * The export's writes by the helper (rtable_writer): the request is sent,
 * and its reply read when it comes, so the agent does not wait while the
 * kernel's routing lock is held. One batch at a time; another request
 * first takes the batch's reply (ask()).
 */
static bool routes_pending;	/* a batch's reply not read yet */
static int routes_reply;	/* its result, once read */
static bool routes_replied;

static int routes_send(__u32 table, const struct rtable_op *ops, size_t n)
{
	static struct priv_msg msg;
	ssize_t len = (ssize_t)(sizeof(msg.req) + n * sizeof(*ops)), got;

	if (n > RTABLE_BATCH)
		return -E2BIG;
	if (routes_pending || routes_replied)
		return -EBUSY;
	msg.req = (struct priv_req){ .op = PRIV_ROUTES, .id = table };
	memcpy(msg.ops, ops, n * sizeof(*ops));
	got = send(priv_sock, &msg, (size_t)len, MSG_NOSIGNAL);
	if (got != len)
		return got < 0 ? -errno : -EIO;
	routes_pending = true;
	return 0;
}

/* Read the batch's reply: wait for it, or only look. 0, or -EAGAIN if not there yet. */
static int routes_collect(bool wait)
{
	struct priv_reply rep;
	ssize_t n;

	do {
		n = recv(priv_sock, &rep, sizeof(rep), wait ? 0 : MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -EAGAIN;
	routes_pending = false;
	routes_replied = true;
	routes_reply = n == sizeof(rep) ? rep.err : n < 0 ? -errno : -EPIPE;
	return 0;
}

static int routes_result(void)
{
	if (routes_pending && routes_collect(false))
		return -EAGAIN;
	if (!routes_replied)
		return -ENOENT;
	routes_replied = false;
	return routes_reply;
}

static int routes_fd(void)
{
	return routes_pending ? priv_sock : -1;
}

static const struct rtable_writer helper_writer = {
	.send = routes_send,
	.result = routes_result,
	.fd = routes_fd,
};

/* Send a request, wait for the reply; *fd gets the fd that came with it, if any. */
static int ask(const struct priv_req *req, int *fd)
{
	struct priv_reply rep;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n;

	if (fd)
		*fd = -1;
	/* A batch of routes under way answers first: its reply is kept for the export. */
	if (routes_pending)
		routes_collect(true);
	n = send(priv_sock, req, sizeof(*req), MSG_NOSIGNAL);
	if (n != sizeof(*req))
		return n < 0 ? -errno : -EIO;
	do {
		n = recvmsg(priv_sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != sizeof(rep))
		return -EPIPE;	/* the helper is gone */
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int))) {
		int got;

		memcpy(&got, CMSG_DATA(c), sizeof(int));
		if (fd && !rep.err)
			*fd = got;
		else
			close(got);
	}
	if (!rep.err && fd && *fd < 0)
		return -EPROTO;
	return rep.err;
}

static int fd_by_id(enum hosttable_obj kind, __u32 id)
{
	struct priv_req req = { .op = kind == HOSTTABLE_BTF ? PRIV_BTF_FD : PRIV_MAP_FD,
				.id = id };
	int fd, err;

	err = ask(&req, &fd);
	return err ? err : fd;
}

int privhelper_start(const char *pin_dir, const char *path)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (!pid) {
		close(sv[0]);
		serve(sv[1], pin_dir, path);
	}
	close(sv[1]);
	priv_sock = sv[0];
	priv_pid = pid;
	return 0;
}


void privhelper_delegate(void)
{
	if (priv_sock < 0)
		return;
	hosttable_fd_by_id = fd_by_id;
	default_writer = rtable_export_writer;
	rtable_export_writer = &helper_writer;
}

int privhelper_reload(const char *pin_dir, const char *path)
{
	struct priv_req req = { .op = PRIV_RELOAD };

	int err;

	if (priv_sock < 0)
		return load_instance(pin_dir, path);
	err = ask(&req, NULL);
	if (err == -EPIPE || err == -ECONNRESET)
		pr_err("helper: gone (%s); reloads need a restart of the agent\n",
		       strerror(-err));
	return err;
}

void privhelper_stop(void)
{
	hosttable_fd_by_id = NULL;
	if (default_writer)
		rtable_export_writer = default_writer;
	if (priv_sock >= 0)
		close(priv_sock);
	priv_sock = -1;
	if (priv_pid > 0)
		waitpid(priv_pid, NULL, 0);
	priv_pid = -1;
}
