// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Sweeping masqueraded flows (bpfroute_nat_out / bpfroute_nat_in). The
 * datapath creates both directions of a flow and refreshes them; nothing in
 * the kernel can find a dead one, so the agent removes them, a bounded
 * chunk per tick, once neither direction has been seen for the timeout of
 * the flow's state (include/bpfroute_policy.h). Until then a full table
 * refuses new flows; an existing flow is never broken.
 *
 * Each nat_out entry deleted here counts its client down in bpfroute_natcli
 * (max-client-flows), as the datapath does for the ones it deletes: the
 * counters are shared memory (BPF_F_MMAPABLE), changed with atomic adds
 * from both sides, and only by whoever deleted the entry, so they follow
 * the flows exactly.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <bpf/bpf.h>

#include "agent.h"
#include "bpfroute_policy.h"

/* The reply direction of an outgoing flow: how its replies arrive. */
void agent_flow_in_key(const struct bpfroute_flow_key *out, const struct bpfroute_nat *o,
		       struct bpfroute_flow_key *in)
{
	bpfroute_flow_reply_key(out, o->addr, o->port, in);
}

/* The outgoing direction of a reply flow: how the client sent it. */
void agent_flow_out_key(const struct bpfroute_flow_key *in, const struct bpfroute_nat *i,
			struct bpfroute_flow_key *out)
{
	bpfroute_flow_request_key(in, i->addr, i->port, out);
}

#define SWEEP_DEAD_MAX 256	/* dead flows removed per chunk */

#define NATCLI_LEN (BPFROUTE_NAT_CLIENT_ROWS * BPFROUTE_NAT_CLIENT_SLOTS * sizeof(__u64))

void agent_flows_close(struct agent *a)
{
	if (a->natcli)
		munmap(a->natcli, NATCLI_LEN);
	a->natcli = NULL;
}

/* bpfroute_natcli, mapped; NULL if the instance has none (an older one). */
static __u64 *natcli(struct agent *a)
{
	void *mem;

	if (a->maps->natcli < 0)
		return NULL;
	if (a->natcli && a->natcli_fd == a->maps->natcli)
		return a->natcli;
	agent_flows_close(a);
	mem = mmap(NULL, NATCLI_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, a->maps->natcli, 0);
	if (mem == MAP_FAILED)
		return NULL;
	a->natcli = mem;
	a->natcli_fd = a->maps->natcli;
	return a->natcli;
}

/* The flow of client key (a nat_out key) is gone: count it down. */
static void client_put(struct agent *a, const struct bpfroute_flow_key *key)
{
	__u64 *c = natcli(a);

	if (!c)
		return;
	for (__u32 row = 0; row < BPFROUTE_NAT_CLIENT_ROWS; row++)
		__atomic_fetch_sub(&c[bpfroute_client_slot(&a->conf, key->family, key->saddr, row)],
				   1, __ATOMIC_RELAXED);
}

/*
 * One chunk of one map, from the cursor on. For each entry, its partner in
 * the other map decides with it whether the flow is dead. Dead flows are
 * removed after the walk (deleting the cursor's key would restart the walk),
 * reply side first so that no reply finds half a flow.
 */
static int sweep_chunk(struct agent *a, bool outgoing, __u64 now, __u32 budget)
{
	int self = outgoing ? a->maps->nat_out : a->maps->nat_in;
	int other = outgoing ? a->maps->nat_in : a->maps->nat_out;
	struct agent_flow_cursor *c = &a->flow_cursor[outgoing ? 0 : 1];
	struct bpfroute_flow_key next, pkey, dead_in[SWEEP_DEAD_MAX], dead_out[SWEEP_DEAD_MAX];
	struct bpfroute_nat v, pv, none = {};
	int n_dead = 0;

	for (__u32 n = 0; n < budget && n_dead < SWEEP_DEAD_MAX; n++) {
		bool has_partner, dead;

		if (bpf_map_get_next_key(self, c->valid ? &c->key : NULL, &next)) {
			c->valid = false;	/* the end: start over next time */
			break;
		}
		c->key = next;
		c->valid = true;
		if (bpf_map_lookup_elem(self, &next, &v))
			continue;
		if (outgoing)
			agent_flow_in_key(&next, &v, &pkey);
		else
			agent_flow_out_key(&next, &v, &pkey);
		has_partner = !bpf_map_lookup_elem(other, &pkey, &pv);
		if (!has_partner)
			pv = none;
		dead = outgoing ? bpfroute_flow_dead(&v, &pv, next.proto, now) :
				  bpfroute_flow_dead(&pv, &v, next.proto, now);
		if (!dead)
			continue;
		dead_in[n_dead] = outgoing ? pkey : next;
		dead_out[n_dead] = outgoing ? next : pkey;
		n_dead++;
	}
	for (int i = 0; i < n_dead; i++) {
		bpf_map_delete_elem(a->maps->nat_in, &dead_in[i]);
		/* Gone already: the datapath reclaimed it, and counted it down. */
		if (!bpf_map_delete_elem(a->maps->nat_out, &dead_out[i]))
			client_put(a, &dead_out[i]);
		if (c->valid && !memcmp(&c->key, outgoing ? &dead_out[i] : &dead_in[i],
					sizeof(c->key)))
			c->valid = false;	/* its key is gone: start over */
	}
	return n_dead;
}

int agent_flows_sweep(struct agent *a, __u64 now, __u32 budget)
{
	int removed;

	if (a->maps->nat_out < 0 || a->maps->nat_in < 0)
		return 0;
	removed = sweep_chunk(a, true, now, budget);
	/* Reply entries whose outgoing half is gone (a crash between deletes). */
	removed += sweep_chunk(a, false, now, budget);
	a->st.flows_expired += removed;
	return removed;
}
