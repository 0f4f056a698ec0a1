// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Prefetch (`prefetch yes`): the agent resolves every exact-name domain rule
 * itself, A and AAAA, at start and again before what it learned expires, so
 * that the first client to ask finds the route in place. Answers to the
 * gateway's own queries never cross a LAN interface, where the kernel
 * learns, so the agent installs them directly, as the kernel would have
 * (rule id and target, the rule's name as the origin). Wildcard rules have
 * no name to ask for.
 *
 * Queries go through c-ares to the config's resolvers, or to those of
 * /etc/resolv.conf when the config names none. A job is one name and type;
 * it is asked again when 85% of the shortest clamped lifetime it learned
 * has passed (the clamp to min-ttl keeps that at least 0.85 * min-ttl
 * apart), after min-ttl when the name has no address, and with a doubling
 * backoff of up to PF_BACKOFF_MAX_S after a failure, which is logged once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <sys/socket.h>

#include <ares.h>

#include "agent.h"
#include "dnsname.h"
#include "log.h"

#define PF_IN_FLIGHT_MAX	64	/* queries outstanding at once */
#define PF_BACKOFF_MIN_S	2
#define PF_BACKOFF_MAX_S	300
#define PF_TIMEOUT_MS		2000	/* per try; c-ares moves to the next server */
#define PF_TRIES		3
#define PF_SERVERS_MAX		(64 * 56)	/* "[addr]:53," for BPFROUTE_MAX_RESOLVERS */
#define PF_SERVERS_KEPT		BPFROUTE_MAX_RESOLVERS

struct pf_job {
	__u32 rule;
	__u16 qtype;		/* ns_t_a or ns_t_aaaa */
	__u16 wire_len;
	__u8 wire[BPFROUTE_DNS_NAME_MAX];	/* lower-case wire form */
	char name[DNSNAME_TEXT_MAX + 2];	/* as asked */
	__u64 due_ns;
	__u32 backoff_s;
	bool failing;		/* the failure is logged; success is, once */
	bool in_flight;
};

struct agent_prefetch {
	ares_channel ch;
	bool ch_ok;
	unsigned int gen;	/* answers to queries of an older list are ignored */
	unsigned int in_flight;
	bool rules_stale;	/* an answer found its rule changed: read them again */
	__u8 servers[PF_SERVERS_KEPT][16];	/* the channel's, never learned */
	size_t n_servers;
	struct pf_job *jobs;
	size_t n;
};

/* What a c-ares callback is given. */
struct pf_query {
	struct agent *a;
	unsigned int gen;
	size_t job;
};

static const char *qtype_name(__u16 qtype)
{
	return qtype == ns_t_a ? "A" : "AAAA";
}

static void pf_channel_close(struct agent_prefetch *pf)
{
	if (!pf->ch_ok)
		return;
	pf->gen++;		/* the callbacks ares_destroy() makes are ignored */
	pf->ch_ok = false;
	ares_destroy(pf->ch);
	pf->in_flight = 0;
	for (size_t i = 0; i < pf->n; i++)
		pf->jobs[i].in_flight = false;
}

void agent_prefetch_free(struct agent *a)
{
	struct agent_prefetch *pf = a->pf;

	if (!pf)
		return;
	pf_channel_close(pf);
	free(pf->jobs);
	free(pf);
	a->pf = NULL;
}

/* "192.0.2.53:53,[2001:db8::53]:53" from the config's resolvers. */
static int servers_csv(const struct config *cfg, char *csv, size_t size)
{
	size_t len = 0;

	csv[0] = '\0';
	for (size_t i = 0; i < cfg->n_resolvers; i++) {
		const struct prefix *p = &cfg->resolvers[i].addr;
		char addr[INET6_ADDRSTRLEN];
		int n;

		if (!inet_ntop(p->family, p->addr, addr, sizeof(addr)))
			return -EINVAL;
		n = snprintf(csv + len, size - len, p->family == AF_INET6 ? "%s[%s]:53" : "%s%s:53",
			     len ? "," : "", addr);
		if (n < 0 || (size_t)n >= size - len)
			return -E2BIG;
		len += (size_t)n;
	}
	return 0;
}

/* The servers the channel asks: whichever answers is never learned. */
static void pf_servers_read(struct agent_prefetch *pf)
{
	struct ares_addr_port_node *list = NULL;

	pf->n_servers = 0;
	if (ares_get_servers_ports(pf->ch, &list) != ARES_SUCCESS)
		return;
	for (struct ares_addr_port_node *s = list; s && pf->n_servers < PF_SERVERS_KEPT;
	     s = s->next) {
		__u8 *a = pf->servers[pf->n_servers];

		memset(a, 0, 16);
		if (s->family == AF_INET)
			memcpy(a, &s->addr.addr4, 4);
		else if (s->family == AF_INET6)
			memcpy(a, &s->addr.addr6, 16);
		else
			continue;
		pf->n_servers++;
	}
	ares_free_data(list);
}

static int pf_channel_open(struct agent_prefetch *pf, const struct config *cfg)
{
	static bool lib_ready;
	struct ares_options opts = { .timeout = PF_TIMEOUT_MS, .tries = PF_TRIES };
	char csv[PF_SERVERS_MAX];
	int st;

	if (!lib_ready && ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS)
		lib_ready = true;
	st = ares_init_options(&pf->ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (st != ARES_SUCCESS) {
		pr_warn("prefetch: c-ares: %s; prefetch is off\n", ares_strerror(st));
		return -EIO;
	}
	pf->ch_ok = true;
	/* Without resolvers in the config, c-ares has read /etc/resolv.conf. */
	if (cfg->n_resolvers && !servers_csv(cfg, csv, sizeof(csv))) {
		st = ares_set_servers_ports_csv(pf->ch, csv);
		if (st != ARES_SUCCESS)
			pr_warn("prefetch: resolvers %s: %s; using /etc/resolv.conf\n", csv,
				ares_strerror(st));
	}
	pf_servers_read(pf);
	return 0;
}

int agent_prefetch_setup(struct agent *a, const struct config *cfg, __u64 now)
{
	if (!cfg->prefetch) {
		agent_prefetch_free(a);
		return 0;
	}
	if (!a->pf) {
		a->pf = calloc(1, sizeof(*a->pf));
		if (!a->pf)
			return -ENOMEM;
	}
	/* A new channel: the servers, or resolv.conf, may have changed. */
	pf_channel_close(a->pf);
	pf_channel_open(a->pf, cfg);
	agent_prefetch_rules(a, now);
	return 0;
}

static bool job_is(const struct pf_job *j, const __u8 *wire, __u16 len, __u16 qtype)
{
	return j->qtype == qtype && j->wire_len == len && !memcmp(j->wire, wire, len);
}

/* The old job of a name and type; where it was in the old list is tried first. */
static const struct pf_job *job_find(const struct agent_prefetch *pf, size_t hint,
				     const __u8 *wire, __u16 len, __u16 qtype)
{
	if (hint < pf->n && job_is(&pf->jobs[hint], wire, len, qtype))
		return &pf->jobs[hint];
	for (size_t i = 0; i < pf->n; i++)
		if (job_is(&pf->jobs[i], wire, len, qtype))
			return &pf->jobs[i];
	return NULL;
}

static void job_make(struct pf_job *j, size_t at, const struct agent_rule *r, __u32 id,
		     __u16 qtype, const struct agent_prefetch *old, __u64 now)
{
	const struct pf_job *prev = job_find(old, at, r->name, r->name_len, qtype);

	memset(j, 0, sizeof(*j));
	j->rule = id;
	j->qtype = qtype;
	j->wire_len = r->name_len;
	memcpy(j->wire, r->name, r->name_len);
	if (agent_rule_text(r, j->name, sizeof(j->name)))
		snprintf(j->name, sizeof(j->name), "?");
	j->due_ns = now;
	if (!prev)
		return;
	/* A name already scheduled keeps its schedule; one being asked is asked again. */
	j->backoff_s = prev->backoff_s;
	j->failing = prev->failing;
	if (!prev->in_flight)
		j->due_ns = prev->due_ns;
}

void agent_prefetch_rules(struct agent *a, __u64 now)
{
	struct agent_prefetch *pf = a->pf;
	struct pf_job *jobs;
	size_t n = 0;

	if (!pf)
		return;
	for (size_t i = 0; i < a->n_rules; i++)
		n += a->rules[i].used && !a->rules[i].wildcard && !a->rules[i].bypass;
	jobs = calloc(2 * n + 1, sizeof(*jobs));
	if (!jobs) {
		pr_warn("prefetch: out of memory; keeping the old list\n");
		return;
	}
	n = 0;
	for (size_t i = 0; i < a->n_rules; i++) {
		const struct agent_rule *r = &a->rules[i];

		/* A bypassed name is the ordinary path's: nothing to learn ahead. */
		if (!r->used || r->wildcard || r->bypass)
			continue;
		job_make(&jobs[n], n, r, r->id, ns_t_a, pf, now);
		n++;
		job_make(&jobs[n], n, r, r->id, ns_t_aaaa, pf, now);
		n++;
	}
	free(pf->jobs);
	pf->jobs = jobs;
	pf->n = n;
	pf->gen++;
}

size_t agent_prefetch_count(const struct agent *a)
{
	return a->pf ? a->pf->n : 0;
}

__u64 agent_prefetch_due(const struct agent *a, size_t i)
{
	return a->pf && i < a->pf->n ? a->pf->jobs[i].due_ns : 0;
}

int agent_prefetch_find(const struct agent *a, __u32 rule, __u16 qtype)
{
	for (size_t i = 0; a->pf && i < a->pf->n; i++)
		if (a->pf->jobs[i].rule == rule && a->pf->jobs[i].qtype == qtype)
			return (int)i;
	return -ENOENT;
}

static void job_failed(struct agent *a, struct pf_job *j, const char *why, __u64 now)
{
	a->st.prefetch_failed++;
	j->backoff_s = j->backoff_s ? j->backoff_s * 2 : PF_BACKOFF_MIN_S;
	if (j->backoff_s > PF_BACKOFF_MAX_S)
		j->backoff_s = PF_BACKOFF_MAX_S;
	j->due_ns = now + (__u64)j->backoff_s * HOSTS_NSEC_PER_SEC;
	if (j->failing)
		return;
	j->failing = true;
	pr_warn("prefetch %s %s: %s; retrying with backoff (up to %d s), not logged again until "
		"it succeeds\n", j->name, qtype_name(j->qtype), why, PF_BACKOFF_MAX_S);
}

/* 85% of the shortest lifetime learned; min-ttl if there was nothing. */
static __u64 job_next_ns(const struct agent *a, const struct agent_dns_answer *ans)
{
	__u64 life = 0;

	for (size_t i = 0; i < ans->n; i++) {
		__u64 l = (__u64)hosts_lifetime_s(&a->conf, ans->addrs[i].ttl) * HOSTS_NSEC_PER_SEC;

		if (!life || l < life)
			life = l;
	}
	if (!life)
		return (__u64)(a->conf.min_ttl ? a->conf.min_ttl : 1) * HOSTS_NSEC_PER_SEC;
	life = life / 100 * 85;
	return life > HOSTS_NSEC_PER_SEC ? life : HOSTS_NSEC_PER_SEC;
}

/* An answer (maybe with no address) for job j: install it. */
static int job_learn(struct agent *a, struct pf_job *j, const __u8 *abuf, int alen, __u64 now)
{
	struct agent_dns_answer *ans = a->ans;
	const struct agent_rule *r = agent_rule_by_id(a, j->rule);
	struct hosts_origin o;
	size_t n = 0;
	int err;

	err = agent_dns_parse(abuf, (size_t)alen, ans);
	if (err) {
		a->st.parse_failures++;
		return err;
	}
	if (ans->qname_len != j->wire_len || memcmp(ans->qname, j->wire, j->wire_len))
		return -EPROTO;
	/* The rule changed under the job: the next rules refresh rebuilds the list. */
	if (!r || !r->used || r->wildcard || r->name_len != j->wire_len ||
	    memcmp(r->name, j->wire, j->wire_len))
		return -ENOENT;
	o = (struct hosts_origin){
		.ifindex = r->ifindex,
		.rule = j->rule,
		.clients = r->clients,
		.name_id = dnsname_hash(&a->conf, j->wire, j->wire_len),
		.ts = hosts_seconds(now),
		.servers = a->pf->servers,
		.n_servers = a->pf->n_servers,
	};
	if (ans->n)
		n = agent_install_answer(a, ans, &o, now);
	j->due_ns = now + job_next_ns(a, ans);
	pr_debug("prefetched %s %s: %zu of %zu address(es) installed or renewed, next in %llu s\n",
		 j->name, qtype_name(j->qtype), n, ans->n,
		 (unsigned long long)((j->due_ns - now) / HOSTS_NSEC_PER_SEC));
	return 0;
}

void agent_prefetch_result(struct agent *a, size_t i, int status, const __u8 *abuf,
			   int alen, __u64 now)
{
	struct pf_job *j;
	int err;

	if (!a->pf || i >= a->pf->n)
		return;
	j = &a->pf->jobs[i];
	j->in_flight = false;
	/* NXDOMAIN and NODATA are answers too: nothing to learn for now. */
	if (status != ARES_SUCCESS && status != ARES_ENODATA && status != ARES_ENOTFOUND) {
		job_failed(a, j, ares_strerror(status), now);
		return;
	}
	err = abuf ? job_learn(a, j, abuf, alen, now) : -EBADMSG;
	if (err == -ENOENT) {
		/* Not here: this runs inside c-ares, which the list must outlive. */
		a->pf->rules_stale = true;
		j->due_ns = now + HOSTS_NSEC_PER_SEC;
		return;
	}
	if (err) {
		job_failed(a, j, err == -ELOOP ? "CNAME chain loops or is too long" :
			   err == -EPROTO ? "answer to another question" : "malformed answer", now);
		return;
	}
	if (j->failing)
		pr_info("prefetch %s %s: resolving again\n", j->name, qtype_name(j->qtype));
	j->failing = false;
	j->backoff_s = 0;
}

static void pf_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct pf_query *q = arg;
	struct agent_prefetch *pf = q->a->pf;

	(void)timeouts;
	if (pf && pf->in_flight)
		pf->in_flight--;
	if (pf && q->gen == pf->gen && status != ARES_EDESTRUCTION)
		agent_prefetch_result(q->a, q->job, status, abuf, alen, hosts_now_ns());
	free(q);
}

static void job_send(struct agent *a, size_t i)
{
	struct agent_prefetch *pf = a->pf;
	struct pf_query *q = malloc(sizeof(*q));

	if (!q)
		return;
	*q = (struct pf_query){ .a = a, .gen = pf->gen, .job = i };
	pf->jobs[i].in_flight = true;
	pf->in_flight++;
	a->st.prefetches++;
	/* The callback may run at once (a query that cannot be sent). */
	ares_query(pf->ch, pf->jobs[i].name, ns_c_in, pf->jobs[i].qtype, pf_done, q);
}

void agent_prefetch_tick(struct agent *a, __u64 now)
{
	struct agent_prefetch *pf = a->pf;

	if (!pf || !pf->ch_ok)
		return;
	if (pf->rules_stale) {
		pf->rules_stale = false;
		if (agent_refresh(a, now) <= 0)
			agent_prefetch_rules(a, now);
	}
	for (size_t i = 0; i < pf->n && pf->in_flight < PF_IN_FLIGHT_MAX; i++)
		if (!pf->jobs[i].in_flight && now >= pf->jobs[i].due_ns)
			job_send(a, i);
}

int agent_prefetch_pollfds(struct agent *a, struct pollfd *fds, int max)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	unsigned int bits;
	int n = 0;

	if (!a->pf || !a->pf->ch_ok)
		return 0;
	/*
	 * Bit i: socket i readable, bit 16 + i: writable. Tested unsigned:
	 * ARES_GETSOCK_WRITABLE() shifts an int 1 by 31 for socket 15.
	 */
	bits = (unsigned int)ares_getsock(a->pf->ch, socks, ARES_GETSOCK_MAXNUM);
	for (int i = 0; i < ARES_GETSOCK_MAXNUM && n < max; i++) {
		short events = (bits & 1u << i ? POLLIN : 0) |
			       (bits & 1u << (i + ARES_GETSOCK_MAXNUM) ? POLLOUT : 0);

		if (!events)
			continue;
		fds[n++] = (struct pollfd){ .fd = socks[i], .events = events };
	}
	return n;
}

void agent_prefetch_process(struct agent *a, const struct pollfd *fds, int n)
{
	for (int i = 0; i < n && a->pf && a->pf->ch_ok; i++) {
		if (!fds[i].revents)
			continue;
		ares_process_fd(a->pf->ch,
				fds[i].revents & (POLLIN | POLLERR | POLLHUP) ? fds[i].fd :
										ARES_SOCKET_BAD,
				fds[i].revents & POLLOUT ? fds[i].fd : ARES_SOCKET_BAD);
	}
	/* Timeouts and retries. */
	if (a->pf && a->pf->ch_ok)
		ares_process_fd(a->pf->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

int agent_prefetch_timeout_ms(struct agent *a)
{
	struct timeval tv, *t;

	if (!a->pf || !a->pf->ch_ok)
		return -1;
	t = ares_timeout(a->pf->ch, NULL, &tv);
	if (!t)
		return -1;
	return (int)(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
}
