// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The metrics endpoint. Every socket is non-blocking and polled with the
 * agent's other fds; each call here does what the kernel allows without
 * waiting and keeps the rest (an answer half sent goes on at POLLOUT).
 *
 * At most METRICS_HTTP_CONNS connections are held. When all slots are
 * taken, a new connection takes the place of the oldest one still sending
 * its request (a client that opened and said nothing loses its slot to one
 * that comes after); if every slot is sending an answer, new ones wait in
 * the kernel's backlog until a slot frees, within the 2 s deadline. So
 * idle connections never keep a scrape out, and the agent never holds more
 * than 8 answers in memory. Connections are served before the listener, so
 * a request that has arrived is answered before a flood of new connections
 * could take its slot.
 *
 * Closing: before close() the unread input is drained, so that the kernel
 * does not answer leftover bytes with a reset that would cut the answer.
 */
#define _GNU_SOURCE	/* accept4(), asprintf() */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "log.h"
#include "metrics.h"
#include "metrics_http.h"

int metrics_http_open(struct metrics_http *h, const struct sockaddr *sa, socklen_t len,
		      const char *text, int (*render)(void *ctx, FILE *out), void *ctx)
{
	int one = 1, err;

	memset(h, 0, sizeof(*h));
	for (int i = 0; i < METRICS_HTTP_CONNS; i++)
		h->conn[i].fd = -1;
	h->render = render;
	h->ctx = ctx;
	h->lfd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->lfd < 0)
		goto fail;
	/* A restarted agent binds again at once, whatever TIME_WAIT is left. */
	if (setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	/* [::]:PORT means IPv6 only, as written; 0.0.0.0 says IPv4. */
	if (sa->sa_family == AF_INET6 &&
	    setsockopt(h->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		goto fail;
	if (bind(h->lfd, sa, len) || listen(h->lfd, 16))
		goto fail;
	return 0;
fail:
	err = -errno;
	pr_err("metrics %s: %s\n", text, strerror(-err));
	metrics_http_close(h);
	return err;
}

static void conn_close(struct metrics_http_conn *c)
{
	char sink[512];

	if (c->fd < 0)
		return;
	for (int i = 0; i < 8 && recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
		;
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->req_len = c->out_len = c->out_off = 0;
}

void metrics_http_close(struct metrics_http *h)
{
	/* Never opened (or failed before a socket): no slot holds an fd. */
	if (h->lfd < 0)
		return;
	for (int i = 0; i < METRICS_HTTP_CONNS; i++)
		conn_close(&h->conn[i]);
	if (h->lfd >= 0)
		close(h->lfd);
	h->lfd = -1;
}

/* A free slot, else the oldest one still reading; NULL if all are answering. */
static struct metrics_http_conn *slot_for_new(struct metrics_http *h)
{
	struct metrics_http_conn *oldest = NULL;

	for (int i = 0; i < METRICS_HTTP_CONNS; i++) {
		struct metrics_http_conn *c = &h->conn[i];

		if (c->fd < 0)
			return c;
		if (!c->out && (!oldest || c->accepted < oldest->accepted))
			oldest = c;
	}
	return oldest;
}

int metrics_http_pollfds(const struct metrics_http *h, struct pollfd *fds, int max, __u64 now)
{
	bool room = false;
	int n = 0;

	if (h->lfd < 0)
		return 0;
	for (int i = 0; i < METRICS_HTTP_CONNS; i++)
		room |= h->conn[i].fd < 0 || !h->conn[i].out;
	/* No slot to give, or no fd to take one: new connections wait in the backlog. */
	if (room && now >= h->accept_after && n < max)
		fds[n++] = (struct pollfd){ .fd = h->lfd, .events = POLLIN };
	for (int i = 0; i < METRICS_HTTP_CONNS && n < max; i++)
		if (h->conn[i].fd >= 0)
			fds[n++] = (struct pollfd){ .fd = h->conn[i].fd,
						    .events = h->conn[i].out ? POLLOUT : POLLIN };
	return n;
}

int metrics_http_timeout_ms(const struct metrics_http *h, __u64 now)
{
	__u64 first = 0;

	for (int i = 0; i < METRICS_HTTP_CONNS; i++)
		if (h->conn[i].fd >= 0 && (!first || h->conn[i].deadline < first))
			first = h->conn[i].deadline;
	if (h->lfd >= 0 && h->accept_after > now && (!first || h->accept_after < first))
		first = h->accept_after;
	if (!first)
		return -1;
	return first > now ? (int)((first - now + 999999) / 1000000) : 0;
}

int metrics_http_parse(const char *req, size_t len)
{
	static const char get[] = "GET ", path[] = "/metrics";
	const char *end = NULL, *sp;
	size_t plen;

	for (size_t i = 0; i + 1 < len && !end; i++) {
		if (req[i] == '\n' && req[i + 1] == '\n')
			end = req + i;
		else if (i + 3 < len && !memcmp(req + i, "\r\n\r\n", 4))
			end = req + i;
	}
	if (!end)
		return len >= METRICS_HTTP_REQUEST_MAX ? 400 : 0;
	/* "GET /metrics HTTP/1.x": the method, the target, a version. */
	if ((size_t)(end - req) < sizeof(get) || memcmp(req, get, sizeof(get) - 1))
		return 400;
	req += sizeof(get) - 1;
	sp = memchr(req, ' ', (size_t)(end - req));
	if (!sp || sp == req || *req != '/' || end - (sp + 1) < 8 || memcmp(sp + 1, "HTTP/1.", 7))
		return 400;
	plen = (size_t)(sp - req);
	/* A query string is no other resource. */
	for (size_t i = 0; i < plen; i++)
		if (req[i] == '?')
			plen = i;
	return plen == sizeof(path) - 1 && !memcmp(req, path, plen) ? 200 : 404;
}

/* The metrics text, rendered once per round at most. */
static int round_text(struct metrics_http *h, const char **text, size_t *len)
{
	char *body = NULL;
	size_t body_len = 0;
	FILE *b;
	int err;

	if (!h->cache) {
		b = open_memstream(&body, &body_len);
		if (!b)
			return -errno;
		err = h->render(h->ctx, b);
		if (fclose(b) && !err)
			err = -ENOMEM;
		if (err) {
			free(body);
			return err;
		}
		h->cache = body;
		h->cache_len = body_len;
	}
	*text = h->cache;
	*len = h->cache_len;
	return 0;
}

/* The whole answer (status line, headers, body) into c->out. */
static int conn_answer(struct metrics_http *h, struct metrics_http_conn *c, int code)
{
	const char *reason = code == 200 ? "OK" : code == 404 ? "Not Found" : "Bad Request";
	const char *type = code == 200 ? METRICS_CONTENT_TYPE : "text/plain; charset=utf-8";
	char short_body[64], *all = NULL;
	const char *body = short_body;
	size_t body_len = 0, all_len = 0;
	FILE *a;
	int err = 0;

	if (code == 200)
		err = round_text(h, &body, &body_len);
	if (err) {
		pr_warn("metrics: writing the answer: %s\n", strerror(-err));
		code = 500;
		reason = "Internal Server Error";
		type = "text/plain; charset=utf-8";
	}
	if (code != 200)
		body_len = (size_t)snprintf(short_body, sizeof(short_body), "%d %s\n", code, reason);
	a = open_memstream(&all, &all_len);
	if (!a)
		return -errno;
	fprintf(a, "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Connection: close\r\n\r\n", code, reason, type, body_len);
	fwrite(body, 1, body_len, a);
	if (fclose(a)) {
		free(all);
		return -ENOMEM;
	}
	c->out = all;
	c->out_len = all_len;
	c->out_off = 0;
	return 0;
}

/* Send what the socket takes; true once the connection is done with. */
static bool conn_send(struct metrics_http *h, struct metrics_http_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
		c->out_off += (size_t)n;
	}
	h->served++;
	return true;
}

/* Read what is there; once the request is whole, answer. True: done with. */
static bool conn_read(struct metrics_http *h, struct metrics_http_conn *c)
{
	ssize_t n;
	int code;

	n = recv(c->fd, c->req + c->req_len, sizeof(c->req) - c->req_len, MSG_DONTWAIT);
	if (n == 0)
		return true;	/* the client went before asking */
	if (n < 0)
		return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
	c->req_len += (size_t)n;
	code = metrics_http_parse(c->req, c->req_len);
	if (!code)
		return false;
	if (conn_answer(h, c, code))
		return true;
	return conn_send(h, c);
}

static void accept_new(struct metrics_http *h, __u64 now)
{
	for (int i = 0; i < METRICS_HTTP_ACCEPT_BUDGET; i++) {
		struct metrics_http_conn *c = slot_for_new(h);
		int fd;

		if (!c)
			return;		/* every slot answers: the rest wait in the backlog */
		fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			pr_debug("metrics: accept: %s\n", strerror(errno));
			/* Out of fds or memory: the backlog stays readable, poll() would spin. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				h->accept_after = now + METRICS_HTTP_ACCEPT_REST_NS;
			return;
		}
		/* Only now that someone is there: the slot's holder gives way. */
		if (c->fd >= 0) {
			pr_debug("metrics: %d connections: closing the oldest idle one\n",
				 METRICS_HTTP_CONNS);
			conn_close(c);
		}
		c->fd = fd;
		c->accepted = now;
		c->deadline = now + METRICS_HTTP_DEADLINE_NS;
	}
}

void metrics_http_process(struct metrics_http *h, const struct pollfd *fds, int n, __u64 now)
{
	bool listener = false;

	if (h->lfd < 0)
		return;
	/* The connections first: a request that is there is answered before accepting. */
	for (int i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		if (fds[i].fd == h->lfd) {
			listener = true;
			continue;
		}
		for (int k = 0; k < METRICS_HTTP_CONNS; k++) {
			struct metrics_http_conn *c = &h->conn[k];
			bool done;

			if (c->fd != fds[i].fd)
				continue;
			done = c->out ? conn_send(h, c) : conn_read(h, c);
			if (done)
				conn_close(c);
			break;
		}
	}
	free(h->cache);
	h->cache = NULL;
	if (listener)
		accept_new(h, now);
	for (int k = 0; k < METRICS_HTTP_CONNS; k++)
		if (h->conn[k].fd >= 0 && now >= h->conn[k].deadline)
			conn_close(&h->conn[k]);
}
