// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_tc.skel.h"
#include "datapath.h"
#include "log.h"

/*
 * A pinned learned-address map keeps the size it was made with: a hash map
 * cannot grow. Say so, rather than let libbpf refuse the pin as incompatible.
 */
static int check_max_routes(const char *path, __u32 max_routes)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd, err = 0;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;	/* not pinned yet: made with the right size */
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.max_entries != max_routes) {
		pr_warn("max-routes is %u in the config, but the learned routes of this instance "
			"are held in maps of %u; keep max-routes %u, or 'bpfroute unload' first "
			"(learned routes are then lost)\n", max_routes, info.max_entries,
			info.max_entries);
		err = -EINVAL;
	}
	close(fd);
	return err;
}

int datapath_load(struct datapath *dp, const struct pindir *pd, __u32 max_routes)
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
		if (!err && (map == dp->skel->maps.BPFROUTE_MAP_HOST4 ||
			     map == dp->skel->maps.BPFROUTE_MAP_HOST6)) {
			err = check_max_routes(path, max_routes);
			if (!err)
				err = bpf_map__set_max_entries(map, max_routes);
		}
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

	for (int i = 0; i < bpfroute_map_count; i++) {
		map = bpf_object__find_map_by_name(dp->skel->obj, bpfroute_map_names[i]);
		*maps_fd_slot(&dp->maps, i) = map ? bpf_map__fd(map) : -1;
	}
	dp->maps.owned = false;
	dp->prog_fd = bpf_program__fd(dp->skel->progs.bpfroute_steer);
	dp->learn_fd = bpf_program__fd(dp->skel->progs.bpfroute_learn);
	dp->unnat_fd = bpf_program__fd(dp->skel->progs.bpfroute_unnat);
	dp->xdp_fd = bpf_program__fd(dp->skel->progs.bpfroute_xdp);
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
