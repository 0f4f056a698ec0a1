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

/*
 * The first step of a load, which touches nothing: parse the config at path
 * into cfg and check it against the system (devices, addresses to
 * masquerade with, Ethernet targets for xdp) and against the maps'
 * capacities. On error says why in one line, "FILE:LINE: reason", and
 * leaves cfg empty; else the caller frees cfg with config_free().
 */
struct config;
int load_prepare(const char *path, struct config *cfg);

#endif /* BPFROUTE_LOAD_H */
