// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_tc.skel.h"
#include "datapath.h"
#include "hosttable.h"
#include "layout.h"
#include "log.h"

/*
 * A pinned map whose contents only matter for a second or two, the queries
 * awaiting answers, is replaced when an older bpfroute pinned it with
 * another shape (bpfroute_query was an LRU hash): the answers to the queries
 * in flight are not learned, nothing else is lost. Other maps of another
 * shape are left for libbpf to refuse.
 */
static int pin_replace_transient(const char *name, const char *path, const struct bpf_map *map,
				 int *old_fd)
{
	int fd;

	if (strcmp(name, BPFROUTE_STR(BPFROUTE_MAP_QUERIES)))
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (layout_same_shape(fd, map)) {
		close(fd);
		return 0;
	}
	/* Kept open, to be pinned back if the load fails: the old instance stays whole. */
	if (unlink(path)) {
		close(fd);
		return -errno;
	}
	*old_fd = fd;
	return 0;
}

int datapath_load(struct datapath *dp, const struct pindir *pd, const struct capacity *cap)
{
	char path[PATH_MAX], old_path[PATH_MAX] = "";
	int err, existing = 0, old_fd = -1;
	struct bpf_map *map;

	memset(dp, 0, sizeof(*dp));
	dp->prog_fd = dp->learn_fd = dp->unnat_fd = dp->xdp_fd = -1;
	dp->skel = bpfroute_tc__open();
	if (!dp->skel) {
		err = -errno;
		pr_err("opening the BPF object: %s\n", strerror(-err));
		return err;
	}
	err = capacity_apply(dp->skel->obj, cap);
	if (err) {
		pr_err("sizing the maps: %s\n", strerror(-err));
		goto cleanup;
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
		if (!err && old_fd < 0) {
			err = pin_replace_transient(bpf_map__name(map), path, map, &old_fd);
			if (old_fd >= 0)
				snprintf(old_path, sizeof(old_path), "%s", path);
		}
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
			pr_err("loading the BPF programs with the maps pinned in %s failed (%s); "
			       "if they come from another version, run 'bpfroute unload' first "
			       "(-v tells more)\n", pd->path, strerror(-err));
		else
			pr_err("loading the BPF programs: %s (-v tells more)\n", strerror(-err));
		goto cleanup;
	}
	if (old_fd >= 0)
		pr_info("%s: pinned by another version of bpfroute, replaced (the queries in "
			"flight are forgotten)\n", old_path);

	maps_from_object(dp->skel->obj, &dp->maps);
	dp->prog_fd = bpf_program__fd(dp->skel->progs.bpfroute_steer);
	dp->learn_fd = bpf_program__fd(dp->skel->progs.bpfroute_learn);
	dp->unnat_fd = bpf_program__fd(dp->skel->progs.bpfroute_unnat);
	dp->xdp_fd = bpf_program__fd(dp->skel->progs.bpfroute_xdp);
	/* The learned tables are made here, not by libbpf: they have no fixed size. */
	err = hosttable_setup(&dp->maps, BPFROUTE_TABLE_MIN_SLOTS);
	if (err) {
		pr_err("making the learned tables: %s\n", strerror(-err));
		goto cleanup;
	}
	if (old_fd >= 0)
		close(old_fd);
	return 0;

cleanup:
	bpfroute_tc__destroy(dp->skel);
	dp->skel = NULL;
	if (old_fd >= 0 && access(old_path, F_OK) && bpf_obj_pin(old_fd, old_path))
		pr_err("%s: pinning back: %s\n", old_path, strerror(errno));
	if (old_fd >= 0)
		close(old_fd);
	return err;
}

int datapath_verify(const struct capacity *cap)
{
	struct bpfroute_tc *skel;
	int err;

	skel = bpfroute_tc__open();
	if (!skel) {
		err = -errno;
		pr_err("opening the BPF object: %s\n", strerror(-err));
		return err;
	}
	err = cap ? capacity_apply(skel->obj, cap) : 0;
	if (err) {
		pr_err("sizing the maps: %s\n", strerror(-err));
		bpfroute_tc__destroy(skel);
		return err;
	}
	/* No pin path is set: the maps are the load's own, gone with it. */
	err = bpfroute_tc__load(skel);
	if (err && err != -EPERM)
		pr_err("loading the BPF programs: %s (-v tells more)\n", strerror(-err));
	bpfroute_tc__destroy(skel);
	return err;
}

void datapath_close(struct datapath *dp)
{
	bpfroute_tc__destroy(dp->skel);
	dp->skel = NULL;
	dp->prog_fd = dp->learn_fd = dp->unnat_fd = dp->xdp_fd = -1;
}
