// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The writers against the golden fixtures: each capture replayed to .json (byte-identical
 * but for the version) and .pftrace (checked by tests/check_pftrace.py), and the replay command.
 * No root, no BPF, no GPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "canned.h"
#include "pipe.h"
#include "tmpdir.h"
#include "record/capture.h"
#include "correlate/corr_int.h"
#include "record/decode.h"
#include "probe/hooks.h"
#include "correlate/nvdecode.h"
#include "encode/outbuf.h"
#include "encode/pbenc.h"
#include "write/stats_writer.h"
#include "trace_json.h"
#include "lib/util.h"
#include "workloads.h"
#include "fakecuda/cuda_types.h"

static bool have_protoc(void)
{
	return !system("protoc --version >/dev/null 2>&1");
}

/*
 * The golden JSON traces as Holistic Trace Analysis needs them (Kineto's
 * fields, categories, flows and trace keys; tests/check_kineto.py says which):
 * gputime's copies and memsets are measured, so each has its bandwidth.
 */
static void test_kineto_fixtures(void **state)
{
	static const char *const names[] = { "runtime", "frameworks", "threads", "driver",
					     "gputime" };
	char cmd[1024];
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(cmd, sizeof(cmd),
			 "tests/check_kineto.py tests/fixtures/%s.json %s >/dev/null", names[i],
			 strcmp(names[i], "gputime") ? "" : "--measured --min-gpu 139");
		if (system(cmd))
			fail_msg("%s: %s", names[i], cmd);
	}
}

/* Replay a fixture to .json and .pftrace; the checker script validates the latter. */
static void test_pftrace_fixtures(void **state)
{
	static const char *const names[] = { "runtime", "frameworks", "threads",
					     "driver",	"gputime",    "nsys" };
	char cmd[1024];
	struct stat js, ps;
	unsigned int i;

	if (!getenv("TS_BIN") || !have_protoc())
		skip();
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(cmd, sizeof(cmd), "%s replay tests/fixtures/%s.tsbpf -o %s -o %s",
			 getenv("TS_BIN"), names[i], test_path("f.json"), test_path("f.pftrace"));
		assert_int_equal(system(cmd), 0);
		snprintf(cmd, sizeof(cmd), "tests/check_pftrace.py %s >/dev/null",
			 test_path("f.pftrace"));
		assert_int_equal(system(cmd), 0);
		stat(test_path("f.json"), &js);
		stat(test_path("f.pftrace"), &ps);
		fprintf(stderr, "%s: json %lld bytes, pftrace %lld bytes (%.2fx)\n", names[i],
			(long long)js.st_size, (long long)ps.st_size,
			(double)js.st_size / ps.st_size);
	}
	/* the demo-like runtime workload: at least 3x smaller */
	snprintf(cmd, sizeof(cmd), "%s replay tests/fixtures/runtime.tsbpf -o %s -o %s",
		 getenv("TS_BIN"), test_path("f.json"), test_path("f.pftrace"));
	assert_int_equal(system(cmd), 0);
	stat(test_path("f.json"), &js);
	stat(test_path("f.pftrace"), &ps);
	assert_true(ps.st_size * 3 <= js.st_size);
	snprintf(
		cmd, sizeof(cmd),
		"tests/check_pftrace.py %s --expect '" RT_VEC_ADD_DEMANGLED "=%d' "
		"--expect-arg '" RT_VEC_ADD_DEMANGLED ":grid_dim=[%d,1,1]' "
		"--expect-arg '" RT_VEC_ADD_DEMANGLED ":block_dim=[%d,1,1]' "
		"--expect-arg 'Memcpy HtoD:size_bytes=%u' --expect-arg 'Memcpy HtoD:direction=HtoD' "
		">/dev/null",
		test_path("f.pftrace"), RT_ITERS, RT_VEC_GRID, RT_VEC_BLOCK, RT_BYTES);
	assert_int_equal(system(cmd), 0);
}

/* ---- golden replays ----------------------------------------------------- */

static int feed_corr(void *ctx, const void *rec)
{
	return ts_corr_feed(ctx, rec);
}

/* The trace minus the one field that differs between builds: the version. */
static char *normalized(const char *path)
{
	char *s = strdup(test_slurp(path)), *v = strstr(s, "\"version\":\"");
	char *end = v ? strchr(v + 11, '"') : NULL;

	if (end)
		memmove(v, end + 1, strlen(end + 1) + 1);
	return s;
}

static void replay_fixture(const char *name, struct trace *t)
{
	struct ts_cap_reader r = { .fd = -1 };
	char cap[256], golden[256];
	struct ts_writer *w;
	struct ts_corr *corr;
	char *a, *b;
	int err;

	snprintf(cap, sizeof(cap), "tests/fixtures/%s.tsbpf", name);
	snprintf(golden, sizeof(golden), "tests/fixtures/%s.json", name);
	err = ts_json_writer_open(test_path("replayed.json"), &w);
	assert_int_equal(err, 0);
	corr = ts_corr_new(w, "test");
	assert_int_equal(ts_cap_open(&r, cap), 0);
	assert_int_equal(ts_cap_read(&r, feed_corr, corr), 0);
	assert_int_equal(r.hdr.flags & TS_CAP_F_INCOMPLETE, 0);
	assert_int_equal(ts_corr_finish(corr, false), 0);
	ts_cap_close(&r);
	ts_corr_free(corr);
	ts_writer_destroy(w);
	a = normalized(test_path("replayed.json"));
	b = normalized(golden);
	if (strcmp(a, b))
		fprintf(stderr,
			"%s replays differently from %s: a decoder change? "
			"(`make fixtures` and review the diff)\n",
			cap, golden);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_int_equal(trace_load(t, test_path("replayed.json")), 0);
	assert_int_equal(trace_partial_overlaps(t), 0);
	assert_int_equal(trace_unmatched_flows(t), 0);
}

static void test_fixture_runtime(void **state)
{
	struct trace t;

	replay_fixture("runtime", &t);
	assert_int_equal(trace_count(&t, "X", RT_VEC_ADD_DEMANGLED, GPU), RT_ITERS);
	assert_int_equal(trace_count(&t, "X", RT_EMPTY_DEMANGLED, GPU), RT_ITERS);
	assert_int_equal(trace_count(&t, "X", "Memcpy HtoD", GPU), 2);
	assert_int_equal(trace_count(&t, "X", "cuLaunchKernel_ptsz", HOST), 2 * RT_ITERS);
	trace_free(&t);
}

static void test_fixture_frameworks(void **state)
{
	struct trace t;

	replay_fixture("frameworks", &t);
	assert_int_equal(trace_count(&t, "X", TORCH_FILL_DEMANGLED, GPU), TORCH_FILL_N);
	assert_int_equal(trace_count(&t, "X", TORCH_GEMM, GPU), TORCH_GEMM_N);
	assert_int_equal(trace_count(&t, "X", TRITON_KERNEL, GPU), TRITON_N);
	assert_int_equal(trace_count(&t, "X", LAUNCHEX_KERNEL, GPU), LAUNCHEX_N);
	assert_string_equal(
		ev_arg_str(trace_find(&t, "X", "cuMemAlloc_v2", HOST, 0), "result_name"),
		"CUDA_ERROR_OUT_OF_MEMORY");
	trace_free(&t);
}

static void test_fixture_threads(void **state)
{
	struct trace t;

	replay_fixture("threads", &t);
	assert_int_equal(trace_count(&t, "X", THREADS_KERNEL, GPU), THREADS_N * THREADS_LAUNCHES);
	assert_string_equal(trace_process_name(&t, GPU_PID_BASE + 1), "GPU Device 1");
	trace_free(&t);
}

/* --gpu-time: measured GPU records, graph nodes included, replayed with their joins */
static void test_fixture_gputime(void **state)
{
	struct trace t;
	json_object *e;
	int i;

	replay_fixture("gputime", &t);
	assert_string_equal(json_object_get_string(trace_other(&t, "gpu_timing")), "gpu");
	assert_int_equal(trace_count(&t, "X", GRAPH_A, GPU), GRAPH_A_RUN);
	assert_int_equal(trace_count(&t, "X", THREADS_KERNEL, GPU), THREADS_N * THREADS_LAUNCHES);
	for (i = 0; (e = trace_find(&t, "X", THREADS_KERNEL, GPU, i)); i++)
		assert_string_equal(ev_arg_str(e, "timing"), "gpu");
	assert_int_equal(json_object_get_int64(trace_other(&t, "gpu_slices_not_joined")), 0);
	assert_int_equal(trace_unmatched_flows(&t), 0);
	trace_free(&t);
}

static void test_fixture_driver(void **state)
{
	struct trace t;
	json_object *e;

	replay_fixture("driver", &t);
	assert_int_equal(trace_count(&t, "X", "RM_ALLOC HOPPER_CHANNEL_GPFIFO_A", HOST), 1);
	assert_int_equal(trace_count(&t, "X", "UVM_REGISTER_GPU", HOST), 1);
	e = trace_find(&t, "X", "RM_CONTROL NV2080_CTRL_CMD_GPU_GET_NAME_STRING", HOST, 0);
	assert_string_equal(ev_arg_str(e, "api_call"), "cuInit");
	assert_true(ev_arg_int(e, "correlation_id") > 0);
	trace_free(&t);
}

/* ---- the replay command -------------------------------------------------- */

static int run_cli(const char *args, char *out, size_t len)
{
	char cmd[1024];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", getenv("TS_BIN"), args);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_replay_cli(void **state)
{
	char args[1024], out[8192], *cut = test_path("cut.tsbpf"),
				    *json = test_path("salvaged.json");
	struct trace t;
	struct stat st;

	if (!getenv("TS_BIN"))
		skip();
	snprintf(args, sizeof(args), "replay tests/fixtures/runtime.tsbpf --info");
	assert_int_equal(run_cli(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "process"));
	assert_non_null(strstr(out, "complete yes"));
	/* cut in the middle of the last block */
	snprintf(args, sizeof(args), "cp tests/fixtures/runtime.tsbpf %s", cut);
	assert_int_equal(system(args), 0);
	stat(cut, &st);
	assert_int_equal(truncate(cut, st.st_size - 300), 0);
	snprintf(args, sizeof(args), "replay %s -o %s", cut, json);
	assert_int_equal(run_cli(args, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "byte "));
	assert_non_null(strstr(out, "--salvage"));
	snprintf(args, sizeof(args), "replay %s -o %s --salvage", cut, json);
	assert_int_equal(run_cli(args, out, sizeof(out)), 0);
	assert_int_equal(trace_load(&t, json), 0);
	assert_true(json_object_get_boolean(trace_other(&t, "incomplete")));
	assert_true(trace_count(&t, "X", NULL, HOST) > 0);
	trace_free(&t);
	snprintf(args, sizeof(args), "replay /nonexistent.tsbpf -o %s", json);
	assert_int_equal(run_cli(args, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "cannot open"));
	snprintf(args, sizeof(args), "replay /dev/null -o %s", json);
	assert_int_equal(run_cli(args, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "byte 0"));
	snprintf(args, sizeof(args), "replay tests/fixtures/runtime.tsbpf -o %s",
		 test_path("x.bogus"));
	assert_int_equal(run_cli(args, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "unknown output format"));
}

/*
 * %r without NCCL: each process is a file of its own, named norank-p<pid>,
 * with no distributedInfo; %r in a folder's name, or for another format, is
 * refused with a message and nothing is written.
 */
static void test_rank_split_cli(void **state)
{
	char args[1024], out[8192];
	json_object *info;
	struct trace t;

	if (!getenv("TS_BIN"))
		skip();
	snprintf(args, sizeof(args), "replay tests/fixtures/gputime.tsbpf -o %s",
		 test_path("g-%r.json"));
	assert_int_equal(run_cli(args, out, sizeof(out)), 0);
	assert_int_equal(trace_load(&t, test_path("g-norank-p5406.json")), 0);
	assert_false(json_object_object_get_ex(t.root, "distributedInfo", &info));
	assert_int_equal(trace_count(&t, "X", NULL, GPU), 139);
	assert_int_equal(trace_unmatched_flows(&t), 0);
	trace_free(&t);
	assert_int_equal(access(test_path("g-%r.json"), F_OK), -1);
	snprintf(args, sizeof(args), "replay tests/fixtures/gputime.tsbpf -o %s",
		 test_path("%r/g.json"));
	assert_int_equal(run_cli(args, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "%r goes once in the file name"));
	snprintf(args, sizeof(args), "replay tests/fixtures/gputime.tsbpf -o %s",
		 test_path("g-%r.sqlite"));
	assert_int_equal(run_cli(args, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "is for .json outputs"));
	assert_int_equal(access(test_path("g-%r.sqlite"), F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_runtime),	 cmocka_unit_test(test_fixture_frameworks),
		cmocka_unit_test(test_fixture_gputime),	 cmocka_unit_test(test_fixture_threads),
		cmocka_unit_test(test_fixture_driver),	 cmocka_unit_test(test_replay_cli),
		cmocka_unit_test(test_pftrace_fixtures), cmocka_unit_test(test_kineto_fixtures),
		cmocka_unit_test(test_rank_split_cli),
	};

	if (test_dir_init("ts-write-golden"))
		return 1;
	return cmocka_run_group_tests_name("write_golden", tests, NULL, NULL);
}
