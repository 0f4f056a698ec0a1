/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Shared by tools/bench_learn.bpf.c and tools/bench_learn.c: the kinds of
 * runs timed and the histogram's buckets. Include a type header first
 * (vmlinux.h in BPF, <linux/types.h> in user space).
 */
#ifndef BENCH_LEARN_H
#define BENCH_LEARN_H

/* What was timed: a packet through the gateway, or an nftset add. */
enum bl_kind {
	BL_PASS = 0,	/* no counter of bpfroute moved (no bpfroute, not an answer) */
	BL_ANSWER,	/* an answer bpfroute did not learn (no rule, unsolicited, ...) */
	BL_LEARNED,	/* an answer whose addresses were installed or renewed */
	BL_AGENT,	/* an answer handed to the agent to finish */
	BL_NFT,		/* one nft_run_cmd_from_buffer() of dnsmasq (nftset add) */
	BL_NKINDS,
};

/*
 * Log-linear buckets: values below 16 ns exactly, then 16 buckets per power
 * of two (a step of at most 1/16 of the value). 64-bit values fit in 976.
 */
#define BL_SUB_BITS	4
#define BL_BUCKETS	1024

/* msb: the position of v's highest set bit (0 for v = 0). */
static inline __u32 bl_bucket(__u64 v, __u32 msb)
{
	if (v < (1U << BL_SUB_BITS))
		return (__u32)v;
	return ((msb - BL_SUB_BITS + 1) << BL_SUB_BITS) |
	       (__u32)((v >> (msb - BL_SUB_BITS)) & ((1U << BL_SUB_BITS) - 1));
}

/* The smallest value of a bucket; the next bucket's is its end. */
static inline __u64 bl_bucket_low(__u32 b)
{
	__u32 msb = (b >> BL_SUB_BITS) + BL_SUB_BITS - 1;

	if (b < (1U << BL_SUB_BITS))
		return b;
	return (__u64)((1U << BL_SUB_BITS) | (b & ((1U << BL_SUB_BITS) - 1))) <<
	       (msb - BL_SUB_BITS);
}

struct bl_total {
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u64 errors;	/* BL_NFT: calls that returned non-zero */
};

#endif /* BENCH_LEARN_H */
