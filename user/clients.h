/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Client groups in the kernel: bpfroute_cli4/6, an LPM trie per family of
 * client prefix -> the mask of the groups holding it, and bpfroute_cligrp,
 * the groups' names for the commands.
 */
#ifndef BPFROUTE_CLIENTS_H
#define BPFROUTE_CLIENTS_H

#include "config.h"
#include "maps.h"

/*
 * Write the groups of cfg: every prefix with the mask of its own groups and
 * of every prefix that covers it (an LPM lookup returns the longest match
 * only), and the groups' names. Entries of groups gone stay until
 * clients_prune(): a reload writes the new entries before it deletes the
 * old ones, and rules that name a group are written in between.
 */
int clients_sync(const struct bpfroute_maps *m, const struct config *cfg);

/* Delete what clients_sync() for cfg did not write. */
int clients_prune(const struct bpfroute_maps *m, const struct config *cfg);

/*
 * The mask of the groups holding the source addr (4 or 16 bytes of family
 * 4 or 6) as the datapath sees it, into *mask (0: none). -ENOENT without the
 * maps (an instance loaded before groups existed).
 */
int clients_of(const struct bpfroute_maps *m, int family, const __u8 *addr, __u64 *mask);

/* The name of group id as the kernel has it, into buf; "all" for 0, "#ID" if unnamed. */
const char *clients_name(const struct bpfroute_maps *m, unsigned int id, char *buf, size_t len);

#endif /* BPFROUTE_CLIENTS_H */
