/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The layout of an instance's pinned state (BPFROUTE_LAYOUT_VERSION in
 * bpfroute_abi.h), recorded by `load` in bpfroute_layout. Every command that
 * uses the pinned maps compares it first, under the pin directory's lock and
 * before it changes anything: maps of another layout are refused, never
 * reused or reinterpreted. Only unload takes any layout.
 */
#ifndef BPFROUTE_LAYOUT_H
#define BPFROUTE_LAYOUT_H

#include <stdbool.h>
#include <linux/types.h>

#include "pindir.h"

struct layout_state {
	bool pinned;		/* some map of the instance is pinned */
	bool recorded;		/* bpfroute_layout is: layout is what it says */
	__u32 layout;		/* without a record: this bpfroute's layout if
				 * every pinned map has the shape it declares
				 * (an instance loaded just before the record
				 * existed), else 0 */
};

/* What the pins in pd are. 0, or -errno (nothing said). */
int layout_read(const struct pindir *pd, struct layout_state *st);

/*
 * 0 if nothing is pinned in pd or its layout is this bpfroute's. Else one
 * line, "PIN: pinned state is layout N, this bpfroute (VERSION) uses layout
 * M: run 'bpfroute unload' first (...)", and -EPROTO; any other failure is
 * said in one line too (-errno). st, if not NULL, receives what was found.
 */
int layout_check(const struct pindir *pd, struct layout_state *st);

/*
 * Has the pinned map at fd the shape map is declared with (type, key and
 * value sizes, max_entries, flags)? true if that cannot be told.
 */
struct bpf_map;
bool layout_same_shape(int fd, const struct bpf_map *map);

/* Record this bpfroute's layout in the instance's bpfroute_layout (fd). */
int layout_record(int fd);

#endif /* BPFROUTE_LAYOUT_H */
