// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/libbpf.h>

#include "log.h"

static enum log_level log_level = LOG_INFO;

void log_set_level(enum log_level level)
{
	log_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= log_level;
}

/*
 * Is stderr the journal? systemd sets JOURNAL_STREAM to "DEV:INO" of the
 * stream it connects stdout and stderr to; a stderr redirected elsewhere
 * since (a shell in the unit, a pipe) has another inode (systemd.exec(5)).
 */
static bool to_journal(void)
{
	static int known = -1;
	unsigned long long dev, ino;
	const char *env;
	struct stat st;
	char end;

	if (known >= 0)
		return known;
	env = getenv("JOURNAL_STREAM");
	known = env && sscanf(env, "%llu:%llu%c", &dev, &ino, &end) == 2 && !fstat(2, &st) &&
		(unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
	return known;
}

/* The syslog priority of a level (sd-daemon.h: SD_ERR, SD_WARNING, ...). */
static int level_priority(enum log_level level)
{
	switch (level) {
	case LOG_ERR:
		return 3;
	case LOG_WARN:
		return 4;
	case LOG_INFO:
		return 6;
	default:
		return 7;
	}
}

/*
 * Each line gets the prefix, also the later lines of one message (libbpf's
 * verifier log) and a line that an earlier message began.
 */
static void write_lines(enum log_level level, const char *fmt, va_list ap)
{
	static bool line_start = true;
	char stack[1024], *buf = stack;
	const char *p, *nl;
	va_list aq;
	int n;

	if (!to_journal()) {
		vfprintf(stderr, fmt, ap);
		return;
	}
	va_copy(aq, ap);
	n = vsnprintf(stack, sizeof(stack), fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(stack)) {
		buf = malloc((size_t)n + 1);
		if (!buf) {
			vfprintf(stderr, fmt, ap);
			return;
		}
		vsnprintf(buf, (size_t)n + 1, fmt, ap);
	}
	for (p = buf; *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		if (line_start)
			fprintf(stderr, "<%d>", level_priority(level));
		fwrite(p, 1, nl ? (size_t)(nl - p + 1) : strlen(p), stderr);
		line_start = nl != NULL;
	}
	if (buf != stack)
		free(buf);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	write_lines(level, fmt, ap);
	va_end(ap);
}

/*
 * libbpf explains failures (a pinned map that does not match, a verifier
 * log) at WARN level, but its warnings are noise next to our own one-line
 * error: show them only with -v, as debug messages.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (log_level < LOG_DEBUG)
		return 0;
	write_lines(LOG_DEBUG, fmt, ap);
	return 0;
}

void log_init_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
