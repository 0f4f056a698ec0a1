/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's metrics endpoint: a minimal HTTP/1.0 responder that lives in
 * the agent's poll() loop. Non-blocking sockets, no threads: a slow or
 * stuck client costs a slot and at most METRICS_HTTP_DEADLINE_NS, never a
 * wait. `GET /metrics` is answered 200 with the text, any other path 404,
 * anything else 400; one request per connection, then it is closed.
 */
#ifndef BPFROUTE_METRICS_HTTP_H
#define BPFROUTE_METRICS_HTTP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <linux/types.h>

/* Connections served at once; METRICS_HTTP_CONNS + 1 pollfds at most. */
#define METRICS_HTTP_CONNS	8
/* From accept to the last byte of the answer. */
#define METRICS_HTTP_DEADLINE_NS (2ULL * 1000000000ULL)
/* A request's line and headers; a longer one is answered 400. */
#define METRICS_HTTP_REQUEST_MAX 2048
/* Connections taken from the kernel's backlog per round, at most. */
#define METRICS_HTTP_ACCEPT_BUDGET 16
/* After accept() failed for want of fds or memory: the listener rests. */
#define METRICS_HTTP_ACCEPT_REST_NS (100ULL * 1000000ULL)

struct metrics_http_conn {
	int fd;			/* -1: a free slot */
	__u64 deadline;		/* CLOCK_MONOTONIC ns */
	__u64 accepted;		/* the same clock: the oldest is evicted first */
	size_t req_len;
	char *out;		/* the answer being sent; NULL while reading */
	size_t out_len, out_off;
	char req[METRICS_HTTP_REQUEST_MAX];
};

struct metrics_http {
	int lfd;		/* the listening socket; -1: off */
	/* Writes the metrics text; 0 or -errno (then 500). */
	int (*render)(void *ctx, FILE *out);
	void *ctx;
	struct metrics_http_conn conn[METRICS_HTTP_CONNS];
	__u64 served;		/* answers sent whole, for the log */
	/*
	 * The text rendered in this round, shared by the requests it answers:
	 * 8 at once cost one render, and a round renders once at most. Freed
	 * at the end of the round, so no answer is older than its request.
	 */
	char *cache;
	size_t cache_len;
	__u64 accept_after;	/* the listener is not polled before then */
};

/*
 * Listen on the address (struct sockaddr_in or _in6). 0, or -errno and one
 * line on stderr naming the address.
 */
int metrics_http_open(struct metrics_http *h, const struct sockaddr *sa, socklen_t len,
		      const char *text, int (*render)(void *ctx, FILE *out), void *ctx);
void metrics_http_close(struct metrics_http *h);

/* The sockets to poll (the listener, each connection): how many were written. */
int metrics_http_pollfds(const struct metrics_http *h, struct pollfd *fds, int max, __u64 now);
/* Serve what poll() found ready, and close connections past their deadline. */
void metrics_http_process(struct metrics_http *h, const struct pollfd *fds, int n, __u64 now);
/* Milliseconds to the next deadline (or the listener's rest); -1: none. */
int metrics_http_timeout_ms(const struct metrics_http *h, __u64 now);

/* What a request asks for: 200 (GET /metrics), 404, 400; 0: incomplete yet. */
int metrics_http_parse(const char *req, size_t len);

#endif /* BPFROUTE_METRICS_HTTP_H */
