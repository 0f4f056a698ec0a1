// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "maps.h"

/* In the order of struct bpfroute_maps' descriptors. */
const char *const bpfroute_map_names[] = {
	BPFROUTE_STR(BPFROUTE_MAP_ROUTE4),
	BPFROUTE_STR(BPFROUTE_MAP_ROUTE6),
	BPFROUTE_STR(BPFROUTE_MAP_EXCL4),
	BPFROUTE_STR(BPFROUTE_MAP_EXCL6),
	BPFROUTE_STR(BPFROUTE_MAP_STATS),
};
const int bpfroute_map_count = sizeof(bpfroute_map_names) / sizeof(bpfroute_map_names[0]);

static int *map_fd_slot(struct bpfroute_maps *m, int i)
{
	int *slots[] = { &m->route4, &m->route6, &m->excl4, &m->excl6, &m->stats };

	return slots[i];
}

int maps_open(const struct pindir *pd, struct bpfroute_maps *m)
{
	char path[PATH_MAX];
	int err = 0;

	for (int i = 0; i < bpfroute_map_count; i++)
		*map_fd_slot(m, i) = -1;
	m->owned = true;
	for (int i = 0; i < bpfroute_map_count; i++) {
		int fd;

		err = pindir_path(pd, bpfroute_map_names[i], path, sizeof(path));
		if (err)
			goto cleanup;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err = -errno;
			pr_debug("%s: %s\n", path, strerror(-err));
			goto cleanup;
		}
		*map_fd_slot(m, i) = fd;
	}
	return 0;
cleanup:
	maps_close(m);
	return err;
}

void maps_close(struct bpfroute_maps *m)
{
	if (!m->owned)
		return;
	for (int i = 0; i < bpfroute_map_count; i++) {
		int *fd = map_fd_slot(m, i);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

int maps_unpin(const struct pindir *pd)
{
	char path[PATH_MAX];
	int err = 0;

	for (int i = 0; i < bpfroute_map_count; i++) {
		if (pindir_path(pd, bpfroute_map_names[i], path, sizeof(path)))
			continue;
		if (unlink(path) && errno != ENOENT) {
			err = -errno;
			pr_warn("removing %s: %s\n", path, strerror(-err));
		}
	}
	return err;
}

__u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

int stats_read(const struct bpfroute_maps *m, __u32 stat, __u64 *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	*sum = 0;
	if (bpf_map_lookup_elem(m->stats, &stat, vals)) {
		err = -errno;
		goto cleanup;
	}
	for (int i = 0; i < ncpu; i++)
		*sum += vals[i];
cleanup:
	free(vals);
	return err;
}

const char *stat_name(__u32 stat)
{
	static const char *const names[BPFROUTE_STAT_MAX] = {
		[BPFROUTE_STAT_STEERED] = "steered",
		[BPFROUTE_STAT_MISS] = "miss",
		[BPFROUTE_STAT_PASS_NOT_IP] = "pass_not_ip",
		[BPFROUTE_STAT_PASS_VLAN] = "pass_vlan",
		[BPFROUTE_STAT_PASS_MALFORMED] = "pass_malformed",
		[BPFROUTE_STAT_PASS_NOT_FOR_US] = "pass_not_for_us",
		[BPFROUTE_STAT_PASS_SPECIAL] = "pass_special_dst",
		[BPFROUTE_STAT_PASS_EXCLUDED] = "pass_excluded",
		[BPFROUTE_STAT_PASS_TTL] = "pass_ttl_expired",
		[BPFROUTE_STAT_BYTES_STEERED] = "bytes_steered",
	};

	return stat < BPFROUTE_STAT_MAX && names[stat] ? names[stat] : "unknown";
}
