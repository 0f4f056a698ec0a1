// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Events of the ring buffer: one per answer the kernel matched to a domain
 * rule (bpf/dns_answer.h), followed by the DNS message. The kernel has
 * already vetted the answer (the exact reverse of a recorded query, from a
 * trusted server) and learned what it could; the agent counts every event
 * and finishes two kinds:
 *  - BPFROUTE_DNS_AGENT: more records or addresses than the kernel walks;
 *  - BPFROUTE_DNS_FULL: a learned map was full, which only the agent can
 *    fix, by evicting expired entries.
 * For those it reads the message again by the kernel's rules (agent_dns.c)
 * and installs every address, as bpf/learn.h would have. Lifetimes start at
 * the event's time, so an event read late (after a restart) still gives the
 * expiry the kernel would have given.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "agent.h"
#include "agentrec.h"
#include "dnsname.h"
#include "log.h"

static void lat_add(struct agent_lat *l, __u64 ns)
{
	l->ns[l->next] = ns;
	l->next = (l->next + 1) % AGENT_LAT_SAMPLES;
	if (l->n < AGENT_LAT_SAMPLES)
		l->n++;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

__u64 agent_lat_percentile(const struct agent_lat *l, unsigned int pct)
{
	__u64 *sorted, v;
	size_t i;

	if (!l->n)
		return 0;
	sorted = malloc(l->n * sizeof(*sorted));
	if (!sorted)
		return 0;
	memcpy(sorted, l->ns, l->n * sizeof(*sorted));
	qsort(sorted, l->n, sizeof(*sorted), cmp_u64);
	i = (l->n * pct + 99) / 100;	/* nearest rank */
	v = sorted[i ? i - 1 : 0];
	free(sorted);
	return v;
}

size_t agent_install_answer(struct agent *a, const struct agent_dns_answer *ans,
			    const struct hosts_origin *o, __u64 now)
{
	size_t installed = 0, full = 0;

	for (size_t i = 0; i < ans->n; i++) {
		const struct agent_dns_addr *ad = &ans->addrs[i];
		int r = agent_install(a, o, ad->family, ad->addr, ad->ttl, now);

		if (r == HOSTS_INSTALLED || r == HOSTS_RENEWED)
			installed++;
		else if (r == -ENOSPC)
			full++;
		else if (r < 0 && r != -EPERM)
			pr_debug("installing an address for %s: %s\n", ans->qtext, strerror(-r));
	}
	if (installed)
		hosts_name_put(a->maps, o->name_id, ans->qname, ans->qname_len);
	if (full)
		pr_warn("%zu address(es) for %s refused: learned table full of unexpired entries "
			"(max-routes %u)\n", full, ans->qtext, a->conf.max_routes);
	return installed;
}

/* Read the message again and install what the kernel could not. */
static size_t event_finish(struct agent *a, const struct bpfroute_dns_event *ev,
			   const __u8 *msg, __u64 now)
{
	struct agent_dns_answer *ans = a->ans;
	const struct agent_rule *rule;
	struct hosts_origin o;
	int err;

	a->st.events_finished++;
	err = agent_dns_parse(msg, ev->cap_len, ans);
	if (err) {
		a->st.parse_failures++;
		pr_debug("answer for rule %u: %s\n", ev->rule,
			 err == -ELOOP ? "CNAME chain loops or is too long" : "malformed");
		return 0;
	}
	rule = agent_rule(a, ev->rule, ans->qname, ans->qname_len, now);
	if (!rule) {
		a->st.dropped++;
		pr_debug("answer for %s: rule %u is gone, or a bypass covers it\n", ans->qtext,
			 ev->rule);
		return 0;
	}
	o = (struct hosts_origin){
		.ifindex = rule->ifindex,
		.rule = ev->rule,
		.clients = rule->clients,
		.name_id = dnsname_hash(&a->conf, ans->qname, ans->qname_len),
		.ts = hosts_seconds(ev->ts_ns),
		.servers = &ev->server,
		.n_servers = 1,
	};
	return agent_install_answer(a, ans, &o, now);
}

/* Bookkeeping events carry no message: the question is in bpfroute_names. */
static void event_log(const struct agent *a, const struct bpfroute_dns_event *ev, size_t n)
{
	char text[DNSNAME_TEXT_MAX];
	struct bpfroute_name name;

	/* A map lookup per event would cost more than the event itself. */
	if (!log_enabled(LOG_DEBUG))
		return;
	if (bpf_map_lookup_elem(a->maps->names, &ev->name_id, &name) ||
	    name.len > sizeof(name.name) ||
	    dnsname_to_text(name.name, name.len, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	pr_debug("learned %zu address(es) for %s (rule %u)\n", n, text, ev->rule);
}

int agent_event(struct agent *a, const void *data, size_t size, __u64 now)
{
	const struct bpfroute_dns_event *ev = data;
	const __u8 *msg = (const __u8 *)(ev + 1);
	size_t n;

	a->st.events++;
	if (size < sizeof(*ev) || ev->cap_len > size - sizeof(*ev)) {
		a->st.parse_failures++;
		return 0;
	}
	lat_add(&a->lat, now > ev->ts_ns ? now - ev->ts_ns : 0);
	n = ev->learned;
	if (ev->verdict == BPFROUTE_DNS_AGENT || ev->verdict == BPFROUTE_DNS_FULL) {
		__u64 done;

		n += event_finish(a, ev, msg, now);
		/* After the install: the latency the client may see, metrics' histogram. */
		done = hosts_now_ns();
		lat_add(&a->lat_learn, now > ev->ts_ns ? now - ev->ts_ns : 0);
		agentrec_lat_add(&a->rec, done > ev->ts_ns ? done - ev->ts_ns : 0);
	}
	event_log(a, ev, n);
	return 0;
}

/*
 * libbpf stops consuming at a negative return and keeps the rest for the
 * next call: a flood of events cannot hold the loop away from signals,
 * c-ares and the tick for more than AGENT_EVENT_BUDGET events.
 */
int agent_event_cb(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;

	agent_event(a, data, size, hosts_now_ns());
	if (a->budget && --a->budget == 0)
		return -EAGAIN;
	return 0;
}
