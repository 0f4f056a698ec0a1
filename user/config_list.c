/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The list files of `route-list` lines: one entry a line, in one of three
 * formats (config.h, enum config_list_format). This file reads a list and
 * turns its lines into entries; config.c gives each entry its device and
 * decides about duplicates and capacities, as for a route line.
 *
 * Published lists run to hundreds of thousands of lines: the file is read
 * in pieces of LIST_CHUNK bytes, never whole, and each line is parsed in
 * place.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

/* A read's worth; more than a line, so that a whole line always fits. */
#define LIST_CHUNK	(64 << 10)
_Static_assert(LIST_CHUNK > CONFIG_LINE_MAX + 1, "a line fits in a chunk");

/*
 * Words in a line at most: each takes a character and a space. Every word
 * is kept, so that none after the entry goes unchecked.
 */
#define LIST_MAX_WORDS	((CONFIG_LINE_MAX + 1) / 2)

struct list_reader {
	const char *path;
	enum config_list_format format;
	config_list_entry_fn fn;
	void *ctx;
	char *err;
	size_t errlen;
	int line;
};

/* Writes "PATH:LINE: reason" and returns ret. */
static int __attribute__((format(printf, 3, 4)))
list_fail(const struct list_reader *lr, int ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!lr->err || !lr->errlen)
		return ret;
	n = snprintf(lr->err, lr->errlen, "%s:%d: ", lr->path, lr->line);
	if (n < 0 || (size_t)n >= lr->errlen)
		return ret;
	va_start(ap, fmt);
	vsnprintf(lr->err + n, lr->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return ret;
}

/*
 * A name as word says it, to fn: the name itself and, if subtree, every
 * name below it too (a second rule, *.NAME). A "*.NAME" word is taken as
 * the wildcard alone, as a route line takes it, unless no_star.
 */
static int emit_name(struct list_reader *lr, const char *word, bool subtree, bool no_star)
{
	struct config_route r;
	char name[CONFIG_DOMAIN_MAX], why[64];
	int ret;

	memset(&r, 0, sizeof(r));
	r.kind = CONFIG_ROUTE_DOMAIN;
	r.line = lr->line;
	/* The config stores the name if it keeps the entry (config.c, route_append()). */
	r.domain = name;
	ret = config_domain_parse(word, name, &r.wildcard, why, sizeof(why));
	if (ret)
		return list_fail(lr, ret, "bad domain '%s': %s", word, why);
	if (r.wildcard && no_star)
		return list_fail(lr, -EINVAL, "'%s': v2fly has no '*.' wildcard: domain:NAME "
				 "covers NAME and the names below it", word);
	if (r.wildcard || !subtree)
		return lr->fn(lr->ctx, &r);
	ret = lr->fn(lr->ctx, &r);
	if (ret)
		return ret;
	r.wildcard = true;
	return lr->fn(lr->ctx, &r);
}

/* format bpfroute: a route line's first word, NAME, *.NAME or PREFIX. */
static int entry_bpfroute(struct list_reader *lr, char **word, int nword)
{
	struct config_route r;
	const char *why;
	int ret;

	if (nword > 1)
		return list_fail(lr, -EINVAL, "one entry a line, found '%s' after '%s'", word[1],
				 word[0]);
	if (!config_word_is_prefix(word[0]))
		return emit_name(lr, word[0], false, false);
	memset(&r, 0, sizeof(r));
	r.kind = CONFIG_ROUTE_PREFIX;
	r.line = lr->line;
	ret = prefix_parse(word[0], &r.prefix, &why);
	if (ret)
		return list_fail(lr, ret, "%s in %s", why, word[0]);
	return lr->fn(lr->ctx, &r);
}

/*
 * format domains: a plain list of names, each meaning the name and the
 * names below it, as such lists are published. Addresses are refused, not
 * guessed at: "0.0.0.0 example.com" is a hosts file, not a domain list.
 */
static int entry_domains(struct list_reader *lr, char **word, int nword)
{
	if (nword > 1)
		return list_fail(lr, -EINVAL, "one name a line, found '%s' after '%s'", word[1],
				 word[0]);
	if (config_word_is_prefix(word[0]))
		return list_fail(lr, -EINVAL, "'%s' is an address or prefix: a domains list holds "
				 "names (format bpfroute takes prefixes)", word[0]);
	return emit_name(lr, word[0], true, false);
}

/*
 * format v2fly: the text files of v2fly/domain-list-community. "TYPE:VALUE"
 * or a bare VALUE (a domain: entry), then attributes ("@ads") and
 * affiliations ("&other-list"), which only sort entries into lists and are
 * ignored. bpfroute matches whole names and the names below them: a
 * keyword (a substring) or a regexp has no rule to become.
 */
static int entry_v2fly(struct list_reader *lr, char **word, int nword)
{
	const char *value = word[0], *colon = strchr(word[0], ':');
	size_t tlen;

	for (int i = 1; i < nword; i++)
		if (word[i][0] != '@' && word[i][0] != '&')
			return list_fail(lr, -EINVAL, "'%s' after the entry: only attributes "
					 "(@attr) and affiliations (&list) may follow it", word[i]);
	if (!colon) {
		if (config_word_is_prefix(value))
			return list_fail(lr, -EINVAL, "'%s' is an address: a v2fly list holds "
					 "names", value);
		return emit_name(lr, value, true, true);
	}
	tlen = (size_t)(colon - word[0]);
	value = colon + 1;
	if (tlen == 6 && !strncmp(word[0], "domain", tlen))
		return emit_name(lr, value, true, true);
	if (tlen == 4 && !strncmp(word[0], "full", tlen))
		return emit_name(lr, value, false, true);
	if (tlen == 7 && !strncmp(word[0], "keyword", tlen))
		return list_fail(lr, -EINVAL, "keyword: is not supported: bpfroute matches whole "
				 "names, not parts of them");
	if (tlen == 6 && !strncmp(word[0], "regexp", tlen))
		return list_fail(lr, -EINVAL, "regexp: is not supported: bpfroute matches whole "
				 "names, not patterns");
	if (tlen == 7 && !strncmp(word[0], "include", tlen))
		return list_fail(lr, -EINVAL, "include: is not supported: give the included "
				 "list a route-list line of its own");
	return list_fail(lr, -EINVAL, "unknown v2fly entry type '%.*s:'; domain:, full: or a "
			 "bare name", (int)(tlen > 32 ? 32 : tlen), word[0]);
}

/* One line of n characters, NUL-terminated; it is modified. */
static int parse_line(struct list_reader *lr, char *line, size_t n)
{
	char *word[LIST_MAX_WORDS], *p, why[64];
	int nword = 0;

	if (config_line_invalid(line, n, why, sizeof(why)))
		return list_fail(lr, -EINVAL, "%s", why);
	p = strchr(line, '#');
	if (p)
		*p = '\0';
	for (p = line;;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		word[nword++] = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
	}
	if (!nword)
		return 0;
	switch (lr->format) {
	case CONFIG_LIST_DOMAINS:
		return entry_domains(lr, word, nword);
	case CONFIG_LIST_V2FLY:
		return entry_v2fly(lr, word, nword);
	case CONFIG_LIST_BPFROUTE:
	default:
		return entry_bpfroute(lr, word, nword);
	}
}

int config_list_read(int fd, const char *path, enum config_list_format format,
		     config_list_entry_fn fn, void *ctx, char *err, size_t errlen)
{
	struct list_reader lr = {
		.path = path, .format = format, .fn = fn, .ctx = ctx, .err = err, .errlen = errlen,
	};
	/* One byte more than a chunk: the last line gets its NUL even without a newline. */
	char *buf = malloc(LIST_CHUNK + 1);
	size_t start = 0, end = 0;
	bool eof = false;
	ssize_t n;
	int ret = 0;

	if (!buf)
		return list_fail(&lr, -ENOMEM, "out of memory");
	while (!ret) {
		char *nl = memchr(buf + start, '\n', end - start);
		size_t len;

		if (!nl && !eof) {
			/* Keep the partial line, at the front, and read on behind it. */
			memmove(buf, buf + start, end - start);
			end -= start;
			start = 0;
			if (end > CONFIG_LINE_MAX) {
				lr.line++;
				ret = list_fail(&lr, -EINVAL, "line longer than %d characters",
						CONFIG_LINE_MAX);
				break;
			}
			n = read(fd, buf + end, LIST_CHUNK - end);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				ret = -errno;
				lr.line++;
				list_fail(&lr, ret, "%s", strerror(-ret));
				break;
			}
			eof = n == 0;
			end += (size_t)n;
			continue;
		}
		if (!nl && start == end)
			break;		/* the end, after a newline or of an empty file */
		len = nl ? (size_t)(nl - (buf + start)) : end - start;
		lr.line++;
		if (len > CONFIG_LINE_MAX) {
			ret = list_fail(&lr, -EINVAL, "line longer than %d characters",
					CONFIG_LINE_MAX);
			break;
		}
		buf[start + len] = '\0';
		ret = parse_line(&lr, buf + start, len);
		start += len + (nl ? 1 : 0);
	}
	free(buf);
	return ret;
}
