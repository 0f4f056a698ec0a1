// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's one loop: poll() over a signalfd, the ring buffer's epoll fd,
 * the c-ares sockets, with a timeout for the 1 s tick and c-ares' own
 * timers. One thread, no signal handlers: SIGHUP, SIGTERM and SIGINT are
 * blocked and read as data, so a signal never interrupts a map update
 * half-way.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include <ares.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "log.h"

#define LOOP_TICK_NS	HOSTS_NSEC_PER_SEC
#define LOOP_CHECK_TICKS 1	/* how often the pins are checked: an unload ends the agent */

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

	/* Events left at the budget are read in the next round, without a wait. */
	if (l->backlog)
		return 0;
	return ares_ms >= 0 && ares_ms < ms ? ares_ms : ms;
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

/* One round: wait, then serve whatever is ready. */
static int loop_once(struct agent_loop *l, __u64 *next_tick, unsigned int *ticks)
{
	struct pollfd fds[2 + ARES_GETSOCK_MAXNUM];
	int n = 0, nares, ret;
	__u64 now = hosts_now_ns();

	fds[n++] = (struct pollfd){ .fd = l->sigfd, .events = POLLIN };
	if (l->rb)
		fds[n++] = (struct pollfd){ .fd = ring_buffer__epoll_fd(l->rb), .events = POLLIN };
	nares = agent_prefetch_pollfds(l->a, fds + n, ARES_GETSOCK_MAXNUM);
	ret = poll(fds, (nfds_t)(n + nares), loop_timeout_ms(l, now, *next_tick));
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
	/* A reload may have replaced the c-ares sockets that were polled. */
	agent_prefetch_process(l->a, fds + n, l->swapped ? 0 : nares);

	now = hosts_now_ns();
	if (now < *next_tick)
		return 0;
	*next_tick = now + LOOP_TICK_NS;
	agent_tick(l->a, now);
	if (l->check && ++*ticks % LOOP_CHECK_TICKS == 0)
		l->check(l->ctx, now);
	return 0;
}

int agent_loop_run(struct agent_loop *l)
{
	__u64 next_tick = hosts_now_ns();
	unsigned int ticks = 0;
	int err = 0;

	while (!l->stop && !err)
		err = loop_once(l, &next_tick, &ticks);
	if (err)
		pr_err("agent: poll: %s\n", strerror(-err));
	return err;
}
