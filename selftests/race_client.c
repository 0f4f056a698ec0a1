// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * race_client: is a route learned from a DNS answer in place by the time the
 * client that asked can use the answer?
 *
 * For i in [first, first + count): resolve a fresh name (PATTERN with "%d"
 * replaced by i) with getaddrinfo(), as any application would, connect at
 * once to the first address on PORT, send an HTTP/1.0 request and read the
 * reply. The testbed's private service answers "private", the decoy at the
 * same address "decoy": a connection that reached anything but "private"
 * overtook its route. Each name must resolve to an address of its own, or
 * only the first connection races.
 *
 *	race_client [-6|-4] [-n COUNT] [-f FIRST] [-p PORT] [-t MS] [-T S] PATTERN
 *
 * Prints "private N other N failed N" (failed: no reply at all); details of
 * the first few misses go to stderr. Exits 0 if every reply was "private",
 * 1 if not, 2 on bad usage. Every step is bounded: -t per connection
 * (connect, send and read each), -T for the whole run.
 *
 * libc only, so that it measures the name service path of ordinary programs.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#define WANT "private"
#define NAME_MAX_LEN 254
#define REPLY_MAX 4096
#define SHOW_MISSES 10

struct opts {
	int family;
	long first;
	long count;
	const char *port;
	int timeout_ms;
	int total_s;
	const char *pattern;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: race_client [-6|-4] [-n COUNT] [-f FIRST] [-p PORT] [-t MS] [-T S] PATTERN\n"
		"  PATTERN  a host name with one %%d, replaced by the index (r%%d.race.example.com)\n"
		"  -6, -4   resolve AAAA or A only (default: either, first address used)\n"
		"  -n       names to try (default 100)    -f  first index (default 0)\n"
		"  -p       TCP port (default 8080)        -t  per-step timeout in ms (default 3000)\n"
		"  -T       limit of the whole run in s (default 300)\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The pattern must hold exactly one "%d" and no other '%'. */
static bool pattern_ok(const char *p)
{
	const char *d = strstr(p, "%d");

	if (!d || strchr(d + 2, '%'))
		return false;
	for (const char *c = p; c < d; c++)
		if (*c == '%')
			return false;
	return strlen(p) < NAME_MAX_LEN - 20;
}

static void make_name(const char *pattern, long i, char *out, size_t len)
{
	const char *d = strstr(pattern, "%d");

	snprintf(out, len, "%.*s%ld%s", (int)(d - pattern), pattern, i, d + 2);
}

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	do
		rc = poll(&p, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return -ETIMEDOUT;
	return rc < 0 ? -errno : 0;
}

/* Non-blocking connect bounded by timeout_ms. */
static int connect_timeout(int fd, const struct addrinfo *ai, int timeout_ms)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	err = wait_fd(fd, POLLOUT, timeout_ms);
	if (err)
		return err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return -err;
}

static int send_all(int fd, const char *buf, size_t len, int timeout_ms)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			int err = wait_fd(fd, POLLOUT, timeout_ms);

			if (err)
				return err;
			continue;
		}
		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until EOF, the buffer is full, or timeout_ms without data. */
static int recv_all(int fd, char *buf, size_t size, size_t *got, int timeout_ms)
{
	*got = 0;
	while (*got + 1 < size) {
		ssize_t n;
		int err = wait_fd(fd, POLLIN, timeout_ms);

		if (err)
			return err;
		n = recv(fd, buf + *got, size - 1 - *got, 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		*got += (size_t)n;
	}
	buf[*got] = '\0';
	return 0;
}

/* The reply's body, its trailing white space cut, in place. */
static char *body_of(char *reply)
{
	char *b = strstr(reply, "\r\n\r\n");
	size_t len;

	if (!b)
		return NULL;
	b += 4;
	len = strlen(b);
	while (len && (b[len - 1] == '\n' || b[len - 1] == '\r' || b[len - 1] == ' '))
		b[--len] = '\0';
	return b;
}

enum outcome { GOT_PRIVATE, GOT_OTHER, GOT_NOTHING };

static enum outcome try_one(const struct opts *o, const char *name, char *what, size_t whatlen)
{
	struct addrinfo hints = {
		.ai_family = o->family,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_ADDRCONFIG,
	};
	char addr[INET6_ADDRSTRLEN] = "?", req[NAME_MAX_LEN + 64], reply[REPLY_MAX];
	struct addrinfo *ai = NULL;
	enum outcome res = GOT_NOTHING;
	size_t got;
	char *body;
	int fd = -1, rc;

	rc = getaddrinfo(name, o->port, &hints, &ai);
	if (rc) {
		snprintf(what, whatlen, "getaddrinfo: %s", gai_strerror(rc));
		return GOT_NOTHING;
	}
	if (ai->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, addr,
			  sizeof(addr));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr,
			  sizeof(addr));

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(what, whatlen, "%s: socket: %s", addr, strerror(errno));
		goto cleanup;
	}
	rc = connect_timeout(fd, ai, o->timeout_ms);
	if (rc) {
		snprintf(what, whatlen, "%s: connect: %s", addr, strerror(-rc));
		goto cleanup;
	}
	snprintf(req, sizeof(req), "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", name);
	rc = send_all(fd, req, strlen(req), o->timeout_ms);
	if (rc) {
		snprintf(what, whatlen, "%s: send: %s", addr, strerror(-rc));
		goto cleanup;
	}
	rc = recv_all(fd, reply, sizeof(reply), &got, o->timeout_ms);
	if (rc && !got) {
		snprintf(what, whatlen, "%s: recv: %s", addr, strerror(-rc));
		goto cleanup;
	}
	body = body_of(reply);
	if (body && !strcmp(body, WANT)) {
		res = GOT_PRIVATE;
	} else {
		res = GOT_OTHER;
		snprintf(what, whatlen, "%s: reply '%.40s'", addr, body ? body : reply);
	}
cleanup:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return res;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.family = AF_UNSPEC,
		.count = 100,
		.port = "8080",
		.timeout_ms = 3000,
		.total_s = 300,
	};
	long n_private = 0, n_other = 0, n_failed = 0, i, v;
	char name[NAME_MAX_LEN], what[256];
	double start, deadline;
	int opt, shown = 0;

	while ((opt = getopt(argc, argv, "64n:f:p:t:T:h")) != -1) {
		switch (opt) {
		case '6':
			o.family = AF_INET6;
			break;
		case '4':
			o.family = AF_INET;
			break;
		case 'n':
			if (parse_long(optarg, 1, 1000000, &o.count))
				goto bad;
			break;
		case 'f':
			if (parse_long(optarg, 0, 100000000, &o.first))
				goto bad;
			break;
		case 'p':
			if (parse_long(optarg, 1, 65535, &v))
				goto bad;
			o.port = optarg;
			break;
		case 't':
			if (parse_long(optarg, 1, 60000, &v))
				goto bad;
			o.timeout_ms = (int)v;
			break;
		case 'T':
			if (parse_long(optarg, 1, 3600, &v))
				goto bad;
			o.total_s = (int)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind + 1 != argc || !pattern_ok(argv[optind]))
		goto bad;
	o.pattern = argv[optind];

	start = now_s();
	deadline = start + o.total_s;
	for (i = o.first; i < o.first + o.count; i++) {
		if (now_s() > deadline) {
			fprintf(stderr, "race_client: time limit of %d s reached after %ld names\n",
				o.total_s, i - o.first);
			break;
		}
		make_name(o.pattern, i, name, sizeof(name));
		what[0] = '\0';
		switch (try_one(&o, name, what, sizeof(what))) {
		case GOT_PRIVATE:
			n_private++;
			continue;
		case GOT_OTHER:
			n_other++;
			break;
		case GOT_NOTHING:
			n_failed++;
			break;
		}
		if (shown++ < SHOW_MISSES)
			fprintf(stderr, "race_client: %s: %s\n", name, what);
	}
	printf("private %ld other %ld failed %ld in %.1f s\n", n_private, n_other, n_failed,
	       now_s() - start);
	return n_private == o.count ? 0 : 1;
bad:
	usage(stderr);
	return 2;
}
