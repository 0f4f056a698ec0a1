/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's sandbox: once `bpfroute run` has loaded, attached and opened
 * everything, the process that reads events and DNS answers (its own parser
 * and c-ares) keeps only CAP_BPF, sets no_new_privs and installs a seccomp
 * allow-list. What still needs more (a SIGHUP reload, opening the learned
 * tables by id) is asked of a helper process forked before (privhelper.h).
 */
#ifndef BPFROUTE_SANDBOX_H
#define BPFROUTE_SANDBOX_H

#include <linux/capability.h>

/*
 * The one capability the agent keeps. On kernels before 6.5, with
 * kernel.unprivileged_bpf_disabled set (the default of most distributions),
 * every bpf() command needs it, map lookups on an fd already held included;
 * on every kernel, BPF_MAP_CREATE (a learned table rebuilt) needs it.
 */
#define SANDBOX_CAPS	(1ULL << CAP_BPF)

/*
 * Drop every capability but SANDBOX_CAPS (effective, permitted, bounding;
 * inheritable and ambient cleared; securebits locked so that uid 0 regains
 * nothing), set no_new_privs, install the seccomp filter. All or nothing:
 * on error the caller must not go on. Returns 0 or -errno.
 */
int sandbox_enter(void);

#endif /* BPFROUTE_SANDBOX_H */
