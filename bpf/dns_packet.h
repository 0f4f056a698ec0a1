/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Where a DNS message sits in a packet: UDP or TCP port 53 over IPv4 or IPv6,
 * found from the packet's L3 header. Shared by query recording (LAN ingress)
 * and answer learning (LAN egress).
 */
#ifndef BPFROUTE_DNS_PACKET_H
#define BPFROUTE_DNS_PACKET_H

#include "dns.h"
#include "parsing.h"	/* IP_MF, IP_OFFSET */

#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_FRAGMENT_ 44

/* dns_packet_parse(): the first fragment of a DNS message split over IP fragments. */
#define DNS_PACKET_FRAGMENT	1

struct dns_packet {
	__u8 saddr[16];		/* network order; IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u16 sport;		/* network order */
	__u16 dport;
	__u8 family;		/* 4 or 6 */
	__u8 proto;		/* IPPROTO_UDP or IPPROTO_TCP */
	__u32 off;		/* offset of the DNS message from skb->data */
	__u32 len;		/* its length, as the packet states it */
	__u32 avail;		/* bytes of it present in this packet */
};

/*
 * Fill dp from the L4 header at l4 (UDP or TCP). For TCP, the message must
 * start the segment's payload with its 2-byte length (RFC 1035 4.2.2).
 * Returns 0, or -1 if this is not a DNS message the parser can read.
 */
static __always_inline int dns_packet_l4(struct __sk_buff *skb, struct dns_packet *dp,
					 void *l4, void *end, __u32 l3_payload)
{
	void *data = (void *)(long)skb->data;

	if (dp->proto == IPPROTO_UDP_) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end)
			return -1;
		dp->sport = uh->source;
		dp->dport = uh->dest;
		dp->off = (void *)(uh + 1) - data;
		dp->len = bpf_ntohs(uh->len) - sizeof(*uh);
		if (bpf_ntohs(uh->len) < sizeof(*uh) || bpf_ntohs(uh->len) > l3_payload)
			return -1;
		dp->avail = dp->len;
		return 0;
	}
	if (dp->proto == IPPROTO_TCP_) {
		struct tcphdr *th = l4;
		__u32 hlen;
		__u16 prefix;

		if ((void *)(th + 1) > end)
			return -1;
		dp->sport = th->source;
		dp->dport = th->dest;
		hlen = th->doff * 4;
		if (hlen < sizeof(*th) || l3_payload < hlen + 2)
			return -1;	/* no payload: SYN, ACK, FIN */
		if (bpf_skb_load_bytes(skb, (l4 - data) + hlen, &prefix, 2))
			return -1;
		dp->off = (l4 - data) + hlen + 2;
		dp->len = bpf_ntohs(prefix);
		dp->avail = l3_payload - hlen - 2;
		return 0;
	}
	return -1;
}

/*
 * Is the first fragment at l4 (UDP behind an IPv4 header with MF, or behind an
 * IPv6 fragment header) on the DNS port? Later fragments carry no port and
 * are not looked at.
 */
static __always_inline bool dns_fragment(void *l4, void *end, bool answer)
{
	struct udphdr *uh = l4;

	if ((void *)(uh + 1) > end)
		return false;
	return (answer ? uh->source : uh->dest) == bpf_htons(DNS_PORT);
}

/*
 * The DNS message of a packet whose source (answer) or destination (query)
 * port is 53: 0, or DNS_PACKET_FRAGMENT for the first fragment of a message
 * split over IP fragments (not parsed: the caller counts it), or -1.
 */
static __always_inline int dns_packet_parse(struct __sk_buff *skb, struct dns_packet *dp,
					    bool answer)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u32 l3_payload;
	void *l4;

	if ((void *)(eth + 1) > end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > end || iph->ihl < 5)
			return -1;
		if (iph->frag_off & bpf_htons(IP_OFFSET))
			return -1;
		if (iph->frag_off & bpf_htons(IP_MF))
			return iph->protocol == IPPROTO_UDP_ &&
			       dns_fragment((void *)iph + iph->ihl * 4, end, answer) ?
			       DNS_PACKET_FRAGMENT : -1;
		dp->family = 4;
		dp->proto = iph->protocol;
		__builtin_memset(dp->saddr, 0, sizeof(dp->saddr));
		__builtin_memset(dp->daddr, 0, sizeof(dp->daddr));
		__builtin_memcpy(dp->saddr, &iph->saddr, 4);
		__builtin_memcpy(dp->daddr, &iph->daddr, 4);
		l4 = (void *)iph + iph->ihl * 4;
		if (bpf_ntohs(iph->tot_len) < iph->ihl * 4)
			return -1;
		l3_payload = bpf_ntohs(iph->tot_len) - iph->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > end)
			return -1;
		/*
		 * Extension headers before UDP/TCP are not walked, but for a
		 * fragment header (RFC 8200 4.5) on the first fragment.
		 */
		if (ip6h->nexthdr == IPPROTO_FRAGMENT_) {
			__u8 *fh = (void *)(ip6h + 1);

			if ((void *)(fh + 8) > end)
				return -1;
			if (fh[0] != IPPROTO_UDP_ || ((fh[2] << 8 | fh[3]) & 0xfff8))
				return -1;
			return dns_fragment(fh + 8, end, answer) ? DNS_PACKET_FRAGMENT : -1;
		}
		dp->family = 6;
		dp->proto = ip6h->nexthdr;
		__builtin_memcpy(dp->saddr, &ip6h->saddr, 16);
		__builtin_memcpy(dp->daddr, &ip6h->daddr, 16);
		l4 = ip6h + 1;
		l3_payload = bpf_ntohs(ip6h->payload_len);
	} else {
		return -1;
	}
	if (dns_packet_l4(skb, dp, l4, end, l3_payload))
		return -1;
	if ((answer ? dp->sport : dp->dport) != bpf_htons(DNS_PORT))
		return -1;
	return 0;
}

/* Copy the message into scratch. -1 unless it is whole and fits. */
static __always_inline int dns_load(struct __sk_buff *skb, const struct dns_packet *dp,
				    struct dns_scratch *s)
{
	__u32 len = dp->len;

	if (len > dp->avail)
		return -1;
	/*
	 * The bounds checked in one register right before the call: checked
	 * on copies reloaded from the stack, the verifier loses them.
	 */
	asm volatile("" : "+r"(len));
	if (len < DNS_HDR_LEN || len > BPFROUTE_DNS_MSG_MAX)
		return -1;
	if (bpf_skb_load_bytes(skb, dp->off, s->msg, len))
		return -1;
	s->msg_len = len;
	return 0;
}

#endif /* BPFROUTE_DNS_PACKET_H */
