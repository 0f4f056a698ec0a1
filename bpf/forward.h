/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What a router does to a packet it forwards, and what it never forwards. */
#ifndef BPFROUTE_FORWARD_H
#define BPFROUTE_FORWARD_H

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
 * Addresses a router never forwards to or from, whatever the routes say
 * (RFC 1812 sections 5.3.7 and 4.2.2.11, RFC 3927 section 2.7): "this
 * network" 0/8, loopback 127/8, link-local 169.254/16, multicast 224/4,
 * reserved 240/4 with the limited broadcast. A route of 0.0.0.0/0 into a
 * tunnel must not take them; the stack drops them (martians) or delivers them
 * locally.
 */
static __always_inline bool ipv4_addr_special(const __u8 *a)
{
	return a[0] == 0 || a[0] == 127 || a[0] >= 224 || (a[0] == 169 && a[1] == 254);
}

/*
 * Multicast ff00::/8, link-local fe80::/10, unspecified, loopback, and
 * v4-mapped ::ffff:0:0/96, which never appears on the wire (RFC 4291 2.5.5.2,
 * RFC 4038 section 4.2). a must be 4-byte aligned.
 */
static __always_inline bool ipv6_addr_special(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
		return true;
	if (w[0] || w[1])
		return false;
	if (w[2] == bpf_htonl(0xffff))
		return true;
	return !w[2] && (w[3] == 0 || w[3] == bpf_htonl(1));
}

/*
 * What ip_rcv_core() checks before the stack forwards a packet, and which a
 * redirect skips: a valid header checksum (RFC 1812 section 5.2.2) and a total
 * length that covers the header and fits the frame. A GSO packet above 64 KiB
 * (BIG TCP) carries tot_len 0.
 */
static __always_inline bool ipv4_header_valid(struct __sk_buff *skb, struct iphdr *iph,
					      void *end)
{
	__u32 tot_len = bpf_ntohs(iph->tot_len), hlen = iph->ihl * 4, sum = 0;
	__u16 *w = (__u16 *)iph;

	if (tot_len == 0 && skb->gso_size)
		tot_len = skb->len - ETH_HLEN;
	if (tot_len < hlen || tot_len > skb->len - ETH_HLEN)
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

/* The IPv6 payload must fit the frame; 0 is a jumbogram or BIG TCP GSO. */
static __always_inline bool ipv6_header_valid(struct __sk_buff *skb, struct ipv6hdr *ip6h)
{
	__u32 plen = bpf_ntohs(ip6h->payload_len);

	if (plen == 0)
		return skb->gso_size != 0;
	return plen <= skb->len - ETH_HLEN - sizeof(*ip6h);
}

#endif /* BPFROUTE_FORWARD_H */
