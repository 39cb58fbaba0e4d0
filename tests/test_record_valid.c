// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a crafted capture or a forging process controls, without BPF or root:
 * times and counts that cannot be drawn (dropped and counted, in every
 * output), arguments at their C width whatever the upper bits of their slot,
 * and the record kinds named in `replay --info`.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "record/capture.h"
#include "record/decode.h"
#include "pipe.h"
#include "tmpdir.h"
#include "record/validate.h"

#define DIRTY 0xdeadbeef00000000ull

/* ---- the rules, record by record ---------------------------------------- */

static struct ts_rec_gpu gpu_rec(uint64_t ts, uint64_t end)
{
	struct ts_rec_gpu r;

	memset(&r, 0, sizeof(r));
	r.hdr.size = sizeof(r);
	r.hdr.kind = TS_REC_GPU;
	r.hdr.flags = TS_GPU_KERNEL;
	r.hdr.pid = 100;
	r.hdr.tid = 100;
	r.hdr.ts = ts;
	r.end = end;
	return r;
}

static struct ts_rec_gpu_info dropped_rec(uint64_t ts, uint64_t n)
{
	struct ts_rec_gpu_info r;

	memset(&r, 0, sizeof(r));
	r.hdr.size = sizeof(r);
	r.hdr.kind = TS_REC_GPU_INFO;
	r.hdr.flags = TS_GPUI_DROPPED;
	r.hdr.pid = 100;
	r.hdr.ts = ts;
	r.v[0] = n;
	return r;
}

static void test_rules(void **state)
{
	const uint64_t base = CANNED_BASE;
	struct ts_rec_api a = { .hdr = { .size = TS_API_BASE_SIZE, .kind = TS_REC_API } };
	struct ts_rec_gpu g = gpu_rec(base + 10, base + 20);
	struct ts_rec_gpu_info i = dropped_rec(base, 7);
	struct ts_rec_hdr x = { .size = sizeof(x), .kind = TS_REC_EXIT };

	a.hdr.ts = base + 5;
	a.dur = 100;
	assert_int_equal(ts_rec_validate(&a, base), TS_VALID);
	a.dur = UINT64_MAX; /* ts + dur wraps */
	assert_int_equal(ts_rec_validate(&a, base), TS_INV_TIME);
	a.dur = TS_SPAN_MAX_NS; /* ends past the span */
	assert_int_equal(ts_rec_validate(&a, base), TS_INV_TIME);
	a.dur = 1;
	a.hdr.ts = UINT64_MAX - 10; /* near 2^64, even with no base known yet */
	assert_int_equal(ts_rec_validate(&a, 0), TS_INV_TIME);
	a.hdr.ts = base - TS_EARLY_MAX_NS - 1; /* long before the trace began */
	assert_int_equal(ts_rec_validate(&a, base), TS_INV_TIME);
	a.hdr.ts = base - 1000; /* a little before: a clock's calibration error */
	assert_int_equal(ts_rec_validate(&a, base), TS_VALID);

	assert_int_equal(ts_rec_validate(&g, base), TS_VALID);
	g = gpu_rec(base + 10, UINT64_MAX);
	assert_int_equal(ts_rec_validate(&g, base), TS_INV_TIME);
	g = gpu_rec(base + 10, base + 9);
	assert_int_equal(ts_rec_validate(&g, base), TS_INV_END_BEFORE_START);
	g = gpu_rec(0, base);
	assert_int_equal(ts_rec_validate(&g, base), TS_INV_TIME);

	assert_int_equal(ts_rec_validate(&i, base), TS_VALID);
	i = dropped_rec(base, UINT64_MAX);
	assert_int_equal(ts_rec_validate(&i, base), TS_INV_COUNT);
	i = dropped_rec(UINT64_MAX - 1, 1);
	assert_int_equal(ts_rec_validate(&i, base), TS_INV_TIME);

	/* an exit has no earliest time (it only ends what was open), but no time near 2^64 */
	assert_int_equal(ts_rec_validate(&x, base), TS_VALID);
	x.ts = UINT64_MAX;
	assert_int_equal(ts_rec_validate(&x, base), TS_INV_TIME);

	assert_int_equal(ts_sat_add(UINT64_MAX - 1, UINT64_MAX - 1), UINT64_MAX);
	assert_int_equal(ts_sat_add(2, 3), 5);
	assert_string_equal(ts_invalid_name(TS_INV_TIME), "time_outside_trace");
}

/* ---- a crafted capture, replayed into every format ---------------------- */

static void put(struct canned *c, const void *rec)
{
	if (!c->err)
		c->err = c->sink->put(c->sink, rec);
}

/* The stream's end, at a fixed time (canned_end's is now: the machine's uptime). */
static void end_at(struct canned *c, uint64_t ts)
{
	static char buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));

	ts_meta_build(buf, TS_REC_META_DROPS, 0, ts, 0, 0, 0, NULL, 0, NULL, 0);
	put(c, buf);
	ts_meta_build(buf, TS_REC_META_END, 0, ts, 0, 0, 0, NULL, 0, NULL, 0);
	put(c, buf);
}

/*
 * One launch and one GPU kernel that are real; and 8 records that are not:
 * an API duration of 2^64-1, an API time near 2^64, a driver call of ~2^64 ns,
 * a GPU end of 2^64-1, a GPU end before its start, a GPU start 500 days on,
 * and two CUPTI drop counts of 2^64-1 (their sum wrapped to 2^64-2). A drop
 * count of 5 is real.
 */
static void write_crafted(const char *path)
{
	const uint64_t B = CANNED_BASE;
	uint64_t v[9] = { 0xf00, 2, 1, 1, 32, 1, 1, 0, 0 };
	struct ts_rec_driver d;
	struct ts_rec_gpu g;
	struct ts_rec_gpu_info i;
	struct ts_capture *cap;
	struct canned c;

	assert_int_equal(ts_capture_create(path, &cap), 0);
	canned_start(&c, ts_capture_sink(cap), 0);
	canned_proc(&c, 100, "forger");
	canned_thread(&c, 100, 100, "forger");
	canned_api(&c, 100, 100, 1000, 500, 0, "cuLaunchKernel", v, 9, NULL);
	canned_api(&c, 100, 100, 2000, UINT64_MAX, 0, "cuLaunchKernel", v, 9, NULL);
	canned_api(&c, 100, 100, UINT64_MAX - B - 10, 1, 0, "cuLaunchKernel", v, 9, NULL);
	memset(&d, 0, sizeof(d));
	d.hdr = (struct ts_rec_hdr){ .size = TS_DRV_BASE_SIZE,
				     .kind = TS_REC_DRIVER,
				     .flags = TS_DEV_CTL,
				     .pid = 100,
				     .tid = 100,
				     .ts = B + 2500,
				     .aux = TS_DRV_IOCTL };
	d.dur = UINT64_MAX - 5;
	put(&c, &d);
	g = gpu_rec(B + 3000, B + 4000);
	put(&c, &g);
	g = gpu_rec(B + 3000, UINT64_MAX);
	put(&c, &g);
	g = gpu_rec(B + 3000, B + 2000);
	put(&c, &g);
	g = gpu_rec(B + 500ull * 86400 * 1000000000, B + 500ull * 86400 * 1000000000 + 1);
	put(&c, &g);
	i = dropped_rec(B + 5000, UINT64_MAX);
	put(&c, &i);
	put(&c, &i);
	i = dropped_rec(B + 5000, 5);
	put(&c, &i);
	end_at(&c, B + 10000);
	assert_int_equal(c.err, 0);
	canned_free(&c);
	assert_int_equal(ts_capture_close(cap), 0);
}

static long long sql_meta(const char *db, const char *key)
{
	sqlite3 *s = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	assert_int_equal(sqlite3_open_v2(db, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
		sqlite3_prepare_v2(s, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL),
		SQLITE_OK);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(s);
	return v;
}

/* The trace's slices: none ends before it begins, none past the stream's end. */
static void assert_drawable(const struct trace *t, double end_us)
{
	json_object *e;
	int i, n = 0;

	for (i = 0; (e = trace_find(t, "X", NULL, ANY, i)); i++, n++) {
		assert_true(ev_num(e, "dur") >= 0);
		assert_true(ev_num(e, "ts") >= 0);
		assert_true(ev_num(e, "ts") + ev_num(e, "dur") <= end_us);
	}
	assert_true(n >= 2);
}

static void test_crafted_capture(void **state)
{
	const char *bin = getenv("TS_BIN");
	char *cap = strdup(test_path("crafted.tsbpf")), cmd[2048], info[4096] = "";
	json_object *inv, *st;
	struct trace t;
	FILE *f;
	size_t n;

	if (!bin)
		skip();
	write_crafted(cap);
	snprintf(cmd, sizeof(cmd), "%s replay %s -o %s -o %s -o %s -o stats-json:%s", bin, cap,
		 test_path("c.json"), test_path("c.pftrace"), test_path("c.sqlite"),
		 test_path("c.stats.json"));
	assert_int_equal(system(cmd), 0);

	assert_int_equal(trace_load(&t, test_path("c.json")), 0);
	assert_drawable(&t, 10.0); /* the stream ends 10 us in */
	assert_int_equal(trace_count(&t, "X", "cuLaunchKernel", HOST), 1);
	assert_int_equal(json_object_get_int64(trace_other(&t, "invalid_records_dropped")), 8);
	inv = trace_other(&t, "invalid_records");
	assert_int_equal(json_object_get_int64(ev_field(inv, "end_before_start")), 1);
	assert_int_equal(json_object_get_int64(ev_field(inv, "time_outside_trace")), 5);
	assert_int_equal(json_object_get_int64(ev_field(inv, "count_out_of_range")), 2);
	assert_int_equal(json_object_get_int64(trace_other(&t, "cupti_dropped_records")), 5);
	trace_free(&t);

	assert_int_equal(sql_meta(test_path("c.sqlite"), "invalid_records_dropped"), 8);
	assert_int_equal(sql_meta(test_path("c.sqlite"), "invalid_time_outside_trace"), 5);
	assert_int_equal(sql_meta(test_path("c.sqlite"), "cupti_dropped_records"), 5);
	assert_true(sql_meta(test_path("c.sqlite"), "duration_ns") <= 10000);

	st = json_object_from_file(test_path("c.stats.json"));
	assert_non_null(st);
	assert_true(json_object_get_int64(ev_field(st, "span_ns")) <= 10000);
	assert_int_equal(json_object_get_int64(ev_field(st, "invalid_records_dropped")), 8);
	json_object_put(st);

	if (!system("protoc --version >/dev/null 2>&1")) {
		snprintf(cmd, sizeof(cmd), "tests/check_pftrace.py %s >/dev/null",
			 test_path("c.pftrace"));
		assert_int_equal(system(cmd), 0);
	}

	/* --info: the GPU kinds by name, the invalid records said, the span theirs only */
	snprintf(cmd, sizeof(cmd), "%s replay %s --info", bin, cap);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(info, 1, sizeof(info) - 1, f);
	info[n] = '\0';
	assert_int_equal(pclose(f), 0);
	assert_null(strstr(info, "  ?"));
	assert_non_null(strstr(info, "  gpu      4\n"));
	assert_non_null(strstr(info, "  gpu_info 3\n"));
	assert_non_null(strstr(info, "invalid  8 "));
	assert_non_null(strstr(info, "span     0.0000"));
	free(cap);
}

static void test_kind_names(void **state)
{
	static const unsigned int kinds[] = {
		TS_REC_API,	   TS_REC_THREAD,     TS_REC_EXIT,     TS_REC_DRIVER,
		TS_REC_API_ENTER,  TS_REC_PROC,	      TS_REC_GPU,      TS_REC_GPU_NAME,
		TS_REC_GPU_INFO,   TS_REC_META_START, TS_REC_META_SYM, TS_REC_META_PROC,
		TS_REC_META_DROPS, TS_REC_META_END,   TS_REC_META_LIB, TS_REC_META_NAME,
		TS_REC_META_HOST,
	};
	unsigned int i, j;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		assert_string_not_equal(ts_rec_kind_name(kinds[i]), "?");
		for (j = 0; j < i; j++) /* one name, one kind */
			assert_string_not_equal(ts_rec_kind_name(kinds[i]),
						ts_rec_kind_name(kinds[j]));
	}
	assert_string_equal(ts_rec_kind_name(TS_REC_GPU_INFO), "gpu_info");
	assert_string_equal(ts_rec_kind_name(200), "?");
}

/* ---- arguments at their C width ------------------------------------------ */

/* The decoder's view: 32-bit arguments keep their 32 bits, an int its sign. */
static void test_call_widths(void **state)
{
	const struct ts_sym *syms;
	struct ts_rec_api r;
	struct ts_call c;
	struct ts_launch l;
	uint64_t v;
	int id = canned_sym_id("cuLaunchKernel");

	ts_syms(&syms);
	memset(&r, 0, sizeof(r));
	r.hdr.kind = TS_REC_API;
	r.nvals = 9;
	r.vals[0] = 0x7f0000001000ull;
	r.vals[1] = DIRTY | 64;
	r.vals[2] = DIRTY | 2;
	r.vals[3] = DIRTY | 1;
	r.vals[4] = DIRTY | 128;
	r.vals[5] = DIRTY | 1;
	r.vals[6] = DIRTY | 1;
	r.vals[7] = 0x7fe200000000ull; /* shmem 0, read as 140608639336448 */
	r.vals[8] = 0x5000;
	ts_call_init(&c, &r, &ts_hooks[syms[id].hook]);
	assert_non_null(c.hook);
	assert_true(ts_call_val(&c, ROLE_SHMEM, &v));
	assert_int_equal(v, 0);
	assert_true(ts_call_val(&c, ROLE_GRID_X, &v));
	assert_int_equal(v, 64);
	assert_true(ts_call_val(&c, ROLE_FUNC, &v)); /* a pointer keeps its 64 bits */
	assert_int_equal(v, 0x7f0000001000ull);
	assert_true(ts_call_launch(&c, &l));
	assert_int_equal(l.grid[1], 2);
	assert_int_equal(l.shmem, 0);

	id = canned_sym_id("cuStreamCreateWithPriority");
	memset(&r, 0, sizeof(r));
	r.nvals = 3;
	r.vals[1] = DIRTY | 1;
	r.vals[2] = DIRTY | 0xffffffffu; /* int -1 */
	ts_call_init(&c, &r, &ts_hooks[syms[id].hook]);
	assert_true(ts_call_val(&c, ROLE_PRIORITY, &v));
	assert_int_equal((int64_t)v, -1);
	assert_true(ts_call_val(&c, ROLE_FLAGS, &v));
	assert_int_equal(v, 1);
}

/* The same through the correlator: host slice args, GPU slice args. */
static void test_dirty_args_trace(void **state)
{
	uint64_t lk[9] = { 0xf00,     DIRTY | 64, DIRTY | 2,	     DIRTY | 1, DIRTY | 128,
			   DIRTY | 1, DIRTY | 1,  0x7fe200000000ull, 0 };
	uint64_t ms[4] = { 0xd000, DIRTY | 0xffab, 4096, 0 };
	uint64_t sp[3] = { 0x5000, DIRTY | 1, DIRTY | 0xfffffffeu };
	uint64_t cr[2] = { 0xc0, DIRTY | 0 };
	struct pipe p;
	json_object *e;

	pipe_open(&p, test_path("dirty.json"), 0);
	canned_api(&p.c, 100, 100, 10, 5, 0, "cuDevicePrimaryCtxRetain", cr, 2, NULL);
	canned_api(&p.c, 100, 100, 20, 5, 0, "cuStreamCreateWithPriority", sp, 3, NULL);
	canned_api(&p.c, 100, 100, 30, 5, 0, "cuLaunchKernel", lk, 9, NULL);
	canned_api(&p.c, 100, 100, 40, 5, 0, "cuMemsetD8Async", ms, 4, NULL);
	pipe_close(&p);
	e = trace_find(&p.t, "X", "cuLaunchKernel", HOST, 0);
	assert_int_equal(ev_arg_int(e, "shared_memory_bytes"), 0);
	e = trace_find(&p.t, "X", NULL, GPU, 0);
	assert_true(ev_arg_dim3(e, "grid_dim", 64, 2, 1));
	assert_true(ev_arg_dim3(e, "block_dim", 128, 1, 1));
	assert_int_equal(ev_arg_int(e, "shared_memory_bytes"), 0);
	e = trace_find(&p.t, "X", "cuStreamCreateWithPriority", HOST, 0);
	assert_int_equal(ev_arg_int(e, "priority"), -2);
	assert_string_equal(ev_arg_str(e, "flags"), "0x1");
	e = trace_find(&p.t, "X", "cuDevicePrimaryCtxRetain", HOST, 0);
	assert_int_equal(ev_arg_int(e, "device"), 0);
	e = trace_find(&p.t, "X", "cuMemsetD8Async", HOST, 0);
	assert_string_equal(ev_arg_str(e, "value"), "0xab");
	pipe_free(&p);
}

static int setup(void **state)
{
	return test_dir_init("ts-valid");
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir());
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_crafted_capture),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_call_widths),
		cmocka_unit_test(test_dirty_args_trace),
	};

	return cmocka_run_group_tests_name("valid", tests, setup, teardown);
}
