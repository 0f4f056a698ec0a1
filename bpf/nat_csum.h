/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Checksum arithmetic for masquerade (nat.h).
 *
 * The Internet checksum is the one's complement of the one's complement sum
 * of 16-bit words (RFC 1071). That sum does not depend on byte order (RFC 1071
 * section 2(B)), so words are summed exactly as they load from memory, as the
 * kernel's csum_*() functions do, and a checksum stored in the packet is
 * patched from the words that changed, by RFC 1624 equation 3:
 *
 *	HC' = ~(~HC + ~m + m')
 *
 * A "diff" here is the sum of ~m + m' over the changed words: the form
 * bpf_l4_csum_replace() takes with a field size of 0, and what
 * csum_apply() adds to a checksum field written directly.
 *
 * Which way a field is patched depends on who else reads the checksum:
 *
 * - TCP and UDP checksums go through bpf_l4_csum_replace(). A packet from a
 *   local sender or a veth may be CHECKSUM_PARTIAL: its field then holds only
 *   the pseudo-header sum and the payload is summed later by the device, so a
 *   port change must leave it alone and an address change must patch it
 *   un-complemented; a CHECKSUM_COMPLETE skb->csum must follow an IPv4
 *   pseudo-header change. Only the kernel knows skb->ip_summed, and the helper
 *   does all of it (inet_proto_csum_replace4/2/_by_diff()).
 * - IPv4 header checksums and ICMP checksums are written directly: every
 *   change there is compensated inside the bytes skb->csum covers (the header
 *   or the ICMP message still sums to -0), so CHECKSUM_COMPLETE stays right,
 *   and ICMP is never CHECKSUM_PARTIAL (the stack sums ICMP in software).
 */
#ifndef BPFROUTE_NAT_CSUM_H
#define BPFROUTE_NAT_CSUM_H

#ifndef EINVAL
#define EINVAL	22
#endif

/* Add the change of one 16-bit word to a diff. */
static __always_inline __u32 csum_diff16(__u32 diff, __u16 from, __u16 to)
{
	return diff + (__u16)~from + to;
}

/*
 * Add the change of n bytes (n even and constant: 2, 4 or 16) to a diff.
 * Both sides must be 2-byte aligned, as every address and port is in the
 * packets and structs here.
 */
static __always_inline __u32 csum_diff_bytes(__u32 diff, const void *from, const void *to, int n)
{
	const __u16 *f = from, *t = to;

	for (int i = 0; i < n / 2; i++)
		diff = csum_diff16(diff, f[i], t[i]);
	return diff;
}

/* Fold a sum of at most 2^16 words into 16 bits, carries wrapped around. */
static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* RFC 1624 equation 3: the checksum field after words changed by diff. */
static __always_inline __u16 csum_apply(__u16 check, __u32 diff)
{
	return (__u16)~csum_fold((__u16)~check + diff);
}

/* An IPv4 header checksum after a 4-byte field (an address) changed. */
static __always_inline void csum_replace4(__u16 *check, __be32 from, __be32 to)
{
	*check = csum_apply(*check, csum_diff_bytes(0, &from, &to, 4));
}

/*
 * A UDP checksum field after a diff: zero means "no checksum" over IPv4 and
 * stays zero (RFC 768); a result of zero is sent as all ones, its other
 * representation in one's complement. The same rule as BPF_F_MARK_MANGLED_0.
 */
static __always_inline __u16 csum_apply_udp(__u16 check, __u32 diff)
{
	__u16 c;

	if (!check)
		return 0;
	c = csum_apply(check, diff);
	return c ? c : 0xffff;
}

/*
 * The TCP or UDP checksum at off after the IPv6 address in its pseudo-header
 * changed by diff. With BPF_F_IPV6 the kernel knows that the address change
 * and the checksum change cancel out in a CHECKSUM_COMPLETE skb->csum; older
 * kernels refuse the flag with -EINVAL and instead adjust skb->csum as for
 * IPv4, so the adjustment is undone with bpf_csum_update() (a no-op unless
 * CHECKSUM_COMPLETE). The flag came with "bpf: Support L4 csum update for
 * IPv6 address changes" (kernel-patches/bpf#8975, Cilium #39279, 2025).
 */
static __always_inline long l4_csum_pseudo6(struct __sk_buff *skb, __u32 off, __u32 diff,
					    __u64 flags)
{
	long err;

	err = bpf_l4_csum_replace(skb, off, 0, diff, flags | BPF_F_PSEUDO_HDR | BPF_F_IPV6);
	if (err != -EINVAL)
		return err;
	err = bpf_l4_csum_replace(skb, off, 0, diff, flags | BPF_F_PSEUDO_HDR);
	if (!err)
		bpf_csum_update(skb, diff);
	return err;
}

#endif /* BPFROUTE_NAT_CSUM_H */
