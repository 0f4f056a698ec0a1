// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * udp_flood: send small IPv4/UDP frames as fast as one CPU can, through an
 * AF_PACKET socket (PACKET_QDISC_BYPASS, sendmmsg), the destination address
 * cycling over N consecutive addresses. For tools/bench_forward.sh: the
 * frames are built once, so the per-packet cost is the socket's alone.
 *
 *	udp_flood IFNAME DST_MAC SRC_IP FIRST_DST_IP N SECONDS
 *
 * Prints the number of frames the kernel accepted and the number offered.
 */
#define _GNU_SOURCE	/* sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_LEN	60	/* 14 + 20 + 8 + 18 bytes of payload: minimum Ethernet */
#define BATCH		64
#define MAX_DESTS	(1u << 22)

static uint16_t ip_csum(const void *hdr, size_t len)
{
	const uint16_t *p = hdr;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *p++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll = { 0 };
	unsigned char dmac[ETH_ALEN], smac[ETH_ALEN];
	struct in_addr src, dst0;
	unsigned long n, i, next = 0, sent = 0, tried = 0;
	unsigned char *frames;
	double secs, end;
	struct ifreq ifr = { 0 };
	int fd, one = 1, ret = 1;

	if (argc != 7) {
		fprintf(stderr, "usage: %s IFNAME DST_MAC SRC_IP FIRST_DST_IP N SECONDS\n", argv[0]);
		return 2;
	}
	if (sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2],
		   &dmac[3], &dmac[4], &dmac[5]) != 6 ||
	    inet_pton(AF_INET, argv[3], &src) != 1 || inet_pton(AF_INET, argv[4], &dst0) != 1) {
		fprintf(stderr, "udp_flood: bad MAC or address\n");
		return 2;
	}
	n = strtoul(argv[5], NULL, 0);
	secs = atof(argv[6]);
	if (n == 0 || n > MAX_DESTS || secs <= 0 || secs > 60) {
		fprintf(stderr, "udp_flood: N must be 1..%u, SECONDS 0..60\n", MAX_DESTS);
		return 2;
	}

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("udp_flood: socket");
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("udp_flood: SIOCGIFHWADDR");
		goto cleanup;
	}
	memcpy(smac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	/* Skip the qdisc: the sender's cost should be the socket's, not TC's. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = if_nametoindex(argv[1]);
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, dmac, ETH_ALEN);
	if (!sll.sll_ifindex) {
		perror("udp_flood: if_nametoindex");
		goto cleanup;
	}

	frames = calloc(n, FRAME_LEN);
	if (!frames) {
		perror("udp_flood: calloc");
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		unsigned char *f = frames + i * FRAME_LEN;
		struct ether_header *eth = (void *)f;
		struct iphdr *ip = (void *)(f + sizeof(*eth));
		struct udphdr *udp = (void *)(ip + 1);

		memcpy(eth->ether_dhost, dmac, ETH_ALEN);
		memcpy(eth->ether_shost, smac, ETH_ALEN);
		eth->ether_type = htons(ETHERTYPE_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(FRAME_LEN - sizeof(*eth));
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->saddr = src.s_addr;
		ip->daddr = htonl(ntohl(dst0.s_addr) + i);
		ip->check = ip_csum(ip, sizeof(*ip));
		udp->source = htons(9000);
		udp->dest = htons(9);
		udp->len = htons(FRAME_LEN - sizeof(*eth) - sizeof(*ip));
		udp->check = 0;	/* optional in IPv4 (RFC 768) */
	}

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_name = &sll;
		msgs[i].msg_hdr.msg_namelen = sizeof(sll);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		iov[i].iov_len = FRAME_LEN;
	}

	end = now() + secs;
	while (now() < end) {
		int r;

		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = frames + next * FRAME_LEN;
			if (++next == n)
				next = 0;
		}
		r = sendmmsg(fd, msgs, BATCH, 0);
		/*
		 * A full veth ring refuses a frame (ENOBUFS, or a short count):
		 * the gateway, not the sender, is then the bottleneck. The
		 * refused frames are not sent again.
		 */
		tried += BATCH;
		if (r < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
			perror("udp_flood: sendmmsg");
			goto cleanup_frames;
		}
		if (r > 0)
			sent += r;
	}
	printf("%lu %lu\n", sent, tried);
	ret = 0;
cleanup_frames:
	free(frames);
cleanup:
	close(fd);
	return ret;
}
