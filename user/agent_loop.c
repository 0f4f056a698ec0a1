// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's one loop: poll() over a signalfd, the ring buffer's epoll fd,
 * the c-ares sockets, the metrics endpoint's, the link notifications'
 * (agent_links.c) and the import table's (agent_import.c), with a timeout
 * for the 1 s tick, c-ares' own timers, the endpoint's deadlines and the
 * export table's walks (agent_export.c). One thread, no
 * signal handlers: SIGHUP, SIGTERM and SIGINT are blocked and read as data,
 * so a signal never interrupts a map update half-way.
 *
 * Every tick the agent writes its record (bpfroute_agent): `status` and
 * `metrics` tell from it whether an agent runs.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include <ares.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "agentrec.h"
#include "log.h"
#include "metrics_http.h"
#include "metrics_walk.h"

#define LOOP_TICK_NS	HOSTS_NSEC_PER_SEC
#define LOOP_CHECK_TICKS 1	/* how often the pins are checked: an unload ends the agent */
/*
 * How often the per-target and per-rule figures of the metrics are walked
 * afresh (a scrape gets the last complete walk): often enough for scrapes
 * every 15 s or more, rarely enough that a million entries cost the agent
 * a few percent of a CPU at most.
 */
#define LOOP_WALK_EVERY_NS (5 * HOSTS_NSEC_PER_SEC)

int agent_signals(int *sigfd)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/*
	 * Signals whose default action ends a process but that mean nothing
	 * to the agent: a stray `kill -USR1` (a log-rotation habit) or a closed
	 * pipe must not end it silently. They are read, logged and ignored.
	 */
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGALRM);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	*sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return *sigfd < 0 ? -errno : 0;
}

int agent_loop_ringbuf(struct agent_loop *l)
{
	int err;

	ring_buffer__free(l->rb);
	l->rb = ring_buffer__new(l->a->maps->events, agent_event_cb, l->a, NULL);
	l->swapped = true;
	if (l->rb)
		return 0;
	err = -errno;
	pr_err("opening the event ring buffer: %s\n", strerror(-err));
	return err;
}

void agent_loop_free(struct agent_loop *l)
{
	ring_buffer__free(l->rb);
	l->rb = NULL;
	if (l->sigfd >= 0)
		close(l->sigfd);
	l->sigfd = -1;
}

static void loop_signals(struct agent_loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (l->reload)
				l->reload(l->ctx);
			l->swapped = true;	/* c-ares channel, maybe ring buffer */
			continue;
		}
		if (si.ssi_signo != SIGTERM && si.ssi_signo != SIGINT) {
			pr_warn("%s from pid %u: ignored (SIGHUP reloads, SIGTERM stops)\n",
				strsignal((int)si.ssi_signo), si.ssi_pid);
			continue;
		}
		pr_info("%s: stopping; the datapath and the learned routes stay\n",
			strsignal((int)si.ssi_signo));
		l->stop = true;
	}
}

static int loop_timeout_ms(struct agent_loop *l, __u64 now, __u64 next_tick)
{
	int ms = next_tick > now ? (int)((next_tick - now + 999999) / 1000000) : 0;
	int ares_ms = agent_prefetch_timeout_ms(l->a);
	int http_ms = l->http ? metrics_http_timeout_ms(l->http, now) : -1;
	int fleet_ms[2] = { agent_export_timeout_ms(l->a, now),
			    agent_import_timeout_ms(l->a, now) };

	/*
	 * Events left at the budget are read in the next round, without a
	 * wait; so is the next step of a metrics walk under way.
	 */
	if (l->backlog || (l->walk && metrics_walk_busy(l->walk)))
		return 0;
	if (http_ms >= 0 && http_ms < ms)
		ms = http_ms;
	for (int i = 0; i < 2; i++)
		if (fleet_ms[i] >= 0 && fleet_ms[i] < ms)
			ms = fleet_ms[i];
	return ares_ms >= 0 && ares_ms < ms ? ares_ms : ms;
}

/*
 * One bounded step of the metrics walk per round (METRICS_WALK_BUDGET,
 * about a millisecond): learning never waits for a whole walk.
 */
static void loop_walk(struct agent_loop *l, __u64 now)
{
	__u64 t0, spent;
	int ret;

	if (!l->walk || (!metrics_walk_busy(l->walk) && now < l->walk_next))
		return;
	if (!metrics_walk_busy(l->walk)) {
		l->walk_next = now + LOOP_WALK_EVERY_NS;
		l->walk_steps = 0;
		l->walk_cpu_ns = l->walk_max_ns = 0;
	}
	t0 = hosts_now_ns();
	ret = metrics_walk_step(l->walk, l->a->maps, agent_ht(l->a, 4), agent_ht(l->a, 6),
				METRICS_WALK_BUDGET);
	spent = hosts_now_ns() - t0;
	l->walk_steps++;
	l->walk_cpu_ns += spent;
	if (spent > l->walk_max_ns)
		l->walk_max_ns = spent;
	if (ret < 0)
		pr_debug("metrics: walking the maps: %s\n", strerror(-ret));
	else if (ret)
		pr_debug("metrics: walk done in %u steps, %llu us in all, the longest %llu us\n",
			 l->walk_steps, (unsigned long long)l->walk_cpu_ns / 1000,
			 (unsigned long long)l->walk_max_ns / 1000);
}

/* The agent's record, written at each tick; a failure is said once. */
static void loop_record(struct agent_loop *l)
{
	static bool warned;
	int err = agent_record(l->a, agentrec_now());

	if (err && !warned)
		pr_warn("writing the agent's record: %s (status will say it is not running)\n",
			strerror(-err));
	warned = err != 0;
}

static void loop_events(struct agent_loop *l)
{
	int err;

	l->a->budget = AGENT_EVENT_BUDGET;
	err = ring_buffer__consume(l->rb);
	l->backlog = err == -EAGAIN;
	if (err < 0 && err != -EAGAIN)
		pr_debug("reading events: %s\n", strerror(-err));
}

/* CPU time of this thread, ns: a step's own work, not the time others ran meanwhile. */
static __u64 thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/*
 * The fleet's tables: bounded steps, so that events are never kept waiting
 * long; the longest round's CPU time is kept for the agent's report.
 */
static void loop_fleet(struct agent_loop *l)
{
	__u64 c0, spent;

	if (!l->a->exp && !l->a->imp)
		return;
	c0 = thread_cpu_ns();
	agent_import_round(l->a, hosts_now_ns());
	agent_export_round(l->a, hosts_now_ns());
	spent = thread_cpu_ns() - c0;
	if (spent > l->a->st.fleet_step_max_ns)
		l->a->st.fleet_step_max_ns = spent;
}

/* One round: wait, then serve whatever is ready. */
static int loop_once(struct agent_loop *l, __u64 *next_tick, unsigned int *ticks)
{
	struct pollfd fds[6 + ARES_GETSOCK_MAXNUM + METRICS_HTTP_CONNS + 1];
	int n = 0, nares, nhttp = 0, ret, links = -1;
	__u64 now = hosts_now_ns();

	fds[n++] = (struct pollfd){ .fd = l->sigfd, .events = POLLIN };
	if (l->rb)
		fds[n++] = (struct pollfd){ .fd = ring_buffer__epoll_fd(l->rb), .events = POLLIN };
	if (l->links && l->links->mc_fd >= 0) {
		links = n;
		fds[n++] = (struct pollfd){ .fd = l->links->mc_fd, .events = POLLIN };
	}
	/* The fleet's: read every round whatever poll says (loop_fleet()), only to wake us. */
	n += agent_import_pollfds(l->a, fds + n);
	n += agent_export_pollfd(l->a, fds + n);
	nares = agent_prefetch_pollfds(l->a, fds + n, ARES_GETSOCK_MAXNUM);
	if (l->http)
		nhttp = metrics_http_pollfds(l->http, fds + n + nares, METRICS_HTTP_CONNS + 1,
					      now);
	ret = poll(fds, (nfds_t)(n + nares + nhttp), loop_timeout_ms(l, now, *next_tick));
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;

	l->swapped = false;
	if (fds[0].revents)
		loop_signals(l);
	/*
	 * Read the ring whether or not it woke us: the kernel wakes the agent
	 * only for events it must act on (BPF_RB_FORCE_WAKEUP for AGENT and
	 * FULL) and when the ring is a quarter full; bookkeeping events come
	 * with BPF_RB_NO_WAKEUP and wait for the next round, a tick at the
	 * latest. Reading an empty ring costs two loads from shared memory.
	 */
	if (l->rb)
		loop_events(l);
	if (links >= 0 && fds[links].revents)
		agent_links_read(l->links, l->a, hosts_now_ns());
	loop_fleet(l);
	/* A reload may have replaced the c-ares sockets that were polled. */
	agent_prefetch_process(l->a, fds + n, l->swapped ? 0 : nares);

	now = hosts_now_ns();
	/* After a reload the maps may be others: a scrape reads them as they are now. */
	if (l->http)
		metrics_http_process(l->http, fds + n + nares, nhttp, now);
	loop_walk(l, now);
	if (now < *next_tick)
		return 0;
	*next_tick = now + LOOP_TICK_NS;
	agent_tick(l->a, now);
	if (l->links && now >= l->links->sync_at)
		agent_links_sync(l->links, l->a, now);
	loop_record(l);
	if (l->check && ++*ticks % LOOP_CHECK_TICKS == 0)
		l->check(l->ctx, now);
	return 0;
}

int agent_loop_run(struct agent_loop *l)
{
	__u64 next_tick = hosts_now_ns();
	unsigned int ticks = 0;
	int err = 0;

	l->a->rec.pid = (__u32)getpid();
	l->a->rec.start_ns = agentrec_now();
	l->a->rec.stop_ns = 0;
	/* Running from the start, not from the first tick: status says so at once. */
	loop_record(l);
	while (!l->stop && !err)
		err = loop_once(l, &next_tick, &ticks);
	if (err)
		pr_err("agent: poll: %s\n", strerror(-err));
	/* Said stopped, so that status tells a clean stop from a crash. */
	l->a->rec.stop_ns = agentrec_now();
	loop_record(l);
	return err;
}
