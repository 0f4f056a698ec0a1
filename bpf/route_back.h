/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The reverse-path check of query recording (dns_query.h) and masquerade
 * (nat.h): does the kernel's FIB route a packet from local back to remote
 * out the interface the packet came in on? A source with no such route is
 * one the gateway would never answer there, a forged one (RFC 3704 2.2,
 * the strict check rp_filter 1 makes). The lookup builds no dst and takes
 * no reference. tot_len is a bare header, so that no MTU enters the answer.
 */
#ifndef BPFROUTE_ROUTE_BACK_H
#define BPFROUTE_ROUTE_BACK_H

#include "next_hop.h"	/* AF_INET_, AF_INET6_ */

/*
 * bpf_fib_lookup()'s answer for the way from local to remote (16-byte
 * addresses, IPv4 in the first 4) with ifindex and flags as the helper
 * takes them; *oif is the interface the route leaves by.
 */
static __always_inline long route_back(struct __sk_buff *skb, __u8 family, __u8 proto,
				       const __u8 *local, const __u8 *remote, __u32 ifindex,
				       __u32 flags, __u32 *oif)
{
	struct bpf_fib_lookup fib = {};
	long rc;

	fib.ifindex = ifindex;
	fib.l4_protocol = proto;
	if (family == 4) {
		fib.family = AF_INET_;
		fib.tot_len = 20;
		__builtin_memcpy(&fib.ipv4_src, local, 4);
		__builtin_memcpy(&fib.ipv4_dst, remote, 4);
	} else {
		fib.family = AF_INET6_;
		fib.tot_len = 40;
		__builtin_memcpy(fib.ipv6_src, local, 16);
		__builtin_memcpy(fib.ipv6_dst, remote, 16);
	}
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), flags);
	*oif = fib.ifindex;
	return rc;
}

/* A route (its neighbour perhaps unknown yet) that leaves by ifindex. */
static __always_inline bool route_back_by(long rc, __u32 oif, __u32 ifindex)
{
	return (rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH) &&
	       oif == ifindex;
}

#endif /* BPFROUTE_ROUTE_BACK_H */
