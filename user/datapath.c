// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_tc.skel.h"
#include "datapath.h"
#include "hosttable.h"
#include "log.h"

int datapath_load(struct datapath *dp, const struct pindir *pd)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err, existing = 0;

	memset(dp, 0, sizeof(*dp));
	dp->prog_fd = dp->learn_fd = dp->unnat_fd = dp->xdp_fd = -1;
	dp->skel = bpfroute_tc__open();
	if (!dp->skel) {
		err = -errno;
		pr_warn("opening the BPF object: %s\n", strerror(-err));
		return err;
	}

	/*
	 * Pin paths set before load make libbpf reuse a pinned map of the
	 * same shape or pin a new one: a reload keeps every entry.
	 */
	bpf_object__for_each_map(map, dp->skel->obj) {
		/* .rodata and friends belong to the program, not the instance. */
		if (bpf_map__is_internal(map))
			continue;
		err = pindir_path(pd, bpf_map__name(map), path, sizeof(path));
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			goto cleanup;
		existing += !access(path, F_OK);
	}
	dp->fresh = !existing;

	err = bpfroute_tc__load(dp->skel);
	if (err) {
		if (existing)
			pr_warn("loading the BPF programs with the maps pinned in %s failed (%s); "
				"if they come from another version, run 'bpfroute unload' first "
				"(-v tells more)\n", pd->path, strerror(-err));
		else
			pr_warn("loading the BPF programs: %s (-v tells more)\n", strerror(-err));
		goto cleanup;
	}

	maps_from_object(dp->skel->obj, &dp->maps);
	dp->prog_fd = bpf_program__fd(dp->skel->progs.bpfroute_steer);
	dp->learn_fd = bpf_program__fd(dp->skel->progs.bpfroute_learn);
	dp->unnat_fd = bpf_program__fd(dp->skel->progs.bpfroute_unnat);
	dp->xdp_fd = bpf_program__fd(dp->skel->progs.bpfroute_xdp);
	/* The learned tables are made here, not by libbpf: they have no fixed size. */
	err = hosttable_setup(&dp->maps, BPFROUTE_TABLE_MIN_SLOTS);
	if (err) {
		pr_warn("making the learned tables: %s\n", strerror(-err));
		goto cleanup;
	}
	return 0;

cleanup:
	bpfroute_tc__destroy(dp->skel);
	dp->skel = NULL;
	return err;
}

void datapath_close(struct datapath *dp)
{
	bpfroute_tc__destroy(dp->skel);
	dp->skel = NULL;
	dp->prog_fd = dp->learn_fd = dp->unnat_fd = dp->xdp_fd = -1;
}
