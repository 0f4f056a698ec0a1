/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent (`bpfroute run`): finishes what the kernel cannot do alone with
 * learned entries. It installs the addresses of answers too big for the
 * kernel or refused because a map was full (ring buffer events), evicts
 * expired entries to make room, sweeps dead ones, and resolves exact-name
 * rules ahead of clients (prefetch).
 *
 * Everything that matters lives in the pinned maps: the agent keeps only
 * caches it rebuilds at will (the rules by id, the settings, eviction
 * candidates, a sweep position, a prefetch schedule), so it can be killed
 * and restarted at any moment. Every function takes the time (`now`,
 * CLOCK_MONOTONIC ns, the datapath's clock) as an argument, so tests drive
 * it with a fake clock and without the loop.
 */
#ifndef BPFROUTE_AGENT_H
#define BPFROUTE_AGENT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "agent_dns.h"
#include "bpfroute_abi.h"
#include "config.h"
#include "dnsname.h"
#include "hosts.h"
#include "hosttable.h"
#include "maps.h"

/* Eviction candidates kept per family: the oldest expired entries. */
#define AGENT_LRU_MAX		1024
/* After a scan that found no candidate, the next is this far off at most. */
#define AGENT_LRU_RESCAN_NS	(5 * HOSTS_NSEC_PER_SEC)
/* Learn latencies kept for the percentiles. */
#define AGENT_LAT_SAMPLES	4096
/* Ring buffer events handled in one go before the loop looks elsewhere. */
#define AGENT_EVENT_BUDGET	1024
/* Slots of a learned table swept per tick at least, and at most. */
#define AGENT_SWEEP_MIN		4096
#define AGENT_SWEEP_MAX		(1U << 17)
/* How often the rules are read again without being told (reload, miss). */
#define AGENT_RULES_EVERY_NS	(30 * HOSTS_NSEC_PER_SEC)
/* How often the counters go to the debug log. */
#define AGENT_REPORT_EVERY_NS	(60 * HOSTS_NSEC_PER_SEC)

/*
 * A domain rule as the kernel holds it. The agent keeps them all, sorted by
 * id, with their names in one pool: some 40 bytes a rule, not the 256 of a
 * name's room, for lists of hundreds of thousands.
 */
struct agent_rule {
	__u32 id;
	__u32 ifindex;
	bool used;
	bool wildcard;
	bool bypass;		/* BPFROUTE_RULE_F_BYPASS: learns nothing */
	__u8 clients;		/* its client group; 0: every client */
	__u16 name_len;
	const __u8 *name;	/* lower-case wire form, name_len bytes */
};

/* A rule as written in the config ("*.corp.example.com") into buf; -EINVAL if malformed. */
int agent_rule_text(const struct agent_rule *r, char *buf, size_t size);

/* The rule with id, or NULL. */
struct agent;
const struct agent_rule *agent_rule_by_id(const struct agent *a, __u32 id);

struct agent_stats {
	__u64 events;		/* ring buffer events */
	__u64 events_finished;	/* AGENT or FULL events the agent worked on */
	__u64 installed;	/* addresses installed or renewed by the agent */
	__u64 evicted;		/* expired entries evicted to make room */
	__u64 expired;		/* dead entries swept */
	__u64 refused;		/* special, excluded or resolver addresses */
	__u64 refused_full;	/* no room and nothing expired to evict */
	__u64 prefetches;	/* prefetch queries sent */
	__u64 prefetch_failed;	/* prefetch queries that failed */
	__u64 parse_failures;	/* answers the agent could not read */
	__u64 dropped;		/* events whose rule is gone */
	__u64 flows_expired;	/* masqueraded flows swept */
	__u64 rebuilds;		/* learned tables rebuilt (grown, shrunk, cleaned) */
	__u64 rebuild_failed;	/* rebuilds given up: the old table stayed */
	__u64 export_written;	/* routes written to the export table */
	__u64 export_removed;	/* and removed from it */
	__u64 export_failed;	/* writes or removals the kernel refused */
	__u64 imported;		/* entries installed from the import table */
	__u64 import_local;	/* import routes left alone: a local entry wins */
	__u64 import_withdrawn;	/* imported entries expired by a withdrawal */
	__u64 fleet_step_max_ns; /* CPU time of the longest round of export and import */
};

/* Where the flow sweep goes on from, per map (out, in). */
struct agent_flow_cursor {
	struct bpfroute_flow_key key;
	bool valid;
};

struct agent_lru_cand {
	__u32 slot;		/* in the table as it was at the scan */
	struct bpfroute_host seen;
};

/* Eviction candidates of one family, oldest first. */
struct agent_lru {
	struct agent_lru_cand *c;	/* AGENT_LRU_MAX */
	size_t n, pos;
	__u64 rescan_at;		/* no scan before: nothing could be found */
};

/* The sweep of one family, a chunk of slots per tick. */
struct agent_sweep {
	__u32 next;		/* the next slot to look at */
	__u64 reaped;		/* deleted in this pass */
};

struct agent_lat {
	__u64 ns[AGENT_LAT_SAMPLES];
	size_t n, next;
};

struct agent_prefetch;
struct agent_export;
struct agent_import;

struct agent {
	struct bpfroute_maps *maps;
	const char *pin_dir;		/* locked while a table is rebuilt; NULL: no lock */
	struct bpfroute_conf conf;
	struct agent_rule *rules;	/* sorted by id */
	size_t n_rules;
	size_t n_bypass;		/* of them, bypass rules */
	__u8 *rule_names;		/* their names */
	__u64 rules_read_ns;
	struct hosttable ht[2];		/* the learned tables, mapped; IPv4, IPv6 */
	__u64 rebuild_after[2];		/* no rebuild before (one failed) */
	struct agent_lru lru[2];
	struct agent_sweep sweep[2];
	struct agent_flow_cursor flow_cursor[2];
	__u64 *natcli;			/* bpfroute_natcli, mapped; NULL: not yet */
	int natcli_fd;			/* the descriptor it was mapped from */
	struct agent_dns_answer *ans;	/* the answer being worked on */
	struct agent_stats st;
	struct agent_lat lat;		/* every event: answer to the agent reading it */
	struct agent_lat lat_learn;	/* AGENT and FULL: answer to the agent's install */
	struct bpfroute_agent rec;	/* its record in bpfroute_agent (agent_record()) */
	struct agent_prefetch *pf;
	struct agent_export *exp;	/* export table; NULL: off (agent_export.c) */
	struct agent_import *imp;	/* import table; NULL: off (agent_import.c) */
	__u64 report_ns;		/* last debug report */
	unsigned int budget;		/* events left in this round */
};

/* Family index into the per-family arrays: 0 for IPv4, 1 for IPv6. */
static inline int agent_fam(int family)
{
	return family == 4 ? 0 : 1;
}

/* agent.c: the caches of the maps. */
int agent_init(struct agent *a, struct bpfroute_maps *m, __u64 now);
void agent_free(struct agent *a);
/* Use other maps (the instance was reloaded from scratch): drop the caches. */
int agent_set_maps(struct agent *a, struct bpfroute_maps *m, __u64 now);
/*
 * Read the settings and the rules again; the prefetch list follows the rules.
 * Returns 1 if the rules changed, 0 if not, or -errno.
 */
int agent_refresh(struct agent *a, __u64 now);
/* The rule id learned for a question (wire form), or NULL if it is gone. */
const struct agent_rule *agent_rule(struct agent *a, __u32 id, const __u8 *qname,
				    size_t qlen, __u64 now);
/* Once a second: sweep, keep room, size the tables, prefetch, report. */
void agent_tick(struct agent *a, __u64 now);
/* The family's table, as the agent has it mapped. */
static inline struct hosttable *agent_ht(struct agent *a, int family)
{
	return &a->ht[family == 4 ? 0 : 1];
}

/* agent_flows.c: remove dead masqueraded flows, at most budget per map. */
int agent_flows_sweep(struct agent *a, __u64 now, __u32 budget);
/* Unmap the flows per client (agent_free(), other maps). */
void agent_flows_close(struct agent *a);
/* The other direction's key of a flow entry. */
void agent_flow_in_key(const struct bpfroute_flow_key *out, const struct bpfroute_nat *o,
		       struct bpfroute_flow_key *in);
void agent_flow_out_key(const struct bpfroute_flow_key *in, const struct bpfroute_nat *i,
			struct bpfroute_flow_key *out);
void agent_summary(const struct agent *a);

/* agent_events.c: the ring buffer. */
int agent_event(struct agent *a, const void *data, size_t size, __u64 now);
/* ring_buffer__new() callback; ctx is the agent. */
int agent_event_cb(void *ctx, void *data, size_t size);
/* Learn latency percentile (0..100) in ns; 0 without samples. */
__u64 agent_lat_percentile(const struct agent_lat *l, unsigned int pct);
/*
 * Install the addresses of ans under the origin, with eviction; name is the
 * question. Returns how many were installed or renewed.
 */
size_t agent_install_answer(struct agent *a, const struct agent_dns_answer *ans,
			    const struct hosts_origin *o, __u64 now);

/* agent_expiry.c: room and hygiene. */
/*
 * Install one address, evicting the least recently used expired entry of
 * its family if the map is full. Returns enum hosts_result, or -ENOSPC when
 * there is no room and nothing to evict, -EPERM for an address never
 * learned, or -errno.
 */
int agent_install(struct agent *a, const struct hosts_origin *o, int family,
		  const __u8 *addr, __u32 ttl, __u64 now);
/* The family's learned table as mapped now (its table role), or NULL. */
const struct table_map *agent_table(struct agent *a, int family);
/*
 * A copy of slot i of t if it is LIVE (the state word first: a copy whose
 * state says LIVE has its key; its other fields may be mid-update).
 */
bool agent_slot_read(const struct table_map *t, __u32 i, struct bpfroute_host *h);
/*
 * A walk over both families' learned tables, a step at a time (the export's,
 * the import's sweep). A table rebuilt under it is walked again from its
 * start: its slots moved.
 */
struct agent_walk {
	int fam;		/* 0 IPv4, 1 IPv6; 2: done */
	__u32 next;		/* the next slot */
	__u32 table_id[2];	/* the tables being walked */
};
static inline void agent_walk_start(struct agent_walk *w)
{
	w->fam = 0;
	w->next = 0;
	w->table_id[0] = w->table_id[1] = 0;
}
/*
 * Call fn on a copy of each LIVE slot among the next budget slots. Returns
 * true once the walk is done.
 */
bool agent_walk_step(struct agent *a, struct agent_walk *w, __u32 budget,
		     void (*fn)(struct agent *a, int family, const struct bpfroute_host *h,
				void *ctx),
		     void *ctx);
/* Evict one expired entry of the family, oldest first. 0, or -ENOSPC. */
int agent_evict(struct agent *a, int family, __u64 now);
/* Forget the eviction candidates and the sweep position (the table changed). */
void agent_lru_reset(struct agent *a);
/*
 * Sweep up to budget slots of the family's table from where the last call
 * stopped; dead entries are deleted. Returns how many slots were looked at;
 * a pass is complete when the position wraps to 0.
 */
int agent_sweep(struct agent *a, int family, __u64 now, __u32 budget);
/* Keep a little room free for the kernel, which cannot evict. */
void agent_keep_room(struct agent *a, int family, __u64 now);

/* agent_tables.c: the learned tables' size. */
/* (Re)map both families' tables as the datapath has them now. */
int agent_tables_open(struct agent *a);
void agent_tables_close(struct agent *a);
/*
 * Rebuild a family's table when it is more than half full (bigger), holds
 * many deleted slots (the same size, clean), or is mostly empty (smaller).
 * Returns 1 if it was rebuilt, 0 if it needed nothing, or -errno.
 */
int agent_tables_fit(struct agent *a, int family, __u64 now);
/* Slots the family's table should have now, or 0 if it is the right size. */
__u32 agent_tables_want(const struct agent *a, int family);

/* agent_prefetch.c: resolving exact-name rules ahead of clients. */
/* Start (or restart with new servers) when cfg says prefetch; else stop. */
int agent_prefetch_setup(struct agent *a, const struct config *cfg, __u64 now);
void agent_prefetch_free(struct agent *a);
/* Make the prefetch list follow the rules; known names keep their schedule. */
void agent_prefetch_rules(struct agent *a, __u64 now);
/* Send what is due. */
void agent_prefetch_tick(struct agent *a, __u64 now);
/* Number of prefetch jobs (2 per exact rule: A, AAAA), and one by index. */
size_t agent_prefetch_count(const struct agent *a);
/* When job i is next due (ns), for tests and messages. */
__u64 agent_prefetch_due(const struct agent *a, size_t i);
/* The job for rule id and qtype (1 A, 28 AAAA), or -ENOENT. */
int agent_prefetch_find(const struct agent *a, __u32 rule, __u16 qtype);
/*
 * What a query of job i came back with (c-ares status and answer): install
 * the addresses, schedule the next query. Called by the c-ares callback and
 * by tests.
 */
void agent_prefetch_result(struct agent *a, size_t i, int status, const __u8 *abuf,
			   int alen, __u64 now);
/* The c-ares sockets for poll(), and what poll said of them. */
int agent_prefetch_pollfds(struct agent *a, struct pollfd *fds, int max);
void agent_prefetch_process(struct agent *a, const struct pollfd *fds, int n);
/* Milliseconds until c-ares needs to be called for its timeouts; -1: never. */
int agent_prefetch_timeout_ms(struct agent *a);

/*
 * The fleet (config_fleet.c): learned entries shared with other gateways
 * through two kernel routing tables a routing daemon reads and writes.
 * Its rtnetlink sockets are opened before the sandbox, which allows no new
 * one, whether or not the config has fleet lines: a reload may add them.
 */
struct agent_fleet_fds {
	int mc_fd;		/* route notifications (import), non-blocking */
	int dump_fd;		/* dumps of the import table, non-blocking */
	int req_fd;		/* reading the export table back, blocking */
};

/* agent_import.c: open and close the sockets. */
int agent_fleet_open(struct agent_fleet_fds *fds);
void agent_fleet_close(struct agent_fleet_fds *fds);

/* agent_export.c: `export table N`. */
/* Start, stop or move the export as cfg says (start, SIGHUP). 0, or -errno. */
int agent_export_setup(struct agent *a, const struct config *cfg, int req_fd, __u64 now);
void agent_export_free(struct agent *a);
/* Remove every route written, and stop (the instance was unloaded). */
void agent_export_stop(struct agent *a);
/* A bounded step of walking the tables and writing routes: every round of the loop. */
void agent_export_round(struct agent *a, __u64 now);
/* Milliseconds until the export needs a round; 0: at once; -1: never. */
int agent_export_timeout_ms(const struct agent *a, __u64 now);
/* Routes of ours the export table holds, or will once written. */
size_t agent_export_routes(const struct agent *a);
/* A walk or writes under way. */
bool agent_export_busy(const struct agent *a);
/* The descriptor to poll for a batch's result into fd: 1, or 0 if none. */
int agent_export_pollfd(const struct agent *a, struct pollfd *fd);

/* agent_import.c: `import table M dev IFNAME` (ifindex: the device's, now). */
int agent_import_setup(struct agent *a, const struct config *cfg,
		       const struct agent_fleet_fds *fds, __u32 ifindex, __u64 now);
void agent_import_free(struct agent *a);
/* Read notifications and the dump under way, a bounded number: every round. */
void agent_import_round(struct agent *a, __u64 now);
/* The sockets to poll (2 at most) into fds; how many. */
int agent_import_pollfds(const struct agent *a, struct pollfd *fds);
/* Milliseconds until the next dump is due; -1: never (or polled). */
int agent_import_timeout_ms(const struct agent *a, __u64 now);
/* Host routes the import table held at the last reading, and since. */
size_t agent_import_routes(const struct agent *a);

/*
 * agent.c: the record in bpfroute_agent (agentrec.h): the counters of now,
 * the tick (boot_now: agentrec_now()), written to the map. 0, or -errno.
 */
int agent_record(struct agent *a, __u64 boot_now);

/*
 * agent_links.c: BPFROUTE_TARGET_F_DOWN of the targets, kept current from
 * rtnetlink's link notifications.
 */
/* Every target's state asked anew this often, whatever the notifications said. */
#define AGENT_LINKS_SYNC_NS	(10 * HOSTS_NSEC_PER_SEC)

struct agent_links {
	int mc_fd;		/* RTNLGRP_LINK notifications, non-blocking; -1: none */
	int req_fd;		/* RTM_GETLINK questions, one target at a time */
	__u32 seq;		/* of the last question */
	__u64 sync_at;		/* the next full sync, CLOCK_MONOTONIC ns */
};

/* Open both sockets: before the sandbox, which allows no netlink socket. */
int agent_links_open(struct agent_links *l);
void agent_links_close(struct agent_links *l);
/*
 * Say ifindex is down (or up) in its bpfroute_target entry, if it has one;
 * name (or NULL) for the log line. 1 if the entry changed, 0 if not (or it
 * is not a target), or -errno.
 */
int agent_links_set(struct agent *a, __u32 ifindex, bool down, const char *name);
/*
 * Ask for every target's link and set its state: after a reload, after an
 * overflow, every AGENT_LINKS_SYNC_NS. 0, or the first -errno.
 */
int agent_links_sync(struct agent_links *l, struct agent *a, __u64 now);
/* Read the notifications waiting (a bounded number); sync if some were lost or it is time. */
void agent_links_read(struct agent_links *l, struct agent *a, __u64 now);

/*
 * agent_loop.c: one poll() loop over signals, events, c-ares, the metrics
 * endpoint and a tick.
 */
struct ring_buffer;
struct metrics_http;
struct metrics_walk;

struct agent_loop {
	struct agent *a;
	struct ring_buffer *rb;		/* on a->maps->events */
	int sigfd;			/* agent_signals() */
	bool stop;
	bool swapped;			/* channel or ring buffer replaced this round */
	bool backlog;			/* events left in the ring at the budget */
	int (*reload)(void *ctx);	/* on SIGHUP */
	void (*check)(void *ctx, __u64 now);	/* every tick: are the pins there, ours? */
	void *ctx;
	struct agent_links *links;	/* the targets' link state; NULL: not watched */
	struct metrics_http *http;	/* the metrics endpoint; NULL: off */
	struct metrics_walk *walk;	/* its per-target figures, walked in steps */
	__u64 walk_next;		/* when the next walk starts */
	unsigned int walk_steps;	/* of the walk under way, for the debug log */
	__u64 walk_cpu_ns, walk_max_ns;	/* its time in all, and its longest step */
};

/*
 * Block SIGHUP, SIGTERM, SIGINT and the signals the agent ignores (SIGUSR1,
 * SIGUSR2, SIGALRM, SIGPIPE) and read them from a signalfd instead.
 */
int agent_signals(int *sigfd);
/* (Re)open the ring buffer of a->maps. */
int agent_loop_ringbuf(struct agent_loop *l);
/* Run until SIGTERM, SIGINT or check() stops it: 0, or -errno if poll() fails. */
int agent_loop_run(struct agent_loop *l);
void agent_loop_free(struct agent_loop *l);

#endif /* BPFROUTE_AGENT_H */
