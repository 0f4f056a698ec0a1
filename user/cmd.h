/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The commands of the CLI, and what every one of them is given. */
#ifndef BPFROUTE_CMD_H
#define BPFROUTE_CMD_H

#include <stdbool.h>
#include <linux/types.h>

struct bpfroute_maps;
struct layout_state;
struct pindir;

struct cli {
	const char *pin_dir;
	bool json;
};

struct cmd {
	const char *name;
	int (*run)(const struct cli *cli, int argc, char **argv);
	const char *usage;	/* arguments after the command name */
	const char *help;	/* what it does, a few lines */
};

int cmd_load(const struct cli *cli, int argc, char **argv);
int cmd_unload(const struct cli *cli, int argc, char **argv);
int cmd_status(const struct cli *cli, int argc, char **argv);
int cmd_routes(const struct cli *cli, int argc, char **argv);
int cmd_route(const struct cli *cli, int argc, char **argv);
int cmd_run(const struct cli *cli, int argc, char **argv);
int cmd_flows(const struct cli *cli, int argc, char **argv);
int cmd_check(const struct cli *cli, int argc, char **argv);
int cmd_why(const struct cli *cli, int argc, char **argv);
int cmd_rules(const struct cli *cli, int argc, char **argv);
int cmd_metrics(const struct cli *cli, int argc, char **argv);

/*
 * For the read-only commands: open a loaded instance under the shared lock
 * (which waits for a load or unload in progress), saying why not if it is
 * not. pd and m are closed by the caller.
 */
int cmd_open_instance(const struct cli *cli, struct pindir *pd, struct bpfroute_maps *m);

/*
 * The same, locked exclusively if `exclusive` (commands that write), with
 * what layout_check() found in *layout if it is not NULL. Pinned state of
 * another layout is refused in one line (-EPROTO).
 */
int cmd_open(const struct cli *cli, bool exclusive, struct pindir *pd, struct bpfroute_maps *m,
	     struct layout_state *layout);

/* The name of a device, or "#IFINDEX" if it is gone; buf holds IF_NAMESIZE. */
const char *cmd_dev_name(__u32 ifindex, char *buf);

/*
 * Parse a command's own options: only -j/--json and the -c FILE of load.
 * Returns the index of the first operand, or -EINVAL after printing why.
 */
int cmd_parse_opts(const char *cmd, int argc, char **argv, bool *json, const char **config);

/* The same for a command that takes no operands: 0, or -errno after printing why. */
int cmd_parse_opts_only(const char *cmd, int argc, char **argv, bool *json, const char **config);

/* One line on stderr: "CMD: what is wrong; usage: bpfroute CMD ARGS". */
void cmd_bad_usage(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* BPFROUTE_CMD_H */
