// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The memory budget, live (root, real BPF): the stand-in driver's fakeapp
 * makes 100k streams with a launch on each. The tracer's peak RSS (wait4 of
 * its child: the tracer and the fakeapp it waited for, the larger) stays
 * under the README's budget, the trace says exactly how many streams' work
 * went to the overflow track, and every launch is there.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "lib/budget.h"
#include "tracer_run.h"

#define N_STREAMS 100000
#define BUDGET_KB (128 * 1024)

/* How often needle occurs in the file (whole, in memory: a few tens of MiB). */
static long count_in(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL, *p;
	size_t cap = 0;
	ssize_t n;
	long count = 0;

	assert_non_null(f);
	while ((n = getline(&buf, &cap, f)) > 0)
		for (p = buf; (p = strstr(p, needle)); p += strlen(needle))
			count++;
	free(buf);
	fclose(f);
	return count;
}

static void test_budget_live_streams(void **state)
{
	char *out = path_in("streams.json"), n[16], err[8192] = "", want[64];
	char *argv[] = { (char *)bin,	  "--lib", (char *)fakecuda, "-o",	    out, "--",
			 (char *)fakeapp, "--lib", (char *)fakecuda, "manystreams", n,	 NULL };
	struct rusage ru;
	size_t off = 0;
	ssize_t got;
	int fd, st;
	pid_t pid;

	snprintf(n, sizeof(n), "%d", N_STREAMS);
	pid = start(argv, &fd);
	assert_true(pid > 0);
	while ((got = read(fd, err + off, sizeof(err) - 1 - off)) > 0)
		off += got;
	err[off] = '\0';
	close(fd);
	assert_int_equal(wait4(pid, &st, 0, &ru), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	print_message("live %d streams: peak RSS %ld KiB\n", N_STREAMS, ru.ru_maxrss);
	assert_true(ru.ru_maxrss < BUDGET_KB);
	/* every stream's launch is there: empty_kernel's once, and one per stream */
	assert_int_equal(count_in(out, "\"cat\":\"kernel\""), N_STREAMS);
	assert_int_equal(count_in(out, "\"name\":\"Streams past the memory budget (submitted)\""),
			 1);
	snprintf(want, sizeof(want), "\"streams\":%d", N_STREAMS - TS_CAP_STREAMS);
	assert_int_equal(count_in(out, want), 1);
	assert_non_null(strstr(err, "more than 16384 streams"));
	unlink(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_live_streams),
	};

	return cmocka_run_group_tests(tests, tracer_setup, NULL);
}
