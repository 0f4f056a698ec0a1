/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's privileged helper. `bpfroute run` forks it before the agent
 * enters its sandbox (sandbox.h); it keeps the privileges the agent drops
 * and does, on the agent's request, the few things that need them: a
 * reload (SIGHUP), and opening the instance's learned tables and its BTF by
 * id. It reads no event and parses no DNS: it only ever loads the config
 * file it was started with, and hands out only maps that are the
 * instance's learned tables now and the BTF of its programs. It ends when
 * the agent does (end of file on its socket).
 */
#ifndef BPFROUTE_PRIVHELPER_H
#define BPFROUTE_PRIVHELPER_H

/*
 * Fork the helper for the instance at pin_dir and the config at path, and
 * route hosttable_fd_by_id() through it. Returns 0 or -errno.
 */
int privhelper_start(const char *pin_dir, const char *path);
/* load_instance() by the helper (directly without one). 0 or -errno. */
int privhelper_reload(const char *pin_dir, const char *path);
/* Close the socket (the helper exits) and reap the helper. */
void privhelper_stop(void);

#endif /* BPFROUTE_PRIVHELPER_H */
