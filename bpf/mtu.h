/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The target's MTU, for steered packets: what the stack's forwarding path
 * (ip_forward(), ip6_forward()) does and a redirect skips.
 *
 * The MTU is the device's own, read live with bpf_check_mtu() on every
 * steered packet: no agent, no copy to go stale when `ip link set wg0 mtu`
 * changes it. The helper compares the length it is given plus the target's
 * hard_header_len with the target's MTU plus the same, so the IP length is
 * given and the LAN's MAC header does not count. A GSO packet is checked
 * with BPF_MTU_CHK_SEGS instead (the helper refuses a length with that
 * flag): then its segments must fit (skb_gso_validate_network_len()), as
 * in ip_exceeds_mtu(), and a GRO'd train of MTU-sized segments is fine.
 *
 * - A TCP SYN (a SYN-ACK on its way back through bpfroute_unnat) has its MSS
 *   option lowered to the MTU less 40 (IPv4) or 60 (IPv6) bytes of headers,
 *   never raised, with the checksum patched incrementally: the peer then
 *   sends segments that fit the tunnel, with no ICMP needed.
 * - A packet too big with DF set, or any IPv6 packet (routers never fragment
 *   IPv6, RFC 8200 section 5), is not steered: the gateway answers the
 *   sender with ICMP fragmentation needed (RFC 792, RFC 1191 section 4: the
 *   next-hop MTU) or ICMPv6 packet too big (RFC 4443 section 3.2), built in
 *   place from the packet and sent back out the interface it came in on.
 * - IPv4 without DF above the MTU is steered whole and counted
 *   (TOO_BIG_NO_DF): a redirect is not a route, nothing fragments it on the
 *   way into the target (see README, The target's MTU).
 *
 * The error's source address is the one the kernel would give it:
 * bpf_fib_lookup() of the sender with BPF_FIB_LOOKUP_SRC through the LAN
 * interface it came in on (BPF_FIB_LOOKUP_OUTPUT restricts the lookup to
 * that device), the preferred source of the route back to it, as
 * icmp_send() picks with icmp_errors_use_inbound_ifaddr off. Live like the
 * MTU, an address of the gateway on that LAN, and a sender not routed back
 * through the interface (a forged source) gets no error at all. Kernels
 * before 6.8 have no BPF_FIB_LOOKUP_SRC: there the packet is dropped
 * without an error (TOO_BIG_DROPPED).
 */
#ifndef BPFROUTE_MTU_H
#define BPFROUTE_MTU_H

#include "bpfroute_abi.h"
#include "bpfroute_policy.h"
#include "maps.h"
#include "parsing.h"
#include "stats.h"
#include "next_hop.h"	/* AF_INET_, AF_INET6_ */

#define MTU_IP_DF	0x4000

/* mtu_guard(): not a TC verdict, the packet goes on to its target. */
#define MTU_STEER	0x100

#define MTU_TCP_SYN	0x02
#define MTU_TCPOPT_EOL	0
#define MTU_TCPOPT_NOP	1
#define MTU_TCPOPT_MSS	2
/*
 * Options looked at before the MSS option, at most. Every stack puts MSS
 * first; a SYN that hides it further (40 bytes of options could hold 39 NOPs
 * first) is steered unclamped and its sender learns the MTU from the ICMP
 * errors instead. More costs the verifier more than it buys: each walk of
 * the loop is checked for every path of the classifier that reaches it.
 */
#ifndef MTU_OPT_ITERS
#define MTU_OPT_ITERS	16
#endif

/* What the MSS leaves of the MTU: the IP header without options, and TCP's. */
#define MTU_MSS_OVERHEAD4	40
#define MTU_MSS_OVERHEAD6	60

/*
 * An ICMP error holds as much of the packet as fits in 576 bytes (RFC 1812
 * section 4.3.2.3) or in the IPv6 minimum MTU of 1280 (RFC 4443 section
 * 2.4 (c)).
 */
#define MTU_ICMP4_MAX	576
#define MTU_ICMP6_MAX	1280
#define MTU_ICMP4_HDRS	28	/* IPv4 header, ICMP header */
#define MTU_ICMP6_HDRS	48	/* IPv6 header, ICMPv6 header */
#define MTU_QUOTE4_MAX	(MTU_ICMP4_MAX - MTU_ICMP4_HDRS)
#define MTU_QUOTE6_MAX	(MTU_ICMP6_MAX - MTU_ICMP6_HDRS)
#define MTU_QUOTE4_MIN	68	/* an IPv4 header with options, and 8 bytes */

#define MTU_ICMP_DEST_UNREACH	3
#define MTU_ICMP_FRAG_NEEDED	4
#define MTU_ICMPV6_PKT_TOOBIG	2
/* The hop limit of the gateway's own errors, the kernel's default (64). */
#define MTU_ICMP_TTL		64
/* IPTOS_PREC_INTERNETCONTROL: the TOS icmp_send() gives its errors. */
#define MTU_ICMP_TOS		0xc0

/*
 * The per-CPU state of the errors (bpfroute_icmprl): the rate limit, and
 * room for the FIB lookup's parameters, which the classifier's stack has
 * none left for.
 */
static __always_inline struct bpfroute_icmp_state *mtu_icmp_state(void)
{
	__u32 zero = 0;

	_Static_assert(sizeof(struct bpf_fib_lookup) <=
		       sizeof(((struct bpfroute_icmp_state *)0)->fib), "room for the FIB lookup");
	return bpf_map_lookup_elem(&BPFROUTE_MAP_ICMPRL, &zero);
}

/*
 * One error per 1/BPFROUTE_ICMP_PER_SEC second, up to BPFROUTE_ICMP_BURST at
 * once, per CPU. Credit is kept in nanoseconds.
 */
static __always_inline bool mtu_icmp_allowed(struct bpfroute_icmp_state *st)
{
	const __u64 step = 1000000000ULL / BPFROUTE_ICMP_PER_SEC;
	const __u64 full = step * BPFROUTE_ICMP_BURST;
	__u64 now = bpf_ktime_get_ns(), credit;

	credit = now >= st->last_ns ? st->credit_ns + (now - st->last_ns) : full;
	if (credit > full)
		credit = full;
	st->last_ns = now;
	if (credit < step) {
		st->credit_ns = credit;
		return false;
	}
	st->credit_ns = credit - step;
	return true;
}

/*
 * The one's complement sum (unfolded, 32 bits) of the size bytes at p, which
 * the caller has checked are in the packet; size a constant multiple of 4.
 * In steps of at most 512 bytes: bpf_csum_diff() refuses more at once on
 * the kernels that still use a scratch buffer for it.
 */
static __always_inline __u32 mtu_csum(const void *p, const __u32 size, __u32 seed)
{
	for (__u32 done = 0; done < size; done += 512)
		seed = bpf_csum_diff(NULL, 0, (void *)p + done,
				     size - done < 512 ? size - done : 512, seed);
	return seed;
}

static __always_inline __u16 mtu_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * Lower the MSS option of the TCP SYN at l4off to mss_max, if it is higher.
 * The options are walked in a bounded loop (MTU_OPT_ITERS of them); a
 * malformed list is left as it is. They are read and written with the skb
 * helpers rather than through packet pointers: an offset given to a helper
 * is checked at run time, so the verifier need not tell one option's offset
 * from another's, and walks the loop once per iteration rather than once per
 * layout of options.
 */
static __always_inline void mtu_clamp_mss(struct __sk_buff *skb, __u32 l4off, __u32 mss_max)
{
	__u8 opt[4];	/* kind, length, and an MSS option's value */
	__u32 doff, off = 20;
	__u16 old, new;

	if (bpf_skb_load_bytes(skb, l4off + 12, opt, 2) || !(opt[1] & MTU_TCP_SYN))
		return;
	doff = (opt[0] >> 4) * 4;
	for (int i = 0; i < MTU_OPT_ITERS; i++) {
		if (off + 1 >= doff || bpf_skb_load_bytes(skb, l4off + off, opt, 2) ||
		    opt[0] == MTU_TCPOPT_EOL)
			break;
		if (opt[0] == MTU_TCPOPT_NOP) {
			off++;
			continue;
		}
		if (opt[1] < 2)
			break;
		if (opt[0] == MTU_TCPOPT_MSS) {
			if (opt[1] != 4 || off + 4 > doff ||
			    bpf_skb_load_bytes(skb, l4off + off, opt, 4))
				break;
			__builtin_memcpy(&old, opt + 2, sizeof(old));
			if (bpf_ntohs(old) <= mss_max)
				break;
			new = bpf_htons(mss_max);
			/* Not a pseudo-header field: skb->csum stays as it is. */
			if (bpf_skb_store_bytes(skb, l4off + off + 2, &new, sizeof(new), 0) ||
			    bpf_l4_csum_replace(skb, l4off + 16, old, new, sizeof(new)))
				break;
			count(BPFROUTE_STAT_MSS_CLAMPED, 1);
			break;
		}
		off += opt[1];
	}
}

/* Clamp a SYN or SYN-ACK to the MTU of the device skb arrived on (bpfroute_unnat). */
static __always_inline void mtu_clamp_in(struct __sk_buff *skb, __u32 l4off, __u8 family)
{
	__u32 mtu = 0, overhead = family == 4 ? MTU_MSS_OVERHEAD4 : MTU_MSS_OVERHEAD6;

	/* ifindex 0: skb->dev, the target the packet came in on. */
	if (bpf_check_mtu(skb, 0, &mtu, 0, 0) < 0 || mtu <= overhead + 8)
		return;
	mtu_clamp_mss(skb, l4off, mtu - overhead);
}

/*
 * A TCP SYN (or SYN-ACK) whose TCP header starts at l4: the XDP stage leaves
 * it to TC, which clamps its MSS. Frames too big for the target it leaves
 * to TC already (its next-hop lookups check the MTU).
 */
static __always_inline bool mtu_tcp_syn(const void *l4, const void *end, __u8 proto)
{
	const __u8 *th = l4;

	return proto == BPFROUTE_IPPROTO_TCP && (const void *)(th + 14) <= end &&
	       (th[13] & MTU_TCP_SYN);
}

/* Back where it came from: the sender's MAC (or its router's) and ours. */
static __always_inline void mtu_swap_macs(struct ethhdr *eth)
{
	__u8 mac[ETH_ALEN];

	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
}

/* Count a too-big packet dropped, with the reason's row. */
static __always_inline int mtu_drop(__u32 stat)
{
	count(stat, 1);
	return TC_ACT_SHOT;
}

/*
 * The error's source: the gateway's preferred source towards the sender
 * through the LAN interface the packet came in on (see the top of the file).
 * The lookup writes the sender's gateway, if it has one, over the
 * destination: the callers read the sender from the packet.
 */
static __always_inline bool mtu_icmp_source(struct __sk_buff *skb, struct bpf_fib_lookup *fib,
					    __u16 tot_len)
{
	long rc;

	fib->tot_len = tot_len;	/* the error's length, not the skb's, against the route's MTU */
	fib->ifindex = skb->ifindex;
	rc = bpf_fib_lookup(skb, fib, sizeof(*fib),
			    BPF_FIB_LOOKUP_OUTPUT | BPF_FIB_LOOKUP_SKIP_NEIGH | BPF_FIB_LOOKUP_SRC);
	return rc == BPF_FIB_LKUP_RET_SUCCESS && fib->ifindex == skb->ifindex;
}

/*
 * Make room for the error's headers and trim the packet to the quote: the
 * MAC header stays in front, the quote follows the new headers, linear.
 */
static __always_inline bool mtu_icmp_room(struct __sk_buff *skb, const __u32 hdrs,
					  const __u32 quote)
{
	return !bpf_skb_change_tail(skb, ETH_HLEN + quote, 0) &&
	       !bpf_skb_adjust_room(skb, hdrs, BPF_ADJ_ROOM_MAC, 0) &&
	       !bpf_skb_pull_data(skb, ETH_HLEN + hdrs + quote);
}

/*
 * Turn the IPv4 packet into ICMP fragmentation needed to its sender, in
 * place, quoting its first quote bytes (a constant, for the checksum): room
 * made after the MAC header for an IPv4 and an ICMP header, MACs swapped.
 * The quoted header has the TTL it came with, as the stack quotes a packet
 * it refuses before forwarding.
 */
static __always_inline int mtu_icmp4_build(struct __sk_buff *skb, struct bpf_fib_lookup *fib,
					   __u32 mtu, const __u32 quote)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *iph = data + ETH_HLEN, *nh;
	__u32 check;
	__u8 *icmp;

	if ((void *)(iph + 1) > end)
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);
	/* Undo forwarding's TTL decrement (forward.h), checksum and all. */
	check = iph->check;
	check += (__u16)~bpf_htons(0x0100);
	iph->check = (__sum16)(check + (check >> 16));
	iph->ttl++;
	if (!mtu_icmp_room(skb, MTU_ICMP4_HDRS, quote))
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);

	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	nh = data + ETH_HLEN;
	icmp = (void *)(nh + 1);
	if ((void *)(icmp + 8 + quote) > end)
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);
	mtu_swap_macs(data);
	*(__u8 *)nh = 0x45;	/* version 4, 20 bytes */
	nh->tos = MTU_ICMP_TOS;
	nh->tot_len = bpf_htons(MTU_ICMP4_HDRS + quote);
	nh->id = 0;
	nh->frag_off = 0;
	nh->ttl = MTU_ICMP_TTL;
	nh->protocol = BPFROUTE_IPPROTO_ICMP;
	nh->check = 0;
	nh->saddr = fib->ipv4_src;
	nh->daddr = ((struct iphdr *)(icmp + 8))->saddr;	/* the quoted sender */
	nh->check = mtu_fold(mtu_csum(nh, sizeof(*nh), 0));
	icmp[0] = MTU_ICMP_DEST_UNREACH;
	icmp[1] = MTU_ICMP_FRAG_NEEDED;
	*(__u16 *)(icmp + 2) = 0;
	*(__u16 *)(icmp + 4) = 0;	/* unused (RFC 1191 section 4) */
	*(__u16 *)(icmp + 6) = bpf_htons(mtu);
	*(__u16 *)(icmp + 2) = mtu_fold(mtu_csum(icmp, 8 + quote, 0));
	count(BPFROUTE_STAT_TOO_BIG_ICMP, 1);
	return bpf_redirect(skb->ifindex, 0);
}

static __always_inline int mtu_icmp4(struct __sk_buff *skb, __u32 mtu)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *iph = data + ETH_HLEN;
	struct bpfroute_icmp_state *st;
	struct bpf_fib_lookup *fib;
	__u32 l3len;
	__u8 *l4;

	if ((void *)(iph + 1) > end)
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);
	l4 = (void *)iph + iph->ihl * 4;
	if ((void *)(l4 + 1) > end)
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);
	/*
	 * No error about a later fragment or about an ICMP error (RFC 1812
	 * section 4.3.2.7), as icmp_send() refuses them.
	 */
	if ((iph->frag_off & bpf_htons(IP_OFFSET)) ||
	    (iph->protocol == BPFROUTE_IPPROTO_ICMP &&
	     (*l4 == 3 || *l4 == 4 || *l4 == 5 || *l4 == 11 || *l4 == 12)))
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);
	l3len = bpf_ntohs(iph->tot_len);
	if (!l3len)	/* BIG TCP GSO */
		l3len = skb->len - ETH_HLEN;
	st = mtu_icmp_state();
	if (!st || !mtu_icmp_allowed(st))
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_RATELIMITED);

	fib = (struct bpf_fib_lookup *)st->fib;
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = AF_INET_;
	fib->l4_protocol = BPFROUTE_IPPROTO_ICMP;
	fib->ipv4_dst = iph->saddr;
	/*
	 * All of RFC 1812's 576 bytes when the packet has them, as it has
	 * whenever the target's MTU is 548 or more; else the IP header and
	 * 8 bytes of a header of the longest kind (RFC 792).
	 */
	if (l3len >= MTU_QUOTE4_MAX) {
		if (!mtu_icmp_source(skb, fib, MTU_ICMP4_MAX) || !fib->ipv4_src)
			return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);
		return mtu_icmp4_build(skb, fib, mtu, MTU_QUOTE4_MAX);
	}
	if (!mtu_icmp_source(skb, fib, MTU_ICMP4_HDRS + MTU_QUOTE4_MIN) || !fib->ipv4_src)
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);
	return mtu_icmp4_build(skb, fib, mtu, MTU_QUOTE4_MIN);
}

/*
 * The same for IPv6: ICMPv6 packet too big, its checksum over a
 * pseudo-header. The packet is above an IPv6 MTU (1280 at least), so the
 * quote is always all RFC 4443 allows.
 */
static __always_inline int mtu_icmp6(struct __sk_buff *skb, __u32 mtu)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ipv6hdr *ip6h = data + ETH_HLEN, *nh;
	struct bpfroute_icmp_state *st;
	struct bpf_fib_lookup *fib;
	__u32 l3len;
	__u64 sum;
	__u8 *icmp;

	if ((void *)(ip6h + 1) > end)
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);
	icmp = (void *)(ip6h + 1);
	/* No error about an ICMPv6 error (RFC 4443 section 2.4 (e)). */
	if (ip6h->nexthdr == BPFROUTE_IPPROTO_ICMPV6 &&
	    ((void *)(icmp + 1) > end || *icmp < 128))
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);
	l3len = sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
	if (l3len == sizeof(*ip6h))	/* jumbogram, BIG TCP GSO */
		l3len = skb->len - ETH_HLEN;
	if (l3len < MTU_QUOTE6_MAX)
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);
	st = mtu_icmp_state();
	if (!st || !mtu_icmp_allowed(st))
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_RATELIMITED);

	fib = (struct bpf_fib_lookup *)st->fib;
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = AF_INET6_;
	fib->l4_protocol = BPFROUTE_IPPROTO_ICMPV6;
	__builtin_memcpy(fib->ipv6_dst, &ip6h->saddr, sizeof(fib->ipv6_dst));
	if (!mtu_icmp_source(skb, fib, MTU_ICMP6_MAX))
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);

	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	ip6h = data + ETH_HLEN;
	if ((void *)(ip6h + 1) > end)
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);
	ip6h->hop_limit++;	/* as it came: forwarding's decrement undone */
	if (!mtu_icmp_room(skb, MTU_ICMP6_HDRS, MTU_QUOTE6_MAX))
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);

	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	nh = data + ETH_HLEN;
	icmp = (void *)(nh + 1);
	if ((void *)(icmp + 8 + MTU_QUOTE6_MAX) > end)
		return mtu_drop(BPFROUTE_STAT_TOO_BIG_DROPPED);
	mtu_swap_macs(data);
	*(__be32 *)nh = bpf_htonl(0x60000000);	/* version 6, class 0, flow 0 */
	nh->payload_len = bpf_htons(8 + MTU_QUOTE6_MAX);
	nh->nexthdr = BPFROUTE_IPPROTO_ICMPV6;
	nh->hop_limit = MTU_ICMP_TTL;
	__builtin_memcpy(&nh->saddr, fib->ipv6_src, sizeof(nh->saddr));
	__builtin_memcpy(&nh->daddr, &((struct ipv6hdr *)(icmp + 8))->saddr, sizeof(nh->daddr));
	icmp[0] = MTU_ICMPV6_PKT_TOOBIG;
	icmp[1] = 0;
	*(__u16 *)(icmp + 2) = 0;
	*(__be32 *)(icmp + 4) = bpf_htonl(mtu);
	/* Pseudo-header (RFC 8200 section 8.1): addresses, length, next header. */
	sum = mtu_csum(&nh->saddr, 32, 0);
	sum += bpf_htonl(8 + MTU_QUOTE6_MAX);
	sum += bpf_htonl(BPFROUTE_IPPROTO_ICMPV6);
	sum += mtu_csum(icmp, 8 + MTU_QUOTE6_MAX, 0);
	*(__u16 *)(icmp + 2) = mtu_fold(sum);
	count(BPFROUTE_STAT_TOO_BIG_ICMP, 1);
	return bpf_redirect(skb->ifindex, 0);
}

/*
 * A checked packet on its way to target ifindex, its MAC header first: clamp
 * a SYN's MSS, answer a packet too big. MTU_STEER: steer it; else the
 * verdict (the ICMP error redirected back, or a drop). A target that is gone
 * (bpf_check_mtu() says -ENODEV) is left to the redirect, which fails the
 * same way as before.
 */
static __always_inline int mtu_guard(struct __sk_buff *skb, __u32 ifindex, __u8 family)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u32 l3len, l4off, mtu, overhead;
	bool df, first;
	__u64 flags = 0;
	__u8 proto;
	long rc;

	if (family == 4) {
		struct iphdr *iph = data + ETH_HLEN;

		if ((void *)(iph + 1) > end)
			return MTU_STEER;
		l3len = bpf_ntohs(iph->tot_len);
		df = iph->frag_off & bpf_htons(MTU_IP_DF);
		first = !(iph->frag_off & bpf_htons(IP_MF | IP_OFFSET));
		proto = iph->protocol;
		l4off = ETH_HLEN + iph->ihl * 4;
		overhead = MTU_MSS_OVERHEAD4;
	} else {
		struct ipv6hdr *ip6h = data + ETH_HLEN;

		if ((void *)(ip6h + 1) > end)
			return MTU_STEER;
		/* 0: a jumbogram or BIG TCP, only ever GSO here (forward.h) */
		l3len = sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
		df = true;
		first = true;
		/* TCP right after the fixed header: extension headers are not walked. */
		proto = ip6h->nexthdr;
		l4off = ETH_HLEN + sizeof(*ip6h);
		overhead = MTU_MSS_OVERHEAD6;
	}
	mtu = l3len;
	if (skb->gso_size) {
		mtu = 0;
		flags = BPF_MTU_CHK_SEGS;
	}
	rc = bpf_check_mtu(skb, ifindex, &mtu, 0, flags);
	if (rc < 0)
		return MTU_STEER;
	if (rc == BPF_MTU_CHK_RET_SUCCESS) {
		if (proto == BPFROUTE_IPPROTO_TCP && first && mtu > overhead + 8)
			mtu_clamp_mss(skb, l4off, mtu - overhead);
		return MTU_STEER;
	}
	if (!df) {
		count(BPFROUTE_STAT_TOO_BIG_NO_DF, 1);
		return MTU_STEER;
	}
	return family == 4 ? mtu_icmp4(skb, mtu) : mtu_icmp6(skb, mtu);
}

#endif /* BPFROUTE_MTU_H */
