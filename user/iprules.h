/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Policy routing rules (`ip rule`): whether any exists beyond the ones every
 * network namespace starts with. Without one, the kernel's route for a
 * destination through a device does not depend on who sends to it, which
 * lets the classifiers keep a destination's next hop for a second
 * (BPFROUTE_CONF_F_NH_CACHE).
 */
#ifndef BPFROUTE_IPRULES_H
#define BPFROUTE_IPRULES_H

#include <stdbool.h>
#include <linux/types.h>

/*
 * 1 if this network namespace has an IPv4 or IPv6 rule other than local,
 * main and default at their usual priorities with no selector, 0 if not,
 * or -errno.
 */
int iprules_present(void);

/* 1 if an IPv4 or IPv6 rule looks up table, 0 if none does, or -errno. */
int iprules_table_used(__u32 table);

#endif /* BPFROUTE_IPRULES_H */
