/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Counting into bpfroute_stats. */
#ifndef BPFROUTE_STATS_H
#define BPFROUTE_STATS_H

#include "maps.h"

static __always_inline void count(__u32 stat, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&BPFROUTE_MAP_STATS, &stat);

	if (v)
		*v += n;	/* per-CPU: no other writer */
}

#endif /* BPFROUTE_STATS_H */
