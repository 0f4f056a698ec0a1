/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The frame layout shared by tools/xdp_flood.bpf.c (which rewrites frames)
 * and tools/xdp_flood.c (which builds the template): byte offsets into an
 * untagged Ethernet frame.
 */
#ifndef XDP_FLOOD_H
#define XDP_FLOOD_H

#define XDP_FLOOD_LEN4		60	/* Ethernet + IPv4 + UDP + 18 bytes: Ethernet's minimum */
#define XDP_FLOOD_LEN6		64	/* Ethernet + IPv6 + UDP + 2 bytes */

/*
 * What the program writes from the template on every frame: the headers
 * (42 bytes for IPv4, 62 for IPv6) rounded up to whole 64-bit words, so
 * the copy is a few word stores.
 */
#define XDP_FLOOD_COPY4		48
#define XDP_FLOOD_COPY6		64
#define XDP_FLOOD_TMPL_WORDS	(XDP_FLOOD_COPY6 / 8)

/*
 * The 32 bits of the destination that cycle, and the one checksum that
 * covers them: the IPv4 header checksum; for IPv6 (no header checksum) the
 * UDP checksum, whose pseudo-header holds the destination (RFC 8200 8.1).
 */
#define XDP_FLOOD_DST4		30	/* 14 + offsetof(struct iphdr, daddr) */
#define XDP_FLOOD_CSUM4		24	/* 14 + offsetof(struct iphdr, check) */
#define XDP_FLOOD_DST6		50	/* 14 + 24 + 12: the last word of daddr */
#define XDP_FLOOD_CSUM6		60	/* 14 + 40 + offsetof(struct udphdr, check) */

/*
 * With -z, the destinations' offsets come from a drawn sequence of this many
 * (a power of two), sent over and over.
 */
#define XDP_FLOOD_ORDER_LEN	(1U << 20)

#endif /* XDP_FLOOD_H */
