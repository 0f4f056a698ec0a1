// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The size of the learned tables. A table holds what it holds, not
 * max-routes: it starts at BPFROUTE_TABLE_MIN_SLOTS and the agent rebuilds it
 * (user/hosttable.c) when it is
 *   - more than half full: twice as big or more (a probe sequence stays
 *     short, include/bpfroute_table.h);
 *   - more than 60% taken by live and deleted slots together: the same size,
 *     without the deleted ones, and a filter without their bits;
 *   - less than an eighth full: smaller, so that a table holding few entries
 *     does not keep the memory, cache and TLB footprint of a full one.
 * Never bigger than max-routes needs (half full at max-routes). Without the
 * agent the table keeps its size and the kernel refuses addresses it has no
 * room for (dns_refused_full), as it does at max-routes.
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "agent.h"
#include "log.h"
#include "pindir.h"

/* After a rebuild failed, the next try waits this long. */
#define TABLES_RETRY_NS	(60 * HOSTS_NSEC_PER_SEC)

void agent_tables_close(struct agent *a)
{
	for (int i = 0; i < 2; i++)
		hosttable_close(&a->ht[i]);
}

int agent_tables_open(struct agent *a)
{
	int err = 0;

	agent_tables_close(a);
	for (int i = 0; i < 2 && !err; i++)
		err = hosttable_open(a->maps, i ? 6 : 4, &a->ht[i]);
	if (err)
		agent_tables_close(a);
	/* Slot numbers of candidates and sweeps belong to the tables they came from. */
	agent_lru_reset(a);
	return err;
}

__u32 agent_tables_want(const struct agent *a, int family)
{
	return hosttable_rebuild_want(&a->ht[agent_fam(family)], a->conf.max_routes);
}

/* Is the family's mapped table still the datapath's? Another agent may have rebuilt it. */
static bool table_current(struct agent *a, int family)
{
	const struct table_map *t = hosttable_role(agent_ht(a, family), BPFROUTE_HOSTS_TABLE);
	__u32 role = BPFROUTE_HOSTS_TABLE, id = 0;

	bpf_map_lookup_elem(agent_ht(a, family)->outer, &role, &id);
	return t && t->id == id;
}

int agent_tables_fit(struct agent *a, int family, __u64 now)
{
	struct hosttable *ht = agent_ht(a, family);
	struct pindir pd = { .fd = -1 };
	__u32 slots, before;
	int err;

	if (now < a->rebuild_after[agent_fam(family)])
		return 0;
	if (!table_current(a, family)) {
		err = agent_tables_open(a);
		if (err)
			return err;
	}
	if (!agent_tables_want(a, family))
		return 0;
	/* One rebuild at a time per instance, and none while `load` works. */
	if (a->pin_dir) {
		err = pindir_open(&pd, a->pin_dir, true);
		if (err)
			return err;
		/* Whoever held the lock may have changed the tables. */
		if (!table_current(a, family))
			err = agent_tables_open(a);
	}
	slots = agent_tables_want(a, family);
	before = ht->role[BPFROUTE_HOSTS_TABLE].n;
	if (!err && slots)
		err = hosttable_rebuild(ht, a->maps, &a->conf, slots);
	if (a->pin_dir)
		pindir_close(&pd);
	if (!slots && !err)
		return 0;
	agent_lru_reset(a);
	if (err) {
		a->st.rebuild_failed++;
		a->rebuild_after[agent_fam(family)] = now + TABLES_RETRY_NS;
		pr_warn("bpfroute_host%d: rebuilding the learned table (%u to %u slots) failed: "
			"%s; it keeps its size\n", family, before, slots, strerror(-err));
		return err;
	}
	a->st.rebuilds++;
	pr_info("bpfroute_host%d: learned table rebuilt, %u to %u slots, %u entries\n", family,
		before, slots, TABLE_READ(ht->ctl->live));
	return 1;
}
