/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Our XDP program on LAN interfaces, through libbpf's netlink XDP API, in
 * native (driver) mode only: generic XDP runs on the skb, after the cost
 * XDP is there to save. Like the TC filters, netlink XDP programs outlive
 * the process.
 *
 * Where an instance's XDP stage is attached is not recorded anywhere: it is
 * read back from the kernel, as the devices whose native XDP program uses
 * the instance's pinned bpfroute_lan (only the XDP stage uses it), the rule
 * tc_prog_uses_map() applies to the TC filters.
 *
 * Every change names the program it expects to find (XDP_FLAGS_REPLACE with
 * the old program, XDP_FLAGS_UPDATE_IF_NOEXIST for none), so that a program
 * someone else attached meanwhile is never replaced nor removed.
 */
#ifndef BPFROUTE_XDP_H
#define BPFROUTE_XDP_H

#include <net/if.h>
#include <stdbool.h>
#include <linux/types.h>

struct xdp_hook {
	int ifindex;
	char name[IF_NAMESIZE];
	__u32 prog_id;		/* our program there, native mode */
};

/* The XDP programs of a device, per mode; 0 for none. */
struct xdp_progs {
	__u32 drv;		/* native: the only mode we attach in */
	__u32 skb;		/* generic */
	__u32 hw;		/* offloaded */
};

int xdp_query(int ifindex, struct xdp_progs *progs);

/*
 * Attach prog_fd in native mode. old_fd >= 0: only in place of that program,
 * atomically (-EEXIST if another is there); old_fd < 0: only where there is
 * none (-EBUSY if there is). -EOPNOTSUPP if the driver has no native XDP.
 */
int xdp_attach(int ifindex, int prog_fd, int old_fd);

/* Detach the native program old_fd, if it is still the one attached (-EEXIST if not). */
int xdp_detach(int ifindex, int old_fd);

/* Is the native program prog_id this instance's, whose bpfroute_lan has id lan_id? */
bool xdp_prog_ours(__u32 prog_id, __u32 lan_id);

/*
 * Every device of this network namespace where the instance whose
 * bpfroute_lan has id lan_id has its XDP program. *hooks is malloc()ed; the
 * caller frees it.
 */
int xdp_list(__u32 lan_id, struct xdp_hook **hooks, int *count);

/* Our program on ifindex in hooks[0..n), or 0. */
__u32 xdp_find(const struct xdp_hook *hooks, int n, int ifindex);

#endif /* BPFROUTE_XDP_H */
