// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --gpu-time's join (correlate/gpu_time.c), on canned records: a GPU record
 * joins the call on the record's thread whose [entry, return] holds the
 * record's api_ts; never an earlier call still held on that thread, never a
 * call of another thread, and no call when none holds it. A record that
 * comes before its call returned still joins it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "pipe.h"
#include "tmpdir.h"
#include "trace_json.h"

#define STREAM 0x5000

static void launch(struct pipe *p, uint32_t tid, uint64_t ts, uint64_t dur)
{
	uint64_t v[9] = { 0x42, 1, 1, 1, 32, 1, 1, 0, STREAM };

	canned_api(&p->c, 100, tid, ts, dur, 0, "cuLaunchKernel", v, 9, NULL);
}

/* The host call that began at ts (ns from the start), or a failure saying so. */
static long long corr_of_call(const struct trace *t, uint32_t tid, long long ts)
{
	json_object *e;
	int i;

	for (i = 0; (e = trace_find(t, "X", "cuLaunchKernel", HOST, i)); i++)
		if (ev_int(e, "tid") == tid && (long long)(ev_num(e, "ts") * 1000 + 0.5) == ts)
			return ev_arg_int(e, "correlation_id");
	fail_msg("no cuLaunchKernel call on thread %u at %lld ns", tid, ts);
	return -1;
}

/* The measured GPU slice that began at start (ns). */
static json_object *measured(const struct trace *t, long long start)
{
	json_object *e;
	int i;

	for (i = 0; (e = trace_find(t, "X", NULL, GPU, i)); i++)
		if (!strcmp(ev_arg_str(e, "timing"), "gpu") &&
		    (long long)(ev_num(e, "ts") * 1000 + 0.5) == start)
			return e;
	fail_msg("no measured GPU slice at %lld ns", start);
	return NULL;
}

static void expect_joined(const struct trace *t, long long start, long long want, const char *why)
{
	long long got = ev_arg_int(measured(t, start), "correlation_id");

	if (got != want)
		fail_msg("the GPU record measured at %lld ns joined correlation_id %lld, not %lld: "
			 "%s",
			 start, got, want, why);
}

/*
 * Thread 100 holds two calls, [100,120] and [200,220]; thread 101 one,
 * [205,215]. A record of thread 100 with api_ts 210 is the later call's;
 * one with api_ts 150 (between its calls) joins none.
 */
static void test_join_later_held_call(void **state)
{
	uint64_t v[3] = { 0x42, 0x1, 0x2 };
	long long first, second, other;
	struct pipe p;
	json_object *e;

	pipe_open(&p, test_path("join.json"), 0);
	canned_thread(&p.c, 100, 101, "worker");
	canned_gpu_started(&p.c, 100);
	canned_api(&p.c, 100, 100, 10, 5, 0, "cuModuleGetFunction", v, 3, "k");
	launch(&p, 100, 100, 20);
	launch(&p, 100, 200, 20);
	launch(&p, 101, 205, 10);
	canned_gpu_kernel(&p.c, 100, 100, 1000, 1100, 210, 7);
	canned_gpu_kernel(&p.c, 100, 100, 2000, 2100, 150, 7);
	pipe_close(&p);
	first = corr_of_call(&p.t, 100, 100);
	second = corr_of_call(&p.t, 100, 200);
	other = corr_of_call(&p.t, 101, 205);
	assert_true(first > 0 && second > 0 && other > 0);
	expect_joined(&p.t, 1000, second,
		      "its api_ts 210 is inside thread 100's later call [200,220], not its "
		      "earlier held call [100,120] nor thread 101's [205,215]");
	e = measured(&p.t, 2000);
	if (ev_arg(e, "correlation_id") || !ev_arg_str(e, "submitted_by"))
		fail_msg("the GPU record with api_ts 150, in no call of thread 100, joined "
			 "correlation_id %lld: it must join none (submitted_by says so)",
			 ev_arg_int(e, "correlation_id"));
	/* the two calls no record came for: drawn with their call's times, at the end */
	assert_int_equal(trace_count(&p.t, "X", NULL, GPU), 4);
	assert_int_equal(json_object_get_int64(trace_other(&p.t, "gpu_slices_not_joined")), 1);
	pipe_free(&p);
}

/*
 * A launch preempted while CUPTI's flush ran: its kernel's record comes
 * before the call's own record (it returned later). The record waits and
 * joins it; one of a call from before the trace (api_ts 50) joins none, and
 * is drawn once a later call shows that no call of the trace holds it.
 */
static void test_join_record_before_call(void **state)
{
	uint64_t v[3] = { 0x42, 0x1, 0x2 };
	struct pipe p;
	json_object *e;

	pipe_open(&p, test_path("early.json"), 0);
	canned_gpu_started(&p.c, 100);
	canned_api(&p.c, 100, 100, 10, 5, 0, "cuModuleGetFunction", v, 3, "k");
	canned_gpu_kernel(&p.c, 100, 100, 3000, 3100, 50, 8);
	canned_gpu_kernel(&p.c, 100, 100, 1000, 1100, 110, 7);
	launch(&p, 100, 100, 9000);
	launch(&p, 100, 9200, 20);
	canned_gpu_kernel(&p.c, 100, 100, 9500, 9600, 9210, 9);
	pipe_close(&p);
	expect_joined(&p.t, 1000, corr_of_call(&p.t, 100, 100),
		      "its record came before the call [100,9100] returned; api_ts 110 is in it");
	expect_joined(&p.t, 9500, corr_of_call(&p.t, 100, 9200), "api_ts 9210 is in [9200,9220]");
	e = measured(&p.t, 3000);
	assert_null(ev_arg(e, "correlation_id"));
	assert_non_null(ev_arg_str(e, "submitted_by"));
	assert_int_equal(trace_count(&p.t, "X", NULL, GPU), 3);
	assert_int_equal(json_object_get_int64(trace_other(&p.t, "gpu_slices_not_joined")), 1);
	assert_int_equal(json_object_get_int64(trace_other(&p.t, "gpu_slices_host_timed")), 0);
	pipe_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_later_held_call),
		cmocka_unit_test(test_join_record_before_call),
	};

	if (test_dir_init("ts-join"))
		return 1;
	return cmocka_run_group_tests_name("correlate_join", tests, NULL, NULL);
}
