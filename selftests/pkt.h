/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Frames for the BPF unit tests (test_tc, test_dns, test_nat), built byte by
 * byte from the RFCs, and the plumbing every one of them needs around
 * BPF_PROG_TEST_RUN: big-endian fields, the Internet checksum from first
 * principles, the Ethernet header, addresses, running a program once,
 * comparing frames, summing the per-CPU counters, a network namespace of
 * our own. Nothing here shares code with the BPF programs: a test that
 * agrees with them agrees with the RFCs.
 *
 * A test may define PKT_MAX before including this file to size struct pkt.
 * A fixture that does not fit, or an address that is not one, is a bug of
 * the test: it aborts.
 */
#ifndef BPFROUTE_PKT_H
#define BPFROUTE_PKT_H

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>
#include <linux/if_ether.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_abi.h"
#include "test.h"

/* test_run takes at most about a page of packet data. */
#ifndef PKT_MAX
#define PKT_MAX		2048
#endif

/* IPv4 header fields, offsets from the start of the header (RFC 791). */
#define IP4_HLEN	20
#define IP4_TOT_LEN	2
#define IP4_ID		4
#define IP4_FRAG_OFF	6
#define IP4_TTL		8
#define IP4_PROTO	9
#define IP4_CHECK	10
#define IP4_SADDR	12
#define IP4_DADDR	16
#define IP4_MF		0x2000
#define IP4_DF		0x4000

/* IPv6 fixed header fields (RFC 8200 section 3). */
#define IP6_PLEN	4
#define IP6_NEXT	6
#define IP6_HOP_LIMIT	7
#define IP6_SADDR	8
#define IP6_DADDR	24
#define IP6_HLEN	40

/* TCP flags (RFC 9293 section 3.1). */
#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_PSH		0x08
#define TCP_ACK		0x10
#define TCP_PSH_ACK	(TCP_PSH | TCP_ACK)

/* lo's address: eth_type_trans() makes a frame to it PACKET_HOST. */
static const __u8 mac_us[ETH_ALEN] = { 0 };
/* The neighbour every test frame comes from. */
static const __u8 mac_peer[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };

/* An assertion message built on the spot: MSG(buf, "%s: verdict", what). */
#define MSG(buf, fmt, ...) (snprintf(buf, sizeof(buf), fmt, ##__VA_ARGS__), buf)

struct pkt {
	__u8 data[PKT_MAX];
	size_t len;
};

static inline void put_be16(__u8 *b, __u16 v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static inline __u16 get_be16(const __u8 *b)
{
	return (__u16)(b[0] << 8 | b[1]);
}

static inline void put_be32(__u8 *b, __u32 v)
{
	put_be16(b, v >> 16);
	put_be16(b + 2, v & 0xffff);
}

/*
 * Appends n bytes, copied from src or zero; returns where they start.
 * Pointers into p->data stay valid: it is an array, never moved.
 */
static inline __u8 *pkt_put(struct pkt *p, const void *src, size_t n)
{
	__u8 *at = p->data + p->len;

	if (p->len + n > sizeof(p->data)) {
		fprintf(stderr, "test bug: fixture of %zu bytes overflows\n", p->len + n);
		abort();
	}
	if (src)
		memcpy(at, src, n);
	else
		memset(at, 0, n);
	p->len += n;
	return at;
}

/* family is AF_INET or AF_INET6. */
static inline void parse_addr(int family, const char *s, void *dst)
{
	if (inet_pton(family, s, dst) != 1) {
		fprintf(stderr, "test bug: bad address %s\n", s);
		abort();
	}
}

/* Starts a frame: an Ethernet header from mac_peer to dst. */
static inline void pkt_eth(struct pkt *p, const __u8 *dst, __u16 proto)
{
	__u8 *eth;

	p->len = 0;
	eth = pkt_put(p, NULL, ETH_HLEN);
	memcpy(eth, dst, ETH_ALEN);
	memcpy(eth + ETH_ALEN, mac_peer, ETH_ALEN);
	put_be16(eth + 2 * ETH_ALEN, proto);
}

/*
 * The Internet checksum from first principles (RFC 1071): the one's
 * complement sum of big-endian 16-bit words, carries folded back in. Written
 * byte by byte so that it shares nothing with the programs' arithmetic.
 */
static inline __u32 csum_add(__u32 sum, const __u8 *b, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (__u32)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (__u32)b[n - 1] << 8;
	return sum;
}

static inline __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* The value the IPv4 header checksum field must hold (the field read as 0). */
static inline __u16 ipv4_csum(const __u8 *iph)
{
	size_t hlen = (size_t)(iph[0] & 0x0f) * 4;
	__u32 sum;

	sum = csum_add(0, iph, IP4_CHECK);
	sum = csum_add(sum, iph + IP4_CHECK + 2, hlen - IP4_CHECK - 2);
	return (__u16)~csum_fold(sum);
}

/* What a receiver checks (RFC 1071 section 1): the whole header sums to -0. */
static inline bool ipv4_csum_valid(const __u8 *iph)
{
	return csum_fold(csum_add(0, iph, (size_t)(iph[0] & 0x0f) * 4)) == 0xffff;
}

/*
 * The sum of a pseudo-header (RFC 768, RFC 793, RFC 8200 section 8.1,
 * RFC 4443 section 2.3): both addresses, the protocol (a zero byte and the
 * protocol make one big-endian word), the length (IPv6 has 32 bits of it;
 * the high half is zero here).
 */
static inline __u32 pseudo_sum(const __u8 *saddr, const __u8 *daddr, size_t alen, __u8 proto,
			       size_t len)
{
	__u32 sum = csum_add(0, saddr, alen);

	sum = csum_add(sum, daddr, alen);
	return sum + proto + (__u32)len;
}

/*
 * The checksum field value of an L4 message whose own field reads as zero:
 * with a pseudo-header (TCP, UDP, ICMPv6) or without (ICMPv4: saddr NULL).
 * UDP sends a computed zero as all ones: zero means "no checksum" (RFC 768).
 */
static inline __u16 l4_csum(const __u8 *saddr, const __u8 *daddr, size_t alen, __u8 proto,
			    const __u8 *l4, size_t len)
{
	__u32 sum = saddr ? pseudo_sum(saddr, daddr, alen, proto, len) : 0;
	__u16 c = (__u16)~csum_fold(csum_add(sum, l4, len));

	return proto == IPPROTO_UDP && c == 0 ? 0xffff : c;
}

/* What a receiver checks of an L4 message: with its pseudo-header it sums to -0. */
static inline bool l4_csum_valid(const __u8 *saddr, const __u8 *daddr, size_t alen, __u8 proto,
				 const __u8 *l4, size_t len)
{
	__u32 sum = saddr ? pseudo_sum(saddr, daddr, alen, proto, len) : 0;

	return csum_fold(csum_add(sum, l4, len)) == 0xffff;
}

/*
 * The frame a router forwards: the same bytes, TTL or hop limit one less
 * and, for IPv4, the header checksum computed anew from scratch.
 */
static inline void pkt_forwarded(const struct pkt *in, struct pkt *out)
{
	__u8 *l3;

	*out = *in;
	l3 = out->data + ETH_HLEN;
	if (get_be16(out->data + 2 * ETH_ALEN) == ETH_P_IP) {
		l3[IP4_TTL]--;
		put_be16(l3 + IP4_CHECK, ipv4_csum(l3));
	} else {
		l3[IP6_HOP_LIMIT]--;
	}
}

/*
 * One BPF_PROG_TEST_RUN of a frame, with the skb fields of ctx (the device
 * it arrives on, ...) or none: 0 or -1 with errno, as the syscall says.
 */
static inline int run_skb(int prog_fd, const struct pkt *in, struct __sk_buff *ctx,
			  __u32 *retval, struct pkt *out)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in->data,
		.data_size_in = (__u32)in->len,
		.data_out = out->data,
		.data_size_out = sizeof(out->data),
		.ctx_in = ctx,
		.ctx_size_in = ctx ? sizeof(*ctx) : 0,
		.repeat = 1,
	);
	int err;

	err = bpf_prog_test_run_opts(prog_fd, &opts);
	*retval = opts.retval;
	out->len = opts.data_size_out;
	return err;
}

/*
 * Give the TCP segment of an Ethernet frame (IPv4 without options or IPv6
 * without extension headers, TCP with a payload of n bytes) these flags and
 * n bytes of options (a multiple of 4, at most 40) in place of its payload;
 * the checksum computed anew.
 */
static inline void pkt_tcp_options(struct pkt *p, __u8 flags, const __u8 *opts, size_t n)
{
	__u8 *l3 = p->data + ETH_HLEN;
	bool v4 = (l3[0] >> 4) == 4;
	size_t alen = v4 ? 4 : 16;
	const __u8 *saddr = l3 + (v4 ? IP4_SADDR : IP6_SADDR);
	__u8 *l4 = l3 + (v4 ? IP4_HLEN : IP6_HLEN);
	size_t len = p->len - (size_t)(l4 - p->data);

	if (n % 4 || n > 40 || len != 20 + n) {
		fprintf(stderr, "test bug: %zu bytes of TCP options in %zu bytes of TCP\n", n,
			len);
		abort();
	}
	l4[12] = (__u8)((5 + n / 4) << 4);
	l4[13] = flags;
	if (n)
		memcpy(l4 + 20, opts, n);
	put_be16(l4 + 16, 0);
	put_be16(l4 + 16, l4_csum(saddr, saddr + alen, alen, 6 /* TCP */, l4, len));
}

/* A shell command, formatted: system()'s status. */
static inline int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* One BPF_PROG_TEST_RUN of a frame: 0 or -errno's errno, as the syscall says. */
static inline int run_once(int prog_fd, const struct pkt *in, __u32 *retval, struct pkt *out)
{
	return run_skb(prog_fd, in, NULL, retval, out);
}

/* Compares two frames and names the first byte that differs. */
static inline bool expect_frame(const struct pkt *got, const struct pkt *want, const char *what)
{
	char m[256];

	if (!ASSERT_EQ(got->len, want->len, MSG(m, "%s: output frame length", what)))
		return false;
	for (size_t i = 0; i < got->len; i++) {
		if (got->data[i] == want->data[i])
			continue;
		return ASSERT_EQ(got->data[i], want->data[i],
				 MSG(m, "%s: output byte %zu (L3 offset %ld)", what, i,
				     (long)i - ETH_HLEN));
	}
	return true;
}

/* Each of the first rows rows of a per-CPU array map, summed over the CPUs. */
static inline bool percpu_sum(int fd, __u32 rows, __u64 *out)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu > 0 ? ncpu : 1];

	if (!ASSERT_TRUE(ncpu > 0, "libbpf_num_possible_cpus() > 0"))
		return false;
	memset(out, 0, rows * sizeof(*out));
	for (__u32 i = 0; i < rows; i++) {
		if (!ASSERT_OK(bpf_map_lookup_elem(fd, &i, vals) ? -errno : 0, "stats lookup"))
			return false;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	return true;
}

/* libbpf's messages, less its debugging chatter. */
static inline int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/*
 * test_run classifies frames against lo of the caller's namespace: a
 * namespace of our own keeps the host out of it. Needs _GNU_SOURCE before
 * the first include. Returns whether we got one; if not, says so and the
 * tests run in the caller's namespace.
 */
static inline bool private_netns(void)
{
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "  note: unshare(CLONE_NEWNET): %s; running in the caller's "
			"network namespace\n", strerror(errno));
		return false;
	}
	return true;
}

/*
 * A counter's name for failure messages: stat_name() of user/maps.c, the
 * one table `bpfroute status` prints (tests link it with $(TABLE_SRCS)).
 */
#include "maps.h"

#endif /* BPFROUTE_PKT_H */
