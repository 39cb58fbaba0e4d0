// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The stats writer: histograms, the tables of a replayed fixture, the leak list. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "canned.h"
#include "correlate/correlate.h"
#include "write/stats_writer.h"
#include "tmpdir.h"
#include "trace_json.h"
#include "lib/util.h"
#include "workloads.h"
#include "fakecuda/cuda_types.h"

static void test_hist_quantiles(void **state)
{
	struct ts_hist h;
	uint64_t v;

	memset(&h, 0, sizeof(h));
	for (v = 1; v <= 100000; v++)
		ts_hist_add(&h, v * 1000);
	/* log-linear buckets: within 1/8 of the true quantile */
	assert_true(labs((long)ts_hist_quantile(&h, .5) - 50000000l) < 50000000l / 8);
	assert_true(labs((long)ts_hist_quantile(&h, .99) - 99000000l) < 99000000l / 8);
	assert_int_equal(h.max, 100000000);
	assert_int_equal(h.count, 100000);
	assert_true(ts_hist_quantile(&h, 1.0) <= h.max);
	memset(&h, 0, sizeof(h));
	ts_hist_add(&h, 5);
	assert_int_equal(ts_hist_quantile(&h, .5), 5);
}

static json_object *jfind(json_object *arr, const char *key, const char *val)
{
	size_t i;

	for (i = 0; i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i), *v;

		if (json_object_object_get_ex(e, key, &v) &&
		    !strcmp(json_object_get_string(v), val))
			return e;
	}
	return NULL;
}

/* Every table against the stand-in workload (runtime + fail), whose numbers are known. */
static void test_stats_tables(void **state)
{
	char cmd[512];
	json_object *st, *e;

	if (!getenv("TS_BIN"))
		skip();
	snprintf(cmd, sizeof(cmd), "%s stats tests/fixtures/driver.tsbpf --json -o %s",
		 getenv("TS_BIN"), test_path("stats.json"));
	assert_int_equal(system(cmd), 0);
	st = json_object_from_file(test_path("stats.json"));
	assert_non_null(st);
	e = jfind(ev_field(st, "kernels"), "name", RT_VEC_ADD_DEMANGLED);
	assert_int_equal(ev_int(e, "launches"), RT_ITERS);
	assert_int_equal(json_object_array_length(ev_field(e, "shapes")), 1);
	assert_int_equal(
		ev_int(jfind(ev_field(st, "kernels"), "name", RT_EMPTY_DEMANGLED), "launches"),
		RT_ITERS);
	/* every exported variant of a function in its row, split by variant */
	e = jfind(ev_field(st, "api"), "name", "cuLaunchKernel");
	assert_int_equal(ev_int(e, "calls"), 2 * RT_ITERS);
	assert_int_equal(
		ev_int(jfind(ev_field(e, "variants"), "name", "cuLaunchKernel_ptsz"), "calls"),
		2 * RT_ITERS);
	assert_int_equal(ev_int(e, "errors"), 0);
	assert_true(ev_int(e, "p50_ns") <= ev_int(e, "p95_ns") &&
		    ev_int(e, "p95_ns") <= ev_int(e, "max_ns"));
	e = jfind(ev_field(st, "api"), "name", "cuMemAlloc");
	assert_int_equal(ev_int(e, "calls"), 4);
	assert_int_equal(ev_int(e, "errors"), 1);
	e = jfind(ev_field(st, "copies"), "direction", "HtoD");
	assert_int_equal(ev_int(e, "count"), 2);
	assert_int_equal(ev_int(e, "bytes"), 2 * RT_BYTES);
	assert_int_equal(ev_int(e, "sync_bytes"), 2 * RT_BYTES); /* both synchronous */
	assert_int_equal(ev_int(jfind(ev_field(st, "copies"), "direction", "DtoD"), "sync_bytes"),
			 0);
	e = ev_field(st, "memory");
	assert_int_equal(ev_int(e, "allocations"), 4);
	assert_int_equal(ev_int(e, "frees"), 4);
	assert_int_equal(ev_int(e, "bytes_allocated"), 4 * RT_BYTES);
	assert_int_equal(json_object_array_length(ev_field(e, "leaks")), 0);
	e = json_object_array_get_idx(ev_field(st, "sync_threads"), 0);
	assert_int_equal(ev_int(e, "calls"), 3);
	assert_true(ev_int(e, "blocked_ns") >= 3 * FAKE_SYNC_US * 1000ll);
	e = jfind(ev_field(st, "driver"), "name", "RM_ALLOC NV01_MEMORY_LOCAL_USER");
	assert_int_equal(ev_int(e, "calls"), 6);
	assert_int_equal(ev_int(e, "errors"), 1);
	assert_int_equal(json_object_array_length(ev_field(st, "processes")), 1);
	assert_int_equal(
		ev_int(json_object_array_get_idx(ev_field(st, "processes"), 0), "peak_mem_bytes"),
		4 * RT_BYTES);
	json_object_put(st);
}

/* An allocation never freed is reported with its size, pointer and thread. */
static void test_stats_leaks(void **state)
{
	struct ts_writer *w;
	struct ts_corr *corr;
	struct ts_corr_sink cs;
	struct canned c;
	json_object *st, *leak;
	uint64_t v[2];
	int err;

	err = ts_stats_writer_open(test_path("leak.json"), true, &w);
	assert_int_equal(err, 0);
	corr = ts_corr_new(w, "test");
	ts_corr_sink_init(&cs, corr);
	canned_start(&c, &cs.base, 0);
	canned_proc(&c, 7, "leaky");
	v[0] = 0xdead0000;
	v[1] = 12345;
	canned_api(&c, 7, 8, 10, 5, 0, "cuMemAlloc_v2", v, 2, NULL);
	v[0] = 0xbeef0000;
	v[1] = 100;
	canned_api(&c, 7, 7, 20, 5, 0, "cuMemAlloc_v2", v, 2, NULL);
	canned_api(&c, 7, 7, 30, 5, 0, "cuMemFree_v2", v, 1, NULL);
	canned_end(&c);
	assert_int_equal(ts_corr_finish(corr, false), 0);
	st = json_object_from_file(test_path("leak.json"));
	leak = json_object_array_get_idx(ev_field(ev_field(st, "memory"), "leaks"), 0);
	assert_int_equal(json_object_array_length(ev_field(ev_field(st, "memory"), "leaks")), 1);
	assert_int_equal(ev_int(leak, "bytes"), 12345);
	assert_int_equal(ev_int(leak, "tid"), 8);
	assert_string_equal(json_object_get_string(ev_field(leak, "ptr")), "0xdead0000");
	json_object_put(st);
	canned_free(&c);
	ts_corr_free(corr);
	ts_writer_destroy(w);
}

/*
 * Exact statistics: durations 1, 2, 3 and 10 us of one function give min 1,
 * median 2 (nearest rank), p95 and max 10, stddev 4.082 us; never bucket
 * edges (a histogram said p50 = p99 = 3014.655 for calls of 3125.428 us).
 */
static void test_stats_exact(void **state)
{
	static const uint64_t durs[] = { 3000, 1000, 10000, 2000 };
	struct ts_writer *w;
	struct ts_corr *corr;
	struct ts_corr_sink cs;
	struct canned c;
	json_object *st, *a;
	uint64_t stream = 0x1000;
	unsigned int i;

	assert_int_equal(ts_stats_writer_open(test_path("exact.json"), true, &w), 0);
	corr = ts_corr_new(w, "test");
	ts_corr_sink_init(&cs, corr);
	canned_start(&c, &cs.base, 0);
	canned_proc(&c, 7, "app");
	for (i = 0; i < 4; i++)
		canned_api(&c, 7, 7, 100000 * (i + 1), durs[i], 0, "cuStreamSynchronize", &stream,
			   1, NULL);
	canned_end(&c);
	assert_int_equal(ts_corr_finish(corr, false), 0);
	st = json_object_from_file(test_path("exact.json"));
	a = jfind(ev_field(st, "api"), "name", "cuStreamSynchronize");
	assert_non_null(a);
	assert_int_equal(ev_int(a, "calls"), 4);
	assert_int_equal(ev_int(a, "min_ns"), 1000);
	assert_int_equal(ev_int(a, "p50_ns"), 2000);
	assert_int_equal(ev_int(a, "p95_ns"), 10000);
	assert_int_equal(ev_int(a, "max_ns"), 10000);
	assert_int_equal(ev_int(a, "avg_ns"), 4000);
	assert_int_equal(ev_int(a, "stddev_ns"), 4082);
	json_object_put(st);
	canned_free(&c);
	ts_corr_free(corr);
	ts_writer_destroy(w);
}

/* One function called as several exported variants: one row, split by variant. */
static void test_stats_variants(void **state)
{
	uint64_t v[9] = { 0xf00, 1, 1, 1, 32, 1, 1, 0, 0x1000 };
	struct ts_writer *w;
	struct ts_corr *corr;
	struct ts_corr_sink cs;
	struct canned c;
	json_object *st, *a;

	assert_int_equal(ts_stats_writer_open(test_path("variants.json"), true, &w), 0);
	corr = ts_corr_new(w, "test");
	ts_corr_sink_init(&cs, corr);
	canned_start(&c, &cs.base, 0);
	canned_proc(&c, 7, "app");
	canned_api(&c, 7, 7, 1000, 10, 0, "cuLaunchKernel", v, 9, NULL);
	canned_api(&c, 7, 7, 2000, 10, 0, "cuLaunchKernel_ptsz", v, 9, NULL);
	canned_api(&c, 7, 7, 3000, 10, 0, "cuLaunchKernel_ptsz", v, 9, NULL);
	canned_end(&c);
	assert_int_equal(ts_corr_finish(corr, false), 0);
	st = json_object_from_file(test_path("variants.json"));
	assert_null(jfind(ev_field(st, "api"), "name", "cuLaunchKernel_ptsz"));
	a = jfind(ev_field(st, "api"), "name", "cuLaunchKernel");
	assert_non_null(a);
	assert_int_equal(ev_int(a, "calls"), 3);
	assert_int_equal(ev_int(jfind(ev_field(a, "variants"), "name", "cuLaunchKernel"), "calls"),
			 1);
	assert_int_equal(
		ev_int(jfind(ev_field(a, "variants"), "name", "cuLaunchKernel_ptsz"), "calls"), 2);
	json_object_put(st);
	canned_free(&c);
	ts_corr_free(corr);
	ts_writer_destroy(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_quantiles), cmocka_unit_test(test_stats_tables),
		cmocka_unit_test(test_stats_leaks),    cmocka_unit_test(test_stats_exact),
		cmocka_unit_test(test_stats_variants),
	};

	if (test_dir_init("ts-stats"))
		return 1;
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
