// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Lanes of a stream (correlate/gpu_track.c, ts_gpu_lane): slices on one track
 * must nest or not overlap, so a slice goes on the first lane whose last
 * slice has ended by its start (end <= start: back-to-back slices share a
 * lane), and a new lane is made only when none has.
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

/* kernel k_<c> on STREAM from thread tid, its call [ts, ts + dur] */
static void launch(struct pipe *p, uint32_t tid, char c, uint64_t ts, uint64_t dur)
{
	uint64_t v[9] = { 0x100 + c, 1, 1, 1, 32, 1, 1, 0, STREAM };

	canned_api(&p->c, 100, tid, ts, dur, 0, "cuLaunchKernel", v, 9, NULL);
}

static void name_kernel(struct pipe *p, char c)
{
	uint64_t v[3] = { 0x100 + c, 0x1, 0x2 };
	char name[8];

	snprintf(name, sizeof(name), "k_%c", c);
	canned_api(&p->c, 100, 100, 1, 1, 0, "cuModuleGetFunction", v, 3, name);
}

/* The track the GPU slice of kernel k_<c> is on. */
static const char *lane_of(const struct trace *t, char c)
{
	char name[8];
	json_object *e;

	snprintf(name, sizeof(name), "k_%c", c);
	e = trace_find(t, "X", name, GPU, 0);
	if (!e)
		fail_msg("no GPU slice for %s", name);
	return trace_thread_name(t, ev_int(e, "pid"), ev_int(e, "tid"));
}

static void expect_lane(const struct trace *t, char c, const char *want, const char *why)
{
	const char *got = lane_of(t, c);

	if (!got || strcmp(got, want))
		fail_msg("k_%c is on \"%s\", not \"%s\": %s", c, got ? got : "(no track)", want,
			 why);
}

/*
 * A [100,150]  B [150,200] back-to-back on thread 100; C [190,220] from
 * thread 101 overlaps B; D [200,210] back-to-back with B; E [220,230] starts
 * as C ends and after D: the first lane, not C's.
 */
static void test_back_to_back_share_a_lane(void **state)
{
	static const char lane1[] = "Stream 0x5000 (submitted)",
			  lane2[] = "Stream 0x5000 (submitted) (lane 2)";
	uint64_t v[2] = { STREAM, 0 };
	struct pipe p;
	char c;

	pipe_open(&p, test_path("lanes.json"), 0);
	canned_thread(&p.c, 100, 101, "worker");
	canned_api(&p.c, 100, 100, 1, 1, 0, "cuStreamCreate", v, 2, NULL);
	for (c = 'a'; c <= 'e'; c++)
		name_kernel(&p, c);
	launch(&p, 100, 'a', 100, 50);
	launch(&p, 100, 'b', 150, 50);
	launch(&p, 101, 'c', 190, 30);
	launch(&p, 100, 'd', 200, 10);
	launch(&p, 101, 'e', 220, 10);
	pipe_close(&p);
	assert_int_equal(trace_partial_overlaps(&p.t), 0);
	expect_lane(&p.t, 'a', lane1, "the first slice of a stream is on its first lane");
	expect_lane(&p.t, 'b', lane1,
		    "B starts at 150 where A ends: back-to-back slices share a lane "
		    "(a lane is free once start >= its last end)");
	expect_lane(&p.t, 'c', lane2, "C [190,220] overlaps B [150,200]: a second lane");
	expect_lane(&p.t, 'd', lane1, "D starts at 200 where B ends: back on the first lane");
	expect_lane(&p.t, 'e', lane1,
		    "E starts at 220, after D (210) and where C ends: the first free lane");
	if (trace_count(&p.t, "M", "thread_name", GPU) != 2)
		fail_msg("%d GPU tracks, not 2: a lane was made where one was free",
			 trace_count(&p.t, "M", "thread_name", GPU));
	pipe_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_back_to_back_share_a_lane),
	};

	if (test_dir_init("ts-lanes"))
		return 1;
	return cmocka_run_group_tests_name("correlate_lanes", tests, NULL, NULL);
}
