/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Masqueraded flows (bpfroute_nat_out / bpfroute_nat_in) as `bpfroute flows`
 * shows them: one per outgoing entry, with its reply side found by the key
 * replies arrive with.
 */
#ifndef BPFROUTE_FLOWS_H
#define BPFROUTE_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "bpfroute_abi.h"
#include "maps.h"

struct flow_entry {
	struct bpfroute_flow_key key;	/* client -> remote, as the client sent it */
	struct bpfroute_nat out;	/* its translation: target address and port */
	struct bpfroute_nat in;		/* the reply side; zero if missing */
	bool has_in;
};

/*
 * Every flow, sorted by client address and port; *flows is malloc()ed. Both
 * maps are read in batches, so a full table costs a few hundred system calls.
 */
int flows_list(const struct bpfroute_maps *m, struct flow_entry **flows, size_t *count);

/* How many flows leave through target device ifindex (bpfroute_nat_out). */
int flows_count_on(const struct bpfroute_maps *m, __u32 ifindex, size_t *count);

/* The later state and the later time of the two directions decide (bpfroute_policy.h). */
__u8 flow_state(const struct flow_entry *f);
__u64 flow_last_seen_ns(const struct flow_entry *f);

/* Seconds since the flow was last seen, and left until it times out (negative: dead). */
long long flow_idle_s(const struct flow_entry *f, __u64 now);
long long flow_expires_in_s(const struct flow_entry *f, __u64 now);

const char *flow_state_name(__u8 state);
const char *flow_proto_name(__u8 proto);

#endif /* BPFROUTE_FLOWS_H */
