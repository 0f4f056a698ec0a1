// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's record. Liveness needs both a pid and a recent tick: a pid
 * alone could be recycled by another process after the agent died, and a
 * tick alone cannot tell an agent killed a second ago from one that runs.
 * The pid is the agent's in its pid namespace: a reader in another one
 * (a container) may not see it and then says stale.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "agentrec.h"

static const __u64 lat_le_us[BPFROUTE_AGENT_LAT_BUCKETS - 1] = BPFROUTE_AGENT_LAT_LE_US;

__u64 agentrec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

__u64 agentrec_lat_le_ns(unsigned int i)
{
	return i < BPFROUTE_AGENT_LAT_BUCKETS - 1 ? lat_le_us[i] * 1000 : ~0ULL;
}

void agentrec_lat_add(struct bpfroute_agent *rec, __u64 ns)
{
	unsigned int i = 0;

	while (i < BPFROUTE_AGENT_LAT_BUCKETS - 1 && ns > agentrec_lat_le_ns(i))
		i++;
	rec->lat_bucket[i]++;
	rec->lat_sum_ns += ns;
}

int agentrec_write(int fd, const struct bpfroute_agent *rec)
{
	__u32 zero = 0;

	if (fd < 0)
		return -ENOENT;
	return bpf_map_update_elem(fd, &zero, rec, BPF_ANY) ? -errno : 0;
}

/* Does the pid exist? EPERM: it does, but is not ours to signal. */
static bool pid_exists(__u32 pid)
{
	return pid && (!kill((pid_t)pid, 0) || errno == EPERM);
}

int agentrec_read(int fd, __u64 now, struct bpfroute_agent *rec, enum agentrec_state *state)
{
	__u32 zero = 0;

	memset(rec, 0, sizeof(*rec));
	*state = AGENTREC_NONE;
	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &zero, rec))
		return -errno;
	if (!rec->pid)
		*state = AGENTREC_NONE;
	else if (rec->stop_ns)
		*state = AGENTREC_STOPPED;
	else if (pid_exists(rec->pid) && now >= rec->tick_ns &&
		 now - rec->tick_ns <= BPFROUTE_AGENT_ALIVE_NS)
		*state = AGENTREC_RUNNING;
	else
		*state = AGENTREC_STALE;
	return 0;
}
