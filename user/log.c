// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>

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

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/*
 * libbpf explains failures (a pinned map that does not match, a verifier
 * log) at WARN level, but its warnings are noise next to our own one-line
 * error: show them only with -v.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (log_level < LOG_DEBUG)
		return 0;
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

void log_init_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
