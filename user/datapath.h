/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The BPF objects of an instance: open the skeleton, reuse or create the
 * pinned maps, load the programs.
 */
#ifndef BPFROUTE_DATAPATH_H
#define BPFROUTE_DATAPATH_H

#include <stdbool.h>

#include "capacity.h"
#include "maps.h"
#include "pindir.h"

struct bpfroute_tc;

struct datapath {
	struct bpfroute_tc *skel;
	struct bpfroute_maps maps;	/* borrowed from the skeleton */
	int prog_fd;			/* the classifier, LAN ingress */
	int learn_fd;			/* the DNS answer learner, LAN egress */
	int unnat_fd;			/* the reply translator, masqueraded targets' ingress */
	int xdp_fd;			/* the XDP stage, LAN interfaces (`target DEV xdp`) */
	bool fresh;			/* no pinned map existed: all were created */
};

/*
 * Load the programs with the maps pinned in pd: existing pins are reused
 * (entries and counters kept), missing ones are created and pinned, and
 * each family gets a learned table if it has none (hosttable_setup()).
 * Maps made here get the sizes of cap (capacity_plan(), which pinned maps
 * already have).
 */
int datapath_load(struct datapath *dp, const struct pindir *pd, const struct capacity *cap);

/*
 * Load the programs with maps of their own, unpinned, and close them again:
 * whether the kernel's verifier takes them, for `bpfroute check`. Nothing
 * is attached or pinned, and nothing stays. Says why in one line, except
 * for -EPERM (no CAP_BPF), which the caller words. cap NULL: the maps of
 * the sizes bpf/maps.h declares; the verifier's verdict does not depend on
 * them, and `check` need not make a preallocated map of 1M rules to know.
 */
int datapath_verify(const struct capacity *cap);

/* Close everything; pins stay. */
void datapath_close(struct datapath *dp);

#endif /* BPFROUTE_DATAPATH_H */
