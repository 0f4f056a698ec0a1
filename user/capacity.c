// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The sizes of the maps the config decides (max-rules, max-prefixes), and
 * what the maps cost in kernel memory at those sizes.
 *
 * A pinned map keeps the size it was made with: libbpf reuses a pin only if
 * max_entries agrees, and a map made anew would start empty. Rebuilding a
 * map beside the pinned one and swapping it would also need every process
 * holding the old one (the agent, a `metrics` scrape) to notice; so a size
 * change is left to `unload` and a fresh `load`, and said so before anything
 * is touched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfroute_tc.skel.h"
#include "capacity.h"
#include "log.h"
#include "maps.h"

static const char *rules_name = BPFROUTE_STR(BPFROUTE_MAP_RULES);
static const char *route_name[2] = { BPFROUTE_STR(BPFROUTE_MAP_ROUTE4),
				     BPFROUTE_STR(BPFROUTE_MAP_ROUTE6) };

/* The max_entries of the pin NAME in pd: 0 if there is none, or -errno. */
static long long pinned_size(const struct pindir *pd, const char *name)
{
	char path[PATH_MAX];
	__u32 n;
	int fd, err;

	if (!pd)
		return 0;
	err = pindir_path(pd, name, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = map_max_entries(fd);
	close(fd);
	return n;
}

/*
 * One map: its size from the pin if there is one and it fits, else what the
 * config asks for. need: what the config puts in it; set: the setting (0:
 * not set) on line `line`.
 */
static int plan_one(const struct config *cfg, const struct pindir *pd, const char *map,
		    const char *setting, int line, size_t need, __u32 set, __u32 want,
		    __u32 *cap)
{
	const char *file = cfg->path ? cfg->path : "(config)";
	long long have = pinned_size(pd, map);

	if (have < 0) {
		pr_err("%s/%s: %s\n", pd->path, map, strerror((int)-have));
		return (int)have;
	}
	if (!have) {
		*cap = want;
		return 0;
	}
	if (set && set != have) {
		pr_err("%s:%d: %s %u, but the pinned %s holds %lld: run 'bpfroute unload' "
		       "first to resize it (learned entries and flows go with it)\n", file, line,
		       setting, set, map, have);
		return -E2BIG;
	}
	if (need > (size_t)have) {
		pr_err("%s: %zu entries for %s, which is pinned with room for %lld: set %s and "
		       "run 'bpfroute unload' first to resize it (learned entries and flows go "
		       "with it)\n", file, need, map, have, setting);
		return -E2BIG;
	}
	*cap = (__u32)have;
	return 0;
}

int capacity_plan(const struct config *cfg, const struct pindir *pd, struct capacity *cap)
{
	size_t rules, p[2];
	int err;

	config_count(cfg, &rules, &p[0], &p[1]);
	err = plan_one(cfg, pd, rules_name, "max-rules", cfg->max_rules_line, rules,
		       cfg->max_rules, config_rules_capacity(cfg), &cap->rules);
	for (int f = 0; !err && f < 2; f++)
		err = plan_one(cfg, pd, route_name[f], "max-prefixes", cfg->max_prefixes_line,
			       p[f], cfg->max_prefixes, config_prefixes_capacity(cfg),
			       &cap->prefixes[f]);
	return err;
}

int capacity_apply(struct bpf_object *obj, const struct capacity *cap)
{
	struct {
		const char *name;
		__u32 n;
	} set[] = { { rules_name, cap->rules }, { route_name[0], cap->prefixes[0] },
		    { route_name[1], cap->prefixes[1] } };

	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, set[i].name);
		int err;

		if (!map)
			return -ENOENT;
		err = bpf_map__set_max_entries(map, set[i].n);
		if (err)
			return err;
	}
	return 0;
}

static __u64 round8(__u64 n)
{
	return (n + 7) & ~7ULL;
}

static __u64 pow2_up(__u64 n)
{
	__u64 p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* The kmalloc size class an object of n bytes comes from. */
static __u64 slab_size(__u64 n)
{
	static const __u64 classes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048 };

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (n <= classes[i])
			return classes[i];
	return pow2_up(n);
}

/*
 * As the kernel sizes a map (its map_mem_usage, Linux 6.x, 64-bit), full:
 * - hash, LRU hash (preallocated): an element of 48 bytes of header, key and
 *   value each rounded up to 8, for every entry and, hash only, one spare
 *   per possible CPU; and a 16-byte bucket per entry rounded up to a power
 *   of two;
 * - LPM trie (allocated per entry): a node of 40 bytes, the key's address
 *   bytes and the value, from its kmalloc size class, for every entry and,
 *   at most, as many intermediate nodes;
 * - arrays: the value rounded up to 8 per entry (per possible CPU for a
 *   per-CPU array), whole pages for a mmapable one; a ring buffer its size;
 *   an array of maps a pointer per entry (the maps it holds: below).
 * Per-map overheads of a page or two are left out.
 */
static __u64 map_bytes(const struct bpf_map *map, int ncpu, __u32 *entry)
{
	__u64 n = bpf_map__max_entries(map), key = bpf_map__key_size(map);
	__u64 val = bpf_map__value_size(map);

	switch (bpf_map__type(map)) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
		*entry = (__u32)(48 + round8(key) + round8(val));
		return *entry * (n + (bpf_map__type(map) == BPF_MAP_TYPE_HASH ? ncpu : 0)) +
		       16 * pow2_up(n);
	case BPF_MAP_TYPE_LPM_TRIE:
		/* The key's first 4 bytes are its prefix length. */
		*entry = (__u32)(2 * slab_size(40 + key - 4 + val));
		return *entry * n;
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		*entry = (__u32)(round8(val) * ncpu);
		return *entry * n;
	case BPF_MAP_TYPE_ARRAY:
		*entry = (__u32)round8(val);
		if (bpf_map__map_flags(map) & BPF_F_MMAPABLE)
			return (*entry * n + 4095) & ~4095ULL;
		return *entry * n;
	case BPF_MAP_TYPE_RINGBUF:
		*entry = 1;
		return n;
	default:
		*entry = 8;
		return 8 * n;
	}
}

static int mem_cmp(const void *a, const void *b)
{
	const struct capacity_mem *x = a, *y = b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : strcmp(x->name, y->name);
}

int capacity_memory(const struct capacity *cap, __u32 max_routes, struct capacity_mem **mem,
		    size_t *n, __u64 *total)
{
	int ncpu = libbpf_num_possible_cpus();
	struct capacity_mem *out = NULL, *grown;
	struct bpfroute_tc *skel;
	struct bpf_map *map;
	__u64 slots;
	int err;

	*mem = NULL;
	*n = 0;
	*total = 0;
	if (ncpu < 0)
		return ncpu;
	skel = bpfroute_tc__open();
	if (!skel)
		return -errno;
	err = capacity_apply(skel->obj, cap);
	if (err)
		goto cleanup;
	bpf_object__for_each_map(map, skel->obj) {
		struct capacity_mem *m;

		if (bpf_map__is_internal(map))
			continue;
		grown = realloc(out, (*n + 2) * sizeof(*out));
		if (!grown) {
			err = -ENOMEM;
			goto cleanup;
		}
		out = grown;
		m = &out[(*n)++];
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", bpf_map__name(map));
		m->type = libbpf_bpf_map_type_str(bpf_map__type(map));
		m->max_entries = bpf_map__max_entries(map);
		m->bytes = map_bytes(map, ncpu, &m->entry_bytes);
		*total += m->bytes;
	}
	/*
	 * The learned tables, made by user space: at most half full, so a
	 * table of the power of two at or above twice max-routes, a 64-byte
	 * slot each, and a filter of one byte per slot; both families.
	 */
	slots = pow2_up(2ULL * max_routes);
	if (slots < BPFROUTE_TABLE_MIN_SLOTS)
		slots = BPFROUTE_TABLE_MIN_SLOTS;
	if (slots > BPFROUTE_TABLE_MAX_SLOTS)
		slots = BPFROUTE_TABLE_MAX_SLOTS;
	memset(&out[*n], 0, sizeof(out[*n]));
	snprintf(out[*n].name, sizeof(out[*n].name), "learned tables (max-routes)");
	out[*n].type = "array";
	out[*n].max_entries = (__u32)(2 * slots);
	out[*n].entry_bytes = sizeof(struct bpfroute_host) + 1;
	out[*n].bytes = 2 * slots * out[*n].entry_bytes;
	*total += out[*n].bytes;
	(*n)++;
	qsort(out, *n, sizeof(*out), mem_cmp);
	*mem = out;
	out = NULL;
cleanup:
	if (err) {
		*n = 0;
		*total = 0;
	}
	free(out);
	bpfroute_tc__destroy(skel);
	return err;
}
