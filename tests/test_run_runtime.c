// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The CUDA runtime (--runtime-api): the stand-in libcudart (tests/fakecudart)
 * loaded with dlopen, after start, from a wheel-like folder the tracer is not
 * told about. Exact counts of runtime slices, the driver calls each holds,
 * the kernel a cudaLaunchKernel names from __cudaRegisterFunction, its dim3s
 * (passed by value in registers) decoded exactly, one correlation id from
 * the runtime call to the GPU work, with and without --gpu-time; SQLite's
 * API table; replay equal to live; off without the option; NVIDIA's own
 * libcudart on a host without a driver, when the toolkit has one.
 * Root, like the other BPF tests; each test stops what it started, by pid.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "trace_json.h"
#include "sql_int.h"
#include "tracer_run.h"
#include "fakecudart/rt_workload.h"

#define RT_CAT	    "cuda_runtime"
#define REAL_CUDART "/usr/local/cuda/lib64/libcudart.so.13"
#define N_CALLS	    22 /* runtime calls rtapp makes: the table below, one row a call */
#define STR_(x)	    #x
#define DIM(x)	    STR_(x) /* a number in SQL */

static const char *fakecudart, *rtapp, *fakecupti;

/* Each runtime call rtapp makes, in order, and the driver calls it makes (space separated). */
static const struct {
	const char *name, *inner;
} calls[N_CALLS] = {
	{ "__cudaRegisterFatBinary", "" },
	{ "__cudaRegisterFunction", "" },
	{ "__cudaRegisterFunction", "" },
	{ "__cudaRegisterFatBinaryEnd", "" },
	{ "cudaSetDevice", "cuInit cuDevicePrimaryCtxRetain cuCtxSetCurrent" },
	{ "cudaMalloc", "cuMemAlloc_v2" },
	{ "cudaMallocHost", "cuMemAllocHost_v2" },
	{ "cudaMemcpy", "cuMemcpyHtoD_v2" },
	{ "cudaMemsetAsync", "cuMemsetD8Async" },
	/* lazy loading: the module and the function at the kernel's first launch */
	{ "cudaLaunchKernel", "cuModuleLoadData cuModuleGetFunction cuLaunchKernel" },
	{ "cudaLaunchKernel", "cuLaunchKernel" },
	{ "cudaLaunchKernel", "cuLaunchKernel" },
	{ "cudaLaunchKernelExC", "cuModuleGetFunction cuLaunchKernelEx" },
	{ "cudaEventRecord", "cuEventRecord" },
	{ "cudaStreamWaitEvent", "cuStreamWaitEvent" },
	{ "cudaEventSynchronize", "cuEventSynchronize" },
	{ "cudaMemcpyAsync", "cuMemcpyDtoHAsync_v2" },
	{ "cudaStreamSynchronize", "cuStreamSynchronize" },
	{ "cudaDeviceSynchronize", "cuCtxSynchronize" },
	{ "cudaFree", "cuMemFree_v2" },
	{ "cudaFreeHost", "cuMemFreeHost" },
	{ "__cudaUnregisterFatBinary", "cuModuleUnload" },
};

/* A fresh copy of the stand-in runtime in DIR/tag/site-packages/nvidia/cuda_runtime/lib. */
static char *wheel(const char *tag)
{
	static char path[4096];
	char cmd[16384];

	snprintf(path, sizeof(path), "%s/%s/site-packages/nvidia/cuda_runtime/lib", dir, tag);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s' '%s/libcudart.so.13'", path,
		 fakecudart, path);
	assert_int_equal(system(cmd), 0);
	strcat(path, "/libcudart.so.13");
	return path;
}

static bool is_host_slice(json_object *e)
{
	const char *ph = ev_str(e, "ph");

	return ph && !strcmp(ph, "X") && ev_int(e, "pid") < 0x7fff0000;
}

static bool is_runtime(json_object *e)
{
	const char *cat = ev_str(e, "cat");

	return is_host_slice(e) && cat && !strcmp(cat, RT_CAT);
}

/* Times in ns, exact: the JSON says microseconds with three decimals. */
static long long ns(json_object *e, const char *key)
{
	return llround(ev_num(e, key) * 1000);
}

/* The nth runtime slice named name, or NULL. */
static json_object *nth_runtime(const struct trace *t, const char *name, int nth)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		json_object *e = trace_event(t, i);

		if (is_runtime(e) && !strcmp(ev_str(e, "name"), name) && nth-- == 0)
			return e;
	}
	return NULL;
}

/* The API calls (not the runtime's, not the kernel driver's) inside rt on its thread, in order. */
static void inner_calls(const struct trace *t, json_object *rt, char *buf, size_t len)
{
	long long start = ns(rt, "ts"), end = start + ns(rt, "dur");
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < t->n; i++) {
		json_object *e = trace_event(t, i);
		const char *cat = ev_str(e, "cat");

		if (!is_host_slice(e) || is_runtime(e) || !cat || !strcmp(cat, "driver") ||
		    !strcmp(cat, "nvtx") || ev_int(e, "pid") != ev_int(rt, "pid") ||
		    ev_int(e, "tid") != ev_int(rt, "tid") || ns(e, "ts") < start ||
		    ns(e, "ts") + ns(e, "dur") > end)
			continue;
		used += snprintf(buf + used, len - used, "%s%s", used ? " " : "",
				 ev_str(e, "name"));
		assert_true(used < len);
	}
}

/* GPU slices whose correlation_id is corr. */
static int gpu_with_corr(const struct trace *t, long long corr, const char *name)
{
	size_t i;
	int n = 0;

	for (i = 0; i < t->n; i++) {
		json_object *e = trace_event(t, i);
		const char *ph = ev_str(e, "ph");

		if (ph && !strcmp(ph, "X") && ev_int(e, "pid") >= 0x7fff0000 &&
		    ev_arg(e, "correlation_id") && ev_arg_int(e, "correlation_id") == corr)
			n += !name || !strcmp(ev_str(e, "name"), name);
	}
	return n;
}

/* The nth cuLaunchKernel-like driver slice (name) inside rt: its correlation id. */
static long long inner_corr(const struct trace *t, json_object *rt, const char *name)
{
	long long start = ns(rt, "ts"), end = start + ns(rt, "dur");
	size_t i;

	for (i = 0; i < t->n; i++) {
		json_object *e = trace_event(t, i);

		if (is_host_slice(e) && !is_runtime(e) && !strcmp(ev_str(e, "name"), name) &&
		    ev_int(e, "tid") == ev_int(rt, "tid") && ns(e, "ts") >= start &&
		    ns(e, "ts") + ns(e, "dur") <= end)
			return ev_arg_int(e, "correlation_id");
	}
	fail_msg("no %s inside %s", name, ev_str(rt, "name"));
	return 0;
}

/* A launch: its kernel, dims, stub, and one id from the call to its driver launch and kernel. */
static void check_launch(const struct trace *t, json_object *e, const char *kernel, const char *drv,
			 const long long grid[3], const long long block[3], const char *stub,
			 const char *timing)
{
	long long corr = ev_arg_int(e, "correlation_id");
	const char *diff;
	size_t i;

	assert_string_equal(ev_arg_str(e, "kernel"), kernel);
	diff = ev_arg_dim3_diff(e, "grid_dim", grid);
	if (diff)
		fail_msg("%s grid_dim: %s", ev_str(e, "name"), diff);
	diff = ev_arg_dim3_diff(e, "block_dim", block);
	if (diff)
		fail_msg("%s block_dim: %s", ev_str(e, "name"), diff);
	assert_string_equal(ev_arg_str(e, "host_function"), stub);
	assert_true(corr > 0);
	assert_int_equal(inner_corr(t, e, drv), corr);
	assert_int_equal(gpu_with_corr(t, corr, NULL), 1);
	assert_int_equal(gpu_with_corr(t, corr, kernel), 1);
	for (i = 0; i < t->n; i++) {
		json_object *g = trace_event(t, i);

		if (ev_int(g, "pid") >= 0x7fff0000 && ev_arg(g, "correlation_id") &&
		    ev_arg_int(g, "correlation_id") == corr) {
			assert_string_equal(ev_arg_str(g, "timing"), timing);
			assert_true(ev_arg_dim3_diff(g, "grid_dim", grid) == NULL);
		}
	}
}

/* What every run of rtapp with --runtime-api shows. */
static void check_run(const struct trace *t, const char *timing)
{
	static const long long grid[3] = { RW_GRID_X, RW_GRID_Y, RW_GRID_Z };
	static const long long block[3] = { RW_BLOCK_X, RW_BLOCK_Y, RW_BLOCK_Z };
	static const long long ex_grid[3] = { RW_EX_GRID_X, RW_EX_GRID_Y, RW_EX_GRID_Z };
	static const long long ex_block[3] = { RW_EX_BLOCK_X, RW_EX_BLOCK_Y, RW_EX_BLOCK_Z };
	const char *stub_a, *stub_b;
	char inner[1024];
	unsigned int i, j, nth;
	size_t k;
	int total = 0;

	/* every runtime call once, in its category; each holds exactly its driver calls */
	for (k = 0; k < t->n; k++)
		total += is_runtime(trace_event(t, k));
	assert_int_equal(total, N_CALLS);
	for (i = 0; i < N_CALLS; i++) {
		json_object *e;

		for (nth = 0, j = 0; j < i; j++)
			nth += !strcmp(calls[j].name, calls[i].name);
		e = nth_runtime(t, calls[i].name, nth);
		if (!e)
			fail_msg("no %s #%u", calls[i].name, nth);
		inner_calls(t, e, inner, sizeof(inner));
		if (strcmp(inner, calls[i].inner))
			fail_msg("%s #%u holds '%s', not '%s'", calls[i].name, nth, inner,
				 calls[i].inner);
		/* a void registration call says no result; the others their cudaError_t */
		assert_int_equal(!!ev_arg(e, "result"), calls[i].name[0] != '_');
	}
	assert_null(nth_runtime(t, "cudaLaunchKernel", RW_LAUNCHES));
	/* the kernels registered by host stub, and the launches that name them */
	stub_a = ev_arg_str(nth_runtime(t, "__cudaRegisterFunction", 0), "host_function");
	stub_b = ev_arg_str(nth_runtime(t, "__cudaRegisterFunction", 1), "host_function");
	assert_string_equal(ev_arg_str(nth_runtime(t, "__cudaRegisterFunction", 0), "name"),
			    RW_KERNEL_A);
	for (i = 0; i < RW_LAUNCHES; i++) {
		json_object *e = nth_runtime(t, "cudaLaunchKernel", i);

		check_launch(t, e, RW_KERNEL_A_NAME, "cuLaunchKernel", grid, block, stub_a, timing);
		/* the two stack arguments after the registers the dim3s took */
		assert_int_equal(ev_arg_int(e, "shared_memory_bytes"), RW_SHMEM);
		assert_string_equal(ev_arg_str(e, "stream"),
				    ev_arg_str(nth_runtime(t, "cudaMemsetAsync", 0), "stream"));
	}
	check_launch(t, nth_runtime(t, "cudaLaunchKernelExC", 0), RW_KERNEL_B_NAME,
		     "cuLaunchKernelEx", ex_grid, ex_block, stub_b, timing);
	/* a copy's GPU work shares its runtime call's id too */
	assert_int_equal(
		gpu_with_corr(t, ev_arg_int(nth_runtime(t, "cudaMemcpy", 0), "correlation_id"),
			      "Memcpy HtoD"),
		1);
	assert_int_equal(trace_count(t, "X", RW_KERNEL_A_NAME, GPU), RW_LAUNCHES);
	assert_int_equal(trace_unmatched_flows(t), 0);
}

/*
 * As Kineto writes it: the runtime calls are cuda_runtime and each launch's
 * correlation is its own; the driver launch made inside one keeps the id as
 * correlation_id but gives no "correlation" (Kineto's is one host call's), and
 * Holistic Trace Analysis' checks pass (tests/check_kineto.py).
 */
static void check_kineto_view(const struct trace *t, const char *path)
{
	json_object *e;
	char cmd[8192];
	int i;

	for (i = 0; (e = trace_find(t, "X", "cudaLaunchKernel", HOST, i)); i++) {
		assert_string_equal(ev_str(e, "cat"), "cuda_runtime");
		assert_true(ev_arg_int(e, "correlation") > 0);
	}
	assert_int_equal(i, RW_LAUNCHES);
	for (i = 0; (e = trace_find(t, "X", "cuLaunchKernel", HOST, i)); i++) {
		assert_string_equal(ev_str(e, "cat"), "cuda_driver");
		assert_true(ev_arg_int(e, "correlation_id") > 0);
		assert_null(ev_arg(e, "correlation"));
	}
	assert_int_equal(i, RW_LAUNCHES);
	snprintf(cmd, sizeof(cmd), "tests/check_kineto.py %s --measured >/dev/null", path);
	assert_int_equal(system(cmd), 0);
}

/* SQLite: runtime calls in the API table under their own names, joined to their kernels. */
static void check_sqlite(const char *path)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM api_calls WHERE name = "
				     "'cudaLaunchKernel' AND api = 'cudaLaunchKernel'"),
			 RW_LAUNCHES);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM api_calls WHERE name LIKE 'cuda%' OR "
				     "name LIKE '\\_\\_cuda%' ESCAPE '\\'"),
			 N_CALLS);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM api_calls a JOIN kernels k ON "
				     "k.correlationId = a.correlationId WHERE a.name = "
				     "'cudaLaunchKernel' AND k.gridY = " DIM(RW_GRID_Y)),
			 RW_LAUNCHES);
	/* nsys's classes: the runtime's calls 0 (TRACE_PROCESS_EVENT_CUDA_RUNTIME), the driver's 1 */
	assert_int_equal(sql_int(db, "SELECT count(*) FROM CUPTI_ACTIVITY_KIND_RUNTIME r JOIN "
				     "StringIds s ON s.id = r.nameId WHERE r.eventClass = 0"),
			 N_CALLS);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM CUPTI_ACTIVITY_KIND_RUNTIME r JOIN "
				     "StringIds s ON s.id = r.nameId WHERE r.eventClass = 1 AND "
				     "s.value LIKE 'cuda%'"),
			 0);
	sqlite3_close(db);
}

static void test_runtime_late_dlopen(void **state)
{
	char *out = path_in("rt.json"), *cap = path_in("rt.tsbpf"), *db = path_in("rt.sqlite");
	char *rep = path_in("rt-replay.json"), *lib = wheel("late"), err[8192], cmd[8192];
	char *argv[] = { (char *)bin,
			 "-v",
			 "--runtime-api",
			 "--lib",
			 (char *)fakecuda,
			 "-o",
			 out,
			 "-o",
			 cap,
			 "-o",
			 db,
			 "--",
			 (char *)rtapp,
			 "--cuda",
			 (char *)fakecuda,
			 "--cudart",
			 lib,
			 NULL };
	char *replay[] = { (char *)bin, "replay", cap, "-o", rep, NULL };
	struct trace t;

	(void)state;
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	/* -v says where it was found */
	assert_non_null(strstr(err, "hooked libcudart: "));
	assert_non_null(strstr(err, "/late/site-packages/nvidia/cuda_runtime/lib/libcudart.so.13"));
	assert_int_equal(trace_load(&t, out), 0);
	check_run(&t, "host");
	trace_free(&t);
	check_sqlite(db);
	/* the capture replays to the same trace */
	assert_int_equal(run_tracer(replay, err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", out, rep);
	assert_int_equal(system(cmd), 0);
}

/* -p on a program that loads the runtime after the tracer attached: every call, exact. */
static void test_runtime_attach_pid(void **state)
{
	char *out = path_in("rt-pid.json"), *go = path_in("rt-pid.go"), *lib = wheel("pid");
	char err[8192] = "", pidarg[16];
	char *app[] = { (char *)rtapp, "--cuda", (char *)fakecuda, "--wait-file", go, "--cudart",
			lib,	       NULL };
	char *argv[] = { (char *)bin, "--runtime-api", "--lib", (char *)fakecuda,
			 "-p",	      pidarg,	       "-o",	out,
			 NULL };
	struct trace t;
	pid_t a, tr;
	int afd, fd;

	(void)state;
	a = start(app, &afd);
	assert_true(wait_for(afd, "driver loaded", err, sizeof(err), 30000));
	snprintf(pidarg, sizeof(pidarg), "%d", a);
	tr = start(argv, &fd);
	assert_true(wait_for(fd, "tracing pid", err, sizeof(err), 30000));
	close(creat(go, 0644));
	assert_int_equal(collect(a, afd, err, sizeof(err)), 0);
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	check_run(&t, "host");
	trace_free(&t);
}

/* -a: a program started after the tracer, its runtime from a folder no one named: every call. */
static void test_runtime_all(void **state)
{
	char *out = path_in("rt-all.json"), *lib = wheel("all"), err[8192] = "";
	char *app[] = { (char *)rtapp, "--cuda", (char *)fakecuda, "--cudart", lib, NULL };
	char *argv[] = { (char *)bin, "--runtime-api", "--lib", (char *)fakecuda, "-a", "-o", out,
			 NULL };
	struct trace t;
	pid_t tr;
	int fd;

	(void)state;
	tr = start(argv, &fd);
	assert_true(wait_for(fd, "tracing every process", err, sizeof(err), 30000));
	assert_int_equal(wait_status(start(app, NULL)), 0);
	interrupt_and_load(tr, fd, out, &t);
	check_run(&t, "host");
	trace_free(&t);
}

/* --gpu-time: the measured kernel carries the runtime call's id. */
static void test_runtime_gpu_time(void **state)
{
	char *out = path_in("rt-gpu.json"), *lib = wheel("gpu"), err[8192];
	char *argv[] = { (char *)bin,
			 "--runtime-api",
			 "--gpu-time",
			 "--cupti",
			 (char *)fakecupti,
			 "--lib",
			 (char *)fakecuda,
			 "-o",
			 out,
			 "--",
			 (char *)rtapp,
			 "--cuda",
			 (char *)fakecuda,
			 "--cudart",
			 lib,
			 NULL };
	struct trace t;

	(void)state;
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	check_run(&t, "gpu");
	check_kineto_view(&t, out);
	trace_free(&t);
}

/* Without --runtime-api the runtime is left alone: the driver calls only. */
static void test_runtime_off_by_default(void **state)
{
	char *out = path_in("rt-off.json"), *lib = wheel("off"), err[8192];
	char *argv[] = { (char *)bin, "-v", "--lib",	   (char *)fakecuda, "-o",
			 out,	      "--", (char *)rtapp, "--cuda",	     (char *)fakecuda,
			 "--cudart",  lib,  NULL };
	struct trace t;
	size_t i;
	int n = 0;

	(void)state;
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	assert_null(strstr(err, "libcudart"));
	assert_int_equal(trace_load(&t, out), 0);
	for (i = 0; i < t.n; i++)
		n += is_runtime(trace_event(&t, i));
	assert_int_equal(n, 0);
	assert_int_equal(trace_count(&t, "X", "cuLaunchKernel", HOST), RW_LAUNCHES);
	assert_int_equal(trace_count(&t, "X", "cuLaunchKernelEx", HOST), 1);
	assert_int_equal(trace_count(&t, "X", RW_KERNEL_A_NAME, GPU), RW_LAUNCHES);
	trace_free(&t);
}

/* NVIDIA's libcudart without a driver: its calls fail, and are traced with their results. */
static void test_runtime_real_library(void **state)
{
	char *out = path_in("rt-real.json"), err[8192];
	char *argv[] = { (char *)bin, "--runtime-api", "--lib",	   (char *)fakecuda, "-o", out,
			 "--",	      (char *)rtapp,   "--cudart", REAL_CUDART,	     NULL };
	static const char *const names[] = { "cudaSetDevice", "cudaMalloc",
					     "cudaDeviceSynchronize" };
	struct trace t;
	unsigned int i;
	size_t k;
	int n = 0;

	(void)state;
	if (access(REAL_CUDART, R_OK)) {
		fprintf(stderr, "no %s: skipped\n", REAL_CUDART);
		skip();
	}
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	for (k = 0; k < t.n; k++)
		n += is_runtime(trace_event(&t, k));
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		json_object *e = nth_runtime(&t, names[i], 0);

		assert_non_null(e);
		assert_null(nth_runtime(&t, names[i], 1));
		assert_int_equal(ev_arg_int(e, "result"), 35);
		assert_string_equal(ev_arg_str(e, "result_name"), "cudaErrorInsufficientDriver");
	}
	trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runtime_late_dlopen),
		cmocka_unit_test(test_runtime_attach_pid),
		cmocka_unit_test(test_runtime_all),
		cmocka_unit_test(test_runtime_gpu_time),
		cmocka_unit_test(test_runtime_off_by_default),
		cmocka_unit_test(test_runtime_real_library),
	};

	if (!tracer_root("test_run_runtime"))
		return getenv("CI") != NULL;
	fakecudart = getenv("TS_FAKECUDART");
	rtapp = getenv("TS_RTAPP");
	fakecupti = getenv("TS_FAKECUPTI");
	if (!fakecudart || !rtapp || !fakecupti) {
		fprintf(stderr,
			"set TS_FAKECUDART, TS_RTAPP and TS_FAKECUPTI (make bpf-test does)\n");
		return 1;
	}
	if (getenv("TS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("runtime", tests, tracer_setup, NULL);
}
