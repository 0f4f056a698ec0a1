/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Our filters on clsact hooks, through libbpf's netlink TC API. Netlink
 * filters outlive the process, and this API works on every kernel a gateway
 * may run (tcx links need 6.6 and libbpf 1.3).
 *
 * Where an instance is attached is not recorded anywhere: it is read back
 * from the kernel, as the filters at our handle and priority whose program
 * uses the instance's pinned counter map (bpfroute_stats, which every
 * program of ours uses). What is derived cannot go stale.
 *
 * Two kinds of device carry our filters. A LAN interface has the classifier
 * on ingress and the DNS answer learner on egress; a masqueraded target
 * device has the reply translator (bpfroute_unnat) on ingress only. They are
 * told apart by the ingress program's name.
 */
#ifndef BPFROUTE_TC_H
#define BPFROUTE_TC_H

#include <net/if.h>
#include <stdbool.h>
#include <linux/types.h>

/* What a device is to an instance, from the program on its ingress hook. */
enum tc_role {
	TC_ROLE_LAN = 1 << 0,		/* the classifier (and the learner on egress) */
	TC_ROLE_TARGET = 1 << 1,	/* the reply translator of a masqueraded target */
};

#define TC_ROLES_ALL	(TC_ROLE_LAN | TC_ROLE_TARGET)

/* The reply translator's program name, as the kernel keeps it (15 characters at most). */
#define TC_PROG_UNNAT	"bpfroute_unnat"

struct tc_link {
	int ifindex;
	char name[IF_NAMESIZE];
	enum tc_role role;
	__u32 prog_id;		/* ingress */
	__u32 egress_prog_id;	/* LAN: the learner; 0 if none of ours (and for a target) */
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
 * Every device of this network namespace where the instance whose
 * bpfroute_stats has id instance_id has an ingress filter of one of the
 * roles asked for (a mask of enum tc_role). *links is malloc()ed; the caller
 * frees it.
 */
int tc_list(__u32 instance_id, unsigned int roles, struct tc_link **links, int *count);

/* The LAN interfaces of the instance: tc_list(instance_id, TC_ROLE_LAN, ...). */
int tc_list_attached(__u32 instance_id, struct tc_link **links, int *count);

#endif /* BPFROUTE_TC_H */
