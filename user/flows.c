// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "agent.h"		/* agent_flow_in_key(): how replies arrive */
#include "bpfroute_policy.h"
#include "flows.h"

#define BATCH 4096

/*
 * Every entry of a flow map, read in batches: keys into *keys, values into
 * *vals, both malloc()ed. A flow created during the walk may be missed or
 * seen; none is seen twice.
 */
static int read_map(int fd, struct bpfroute_flow_key **keys, struct bpfroute_nat **vals,
		    size_t *count)
{
	struct bpfroute_flow_key *k = NULL, *kg;
	struct bpfroute_nat *v = NULL, *vg;
	size_t n = 0, cap = 0;
	__u64 in = 0, out = 0;
	void *in_batch = NULL;
	int err = 0;

	for (;;) {
		__u32 got = BATCH;
		bool last;

		if (cap - n < BATCH) {
			cap += BATCH;
			kg = realloc(k, cap * sizeof(*k));
			if (kg)
				k = kg;
			vg = realloc(v, cap * sizeof(*v));
			if (vg)
				v = vg;
			if (!kg || !vg) {
				err = -ENOMEM;
				goto cleanup;
			}
		}
		err = bpf_map_lookup_batch(fd, in_batch, &out, k + n, v + n, &got, NULL);
		last = err && errno == ENOENT;
		if (err && !last) {
			err = -errno;
			goto cleanup;
		}
		err = 0;
		n += got;
		if (last)
			break;
		in = out;
		in_batch = &in;
	}
cleanup:
	if (err) {
		free(k);
		free(v);
		return err;
	}
	*keys = k;
	*vals = v;
	*count = n;
	return 0;
}

/* A reply side, key and value together so that sorting keeps them paired. */
struct flow_kv {
	struct bpfroute_flow_key k;	/* first: key_cmp() compares it */
	struct bpfroute_nat v;
};

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct bpfroute_flow_key));
}

/* Client address first, then its port, then the rest: a client's flows together. */
static int flow_cmp(const void *a, const void *b)
{
	const struct bpfroute_flow_key *x = &((const struct flow_entry *)a)->key;
	const struct bpfroute_flow_key *y = &((const struct flow_entry *)b)->key;
	int r;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	r = memcmp(x->saddr, y->saddr, sizeof(x->saddr));
	if (r)
		return r;
	if (x->sport != y->sport)
		return ntohs(x->sport) < ntohs(y->sport) ? -1 : 1;
	return key_cmp(x, y);
}

int flows_list(const struct bpfroute_maps *m, struct flow_entry **flows, size_t *count)
{
	struct bpfroute_flow_key *okeys = NULL, *ikeys = NULL;
	struct bpfroute_nat *ovals = NULL, *ivals = NULL;
	size_t n_out = 0, n_in = 0;
	struct flow_entry *f = NULL;
	int err;

	*flows = NULL;
	*count = 0;
	err = read_map(m->nat_out, &okeys, &ovals, &n_out);
	if (!err)
		err = read_map(m->nat_in, &ikeys, &ivals, &n_in);
	if (err)
		goto cleanup;

	/* The reply sides as key-value pairs, sorted by key for bsearch. */
	{
		struct flow_kv *in = calloc(n_in + 1, sizeof(*in));

		f = calloc(n_out + 1, sizeof(*f));
		if (!in || !f) {
			free(in);
			err = -ENOMEM;
			goto cleanup;
		}
		for (size_t i = 0; i < n_in; i++) {
			in[i].k = ikeys[i];
			in[i].v = ivals[i];
		}
		qsort(in, n_in, sizeof(*in), key_cmp);
		for (size_t i = 0; i < n_out; i++) {
			struct bpfroute_flow_key want;
			const struct flow_kv *hit;

			f[i].key = okeys[i];
			f[i].out = ovals[i];
			agent_flow_in_key(&okeys[i], &ovals[i], &want);
			hit = n_in ? bsearch(&want, in, n_in, sizeof(*in), key_cmp) : NULL;
			if (hit) {
				f[i].in = hit->v;
				f[i].has_in = true;
			}
		}
		free(in);
	}
	qsort(f, n_out, sizeof(*f), flow_cmp);
	*flows = f;
	*count = n_out;
	f = NULL;
cleanup:
	free(f);
	free(okeys);
	free(ovals);
	free(ikeys);
	free(ivals);
	return err;
}

int flows_count_on(const struct bpfroute_maps *m, __u32 ifindex, size_t *count)
{
	struct bpfroute_flow_key *keys;
	struct bpfroute_nat *vals;
	size_t n;
	int err;

	*count = 0;
	err = read_map(m->nat_out, &keys, &vals, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		*count += vals[i].ifindex == ifindex;
	free(keys);
	free(vals);
	return 0;
}

__u8 flow_state(const struct flow_entry *f)
{
	return f->out.state > f->in.state ? f->out.state : f->in.state;
}

__u64 flow_last_seen_ns(const struct flow_entry *f)
{
	return f->out.last_seen_ns > f->in.last_seen_ns ? f->out.last_seen_ns : f->in.last_seen_ns;
}

long long flow_idle_s(const struct flow_entry *f, __u64 now)
{
	__u64 last = flow_last_seen_ns(f);

	return now > last ? (long long)((now - last) / BPFROUTE_NSEC_PER_SEC) : 0;
}

/* The same arithmetic as bpfroute_flow_dead(): dead once idle past the timeout. */
long long flow_expires_in_s(const struct flow_entry *f, __u64 now)
{
	long long end = (long long)(flow_last_seen_ns(f) +
				    bpfroute_flow_timeout_of(&f->out, &f->in, f->key.proto));

	return (end - (long long)now) / (long long)BPFROUTE_NSEC_PER_SEC;
}

const char *flow_state_name(__u8 state)
{
	switch (state) {
	case BPFROUTE_FLOW_NEW:
		return "new";
	case BPFROUTE_FLOW_ESTABLISHED:
		return "established";
	case BPFROUTE_FLOW_CLOSING:
		return "closing";
	default:
		return "unknown";
	}
}

const char *flow_proto_name(__u8 proto)
{
	switch (proto) {
	case BPFROUTE_IPPROTO_TCP:
		return "tcp";
	case BPFROUTE_IPPROTO_UDP:
		return "udp";
	case BPFROUTE_IPPROTO_ICMP:
		return "icmp";
	case BPFROUTE_IPPROTO_ICMPV6:
		return "icmpv6";
	default:
		return "unknown";
	}
}
