/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Which domain rule a question falls under: an exact rule for the name
 * itself, else the wildcard rule of its longest suffix (`*.b.example.com`
 * before `*.example.com`). The most specific rule wins.
 */
#ifndef BPFROUTE_DNS_RULES_H
#define BPFROUTE_DNS_RULES_H

#include "dns.h"


/* Does rule r name exactly q.name[start..q.len)? */
static __always_inline bool rule_name_equal(const struct dns_scratch *s,
					    const struct bpfroute_rule *r, __u32 start)
{
	__u32 len = s->q.len - start;

	if (r->name_len != len)
		return false;
	for (__u32 i = 0; i < BPFROUTE_DNS_NAME_MAX; i++) {
		if (i >= len)
			break;
		if (r->name[i] != s->q.name[IDX(start + i, DNS_NAME_MASK)])
			return false;
	}
	return true;
}

/*
 * One label of the backward pass, from the root up. After a label is
 * hashed, the hash is that of the suffix beginning with it: look for a rule
 * of that name. Shorter suffixes come first, so a later find is more
 * specific and replaces an earlier one; the whole name, last, can only match
 * an exact rule, which outranks every wildcard.
 */
static long rule_match_label(__u32 idx, void *ctx)
{
	struct bpfroute_rule_key key = {};
	struct dns_scratch *s = dns_scratch();
	const struct bpfroute_conf *conf;
	struct bpfroute_rule *r;
	struct rule_match *m;
	__u32 zero = 0, start, end;

	(void)idx;
	(void)ctx;
	conf = bpf_map_lookup_elem(&BPFROUTE_MAP_CONF, &zero);
	if (!s || !conf)
		return 1;
	m = &s->rm;
	if (m->k == 0 || m->k > DNS_LABELS_MAX)
		return 1;
	m->k--;
	start = s->labels[IDX(m->k, DNS_LABELS_MAX - 1)];
	end = m->k + 1 < s->n_labels ? s->labels[IDX(m->k + 1, DNS_LABELS_MAX - 1)] : s->q.len;
	for (__u32 i = 0; i < 64; i++) {	/* a label: length byte and <= 63 */
		if (start + i >= end)
			break;
		m->hash = name_hash_byte(m->hash, s->q.name[IDX(end - 1 - i, DNS_NAME_MASK)]);
	}

	key.hash = name_hash_final(conf, m->hash);
	key.wildcard = m->k != 0;
	r = bpf_map_lookup_elem(&BPFROUTE_MAP_RULES, &key);
	if (r && rule_name_equal(s, r, start)) {
		m->found = 1;
		m->best = key;
	}
	return m->k == 0;
}

/* The rule for the question in scratch, or NULL. */
static __always_inline struct bpfroute_rule *dns_match_rule(const struct bpfroute_conf *conf,
							    struct dns_scratch *s)
{
	struct rule_match *m = &s->rm;

	*m = (struct rule_match){
		.hash = name_hash_init(conf),
		.k = s->n_labels,
	};
	if (m->k == 0 || m->k > DNS_LABELS_MAX)
		return NULL;
	bpf_loop(DNS_LABELS_MAX, rule_match_label, NULL, 0);
	if (!m->found)
		return NULL;
	/* Looked up again by key: a pointer cannot leave the callback. */
	return bpf_map_lookup_elem(&BPFROUTE_MAP_RULES, &m->best);
}

#endif /* BPFROUTE_DNS_RULES_H */
