// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_tc.skel.h"
#include "layout.h"
#include "log.h"
#include "maps.h"
#include "version.h"

bool layout_same_shape(int fd, const struct bpf_map *map)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return true;	/* cannot tell: libbpf will */
	return info.type == bpf_map__type(map) && info.key_size == bpf_map__key_size(map) &&
	       info.value_size == bpf_map__value_size(map) &&
	       info.max_entries == bpf_map__max_entries(map) &&
	       info.map_flags == bpf_map__map_flags(map);
}

/*
 * No record: an instance loaded before bpfroute_layout existed. Its maps
 * are this bpfroute's if every pinned one has the shape this object
 * declares; load then reuses them and records the layout. A map of another
 * shape makes it layout 0. bpfroute_query is left out: load replaces it when
 * its shape differs (datapath.c), losing only the queries in flight.
 */
static int layout_unrecorded(const struct pindir *pd, struct layout_state *st)
{
	struct bpfroute_tc *skel;
	char path[PATH_MAX];
	struct bpf_map *map;
	int err = 0;

	skel = bpfroute_tc__open();
	if (!skel)
		return -errno;
	st->layout = BPFROUTE_LAYOUT_VERSION;
	bpf_object__for_each_map(map, skel->obj) {
		const char *name = bpf_map__name(map);
		int fd;

		if (bpf_map__is_internal(map))
			continue;
		err = pindir_path(pd, name, path, sizeof(path));
		if (err)
			break;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			err = -errno;
			break;
		}
		st->pinned = true;
		if (strcmp(name, BPFROUTE_STR(BPFROUTE_MAP_QUERIES)) &&
		    !layout_same_shape(fd, map)) {
			pr_debug("%s: not the shape this bpfroute declares\n", path);
			st->layout = 0;
		}
		close(fd);
	}
	bpfroute_tc__destroy(skel);
	return err;
}

int layout_read(const struct pindir *pd, struct layout_state *st)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd, err;

	memset(st, 0, sizeof(*st));
	err = pindir_path(pd, BPFROUTE_STR(BPFROUTE_MAP_LAYOUT), path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0 && errno != ENOENT)
		return -errno;
	if (fd < 0)
		return layout_unrecorded(pd, st);
	st->pinned = st->recorded = true;
	err = bpf_map_lookup_elem(fd, &zero, &st->layout) ? -errno : 0;
	close(fd);
	return err;
}

int layout_check(const struct pindir *pd, struct layout_state *st)
{
	struct layout_state s;
	int err;

	err = layout_read(pd, &s);
	if (err) {
		pr_err("%s: reading the layout of the pinned state: %s\n", pd->path,
		       strerror(-err));
		return err;
	}
	if (st)
		*st = s;
	if (!s.pinned || s.layout == BPFROUTE_LAYOUT_VERSION)
		return 0;
	pr_err("%s: pinned state is layout %u, this bpfroute (" BPFROUTE_VERSION ") uses "
	       "layout %d: run 'bpfroute unload' first (learned entries and flows are dropped)\n",
	       pd->path, s.layout, BPFROUTE_LAYOUT_VERSION);
	return -EPROTO;
}

int layout_record(int fd)
{
	__u32 zero = 0, layout = BPFROUTE_LAYOUT_VERSION;

	return bpf_map_update_elem(fd, &zero, &layout, BPF_ANY) ? -errno : 0;
}
