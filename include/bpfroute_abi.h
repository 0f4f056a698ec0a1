/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The ABI between the bpfroute BPF programs and user space: map names, map
 * keys and values, counter indexes. This is the only definition; both sides
 * include it.
 *
 * Include a type header first: vmlinux.h in BPF, <linux/types.h> in user
 * space. This header includes nothing so that it never drags user-space
 * headers into a BPF object (they clash with vmlinux.h).
 *
 * Every struct has fixed-width fields and explicit padding, so its layout is
 * the same for clang -target bpf and for the host compiler. Addresses are
 * byte arrays in network order: `bpftool map dump` prints them as bytes an
 * operator can read (203, 0, 113, 0), not as a host-order integer.
 */
#ifndef BPFROUTE_ABI_H
#define BPFROUTE_ABI_H

/*
 * Map names: the kernel's map names and the pin file names under the pin
 * directory. The kernel keeps 15 characters of a name (BPF_OBJ_NAME_LEN), so
 * each stays within 15 and `bpftool map list` tells them apart.
 */
#define BPFROUTE_MAP_ROUTE4	bpfroute_route4	/* LPM trie: prefix -> target */
#define BPFROUTE_MAP_ROUTE6	bpfroute_route6
#define BPFROUTE_MAP_EXCL4	bpfroute_excl4	/* hash: never-steered destinations */
#define BPFROUTE_MAP_EXCL6	bpfroute_excl6
#define BPFROUTE_MAP_STATS	bpfroute_stats	/* per-CPU array of counters */

/* Capacities. A build may override them (-DBPFROUTE_MAX_PREFIXES=...). */
#ifndef BPFROUTE_MAX_PREFIXES
#define BPFROUTE_MAX_PREFIXES	65536	/* per family, configured and added */
#endif
#ifndef BPFROUTE_MAX_EXCL
#define BPFROUTE_MAX_EXCL	4096	/* per family: own addresses, endpoints */
#endif

/*
 * The TC filter's identity on each LAN interface's clsact ingress hook. Our
 * own handle and priority let bpfroute coexist with other filters there, and
 * make a second `load` replace exactly our filter (BPF_TC_F_REPLACE).
 */
#define BPFROUTE_TC_HANDLE	0xb9f0
#define BPFROUTE_TC_PRIORITY	0xb9f0

/* Route map keys. prefixlen first, as BPF_MAP_TYPE_LPM_TRIE requires. */
struct bpfroute_key4 {
	__u32 prefixlen;	/* host order, 0..32 */
	__u8 addr[4];		/* network order */
};

struct bpfroute_key6 {
	__u32 prefixlen;	/* host order, 0..128 */
	__u8 addr[16];		/* network order */
};

/* Who put an entry in the route maps. */
enum bpfroute_origin {
	BPFROUTE_ORIGIN_CONFIG = 1,	/* a `route PREFIX dev X` line of the config */
	BPFROUTE_ORIGIN_MANUAL = 2,	/* `bpfroute route add` */
};

/*
 * A route entry. The classifier adds to the counters with atomic adds in
 * place; user space replaces the entry only to change its target and carries
 * the counters over.
 */
struct bpfroute_route {
	__u32 ifindex;		/* target device, host order */
	__u16 origin;		/* enum bpfroute_origin */
	__u16 flags;		/* reserved, 0 */
	__u64 packets;		/* packets steered by this entry */
	__u64 bytes;		/* bytes steered (L2 length as received) */
};

/*
 * Why a destination is excluded: never steered, whatever route covers it.
 * A route of 0.0.0.0/0 must not capture the gateway's own addresses (the
 * operator's SSH session) nor a tunnel's endpoint (the tunnel would carry
 * its own encapsulated packets).
 */
enum bpfroute_excl_reason {
	BPFROUTE_EXCL_LOCAL = 1,	/* an address of the gateway itself */
	BPFROUTE_EXCL_ENDPOINT = 2,	/* a tunnel endpoint of a target device */
};

struct bpfroute_excl {
	__u32 reason;		/* enum bpfroute_excl_reason */
	__u32 ifindex;		/* device owning the address or the tunnel, host order */
};

struct bpfroute_addr4 {
	__u8 addr[4];		/* network order */
};

struct bpfroute_addr6 {
	__u8 addr[16];		/* network order */
};

/*
 * Per-CPU counters of the classifier, indexes into bpfroute_stats. Every
 * packet that enters the program is counted exactly once in one of the
 * verdict rows (STEERED .. PASS_NOT_FOR_US); BYTES_STEERED is extra.
 */
enum bpfroute_stat {
	BPFROUTE_STAT_STEERED = 0,	/* redirected into a target */
	BPFROUTE_STAT_MISS,		/* IP, no route: passed on untouched */
	BPFROUTE_STAT_PASS_NOT_IP,	/* not IPv4/IPv6 (ARP, LLDP, ...) */
	BPFROUTE_STAT_PASS_VLAN,	/* VLAN-tagged: belongs to the VLAN device */
	BPFROUTE_STAT_PASS_MALFORMED,	/* IP header truncated, bad length or
					 * checksum: the stack drops it */
	BPFROUTE_STAT_PASS_NOT_FOR_US,	/* L2 broadcast/multicast/other host */
	BPFROUTE_STAT_PASS_SPECIAL,	/* route hit, source or destination never
					 * forwarded: multicast, broadcast,
					 * loopback, link-local, unspecified */
	BPFROUTE_STAT_PASS_EXCLUDED,	/* route hit, destination in bpfroute_excl* */
	BPFROUTE_STAT_PASS_TTL,		/* route hit, TTL/hop limit would expire */
	BPFROUTE_STAT_BYTES_STEERED,	/* sum of steered bytes */
	BPFROUTE_STAT_MAX,
};

#endif /* BPFROUTE_ABI_H */
