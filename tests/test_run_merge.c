// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * merge: real captures recorded in two UTS namespaces with different host
 * names, one after the other, merged into one trace: both hosts named, exact
 * counts, the second host's work after the first's; a host's clock moved
 * with --offset; a cut capture; the same host twice; a newer format; output
 * names with %h/%p/%t templates. As root (BPF, unshare).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "tracer_run.h"
#include "workloads.h"

/* Record MODE on a host named host (a UTS namespace of its own) into out. */
static void record_on(const char *host, const char *mode, const char *out)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "unshare --uts sh -c 'hostname %s && %s --lib %s -o %s -- %s --lib %s %s' "
		 ">/dev/null 2>&1",
		 host, bin, fakecuda, out, fakeapp, fakecuda, mode);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	if (tracer_setup(state))
		return -1;
	record_on("node-a", "runtime", path_in("a.tsbpf"));
	record_on("node-b", "threads", path_in("b.tsbpf"));
	return 0;
}

/* First and last start of GPU slices on the devices named with host. */
static void gpu_span(const struct trace *t, const char *host, double *first, double *last)
{
	json_object *e;
	int i;

	*first = 1e300;
	*last = 0;
	for (i = 0; (e = trace_find(t, "X", NULL, GPU, i)); i++) {
		const char *pn = trace_process_name(t, ev_int(e, "pid"));

		if (!pn || !strstr(pn, host))
			continue;
		if (ev_num(e, "ts") < *first)
			*first = ev_num(e, "ts");
		if (ev_num(e, "ts") > *last)
			*last = ev_num(e, "ts");
	}
}

static int merge(const char *extra, const char *out, char *err, size_t len)
{
	char cmd[2048];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "%s merge %s %s %s -o %s 2>&1", bin, path_in("a.tsbpf"),
		 path_in("b.tsbpf"), extra, out);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(err, 1, len - 1, p);
	err[n] = '\0';
	return WEXITSTATUS(pclose(p));
}

static void test_merge_two_hosts(void **state)
{
	char *out = path_in("m.json"), *pf = path_in("m.pftrace"), err[4096], extra[512];
	double a0, a1, b0, b1;
	json_object *hosts;
	struct trace t;
	int i, named = 0;
	json_object *e;

	snprintf(extra, sizeof(extra), "-o %s", pf);
	assert_int_equal(merge(extra, out, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	hosts = trace_other(&t, "hosts");
	assert_int_equal(json_object_array_length(hosts), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(hosts, 0)), "node-a");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(hosts, 1)), "node-b");
	assert_string_equal(json_object_get_string(trace_other(&t, "clock")), "CLOCK_REALTIME");
	/* exact counts, each on its own host's devices */
	assert_int_equal(trace_count(&t, "X", RT_VEC_ADD_DEMANGLED, GPU), RT_ITERS);
	assert_int_equal(trace_count(&t, "X", THREADS_KERNEL, GPU), THREADS_N * THREADS_LAUNCHES);
	assert_string_equal(trace_process_name(&t, GPU_PID_BASE), "GPU Device 0 (node-a)");
	assert_string_equal(trace_process_name(&t, GPU_PID_BASE + 8), "GPU Device 0 (node-b)");
	assert_string_equal(trace_process_name(&t, GPU_PID_BASE + 9), "GPU Device 1 (node-b)");
	for (i = 0; (e = trace_find(&t, "M", "process_name", ANY, i)); i++)
		named += !strncmp(ev_arg_str(e, "name"), "[node-", 6);
	assert_int_equal(named, 2);
	/* recorded one after the other: on one timeline, b's work comes after a's */
	gpu_span(&t, "node-a", &a0, &a1);
	gpu_span(&t, "node-b", &b0, &b1);
	assert_true(a1 < b0);
	assert_int_equal(trace_unmatched_flows(&t), 0);
	assert_int_equal(trace_partial_overlaps(&t), 0);
	trace_free(&t);
	assert_int_equal(check_pftrace(pf, "--expect '" THREADS_KERNEL "=100'"), 0);
	/* the reports over a merge, per host */
	snprintf(extra, sizeof(extra), "-o %s", path_in("m.sqlite"));
	assert_int_equal(merge(extra, path_in("m2.json"), err, sizeof(err)), 0);
	snprintf(extra, sizeof(extra), "%s stats %s --report host_sum --format csv", bin,
		 path_in("m.sqlite"));
	{
		FILE *p = popen(extra, "r");
		size_t n = fread(err, 1, sizeof(err) - 1, p);

		err[n] = '\0';
		assert_int_equal(pclose(p), 0);
	}
	/* Processes,API Calls,API Time (ns),Kernels,Kernel Time (ns),Peak Memory,Host */
	assert_non_null(strstr(err, ",200,"));
	assert_non_null(strstr(err, ",node-a\n"));
	assert_non_null(strstr(err, ",node-b\n"));
}

/* A host whose clock is known to be off: --offset moves it. */
static void test_merge_offset(void **state)
{
	char *out = path_in("mo.json"), err[4096];
	double a0, a1, b0, b1;
	struct trace t;

	/* node-b a whole hour early: its work now comes first */
	assert_int_equal(merge("--offset node-b=-3600000000000", out, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	gpu_span(&t, "node-a", &a0, &a1);
	gpu_span(&t, "node-b", &b0, &b1);
	assert_true(b1 < a0);
	assert_true(a0 - b1 > 3.5e9); /* us */
	trace_free(&t);
}

/* A cut capture is merged up to what it holds, and said; bad inputs are refused. */
static void test_merge_bad_inputs(void **state)
{
	char *out = path_in("mc.json"), err[4096], cmd[2048];
	struct trace t;
	FILE *f;
	uint32_t v = 99;

	snprintf(cmd, sizeof(cmd), "cp %s %s && truncate -s -3000 %s", path_in("b.tsbpf"),
		 path_in("b-cut.tsbpf"), path_in("b-cut.tsbpf"));
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s merge %s %s -o %s 2>&1", bin, path_in("a.tsbpf"),
		 path_in("b-cut.tsbpf"), out);
	f = popen(cmd, "r");
	err[fread(err, 1, sizeof(err) - 1, f)] = '\0';
	assert_int_equal(WEXITSTATUS(pclose(f)), 0);
	assert_non_null(strstr(err, "merged up to there"));
	assert_int_equal(trace_load(&t, out), 0);
	assert_true(json_object_get_boolean(trace_other(&t, "incomplete")));
	assert_int_equal(trace_count(&t, "X", RT_VEC_ADD_DEMANGLED, GPU), RT_ITERS);
	trace_free(&t);
	/* the same host twice */
	snprintf(cmd, sizeof(cmd), "%s merge %s %s -o %s 2>&1", bin, path_in("a.tsbpf"),
		 path_in("a.tsbpf"), out);
	f = popen(cmd, "r");
	err[fread(err, 1, sizeof(err) - 1, f)] = '\0';
	assert_int_equal(WEXITSTATUS(pclose(f)), 1);
	assert_non_null(strstr(err, "same host (node-a)"));
	/* a capture of a newer format version */
	snprintf(cmd, sizeof(cmd), "cp %s %s", path_in("b.tsbpf"), path_in("b-v99.tsbpf"));
	assert_int_equal(system(cmd), 0);
	f = fopen(path_in("b-v99.tsbpf"), "r+");
	fseek(f, 8, SEEK_SET);
	fwrite(&v, 4, 1, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s merge %s %s -o %s 2>&1", bin, path_in("a.tsbpf"),
		 path_in("b-v99.tsbpf"), out);
	f = popen(cmd, "r");
	err[fread(err, 1, sizeof(err) - 1, f)] = '\0';
	assert_int_equal(WEXITSTATUS(pclose(f)), 1);
	assert_non_null(strstr(err, "format version 99"));
}

/* deploy/: the Kubernetes, Slurm and container recipes, run as far as one machine allows */
static void test_merge_recipes(void **state)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "python3 tests/check_deploy.py %s %s %s %s", bin, fakecuda,
		 fakeapp, dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_two_hosts),
		cmocka_unit_test(test_merge_offset),
		cmocka_unit_test(test_merge_bad_inputs),
		cmocka_unit_test(test_merge_recipes),
	};

	if (!tracer_root("test_run_merge"))
		return getenv("CI") != NULL;
	if (getenv("TS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("merge", tests, setup, NULL);
}
