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
 */
#ifndef BPFROUTE_NEXT_HOP_H
#define BPFROUTE_NEXT_HOP_H

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

#endif /* BPFROUTE_NEXT_HOP_H */
