// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * NCCL: the stand-in libnccl (tests/fakenccl) loaded with dlopen, after
 * start, from a wheel-like folder the tracer is not told about; two ranks as
 * two processes. Exact counts, bytes, peers, ranks and communicator ids; the
 * first call after the load traced; the kernels a collective or a group
 * launches tied to it; -a with a job started after the tracer; NVIDIA's own
 * libnccl on a host without a GPU, when the toolkit has one.
 * Root, like the other BPF tests; each test stops what it started, by pid.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "trace_json.h"
#include "tracer_run.h"
#include "fakenccl/nccl_workload.h"

#define REAL_NCCL "/usr/local/cuda/lib64/libnccl.so.2"

static const char *fakenccl, *ncclapp, *fakecupti;

/* A fresh copy of the stand-in libnccl in DIR/tag/site-packages/nvidia/nccl/lib: a new file. */
static char *wheel(const char *tag)
{
	static char path[4096];
	char cmd[16384];

	snprintf(path, sizeof(path), "%s/%s/site-packages/nvidia/nccl/lib", dir, tag);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s' '%s/libnccl.so.2'", path, fakenccl,
		 path);
	assert_int_equal(system(cmd), 0);
	strcat(path, "/libnccl.so.2");
	return path;
}

/* The nth host slice named name in process pid (any process with pid 0), or NULL. */
static json_object *find_in(const struct trace *t, const char *name, long long pid, int nth)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		json_object *e = trace_event(t, i);
		const char *ph = ev_str(e, "ph"), *n = ev_str(e, "name"), *cat = ev_str(e, "cat");

		/* NVIDIA's NCCL marks its own calls with NVTX ranges of the same names */
		if (!ph || strcmp(ph, "X") || !n || strcmp(n, name) ||
		    (cat && !strcmp(cat, "nvtx")))
			continue;
		if (pid && ev_int(e, "pid") != pid)
			continue;
		if (nth-- == 0)
			return e;
	}
	return NULL;
}

static int count_in(const struct trace *t, const char *name, long long pid)
{
	int n = 0;

	while (find_in(t, name, pid, n))
		n++;
	return n;
}

/* Host slices of pid whose arg key is v. */
static int count_arg(const struct trace *t, const char *name, long long pid, const char *key,
		     long long v)
{
	json_object *e;
	int i, n = 0;

	for (i = 0; (e = find_in(t, name, pid, i)); i++)
		n += ev_arg(e, key) && ev_arg_int(e, key) == v;
	return n;
}

/* The pid of rank r: the process whose ncclCommInitRank said rank r. */
static long long pid_of_rank(const struct trace *t, int r)
{
	json_object *e;
	int i;

	for (i = 0; (e = find_in(t, "ncclCommInitRank", 0, i)); i++)
		if (ev_arg_int(e, "rank") == r)
			return ev_int(e, "pid");
	fail_msg("no ncclCommInitRank of rank %d", r);
	return 0;
}

static void check_op(const struct trace *t, const char *name, long long pid, const char *dtype,
		     long long bytes, const char *comm, int rank)
{
	json_object *e = find_in(t, name, pid, 0);

	assert_non_null(e);
	assert_string_equal(ev_arg_str(e, "datatype_name"), dtype);
	assert_int_equal(ev_arg_int(e, "size_bytes"), bytes);
	assert_string_equal(ev_arg_str(e, "communicator"), comm);
	assert_int_equal(ev_arg_int(e, "comm_rank"), rank);
	assert_int_equal(ev_arg_int(e, "comm_nranks"), 2);
	assert_int_equal(ev_arg_int(e, "result"), 0);
}

/* What every two-rank run of ncclapp shows, for one rank. */
static void check_rank(const struct trace *t, int r, const char *comm)
{
	long long pid = pid_of_rank(t, r), corr;
	char suffix[64];
	const char *name;
	json_object *e;
	int n;

	/* the process says its rank */
	snprintf(suffix, sizeof(suffix), " [rank %d of 2]", r);
	name = trace_last_process_name(t, pid, &n);
	assert_non_null(name);
	assert_true(strlen(name) > strlen(suffix));
	assert_string_equal(name + strlen(name) - strlen(suffix), suffix);
	/* every call, once per rank */
	assert_int_equal(count_in(t, "ncclCommInitRank", pid), 1);
	assert_int_equal(count_in(t, "ncclAllReduce", pid), NW_ALLREDUCE_N);
	assert_int_equal(count_in(t, "ncclBroadcast", pid), 1);
	assert_int_equal(count_in(t, "ncclReduce", pid), 1);
	assert_int_equal(count_in(t, "ncclAllGather", pid), 1);
	assert_int_equal(count_in(t, "ncclReduceScatter", pid), 1);
	assert_int_equal(count_in(t, "ncclSend", pid), 1);
	assert_int_equal(count_in(t, "ncclRecv", pid), 1);
	assert_int_equal(count_in(t, "ncclGroupStart", pid), 1);
	assert_int_equal(count_in(t, "ncclGroupEnd", pid), 1);
	assert_int_equal(count_in(t, "ncclCommDestroy", pid), 1);
	/* in NCCL's words, on the shared communicator */
	check_op(t, "ncclAllReduce", pid, "float32", NW_ALLREDUCE_COUNT * 4, comm, r);
	assert_int_equal(count_arg(t, "ncclAllReduce", pid, "size_bytes", NW_ALLREDUCE_COUNT * 4),
			 NW_ALLREDUCE_N);
	assert_string_equal(ev_arg_str(find_in(t, "ncclAllReduce", pid, 0), "redop_name"), "sum");
	check_op(t, "ncclBroadcast", pid, "int32", NW_BCAST_COUNT * 4, comm, r);
	assert_int_equal(count_arg(t, "ncclBroadcast", pid, "root", 0), 1);
	check_op(t, "ncclReduce", pid, "float64", NW_REDUCE_COUNT * 8, comm, r);
	assert_int_equal(count_arg(t, "ncclReduce", pid, "root", 1), 1);
	assert_string_equal(ev_arg_str(find_in(t, "ncclReduce", pid, 0), "redop_name"), "max");
	check_op(t, "ncclAllGather", pid, "float16", NW_ALLGATHER_COUNT * 2, comm, r);
	check_op(t, "ncclReduceScatter", pid, "float32", NW_RS_COUNT * 4, comm, r);
	check_op(t, "ncclSend", pid, "uint8", NW_P2P_COUNT, comm, r);
	check_op(t, "ncclRecv", pid, "uint8", NW_P2P_COUNT, comm, r);
	assert_int_equal(count_arg(t, "ncclSend", pid, "peer", (r + 1) % 2), 1);
	assert_int_equal(count_arg(t, "ncclRecv", pid, "peer", (r + 1) % 2), 1);
	/* the group: its operations and its end share its id */
	e = find_in(t, "ncclGroupEnd", pid, 0);
	assert_int_equal(count_arg(t, "ncclSend", pid, "nccl_group", ev_arg_int(e, "nccl_group")),
			 1);
	assert_int_equal(count_arg(t, "ncclRecv", pid, "nccl_group", ev_arg_int(e, "nccl_group")),
			 1);
	/* each collective's launch, and the group's one launch at its end, tied to the call */
	corr = ev_arg_int(e, "correlation_id");
	assert_true(corr > 0);
	assert_int_equal(count_arg(t, "cuLaunchKernel", pid, "nccl_correlation_id", corr), 1);
	corr = ev_arg_int(find_in(t, "ncclAllReduce", pid, 1), "correlation_id");
	assert_int_equal(count_arg(t, "cuLaunchKernel", pid, "nccl_correlation_id", corr), 1);
	assert_int_equal(count_in(t, "cuLaunchKernel", pid), NW_KERNELS);
	assert_int_equal(count_arg(t, "ncclSend", pid, "correlation_id",
				   ev_arg_int(find_in(t, "ncclSend", pid, 0), "correlation_id")),
			 1);
}

/* Two ranks of a job that dlopens NCCL late, from a folder of its own. */
static void check_job(const struct trace *t, int nuniq)
{
	json_object *id = find_in(t, "ncclGetUniqueId", 0, 0);
	const char *comm;

	/* the first call after the dlopen is there */
	assert_int_equal(count_in(t, "ncclGetUniqueId", 0), nuniq);
	assert_non_null(id);
	comm = ev_arg_str(id, "unique_id_hash");
	assert_non_null(comm);
	/* the id made is the one each rank joins with (a by-value struct on the stack) */
	assert_string_equal(ev_arg_str(find_in(t, "ncclCommInitRank", 0, 0), "unique_id_hash"),
			    comm);
	assert_string_equal(ev_arg_str(find_in(t, "ncclCommInitRank", 0, 1), "communicator"), comm);
	assert_int_equal(count_in(t, "ncclCommInitRank", 0), 2);
	check_rank(t, 0, comm);
	check_rank(t, 1, comm);
	assert_int_equal(trace_count(t, "X", "ncclDevKernel_AllReduce_Sum_f32_RING_LL", GPU),
			 2 * NW_ALLREDUCE_N);
	assert_int_equal(trace_count(t, "X", "ncclDevKernel_SendRecv", GPU), 2);
	assert_int_equal(trace_unmatched_flows(t), 0);
}

/* The capture's nccl_sum report as CSV, into out (len bytes, ended by a 0). */
static void nccl_sum_csv(const char *cap, char *out, size_t len)
{
	char cmd[8192];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "'%s' stats '%s' --report nccl_sum --format csv", bin, cap);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	assert_int_equal(pclose(f), 0);
}

/*
 * nccl_sum on the capture: one row per operation of the communicator, both
 * ranks' calls and bytes; host-timed kernels give a GPU time but no bandwidth.
 */
static void check_nccl_sum(const char *cap, const char *comm)
{
	static const struct {
		const char *op;
		int calls, bytes;
		bool gpu;
	} want[] = {
		{ "ncclAllReduce", 2 * NW_ALLREDUCE_N, 2 * NW_ALLREDUCE_N * NW_ALLREDUCE_COUNT * 4,
		  1 },
		{ "ncclBroadcast", 2, 2 * NW_BCAST_COUNT * 4, 1 },
		{ "ncclReduce", 2, 2 * NW_REDUCE_COUNT * 8, 1 },
		{ "ncclAllGather", 2, 2 * NW_ALLGATHER_COUNT * 2, 1 },
		{ "ncclReduceScatter", 2, 2 * NW_RS_COUNT * 4, 1 },
		{ "ncclSend", 2, 2 * NW_P2P_COUNT, 0 }, /* grouped: the group's end launched */
		{ "ncclRecv", 2, 2 * NW_P2P_COUNT, 0 },
	};
	char out[8192], line[512];
	unsigned int i, rows = 0;
	size_t n;

	nccl_sum_csv(cap, out, sizeof(out));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *row, *end;

		snprintf(line, sizeof(line), "\n%s,%s,2,%d,%d,", want[i].op, comm, want[i].calls,
			 want[i].bytes);
		row = strstr(out, line);
		if (!row)
			fail_msg("no '%s' in nccl_sum:\n%s", line + 1, out);
		rows++;
		end = strchr(row + 1, '\n');
		assert_non_null(end);
		/* ...,Host Time,GPU Time,,: a GPU time when it launched, never a bandwidth */
		assert_memory_equal(end - 2, ",,", 2);
		assert_int_equal(end[-3] != ',', want[i].gpu);
	}
	/* and nothing else: the header and the rows */
	for (n = 0, i = 0; out[i]; i++)
		n += out[i] == '\n';
	assert_int_equal(n, rows + 1);
}

/*
 * nccl_sum with --gpu-time: the stand-in CUPTI's kernel times (known in
 * advance: grid 2, block 256 is 2256 ns) give exact GPU times, algbw and busbw.
 */
static void check_nccl_sum_gpu(const char *cap)
{
	static const struct {
		const char *op, *tail; /* Ranks,Num Calls,Total Bytes, and after Host Time */
	} want[] = {
		/* 6 x 4096 B in 6 x 2256 ns: 1.816 GB/s; busbw x 2(n-1)/n = 1 */
		{ "ncclAllReduce,", "2,6,24576,|,13536,1.816,1.816" },
		{ "ncclBroadcast,", "2,2,2048,|,4512,0.454,0.454" },
		{ "ncclReduce,", "2,2,8192,|,4512,1.816,1.816" },
		/* size x n ranks: 2 x 512 B in 4512 ns; busbw x (n-1)/n */
		{ "ncclAllGather,", "2,2,512,|,4512,0.227,0.113" },
		{ "ncclReduceScatter,", "2,2,512,|,4512,0.227,0.113" },
		/* grouped: their kernel is ncclGroupEnd's */
		{ "ncclSend,", "2,2,200,|,,," },
		{ "ncclRecv,", "2,2,200,|,,," },
	};
	char out[8192];
	unsigned int i;

	nccl_sum_csv(cap, out, sizeof(out));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char head[128], *row, *host, *end;
		size_t hl = strchr(want[i].tail, '|') - want[i].tail;

		/* Operation,Communicator,Ranks,Num Calls,Total Bytes,Host Time,GPU,Algbw,Busbw */
		snprintf(head, sizeof(head), "\n%s", want[i].op);
		row = strstr(out, head);
		if (!row)
			fail_msg("no %s row in nccl_sum:\n%s", want[i].op, out);
		row = strchr(row + strlen(head), ',') + 1; /* past the communicator */
		end = strchr(row, '\n');
		assert_non_null(end);
		if (strncmp(row, want[i].tail, hl))
			fail_msg("%s row '%.*s', not '%s'", want[i].op, (int)(end - row), row,
				 want[i].tail);
		host = row + hl;
		while (host < end && *host != ',')
			host++; /* the host time: not known in advance */
		if ((size_t)(end - host) != strlen(want[i].tail + hl + 1) ||
		    strncmp(host, want[i].tail + hl + 1, end - host))
			fail_msg("%s row '%.*s', not '%s'", want[i].op, (int)(end - row), row,
				 want[i].tail);
	}
}

static void test_nccl_sum_gpu_time(void **state)
{
	char *cap = path_in("nccl-gpu.tsbpf"), *lib = wheel("gpu"), err[8192];
	char *argv[] = { (char *)bin, "--gpu-time",
			 "--cupti",   (char *)fakecupti,
			 "--lib",     (char *)fakecuda,
			 "-o",	      cap,
			 "--",	      (char *)ncclapp,
			 "--cuda",    (char *)fakecuda,
			 "--nccl",    lib,
			 "ranks",     "2",
			 NULL };

	(void)state;
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	check_nccl_sum_gpu(cap);
}

/*
 * %r: the job's capture replayed to one file per rank (Kineto's layout), each
 * with only its rank's process and GPU work, and its distributedInfo, as
 * Holistic Trace Analysis reads a folder (tests/check_kineto.py); the file
 * of both ranks names no rank.
 */
static void check_rank_files(const struct trace *whole, const char *cap)
{
	char cmd[8192], name[64], *folder = path_in("ranks");
	json_object *info;
	struct trace t;
	int r, nfiles;
	size_t i;
	FILE *f;

	assert_false(json_object_object_get_ex(whole->root, "distributedInfo", &info));
	assert_int_equal(mkdir(folder, 0755), 0);
	snprintf(cmd, sizeof(cmd), "'%s' replay '%s' -o '%s/trace-%%r.json' 2>/dev/null", bin, cap,
		 folder);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "ls '%s' | wc -l", folder);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &nfiles), 1);
	pclose(f);
	assert_int_equal(nfiles, 2); /* trace-0.json, trace-1.json: no other file left */
	for (r = 0; r < 2; r++) {
		snprintf(name, sizeof(name), "ranks/trace-%d.json", r);
		snprintf(cmd, sizeof(cmd), "tests/check_kineto.py '%s' --rank %d --world-size 2",
			 path_in(name), r);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(trace_load(&t, path_in(name)), 0);
		for (i = 0; i < t.n; i++) {
			long long pid = ev_int(trace_event(&t, i), "pid");

			if (pid < GPU_PID_BASE)
				assert_int_equal(pid, pid_of_rank(whole, r));
		}
		assert_int_equal(count_in(&t, "cuLaunchKernel", 0), NW_KERNELS);
		assert_int_equal(
			trace_count(&t, "X", "ncclDevKernel_AllReduce_Sum_f32_RING_LL", GPU),
			NW_ALLREDUCE_N);
		assert_int_equal(trace_unmatched_flows(&t), 0);
		trace_free(&t);
	}
}

static void test_nccl_two_ranks_late_dlopen(void **state)
{
	char *out = path_in("nccl.json"), *cap = path_in("nccl.tsbpf"), *lib = wheel("two");
	char err[8192];
	char *argv[] = { (char *)bin, "-v",
			 "--lib",     (char *)fakecuda,
			 "-o",	      out,
			 "-o",	      cap,
			 "--",	      (char *)ncclapp,
			 "--cuda",    (char *)fakecuda,
			 "--nccl",    lib,
			 "ranks",     "2",
			 NULL };
	struct trace t;

	(void)state;
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	/* -v says where it was found */
	assert_non_null(strstr(err, "hooked libnccl: "));
	assert_non_null(strstr(err, "/two/site-packages/nvidia/nccl/lib/libnccl.so.2"));
	assert_int_equal(trace_load(&t, out), 0);
	check_job(&t, 1);
	check_nccl_sum(cap, ev_arg_str(find_in(&t, "ncclGetUniqueId", 0, 0), "unique_id_hash"));
	check_rank_files(&t, cap);
	trace_free(&t);
}

/* -a: a job started after the tracer, its library in a folder no one named. */
static void test_nccl_all_later_job(void **state)
{
	char *out = path_in("nccl-all.json"), *lib = wheel("all"), err[4096] = "";
	char *argv[] = { (char *)bin, "-a", "--lib", (char *)fakecuda, "-o", out, NULL };
	char *job[] = {
		(char *)ncclapp, "--cuda", (char *)fakecuda, "--nccl", lib, "ranks", "2", NULL
	};
	struct trace t;
	pid_t tr, app;
	int fd;

	(void)state;
	tr = start(argv, &fd);
	assert_true(wait_for(fd, "tracing every process", err, sizeof(err), 30000));
	app = start(job, NULL);
	assert_int_equal(wait_status(app), 0);
	usleep(200000);
	interrupt_and_load(tr, fd, out, &t);
	check_job(&t, 1);
	trace_free(&t);
}

/*
 * -p on a job that had NCCL mapped before the tracer started: found in the
 * process's maps, hooked, every call traced (its forked rank too).
 */
static void test_nccl_pid_mapped_already(void **state)
{
	char *out = path_in("nccl-pid.json"), *go = path_in("go-nccl"), *lib = wheel("pid");
	char pidstr[16], err[4096] = "", aerr[4096] = "";
	char *job[] = { (char *)ncclapp, "--cuda", (char *)fakecuda, "--nccl", lib,
			"--wait-file",	 go,	   "ranks",	     "2",      NULL };
	char *argv[] = { (char *)bin, "-v", "-p", pidstr, "-o", out, NULL };
	struct trace t;
	bool up, hooked;
	pid_t app, tr;
	int afd, fd;

	(void)state;
	app = start(job, &afd);
	up = wait_for(afd, "nccl loaded", aerr, sizeof(aerr), 30000);
	snprintf(pidstr, sizeof(pidstr), "%d", app);
	tr = start(argv, &fd);
	up = up && wait_for(fd, "tracing pid", err, sizeof(err), 30000);
	/* hooked from the maps, before anything was mapped again */
	hooked = strstr(err, "/pid/site-packages/nvidia/nccl/lib/libnccl.so.2") != NULL;
	/* go whatever happened: a failed check must leave no process waiting */
	close(creat(go, 0644));
	assert_int_equal(collect(app, afd, aerr, sizeof(aerr)), 0);
	/* it stops by itself once the process is gone */
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_true(up);
	assert_true(hooked);
	assert_int_equal(trace_load(&t, out), 0);
	check_job(&t, 1);
	trace_free(&t);
}

/* NVIDIA's libnccl without a GPU: the id is made, the init fails; both traced, results too. */
static void test_nccl_real_library(void **state)
{
	char *out = path_in("nccl-real.json"), err[4096];
	char *argv[] = { (char *)bin,	  "--lib",  (char *)fakecuda, "-o",   out, "--",
			 (char *)ncclapp, "--nccl", REAL_NCCL,	      "real", NULL };
	json_object *id, *init;
	struct trace t;

	(void)state;
	if (access(REAL_NCCL, R_OK)) {
		fprintf(stderr, "no %s: skipped\n", REAL_NCCL);
		skip();
	}
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	assert_int_equal(count_in(&t, "ncclGetUniqueId", 0), 1);
	assert_int_equal(count_in(&t, "ncclCommInitRank", 0), 1);
	id = find_in(&t, "ncclGetUniqueId", 0, 0);
	init = find_in(&t, "ncclCommInitRank", 0, 0);
	assert_int_equal(ev_arg_int(id, "result"), 0);
	assert_int_equal(ev_arg_int(init, "result"), 1);
	assert_string_equal(ev_arg_str(init, "result_name"), "ncclUnhandledCudaError");
	assert_int_equal(ev_arg_int(init, "nranks"), 1);
	/* NVIDIA's own layout of the by-value id: the hash the id got when made */
	assert_string_equal(ev_arg_str(init, "unique_id_hash"), ev_arg_str(id, "unique_id_hash"));
	trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nccl_two_ranks_late_dlopen),
		cmocka_unit_test(test_nccl_all_later_job),
		cmocka_unit_test(test_nccl_pid_mapped_already),
		cmocka_unit_test(test_nccl_sum_gpu_time),
		cmocka_unit_test(test_nccl_real_library),
	};

	if (!tracer_root("test_run_nccl"))
		return getenv("CI") != NULL;
	fakenccl = getenv("TS_FAKENCCL");
	ncclapp = getenv("TS_NCCLAPP");
	fakecupti = getenv("TS_FAKECUPTI");
	if (!fakenccl || !ncclapp || !fakecupti) {
		fprintf(stderr,
			"set TS_FAKENCCL, TS_NCCLAPP and TS_FAKECUPTI (make bpf-test does)\n");
		return 1;
	}
	if (getenv("TS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("nccl", tests, tracer_setup, NULL);
}
