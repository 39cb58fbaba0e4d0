// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The correlator on canned records, read back through the JSON writer.
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

/* ---- correlation, through the JSON writer ------------------------------ */

static void launch(struct pipe *p, uint32_t tid, uint64_t ts, uint64_t dur, uint64_t f,
		   uint64_t stream, int ret)
{
	uint64_t v[9] = { f, 2, 3, 4, 32, 1, 1, 128, stream };

	canned_api(&p->c, 100, tid, ts, dur, ret, "cuLaunchKernel", v, 9, NULL);
}

static void test_names_torch_path(void **state)
{
	struct pipe p;
	uint64_t v[3];

	pipe_open(&p, test_path("names.json"), 0);
	v[0] = 0x1000; /* out CUkernel */
	v[1] = 0xabc;  /* library */
	v[2] = 0x7777; /* name pointer */
	canned_api(&p.c, 100, 100, 10, 5, 0, "cuLibraryGetKernel", v, 3, TORCH_FILL);
	v[0] = 0x2000; /* out CUfunction */
	v[1] = 0x1000;
	canned_api(&p.c, 100, 100, 20, 5, 0, "cuKernelGetFunction", v, 2, NULL);
	launch(&p, 100, 100, 10, 0x2000, 0, 0);
	launch(&p, 100, 200, 10, 0x1000, 0, 0); /* the CUkernel itself */
	launch(&p, 100, 300, 10, 0x9999, 0, 0); /* loaded before we attached */
	launch(&p, 100, 400, 10, 0x2000, 0, 1); /* failed: no GPU work */
	pipe_close(&p);
	assert_int_equal(trace_count(&p.t, "X", TORCH_FILL_DEMANGLED, GPU), 2);
	assert_int_equal(trace_count(&p.t, "X", "kernel@0x9999", GPU), 1);
	assert_int_equal(trace_count(&p.t, "X", "cuLaunchKernel", HOST), 4);
	assert_true(
		ev_arg_dim3(trace_find(&p.t, "X", "kernel@0x9999", GPU, 0), "grid_dim", 2, 3, 4));
	assert_string_equal(
		ev_arg_str(trace_find(&p.t, "X", "cuLaunchKernel", HOST, 3), "result_name"),
		"CUDA_ERROR_INVALID_VALUE");
	assert_string_equal(trace_process_name(&p.t, 100), "python train.py --lr \"0.1\"");
	assert_string_equal(trace_thread_name(&p.t, 100, 100), "python");
	assert_int_equal(trace_unmatched_flows(&p.t), 0);
	pipe_free(&p);
}

/* µs with ns precision: never truncated to whole µs */
static void test_ns_precision(void **state)
{
	struct pipe p;

	pipe_open(&p, test_path("precision.json"), 0);
	launch(&p, 100, 1234567, 1001, 0x5, 0, 0);
	pipe_close(&p);
	assert_non_null(strstr(test_slurp(p.path), "\"ts\":1234.567,\"dur\":1.001"));
	pipe_free(&p);
}

/* Two threads submitting to one stream at once: lanes, never broken nesting. */
static void test_stream_lanes(void **state)
{
	struct pipe p;
	uint64_t v[2] = { 0x5000, 0 };
	json_object *e;
	int i;

	pipe_open(&p, test_path("lanes.json"), 0);
	canned_thread(&p.c, 100, 101, "worker");
	canned_api(&p.c, 100, 100, 1, 1, 0, "cuStreamCreate", v, 2, NULL);
	for (i = 0; i < 10; i++) {
		launch(&p, 100, 100 + i * 100, 80, 0x5, 0x5000, 0);
		launch(&p, 101, 140 + i * 100, 80, 0x5, 0x5000, 0);
	}
	pipe_close(&p);
	assert_int_equal(trace_partial_overlaps(&p.t), 0);
	assert_int_equal(trace_count(&p.t, "X", NULL, GPU), 20);
	e = trace_find(&p.t, "X", NULL, GPU, 1);
	assert_string_equal(trace_thread_name(&p.t, ev_int(e, "pid"), ev_int(e, "tid")),
			    "Stream 0x5000 (submitted) (lane 2)");
	pipe_free(&p);
}

static void test_name_escaping(void **state)
{
	static const char nasty[] = "k\"quoted\"\\back\nline\x01";
	uint64_t v[3] = { 0x42, 0x1, 0x2 };
	struct pipe p;

	pipe_open(&p, test_path("escape.json"), 0);
	canned_api(&p.c, 100, 100, 5, 5, 0, "cuModuleGetFunction", v, 3, nasty);
	launch(&p, 100, 20, 5, 0x42, 0, 0);
	pipe_close(&p);
	assert_int_equal(trace_count(&p.t, "X", nasty, GPU), 1);
	pipe_free(&p);
}

static void test_memory_counter_and_exit(void **state)
{
	uint64_t v[4];
	struct pipe p;
	uint32_t pid;

	pipe_open(&p, test_path("exit.json"), TS_MODE_SYSTEM_WIDE);
	for (pid = 200; pid < 1200; pid++) {
		canned_proc(&p.c, pid, "worker");
		v[0] = 0x10000 + pid; /* out pointer */
		v[1] = 4096;
		canned_api(&p.c, pid, pid, pid, 5, 0, "cuMemAlloc_v2", v, 2, NULL);
		v[0] = 0x20000;
		v[1] = 0x1;
		v[2] = 0x3;
		canned_api(&p.c, pid, pid, pid + 1, 5, 0, "cuModuleGetFunction", v, 3, "k");
		canned_exit(&p.c, pid);
	}
	/* threads that come and go inside a long-lived process leave nothing behind */
	for (pid = 5000; pid < 6000; pid++) {
		v[0] = 0x99;
		canned_thread(&p.c, 100, pid, "worker");
		canned_api(&p.c, 100, pid, 3000, 5, 0, "cuStreamSynchronize", v, 1, NULL);
		canned_thread_exit(&p.c, 100, pid);
	}
	/* a process's state goes with it: memory stays bounded in a long -a run */
	assert_int_equal(p.corr->allocs.count, 0);
	assert_int_equal(p.corr->fnames.count, 0);
	assert_int_equal(p.corr->procs.count, 1);
	assert_int_equal(p.corr->threads.count, 1);
	v[0] = 0x10000 + 100;
	v[1] = 1 << 20;
	canned_api(&p.c, 100, 100, 2000, 5, 0, "cuMemAlloc_v2", v, 2, NULL);
	v[0] = 0x10000 + 100;
	canned_api(&p.c, 100, 100, 2100, 5, 0, "cuMemFree_v2", v, 1, NULL);
	pipe_close(&p);
	assert_int_equal(trace_count(&p.t, "C", NULL, HOST), 1002);
	assert_int_equal(ev_arg_int(trace_find(&p.t, "C", NULL, HOST, 1000), "value"), 1 << 20);
	assert_int_equal(ev_arg_int(trace_find(&p.t, "C", NULL, HOST, 1001), "value"), 0);
	pipe_free(&p);
}

static void test_unknown_symbol(void **state)
{
	struct ts_rec_api r;
	struct pipe p;

	pipe_open(&p, test_path("unknown.json"), 0);
	memset(&r, 0, sizeof(r));
	r.hdr.kind = TS_REC_API;
	r.hdr.size = TS_API_BASE_SIZE;
	r.hdr.aux = 9999;
	r.hdr.pid = 100;
	assert_int_equal(p.c.sink->put(p.c.sink, &r), 0);
	pipe_close(&p);
	assert_int_equal(ts_corr_stats(p.corr)->unknown_syms, 1);
	pipe_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_torch_path),
		cmocka_unit_test(test_ns_precision),
		cmocka_unit_test(test_stream_lanes),
		cmocka_unit_test(test_name_escaping),
		cmocka_unit_test(test_memory_counter_and_exit),
		cmocka_unit_test(test_unknown_symbol),
	};

	if (test_dir_init("ts-correlate"))
		return 1;
	return cmocka_run_group_tests_name("correlate", tests, NULL, NULL);
}
