/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * IPv4, IPv6, UDP, TCP and ARP frames for the classifier tests (test_tc,
 * test_xdp), built byte by byte from the RFCs with pkt.h's plumbing: lengths
 * and checksums right unless a test breaks them on purpose.
 *
 * Defaults: source SRC4 / SRC6, UDP when proto is 0, ports 40000 -> 443
 * (UDP to FRAMES_UDP_DPORT, which a test may define before including this).
 */
#ifndef BPFROUTE_FRAMES_H
#define BPFROUTE_FRAMES_H

#include <netinet/in.h>

#include "pkt.h"

#define SRC4		"192.0.2.1"
#define SRC6		"2001:db8:ffff::1"

#ifndef FRAMES_UDP_DPORT
#define FRAMES_UDP_DPORT	443
#endif

/* IPv6 extension headers (RFC 8200 section 4). */
#define NH_HOPOPTS	0
#define NH_ROUTING	43
#define NH_FRAGMENT	44
#define NH_DSTOPTS	60

/*
 * Appends a UDP or TCP header (RFC 768, RFC 9293 section 3.1) and payload
 * bytes (none of either for another proto); returns the L4 start. The
 * checksum is set by the caller once the addresses are in place.
 */
static inline __u8 *put_l4(struct pkt *p, __u8 proto, __u16 sport, __u16 dport, size_t payload)
{
	__u8 *l4 = p->data + p->len;

	if (proto == IPPROTO_TCP) {
		__u8 *th = pkt_put(p, NULL, 20);

		put_be16(th, sport);
		put_be16(th + 2, dport);
		put_be32(th + 4, 0x01020304);	/* sequence */
		put_be32(th + 8, 0x0a0b0c0d);	/* acknowledgment */
		th[12] = 5 << 4;		/* data offset: 20 bytes */
		th[13] = TCP_PSH_ACK;
		put_be16(th + 14, 0xffff);	/* window */
	} else if (proto == IPPROTO_UDP) {
		__u8 *uh = pkt_put(p, NULL, 8);

		put_be16(uh, sport);
		put_be16(uh + 2, dport);
		put_be16(uh + 4, (__u16)(8 + payload));
	}
	for (size_t i = 0; i < payload; i++)
		*pkt_put(p, NULL, 1) = (__u8)(i * 7 + 3);
	return l4;
}

static inline void set_l4_csum(__u8 proto, __u8 *l4, size_t len, const __u8 *saddr,
			       const __u8 *daddr, size_t alen)
{
	size_t off = proto == IPPROTO_TCP ? 16 : 6;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return;
	put_be16(l4 + off, 0);
	put_be16(l4 + off, l4_csum(saddr, daddr, alen, proto, l4, len));
}

static inline __u16 frames_dport(__u8 proto, __u16 dport)
{
	if (dport)
		return dport;
	return proto == IPPROTO_UDP ? FRAMES_UDP_DPORT : 443;
}

struct ip4_spec {
	const char *src;	/* NULL: SRC4 */
	const char *dst;
	__u8 ttl;
	__u8 proto;		/* 0: UDP */
	__u16 sport;		/* 0: 40000 */
	__u16 dport;		/* 0: 443, UDP FRAMES_UDP_DPORT */
	__u16 frag_off;		/* host order: IP4_MF | IP4_DF | offset in 8-byte units */
	__u16 id;
	__u8 tos;
	__u8 opt_len;		/* bytes of IP options, a multiple of 4, at most 40 */
	__u16 payload;		/* bytes after the L4 header */
};

/*
 * Ethernet (from mac_peer to dst_mac) + IPv4 (RFC 791) + UDP or TCP. A
 * fragment with a non-zero offset carries payload only; a first fragment's
 * L4 checksum would cover the whole datagram, so it is left zero.
 */
static inline void pkt_ipv4(struct pkt *p, const __u8 *dst_mac, const struct ip4_spec *s)
{
	size_t hlen = 20 + s->opt_len, l3, l4;
	bool later_frag = s->frag_off & 0x1fff;
	__u8 proto = s->proto ? s->proto : IPPROTO_UDP;
	__u8 *ip;

	pkt_eth(p, dst_mac, ETH_P_IP);
	l3 = p->len;
	ip = pkt_put(p, NULL, hlen);
	ip[0] = (__u8)(0x40 | hlen / 4);
	ip[1] = s->tos;
	put_be16(ip + IP4_ID, s->id);
	put_be16(ip + IP4_FRAG_OFF, s->frag_off);
	ip[IP4_TTL] = s->ttl;
	ip[IP4_PROTO] = proto;
	parse_addr(AF_INET, s->src ? s->src : SRC4, ip + IP4_SADDR);
	parse_addr(AF_INET, s->dst, ip + IP4_DADDR);
	if (s->opt_len) {
		/* Router Alert (RFC 2113), then no-ops up to the length. */
		memset(ip + 20, 0x01, s->opt_len);
		ip[20] = 0x94;
		ip[21] = 4;
		ip[22] = ip[23] = 0;
	}
	l4 = p->len;
	put_l4(p, later_frag ? 0 : proto, s->sport ? s->sport : 40000,
	       frames_dport(proto, s->dport), s->payload);
	put_be16(ip + IP4_TOT_LEN, (__u16)(p->len - l3));
	if (!(s->frag_off & (IP4_MF | 0x1fff)))
		set_l4_csum(proto, p->data + l4, p->len - l4, ip + IP4_SADDR, ip + IP4_DADDR, 4);
	put_be16(ip + IP4_CHECK, ipv4_csum(ip));
}

struct ip6_spec {
	const char *src;	/* NULL: SRC6 */
	const char *dst;
	__u8 hop_limit;
	__u8 proto;		/* 0: UDP */
	__u16 sport;		/* 0: 40000 */
	__u16 dport;		/* 0: 443, UDP FRAMES_UDP_DPORT */
	__u16 payload;		/* bytes after the L4 header */
	bool ext;		/* hop-by-hop, routing, fragment, destination options */
};

/* Appends an 8-byte options header (hop-by-hop or destination) of PadN. */
static inline void put_opts_hdr(struct pkt *p, __u8 next)
{
	__u8 *h = pkt_put(p, NULL, 8);

	h[0] = next;
	h[1] = 0;		/* length in 8-byte units, not counting the first */
	h[2] = 1;		/* PadN (RFC 8200 section 4.2) */
	h[3] = 4;
}

/* Ethernet + IPv6 (RFC 8200 section 3) + UDP or TCP. */
static inline void pkt_ipv6(struct pkt *p, const __u8 *dst_mac, const struct ip6_spec *s)
{
	__u8 proto = s->proto ? s->proto : IPPROTO_UDP;
	size_t l3, l4;
	__u8 *ip6, *h;

	pkt_eth(p, dst_mac, ETH_P_IPV6);
	l3 = p->len;
	ip6 = pkt_put(p, NULL, IP6_HLEN);
	put_be32(ip6, 6u << 28 | 0x2e << 20 | 0x12345);	/* version, class, flow */
	ip6[IP6_HOP_LIMIT] = s->hop_limit;
	parse_addr(AF_INET6, s->src ? s->src : SRC6, ip6 + IP6_SADDR);
	parse_addr(AF_INET6, s->dst, ip6 + IP6_DADDR);
	if (s->ext) {
		/* In the order of RFC 8200 section 4.1. */
		ip6[IP6_NEXT] = NH_HOPOPTS;
		put_opts_hdr(p, NH_ROUTING);
		/* Segment Routing Header (RFC 8754), segments left 0: done. */
		h = pkt_put(p, NULL, 8 + 16);
		h[0] = NH_FRAGMENT;
		h[1] = 2;		/* 16 bytes past the first 8 */
		h[2] = 4;		/* routing type: SRH */
		h[3] = 0;		/* segments left */
		h[4] = 0;		/* last entry */
		memcpy(h + 8, ip6 + IP6_DADDR, 16);
		/* An atomic fragment (RFC 6946): offset 0, no M flag. */
		h = pkt_put(p, NULL, 8);
		h[0] = NH_DSTOPTS;
		put_be32(h + 4, 0x0badcafe);	/* identification */
		put_opts_hdr(p, proto);
	} else {
		ip6[IP6_NEXT] = proto;
	}
	l4 = p->len;
	put_l4(p, proto, s->sport ? s->sport : 40000, frames_dport(proto, s->dport), s->payload);
	put_be16(ip6 + IP6_PLEN, (__u16)(p->len - l3 - IP6_HLEN));
	set_l4_csum(proto, p->data + l4, p->len - l4, ip6 + IP6_SADDR, ip6 + IP6_DADDR, 16);
}

/* An ARP request (RFC 826) from mac_peer / SRC4 for 192.0.2.254, unicast to dst_mac. */
static inline void pkt_arp(struct pkt *p, const __u8 *dst_mac)
{
	__u8 *arp;

	pkt_eth(p, dst_mac, ETH_P_ARP);
	arp = pkt_put(p, NULL, 28);
	put_be16(arp, 1);		/* hardware: Ethernet */
	put_be16(arp + 2, ETH_P_IP);
	arp[4] = ETH_ALEN;
	arp[5] = 4;
	put_be16(arp + 6, 1);		/* request */
	memcpy(arp + 8, mac_peer, ETH_ALEN);
	parse_addr(AF_INET, SRC4, arp + 14);
	parse_addr(AF_INET, "192.0.2.254", arp + 24);
}

#endif /* BPFROUTE_FRAMES_H */
