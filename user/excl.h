/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The excluded destinations (bpfroute_excl4/6): the gateway's own addresses
 * and the tunnel endpoints of the target devices, which the classifier never
 * steers whatever route covers them.
 */
#ifndef BPFROUTE_EXCL_H
#define BPFROUTE_EXCL_H

#include "maps.h"

/*
 * Rewrite the exclusion maps from the current state of the namespace: every
 * local and broadcast address of every interface, and every peer endpoint of
 * the WireGuard devices among targets[0..n_targets). New entries go in
 * before stale ones go out, so no moment lacks a current exclusion. Each
 * device is read once however many routes name it. -E2BIG: more addresses
 * of one family than the maps hold (EXCL_E2BIG_WHY says so to the operator).
 */
#define EXCL_E2BIG_WHY " (more own addresses and tunnel endpoints of one family than the exclusion maps hold)"

int excl_sync(const struct bpfroute_maps *m, const int *targets, int n_targets);

/*
 * The exclusion of an address (family 4 or 6, network order) as the
 * classifier looks it up: 0 and *val, -ENOENT if it is not excluded.
 */
int excl_lookup(const struct bpfroute_maps *m, int family, const __u8 *addr,
		struct bpfroute_excl *val);

/* Why an address is excluded, in words: "an address of the gateway", ... */
const char *excl_reason_text(__u32 reason);

#endif /* BPFROUTE_EXCL_H */
