// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A TCP SYN flood with forged IPv4 sources, for the end-to-end masquerade
 * test (selftests/test_e2e_nat.sh): COUNT SYNs to DST:DPORT, each from a
 * random address of SRC/PLEN and a random port of 32768..60999 (Linux's
 * ephemeral range, where the gateway's own port choices lie too), through a
 * raw socket (IP_HDRINCL: the kernel sends the forged source as written),
 * at most RATE a second, and never longer than SECONDS.
 *
 *	syn_flood SRC/PLEN DST DPORT COUNT RATE SECONDS
 *
 * Prints "sent N in T ms" and exits 0 once COUNT are sent, 1 if time ran
 * out first, 2 on an error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH	64
#define PKT_LEN	40	/* IPv4 and TCP headers, no options, no payload */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: fast, and seeded per run; no cryptography needed. */
static uint64_t rnd_state;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (uint32_t)((rnd_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A SYN from saddr:sport (network order address, host order port), checksums right. */
static void build(uint8_t *pkt, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport)
{
	uint8_t *ip = pkt, *tcp = pkt + 20;
	uint32_t s;

	memset(pkt, 0, PKT_LEN);
	ip[0] = 0x45;
	put16(ip + 2, PKT_LEN);
	put16(ip + 4, (uint16_t)rnd());
	put16(ip + 6, 0x4000);		/* don't fragment */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));

	put16(tcp, sport);
	put16(tcp + 2, dport);
	put16(tcp + 4, (uint16_t)rnd());	/* sequence number */
	put16(tcp + 6, (uint16_t)rnd());
	tcp[12] = 5 << 4;
	tcp[13] = 0x02;			/* SYN */
	put16(tcp + 14, 64240);
	s = csum_add(0, ip + 12, 8);	/* pseudo-header: addresses, protocol, length */
	s += IPPROTO_TCP + 20;
	put16(tcp + 16, csum_fold(csum_add(s, tcp, 20)));
}

int main(int argc, char **argv)
{
	static uint8_t pkts[BATCH][PKT_LEN];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned long count, rate, secs, sent = 0;
	uint32_t base, mask, daddr;
	uint64_t start, deadline;
	char *slash;
	int plen, fd, one = 1;
	uint16_t dport;

	if (argc != 7) {
		fprintf(stderr, "usage: %s SRC/PLEN DST DPORT COUNT RATE SECONDS\n", argv[0]);
		return 2;
	}
	slash = strchr(argv[1], '/');
	plen = slash ? atoi(slash + 1) : 32;
	if (slash)
		*slash = 0;
	if (inet_pton(AF_INET, argv[1], &base) != 1 || plen < 8 || plen > 32 ||
	    inet_pton(AF_INET, argv[2], &daddr) != 1) {
		fprintf(stderr, "%s: bad address\n", argv[0]);
		return 2;
	}
	dport = (uint16_t)strtoul(argv[3], NULL, 10);
	count = strtoul(argv[4], NULL, 10);
	rate = strtoul(argv[5], NULL, 10);
	secs = strtoul(argv[6], NULL, 10);
	if (!dport || !count || !rate || !secs || secs > 600) {
		fprintf(stderr, "%s: bad port, count, rate or seconds (at most 600)\n", argv[0]);
		return 2;
	}
	mask = plen == 32 ? 0 : 0xffffffffU >> plen;	/* host order: the random bits */
	base = ntohl(base) & ~mask;
	to.sin_addr.s_addr = daddr;

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one))) {
		perror("raw socket");
		return 2;
	}
	rnd_state = now_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	start = now_ns();
	deadline = start + secs * 1000000000ULL;
	while (sent < count && now_ns() < deadline) {
		unsigned int n = count - sent < BATCH ? (unsigned int)(count - sent) : BATCH;
		uint64_t due = start + (uint64_t)(sent + n) * 1000000000ULL / rate;
		int got;

		for (unsigned int i = 0; i < n; i++) {
			uint32_t host = mask ? rnd() & mask : 0;

			/* Neither the subnet's own address nor its broadcast. */
			if (mask && (host == 0 || host == mask))
				host = 1;
			build(pkts[i], htonl(base | host), daddr,
			      (uint16_t)(32768 + rnd() % (60999 - 32768 + 1)), dport);
			iov[i] = (struct iovec){ .iov_base = pkts[i], .iov_len = PKT_LEN };
			msgs[i] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &to, .msg_namelen = sizeof(to),
				.msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		got = sendmmsg(fd, msgs, n, 0);
		if (got < 0 && errno != ENOBUFS && errno != EAGAIN) {
			perror("sendmmsg");
			close(fd);
			return 2;
		}
		sent += got > 0 ? (unsigned long)got : 0;
		while (now_ns() < due && now_ns() < deadline)
			usleep(200);
	}
	close(fd);
	printf("sent %lu in %llu ms\n", sent, (unsigned long long)((now_ns() - start) / 1000000));
	return sent == count ? 0 : 1;
}
