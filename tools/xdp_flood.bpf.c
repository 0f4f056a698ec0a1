// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The frame generator of tools/xdp_flood.c, run by BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES: each run writes the frame's headers from the
 * template, puts destination BASE + i in it (i cycling over 0..ndests-1,
 * or the next of a sequence of offsets user space drew, in xdp_flood_order),
 * fixes the checksum that covers the destination, and redirects the frame
 * out of ifindex as an XDP frame.
 *
 * In live-frames mode the kernel copies the input frame into a page only
 * when its page pool allocates that page (xdp_test_run_init_page); a
 * recycled page comes back as its last user left it: with the destination
 * of an earlier run and, after a trip through the gateway, with its MAC
 * addresses, TTL and checksum rewritten. So the headers are written whole
 * on every run, never patched.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdp_flood.h"

#define LOOPBACK_IFINDEX	1	/* the loopback device, in every namespace */

/* Set by xdp_flood.c between open and load. */
const volatile __u64 tmpl[XDP_FLOOD_TMPL_WORDS];	/* headers, destination BASE */
const volatile __u32 ifindex;	/* where frames go, in the caller's namespace */
const volatile __u32 ndests;	/* N >= 1 */
const volatile __u32 base;	/* the last 32 bits of BASE, host order */
/*
 * Ones' complement sum (folded to 16 bits) of every word the checksum
 * covers, with the checksum field and the cycling 32 bits as zero: a run
 * adds the destination's two words and is done.
 */
const volatile __u32 csum_base;
const volatile __u8 ipv6;
const volatile __u8 use_order;	/* destinations from xdp_flood_order, not a cycle */

/* Destination offsets in the order to send them (xdp_flood.c -z). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDP_FLOOD_ORDER_LEN);
	__type(key, __u32);
	__type(value, __u32);
} xdp_flood_order SEC(".maps");

/*
 * Read by xdp_flood.c after the run. test_run executes the program on the
 * calling thread only, and xdp_flood has one: plain increments are enough.
 */
__u64 frames;
__u32 next;

/*
 * The sum is over 16-bit words as they lie in memory: a ones' complement
 * sum is the same in either byte order (RFC 1071 section 2(B)), so neither
 * side swaps bytes.
 */
static __always_inline __u16 csum_with(__u32 dst)
{
	__u32 s = csum_base + (dst & 0xffff) + (dst >> 16);

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

SEC("xdp")
int xdp_flood(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 *w = data;
	__u32 i = next, dst;
	__u16 csum;

	/*
	 * xdp_flood.c also attaches the program to IFNAME, only to keep it in
	 * the XDP dispatcher: there it sees real packets, which pass. test_run
	 * runs it on the namespace's loopback device.
	 */
	if (ctx->ingress_ifindex != LOOPBACK_IFINDEX)
		return XDP_PASS;

	if (use_order) {
		__u32 k = i & (XDP_FLOOD_ORDER_LEN - 1), *off;

		off = bpf_map_lookup_elem(&xdp_flood_order, &k);
		dst = bpf_htonl(base + (off ? *off : 0));
		next = k + 1;
	} else {
		dst = bpf_htonl(base + i);
		next = i + 1 < ndests ? i + 1 : 0;
	}
	csum = csum_with(dst);
	frames++;

	if (ipv6) {
		if (data + XDP_FLOOD_COPY6 > end)
			return XDP_ABORTED;
		for (int k = 0; k < XDP_FLOOD_COPY6 / 8; k++)
			w[k] = tmpl[k];
		*(__u32 *)(data + XDP_FLOOD_DST6) = dst;
		/* 0 would mean "no checksum", which IPv6 forbids (RFC 8200 8.1). */
		*(__u16 *)(data + XDP_FLOOD_CSUM6) = csum ?: 0xffff;
	} else {
		if (data + XDP_FLOOD_COPY4 > end)
			return XDP_ABORTED;
		for (int k = 0; k < XDP_FLOOD_COPY4 / 8; k++)
			w[k] = tmpl[k];
		*(__u32 *)(data + XDP_FLOOD_DST4) = dst;
		*(__u16 *)(data + XDP_FLOOD_CSUM4) = csum;
	}
	return bpf_redirect(ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
