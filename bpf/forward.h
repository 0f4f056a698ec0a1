/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What a router does to a packet it forwards, and what it checks first. The
 * addresses it never forwards to or from are in bpfroute_policy.h, shared
 * with user space.
 */
#ifndef BPFROUTE_FORWARD_H
#define BPFROUTE_FORWARD_H

#include "bpfroute_abi.h"
#include "bpfroute_policy.h"

/*
 * Decrement the IPv4 TTL and patch the header checksum incrementally
 * (RFC 1624), as the kernel's ip_decrease_ttl() does: the TTL is the high
 * byte of its 16-bit word, so the word drops by 0x0100 and the one's
 * complement checksum rises by the same amount. The header's sum is
 * unchanged, so a CHECKSUM_COMPLETE skb->csum stays valid.
 */
static __always_inline void ipv4_decrease_ttl(struct iphdr *iph)
{
	__u32 check = iph->check;

	check += bpf_htons(0x0100);
	iph->check = (__sum16)(check + (check >= 0xFFFF));
	iph->ttl--;
}

/*
 * What ip_rcv_core() checks before the stack forwards a packet, and which a
 * redirect skips: a valid header checksum (RFC 1812 section 5.2.2) and a total
 * length that covers the header and fits the avail bytes the packet has from
 * its IP header on.
 */
static __always_inline bool ipv4_header_sane(struct iphdr *iph, void *end, __u32 tot_len,
					     __u32 avail)
{
	__u32 hlen = iph->ihl * 4, sum = 0;
	__u16 *w = (__u16 *)iph;

	if (tot_len < hlen || tot_len > avail)
		return false;
	for (int i = 0; i < 30; i++) {	/* at most 60 bytes */
		if (i >= hlen / 2 || (void *)(w + i + 1) > end)
			break;
		sum += w[i];
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* The same on an skb; a GSO packet above 64 KiB (BIG TCP) carries tot_len 0. */
static __always_inline bool ipv4_header_valid_at(struct __sk_buff *skb, struct iphdr *iph,
						 void *end, __u32 l3off)
{
	__u32 tot_len = bpf_ntohs(iph->tot_len);

	if (tot_len == 0 && skb->gso_size)
		tot_len = skb->len - l3off;
	return ipv4_header_sane(iph, end, tot_len, skb->len - l3off);
}

/* The header at l3off from skb->data: ETH_HLEN on Ethernet, 0 on an L3 device. */
static __always_inline bool ipv4_header_valid(struct __sk_buff *skb, struct iphdr *iph,
					      void *end)
{
	return ipv4_header_valid_at(skb, iph, end, ETH_HLEN);
}

/* The IPv6 payload must fit the frame; 0 is a jumbogram or BIG TCP GSO. */
static __always_inline bool ipv6_header_valid_at(struct __sk_buff *skb, struct ipv6hdr *ip6h,
						 __u32 l3off)
{
	__u32 plen = bpf_ntohs(ip6h->payload_len);

	if (plen == 0)
		return skb->gso_size != 0;
	return plen <= skb->len - l3off - sizeof(*ip6h);
}

static __always_inline bool ipv6_header_valid(struct __sk_buff *skb, struct ipv6hdr *ip6h)
{
	return ipv6_header_valid_at(skb, ip6h, ETH_HLEN);
}

#endif /* BPFROUTE_FORWARD_H */
