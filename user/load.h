/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Loading an instance from a config file: `bpfroute load`, and the agent's reload. */
#ifndef BPFROUTE_LOAD_H
#define BPFROUTE_LOAD_H

/*
 * Check the config at path, then load or atomically reload the datapath of
 * the instance at pin_dir: attach to the config's interfaces, make the
 * config's routes, rules and settings the kernel's. A refused config changes
 * nothing. Errors are reported as one line each; returns negative errno.
 */
int load_instance(const char *pin_dir, const char *path);

#endif /* BPFROUTE_LOAD_H */
