// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a traced process controls, traced for real (root, BPF): the upper
 * halves of its 32-bit arguments' slots, and the --gpu-time hand-off, which
 * it can call itself with any bytes. Neither reaches the trace: arguments
 * are shown at their C width, forged times and counts are dropped and counted.
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

static const char *fakecupti;

/* A ctypes-style caller: every 32-bit argument of cuLaunchKernel has a dirty upper half. */
static void test_dirty_upper_halves(void **state)
{
	struct trace t;
	json_object *e;
	int i;

	assert_int_equal(trace_mode(path_in("dirty.json"), "dirtyargs", &t), 0);
	assert_int_equal(trace_count(&t, "X", "cuLaunchKernel", HOST), DIRTY_N);
	assert_int_equal(trace_count(&t, "X", DIRTY_KERNEL, GPU), DIRTY_N);
	for (i = 0; i < DIRTY_N; i++) {
		/* the 8th argument, on the stack: read as 64 bits it was DIRTY_BITS */
		e = trace_find(&t, "X", "cuLaunchKernel", HOST, i);
		assert_int_equal(ev_arg_int(e, "shared_memory_bytes"), DIRTY_SHMEM);
		e = trace_find(&t, "X", DIRTY_KERNEL, GPU, i);
		assert_true(ev_arg_dim3(e, "grid_dim", DIRTY_GRID, 1, 1));
		assert_true(ev_arg_dim3(e, "block_dim", DIRTY_BLOCK, 1, 1));
		assert_int_equal(ev_arg_int(e, "shared_memory_bytes"), DIRTY_SHMEM);
	}
	trace_free(&t);
}

/*
 * A process that calls ts_cupti_deliver itself: a GPU end of 2^64-1, an end
 * before its start, drop counts of 2^64-1 twice. Nothing of it is drawn or
 * summed; the trace counts the 4 records, by reason; no wrapped count is said.
 */
static void test_forged_handoff(void **state)
{
	char *json = path_in("forge.json"), *cap = path_in("forge.tsbpf"), err[4096] = "";
	char *rep = path_in("forge-replay.json"), cmd[1024];
	char *argv[] = { (char *)bin,
			 "--lib",
			 (char *)fakecuda,
			 "--gpu-time",
			 "--cupti",
			 (char *)fakecupti,
			 "-o",
			 json,
			 "-o",
			 cap,
			 "--",
			 (char *)fakeapp,
			 "--lib",
			 (char *)fakecuda,
			 "forge",
			 NULL };
	char *replay[] = { (char *)bin, "replay", cap, "-o", rep, NULL };
	json_object *inv;
	struct trace t;

	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	assert_null(strstr(err, "CUPTI dropped"));
	assert_int_equal(check_json(json, false, ""), 0);
	assert_int_equal(trace_load(&t, json), 0);
	assert_int_equal(trace_count(&t, "X", NULL, GPU), 0);
	assert_int_equal(json_object_get_int64(trace_other(&t, "invalid_records_dropped")),
			 FORGE_RECORDS);
	inv = trace_other(&t, "invalid_records");
	assert_int_equal(json_object_get_int64(ev_field(inv, "time_outside_trace")), 1);
	assert_int_equal(json_object_get_int64(ev_field(inv, "end_before_start")), 1);
	assert_int_equal(json_object_get_int64(ev_field(inv, "count_out_of_range")), 2);
	assert_null(trace_other(&t, "cupti_dropped_records"));
	trace_free(&t);
	/* the capture keeps the records as they came; its replay drops the same ones */
	assert_int_equal(run_tracer(replay, err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", json, rep);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dirty_upper_halves),
		cmocka_unit_test(test_forged_handoff),
	};

	if (!tracer_root("test_run_untrusted"))
		return getenv("CI") != NULL;
	fakecupti = getenv("TS_FAKECUPTI");
	if (!fakecupti) {
		fprintf(stderr, "set TS_FAKECUPTI (make bpf-test does)\n");
		return 1;
	}
	return cmocka_run_group_tests_name("untrusted", tests, tracer_setup, NULL);
}
