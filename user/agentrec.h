/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's record in bpfroute_agent (struct bpfroute_agent in
 * bpfroute_abi.h): the agent writes it once a second, `status` and
 * `metrics` read it to tell whether an agent runs for the pin directory.
 */
#ifndef BPFROUTE_AGENTREC_H
#define BPFROUTE_AGENTREC_H

#include <stdbool.h>
#include <linux/types.h>

#include "bpfroute_abi.h"

/* What a reader makes of the record. */
enum agentrec_state {
	AGENTREC_NONE,		/* no record: no agent ever ran (or an older instance) */
	AGENTREC_RUNNING,	/* pid alive, a tick within BPFROUTE_AGENT_ALIVE_NS */
	AGENTREC_STOPPED,	/* it said it stopped (signal, unload) */
	AGENTREC_STALE,		/* no tick for too long, or its pid is gone */
};

/* CLOCK_BOOTTIME in ns, the record's clock. */
__u64 agentrec_now(void);

/* Count one learn latency (ns) into the record's histogram. */
void agentrec_lat_add(struct bpfroute_agent *rec, __u64 ns);

/* The upper bound of latency bucket i in ns; ~0 for the last one (+Inf). */
__u64 agentrec_lat_le_ns(unsigned int i);

/* Write the record into bpfroute_agent (fd). 0, or -errno. */
int agentrec_write(int fd, const struct bpfroute_agent *rec);

/*
 * Read the record (fd -1: an instance without the map) and say what it
 * means at now (agentrec_now()). 0, or -errno; no record is AGENTREC_NONE.
 */
int agentrec_read(int fd, __u64 now, struct bpfroute_agent *rec, enum agentrec_state *state);

#endif /* BPFROUTE_AGENTREC_H */
