/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The commands of the CLI, and what every one of them is given. */
#ifndef BPFROUTE_CMD_H
#define BPFROUTE_CMD_H

#include <stdbool.h>

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

/*
 * Parse a command's own options: only -j/--json and the -c FILE of load.
 * Returns the index of the first operand, or -EINVAL after printing why.
 */
int cmd_parse_opts(const char *cmd, int argc, char **argv, bool *json, const char **config);

/* One line on stderr: "CMD: what is wrong; usage: bpfroute CMD ARGS". */
void cmd_bad_usage(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* BPFROUTE_CMD_H */
