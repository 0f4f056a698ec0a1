// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpfroute_tc.skel.h"
#include "datapath.h"
#include "log.h"

int datapath_load(struct datapath *dp, const struct pindir *pd)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err, existing = 0;

	memset(dp, 0, sizeof(*dp));
	dp->prog_fd = -1;
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

	dp->maps = (struct bpfroute_maps){
		.route4 = bpf_map__fd(dp->skel->maps.BPFROUTE_MAP_ROUTE4),
		.route6 = bpf_map__fd(dp->skel->maps.BPFROUTE_MAP_ROUTE6),
		.excl4 = bpf_map__fd(dp->skel->maps.BPFROUTE_MAP_EXCL4),
		.excl6 = bpf_map__fd(dp->skel->maps.BPFROUTE_MAP_EXCL6),
		.stats = bpf_map__fd(dp->skel->maps.BPFROUTE_MAP_STATS),
		.owned = false,
	};
	dp->prog_fd = bpf_program__fd(dp->skel->progs.bpfroute_steer);
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
	dp->prog_fd = -1;
}
