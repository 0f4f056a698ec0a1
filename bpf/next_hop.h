/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The next hop on an Ethernet target, from the kernel's FIB: bpf_fib_lookup()
 * with BPF_FIB_LOOKUP_OUTPUT and the target as ifindex considers only routes
 * through that device (the kernel's route for `ip route get ADDR oif DEV`)
 * and fills in the neighbour's MAC and the device's own. It builds no dst
 * and takes no reference, which is why both stages ask it first; the TC
 * stage falls back to bpf_redirect_neigh() when it has no answer (neighbour
 * not resolved yet, no route through the device: then the destination is
 * on link), which resolves neighbours the kernel's way.
 *
 * A learned entry keeps its destination's answer for the rest of the second
 * (BPFROUTE_TARGET_NH in include/bpfroute_abi.h): a busy destination asks the
 * FIB once a second, not once a packet. Only where `load` found no policy
 * rule (BPFROUTE_CONF_F_NH_CACHE): then the answer for a destination through
 * a device is the same for every client. A multipath route's next hop is
 * then chosen once a second per destination, not per flow.
 */
#ifndef BPFROUTE_NEXT_HOP_H
#define BPFROUTE_NEXT_HOP_H

#include "bpfroute_abi.h"
#include "parsing.h"

#define AF_INET_	2
#define AF_INET6_	10
#define ETH_ALEN	6

/* tot_len 0: the helper checks the skb's own length against the MTU. */
static __always_inline void next_hop_params4(struct bpf_fib_lookup *fib, const struct iphdr *iph,
					     __u32 ifindex, __u16 tot_len)
{
	fib->family = AF_INET_;
	fib->l4_protocol = iph->protocol;
	fib->tot_len = tot_len;
	fib->tos = iph->tos;
	fib->ifindex = ifindex;
	fib->ipv4_src = iph->saddr;
	fib->ipv4_dst = iph->daddr;
}

static __always_inline void next_hop_params6(struct bpf_fib_lookup *fib,
					     const struct ipv6hdr *ip6h, __u32 ifindex,
					     __u16 tot_len)
{
	fib->family = AF_INET6_;
	fib->l4_protocol = ip6h->nexthdr;
	fib->tot_len = tot_len;
	fib->ifindex = ifindex;
	__builtin_memcpy(fib->ipv6_src, &ip6h->saddr, sizeof(fib->ipv6_src));
	__builtin_memcpy(fib->ipv6_dst, &ip6h->daddr, sizeof(fib->ipv6_dst));
}

/* The lookup answered with a neighbour on the target itself. */
static __always_inline bool next_hop_found(long rc, const struct bpf_fib_lookup *fib,
					   __u32 ifindex)
{
	return rc == BPF_FIB_LKUP_RET_SUCCESS && fib->ifindex == ifindex;
}

static __always_inline void next_hop_set_macs(struct ethhdr *eth, const struct bpf_fib_lookup *fib)
{
	__builtin_memcpy(eth->h_dest, fib->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib->smac, ETH_ALEN);
}

/* A MAC as a word of the target's nh[]: its 6 bytes as in memory, and VALID. */
static __always_inline __u64 next_hop_word(const __u8 *mac)
{
	__u64 w = 0;

	__builtin_memcpy(&w, mac, ETH_ALEN);
	return w | BPFROUTE_NH_VALID;
}

/* bpfroute_host.nh for next hop idx chosen in second now. */
static __always_inline __u16 next_hop_stamp(__u32 idx, __u32 now)
{
	return (__u16)(idx | now << BPFROUTE_NH_IDX_BITS);
}

/*
 * The learned entry h's next hop on target tg if the FIB gave it in this
 * second, as a word of tg->nh (0: none). A word is written whole (one 8-byte
 * store), so a reader sees all of it or none.
 */
static __always_inline __u64 next_hop_cached(const struct bpfroute_target *tg,
					     const struct bpfroute_host *h, __u32 now)
{
	__u16 nh = h->nh;
	__u64 w;

	if (!nh || nh != next_hop_stamp(nh & (BPFROUTE_TARGET_NH - 1), now))
		return 0;
	w = tg->nh[nh & (BPFROUTE_TARGET_NH - 1)];
	return w & BPFROUTE_NH_VALID ? w : 0;
}

/* A cached next hop's MACs into the frame: its MAC, and the target's own. */
static __always_inline void next_hop_set_cached(struct ethhdr *eth,
						const struct bpfroute_target *tg, __u64 w)
{
	__builtin_memcpy(eth->h_dest, &w, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tg->mac, ETH_ALEN);
}

static __always_inline bool mac_same(const __u8 *a, const __u8 *b)
{
	__u8 diff = 0;

	for (int i = 0; i < ETH_ALEN; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

/*
 * Keep the FIB's answer fib for learned entry h on target tg: the index of
 * its next hop among the target's, claimed if new. Nothing is kept if the
 * target has met BPFROUTE_TARGET_NH next hops already, or if the FIB's
 * source MAC is not the one the target's next hops were met with (the
 * device's MAC changed: the next `load` starts the target afresh).
 */
static __always_inline void next_hop_keep(struct bpfroute_target *tg, struct bpfroute_host *h,
					  __u32 now, const struct bpf_fib_lookup *fib)
{
	__u64 w = next_hop_word(fib->dmac);
	__u32 i, zero[2] = {};

	if (mac_same(tg->mac, (const __u8 *)zero))
		__builtin_memcpy(tg->mac, fib->smac, ETH_ALEN);
	else if (!mac_same(tg->mac, fib->smac))
		return;
	for (i = 0; i < BPFROUTE_TARGET_NH; i++)
		if (tg->nh[i] == w)
			break;
	if (i == BPFROUTE_TARGET_NH) {
		i = __sync_fetch_and_add(&tg->nh_count, 1);
		if (i >= BPFROUTE_TARGET_NH)
			return;
		tg->nh[i] = w;
	}
	h->nh = next_hop_stamp(i, now);
}

#endif /* BPFROUTE_NEXT_HOP_H */
