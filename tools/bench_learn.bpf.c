// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Timing of the two ways a gateway learns from DNS, for tools/bench_learn.sh
 * (never loaded by bpfroute itself):
 *
 *   gw_rx/gw_tx   raw tracepoints netif_receive_skb (an answer entering the
 *           gateway from the resolver's side) and net_dev_start_xmit (the
 *           same skb leaving on the LAN, after the clsact egress hook where
 *           bpfroute_learn runs): the gateway's transit time per answer,
 *           which holds its learning. The kernel installs an answer's
 *           addresses inside bpfroute_learn, so the time from the answer's
 *           arrival to its routes being in place is less than this; the
 *           same measure on a gateway without bpfroute is the reference.
 *           fentry/fexit on bpfroute_learn itself would be closer, but
 *           BPF_PROG_TYPE_TRACING is refused here (EPERM, lockdown), while
 *           raw tracepoints and uprobes load. The answer's kind comes from
 *           bpfroute's own per-CPU counters, read at both points: a packet
 *           is forwarded from rx to tx on one CPU, within one softirq run.
 *   nft_enter/nft_exit  uprobe + uretprobe on libnftables'
 *           nft_run_cmd_from_buffer() in one dnsmasq process: dnsmasq's
 *           nftset= calls it once per address of an answer, before it sends
 *           the answer on ("add element ..." text, parsed, cache fetched,
 *           committed), so its time is the set's per-add latency.
 *
 * Both record into a log-linear histogram (16 steps per power of two,
 * within 6.25%) per kind, and a count and a sum per kind.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "bpfroute_abi.h"
#include "bench_learn.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space before loading (rodata). */
const volatile __u32 nft_tgid;		/* the dnsmasq whose nftset adds are timed */
const volatile __u32 gw_netns;		/* the gateway's network namespace (inode) */
const volatile __u32 gw_in_ifindex;	/* where answers enter it */
const volatile __u32 gw_out_ifindex;	/* where they leave: the LAN */

/*
 * bpfroute's counters: user space points this at the instance's pinned
 * bpfroute_stats (bpf_map__reuse_fd) before loading.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFROUTE_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* The answer in transit on this CPU and what the counters said then. */
struct learn_start {
	const void *skb;
	__u64 ts;
	__u64 answer;
	__u64 learned;
	__u64 to_agent;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct learn_start);
} learn_start SEC(".maps");

/* Per thread (pid and tid): dnsmasq is single-threaded, libnftables need not be. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u64);
} nft_start SEC(".maps");

/* hist[kind * BL_BUCKETS + bucket]: runs; tot[kind]: count, sum of ns, errors. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BL_NKINDS * BL_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BL_NKINDS);
	__type(key, __u32);
	__type(value, struct bl_total);
} tot SEC(".maps");

static __always_inline __u64 stat_read(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	return v ? *v : 0;
}

/* The position of the highest set bit: BPF has no count-leading-zeros. */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, s;

	s = (v > 0xffffffffULL) << 5;
	v >>= s;
	r |= s;
	s = (v > 0xffff) << 4;
	v >>= s;
	r |= s;
	s = (v > 0xff) << 3;
	v >>= s;
	r |= s;
	s = (v > 0xf) << 2;
	v >>= s;
	r |= s;
	s = (v > 0x3) << 1;
	v >>= s;
	r |= s;
	return r | (__u32)(v >> 1);
}

static __always_inline void record(__u32 kind, __u64 ns, bool error)
{
	__u32 b = bl_bucket(ns, log2_u64(ns)), idx = kind * BL_BUCKETS + b;
	struct bl_total *t;
	__u64 *h;

	if (kind >= BL_NKINDS || b >= BL_BUCKETS)
		return;
	h = bpf_map_lookup_elem(&hist, &idx);
	if (h)
		(*h)++;
	t = bpf_map_lookup_elem(&tot, &kind);
	if (!t)
		return;
	t->count++;
	t->sum_ns += ns;
	if (error)
		t->errors++;
	if (ns > t->max_ns)
		t->max_ns = ns;
}

/* Is dev the gateway's device ifindex? Device indexes are per namespace. */
static __always_inline bool gw_dev(const struct net_device *dev, __u32 ifindex)
{
	return BPF_CORE_READ(dev, ifindex) == ifindex &&
	       BPF_CORE_READ(dev, nd_net.net, ns.inum) == gw_netns;
}

SEC("raw_tp/netif_receive_skb")
int BPF_PROG(gw_rx, struct sk_buff *skb)
{
	struct learn_start *s;
	__u32 zero = 0;

	if (!gw_dev(BPF_CORE_READ(skb, dev), gw_in_ifindex))
		return 0;
	s = bpf_map_lookup_elem(&learn_start, &zero);
	if (!s)
		return 0;
	s->skb = skb;
	s->answer = stat_read(BPFROUTE_STAT_DNS_ANSWER);
	s->learned = stat_read(BPFROUTE_STAT_DNS_LEARNED);
	s->to_agent = stat_read(BPFROUTE_STAT_DNS_TO_AGENT);
	s->ts = bpf_ktime_get_ns();	/* last: the counter reads are not timed */
	return 0;
}

SEC("raw_tp/net_dev_start_xmit")
int BPF_PROG(gw_tx, struct sk_buff *skb, struct net_device *dev)
{
	__u64 now = bpf_ktime_get_ns();	/* first, for the same reason */
	struct learn_start *s;
	__u32 zero = 0, kind;

	s = bpf_map_lookup_elem(&learn_start, &zero);
	if (!s || s->skb != skb || !s->ts || now < s->ts || !gw_dev(dev, gw_out_ifindex))
		return 0;
	if (stat_read(BPFROUTE_STAT_DNS_TO_AGENT) != s->to_agent)
		kind = BL_AGENT;
	else if (stat_read(BPFROUTE_STAT_DNS_LEARNED) != s->learned)
		kind = BL_LEARNED;
	else if (stat_read(BPFROUTE_STAT_DNS_ANSWER) != s->answer)
		kind = BL_ANSWER;
	else
		kind = BL_PASS;
	record(kind, now - s->ts, false);
	s->skb = NULL;
	s->ts = 0;
	return 0;
}

/* BPF_KPROBE: libbpf 1.1 has no BPF_UPROBE; the registers are the same. */
SEC("uprobe")
int BPF_KPROBE(nft_enter)
{
	__u64 id = bpf_get_current_pid_tgid(), ts;

	if (id >> 32 != nft_tgid)
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&nft_start, &id, &ts, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(nft_exit, int ret)
{
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), *ts;

	if (id >> 32 != nft_tgid)
		return 0;
	ts = bpf_map_lookup_elem(&nft_start, &id);
	if (!ts)
		return 0;
	if (now >= *ts)
		record(BL_NFT, now - *ts, ret != 0);
	bpf_map_delete_elem(&nft_start, &id);
	return 0;
}
