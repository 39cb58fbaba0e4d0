// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Real BPF integration tests: load the programs, trace the test programs
 * through the stand-in libcuda with --, -p and -a, and check the traces.
 * They need root (CI runs as root). Outside CI, without root, they skip.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "trace_json.h"
#include "tracer_run.h"
#include "workloads.h"
#include "fakecuda/cuda_types.h"

static void assert_sane(const struct trace *t)
{
	assert_int_equal(trace_partial_overlaps(t), 0);
	assert_int_equal(trace_unmatched_flows(t), 0);
	assert_int_equal(json_object_get_int64(trace_other(t, "dropped_events")), 0);
}

/* Every GPU slice of this name: count, and the same dims on all of them. */
static void assert_kernels(const struct trace *t, const char *name, int n, const long long g[3],
			   const long long b[3])
{
	int i;

	assert_int_equal(trace_count(t, "X", name, GPU), n);
	for (i = 0; i < n; i++) {
		json_object *e = trace_find(t, "X", name, GPU, i);

		assert_true(ev_arg_dim3(e, "grid_dim", g[0], g[1], g[2]));
		assert_true(ev_arg_dim3(e, "block_dim", b[0], b[1], b[2]));
		assert_string_equal(ev_arg_str(e, "track_name"), "GPU Compute");
		assert_true(ev_arg_int(e, "correlation_id") > 0);
		/* submit times, said on the slice and on its track */
		assert_string_equal(ev_arg_str(e, "timing"), "host");
		assert_non_null(strstr(trace_thread_name(t, ev_int(e, "pid"), ev_int(e, "tid")),
				       "(submitted)"));
	}
}

static void assert_copies(const struct trace *t, const char *name, const char *dir_name, int n,
			  long long bytes)
{
	int i;

	assert_int_equal(trace_count(t, "X", name, GPU), n);
	for (i = 0; i < n; i++) {
		json_object *e = trace_find(t, "X", name, GPU, i);

		assert_string_equal(ev_arg_str(e, "direction"), dir_name);
		assert_int_equal(ev_arg_int(e, "size_bytes"), bytes);
		assert_non_null(strstr(ev_arg_str(e, "src_address"), "0x"));
		assert_non_null(strstr(ev_arg_str(e, "dst_address"), "0x"));
	}
}

/* The stand-in blocks FAKE_SYNC_US in every synchronize: the slice must cover it. */
static void assert_sync_covers(const struct trace *t, const char *name, int n)
{
	int i;

	assert_int_equal(trace_count(t, "X", name, HOST), n);
	for (i = 0; i < n; i++)
		assert_true(ev_num(trace_find(t, "X", name, HOST, i), "dur") >= FAKE_SYNC_US);
}

static void assert_runtime_trace(const struct trace *t)
{
	static const long long vg[3] = { RT_VEC_GRID, 1, 1 }, vb[3] = { RT_VEC_BLOCK, 1, 1 },
			       one[3] = { 1, 1, 1 };
	json_object *e;

	assert_sane(t);
	assert_kernels(t, RT_VEC_ADD_DEMANGLED, RT_ITERS, vg, vb);
	assert_kernels(t, RT_EMPTY_DEMANGLED, RT_ITERS, one, one);
	/* the runtime got cuLaunchKernel_ptsz; the cuLaunchKernel it calls is not a second launch */
	assert_int_equal(trace_count(t, "X", "cuLaunchKernel_ptsz", HOST), 2 * RT_ITERS);
	assert_int_equal(trace_count(t, "X", "cuLaunchKernel", HOST), 0);
	assert_int_equal(trace_count(t, "X", "cuGetProcAddress_v2", HOST), 26);
	assert_int_equal(trace_count(t, "X", "cuGraphLaunch_ptsz", HOST), RT_GRAPH_LAUNCHES);
	assert_int_equal(trace_count(t, "X", NULL, GPU) - 2 * RT_ITERS - RT_GRAPH_LAUNCHES, 6);
	assert_copies(t, "Memcpy HtoD", "HtoD", 2, RT_BYTES);
	assert_copies(t, "Memcpy DtoH", "DtoH", 2, RT_BYTES);
	assert_copies(t, "Memcpy DtoD", "DtoD", 1, RT_BYTES);
	e = trace_find(t, "X", "Memcpy HtoD", GPU, 0);
	assert_string_equal(ev_arg_str(e, "track_name"), "GPU Memory Copy (H\u2192D)");
	e = trace_find(t, "X", "Memset", GPU, 0);
	assert_int_equal(ev_arg_int(e, "size_bytes"), RT_BYTES);
	assert_string_equal(ev_arg_str(e, "track_name"), "GPU Memory Ops");
	/* sync copies on the per-thread default stream (the _ptds variants) */
	e = trace_find(t, "X", "Memcpy HtoD", GPU, 0);
	assert_non_null(strstr(trace_thread_name(t, ev_int(e, "pid"), ev_int(e, "tid")),
			       "Per-thread default stream"));
	assert_string_equal(trace_process_name(t, GPU_PID_BASE), "GPU Device 0");
	assert_sync_covers(t, "cuStreamSynchronize_ptsz", 1);
	assert_sync_covers(t, "cuEventSynchronize", 1);
	assert_sync_covers(t, "cuCtxSynchronize_v2", 1);
	/* 3 + 1 allocations, all freed: the counter peaks at 4 MiB and ends at 0 */
	assert_int_equal(trace_count(t, "C", "GPU memory allocated (bytes)", HOST), 8);
	e = trace_find(t, "C", "GPU memory allocated (bytes)", HOST, 7);
	assert_int_equal(ev_arg_int(e, "value"), 0);
	e = trace_find(t, "C", "GPU memory allocated (bytes)", HOST, 3);
	assert_int_equal(ev_arg_int(e, "value"), 4 * RT_BYTES);
}

static void test_cmd_runtime(void **state)
{
	struct trace t;

	assert_int_equal(trace_mode(path_in("runtime.json"), "runtime", &t), 0);
	assert_runtime_trace(&t);
	assert_string_equal(json_object_get_string(trace_other(&t, "gpu_timing")), "host-submit");
	/* the host slice and the GPU slice it made share a correlation id and a flow */
	json_object *h = trace_find(&t, "X", "cuMemsetD8Async_ptsz", HOST, 0);
	json_object *g = trace_find(&t, "X", "Memset", GPU, 0);

	assert_int_equal(ev_arg_int(h, "correlation_id"), ev_arg_int(g, "correlation_id"));
	assert_true(ev_num(g, "ts") == ev_num(h, "ts"));
	trace_free(&t);
}

/* Live protobuf output: structurally valid, same content as the JSON test asserts. */
static void test_pftrace_live(void **state)
{
	char *pf = path_in("live.pftrace"), *js = path_in("live-pf.json"), cmd[2048], err[4096];
	char *argv[] = { (char *)bin,	  "--lib", (char *)fakecuda, "-o",	pf,  "-o", js, "--",
			 (char *)fakeapp, "--lib", (char *)fakecuda, "runtime", NULL };
	struct stat ps, jst;

	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	snprintf(
		cmd, sizeof(cmd),
		"--expect '" RT_VEC_ADD_DEMANGLED "=%d' "
		"--expect '" RT_EMPTY_DEMANGLED "=%d' --expect 'cuLaunchKernel_ptsz=%d' "
		"--expect 'cuLaunchKernel=0' --expect 'Memcpy HtoD=2' --expect 'Memcpy DtoH=2' "
		"--expect-arg '" RT_VEC_ADD_DEMANGLED ":grid_dim=[%d,1,1]' "
		"--expect-arg 'Memcpy DtoH:size_bytes=%u' --expect-arg 'Memcpy DtoH:direction=DtoH'",
		RT_ITERS, RT_ITERS, 2 * RT_ITERS, RT_VEC_GRID, RT_BYTES);
	assert_int_equal(check_pftrace(pf, cmd), 0);
	stat(pf, &ps);
	stat(js, &jst);
	assert_true(ps.st_size * 3 <= jst.st_size);
}

/*
 * The toolkit's stub libcuda: the stand-in acting as one, and NVIDIA's own
 * (a copy of it) where the toolkit is installed. Every call says
 * CUDA_ERROR_STUB_LIBRARY; the tracer names it right and says what to do.
 */
static void expect_stub(const char *lib, const char *out)
{
	char *argv[] = { (char *)bin,	  "--lib", (char *)lib, "-o",	  (char *)out, "--",
			 (char *)fakeapp, "--lib", (char *)lib, "triton", NULL };
	char err[4096];
	struct trace t;
	json_object *e;

	assert_int_equal(run_tracer(argv, err, sizeof(err)), 1); /* fakeapp fails */
	assert_non_null(strstr(err, "stub libcuda"));
	assert_non_null(strstr(err, "no GPU work can run with it"));
	assert_int_equal(trace_load(&t, out), 0);
	e = trace_find(&t, "X", "cuInit", HOST, 0);
	assert_non_null(e);
	assert_int_equal(ev_arg_int(e, "result"), 34);
	assert_string_equal(ev_arg_str(e, "result_name"), "CUDA_ERROR_STUB_LIBRARY");
	trace_free(&t);
}

static void test_stub_library(void **state)
{
	static const char nvstub[] = "/usr/local/cuda/lib64/stubs/libcuda.so";
	char copy[300], cmd[700];

	setenv("FAKECUDA_STUB", "1", 1);
	expect_stub(fakecuda, path_in("stub.json"));
	unsetenv("FAKECUDA_STUB");
	if (access(nvstub, R_OK))
		return; /* no CUDA toolkit here: the stand-in case stands */
	/* a copy: never a library another process could map */
	snprintf(copy, sizeof(copy), "%s/nvstub/libcuda.so.1", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/nvstub && cp %s %s", dir, nvstub, copy);
	assert_int_equal(system(cmd), 0);
	expect_stub(copy, path_in("nvstub.json"));
}

/* A program that never calls libcuda: said, with the library that was hooked. */
static void test_no_calls(void **state)
{
	char *argv[] = { (char *)bin,	       "--lib", (char *)fakecuda, "-o",
			 path_in("none.json"), "--",	"true",		  NULL };
	char err[4096];

	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "no CUDA calls captured"));
	assert_non_null(strstr(err, fakecuda));
}

/* Stats on a live run: --stats on stdout, and a JSON report as one more output. */
static void test_stats_live(void **state)
{
	char cmd[2048];
	json_object *st, *k, *v;
	size_t i;
	long long launches = -1;

	snprintf(cmd, sizeof(cmd),
		 "%s --lib %s --stats -o %s -o stats-json:%s -- %s --lib %s runtime 2>%s >%s", bin,
		 fakecuda, path_in("st.json"), path_in("st.stats"), fakeapp, fakecuda,
		 path_in("stats.txt"), path_in("app-stdout.txt"));
	assert_int_equal(system(cmd), 0);
	/* the tables go to stderr: the traced program's stdout is its own */
	snprintf(cmd, sizeof(cmd), "grep -q 'Top kernels' %s", path_in("app-stdout.txt"));
	assert_int_not_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "grep -q 'Top kernels by launch count' %s && grep -q "
		 "'cuLaunchKernel  *200 *0' %s",
		 path_in("stats.txt"), path_in("stats.txt"));
	assert_int_equal(system(cmd), 0);
	st = json_object_from_file(path_in("st.stats"));
	assert_non_null(st);
	assert_true(json_object_object_get_ex(st, "kernels", &k));
	for (i = 0; i < json_object_array_length(k); i++) {
		json_object *e = json_object_array_get_idx(k, i);

		if (json_object_object_get_ex(e, "name", &v) &&
		    !strcmp(json_object_get_string(v), RT_VEC_ADD_DEMANGLED) &&
		    json_object_object_get_ex(e, "launches", &v))
			launches = json_object_get_int64(v);
	}
	assert_int_equal(launches, RT_ITERS);
	json_object_put(st);
}

/*
 * The perf-event uprobe fallback (kernels before 6.6) traces the same; its
 * probes are let go by a child in the background, waited for here so the
 * next test attaches to a quiet kernel.
 */
static void test_perf_uprobes(void **state)
{
	char *out = path_in("perf.json"), err[8192], *bg;
	char *argv[] = { (char *)bin, "-v", "--lib",	     (char *)fakecuda, "-o",
			 out,	      "--", (char *)fakeapp, "--lib",	       (char *)fakecuda,
			 "runtime",   NULL };
	struct trace t;
	int i, child = 0;

	setenv("TRACESMITH_NO_UPROBE_MULTI", "1", 1);
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	unsetenv("TRACESMITH_NO_UPROBE_MULTI");
	assert_int_equal(trace_load(&t, out), 0);
	assert_runtime_trace(&t);
	trace_free(&t);
	bg = strstr(err, "detach in the background (pid ");
	assert_non_null(bg);
	child = atoi(bg + strlen("detach in the background (pid "));
	assert_true(child > 0);
	for (i = 0; i < 600 && !kill(child, 0); i++)
		usleep(100000);
	assert_int_equal(kill(child, 0), -1);
}

static void test_cmd_torch(void **state)
{
	static const long long fg[3] = { 1024, 1, 1 }, fb[3] = { 128, 1, 1 }, rg[3] = { 1, 1, 1 },
			       rb[3] = { 512, 1, 1 }, gg[3] = { 16, 8, 1 };
	struct trace t;

	assert_int_equal(trace_mode(path_in("torch.json"), "torch", &t), 0);
	assert_sane(&t);
	assert_kernels(&t, TORCH_FILL_DEMANGLED, TORCH_FILL_N, fg, fb);
	assert_kernels(&t, TORCH_REDUCE_DEMANGLED, TORCH_REDUCE_N, rg, rb);
	/* launched by CUkernel handle: named through cuLibraryGetKernel */
	assert_kernels(&t, TORCH_GEMM, TORCH_GEMM_N, gg, fb);
	assert_int_equal(ev_arg_int(trace_find(&t, "X", TORCH_REDUCE_DEMANGLED, GPU, 0),
				    "shared_memory_bytes"),
			 TORCH_REDUCE_SHMEM);
	assert_int_equal(trace_count(&t, "X", NULL, GPU),
			 TORCH_FILL_N + TORCH_REDUCE_N + TORCH_GEMM_N);
	assert_string_equal(ev_arg_str(trace_find(&t, "X", "cuKernelGetName", HOST, 0), "name"),
			    TORCH_FILL);
	trace_free(&t);
}

static void test_cmd_triton(void **state)
{
	static const long long g[3] = { TRITON_GRID, 1, 1 }, b[3] = { TRITON_BLOCK, 1, 1 };
	struct trace t;
	json_object *e;

	assert_int_equal(trace_mode(path_in("triton.json"), "triton", &t), 0);
	assert_sane(&t);
	assert_kernels(&t, TRITON_KERNEL, TRITON_N, g, b);
	e = trace_find(&t, "X", TRITON_KERNEL, GPU, 0);
	assert_non_null(
		strstr(trace_thread_name(&t, ev_int(e, "pid"), ev_int(e, "tid")), "Stream 0x"));
	assert_sync_covers(&t, "cuStreamSynchronize", 1);
	trace_free(&t);
}

static void test_cmd_launchex(void **state)
{
	static const long long g[3] = { 8, 4, 2 }, b[3] = { 128, 1, 1 };
	struct trace t;
	int i;

	assert_int_equal(trace_mode(path_in("launchex.json"), "launchex", &t), 0);
	assert_sane(&t);
	assert_kernels(&t, LAUNCHEX_KERNEL, LAUNCHEX_N, g, b);
	for (i = 0; i < LAUNCHEX_N; i++) {
		json_object *e = trace_find(&t, "X", LAUNCHEX_KERNEL, GPU, i);

		assert_true(ev_arg_dim3(e, "cluster_dim", 2, 1, 1));
		assert_int_equal(ev_arg_int(e, "shared_memory_bytes"), LAUNCHEX_SHMEM);
		assert_non_null(strstr(ev_arg_str(e, "stream_handle"), "0x"));
		assert_true(ev_arg_int(e, "stream") > 0);
	}
	assert_int_equal(trace_count(&t, "X", "cuLaunchKernelEx", HOST), LAUNCHEX_N);
	trace_free(&t);
}

/* Every dimension distinct: BPF's packing and the decoder's unpacking, axis by axis. */
static void test_cmd_cluster(void **state)
{
	static const long long g[3] = { CLUSTER_GRID }, b[3] = { CLUSTER_BLOCK },
			       cl[3] = { CLUSTER_DIM };
	static const char *const keys[3] = { "grid_dim", "block_dim", "cluster_dim" };
	const long long *want[3] = { g, b, cl };
	struct trace t;
	const char *why;
	int i, k;

	assert_int_equal(trace_mode(path_in("cluster.json"), "cluster", &t), 0);
	assert_sane(&t);
	assert_int_equal(trace_count(&t, "X", CLUSTER_KERNEL, GPU), CLUSTER_N);
	for (i = 0; i < CLUSTER_N; i++) {
		json_object *e = trace_find(&t, "X", CLUSTER_KERNEL, GPU, i);

		for (k = 0; k < 3; k++)
			if ((why = ev_arg_dim3_diff(e, keys[k], want[k])))
				fail_msg("cuLaunchKernelEx's launch %d: %s", i, why);
		assert_int_equal(ev_arg_int(e, "shared_memory_bytes"), CLUSTER_SHMEM);
	}
	trace_free(&t);
}

/* Handles only cuFuncGetName / cuKernelGetName name: their launches carry the whole name. */
static void test_cmd_getname(void **state)
{
	static const char *const want[2] = { GETNAME_FUNC, GETNAME_KERNEL };
	struct trace t;
	json_object *e;
	const char *got;
	int i;

	assert_int_equal(trace_mode(path_in("getname.json"), "getname", &t), 0);
	assert_sane(&t);
	assert_int_equal(trace_count(&t, "X", NULL, GPU), 2 * GETNAME_N);
	for (i = 0; (e = trace_find(&t, "X", NULL, GPU, i)); i++) {
		got = ev_str(e, "name");
		if (strcmp(got, want[i % 2]))
			fail_msg("launch %d of the handle %s named is \"%s\", not \"%s\": the name "
				 "was not stored whole",
				 i, i % 2 ? "cuKernelGetName" : "cuFuncGetName", got, want[i % 2]);
	}
	assert_string_equal(ev_arg_str(trace_find(&t, "X", "cuFuncGetName", HOST, 0), "name"),
			    GETNAME_FUNC);
	assert_string_equal(ev_arg_str(trace_find(&t, "X", "cuKernelGetName", HOST, 0), "name"),
			    GETNAME_KERNEL);
	trace_free(&t);
}

static void test_cmd_threads(void **state)
{
	static const long long g[3] = { 32, 1, 1 }, b[3] = { 64, 1, 1 };
	struct trace t;
	json_object *e;
	char name[16];
	int i, dev1 = 0;

	assert_int_equal(trace_mode(path_in("threads.json"), "threads", &t), 0);
	assert_sane(&t);
	assert_kernels(&t, THREADS_KERNEL, THREADS_N * THREADS_LAUNCHES, g, b);
	for (i = 0; i < THREADS_N; i++) {
		snprintf(name, sizeof(name), "worker-%d", i);
		assert_non_null(trace_find(&t, "M", "thread_name", HOST, 0));
		assert_true(strstr(json_object_to_json_string(t.root), name) != NULL);
	}
	for (i = 0; (e = trace_find(&t, "X", THREADS_KERNEL, GPU, i)); i++)
		dev1 += ev_int(e, "pid") == GPU_PID_BASE + 1;
	/* odd threads made device 1's context current */
	assert_int_equal(dev1, THREADS_N / 2 * THREADS_LAUNCHES);
	assert_string_equal(trace_process_name(&t, GPU_PID_BASE + 1), "GPU Device 1");
	assert_copies(&t, "Memcpy HtoD", "HtoD", THREADS_N, THREADS_COPY_BYTES);
	assert_sync_covers(&t, "cuStreamSynchronize", THREADS_N);
	trace_free(&t);
}

static void test_cmd_fail(void **state)
{
	struct trace t;
	json_object *e;

	assert_int_equal(trace_mode(path_in("fail.json"), "fail", &t), 0);
	e = trace_find(&t, "X", "cuMemAlloc_v2", HOST, 0);
	assert_int_equal(ev_arg_int(e, "result"), CUDA_ERROR_OUT_OF_MEMORY);
	assert_string_equal(ev_arg_str(e, "result_name"), "CUDA_ERROR_OUT_OF_MEMORY");
	assert_int_equal(ev_arg_int(e, "size_bytes"), (long long)FAIL_ALLOC_BYTES);
	e = trace_find(&t, "X", "cuModuleGetFunction", HOST, 0);
	assert_int_equal(ev_arg_int(e, "result"), CUDA_ERROR_NOT_FOUND);
	assert_string_equal(ev_arg_str(e, "name"), "no_such_kernel");
	/* a failed allocation allocated nothing */
	assert_int_equal(trace_count(&t, "C", NULL, ANY), 0);
	assert_null(ev_arg(trace_find(&t, "X", "cuInit", HOST, 0), "result_name"));
	trace_free(&t);
}

/* -p: attach to a process that has loaded libcuda; library found from its maps. */
static void test_pid_mode(void **state)
{
	char *go = path_in("go-pid"), *out = path_in("pid.json"), pidstr[16], err[4096] = "";
	char *app[] = { (char *)fakeapp, "--lib", (char *)fakecuda, "--preload",
			"--wait-file",	 go,	  "runtime",	    NULL };
	pid_t app_pid = start(app, NULL), tr;
	char *argv[] = { (char *)bin, "-p", pidstr, "-o", out, NULL };
	struct trace t;
	int fd;

	usleep(200000); /* let it dlopen */
	snprintf(pidstr, sizeof(pidstr), "%d", app_pid);
	tr = start(argv, &fd);
	assert_true(wait_for(fd, "tracing pid", err, sizeof(err), 30000));
	close(creat(go, 0644));
	assert_int_equal(wait_status(app_pid), 0);
	/* it stops by itself once the process is gone */
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	assert_runtime_trace(&t);
	trace_free(&t);
}

/* -a: every process using the library, including ones started after attach. */
static void test_all_mode(void **state)
{
	char *out = path_in("all.json"), err[4096] = "";
	char *argv[] = { (char *)bin, "-a", "--lib", (char *)fakecuda, "-o", out, NULL };
	char *app[] = { (char *)fakeapp, "--lib", (char *)fakecuda, "triton", NULL };
	static const long long g[3] = { TRITON_GRID, 1, 1 }, b[3] = { TRITON_BLOCK, 1, 1 };
	struct trace t;
	pid_t tr, a1, a2;
	int fd;

	tr = start(argv, &fd);
	assert_true(wait_for(fd, "tracing every process", err, sizeof(err), 30000));
	a1 = start(app, NULL);
	a2 = start(app, NULL);
	assert_int_equal(wait_status(a1), 0);
	assert_int_equal(wait_status(a2), 0);
	usleep(200000);
	interrupt_and_load(tr, fd, out, &t);
	assert_sane(&t);
	assert_true(json_object_get_boolean(trace_other(&t, "system_wide")));
	assert_kernels(&t, TRITON_KERNEL, 2 * TRITON_N, g, b);
	assert_non_null(trace_process_name(&t, a1));
	assert_non_null(trace_process_name(&t, a2));
	trace_free(&t);
}

/*
 * -a without --lib: two "containers", each with its own copy of libcuda (a
 * different file), both already loaded by running processes: both hooked.
 * --lib-under keeps the scan inside the test's folder, as on a GPU node.
 */
static void test_all_mode_copies(void **state)
{
	char *go = path_in("go-copies"), *out = path_in("copies.json"), err[4096] = "";
	char lib1[256], lib2[256], cmd[1024];
	/* only the copies under our folder: never a libcuda this test did not make */
	char *argv[] = { (char *)bin, "-a", "--lib-under", dir, "-v", "-o", out, NULL };
	char *app1[] = { (char *)fakeapp, "--lib", lib1,     "--preload",
			 "--wait-file",	  go,	   "triton", NULL };
	char *app2[] = { (char *)fakeapp, "--lib", lib2,     "--preload",
			 "--wait-file",	  go,	   "triton", NULL };
	static const long long g[3] = { TRITON_GRID, 1, 1 }, b[3] = { TRITON_BLOCK, 1, 1 };
	struct trace t;
	pid_t tr, a1, a2;
	int fd;

	snprintf(lib1, sizeof(lib1), "%s/c1/libcuda.so.1", dir);
	snprintf(lib2, sizeof(lib2), "%s/c2/libcuda.so.1", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/c1 %s/c2 && cp %s %s && cp %s %s", dir, dir,
		 fakecuda, lib1, fakecuda, lib2);
	assert_int_equal(system(cmd), 0);
	a1 = start(app1, NULL);
	a2 = start(app2, NULL);
	usleep(300000); /* both have dlopen'ed their copy */
	tr = start(argv, &fd);
	assert_true(wait_for(fd, "tracing every process", err, sizeof(err), 30000));
	close(creat(go, 0644));
	assert_int_equal(wait_status(a1), 0);
	assert_int_equal(wait_status(a2), 0);
	usleep(200000);
	interrupt_and_load(tr, fd, out, &t);
	assert_kernels(&t, TRITON_KERNEL, 2 * TRITON_N, g, b);
	trace_free(&t);
}

/* -d: the tracer stops by itself, with a valid trace of what it saw. */
static void test_duration(void **state)
{
	char *out = path_in("duration.json"), err[4096];
	char *argv[] = {
		(char *)bin, "-a", "--lib", (char *)fakecuda, "-d", "0.5", "-o", out, NULL
	};
	struct trace t;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 10);
	assert_int_equal(trace_load(&t, out), 0);
	assert_true(json_object_get_boolean(trace_other(&t, "system_wide")));
	assert_true(json_object_get_int64(trace_other(&t, "clock_base_boottime_ns")) > 0);
	trace_free(&t);
}

/* Ctrl-C mid-run: the trace is valid and holds what ran; the command is stopped. */
static void test_sigint(void **state)
{
	char *out = path_in("sigint.json");
	char *argv[] = { (char *)bin,
			 "--lib",
			 (char *)fakecuda,
			 "-o",
			 out,
			 "-o",
			 path_in("sigint.pftrace"),
			 "--",
			 (char *)fakeapp,
			 "--lib",
			 (char *)fakecuda,
			 "--forever",
			 "threads",
			 NULL };
	struct trace t;
	pid_t tr;
	int fd;

	tr = start(argv, &fd);
	usleep(1500000);
	interrupt_and_load(tr, fd, out, &t);
	assert_true(trace_count(&t, "X", THREADS_KERNEL, GPU) >= THREADS_LAUNCHES);
	assert_int_equal(trace_partial_overlaps(&t), 0);
	assert_non_null(trace_other(&t, "dropped_events"));
	trace_free(&t);
	/* the protobuf written alongside: every slice ended, still a valid trace */
	assert_int_equal(check_pftrace(path_in("sigint.pftrace"), NULL), 0);
}

/* Stopped while a synchronize hangs: the call is in the trace, up to the stop. */
static void test_unfinished_call(void **state)
{
	char *out = path_in("hang.json"), *mark = path_in("hang.mark");
	char *argv[] = { (char *)bin,	  "--lib", (char *)fakecuda, "-o",     out, "--",
			 (char *)fakeapp, "--lib", (char *)fakecuda, "triton", NULL };
	struct trace t;
	json_object *e;
	pid_t tr;
	int fd;

	setenv("FAKECUDA_SYNC_US", "60000000", 1);
	setenv("FAKECUDA_SYNC_MARK", mark, 1);
	tr = start(argv, &fd);
	unsetenv("FAKECUDA_SYNC_US");
	unsetenv("FAKECUDA_SYNC_MARK");
	/* the synchronize has begun (its mark made inside it); then over a second more */
	wait_path(mark, 60000);
	usleep(1200000);
	interrupt_and_load(tr, fd, out, &t);
	assert_int_equal(trace_count(&t, "X", TRITON_KERNEL, GPU), TRITON_N);
	e = trace_find(&t, "X", "cuStreamSynchronize", HOST, 0);
	assert_non_null(e);
	assert_int_equal(ev_arg_int(e, "unfinished"), 1);
	assert_true(ev_num(e, "dur") > 1000000.0); /* hung for over a second when stopped */
	assert_int_equal(trace_partial_overlaps(&t), 0);
	trace_free(&t);
}

static void test_errors(void **state)
{
	char *out = path_in("err.json");
	char *no_pid[] = { (char *)bin, "-p", "999999", "-o", out, NULL };
	char *no_lib[] = { (char *)bin, "--lib", "/nonexistent/libcuda.so.1", "-o", out, "--",
			   "/bin/true", NULL };
	char *not_cuda[] = { (char *)bin, "--lib", "/bin/ls", "-o", out, "--", "/bin/true", NULL };
	char *bad_ext[] = { (char *)bin,      "--lib", (char *)fakecuda, "-o",
			    path_in("x.txt"), "--",    "/bin/true",	 NULL };
	char *no_target[] = { (char *)bin, "-o", out, NULL };
	char *bad_dir[] = { (char *)bin,	   "--lib", (char *)fakecuda, "-o",
			    "/nonexistent/t.json", "--",    "/bin/true",      NULL };

	char *nonroot[] = { "/usr/bin/setpriv",
			    "--reuid=65534",
			    "--regid=65534",
			    "--clear-groups",
			    (char *)bin,
			    "--lib",
			    (char *)fakecuda,
			    "-o",
			    out,
			    "--",
			    "/bin/true",
			    NULL };

	if (!access(nonroot[0], X_OK))
		expect_error(nonroot,
			     "tracing needs root, or the capabilities CAP_BPF and CAP_PERFMON");
	expect_error(no_pid, "no process with pid 999999");
	expect_error(no_lib, "no such file");
	expect_error(not_cuda, "exports none of the CUDA driver API");
	expect_error(bad_ext, "unknown output format");
	expect_error(no_target, "say what to trace");
	expect_error(bad_dir, "cannot write /nonexistent/t.json");
	/* no file was left behind by a run that never started */
	assert_int_equal(access(path_in("x.txt"), F_OK), -1);
}

/* A full disk: the failing output says so, the run exits 1, the capture beside it is whole. */
static void test_full_disk(void **state)
{
	char *full = path_in("full"), *cap = path_in("beside.tsbpf"), err[4096], json[300];
	char *argv[] = { (char *)bin,	  "--lib", (char *)fakecuda, "-o",  json, "-o", cap, "--",
			 (char *)fakeapp, "--lib", (char *)fakecuda, "all", NULL };
	char *replay[] = { (char *)bin, "replay", cap, "-o", path_in("beside.json"), NULL };
	struct trace t;
	int fd, st;
	pid_t pid;

	snprintf(json, sizeof(json), "%s/t.json", full);
	mkdir(full, 0755);
	if (mount("tmpfs", full, "tmpfs", 0, "size=64k"))
		skip();
	pid = start(argv, &fd);
	err[0] = '\0';
	st = collect(pid, fd, err, sizeof(err));
	umount(full);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "No space left on device"));
	assert_int_equal(run_tracer(replay, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, path_in("beside.json")), 0);
	assert_int_equal(trace_count(&t, "X", RT_VEC_ADD_DEMANGLED, GPU), RT_ITERS);
	assert_int_equal(trace_count(&t, "X", TRITON_KERNEL, GPU), TRITON_N);
	trace_free(&t);
}

/* Live JSON and JSON replayed from the capture of the same run are identical. */
static void test_live_equals_replay(void **state)
{
	char *json = path_in("live.json"), *cap = path_in("live.tsbpf"), *rep = path_in("rep.json");
	char *argv[] = { (char *)bin,	  "--lib", (char *)fakecuda, "-o",  json, "-o", cap, "--",
			 (char *)fakeapp, "--lib", (char *)fakecuda, "all", NULL };
	char *replay[] = { (char *)bin, "replay", cap, "-o", rep, NULL };
	char err[4096], cmd[1024];

	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	assert_int_equal(run_tracer(replay, err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", json, rep);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_runtime),	cmocka_unit_test(test_cmd_torch),
		cmocka_unit_test(test_cmd_triton),	cmocka_unit_test(test_cmd_launchex),
		cmocka_unit_test(test_cmd_threads),	cmocka_unit_test(test_cmd_fail),
		cmocka_unit_test(test_pid_mode),	cmocka_unit_test(test_all_mode),
		cmocka_unit_test(test_all_mode_copies), cmocka_unit_test(test_sigint),
		cmocka_unit_test(test_unfinished_call), cmocka_unit_test(test_duration),
		cmocka_unit_test(test_errors),		cmocka_unit_test(test_live_equals_replay),
		cmocka_unit_test(test_pftrace_live),	cmocka_unit_test(test_stats_live),
		cmocka_unit_test(test_full_disk),	cmocka_unit_test(test_perf_uprobes),
		cmocka_unit_test(test_stub_library),	cmocka_unit_test(test_no_calls),
		cmocka_unit_test(test_cmd_cluster),	cmocka_unit_test(test_cmd_getname),
	};

	if (!tracer_root("test_run_trace"))
		return getenv("CI") != NULL;
	if (getenv("TS_TEST_FILTER")) /* run some: TS_TEST_FILTER='test_cmd*' */
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("bpf", tests, tracer_setup, NULL);
}
