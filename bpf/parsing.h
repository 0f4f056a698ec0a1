/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Header parsing for the classifiers. Each helper bounds-checks the header
 * against data_end before the caller may touch it, and returns NULL when the
 * packet is too short to hold it.
 */
#ifndef BPFROUTE_PARSING_H
#define BPFROUTE_PARSING_H

/* vmlinux.h carries no macros; the few constants we need, from the uapi. */
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define PACKET_HOST	0
#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define IP_MF		0x2000	/* iphdr.frag_off, host order */
#define IP_OFFSET	0x1fff
#define ETH_HLEN	14
#define E2BIG		7
#define EEXIST		17

struct hdr_cursor {
	void *pos;
	void *end;
};

static __always_inline struct ethhdr *parse_ethhdr(struct hdr_cursor *c)
{
	struct ethhdr *eth = c->pos;

	if ((void *)(eth + 1) > c->end)
		return NULL;
	c->pos = eth + 1;
	return eth;
}

/*
 * The IPv4 header with its options, which must all be in the linear data.
 * Options are not interpreted: steering needs only the destination.
 */
static __always_inline struct iphdr *parse_iphdr(struct hdr_cursor *c)
{
	struct iphdr *iph = c->pos;
	void *l4;

	if ((void *)(iph + 1) > c->end)
		return NULL;
	if (iph->version != 4 || iph->ihl < 5)
		return NULL;
	l4 = (void *)iph + iph->ihl * 4;
	if (l4 > c->end)
		return NULL;
	c->pos = l4;
	return iph;
}

/*
 * The fixed IPv6 header. Extension headers are not walked: the destination
 * is in the fixed header, and a router forwards whatever follows (RFC 8200
 * section 4: only the Hop-by-Hop header is examined on the way, and Linux
 * forwards those packets too).
 */
static __always_inline struct ipv6hdr *parse_ipv6hdr(struct hdr_cursor *c)
{
	struct ipv6hdr *ip6h = c->pos;

	if ((void *)(ip6h + 1) > c->end)
		return NULL;
	if (ip6h->version != 6)
		return NULL;
	c->pos = ip6h + 1;
	return ip6h;
}

#endif /* BPFROUTE_PARSING_H */
