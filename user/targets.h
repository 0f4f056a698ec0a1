/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The target devices (bpfroute_target): for each device a route points at,
 * whether it is masqueraded and the addresses it masquerades with, whether
 * it has an Ethernet header (the next hop's MAC is then the kernel's to
 * find) and whether the XDP stage forwards to it (`target DEV xdp`). The
 * classifier reads it for every steered packet; load writes it whole.
 *
 * A masqueraded device's addresses are its first global IPv4 and IPv6
 * addresses at load time: never link-local (169.254/16, fe80::/10), nor any
 * other address a router never forwards (include/bpfroute_policy.h), since
 * replies to such a source could never come back through the tunnel.
 */
#ifndef BPFROUTE_TARGETS_H
#define BPFROUTE_TARGETS_H

#include <stddef.h>
#include <linux/types.h>

#include "bpfroute_abi.h"
#include "config.h"
#include "maps.h"

struct target_entry {
	__u32 ifindex;
	struct bpfroute_target val;
};

/* What bpfroute_target holds, or is to hold; sorted by ifindex. */
struct target_set {
	struct target_entry *v;
	size_t n;
};

/*
 * The first global IPv4 and IPv6 address of dev into t->addr4 / t->addr6
 * (left zero where there is none); flags untouched. Returns 0 or -errno.
 */
int target_addrs(const char *dev, struct bpfroute_target *t);

/*
 * What dev is now, whatever a config says of it: its addresses (as
 * target_addrs()), BPFROUTE_TARGET_F_ETHER if it has an Ethernet header and
 * BPFROUTE_TARGET_F_DOWN if it is down (netdev_up()). -ENODEV if it is gone.
 */
int target_describe(const char *dev, struct bpfroute_target *t);

/*
 * Every masqueraded device of cfg has an address of at least one family to
 * masquerade with: -EADDRNOTAVAIL and "FILE:LINE: wg0 has no global IPv4 or
 * IPv6 address to masquerade with" at the first line that made the device
 * masqueraded otherwise. Every `target DEV xdp` device is Ethernet: -EINVAL
 * and "FILE:LINE: wg0 is not an Ethernet device (link type 65534): 'xdp'
 * needs one" otherwise. Run before the kernel is touched.
 */
int targets_check(const struct config *cfg, char *err, size_t errlen);

/*
 * The entries for the devices ifindexes[0..n) (repeats are fine, and so are
 * zeros): as target_describe() finds them, masqueraded, forwarded to by XDP
 * and not strict if cfg says so of the device's name. A device that is gone
 * gets an entry that says only BPFROUTE_TARGET_F_DOWN: strict.
 */
int targets_build(const struct config *cfg, const int *ifindexes, int n, struct target_set *set);

/* What the map holds now. */
int targets_read(const struct bpfroute_maps *m, struct target_set *set);

/*
 * Make the map hold exactly set. Entries of devices not in set go first, so
 * that a full map still takes the set: they are devices the new config does
 * not masquerade, and a device without an entry is not masqueraded either.
 * -E2BIG, changing nothing, if the set does not fit.
 */
int targets_apply(const struct bpfroute_maps *m, const struct target_set *set);

/*
 * For `route add`: if dev (ifindex) has no entry, write the one
 * target_describe() finds (neither masqueraded nor XDP: the config says that,
 * and load writes it), and say so in *added. An existing entry is left as it
 * is. -E2BIG if the map is full.
 */
int targets_add_missing(const struct bpfroute_maps *m, const char *dev, __u32 ifindex,
			bool *added);

/* The entry of ifindex, or NULL. */
const struct target_entry *targets_find(const struct target_set *set, __u32 ifindex);

void targets_free(struct target_set *set);

#endif /* BPFROUTE_TARGETS_H */
