/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The maps of the datapath, defined once. User space pins them by name. */
#ifndef BPFROUTE_MAPS_H
#define BPFROUTE_MAPS_H

#include "bpfroute_abi.h"

/* Longest-prefix routes: configured prefixes and `route add`. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* required for LPM tries */
	__uint(max_entries, BPFROUTE_MAX_PREFIXES);
	__type(key, struct bpfroute_key4);
	__type(value, struct bpfroute_route);
} BPFROUTE_MAP_ROUTE4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFROUTE_MAX_PREFIXES);
	__type(key, struct bpfroute_key6);
	__type(value, struct bpfroute_route);
} BPFROUTE_MAP_ROUTE6 SEC(".maps");

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
	__uint(max_entries, BPFROUTE_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} BPFROUTE_MAP_STATS SEC(".maps");

#endif /* BPFROUTE_MAPS_H */
