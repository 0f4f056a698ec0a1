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
/* Learning from DNS answers. */
#define BPFROUTE_MAP_HOST4	bpfroute_host4	/* array of maps: the learned table and */
#define BPFROUTE_MAP_HOST6	bpfroute_host6	/* filter (bpfroute_table.h) */
#define BPFROUTE_MAP_HOSTCTL	bpfroute_hostctl /* array: fill of the learned tables */
#define BPFROUTE_MAP_RULES	bpfroute_rules	/* hash: domain rules */
#define BPFROUTE_MAP_NAMES	bpfroute_names	/* hash: name id -> question name */
#define BPFROUTE_MAP_QUERIES	bpfroute_query	/* array: queries awaiting answers, by client */
#define BPFROUTE_MAP_QSEEN	bpfroute_qseen	/* array: recent queries' keys */
#define BPFROUTE_MAP_RESOLVERS	bpfroute_resolv	/* hash: trusted DNS servers */
#define BPFROUTE_MAP_CONF	bpfroute_conf	/* array[1]: struct bpfroute_conf */
#define BPFROUTE_MAP_EVENTS	bpfroute_events	/* ring buffer: answers for the agent */
#define BPFROUTE_MAP_SCRATCH	bpfroute_scratch /* per-CPU work buffer of the parser */
#define BPFROUTE_MAP_HSCRATCH	bpfroute_hscratch /* per-CPU work area of table writes */
/* Masquerade: sharing one tunnel address with the whole LAN. */
#define BPFROUTE_MAP_TARGETS	bpfroute_target	/* hash: target ifindex -> its addresses */
#define BPFROUTE_MAP_NAT_OUT	bpfroute_nat_out /* hash: client's flow -> translation */
#define BPFROUTE_MAP_NAT_IN	bpfroute_nat_in	/* hash: translated flow -> client */
#define BPFROUTE_MAP_NAT_CLIENTS bpfroute_natcli /* array: flows per client, hashed */
#define BPFROUTE_MAP_LANS	bpfroute_lan	/* hash: XDP stage's LAN ifindex -> its MAC */
#define BPFROUTE_MAP_ICMPRL	bpfroute_icmprl	/* per-CPU array[1]: ICMP error rate limit */
#define BPFROUTE_MAP_PFXSUM	bpfroute_pfxsum	/* array: which /16s a prefix covers */
#define BPFROUTE_MAP_LAYOUT	bpfroute_layout	/* array[1]: BPFROUTE_LAYOUT_VERSION */
#define BPFROUTE_MAP_AGENT	bpfroute_agent	/* array[1]: struct bpfroute_agent */
/* Client groups: which sources a rule of a group steers. */
#define BPFROUTE_MAP_CLI4	bpfroute_cli4	/* LPM trie: client prefix -> group mask */
#define BPFROUTE_MAP_CLI6	bpfroute_cli6
#define BPFROUTE_MAP_CLIGRP	bpfroute_cligrp	/* array: group id -> name, for show */
/*
 * The inner maps of bpfroute_host4/6, made by user space and not pinned
 * (bpfroute_host4/6 hold them): every table and filter of a family carries
 * the same name, for `bpftool map show name`.
 */
#define BPFROUTE_INNER_TABLE4	bpfroute_tbl4	/* array: slots of struct bpfroute_host */
#define BPFROUTE_INNER_TABLE6	bpfroute_tbl6
#define BPFROUTE_INNER_FILTER4	bpfroute_flt4	/* array: blocks of a Bloom filter */
#define BPFROUTE_INNER_FILTER6	bpfroute_flt6

/*
 * bpfroute_pfxsum: which 65536ths of the address space (by the first 16
 * bits, IPv4 and IPv6 alike) some configured or added prefix covers, a bit
 * each, IPv4's words first: a destination in none skips the tries.
 */
#define BPFROUTE_PFXSUM_WORDS	1024	/* __u64 words per family */

/*
 * The layout of the pinned state: what `load` records in bpfroute_layout,
 * and what every command compares before it uses a pinned map. Bump it with
 * any change that an older instance's pinned maps cannot be reused for: the
 * type, key size, value size, max_entries or flags of a pinned map, the
 * meaning of a key or value (a struct's fields moved or reinterpreted), or
 * the shape of the maps a pinned map holds (the learned tables of
 * bpfroute_host4/6). A new map, a new counter within BPFROUTE_STATS_ROWS or a
 * new flag in a reserved field needs no bump: an older instance's maps serve
 * as they are. bpfroute_layout itself keeps its shape forever, so that any
 * version can read it.
 */
#define BPFROUTE_LAYOUT_VERSION	2

/*
 * The capacities of the rules and the prefix tries come from the config
 * (max-rules, max-prefixes): `load` sets each map's max_entries before it
 * creates it, and every reader takes the pinned map's own max_entries. The
 * sizes declared in bpf/maps.h are the defaults' floors; the limits bound
 * what a config may ask for.
 */
#define BPFROUTE_PREFIXES_DEFAULT	65536	/* per family, configured and added */
#define BPFROUTE_PREFIXES_LIMIT		(1U << 20)
#define BPFROUTE_RULES_DEFAULT		4096	/* domain rules */
#define BPFROUTE_RULES_LIMIT		(1U << 20)

/* Other capacities. A build may override them (-DBPFROUTE_MAX_EXCL=...). */
#ifndef BPFROUTE_MAX_EXCL
#define BPFROUTE_MAX_EXCL	4096	/* per family: own addresses, endpoints */
#endif
#ifndef BPFROUTE_MAX_NAMES
#define BPFROUTE_MAX_NAMES	65536	/* distinct question names of learned entries */
#endif
#ifndef BPFROUTE_MAX_QUERIES
#define BPFROUTE_MAX_QUERIES	65536	/* outstanding queries, all clients (a power of 2) */
#endif
#ifndef BPFROUTE_QUERIES_PER_CLIENT
#define BPFROUTE_QUERIES_PER_CLIENT 16	/* a client's own outstanding queries (power of 2) */
#endif
#ifndef BPFROUTE_QUERY_SHARED_SLOTS
#define BPFROUTE_QUERY_SHARED_SLOTS 16384	/* beyond a client's own (a power of 2) */
#endif
#ifndef BPFROUTE_MAX_RESOLVERS
#define BPFROUTE_MAX_RESOLVERS	64
#endif
#ifndef BPFROUTE_MAX_TARGETS
#define BPFROUTE_MAX_TARGETS	256	/* target devices */
#endif
#ifndef BPFROUTE_MAX_LANS
#define BPFROUTE_MAX_LANS	256	/* LAN interfaces with the XDP stage */
#endif
#ifndef BPFROUTE_MAX_FLOWS
#define BPFROUTE_MAX_FLOWS	262144	/* masqueraded flows, each direction */
#endif
/*
 * bpfroute_natcli: flows per client address, counted in two rows of this
 * many __u64 counters (a power of two), each picked by its own keyed hash of
 * the address (bpfroute_client_slot() in bpfroute_policy.h).
 */
#ifndef BPFROUTE_NAT_CLIENT_SLOTS
#define BPFROUTE_NAT_CLIENT_SLOTS	32768
#endif
#define BPFROUTE_NAT_CLIENT_ROWS	2
/*
 * Client groups (`clients NAME PREFIX...`): ids 1..BPFROUTE_MAX_CLIENT_GROUPS,
 * a bit each (bit id - 1) of the __u64 mask of bpfroute_cli4/6; 0 in a
 * rule, route or learned entry: every client.
 */
#define BPFROUTE_MAX_CLIENT_GROUPS	64
#define BPFROUTE_CLIENTS_NAME_MAX	32	/* a group's name, with the NUL */
#ifndef BPFROUTE_MAX_CLIENT_PREFIXES
#define BPFROUTE_MAX_CLIENT_PREFIXES	4096	/* per family, all groups */
#endif
#ifndef BPFROUTE_EVENTS_BYTES
#define BPFROUTE_EVENTS_BYTES	(4 << 20)	/* ring buffer */
#endif
/*
 * The largest DNS message the kernel parser looks at, a power of two. Larger
 * messages (rare: EDNS answers above 2 KiB) are counted and not learned.
 */
#define BPFROUTE_DNS_MSG_MAX	2048
#define BPFROUTE_DNS_NAME_MAX	256	/* wire-format name with its root label */
/*
 * What the kernel learns of one answer; the agent finishes a larger one
 * (verdict BPFROUTE_DNS_AGENT) a moment after it has left, so a client
 * connecting at once to an address past these is not steered on its first
 * packet. 64 A records take 1024 bytes with compressed owners, within the
 * 1232-byte EDNS answers resolvers send by default; 64 AAAA records take
 * 1792, within BPFROUTE_DNS_MSG_MAX with the header, an OPT record and a
 * question name of up to 229 bytes, though not in one 1500-byte packet
 * (the kernel parses neither IP fragments nor an answer split over TCP
 * segments). A message of
 * BPFROUTE_DNS_MSG_MAX holds at most 128 records that are addresses (16
 * bytes and more with a compressed owner) or links of a CNAME chain (14
 * and more, BPFROUTE_DNS_CHAIN_MAX at most): the walk reaches the end of
 * any such answer. The walks run under bpf_loop(), whose callbacks the
 * verifier checks once whatever the bound, and stop at the answer's last
 * record: small answers pay nothing for large bounds. LEARN_MAX is a
 * power of two: bpf/dns.h indexes scratch->learn by mask.
 */
#define BPFROUTE_DNS_LEARN_MAX	64	/* addresses one answer can install in the kernel */
#define BPFROUTE_DNS_CHAIN_MAX	16	/* CNAME links followed */
#define BPFROUTE_DNS_RR_MAX	128	/* answer records the kernel parser walks */

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
	BPFROUTE_ORIGIN_LEARNED = 3,	/* a DNS answer (bpfroute_host4/6) */
};

/*
 * A route entry. The classifier adds to the counters with atomic adds in
 * place; user space replaces the entry only to change its target and carries
 * the counters over.
 */
struct bpfroute_route {
	__u32 ifindex;		/* target device, host order */
	__u8 origin;		/* enum bpfroute_origin */
	__u8 clients;		/* client group that it steers for; 0: every client */
	__u16 flags;		/* BPFROUTE_ROUTE_F_*; other bits reserved, 0 */
	__u64 packets;		/* packets steered (a bypass: passed) by this entry */
	__u64 bytes;		/* bytes steered (L2 length as received) */
};

/*
 * A `bypass PREFIX` line: destinations in the prefix stay on the ordinary
 * path (ifindex 0). The LPM lookup gives the most specific prefix, so a
 * bypass inside a route prefix passes and a route inside a bypass steers.
 * An address inside a bypass prefix is never learned either.
 */
#define BPFROUTE_ROUTE_F_BYPASS		(1U << 0)

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
 * Learned addresses live in open-addressing tables of one cache line per
 * address (bpfroute_table.h has the algorithm, shared by both sides): a hit
 * reads one line, key and all, where a BPF hash map reads a bucket and then
 * an element. Each family has a table and, in front of it, a Bloom filter
 * that a miss reads instead, one line of a small map. Both are array maps
 * (BPF_F_MMAPABLE, so the agent reads and writes them in place), held in the
 * family's array of maps, bpfroute_host4/6, by role:
 */
enum bpfroute_hosts_role {
	BPFROUTE_HOSTS_TABLE = 0,	/* the table the datapath looks up */
	BPFROUTE_HOSTS_FILTER,		/* its filter */
	BPFROUTE_HOSTS_NEXT_TABLE,	/* while the agent rebuilds (grows, shrinks, */
	BPFROUTE_HOSTS_NEXT_FILTER,	/* cleans): the learner writes both */
	BPFROUTE_HOSTS_ROLES,
};

/*
 * One slot of a learned table: a learned address. It steers until it
 * expires, and after that for as long as packets keep using it: an entry
 * unused for the idle timeout (bpfroute_conf.idle_timeout, one for every
 * entry, so that a reload that changes it applies at once) past
 * max(expires, last_used) is a miss for the classifier and is removed by the
 * agent. So a long connection is never
 * cut because a DNS TTL ran out, and expiry holds when the agent is down.
 * Times are whole seconds of CLOCK_MONOTONIC (bpf_ktime_get_coarse_ns() on
 * the packet path: no clock source read per packet).
 *
 * state: BPFROUTE_SLOT_* in the low two bits (bpfroute_table.h), and above
 * them the fingerprint of the key being written (BUSY) or a version that
 * every renewal bumps (LIVE), so that a delete racing a renewal fails.
 */
struct bpfroute_host {
	__u32 state;
	__u32 ifindex;		/* target device, host order */
	__u8 addr[16];		/* network order; IPv4 in the first 4 bytes, the rest 0 */
	__u32 expires;		/* end of the clamped DNS TTL, seconds */
	__u32 last_used;	/* last steered packet, seconds */
	__u32 rule;		/* id of the domain rule that learned it, or: */
#define BPFROUTE_RULE_IMPORTED	0xfffffffeU	/* from another gateway (import table) */
	__u16 nh;		/* next hop on an Ethernet target (BPFROUTE_NH_*) */
	__u8 clients;		/* its rule's client group; 0: every client */
	__u8 pad;		/* reserved, 0 */
	__u64 name_id;		/* key of the question name in bpfroute_names */
	__u64 packets;
	__u64 bytes;
};

/*
 * Learned table sizes, in slots (powers of two): the smallest made, and the
 * largest (2^26 slots of 64 bytes: 4 GiB). A table's filter has a 64-byte
 * block of 512 bits per 64 slots.
 */
#define BPFROUTE_TABLE_MIN_SLOTS	(1U << 14)
#define BPFROUTE_TABLE_MAX_SLOTS	(1U << 26)
#define BPFROUTE_FILTER_SLOTS_PER_BLOCK	64
#define BPFROUTE_FILTER_WORDS		8	/* __u64 of a block */

/*
 * The fill of a family's learned table (bpfroute_hostctl, index 0 IPv4,
 * 1 IPv6), a cache line each: the learner counts what it adds, the agent
 * what it deletes. max-routes bounds live.
 */
struct bpfroute_hostctl {
	__u32 live;		/* LIVE slots of the table */
	__u32 dead;		/* DEAD slots of the table: deletes since it was built */
	__u32 next_failed;	/* learner writes that found the next table too full */
	/*
	 * Entries claimed far from their home slot, or refused for want of a
	 * slot within reach: DEAD slots crowd a probe window long before the
	 * table is full (an address learned and deleted again and again
	 * moves one slot on each time). The agent rebuilds when it grows.
	 */
	__u32 far;
	__u32 pad[12];
};

/*
 * Domain rules. The key is a keyed hash of a lower-case wire-format name:
 * the whole question for an exact rule, the part below the wildcard for a
 * `*.` rule. The value holds the name itself, compared byte for byte after
 * the hash matches, so a hash collision can never steer.
 */
struct bpfroute_rule_key {
	__u64 hash;
	__u32 wildcard;		/* 1: names strictly below `name`; 0: `name` itself */
	__u32 pad;
};

struct bpfroute_rule {
	__u32 ifindex;		/* target device, host order */
	__u32 id;		/* rule id, shown as the origin's rule */
	__u16 name_len;		/* bytes of name, root label included */
	__u16 flags;		/* BPFROUTE_RULE_F_*; other bits reserved, 0 */
	__u8 clients;		/* client group whose sources it steers; 0: every client */
	__u8 pad[3];
	__u8 name[BPFROUTE_DNS_NAME_MAX];	/* lower-case wire format */
};

/*
 * A `bypass NAME` or `bypass *.NAME` line (ifindex 0): a question whose most
 * specific rule is a bypass is not learned, so `bypass public.corp.example.com`
 * carves a name out of `route *.corp.example.com`.
 */
#define BPFROUTE_RULE_F_BYPASS		(1U << 0)

/*
 * A client group's name (bpfroute_cligrp, keyed by its id; entry 0 unused),
 * written by `load` for the commands that show rules and routes; the
 * programs never read it. An empty name: no such group.
 */
struct bpfroute_clients_name {
	char name[BPFROUTE_CLIENTS_NAME_MAX];	/* NUL-terminated */
};

/* A question name of learned entries, for `bpfroute routes`. */
struct bpfroute_name {
	__u16 len;
	__u8 pad[6];
	__u8 name[BPFROUTE_DNS_NAME_MAX];	/* lower-case wire format */
};

/*
 * A query on its way to a resolver, recorded on LAN ingress. The answer must
 * be its exact reverse: same client address and port, same id, same server
 * address and port, same question. Addresses of either family in 16 bytes:
 * IPv4 in the first 4, the rest zero.
 */
struct bpfroute_query_key {
	__u8 client[16];	/* network order */
	__u16 client_port;	/* network order */
	__u16 id;		/* DNS id, network order */
	__u8 family;		/* 4 or 6 */
	__u8 proto;		/* IPPROTO_UDP or IPPROTO_TCP */
	__u8 pad[2];
};

struct bpfroute_query {
	__u8 server[16];	/* network order */
	__u16 server_port;	/* network order */
	__u16 qtype;		/* host order */
	__u16 qclass;		/* host order */
	__u16 pad;
	__u64 qhash;		/* keyed hash of the question name */
	__u64 sent_ns;		/* CLOCK_MONOTONIC when it was recorded */
};

/*
 * bpfroute_query: an array of buckets, one per client address (see
 * bpfroute_query_bucket() in bpfroute_policy.h for which), each holding that
 * client's last BPFROUTE_QUERIES_PER_CLIENT outstanding queries. A new query
 * takes a free slot of its bucket, else the slot of the same key (a
 * retransmission). With its bucket full, a busy client (a resolver on the
 * LAN, a load test) goes on in BPFROUTE_QUERY_SHARED_BUCKETS more buckets
 * shared by all clients: one slot at a keyed hash of the whole key
 * (bpfroute_query_shared() in bpfroute_policy.h), taken only if free or
 * older than BPFROUTE_QUERY_KEEP_NS. Else the query takes the place of
 * the client's own oldest: a client flooding queries overwrites its own
 * and stale ones, never another's pending query. A slot with family 0 is
 * free; an answered query frees its slot.
 *
 * Plain stores, no lock: two CPUs writing one bucket at once (one client's
 * queries on two CPUs in the same instant) can leave a slot mixing the two
 * queries, which then matches neither answer (or, at worst, an answer to a
 * question the client asked from another port of its own).
 */
#define BPFROUTE_QUERY_BUCKETS	(BPFROUTE_MAX_QUERIES / BPFROUTE_QUERIES_PER_CLIENT)
/* After the clients' buckets, in the same map. */
#define BPFROUTE_QUERY_SHARED_BUCKETS (BPFROUTE_QUERY_SHARED_SLOTS / BPFROUTE_QUERIES_PER_CLIENT)
/* Buckets of one IPv4 /24 (by the last byte) or IPv6 /64 (by a hash of the rest). */
#define BPFROUTE_QUERY_HOSTS	256
#define BPFROUTE_QUERY_NETS	(BPFROUTE_QUERY_BUCKETS / BPFROUTE_QUERY_HOSTS)

struct bpfroute_query_slot {
	struct bpfroute_query_key key;
	struct bpfroute_query q;
};

struct bpfroute_query_bucket {
	struct bpfroute_query_slot slot[BPFROUTE_QUERIES_PER_CLIENT];
};

/*
 * For telling why an answer matched no query (counters only): bpfroute_qseen,
 * an array of the keys of recent queries, each written at two slots, one
 * picked by a keyed hash of (client, id), one by (client, port). An answer
 * that matches no query then finds whether its client asked with this id from
 * another port, or from this port with another id. A plain store, no lock and
 * no eviction list: a slot holds the last key written there, so older
 * queries are forgotten about as in an LRU map of the same size, and two
 * CPUs writing one slot at once can at worst make one refusal count under
 * another reason.
 */
#define BPFROUTE_QSEEN_SLOTS	(2 * BPFROUTE_MAX_QUERIES)	/* a power of 2 */
#define BPFROUTE_QSEEN_BY_ID	1U
#define BPFROUTE_QSEEN_BY_PORT	2U

/* A trusted resolver (bpfroute_resolv); the value is unused (1). */
struct bpfroute_resolver_key {
	__u8 addr[16];		/* network order */
	__u32 family;		/* 4 or 6 */
};

/*
 * A learned entry to an Ethernet target keeps the next hop the FIB gave its
 * destination for the rest of that second: bpfroute_host.nh holds its index
 * in the target's nh[] (low 3 bits) and the low 13 bits of the second, 0
 * none. The next packet in another second asks the FIB again, so a route or
 * neighbour that changes takes effect within a second.
 */
#define BPFROUTE_TARGET_NH		8
#define BPFROUTE_NH_IDX_BITS		3
#define BPFROUTE_NH_VALID		(1ULL << 63)

/*
 * A target device (bpfroute_target, keyed by its ifindex, host order). With
 * BPFROUTE_TARGET_F_MASQ, steered packets leave with the device's own
 * address as their source, and replies are translated back.
 */
struct bpfroute_target {
	__u32 flags;		/* BPFROUTE_TARGET_F_* */
	__u8 addr4[4];		/* its global IPv4 address, network order; 0: none */
	__u8 addr6[16];		/* its global IPv6 address; ::: none (never link-local) */
	/*
	 * An Ethernet target's next hops, as the classifiers met them in the
	 * FIB (bpf/next_hop.h); user space writes zeros, the datapath fills.
	 */
	__u8 mac[6];		/* the device's own MAC, as the FIB gave it */
	__u16 pad;
	__u32 nh_count;		/* next hops claimed in nh[] (may pass BPFROUTE_TARGET_NH) */
	__u32 pad2;
	__u64 nh[BPFROUTE_TARGET_NH];	/* a next hop's MAC in the low 6 bytes (network
					 * order as in memory), BPFROUTE_NH_VALID set */
};

#define BPFROUTE_TARGET_F_MASQ		(1U << 0)
/*
 * No longer masqueraded, but flows made while it was still translate until
 * they time out: a reload that drops `masquerade` applies to new flows.
 */
#define BPFROUTE_TARGET_F_DRAIN		(1U << 1)
/*
 * The device has an Ethernet header: steered packets get the MAC addresses of
 * the next hop (bpf_redirect_neigh(): the kernel's route through that device
 * for the destination, else the destination itself, on link). Without it
 * (WireGuard, TUN) the kernel drops the MAC header on redirect.
 */
#define BPFROUTE_TARGET_F_ETHER		(1U << 2)
/*
 * `target DEV xdp`: the device accepts XDP frames (a NIC with
 * ndo_xdp_xmit, a veth whose peer has XDP or GRO on), so the XDP stage on the
 * LAN interfaces forwards to it itself. Only with F_ETHER, never with F_MASQ.
 */
#define BPFROUTE_TARGET_F_XDP		(1U << 3)
/*
 * The device is down: not IFF_UP, no carrier or oper state down, or gone.
 * A redirect there never leaves by another way (the kernel drops it in
 * dev_queue_xmit(), or in skb_do_redirect() for a deleted ifindex), but
 * nothing would count it: `load` sets the flag from the link's state, and
 * the agent keeps it current from rtnetlink's link notifications. While
 * the agent is not running it can lag behind the link.
 */
#define BPFROUTE_TARGET_F_DOWN		(1U << 4)
/*
 * `target DEV strict no`: while the device is down, its packets take the
 * gateway's ordinary path (its routing table) instead of being dropped.
 * Without it (strict, the default), they are dropped and counted: a
 * tunnel that goes down must not leak what it carried onto the uplink.
 */
#define BPFROUTE_TARGET_F_FALLBACK	(1U << 5)

/*
 * The XDP stage's verdict for TC, in the frame's metadata (4 bytes before the
 * frame, host order): it looked the destination up and found no route, so the
 * TC stage does not look again; EXPIRED: a learned entry past its life was
 * skipped (TC counts it). Frames without it are looked up in TC as always.
 */
#define BPFROUTE_XDP_META_MISS		0xb9f00000U
#define BPFROUTE_XDP_META_EXPIRED	0x1U

/*
 * A LAN interface with the XDP stage (bpfroute_lan, keyed by its ifindex, host
 * order). XDP sees frames before the stack has a pkt_type: the stage forwards
 * only frames sent to this MAC, as a router does, and leaves the rest to TC.
 */
struct bpfroute_lan {
	__u8 mac[6];
	__u16 pad;
};

/*
 * The ICMP errors the classifier sends for packets too big for their target
 * (bpf/mtu.h), limited per CPU by a token bucket in bpfroute_icmprl. The
 * kernel exempts these two from its own limits (icmpv4_mask_allow(): "Don't
 * limit PMTU discovery"; ICMPv6 type 2 is outside icmp/ratemask's default),
 * but a LAN host sending nothing but big DF packets would then have every
 * one answered: they get the numbers of the kernel's global limit for the
 * other errors (net.ipv4.icmp_msgs_per_sec 1000, icmp_msgs_burst 50). A
 * sender that honours the first error sends no more.
 */
#ifndef BPFROUTE_ICMP_PER_SEC
#define BPFROUTE_ICMP_PER_SEC	1000
#endif
#ifndef BPFROUTE_ICMP_BURST
#define BPFROUTE_ICMP_BURST	50
#endif

/* bpfroute_icmprl's one per-CPU entry. */
struct bpfroute_icmp_state {
	__u64 credit_ns;	/* time earned towards the next error, at most a burst's */
	__u64 last_ns;		/* bpf_ktime_get_ns() of the last error asked for */
	/*
	 * Room for the parameters of the FIB lookup of the error's source
	 * (struct bpf_fib_lookup): the classifier's stack has none left.
	 */
	__u64 fib[8];
};

/*
 * One direction of a masqueraded flow, as its packets carry it. For ICMP
 * echo both ports hold the echo identifier. Addresses of either family in
 * 16 bytes, IPv4 in the first 4.
 *   bpfroute_nat_out: client -> remote, as the client sent it;
 *   bpfroute_nat_in:  remote -> target address, as replies arrive.
 */
struct bpfroute_flow_key {
	__u8 saddr[16];		/* network order */
	__u8 daddr[16];
	__u16 sport;		/* network order */
	__u16 dport;
	__u8 family;		/* 4 or 6 */
	__u8 proto;		/* IPPROTO_TCP, _UDP, _ICMP or _ICMPV6 */
	__u8 pad[2];
};

/* Where a flow is translated to: the value of both NAT maps. */
struct bpfroute_nat {
	__u8 addr[16];		/* out: the new source; in: the client's address */
	__u16 port;		/* out: the new source port; in: the client's port */
	__u8 state;		/* enum bpfroute_flow_state, as this direction saw it */
	__u8 flags;		/* BPFROUTE_NAT_F_* */
	__u32 ifindex;		/* out: the target device; in: the client's LAN device */
	__u64 last_seen_ns;	/* CLOCK_MONOTONIC, to a clock tick */
	__u64 packets;
	__u64 bytes;
};

/*
 * bpfroute_nat_in of a TCP flow: the remote answered the client's SYN (a
 * SYN-ACK, or any segment but a RST of a flow picked up mid-stream). Only
 * the client's next ACK then makes the flow established.
 */
#define BPFROUTE_NAT_F_REPLIED		(1U << 0)
/*
 * bpfroute_nat_out of a TCP flow: it was established once. A connection
 * reset or closed before that times out as a half-open one (conntrack: 10 s
 * after a RST in SYN_SENT), not as a closing one: a client that answers a
 * forged SYN's SYN-ACK with a RST must not turn it into a 2-minute flow.
 */
#define BPFROUTE_NAT_F_ESTABLISHED	(1U << 1)

/* Like conntrack's, coarse: what decides a flow's timeout (bpfroute_policy.h). */
enum bpfroute_flow_state {
	BPFROUTE_FLOW_NEW = 1,		/* UDP, ICMP: no reply yet; TCP: half-open,
					 * no ACK of the client after the remote's
					 * answer yet */
	BPFROUTE_FLOW_ESTABLISHED,	/* UDP, ICMP: replies seen; TCP: handshake done */
	BPFROUTE_FLOW_CLOSING,		/* TCP FIN or RST seen */
};

/* Settings the BPF programs read: bpfroute_conf[0]. */
struct bpfroute_conf {
	__u64 hash_key[2];	/* secret of the name and address hashes, random,
				 * kept over reloads */
	__u32 min_ttl;		/* seconds */
	__u32 max_ttl;
	__u32 idle_timeout;
	__u32 flags;		/* BPFROUTE_CONF_F_* */
	__u32 max_routes;	/* learned entries per family */
	__u32 max_client_flows;	/* masqueraded flows per client address; 0: the
				 * default, BPFROUTE_CLIENT_FLOWS_DEFAULT */
};

#define BPFROUTE_CONF_F_RESOLVERS	(1U << 0)	/* trust only bpfroute_resolv */
#define BPFROUTE_CONF_F_LEARN		(1U << 1)	/* domain rules exist: snoop DNS */
/*
 * Learned entries may keep their next hop (BPFROUTE_TARGET_NH): `load` found
 * no policy rule, so the FIB's answer for a destination through a target
 * does not depend on the client that sends to it.
 */
#define BPFROUTE_CONF_F_NH_CACHE	(1U << 2)

/* What the kernel did with an answer, in its event for the agent. */
enum bpfroute_dns_verdict {
	BPFROUTE_DNS_LEARNED = 1,	/* every address on the chain installed */
	BPFROUTE_DNS_NOTHING,		/* matched a rule, no address to learn */
	BPFROUTE_DNS_FULL,		/* some address refused: map full */
	BPFROUTE_DNS_AGENT,		/* more records or addresses than the
					 * kernel walks: the agent learns the rest */
};

/*
 * One answer for the agent. Only an answer the agent must finish (verdict
 * AGENT or FULL) carries its DNS message, cap_len bytes after the header
 * (for TCP without the 2-byte length prefix); bookkeeping needs no more than
 * the header, and a ring buffer of headers holds far more answers.
 */
struct bpfroute_dns_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC of the answer on LAN egress */
	__u64 name_id;		/* the question, in bpfroute_names once learned */
	__u8 client[16];	/* network order */
	__u8 server[16];
	__u16 client_port;	/* network order */
	__u16 server_port;
	__u8 family;		/* 4 or 6 */
	__u8 proto;
	__u8 verdict;		/* enum bpfroute_dns_verdict */
	__u8 pad;
	__u32 rule;		/* id of the matching rule */
	__u16 learned;		/* addresses the kernel installed or renewed */
	__u16 pad2;
	__u32 msg_len;		/* length of the DNS message */
	__u32 cap_len;		/* bytes of it that follow (0: none) */
	__u32 ifindex;		/* target of the rule */
	__u32 pad3;
	/* cap_len bytes of the message follow */
};

/*
 * Per-CPU counters of the classifier, indexes into bpfroute_stats. Every
 * packet that enters the program is counted exactly once in one of the
 * verdict rows (STEERED .. PASS_NOT_FOR_US, DROP_TARGET_DOWN, PASS_TARGET_DOWN,
 * PASS_BYPASS, TOO_BIG_ICMP, TOO_BIG_RATELIMITED, TOO_BIG_DROPPED);
 * BYTES_STEERED, MSS_CLAMPED and TOO_BIG_NO_DF are extra.
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
	/*
	 * DNS. A query counts DNS_QUERY or one reason it was not recorded
	 * (DNS_QUERY_UNTRUSTED, DNS_QUERY_TTL, DNS_QUERY_OFF_PATH); an answer
	 * counts DNS_ANSWER and at most one outcome (LEARNED .. TOO_BIG, BYPASS). The
	 * per-record and per-address rows (OFF_CHAIN, REFUSED_*, TO_AGENT,
	 * LEARNED_ADDRS) come on top.
	 */
	BPFROUTE_STAT_DNS_QUERY,	/* query recorded (LAN ingress) */
	BPFROUTE_STAT_DNS_QUERY_UNTRUSTED, /* query to a server not trusted: ignored */
	BPFROUTE_STAT_DNS_ANSWER,	/* answer seen (LAN egress), before any check */
	BPFROUTE_STAT_DNS_LEARNED,	/* answer whose addresses were installed */
	BPFROUTE_STAT_DNS_NO_RULE,	/* genuine answer, question matches no rule */
	BPFROUTE_STAT_DNS_UNSOLICITED,	/* no query from that client socket */
	BPFROUTE_STAT_DNS_WRONG_ID,	/* the socket asked, but with another id */
	BPFROUTE_STAT_DNS_WRONG_PORT,	/* the id was asked from another port */
	BPFROUTE_STAT_DNS_WRONG_SERVER,	/* answer from another server than asked */
	BPFROUTE_STAT_DNS_UNTRUSTED,	/* answer from a server not trusted */
	BPFROUTE_STAT_DNS_WRONG_QUESTION, /* question differs from the query's */
	BPFROUTE_STAT_DNS_MALFORMED,	/* bad header, name, pointer or record */
	BPFROUTE_STAT_DNS_CNAME_LOOP,	/* chain revisits a name or is too long */
	BPFROUTE_STAT_DNS_OFF_CHAIN,	/* record skipped: owner not on the chain */
	BPFROUTE_STAT_DNS_REFUSED_ADDR,	/* address never learned: own, resolver,
					 * endpoint, special */
	BPFROUTE_STAT_DNS_REFUSED_FULL,	/* address refused: learned map full */
	BPFROUTE_STAT_DNS_TO_AGENT,	/* answer handed to the agent to finish */
	BPFROUTE_STAT_DNS_TOO_BIG,	/* answer not whole in one packet, or above
					 * BPFROUTE_DNS_MSG_MAX: not learned */
	BPFROUTE_STAT_DNS_EVENT_LOST,	/* ring buffer full: event dropped */
	BPFROUTE_STAT_LEARNED_ADDRS,	/* addresses installed or renewed */
	BPFROUTE_STAT_HOST_EXPIRED,	/* packet to a learned entry past its life */
	/* Masquerade. */
	BPFROUTE_STAT_NAT_NEW,		/* flow created */
	BPFROUTE_STAT_NAT_FULL,		/* new flow refused: flow table full */
	BPFROUTE_STAT_NAT_NO_PORT,	/* new flow refused: no free port */
	BPFROUTE_STAT_NAT_NO_ADDR,	/* new flow refused: target has no address
					 * of the packet's family */
	BPFROUTE_STAT_NAT_UNSUPPORTED,	/* protocol not translated (not TCP, UDP,
					 * ICMP echo): dropped, never leaked */
	BPFROUTE_STAT_NAT_IN,		/* reply translated back to a client */
	BPFROUTE_STAT_NAT_IN_ICMP,	/* ICMP error about a flow, translated */
	BPFROUTE_STAT_NAT_IN_MISS,	/* arriving on a target, no flow: passed on */
	/*
	 * The XDP stage counts STEERED and BYTES_STEERED for what it forwards
	 * (such a packet never reaches TC); this row says how many of them.
	 */
	BPFROUTE_STAT_XDP_STEERED,
	/* Masquerade, later additions. */
	BPFROUTE_STAT_NAT_BAD_SOURCE,	/* new flow refused: the source fails the
					 * reverse-path check on its LAN device
					 * (spoofed): dropped */
	BPFROUTE_STAT_NAT_CLIENT_CAP,	/* new flow refused: the client has
					 * max-client-flows flows: dropped */
	BPFROUTE_STAT_NAT_EARLY_DROP,	/* a flow never established gave its
					 * port to a new one: every port tried
					 * was taken (bpfroute_policy.h) */
	/*
	 * Queries not recorded because the gateway will not forward them, on
	 * top of the DNS rows above (a query counts exactly one of DNS_QUERY,
	 * DNS_QUERY_UNTRUSTED, DNS_QUERY_TTL, DNS_QUERY_OFF_PATH); and recorded
	 * queries that took the slot of their client's oldest unanswered one.
	 */
	BPFROUTE_STAT_DNS_QUERY_TTL,	/* TTL/hop limit <= 1, not to the gateway */
	BPFROUTE_STAT_DNS_QUERY_OFF_PATH, /* source not routed back out the
					   * interface it came in on */
	BPFROUTE_STAT_DNS_QUERY_EVICTED, /* a client's oldest pending query
					  * overwritten: it had too many */
	/*
	 * Route hit, target device down (BPFROUTE_TARGET_F_DOWN): verdict
	 * rows like STEERED .. PASS_NOT_FOR_US, one of the two per packet.
	 */
	BPFROUTE_STAT_DROP_TARGET_DOWN,	/* strict target: dropped, never leaked */
	BPFROUTE_STAT_PASS_TARGET_DOWN,	/* `strict no`: the ordinary path, untouched */
	/* Bypasses (`bypass` lines). */
	BPFROUTE_STAT_PASS_BYPASS,	/* verdict: the longest prefix is a bypass */
	BPFROUTE_STAT_DNS_BYPASS,	/* answer outcome: the question's most
					 * specific rule is a bypass: not learned */
	BPFROUTE_STAT_DNS_REFUSED_BYPASS, /* address never learned: inside a
					   * bypass prefix (per address) */
	/*
	 * The target's MTU (bpf/mtu.h). A steered packet too big for it with
	 * DF set, or IPv6, is not steered: it counts one of the three
	 * TOO_BIG rows instead of STEERED.
	 */
	BPFROUTE_STAT_MSS_CLAMPED,	/* SYN (or translated SYN-ACK) whose MSS
					 * was lowered to fit the target */
	BPFROUTE_STAT_TOO_BIG_ICMP,	/* answered with ICMP fragmentation
					 * needed / ICMPv6 packet too big */
	BPFROUTE_STAT_TOO_BIG_RATELIMITED, /* ... dropped: the ICMP rate limit */
	BPFROUTE_STAT_TOO_BIG_DROPPED,	/* ... dropped without ICMP: an ICMP
					 * error itself, a later fragment, no
					 * route or source address back to the
					 * sender on its LAN */
	BPFROUTE_STAT_TOO_BIG_NO_DF,	/* IPv4 above the MTU without DF:
					 * steered whole (counted STEERED) */
	/*
	 * Route hit of a rule for a client group, source in none of the
	 * group's prefixes: passed on untouched, the ordinary path.
	 */
	BPFROUTE_STAT_PASS_NOT_CLIENT,
	BPFROUTE_STAT_MAX,
};

/*
 * Rows of bpfroute_stats: room for counters to come, so that a later
 * bpfroute can reuse the pinned map (a map of another size cannot be).
 */
#define BPFROUTE_STATS_ROWS	64
_Static_assert(BPFROUTE_STAT_MAX <= BPFROUTE_STATS_ROWS, "bpfroute_stats has a row per counter");

/*
 * The agent's record (bpfroute_agent, one entry), written by the agent
 * (`bpfroute run`) once a second and read by `status` and `metrics`. The
 * programs never touch it. Times are CLOCK_BOOTTIME ns: one clock for every
 * process of the machine that also counts a suspend, so another process can
 * tell how old a tick is. An agent counts as running while its pid exists
 * and its last tick is at most BPFROUTE_AGENT_ALIVE_NS old.
 */
#define BPFROUTE_AGENT_ALIVE_NS		(3ULL * 1000000000ULL)
/*
 * Learn latency: for each answer the agent finished (too big for the
 * kernel, or refused because a table was full), from the kernel's timestamp
 * of the answer (bpfroute_dns_event.ts_ns) to the agent having installed its
 * addresses. Answers the kernel learned alone are not in it: they are
 * learned before the client has them. Counts per bucket, not cumulative;
 * bucket i holds latencies up to bpfroute_agent_lat_le_us[i] microseconds
 * (above the one before), the last one everything above.
 */
#define BPFROUTE_AGENT_LAT_BUCKETS	12
#define BPFROUTE_AGENT_LAT_LE_US \
	{ 10, 50, 100, 500, 1000, 5000, 10000, 50000, 100000, 500000, 1000000 }

struct bpfroute_agent {
	__u32 pid;		/* the agent's pid (the pid `run` logs); 0: never ran */
	__u32 flags;		/* BPFROUTE_AGENT_F_* */
	__u64 start_ns;		/* when it started, CLOCK_BOOTTIME */
	__u64 tick_ns;		/* its last tick, CLOCK_BOOTTIME */
	__u64 stop_ns;		/* when it stopped on a signal or unload; 0 while it runs */
	/* Its counters since it started (struct agent_stats in user/agent.h). */
	__u64 events;		/* ring buffer events read */
	__u64 events_finished;	/* answers it finished (too big, or a table full) */
	__u64 installed;	/* addresses it installed or renewed */
	__u64 evicted;		/* expired entries evicted to make room */
	__u64 expired;		/* dead entries swept */
	__u64 refused;		/* addresses never learned (special, excluded) */
	__u64 refused_full;	/* addresses refused: no room, nothing to evict */
	__u64 prefetches;	/* prefetch queries sent */
	__u64 prefetch_failed;	/* prefetch queries that failed */
	__u64 parse_failures;	/* answers it could not read */
	__u64 dropped;		/* events whose rule is gone */
	__u64 flows_expired;	/* masqueraded flows swept */
	__u64 rebuilds;		/* learned tables rebuilt */
	__u64 rebuild_failed;	/* rebuilds given up */
	__u64 lat_bucket[BPFROUTE_AGENT_LAT_BUCKETS];	/* learn latency, per bucket */
	__u64 lat_sum_ns;	/* learn latency, the sum */
	/* The fleet (F_EXPORT, F_IMPORT): routes now, and counters since the start. */
	__u64 export_routes;	/* routes of its own in the export table */
	__u64 export_written;	/* routes written to it */
	__u64 export_removed;	/* routes removed from it */
	__u64 export_failed;	/* writes and removals the kernel refused */
	__u64 import_routes;	/* host routes of the import table */
	__u64 imported;		/* entries installed from it */
	__u64 import_withdrawn;	/* imported entries expired by a withdrawal */
	__u64 reserved[1];	/* 0: room for a counter to come without a layout bump */
};

#define BPFROUTE_AGENT_F_PREFETCH	(1U << 0)	/* it prefetches (`prefetch yes`) */
#define BPFROUTE_AGENT_F_METRICS	(1U << 1)	/* it serves `metrics` */
#define BPFROUTE_AGENT_F_EXPORT		(1U << 2)	/* it writes an export table */
#define BPFROUTE_AGENT_F_IMPORT		(1U << 3)	/* it reads an import table */

#endif /* BPFROUTE_ABI_H */
