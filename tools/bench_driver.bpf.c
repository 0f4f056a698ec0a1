// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The driver of tools/bench_classifier.c's "driven" measurements.
 *
 * BPF_PROG_TEST_RUN with repeat runs a program again and again on one skb:
 * one destination, a hot cache. Calls of repeat 1, one per destination, add
 * the cost of a syscall and a fresh skb to every packet. This program sits in
 * front of the classifier instead: each run writes the next destination of
 * `dests` into the packet (and a TTL that steers), then tail-calls the
 * program in `next_prog`. With `null_prog` there, the driver's own cost is
 * measured the same way and subtracted.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define BENCH_MAX_DESTS	65536
#define ETH_P_IP_	0x0800
#define TC_ACT_OK	0
#define TC_ACT_SHOT	2

struct bench_dest {
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BENCH_MAX_DESTS);
	__type(key, __u32);
	__type(value, struct bench_dest);
} dests SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} next_prog SEC(".maps");

__u32 ndests = 1;	/* destinations in use, set by user space */
__u32 cursor;		/* the next one; test_run runs on one CPU */

/* The header checksum of a 20-byte IPv4 header, computed anew. */
static __always_inline __u16 ipv4_csum(const __u16 *w)
{
	__u32 sum = 0;

	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("tc")
int drive(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct bench_dest *d;
	__u32 i = cursor;

	cursor = i + 1 >= ndests ? 0 : i + 1;
	d = bpf_map_lookup_elem(&dests, &i);
	if (!d || (void *)(eth + 1) > end)
		return TC_ACT_SHOT;
	if (eth->h_proto == bpf_htons(ETH_P_IP_)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end)
			return TC_ACT_SHOT;
		ip->ttl = 64;
		__builtin_memcpy(&ip->daddr, d->addr, 4);
		ip->check = 0;
		ip->check = ipv4_csum((const __u16 *)ip);
	} else {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return TC_ACT_SHOT;
		ip6->hop_limit = 64;
		__builtin_memcpy(&ip6->daddr, d->addr, 16);
	}
	bpf_tail_call(skb, &next_prog, 0);
	return TC_ACT_SHOT;	/* no program in the slot */
}

/* The baseline in next_prog: what the driver and the tail call cost. */
SEC("tc")
int null_prog(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
