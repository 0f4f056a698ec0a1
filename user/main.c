// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bpfroute: steer traffic for chosen destinations into a tunnel device in
 * the kernel, without touching the routing table. One table of commands,
 * prefix matching as bpftool does, `help CMD` for each.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "maps.h"		/* BPFROUTE_STR, and the ABI for bpfroute_policy.h */
#include "bpfroute_policy.h"
#include "log.h"
#include "pindir.h"
#include "version.h"

static int cmd_help(const struct cli *cli, int argc, char **argv);

static const struct cmd commands[] = {
	{ "load", cmd_load, "[-c FILE]",
	  "Load the datapath, attach it to the config's interfaces and pin its maps.\n"
	  "Run again to reload atomically: the program is replaced in place, learned and\n"
	  "added entries stay, config routes follow the file. FILE defaults to "
	  CONFIG_DEFAULT_PATH "." },
	{ "check", cmd_check, "[-j] [-c FILE]",
	  "Check FILE as `load` would (syntax, devices, addresses to masquerade with,\n"
	  "capacities, the layout of any pinned state, and that the kernel's verifier takes\n"
	  "the BPF programs) and change nothing. Prints one line, FILE: ok: ..., and exits\n"
	  "0 (-j: the counts as JSON); or the one-line error `load` would give, and exits 1.\n"
	  "FILE defaults to " CONFIG_DEFAULT_PATH "." },
	{ "unload", cmd_unload, "",
	  "Detach from every interface and remove the pinned maps and the pin directory." },
	{ "status", cmd_status, "[-j]",
	  "Show whether an agent runs for the pin directory (pid, uptime, last tick),\n"
	  "where the datapath is attached, how full its maps are, and its counters." },
	{ "routes", cmd_routes, "[-j]",
	  "List the route entries: prefix, target device, whether the device is\n"
	  "masqueraded, origin, expiry and traffic." },
	{ "why", cmd_why, "ADDRESS|NAME [from SOURCE] [-j]",
	  "Tell what the datapath does with a packet from the LAN to ADDRESS, in the\n"
	  "classifier's order: a live learned entry (the question and rule that brought it\n"
	  "in, its expiry, last use and traffic), else never steered (a special address, or\n"
	  "excluded: an address of the gateway, a tunnel endpoint), else the longest prefix;\n"
	  "then the target device (up, down or missing; masquerade or routed). Or why\n"
	  "nothing steers it: no entry, or only an expired and idle one. An entry of a\n"
	  "client group names the group; with 'from SOURCE', whether that source is in it.\n"
	  "Given a NAME: the\n"
	  "domain rule it falls under (an exact rule before the most specific wildcard;\n"
	  "*.example.com does not cover example.com) and the addresses learned for it now.\n"
	  "Reads the pinned state only; exits 0 whether or not it is steered." },
	{ "rules", cmd_rules, "[-j]",
	  "List the domain rules of the loaded config, by id (config order): the rule as\n"
	  "written, its target device, whether the device is masqueraded, and the learned\n"
	  "entries it brought in, IPv4 and IPv6 (expired ones until the agent removes them)." },
	{ "flows", cmd_flows, "[-j]",
	  "List the masqueraded flows: protocol, client address and port, remote address\n"
	  "and port, the target address and port the client is translated to, the target\n"
	  "device, the state (new, established, closing), seconds idle and until the flow\n"
	  "times out, and packets and bytes each way. For ICMP echo the port is the echo\n"
	  "identifier. A flow times out when neither side has been seen for its state's\n"
	  "timeout: TCP established " BPFROUTE_STR(BPFROUTE_FLOW_TCP_EST_S) " s, opening "
	  BPFROUTE_STR(BPFROUTE_FLOW_TCP_OPEN_S) " s, closing "
	  BPFROUTE_STR(BPFROUTE_FLOW_TCP_CLOSE_S) " s; UDP " BPFROUTE_STR(BPFROUTE_FLOW_UDP_S)
	  " s;\nICMP " BPFROUTE_STR(BPFROUTE_FLOW_ICMP_S) " s. The agent (`bpfroute run`) removes "
	  "timed-out flows." },
	{ "metrics", cmd_metrics, "",
	  "Print the instance's metrics in the Prometheus text format (0.0.4): the\n"
	  "datapath's counters, map fill, traffic and entries per target device and per\n"
	  "domain rule, flows, and the agent's state, counters and learn latency. Read\n"
	  "from the pinned maps; no agent needed. The agent serves the same text over\n"
	  "HTTP when the config has a `metrics ADDRESS:PORT` line." },
	{ "route", cmd_route, "add PREFIX dev IFNAME | del PREFIX",
	  "Add (or retarget) or delete one route entry by hand. Entries added here\n"
	  "survive reloads; a config route of the same prefix takes it back on load." },
	{ "run", cmd_run, "[-c FILE]",
	  "Load as `load` does, then stay in the foreground as the agent: finish answers\n"
	  "too big for the kernel, evict expired entries when a map is full, sweep dead\n"
	  "ones, prefetch exact-name rules (`prefetch yes`), serve the metrics (a\n"
	  "`metrics` line). Logs to stderr. SIGHUP reloads FILE (a bad one is refused and\n"
	  "the old config kept; a changed `metrics` line waits for the next start);\n"
	  "SIGTERM and SIGINT exit, leaving the datapath and every learned route in place.\n"
	  "Once loaded, the agent keeps only CAP_BPF under a seccomp filter; a helper\n"
	  "process does the reloads (README, Privileges)." },
	{ "help", cmd_help, "[COMMAND]", "Show help for all commands or one." },
};

#define N_COMMANDS (int)(sizeof(commands) / sizeof(commands[0]))

/* Exact name first, then a unique prefix ("st" for status). */
static const struct cmd *find_command(const char *name)
{
	const struct cmd *found = NULL;
	size_t len = strlen(name);

	for (int i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	for (int i = 0; i < N_COMMANDS; i++) {
		if (strncmp(commands[i].name, name, len))
			continue;
		if (found)
			return NULL;
		found = &commands[i];
	}
	return found;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bpfroute [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Options:\n"
		"  -d, --pin-dir DIR   instance's pin directory (default " PINDIR_DEFAULT ")\n"
		"  -j, --json          JSON output\n"
		"  -v, --verbose       show details, including libbpf's messages\n"
		"  -q, --quiet         show only errors, warnings and command output\n"
		"  -h, --help          this help\n"
		"  -V, --version       the version, and the layout of pinned state it uses\n"
		"\nCommands:\n");
	for (int i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].usage);
	fprintf(out, "\n'bpfroute help COMMAND' tells more.\n");
}

void cmd_bad_usage(const char *name, const char *fmt, ...)
{
	const struct cmd *c = find_command(name);
	va_list ap;

	fprintf(stderr, "%s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; usage: bpfroute %s %s\n", name, c ? c->usage : "");
}

static int cmd_help(const struct cli *cli, int argc, char **argv)
{
	const struct cmd *c;

	(void)cli;
	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	c = find_command(argv[1]);
	if (!c) {
		pr_err("unknown command '%s'\n", argv[1]);
		return -EINVAL;
	}
	printf("Usage: bpfroute [OPTIONS] %s %s\n\n%s\n", c->name, c->usage, c->help);
	return 0;
}

int cmd_parse_opts(const char *cmd, int argc, char **argv, bool *json, const char **config)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, config ? "+jc:h" : "+jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			*json = true;
			break;
		case 'c':
			*config = optarg;
			break;
		case 'h': {
			char *help_argv[] = { "help", (char *)cmd, NULL };

			cmd_help(NULL, 2, help_argv);
			return -ECANCELED;
		}
		default:
			if (optopt == 'c')
				cmd_bad_usage(cmd, "-c needs a FILE");
			else
				cmd_bad_usage(cmd, "unknown option '%s'", argv[optind - 1]);
			return -EINVAL;
		}
	}
	return optind;
}

int cmd_parse_opts_only(const char *cmd, int argc, char **argv, bool *json, const char **config)
{
	int idx = cmd_parse_opts(cmd, argc, argv, json, config);

	if (idx < 0)
		return idx;
	if (idx < argc) {
		cmd_bad_usage(cmd, "unexpected argument '%s'", argv[idx]);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	struct cli cli = { .pin_dir = PINDIR_DEFAULT };
	const struct cmd *cmd;
	int opt, err;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+d:jvqhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (!*optarg) {
				pr_err("--pin-dir is empty: give a directory on a bpf "
				       "filesystem\n");
				return 2;
			}
			cli.pin_dir = optarg;
			break;
		case 'j':
			cli.json = true;
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'q':
			log_set_level(LOG_WARN);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("bpfroute " BPFROUTE_VERSION "\npinned layout %d\n",
			       BPFROUTE_LAYOUT_VERSION);
			return 0;
		default:
			if (optopt == 'd')
				pr_err("--pin-dir needs a DIR\n");
			else
				pr_err("unknown option '%s' (see bpfroute --help)\n",
				       argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		pr_err("no command given (see bpfroute --help)\n");
		return 2;
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		pr_err("unknown or ambiguous command '%s' (see bpfroute --help)\n", argv[optind]);
		return 2;
	}
	log_init_libbpf();
	err = cmd->run(&cli, argc - optind, argv + optind);
	if (err == -ECANCELED)	/* --help of a command */
		return 0;
	return err ? 1 : 0;
}
