/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The maps of the datapath, defined once. User space pins them by name. */
#ifndef BPFROUTE_MAPS_H
#define BPFROUTE_MAPS_H

#include "bpfroute_abi.h"

/* Longest-prefix routes: configured prefixes and `route add`. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* required for LPM tries */
	__uint(max_entries, BPFROUTE_PREFIXES_DEFAULT);	/* max-prefixes */
	__type(key, struct bpfroute_key4);
	__type(value, struct bpfroute_route);
} BPFROUTE_MAP_ROUTE4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFROUTE_PREFIXES_DEFAULT);	/* max-prefixes */
	__type(key, struct bpfroute_key6);
	__type(value, struct bpfroute_route);
} BPFROUTE_MAP_ROUTE6 SEC(".maps");

/*
 * Client groups: a source prefix -> the mask of the groups that hold it
 * (bit id - 1), every covering prefix's groups ORed in by user space, since
 * a lookup returns only the longest match. Consulted only after a hit of a
 * rule or route for a group.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFROUTE_MAX_CLIENT_PREFIXES);
	__type(key, struct bpfroute_key4);
	__type(value, __u64);
} BPFROUTE_MAP_CLI4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFROUTE_MAX_CLIENT_PREFIXES);
	__type(key, struct bpfroute_key6);
	__type(value, __u64);
} BPFROUTE_MAP_CLI6 SEC(".maps");

/* The groups' names, for the commands; the programs never read it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPFROUTE_MAX_CLIENT_GROUPS + 1);
	__type(key, __u32);
	__type(value, struct bpfroute_clients_name);
} BPFROUTE_MAP_CLIGRP SEC(".maps");

/* Destinations never steered; consulted only after a route hit. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFROUTE_MAX_EXCL);
	__type(key, struct bpfroute_addr4);
	__type(value, struct bpfroute_excl);
} BPFROUTE_MAP_EXCL4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFROUTE_MAX_EXCL);
	__type(key, struct bpfroute_addr6);
	__type(value, struct bpfroute_excl);
} BPFROUTE_MAP_EXCL6 SEC(".maps");

/* Per-CPU so that counting costs no shared cache line. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFROUTE_STATS_ROWS);
	__type(key, __u32);
	__type(value, __u64);
} BPFROUTE_MAP_STATS SEC(".maps");

/*
 * Learned addresses: per family, an array of maps holding the learned table
 * and its filter by role (enum bpfroute_hosts_role, bpfroute_table.h). The
 * tables are made and sized by user space: a table holds what it holds, not
 * max-routes, and grows or shrinks by being rebuilt beside the old one and
 * swapped in. Filters take the same shape (64-byte values) as tables.
 */
struct bpfroute_table_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	/* MMAPABLE: page-aligned slots, and the agent works on them in place. */
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	__uint(max_entries, BPFROUTE_TABLE_MIN_SLOTS);
	__type(key, __u32);
	__type(value, struct bpfroute_host);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, BPFROUTE_HOSTS_ROLES);
	__type(key, __u32);
	__array(values, struct bpfroute_table_map);
} BPFROUTE_MAP_HOST4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, BPFROUTE_HOSTS_ROLES);
	__type(key, __u32);
	__array(values, struct bpfroute_table_map);
} BPFROUTE_MAP_HOST6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2);		/* IPv4, IPv6 */
	__type(key, __u32);
	__type(value, struct bpfroute_hostctl);
} BPFROUTE_MAP_HOSTCTL SEC(".maps");

/* Which /16s a configured prefix covers, written with the routes by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * BPFROUTE_PFXSUM_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} BPFROUTE_MAP_PFXSUM SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFROUTE_RULES_DEFAULT);	/* max-rules */
	__type(key, struct bpfroute_rule_key);
	__type(value, struct bpfroute_rule);
} BPFROUTE_MAP_RULES SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);	/* names of long-gone entries age out */
	__uint(max_entries, BPFROUTE_MAX_NAMES);
	__type(key, __u64);
	__type(value, struct bpfroute_name);
} BPFROUTE_MAP_NAMES SEC(".maps");

/*
 * Unanswered queries, a bucket per client (include/bpfroute_abi.h): a
 * client's newest query takes a shared slot or the place of its own
 * oldest, never another client's pending one. An array: no lock, no
 * eviction list.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPFROUTE_QUERY_BUCKETS + BPFROUTE_QUERY_SHARED_BUCKETS);
	__type(key, __u32);
	__type(value, struct bpfroute_query_bucket);
} BPFROUTE_MAP_QUERIES SEC(".maps");

/* Why an answer matched no query (include/bpfroute_abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPFROUTE_QSEEN_SLOTS);
	__type(key, __u32);
	__type(value, struct bpfroute_query_key);
} BPFROUTE_MAP_QSEEN SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFROUTE_MAX_RESOLVERS);
	__type(key, struct bpfroute_resolver_key);
	__type(value, __u32);
} BPFROUTE_MAP_RESOLVERS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfroute_conf);
} BPFROUTE_MAP_CONF SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BPFROUTE_EVENTS_BYTES);
} BPFROUTE_MAP_EVENTS SEC(".maps");

/*
 * Masquerade. Target devices, written by user space at load: flags and the
 * device's own global addresses.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFROUTE_MAX_TARGETS);
	__type(key, __u32);	/* target ifindex, host order */
	__type(value, struct bpfroute_target);
} BPFROUTE_MAP_TARGETS SEC(".maps");

/*
 * Masqueraded flows, one entry per direction (nat.h). Plain hash maps, not
 * LRU: an LRU map would evict a live flow to make room and break it; a full
 * map refuses new flows instead (BPFROUTE_STAT_NAT_FULL), and the agent
 * removes the flows that timed out (bpfroute_flow_dead()).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* pay only for flows in use */
	__uint(max_entries, BPFROUTE_MAX_FLOWS);
	__type(key, struct bpfroute_flow_key);
	__type(value, struct bpfroute_nat);
} BPFROUTE_MAP_NAT_OUT SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFROUTE_MAX_FLOWS);
	__type(key, struct bpfroute_flow_key);
	__type(value, struct bpfroute_nat);
} BPFROUTE_MAP_NAT_IN SEC(".maps");

/*
 * Masqueraded flows per client address, for max-client-flows (nat.h): two
 * rows of counters, each client counted in one counter of each row
 * (bpfroute_client_slot()). An array, so no entry is ever created or
 * deleted and both sides can count with atomic adds on the same memory:
 * the datapath when it creates or removes a flow, the agent (through the
 * mapping, BPF_F_MMAPABLE) when it removes one. Every flow is counted up
 * once when its nat_out entry is created and down once by whoever deletes
 * that entry, so the counts cannot drift.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, BPFROUTE_NAT_CLIENT_ROWS * BPFROUTE_NAT_CLIENT_SLOTS);
	__type(key, __u32);
	__type(value, __u64);	/* an array's elements are 8-byte aligned anyway */
} BPFROUTE_MAP_NAT_CLIENTS SEC(".maps");

/* The LAN interfaces the XDP stage runs on, with their MACs (xdp_stage.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFROUTE_MAX_LANS);
	__type(key, __u32);	/* LAN ifindex, host order */
	__type(value, struct bpfroute_lan);
} BPFROUTE_MAP_LANS SEC(".maps");

/*
 * The token bucket of the ICMP errors about packets too big for their target
 * (mtu.h), and their FIB lookup's parameters. Per-CPU: no shared cache line,
 * and a burst per CPU as each CPU answers what its own queues receive.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfroute_icmp_state);
} BPFROUTE_MAP_ICMPRL SEC(".maps");

/*
 * The layout version of the pinned state (BPFROUTE_LAYOUT_VERSION in
 * bpfroute_abi.h), written by `load`; the programs never read it. A map of
 * its own rather than a field of bpfroute_conf: a field would change
 * bpfroute_conf's size, itself a layout change, whereas this map's shape
 * never changes and any version of bpfroute can read it before it reuses
 * anything (`bpftool map dump pinned DIR/bpfroute_layout`).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} BPFROUTE_MAP_LAYOUT SEC(".maps");

/*
 * The agent's record (struct bpfroute_agent): whether an agent runs for
 * this instance, its counters and learn latency, for `status` and
 * `metrics`. Written by the agent only; the programs never read it. Pinned
 * like the others so that a restarted agent and every command find it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfroute_agent);
} BPFROUTE_MAP_AGENT SEC(".maps");

#endif /* BPFROUTE_MAPS_H */
