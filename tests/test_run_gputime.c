// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --gpu-time: real BPF traces of the stand-in driver with the stand-in
 * libcupti (tests/fakecupti), whose GPU durations are known in advance.
 * Every GPU slice must carry exactly those durations, start no earlier than
 * the stand-in's GPU delay after its call, and be joined to the exact call
 * that submitted it, across threads, streams and graph launches; every way
 * CUPTI fails must leave the program's exit status and a full host-timed
 * trace.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>
#include <cmocka.h>
#include "fakecupti/fake_prof.h"
#include "tracer_run.h"
#include "workloads.h"

static const char *fakecupti;

/* tracesmith-bpf --gpu-time --cupti FAKE -o out [-o out2] -- fakeapp MODE; its exit status */
static int trace_gpu(const char *mode, const char *cupti_mode, const char *out, const char *out2,
		     char *err, size_t len)
{
	char *argv[] = { (char *)bin,
			 "--lib",
			 (char *)fakecuda,
			 "--gpu-time",
			 "--cupti",
			 (char *)fakecupti,
			 "-o",
			 (char *)out,
			 "-o",
			 (char *)out2,
			 "--",
			 (char *)fakeapp,
			 "--lib",
			 (char *)fakecuda,
			 (char *)mode,
			 NULL };
	int st;

	if (!out2) /* drop "-o out2" */
		memmove(&argv[8], &argv[10], 6 * sizeof(argv[0]));
	if (cupti_mode)
		setenv("FAKECUPTI_MODE", cupti_mode, 1);
	st = run_tracer(argv, err, len);
	unsetenv("FAKECUPTI_MODE");
	return st;
}

static long long other_int(const struct trace *t, const char *key)
{
	json_object *o = trace_other(t, key);

	return o ? json_object_get_int64(o) : -1;
}

static long long ns(json_object *e, const char *key)
{
	return (long long)(ev_num(e, key) * 1000.0 + 0.5);
}

/* The host slice whose flow the GPU slice ends, or NULL. */
static json_object *submitter(const struct trace *t, json_object *gpu)
{
	long long corr = ev_arg_int(gpu, "correlation_id");
	json_object *e;
	int i;

	for (i = 0; (e = trace_find(t, "X", NULL, HOST, i)); i++)
		if (ev_arg_int(e, "correlation_id") == corr && ev_int(e, "pid") < GPU_PID_BASE)
			return e;
	return NULL;
}

/*
 * On each thread, the measured GPU slices are one unbroken run: a slice drawn
 * host-timed was submitted before the first measured one (while CUPTI was
 * being started in the process) or after the last (once it was stopped),
 * never between, where it would mean a record lost. Per thread, because
 * threads race the start and the stop.
 */
#define MAX_TIDS 1024 /* each round of the workload starts new threads */

struct tid_order {
	long long tid, first_measured, last_measured;
};

static struct tid_order *tid_order(struct tid_order *o, int *n, long long tid)
{
	int i;

	for (i = 0; i < *n; i++)
		if (o[i].tid == tid)
			return &o[i];
	assert_true(*n < MAX_TIDS);
	o[*n] = (struct tid_order){ tid, LLONG_MAX, -1 };
	return &o[(*n)++];
}

/* What the host call with each correlation id began at, and on which thread. */
struct submits {
	long long max_corr, *ts, *tid;
};

static void submits_load(const struct trace *t, struct submits *s)
{
	json_object *e;
	long long corr;
	size_t i;

	s->max_corr = 0;
	for (i = 0; i < t->n; i++)
		if ((e = trace_event(t, i)) && ev_arg_int(e, "correlation_id") > s->max_corr)
			s->max_corr = ev_arg_int(e, "correlation_id");
	s->ts = calloc(s->max_corr + 1, sizeof(*s->ts));
	s->tid = calloc(s->max_corr + 1, sizeof(*s->tid));
	assert_true(s->ts && s->tid);
	for (i = 0; i < t->n; i++) {
		e = trace_event(t, i);
		if (!e || strcmp(ev_str(e, "ph"), "X") || ev_int(e, "pid") >= GPU_PID_BASE ||
		    (corr = ev_arg_int(e, "correlation_id")) <= 0)
			continue;
		s->ts[corr] = ns(e, "ts");
		s->tid[corr] = ev_int(e, "tid");
	}
}

/*
 * The thread and submit time of GPU slice e, and whether it was measured;
 * false if e is no GPU slice with a submitter.
 */
static bool gpu_submit(const struct submits *s, json_object *e, struct tid_order **o,
		       struct tid_order *order, int *n, long long *ts, bool *measured)
{
	long long corr = ev_arg_int(e, "correlation_id");
	const char *timing = ev_arg_str(e, "timing");

	if (strcmp(ev_str(e, "ph"), "X") || ev_int(e, "pid") < GPU_PID_BASE || !timing ||
	    corr <= 0 || corr > s->max_corr || !s->ts[corr])
		return false;
	*o = tid_order(order, n, s->tid[corr]);
	*ts = s->ts[corr];
	*measured = strcmp(timing, "host") != 0;
	return true;
}

static void assert_measured_unbroken(const struct trace *t)
{
	static struct tid_order order[MAX_TIDS];
	struct tid_order *o;
	struct submits s;
	int n = 0, measured = 0;
	long long ts;
	size_t i;
	bool m;

	submits_load(t, &s);
	for (i = 0; i < t->n; i++) {
		if (!gpu_submit(&s, trace_event(t, i), &o, order, &n, &ts, &m) || !m)
			continue;
		measured++;
		if (ts < o->first_measured)
			o->first_measured = ts;
		if (ts > o->last_measured)
			o->last_measured = ts;
	}
	assert_true(measured > 0);
	for (i = 0; i < t->n; i++)
		if (gpu_submit(&s, trace_event(t, i), &o, order, &n, &ts, &m) && !m)
			assert_false(ts > o->first_measured && ts < o->last_measured);
	free(s.ts);
	free(s.tid);
}

/*
 * Each measured slice named name: its duration exactly want_ns, its start at
 * least the stand-in's delay after its call began, the call the one whose
 * flow it ends. Returns how many there were.
 */
static int check_measured(const struct trace *t, const char *name, long long want_ns,
			  long long err_ns)
{
	json_object *e, *h;
	int i, n = 0;

	for (i = 0; (e = trace_find(t, "X", name, GPU, i)); i++) {
		if (strcmp(ev_arg_str(e, "timing"), "gpu"))
			continue;
		n++;
		if (want_ns)
			assert_int_equal(ns(e, "dur"), want_ns);
		h = submitter(t, e);
		assert_non_null(h);
		assert_true(ns(e, "ts") + err_ns >= ns(h, "ts") + (long long)FAKE_GPU_DELAY_NS);
	}
	return n;
}

static void test_gpu_time_runtime(void **state)
{
	char *json = path_in("gt.json"), *cap = path_in("gt.tsbpf"), *rep = path_in("gt-rep.json");
	char *replay[] = { (char *)bin, "replay", cap, "-o", rep, NULL };
	char err[4096], cmd[1024];
	struct trace t;
	long long e;

	assert_int_equal(trace_gpu("runtime", NULL, json, cap, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, json), 0);
	e = other_int(&t, "gpu_clock_error_bound_ns");
	assert_true(e > 0 && e < 1000000);
	/* every kernel, copy and memset measured; the 5 empty-graph launches ran nothing */
	assert_string_equal(json_object_get_string(trace_other(&t, "gpu_timing")), "mixed");
	assert_int_equal(other_int(&t, "gpu_slices_measured"), 2 * RT_ITERS + 6);
	assert_int_equal(other_int(&t, "gpu_slices_host_timed"), RT_GRAPH_LAUNCHES);
	assert_int_equal(other_int(&t, "gpu_slices_not_joined"), 0);
	assert_int_equal(other_int(&t, "cupti_dropped_records"), 0);
	assert_int_equal(check_measured(&t, RT_VEC_ADD_DEMANGLED,
					FAKE_KERNEL_NS(RT_VEC_GRID, RT_VEC_BLOCK), e),
			 RT_ITERS);
	assert_int_equal(check_measured(&t, RT_EMPTY_DEMANGLED, FAKE_KERNEL_NS(1, 1), e), RT_ITERS);
	assert_int_equal(check_measured(&t, "Memcpy HtoD", FAKE_COPY_NS(RT_BYTES), e), 2);
	assert_int_equal(check_measured(&t, "Memset", FAKE_MEMSET_NS(RT_BYTES), e), 1);
	/* CUPTI's kernel facts on each measured kernel, and the occupancy they imply on
	 * the stand-in's H100: 40 registers, 6 blocks of 256 threads an SM: 75% */
	{
		json_object *k = trace_find(&t, "X", RT_VEC_ADD_DEMANGLED, GPU, 0);

		assert_int_equal(ev_arg_int(k, "registers_per_thread"), FAKE_KERNEL_REGS);
		assert_int_equal(ev_arg_int(k, "static_shared_memory"), FAKE_KERNEL_STATIC_SHMEM);
		assert_int_equal(ev_arg_int(k, "dynamic_shared_memory"), 0);
		assert_int_equal(ev_arg_int(k, "local_memory_per_thread"), FAKE_KERNEL_LOCAL_MEM);
		assert_int_equal(ev_arg_int(k, "local_memory_total"), FAKE_KERNEL_LOCAL_MEM_TOTAL);
		assert_int_equal(ev_arg_int(k, "est_achieved_occupancy_pct"), 75);
	}
	/* measured slices are on the stream's own track, not the "(submitted)" one */
	assert_null(strstr(
		trace_thread_name(&t,
				  ev_int(trace_find(&t, "X", RT_VEC_ADD_DEMANGLED, GPU, 0), "pid"),
				  ev_int(trace_find(&t, "X", RT_VEC_ADD_DEMANGLED, GPU, 0), "tid")),
		"submitted"));
	assert_int_equal(trace_partial_overlaps(&t), 0);
	assert_int_equal(trace_unmatched_flows(&t), 0);
	trace_free(&t);
	/* what Holistic Trace Analysis needs, each copy and memset with its bandwidth */
	snprintf(cmd, sizeof(cmd), "tests/check_kineto.py %s --measured --min-gpu %d >/dev/null",
		 json, 2 * RT_ITERS + 6);
	assert_int_equal(system(cmd), 0);
	/* the capture holds the GPU records: replayed, the same trace byte for byte */
	assert_int_equal(run_tracer(replay, err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", json, rep);
	assert_int_equal(system(cmd), 0);
}

/* GPU work on one stream handle has one integer stream id; other handles, other ids. */
static void stream_ids_agree(const struct trace *t, json_object *e)
{
	json_object *o;
	int i;

	for (i = 0; (o = trace_find(t, "X", THREADS_KERNEL, GPU, i)); i++)
		assert_int_equal(
			!strcmp(ev_arg_str(o, "stream_handle"), ev_arg_str(e, "stream_handle")),
			ev_arg_int(o, "stream") == ev_arg_int(e, "stream"));
}

/* Four threads, each on its own stream: each kernel joined to its own thread's call. */
static void test_gpu_time_threads(void **state)
{
	char *json = path_in("gt-thr.json"), *pf = path_in("gt-thr.pftrace"), err[4096];
	long long tids[THREADS_N] = { 0 }, tid;
	int counts[THREADS_N] = { 0 }, i, j;
	json_object *e, *h;
	struct trace t;

	assert_int_equal(trace_gpu("threads", NULL, json, pf, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, json), 0);
	assert_string_equal(json_object_get_string(trace_other(&t, "gpu_timing")), "gpu");
	assert_int_equal(check_measured(&t, THREADS_KERNEL, FAKE_KERNEL_NS(32, 64),
					other_int(&t, "gpu_clock_error_bound_ns")),
			 THREADS_N * THREADS_LAUNCHES);
	for (i = 0; (e = trace_find(&t, "X", THREADS_KERNEL, GPU, i)); i++) {
		h = submitter(&t, e);
		assert_string_equal(ev_str(h, "name"), "cuLaunchKernel");
		/* the same stream the call named, and CUPTI's id for it */
		assert_string_equal(ev_arg_str(e, "stream_handle"), ev_arg_str(h, "stream"));
		stream_ids_agree(&t, e);
		tid = ev_int(h, "tid");
		for (j = 0; j < THREADS_N; j++) {
			if (tids[j] && tids[j] != tid)
				continue;
			tids[j] = tid;
			counts[j]++;
			break;
		}
		assert_true(j < THREADS_N); /* no fifth thread */
	}
	for (j = 0; j < THREADS_N; j++)
		assert_int_equal(counts[j], THREADS_LAUNCHES);
	assert_int_equal(check_measured(&t, "Memcpy HtoD", FAKE_COPY_NS(THREADS_COPY_BYTES),
					other_int(&t, "gpu_clock_error_bound_ns")),
			 THREADS_N);
	assert_int_equal(trace_unmatched_flows(&t), 0);
	trace_free(&t);
	assert_int_equal(check_pftrace(pf, "--expect '" THREADS_KERNEL "=100'"), 0);
}

/* Graph launches: each node its own measured slice, tied to its cuGraphLaunch. */
static void test_gpu_time_graphs(void **state)
{
	char *json = path_in("gt-graphs.json"), *st = path_in("gt-graphs.stats.json"), err[4096];
	char stats_out[300];
	json_object *e, *h, *root, *ks, *k;
	struct trace t;
	int i, nodes = 0;

	snprintf(stats_out, sizeof(stats_out), "stats-json:%s", st);
	assert_int_equal(trace_gpu("graphs", NULL, json, stats_out, err, sizeof(err)), 0);
	/* the stats say GPU time, and sum the measured durations */
	root = json_object_from_file(st);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "kernels", &ks));
	for (i = 0; i < (int)json_object_array_length(ks); i++) {
		k = json_object_array_get_idx(ks, i);
		if (strcmp(json_object_get_string(ev_field(k, "name")), GRAPH_A))
			continue;
		assert_int_equal(json_object_get_int64(ev_field(k, "gpu_ns")),
				 GRAPH_A_N * GRAPH_LAUNCHES *
						 FAKE_KERNEL_NS(GRAPH_GRID, GRAPH_BLOCK) +
					 FAKE_KERNEL_NS(GRAPH_NODE_GRID, GRAPH_BLOCK) +
					 FAKE_KERNEL_NS(GRAPH_NODE_GRID2, GRAPH_BLOCK));
		break;
	}
	assert_true(i < (int)json_object_array_length(ks));
	json_object_put(root);
	assert_int_equal(trace_load(&t, json), 0);
	assert_string_equal(json_object_get_string(trace_other(&t, "gpu_timing")), "gpu");
	assert_int_equal(other_int(&t, "gpu_slices_not_joined"), 0);
	assert_int_equal(check_measured(&t, GRAPH_A, 0, 0), GRAPH_A_RUN);
	assert_int_equal(check_measured(&t, GRAPH_B, 0, 0), GRAPH_B_RUN);
	assert_int_equal(check_measured(&t, GRAPH_C, 0, 0), GRAPH_C_RUN);
	for (i = 0; (e = trace_find(&t, "X", NULL, GPU, i)); i++) {
		if (!ev_arg(e, "graph_node_id"))
			continue;
		nodes++;
		h = submitter(&t, e);
		assert_string_equal(ev_str(h, "name"), "cuGraphLaunch");
		assert_string_equal(ev_arg_str(e, "graph_exec"), ev_arg_str(h, "graph_exec"));
	}
	/* 4 launches of the 6-op capture, 2 of the 4-node graph, 1 of the 2-kernel update */
	assert_int_equal(nodes, GRAPH_LAUNCHES * 6 + 2 * 4 + GRAPH_C_N);
	assert_int_equal(trace_count(&t, "X", "cuGraphLaunch", HOST), GRAPH_LAUNCHES + 3);
	assert_int_equal(trace_unmatched_flows(&t), 0);
	trace_free(&t);
}

/* CUPTI that will not start: the program runs on, the trace is whole and host-timed. */
static void test_gpu_time_failures(void **state)
{
	static const struct {
		const char *mode, *cupti, *said;
	} cases[] = {
		{ "init_fail", NULL, "CUPTI would not start: CUPTI_ERROR_NOT_INITIALIZED" },
		{ "multi", NULL, "holds CUPTI's only subscriber slot" },
		{ "old", NULL, "older than CUDA 12.0's: API version 17" },
		{ NULL, "/etc/hostname", "the libcupti given with --cupti would not load" },
	};
	char *json = path_in("gt-fail.json"), err[4096];
	const char *saved = fakecupti;
	struct trace t;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].cupti)
			fakecupti = cases[i].cupti;
		assert_int_equal(trace_gpu("runtime", cases[i].mode, json, NULL, err, sizeof(err)),
				 0);
		fakecupti = saved;
		assert_non_null(strstr(err, cases[i].said));
		assert_int_equal(trace_load(&t, json), 0);
		assert_string_equal(json_object_get_string(trace_other(&t, "gpu_timing")),
				    "host-submit");
		assert_int_equal(trace_count(&t, "X", RT_VEC_ADD_DEMANGLED, GPU), RT_ITERS);
		assert_int_equal(trace_count(&t, "X", RT_EMPTY_DEMANGLED, GPU), RT_ITERS);
		assert_int_equal(trace_unmatched_flows(&t), 0);
		trace_free(&t);
	}
}

/* Records CUPTI dropped: counted, and their calls drawn host-timed, never lost. */
static void test_gpu_time_dropped(void **state)
{
	char *json = path_in("gt-drop.json"), err[4096];
	const int records = 2 * RT_ITERS + 6, dropped = records / 3;
	struct trace t;

	assert_int_equal(trace_gpu("runtime", "drop", json, NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "CUPTI dropped 68 activity records"));
	assert_int_equal(trace_load(&t, json), 0);
	assert_string_equal(json_object_get_string(trace_other(&t, "gpu_timing")), "mixed");
	assert_int_equal(other_int(&t, "cupti_dropped_records"), dropped);
	assert_int_equal(other_int(&t, "gpu_slices_measured"), records - dropped);
	assert_int_equal(other_int(&t, "gpu_slices_host_timed"), dropped + RT_GRAPH_LAUNCHES);
	assert_int_equal(trace_count(&t, "X", RT_VEC_ADD_DEMANGLED, GPU), RT_ITERS);
	assert_int_equal(trace_unmatched_flows(&t), 0);
	trace_free(&t);
}

/* A libcupti that crashes the program: its status is ours, the host trace is whole. */
static void test_gpu_time_crash(void **state)
{
	char *json = path_in("gt-crash.json"), err[4096];
	struct trace t;

	assert_int_equal(trace_gpu("runtime", "crash", json, NULL, err, sizeof(err)), 128 + 11);
	assert_non_null(strstr(err, "killed by signal 11"));
	assert_int_equal(check_json(json, false, ""), 0);
	assert_int_equal(trace_load(&t, json), 0);
	assert_true(trace_count(&t, "X", "cuInit", HOST) == 1);
	trace_free(&t);
}

/* -p: the library loaded into a running process with ptrace; CUPTI off again at the end. */
static void test_gpu_time_attach(void **state)
{
	char *go = path_in("go-gt"), *out = path_in("gt-pid.json"), pidstr[16], err[4096] = "";
	char *app[] = { (char *)fakeapp, "--lib",	(char *)fakecuda,
			"--preload",	 "--wait-file", go,
			"runtime",	 "threads",	NULL };
	char *argv[] = { (char *)bin,  "--lib",	  (char *)fakecuda,
			 "--gpu-time", "--cupti", (char *)fakecupti,
			 "-p",	       pidstr,	  "-o",
			 out,	       NULL };
	pid_t app_pid = start(app, NULL), tr;
	struct trace t;
	int fd;

	usleep(200000); /* let it dlopen: it then waits in a syscall */
	snprintf(pidstr, sizeof(pidstr), "%d", app_pid);
	tr = start(argv, &fd);
	assert_true(wait_for(fd, "tracing pid", err, sizeof(err), 30000));
	assert_non_null(strstr(err, "with ptrace"));
	close(creat(go, 0644));
	assert_int_equal(wait_status(app_pid), 0);
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	assert_int_equal(other_int(&t, "gpu_slices_measured"), 2 * RT_ITERS + 6 + 104);
	assert_int_equal(other_int(&t, "gpu_slices_host_timed"), RT_GRAPH_LAUNCHES);
	assert_int_equal(check_measured(&t, THREADS_KERNEL, FAKE_KERNEL_NS(32, 64),
					other_int(&t, "gpu_clock_error_bound_ns")),
			 THREADS_N * THREADS_LAUNCHES);
	assert_int_equal(trace_unmatched_flows(&t), 0);
	trace_free(&t);
}

/* -p -d: the process outlives the trace, with CUPTI stopped and every record handed over. */
static void test_gpu_time_attach_detach(void **state)
{
	char *out = path_in("gt-pid2.json"), pidstr[16], err[4096] = "";
	char *app[] = { (char *)fakeapp, "--lib", (char *)fakecuda, "--preload", "--forever",
			"threads",	 NULL };
	char *argv[] = { (char *)bin,  "--lib",	  (char *)fakecuda,
			 "--gpu-time", "--cupti", (char *)fakecupti,
			 "-p",	       pidstr,	  "-d",
			 "1",	       "-o",	  out,
			 NULL };
	pid_t app_pid = start(app, NULL);
	const char *timing;
	struct trace t;

	usleep(300000);
	snprintf(pidstr, sizeof(pidstr), "%d", app_pid);
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	usleep(300000);
	assert_true(pid_alive(app_pid)); /* it runs on, untouched */
	kill(app_pid, SIGKILL);
	wait_status(app_pid);
	assert_int_equal(trace_load(&t, out), 0);
	/*
	 * All measured, but for what the process submits between the probes'
	 * attach and CUPTI's start, and between CUPTI's stop and the probes'
	 * detach (at most a round of its work each, a launch per kernel and a
	 * copy per thread, drawn host-timed and counted: the trace then says
	 * "mixed", as it should).
	 */
	timing = json_object_get_string(trace_other(&t, "gpu_timing"));
	assert_true(!strcmp(timing, "gpu") || !strcmp(timing, "mixed"));
	assert_true(other_int(&t, "gpu_slices_host_timed") <=
		    2 * THREADS_N * (THREADS_LAUNCHES + 1));
	assert_measured_unbroken(&t);
	assert_true(other_int(&t, "gpu_slices_measured") >= 104);
	assert_int_equal(other_int(&t, "gpu_slices_not_joined"), 0);
	assert_int_equal(trace_unmatched_flows(&t), 0);
	trace_free(&t);
}

/* -d ends a -- run: its records are asked for before the command is stopped. */
static void test_gpu_time_duration(void **state)
{
	char *out = path_in("gt-d.json"), err[4096];
	char *argv[] = { (char *)bin,
			 "--lib",
			 (char *)fakecuda,
			 "--gpu-time",
			 "--cupti",
			 (char *)fakecupti,
			 "-d",
			 "1",
			 "-o",
			 out,
			 "--",
			 (char *)fakeapp,
			 "--lib",
			 (char *)fakecuda,
			 "--forever",
			 "threads",
			 NULL };
	struct trace t;

	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	assert_true(other_int(&t, "gpu_slices_measured") >= THREADS_N * THREADS_LAUNCHES);
	assert_int_equal(other_int(&t, "gpu_slices_not_joined"), 0);
	assert_int_equal(trace_unmatched_flows(&t), 0);
	trace_free(&t);
}

/* The library kept in the state folder: only ever one byte for byte ours, in a folder only we write. */
static void test_gpu_time_library_file(void **state)
{
	char *json = path_in("gt-lib.json"), *sd = safe_path("gstate"), err[4096], cmd[1024];
	const char *saved = getenv("TRACESMITH_STATE_DIR");
	char keep[300], lib[512] = "";
	struct trace t;
	FILE *f;
	int i;

	snprintf(keep, sizeof(keep), "%s", saved ? saved : "");
	setenv("TRACESMITH_STATE_DIR", sd, 1);
	for (i = 0; i < 3; i++) {
		if (i == 1) { /* someone else's bytes under its name: replaced, never loaded */
			snprintf(cmd, sizeof(cmd), "ls %s/libtracesmith-cupti-*.so", sd);
			f = popen(cmd, "r");
			assert_non_null(fgets(lib, sizeof(lib), f));
			pclose(f);
			lib[strcspn(lib, "\n")] = '\0';
			f = fopen(lib, "w");
			fputs("not the library", f);
			fclose(f);
		}
		if (i == 2) /* a folder others can write: not used at all */
			chmod(sd, 0777);
		assert_int_equal(trace_gpu("threads", NULL, json, NULL, err, sizeof(err)), 0);
		assert_int_equal(trace_load(&t, json), 0);
		assert_string_equal(json_object_get_string(trace_other(&t, "gpu_timing")), "gpu");
		trace_free(&t);
	}
	f = fopen(lib, "r");
	assert_non_null(f);
	assert_int_equal(fread(cmd, 1, 4, f), 4);
	fclose(f);
	assert_memory_equal(cmd, "\177ELF", 4);
	chmod(sd, 0755);
	setenv("TRACESMITH_STATE_DIR", keep, 1);
}

/* -p on a process in another mount namespace: refused before anything starts */
static void test_gpu_time_other_mounts(void **state)
{
	char *app[] = {
		"/usr/bin/unshare", "--mount", "--propagation", "private", "sleep", "3", NULL
	};
	char pidstr[16], err[4096];
	char *argv[] = {
		(char *)bin, "--lib", (char *)fakecuda,	     "--gpu-time", "-p", pidstr, "-d",
		"1",	     "-o",    path_in("gt-ns.json"), NULL
	};
	pid_t p = start(app, NULL);

	usleep(300000);
	snprintf(pidstr, sizeof(pidstr), "%d", p);
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "lives in another mount namespace"));
	assert_int_equal(access(path_in("gt-ns.json"), F_OK), -1);
	kill(p, SIGKILL);
	wait_status(p);
}

/* ---- -p --gpu-time never harms the target ---- */

/*
 * Reap pid, waiting up to a minute: its status, or -1 when it will not end
 * (a target hung by the injection fails the test instead of hanging it).
 */
static int reap_within(pid_t pid)
{
	int st, i;

	for (i = 0; i < 6000; i++) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (w < 0)
			return -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	wait_status(pid);
	return -1;
}

/* Poll /proc/pid/what until it holds want (up to a minute). */
static bool proc_has(pid_t pid, const char *what, const char *want)
{
	static char buf[65536];
	char path[64];
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	for (i = 0; i < 6000; i++) {
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, want))
				return true;
		}
		usleep(10000);
	}
	return false;
}

/* Start fakeapp --preload [extra...] --wait-file go MODE with FAKECUPTI_MODE=cmode (and FILE) */
static pid_t start_target(const char *cmode, const char *file, const char *seccomp, const char *go,
			  const char *mode)
{
	char *app[] = { (char *)fakeapp,
			"--lib",
			(char *)fakecuda,
			"--preload",
			"--wait-file",
			(char *)go,
			(char *)mode,
			NULL,
			NULL,
			NULL };
	pid_t pid;

	if (seccomp) { /* --seccomp HOW before the mode */
		app[6] = "--seccomp";
		app[7] = (char *)seccomp;
		app[8] = (char *)mode;
	}
	if (cmode)
		setenv("FAKECUPTI_MODE", cmode, 1);
	if (file)
		setenv("FAKECUPTI_FILE", file, 1);
	pid = start(app, NULL);
	unsetenv("FAKECUPTI_MODE");
	unsetenv("FAKECUPTI_FILE");
	/* libcuda loaded and the filter set: it then waits for go in a syscall */
	assert_true(proc_has(pid, "maps", "libcuda.so.1"));
	if (seccomp)
		assert_true(proc_has(pid, "status", "Seccomp:\t2"));
	return pid;
}

/* What a -p test started, killed by its teardown if an assertion left them running */
static pid_t attach_app, attach_tracer;

/* Only a child not reaped yet is killed: a reaped pid may be someone else's by now */
static void kill_child(pid_t pid)
{
	int st;

	if (pid > 0 && waitpid(pid, &st, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
}

static int attach_teardown(void **state)
{
	kill_child(attach_app);
	kill_child(attach_tracer);
	attach_app = attach_tracer = 0;
	return 0;
}

/*
 * tracesmith-bpf --gpu-time -p pid -o out [-d 20], started: its pid, its
 * stderr on *fd. -d bounds a run that should have been refused (a tracer
 * that went ahead would wait on a target left a zombie for the test to reap).
 */
static pid_t start_attach(pid_t pid, const char *out, bool bounded, int *fd)
{
	static char pidstr[16];
	char *argv[] = { (char *)bin,  "--lib",	  (char *)fakecuda,
			 "--gpu-time", "--cupti", (char *)fakecupti,
			 "-p",	       pidstr,	  "-o",
			 (char *)out,  "-d",	  "20",
			 NULL };

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	if (!bounded)
		argv[10] = NULL;
	attach_app = pid;
	attach_tracer = start(argv, fd);
	return attach_tracer;
}

#define SAID_WAITING   "waiting for the call injected into pid"
#define SAID_NO_CUINIT "made no cuInit"

/* A seccomp filter that kills on openat, or refuses it: the tracer refuses, the target lives on */
static void test_gpu_time_attach_seccomp(void **state)
{
	static const char *const how[] = { "kill", "errno" };
	char *go = path_in("go-sc"), *out = path_in("gt-sc.json"), err[4096];
	unsigned int i;
	pid_t app, tr;
	int fd;

	for (i = 0; i < 2; i++) {
		unlink(go);
		app = start_target(NULL, NULL, how[i], go, "idle");
		tr = start_attach(app, out, true, &fd);
		err[0] = '\0';
		assert_int_equal(collect(tr, fd, err, sizeof(err)), 1);
		assert_non_null(strstr(err, "runs under a seccomp filter"));
		assert_non_null(strstr(err, "under the tracer with --"));
		assert_int_equal(access(out, F_OK), -1); /* refused before anything started */
		assert_true(pid_alive(app));
		close(creat(go, 0644));
		assert_int_equal(reap_within(app), 0);
	}
}

/* A library constructor that takes 5 s: waited for, said, and the injection completes */
static void test_gpu_time_attach_slow(void **state)
{
	char *go = path_in("go-slow"), *out = path_in("gt-slow.json"), err[8192] = "";
	pid_t app = start_target("slow", NULL, NULL, go, "threads"), tr;
	struct trace t;
	int fd;

	tr = start_attach(app, out, false, &fd);
	assert_true(wait_for(fd, SAID_WAITING, err, sizeof(err), 60000));
	assert_true(wait_for(fd, "tracing pid", err, sizeof(err), 60000));
	assert_null(strstr(err, "tracing without GPU times"));
	close(creat(go, 0644));
	assert_int_equal(reap_within(app), 0);
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	assert_int_equal(check_measured(&t, THREADS_KERNEL, FAKE_KERNEL_NS(32, 64),
					other_int(&t, "gpu_clock_error_bound_ns")),
			 THREADS_N * THREADS_LAUNCHES);
	trace_free(&t);
}

/* Ctrl-C while the injected call runs: it is finished and the target put back, never left */
static void test_gpu_time_attach_interrupted(void **state)
{
	char *go = path_in("go-int"), *out = path_in("gt-int.json"), err[8192] = "";
	pid_t app = start_target("slow", NULL, NULL, go, "runtime"), tr;
	struct trace t;
	int fd;

	tr = start_attach(app, out, false, &fd);
	assert_true(wait_for(fd, SAID_WAITING, err, sizeof(err), 60000));
	kill(tr, SIGINT);
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_null(strstr(err, "tracing without GPU times"));
	assert_int_equal(trace_load(&t, out), 0);
	trace_free(&t);
	/* its registers and stack back: it runs its workload and exits as it would have */
	assert_true(pid_alive(app));
	close(creat(go, 0644));
	assert_int_equal(reap_within(app), 0);
}

/* A target stopped before the attach: refused, nothing done in it, it runs on when continued */
static void test_gpu_time_attach_stopped(void **state)
{
	char *go = path_in("go-stop"), *out = path_in("gt-stop.json"), err[4096] = "";
	pid_t app = start_target(NULL, NULL, NULL, go, "runtime"), tr;
	int fd;

	kill(app, SIGSTOP);
	assert_true(proc_has(app, "status", "State:\tT"));
	tr = start_attach(app, out, true, &fd);
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "is stopped"));
	assert_non_null(strstr(err, "kill -CONT"));
	assert_true(proc_has(app, "status", "State:\tT")); /* still stopped, as it was */
	kill(app, SIGCONT);
	close(creat(go, 0644));
	assert_int_equal(reap_within(app), 0);
}

/*
 * The target killed, or exiting after a CUDA call, while the injected call
 * runs: the tracer says which, once (no guess that the program made no
 * cuInit), ends with status 1 and a whole trace, and never hangs.
 */
static void test_gpu_time_attach_target_ends(void **state)
{
	char *go = path_in("go-end"), *file = path_in("exit-now"), *out = path_in("gt-end.json");
	char err[8192];
	struct trace t;
	pid_t app, tr;
	int i, fd;

	for (i = 0; i < 2; i++) {
		err[0] = '\0';
		unlink(file);
		app = start_target("exit", file, NULL, go, "idle");
		tr = start_attach(app, out, false, &fd);
		assert_true(wait_for(fd, SAID_WAITING, err, sizeof(err), 60000));
		if (i == 0) {
			kill(app, SIGKILL);
			assert_int_equal(reap_within(app), 128 + SIGKILL);
		} else {
			close(creat(file, 0644)); /* the constructor calls cuInit, then _exit(3) */
			assert_int_equal(reap_within(app), 3);
		}
		assert_int_equal(collect(tr, fd, err, sizeof(err)), 1);
		assert_non_null(strstr(err, i == 0 ? "was killed by signal 9 (SIGKILL) while"
						   : "exited with status 3 while"));
		assert_null(strstr(err, "No such process"));
		assert_null(strstr(err, SAID_NO_CUINIT));
		assert_int_equal(trace_load(&t, out), 0);
		if (i == 1)
			assert_int_equal(trace_count(&t, "X", "cuInit", HOST), 1);
		trace_free(&t);
	}
}

static void test_gpu_time_options(void **state)
{
	char *all[] = { (char *)bin, "--gpu-time", "-a", NULL };
	char *cupti[] = { (char *)bin, "--cupti", "/x", "--", "/bin/true", NULL };
	char *cmd[] = { (char *)bin,	   "--lib", (char *)fakecuda, "--gpu-time", "-o",
			path_in("o.json"), "--",    "/bin/true",      NULL };

	expect_error(all, "--gpu-time goes with -- COMMAND or -p PID, not -a");
	expect_error(cupti, "--cupti goes with --gpu-time");
	setenv("CUDA_INJECTION64_PATH", "/opt/other-tool.so", 1);
	expect_error(cmd, "CUDA_INJECTION64_PATH is already set (/opt/other-tool.so)");
	unsetenv("CUDA_INJECTION64_PATH");
	assert_int_equal(access(path_in("o.json"), F_OK), -1);
}

/* CUPTI's hand-offs are `nop; ret` on x86-64: no second trap per batch or name (lib/handoff.h). */
static void test_cupti_handoff_nop(void **state)
{
	(void)state;
#if defined(__x86_64__)
	assert_int_equal(handoff_first_byte("libtracesmith-cupti.so", "ts_cupti_deliver"), 0x90);
	assert_int_equal(handoff_first_byte("libtracesmith-cupti.so", "ts_cupti_name"), 0x90);
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpu_time_runtime),
		cmocka_unit_test(test_gpu_time_threads),
		cmocka_unit_test(test_gpu_time_graphs),
		cmocka_unit_test(test_gpu_time_failures),
		cmocka_unit_test(test_gpu_time_dropped),
		cmocka_unit_test(test_gpu_time_crash),
		cmocka_unit_test(test_gpu_time_attach),
		cmocka_unit_test(test_cupti_handoff_nop),
		cmocka_unit_test(test_gpu_time_attach_detach),
		cmocka_unit_test(test_gpu_time_duration),
		cmocka_unit_test(test_gpu_time_library_file),
		cmocka_unit_test(test_gpu_time_other_mounts),
		cmocka_unit_test_teardown(test_gpu_time_attach_seccomp, attach_teardown),
		cmocka_unit_test_teardown(test_gpu_time_attach_slow, attach_teardown),
		cmocka_unit_test_teardown(test_gpu_time_attach_interrupted, attach_teardown),
		cmocka_unit_test_teardown(test_gpu_time_attach_stopped, attach_teardown),
		cmocka_unit_test_teardown(test_gpu_time_attach_target_ends, attach_teardown),
		cmocka_unit_test(test_gpu_time_options),
	};

	if (!tracer_root("test_run_gputime"))
		return getenv("CI") != NULL;
	fakecupti = getenv("TS_FAKECUPTI");
	if (!fakecupti) {
		fprintf(stderr, "set TS_FAKECUPTI (make bpf-test does)\n");
		return 1;
	}
	if (getenv("TS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("gputime", tests, tracer_setup, NULL);
}
