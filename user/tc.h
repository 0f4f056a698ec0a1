/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The classifier's filters on clsact ingress hooks, through libbpf's netlink
 * TC API. Netlink filters outlive the process, and this API works on every
 * kernel a gateway may run (tcx links need 6.6 and libbpf 1.3).
 *
 * Which interfaces an instance is attached to is not recorded anywhere: it is
 * read back from the kernel, as the filters at our handle and priority whose
 * program uses the instance's pinned counter map (bpfroute_stats, which every
 * program of ours uses). What is derived cannot go stale.
 */
#ifndef BPFROUTE_TC_H
#define BPFROUTE_TC_H

#include <net/if.h>
#include <stdbool.h>
#include <linux/types.h>

struct tc_link {
	int ifindex;
	char name[IF_NAMESIZE];
	__u32 prog_id;		/* ingress */
	__u32 egress_prog_id;	/* 0 if none of ours */
};

/*
 * The hooks of a LAN interface: the classifier (and query recorder) on
 * ingress, the DNS answer learner on egress.
 */
enum tc_hook {
	TC_HOOK_INGRESS,
	TC_HOOK_EGRESS,
};

/* The program id at our handle/priority on a hook: 0 found, -ENOENT none. */
int tc_query(int ifindex, enum tc_hook hook, __u32 *prog_id);

/*
 * Attach prog_fd at our handle/priority, replacing atomically what is there
 * (BPF_TC_F_REPLACE: no instant without a filter). Creates the clsact qdisc
 * if needed.
 */
int tc_attach(int ifindex, enum tc_hook hook, int prog_fd);

/* Remove our filter from a hook. -ENOENT if none. */
int tc_detach(int ifindex, enum tc_hook hook);

/* Does program prog_id use the map map_id? */
bool tc_prog_uses_map(__u32 prog_id, __u32 map_id);

/*
 * Every interface of this network namespace where the instance whose
 * bpfroute_stats has id instance_id is attached. *links is malloc()ed; the
 * caller frees it.
 */
int tc_list_attached(__u32 instance_id, struct tc_link **links, int *count);

#endif /* BPFROUTE_TC_H */
