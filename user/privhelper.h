/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's privileged helper. `bpfroute run` forks it before the agent
 * enters its sandbox (sandbox.h); it keeps the privileges the agent drops
 * and does, on the agent's request, the few things that need them: a
 * reload (SIGHUP), opening the instance's learned tables and its BTF by
 * id, and writing the export table's routes. It reads no event and parses
 * no DNS: it only ever loads the config file it was started with, hands
 * out only maps that are the instance's learned tables now and the BTF of
 * its programs, and writes only blackhole routes to a table no rule looks
 * up. It ends when
 * the agent does (end of file on its socket).
 */
#ifndef BPFROUTE_PRIVHELPER_H
#define BPFROUTE_PRIVHELPER_H

/* Fork the helper for the instance at pin_dir and the config at path. 0 or -errno. */
int privhelper_start(const char *pin_dir, const char *path);
/*
 * From now on open maps and BTF by id, and write the export table's routes,
 * through the helper (hosttable.h, rtable.h).
 * Not before: the agent's own first load may open tables not yet pinned.
 */
void privhelper_delegate(void);
/* load_instance() by the helper (directly without one). 0 or -errno. */
int privhelper_reload(const char *pin_dir, const char *path);
/* Close the socket (the helper exits) and reap the helper. */
void privhelper_stop(void);

#endif /* BPFROUTE_PRIVHELPER_H */
