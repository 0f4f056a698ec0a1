/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small test harness in the manner of the kernel's BPF selftests.
 *
 * Each test binary runs subtests; every subtest prints exactly one line,
 * "PASS name", "FAIL name" or "SKIP name: why", which selftests/run.sh counts.
 * ASSERT_* macros print what was expected and what came, mark the current
 * subtest failed, and return false so the caller can stop early:
 *
 *	if (!ASSERT_EQ(ret, TC_ACT_OK, "verdict"))
 *		goto out;
 *
 * main() calls test__init(argc, argv) and then each subtest function
 * test_NAME through RUN_TEST(test_NAME), or RUN_NAMED(fn, "NAME", ...) for
 * a function that runs the subtest named by its first argument: `-t
 * PATTERN` (repeatable, shell wildcards) runs only the subtests whose NAME
 * matches, as the kernel selftests' -t does. A function that runs several
 * subtests of its own is selected by its own name.
 */
#ifndef BPFROUTE_TEST_H
#define BPFROUTE_TEST_H

#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct test_state {
	const char *subtest;
	bool failed;
	int passed_total;
	int failed_total;
	int skipped_total;
	char **patterns;	/* -t arguments; none: every subtest */
	int n_patterns;
};

extern struct test_state test_state;

/* Defines test_state; put it in exactly one file of each test binary. */
#define TEST_STATE_DEFINE struct test_state test_state

static inline void test__init(int argc, char **argv)
{
	int c;

	test_state.patterns = calloc((size_t)argc, sizeof(*test_state.patterns));
	if (!test_state.patterns) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		exit(2);
	}
	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't') {
			fprintf(stderr, "usage: %s [-t PATTERN]...\n", argv[0]);
			exit(2);
		}
		test_state.patterns[test_state.n_patterns++] = optarg;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
		exit(2);
	}
}

static inline bool test__selected(const char *name)
{
	if (!test_state.n_patterns)
		return true;
	for (int i = 0; i < test_state.n_patterns; i++)
		if (!fnmatch(test_state.patterns[i], name, 0))
			return true;
	return false;
}

/* test_NAME(...), if NAME (or test_NAME) is selected. */
#define RUN_TEST(fn, ...)                                                     \
	do {                                                                  \
		if (test__selected(#fn + 5) || test__selected(#fn))          \
			fn(__VA_ARGS__);                                      \
	} while (0)

/* fn(NAME, ...), one of several subtests of one function, if NAME is selected. */
#define RUN_NAMED(fn, name, ...)                \
	do {                                    \
		if (test__selected(name))       \
			fn(name, __VA_ARGS__);  \
	} while (0)

static inline void test__start_subtest(const char *name)
{
	test_state.subtest = name;
	test_state.failed = false;
}

static inline void test__end_subtest(void)
{
	if (!test_state.subtest)
		return;
	printf("%s %s\n", test_state.failed ? "FAIL" : "PASS", test_state.subtest);
	if (test_state.failed)
		test_state.failed_total++;
	else
		test_state.passed_total++;
	test_state.subtest = NULL;
	fflush(stdout);
}

static inline void test__skip(const char *why)
{
	printf("SKIP %s: %s\n", test_state.subtest, why);
	test_state.skipped_total++;
	test_state.subtest = NULL;
	fflush(stdout);
}

/* Exit status of a test binary: non-zero if any subtest failed. */
static inline int test__exit_status(void)
{
	return test_state.failed_total ? 1 : 0;
}

#define TEST_FAIL_(fmt, ...)                                                        \
	({                                                                          \
		printf("  %s:%d: %s: " fmt "\n", __FILE__, __LINE__,                \
		       test_state.subtest ? test_state.subtest : "?", ##__VA_ARGS__); \
		test_state.failed = true;                                           \
		false;                                                              \
	})

#define ASSERT_TRUE(cond, what)                                                     \
	({ bool ok_ = (cond); ok_ ? true : TEST_FAIL_("%s: expected true", what); })

#define ASSERT_FALSE(cond, what)                                                    \
	({ bool ok_ = !(cond); ok_ ? true : TEST_FAIL_("%s: expected false", what); })

#define ASSERT_EQ(got, want, what)                                                  \
	({                                                                          \
		long long g_ = (long long)(got), w_ = (long long)(want);            \
		g_ == w_ ? true : TEST_FAIL_("%s: got %lld, want %lld", what, g_, w_); \
	})

#define ASSERT_NEQ(got, bad, what)                                                  \
	({                                                                          \
		long long g_ = (long long)(got), b_ = (long long)(bad);             \
		g_ != b_ ? true : TEST_FAIL_("%s: got %lld, want anything else", what, g_); \
	})

#define ASSERT_OK(ret, what)                                                        \
	({                                                                          \
		long long r_ = (long long)(ret);                                    \
		r_ == 0 ? true : TEST_FAIL_("%s: failed with %lld", what, r_);      \
	})

#define ASSERT_STREQ(got, want, what)                                               \
	({                                                                          \
		const char *g_ = (got), *w_ = (want);                               \
		(g_ && w_ && !strcmp(g_, w_)) ? true :                              \
			TEST_FAIL_("%s: got \"%s\", want \"%s\"", what,             \
				   g_ ? g_ : "(null)", w_ ? w_ : "(null)");         \
	})

#define ASSERT_MEMEQ(got, want, len, what)                                          \
	({                                                                          \
		!memcmp((got), (want), (len)) ? true :                              \
			TEST_FAIL_("%s: %zu bytes differ", what, (size_t)(len));    \
	})

#endif /* BPFROUTE_TEST_H */
