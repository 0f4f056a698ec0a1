/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The pinned maps of an instance, opened by file descriptor. */
#ifndef BPFROUTE_MAPS_H
#define BPFROUTE_MAPS_H

#include <stdbool.h>
#include <linux/types.h>

#include "bpfroute_abi.h"
#include "pindir.h"

#define BPFROUTE_STR_(x) #x
#define BPFROUTE_STR(x) BPFROUTE_STR_(x)

/* In the order of bpfroute_map_names. */
struct bpfroute_maps {
	int route4;
	int route6;
	int excl4;
	int excl6;
	int stats;
	int host4;
	int host6;
	int rules;
	int names;
	int queries;
	int qseen;
	int resolvers;
	int conf;
	int events;
	int scratch;
	int targets;	/* bpfroute_target */
	int nat_out;	/* bpfroute_nat_out */
	int nat_in;	/* bpfroute_nat_in */
	int lans;	/* bpfroute_lan; -1 in an instance loaded before it existed */
	int hostctl;	/* bpfroute_hostctl; -1 likewise */
	int pfxsum;	/* bpfroute_pfxsum; -1 likewise */
	int hscratch;	/* bpfroute_hscratch; -1 likewise */
	int natcli;	/* bpfroute_natcli; -1 likewise */
	int layout;	/* bpfroute_layout; -1 likewise (layout.h) */
	int agent;	/* bpfroute_agent; -1 likewise (agentrec.h) */
	int icmprl;	/* bpfroute_icmprl; -1 likewise (bpf/mtu.h) */
	int cli4;	/* bpfroute_cli4; -1 likewise (clients.h) */
	int cli6;	/* bpfroute_cli6; -1 likewise */
	int cligrp;	/* bpfroute_cligrp; -1 likewise */
	bool owned;	/* opened here (closed by maps_close) or borrowed */
};

/* Every pin file of an instance, for opening and for unload. */
extern const char *const bpfroute_map_names[];
extern const int bpfroute_map_count;

/* The descriptor of map i of bpfroute_map_names in m. */
int *maps_fd_slot(struct bpfroute_maps *m, int i);

/* Open the pins of a loaded instance. -ENOENT if one is missing. */
int maps_open(const struct pindir *pd, struct bpfroute_maps *m);

/* Borrow the maps of a loaded BPF object (a skeleton's): maps_close() leaves them. */
struct bpf_object;
void maps_from_object(struct bpf_object *obj, struct bpfroute_maps *m);

void maps_close(struct bpfroute_maps *m);

/* Remove every pin file of the instance; missing ones are fine. */
int maps_unpin(const struct pindir *pd);

/* The kernel's id of a map, or 0 on error. */
__u32 map_id(int fd);

/*
 * A map's max_entries, or 0 on error. The sizes the config decides
 * (bpfroute_rules, bpfroute_route4/6) are read so, never assumed.
 */
__u32 map_max_entries(int fd);

/* Sum a per-CPU counter of bpfroute_stats. */
int stats_read(const struct bpfroute_maps *m, __u32 stat, __u64 *sum);

/* The name of a counter of bpfroute_stats, as status prints it. */
const char *stat_name(__u32 stat);

#endif /* BPFROUTE_MAPS_H */
