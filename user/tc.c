// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_abi.h"
#include "log.h"
#include "tc.h"

#define TC_HOOK(name, idx, where)						\
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, name, .ifindex = (idx),		\
			    .attach_point = (where) == TC_HOOK_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS)
#define TC_OPTS(name) \
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, name, .handle = BPFROUTE_TC_HANDLE, \
			    .priority = BPFROUTE_TC_PRIORITY)

int tc_query(int ifindex, enum tc_hook where, __u32 *prog_id)
{
	TC_HOOK(hook, ifindex, where);
	TC_OPTS(opts);
	int err;

	err = bpf_tc_query(&hook, &opts);
	if (err)
		return err == -ENOENT || err == -EINVAL ? -ENOENT : err;
	*prog_id = opts.prog_id;
	return 0;
}

int tc_attach(int ifindex, enum tc_hook where, int prog_fd)
{
	TC_HOOK(hook, ifindex, where);
	TC_OPTS(opts);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	opts.prog_fd = prog_fd;
	opts.flags = BPF_TC_F_REPLACE;
	return bpf_tc_attach(&hook, &opts);
}

int tc_detach(int ifindex, enum tc_hook where)
{
	TC_HOOK(hook, ifindex, where);
	TC_OPTS(opts);
	int err;

	err = bpf_tc_detach(&hook, &opts);
	return err == -EINVAL ? -ENOENT : err;
}

/*
 * What the kernel says of program prog_id: whether it uses map map_id, and
 * its name. False if it is gone.
 */
static bool prog_info(__u32 prog_id, __u32 map_id, bool *uses, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[64];
	int fd, err;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return false;
	*uses = false;
	for (__u32 i = 0; i < info.nr_map_ids && i < 64 && !*uses; i++)
		*uses = ids[i] == map_id;
	memcpy(name, info.name, BPF_OBJ_NAME_LEN);
	name[BPF_OBJ_NAME_LEN - 1] = '\0';
	return true;
}

bool tc_prog_uses_map(__u32 prog_id, __u32 map_id)
{
	char name[BPF_OBJ_NAME_LEN];
	bool uses;

	return prog_info(prog_id, map_id, &uses, name) && uses;
}

int tc_list(__u32 instance_id, unsigned int roles, struct tc_link **links, int *count)
{
	struct if_nameindex *ifs, *ifp;
	struct tc_link *out = NULL;
	int n = 0, err = 0;

	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	for (ifp = ifs; ifp->if_index; ifp++) {
		char name[BPF_OBJ_NAME_LEN];
		struct tc_link *grown;
		enum tc_role role;
		__u32 prog_id;
		bool uses;

		if (tc_query(ifp->if_index, TC_HOOK_INGRESS, &prog_id))
			continue;
		if (!prog_info(prog_id, instance_id, &uses, name) || !uses)
			continue;
		role = strcmp(name, TC_PROG_UNNAT) ? TC_ROLE_LAN : TC_ROLE_TARGET;
		if (!(role & roles))
			continue;
		grown = realloc(out, (n + 1) * sizeof(*out));
		if (!grown) {
			err = -ENOMEM;
			goto cleanup;
		}
		out = grown;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].ifindex = ifp->if_index;
		snprintf(out[n].name, sizeof(out[n].name), "%s", ifp->if_name);
		out[n].role = role;
		out[n].prog_id = prog_id;
		if (role == TC_ROLE_LAN && !tc_query(ifp->if_index, TC_HOOK_EGRESS, &prog_id) &&
		    tc_prog_uses_map(prog_id, instance_id))
			out[n].egress_prog_id = prog_id;
		n++;
	}
cleanup:
	if_freenameindex(ifs);
	if (err) {
		free(out);
		return err;
	}
	*links = out;
	*count = n;
	return 0;
}

int tc_list_attached(__u32 instance_id, struct tc_link **links, int *count)
{
	return tc_list(instance_id, TC_ROLE_LAN, links, count);
}
