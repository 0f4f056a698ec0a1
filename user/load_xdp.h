/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The XDP stage's part of a load. When any target says `xdp`, every LAN
 * interface gets bpfroute_xdp in native mode, its MAC in bpfroute_lan first;
 * when none does, or an interface leaves the config, our program comes off
 * and its bpfroute_lan entry goes. The order within a load (cmd_load.c):
 *
 *   load_xdp_check()         before anything is attached: where ours is, and
 *                            a refusal if another program holds a LAN hook;
 *   load_xdp_attach()        once the TC stage is in place; puts everything
 *                            back itself if an interface refuses;
 *   load_xdp_detach_stale()  once the load has succeeded.
 */
#ifndef BPFROUTE_LOAD_XDP_H
#define BPFROUTE_LOAD_XDP_H

#include <stddef.h>
#include <linux/types.h>

#include "bpfroute_abi.h"
#include "config.h"
#include "xdp.h"

struct lan_entry {
	__u32 ifindex;
	struct bpfroute_lan val;
};

struct load_xdp {
	/* Set by the caller. */
	const struct config *cfg;
	const int *iface_idx;		/* ifindex of cfg->ifaces[i] */
	int lan_fd;			/* bpfroute_lan */
	int prog_fd;			/* bpfroute_xdp of this load */

	/* Kept by these functions; load_xdp_free() releases them. */
	__u32 lan_id;			/* which XDP programs are ours */
	struct xdp_hook *before;	/* where ours was before this load */
	int n_before;
	int *old_fd;			/* ours on cfg->ifaces[i] before, held open
					 * for a rollback; -1: none */
	struct lan_entry *old_lans;	/* bpfroute_lan before this load */
	size_t n_old_lans;
	int n_attached;			/* cfg->ifaces[0..n) attached by this load */
	bool lans_written;		/* bpfroute_lan changed by this load */
};

/* Does the config want the XDP stage (a `target DEV xdp` line)? */
bool load_xdp_wanted(const struct config *cfg);

/*
 * Reads only. Notes where this instance's XDP stage is and what bpfroute_lan
 * holds; if the config wants the stage, refuses (-EBUSY, one line) a LAN
 * interface where another XDP program is attached, in any mode.
 */
int load_xdp_check(struct load_xdp *x);

/*
 * If the config wants the stage: bpfroute_lan for every LAN interface, then
 * bpfroute_xdp on each, replacing ours in place where it is. On failure
 * (one line said why) everything is put back as it was.
 */
int load_xdp_attach(struct load_xdp *x);

/* Undo a successful load_xdp_attach(), for a later step that failed. */
void load_xdp_rollback(struct load_xdp *x);

/*
 * Off the interfaces that no longer have it (dropped from the config, or no
 * target says xdp any more), and their bpfroute_lan entries with it.
 */
void load_xdp_detach_stale(struct load_xdp *x);

void load_xdp_free(struct load_xdp *x);

#endif /* BPFROUTE_LOAD_XDP_H */
