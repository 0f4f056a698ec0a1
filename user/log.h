/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One logger for bpfroute and for libbpf's messages. Everything goes to
 * stderr; stdout carries only command output (tables, JSON). When stderr is
 * the systemd journal, each line starts with its syslog priority, "<3>" and
 * so on (sd-daemon(3)), so that journald records the level.
 */
#ifndef BPFROUTE_LOG_H
#define BPFROUTE_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_ERR,	/* why a command failed: always shown */
	LOG_WARN,	/* something to fix that did not stop it: always shown */
	LOG_INFO,	/* what a command did: shown unless -q */
	LOG_DEBUG,	/* details and libbpf's messages: -v */
};

void log_set_level(enum log_level level);
void log_init_libbpf(void);
/* Whether messages of this level are shown: skip work done only to log. */
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(fmt, ...) log_msg(LOG_ERR, fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) log_msg(LOG_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) log_msg(LOG_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) log_msg(LOG_DEBUG, fmt, ##__VA_ARGS__)

#endif /* BPFROUTE_LOG_H */
