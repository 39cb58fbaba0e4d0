// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --stacks on canned records (correlate/callsite.c): line tables of every
 * entry form, names of every string kind and names that are not what they
 * claim, unknown and unstarted frames, a cut stack, a stack that is not its
 * call's, callers named and not, and the bound on code objects kept. The
 * same stacks interned: in the .pftrace as Callstacks and Frames (decoded by
 * tests/check_pftrace.py), in SQLite's stack tables and views, summed by the
 * callsite_sum report; and the bound on distinct stacks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "pipe.h"
#include "record/decode.h"
#include "tmpdir.h"
#include "trace_json.h"

#define CODE_START 0x10000 /* code objects' first instruction, as BPF reads it */

static void put(struct pipe *p, const void *rec)
{
	assert_int_equal(p->c.sink->put(p->c.sink, rec), 0);
}

/* A code object of pid at code: qual and file given as raw bytes of their kind. */
static void pycode(struct pipe *p, uint32_t pid, uint64_t code, const void *qual, size_t ql,
		   uint8_t qk, const char *file, const uint8_t *table, size_t tl)
{
	struct ts_rec_pycode *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->hdr.size = sizeof(*r);
	r->hdr.kind = TS_REC_PYCODE;
	r->hdr.pid = pid;
	r->hdr.tid = pid;
	r->hdr.ts = CANNED_BASE + 1;
	r->hdr.aux = 11;
	r->code = code;
	r->code_start = CODE_START;
	r->firstlineno = 10;
	memcpy(r->qual, qual, ql);
	r->qual_len = ql;
	r->qual_kind = qk;
	r->file_len = strlen(file);
	memcpy(r->file, file, r->file_len);
	r->file_kind = 1 | TS_PY_STR_ASCII;
	memcpy(r->table, table, tl);
	r->table_len = tl;
	r->table_full = tl;
	put(p, r);
	free(r);
}

/* A stack on thread 100 of pid for the launch at ts, then the launch. */
static void launch_with_stack(struct pipe *p, uint32_t pid, uint64_t ts, uint64_t caller,
			      const struct ts_py_frame *f, unsigned int n, uint8_t flags)
{
	uint64_t v[9] = { 0x4000, 1, 1, 1, 32, 1, 1, 0, 0 };
	struct ts_rec_stack s = { 0 };

	s.hdr.size = TS_STACK_BASE_SIZE + n * sizeof(s.frames[0]);
	s.hdr.kind = TS_REC_STACK;
	s.hdr.flags = flags | TS_STACK_F_PY;
	s.hdr.pid = pid;
	s.hdr.tid = pid;
	s.hdr.ts = CANNED_BASE + ts;
	s.hdr.aux = canned_sym_id("cuLaunchKernel");
	s.caller = caller;
	s.nframes = n;
	memcpy(s.frames, f, n * sizeof(*f));
	put(p, &s);
	canned_api(&p->c, pid, pid, ts, 5, 0, "cuLaunchKernel", v, 9, NULL);
}

static const char *nth_arg(const struct trace *t, int nth, const char *key)
{
	json_object *e = trace_find(t, "X", "cuLaunchKernel", HOST, nth);

	assert_non_null(e);
	return ev_arg_str(e, key);
}

/*
 * A line table (Objects/locations.md) from first line 10, units: 0-3 line 12
 * (no columns, +2), 4-5 line 13 (one line, +1), 6 line 10 (long form, -3),
 * 7 none, 8-9 line 10 (short form), 10 line 110 (no columns, +100: two bytes).
 */
static const uint8_t table[] = { 0xeb, 0x04, 0xd9, 0x05, 0x07, 0xf0, 0x07, 0x00,
				 0x01, 0x02, 0xf8, 0x81, 0x00, 0xe8, 0x48, 0x03 };

static void test_stack_lines(void **state)
{
	static const unsigned int units[] = { 0, 3, 5, 6, 7, 9, 10, 11 };
	struct ts_py_frame f[8];
	struct pipe p;
	unsigned int i;

	pipe_open(&p, test_path("lines.json"), 0);
	pycode(&p, 100, 0x5000, "f", 1, 1 | TS_PY_STR_ASCII, "a.py", table, sizeof(table));
	for (i = 0; i < 8; i++) {
		f[i].code = 0x5000;
		f[i].instr = CODE_START + 2 * units[i];
	}
	launch_with_stack(&p, 100, 10, 0, f, 8, 0);
	pipe_close(&p);
	assert_string_equal(nth_arg(&p.t, 0, "py_stack"),
			    "a.py:12 f <- a.py:12 f <- a.py:13 f <- a.py:10 f <- a.py:? f <- "
			    "a.py:10 f <- a.py:110 f <- a.py:? f");
	assert_null(nth_arg(&p.t, 0, "caller"));
	pipe_free(&p);
}

static void test_stack_names(void **state)
{
	/* UTF-16 "é中" and a lone surrogate; "x", 0xff, ".py" claimed ASCII; Latin-1 "é" */
	static const uint16_t wide[] = { 0x00e9, 0x4e2d, 0xd800 };
	static const char not_ascii[] = { 'x', (char)0xff }, latin[] = { (char)0xe9 };
	struct ts_py_frame f[5] = {
		{ 0x6000, CODE_START },	    { 0x6100, CODE_START },
		{ 0x6200, CODE_START - 2 }, /* not started: not shown */
		{ 0x6300, CODE_START },	    /* never described */
		{ 0x6200, CODE_START },
	};
	struct pipe p;

	pipe_open(&p, test_path("names.json"), 0);
	pycode(&p, 100, 0x6000, wide, sizeof(wide), 2, "w.py", table, sizeof(table));
	pycode(&p, 100, 0x6100, not_ascii, sizeof(not_ascii), 1 | TS_PY_STR_ASCII, "n.py", table,
	       sizeof(table));
	pycode(&p, 100, 0x6200, latin, sizeof(latin), 1, "l.py", table, sizeof(table));
	launch_with_stack(&p, 100, 10, 0x7f0000001234, f, 5, TS_STACK_F_CUT);
	pipe_close(&p);
	assert_string_equal(nth_arg(&p.t, 0, "py_stack"), "w.py:12 \xc3\xa9\xe4\xb8\xad\xef\xbf\xbd"
							  " <- n.py:12 x\xef\xbf\xbd <- ? <- "
							  "l.py:12 \xc3\xa9 <- ...");
	/* a caller never named: its address */
	assert_string_equal(nth_arg(&p.t, 0, "caller"), "0x7f0000001234");
	pipe_free(&p);
}

/* A stack is its call's only: same thread, same entry time, same symbol. */
static void test_stack_not_its_call(void **state)
{
	static char buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));
	uint64_t v[9] = { 0x4000, 1, 1, 1, 32, 1, 1, 0, 0 };
	struct ts_py_frame f = { 0x5000, CODE_START };
	struct pipe p;

	pipe_open(&p, test_path("notits.json"), 0);
	pycode(&p, 100, 0x5000, "f", 1, 1 | TS_PY_STR_ASCII, "a.py", table, sizeof(table));
	ts_meta_build(buf, TS_REC_META_CALLER, 100, CANNED_BASE + 5, 0, 0x7f00, 0, "libx.so!g+0x4",
		      13, NULL, 0);
	put(&p, buf);
	launch_with_stack(&p, 100, 10, 0x7f00, &f, 1, 0);
	/* the next launch has no stack record: it must not take the last one's */
	canned_api(&p.c, 100, 100, 20, 5, 0, "cuLaunchKernel", v, 9, NULL);
	pipe_close(&p);
	assert_string_equal(nth_arg(&p.t, 0, "py_stack"), "a.py:12 f");
	assert_string_equal(nth_arg(&p.t, 0, "caller"), "libx.so!g+0x4");
	assert_null(nth_arg(&p.t, 1, "py_stack"));
	assert_null(nth_arg(&p.t, 1, "caller"));
	pipe_free(&p);
}

/* Code objects kept are bounded; a process's go when it exits, and room comes back. */
static void test_stack_bound(void **state)
{
	struct ts_py_frame first = { 0x100000, CODE_START }, over = { 0x100000 + 16384 * 8, 0 };
	struct pipe p;
	uint64_t i;

	over.instr = CODE_START;
	pipe_open(&p, test_path("bound.json"), 0);
	canned_proc(&p.c, 200, "python other.py");
	for (i = 0; i <= 16384; i++)
		pycode(&p, 200, 0x100000 + i * 8, "f", 1, 1 | TS_PY_STR_ASCII, "b.py", table, 2);
	launch_with_stack(&p, 200, 10, 0, &first, 1, 0);
	launch_with_stack(&p, 200, 20, 0, &over, 1, 0);
	canned_exit(&p.c, 200);
	pycode(&p, 100, 0x5000, "g", 1, 1 | TS_PY_STR_ASCII, "c.py", table, sizeof(table));
	first.code = 0x5000;
	launch_with_stack(&p, 100, 30, 0, &first, 1, 0);
	pipe_close(&p);
	assert_string_equal(nth_arg(&p.t, 0, "py_stack"), "b.py:12 f");
	assert_string_equal(nth_arg(&p.t, 1, "py_stack"), "?");
	assert_string_equal(nth_arg(&p.t, 2, "py_stack"), "c.py:12 g");
	pipe_free(&p);
}

/*
 * Stack A (caller libx.so!g+0x4, then a.py:12 f <- a.py:13 f) on the launches
 * at 10 and 20, stack B (a.py:10 f, no caller) on the one at 30; a launch
 * with no stack at 40.
 */
static void two_stacks(struct pipe *p)
{
	static char buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));
	uint64_t v[9] = { 0x4000, 1, 1, 1, 32, 1, 1, 0, 0 };
	struct ts_py_frame a[2] = { { 0x5000, CODE_START }, { 0x5000, CODE_START + 2 * 5 } },
			   b = { 0x5000, CODE_START + 2 * 6 };

	pycode(p, 100, 0x5000, "f", 1, 1 | TS_PY_STR_ASCII, "a.py", table, sizeof(table));
	ts_meta_build(buf, TS_REC_META_CALLER, 100, CANNED_BASE + 5, 0, 0x7f00, 0, "libx.so!g+0x4",
		      13, NULL, 0);
	put(p, buf);
	launch_with_stack(p, 100, 10, 0x7f00, a, 2, 0);
	launch_with_stack(p, 100, 20, 0x7f00, a, 2, 0);
	launch_with_stack(p, 100, 30, 0, &b, 1, 0);
	canned_api(&p->c, 100, 100, 40, 5, 0, "cuLaunchKernel", v, 9, NULL);
}

#define STACK_A "libx.so!g+0x4 <- a.py:12 f <- a.py:13 f"
#define STACK_B "a.py:10 f"

/*
 * Each stack once in the InternedData, frames outermost first, every reference
 * defined; on the calls, and on the GPU work they submitted weighted by its time.
 */
static void test_stack_pftrace(void **state)
{
	char cmd[1024];
	struct ts_writer *w;
	struct pipe p;

	assert_int_equal(ts_pftrace_writer_open(test_path("st.pftrace"), &w), 0);
	pipe_open_writer(&p, test_path("st.pftrace"), 0, w);
	two_stacks(&p);
	pipe_close(&p);
	snprintf(cmd, sizeof(cmd),
		 "tests/check_pftrace.py %s --expect cuLaunchKernel=4 --expect-callstacks 2 "
		 "--expect-stack '" STACK_A "=4' --expect-stack '" STACK_B "=2' "
		 "--expect-weight '" STACK_A "=10' --expect-weight '" STACK_B "=5' >/dev/null",
		 test_path("st.pftrace"));
	assert_int_equal(system(cmd), 0);
	pipe_free(&p);
}

/* The rows of sql, each row's columns joined by '|', rows by '\n' (NULL as "-"). */
static char *rows(sqlite3 *db, const char *sql)
{
	static char out[4096];
	sqlite3_stmt *st;
	size_t n = 0;
	int i;

	out[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		for (i = 0; i < sqlite3_column_count(st); i++) {
			const char *t = (const char *)sqlite3_column_text(st, i);

			n += snprintf(out + n, sizeof(out) - n, "%s%s", t ? t : "-",
				      i + 1 < sqlite3_column_count(st) ? "|" : "\n");
			assert_true(n < sizeof(out));
		}
	sqlite3_finalize(st);
	return out;
}

/* The report as stats --report runs it: reports/callsite_sum.sql, from the repository root. */
static char *report_sql(void)
{
	static char sql[8192];
	FILE *f = fopen("reports/callsite_sum.sql", "r");
	size_t n;

	assert_non_null(f);
	n = fread(sql, 1, sizeof(sql) - 1, f);
	fclose(f);
	sql[n] = '\0';
	return sql;
}

static void test_stack_sqlite(void **state)
{
	struct ts_writer *w;
	struct pipe p;
	sqlite3 *db;

	assert_int_equal(ts_sqlite_writer_open(test_path("st.sqlite"), &w), 0);
	pipe_open_writer(&p, test_path("st.sqlite"), 0, w);
	two_stacks(&p);
	pipe_close(&p);
	assert_int_equal(sqlite3_open_v2(test_path("st.sqlite"), &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	/* frames in the order first met: a stack's Python frames, then its caller */
	assert_string_equal(rows(db, "SELECT * FROM STACK_FRAMES ORDER BY id"),
			    "1|f|a.py|12|python\n2|f|a.py|13|python\n3|libx.so!g+0x4|-|-|native\n"
			    "4|f|a.py|10|python\n");
	/* the text as the JSON's args say it */
	assert_string_equal(rows(db, "SELECT * FROM CALLSTACKS ORDER BY id"),
			    "1|3|0|a.py:12 f <- a.py:13 f|libx.so!g+0x4\n2|1|0|a.py:10 f|-\n");
	assert_string_equal(rows(db, "SELECT depth, function, line FROM callstack_frames "
				     "WHERE stackId = 1 ORDER BY depth"),
			    "0|libx.so!g+0x4|-\n1|f|12\n2|f|13\n");
	assert_string_equal(rows(db, "SELECT start, name, stackId, pyStack FROM call_stacks "
				     "ORDER BY start"),
			    "10|cuLaunchKernel|1|a.py:12 f <- a.py:13 f\n"
			    "20|cuLaunchKernel|1|a.py:12 f <- a.py:13 f\n"
			    "30|cuLaunchKernel|2|a.py:10 f\n");
	/* the GPU work by stack: the launch with no stack is a row of its own */
	assert_string_equal(rows(db, report_sql()),
			    "50.0|10|2|2|5.0|host|1|libx.so!g+0x4|a.py:12 f <- a.py:13 f\n"
			    "25.0|5|1|1|5.0|host|2|-|a.py:10 f\n"
			    "25.0|5|1|1|5.0|host|-|-|-\n");
	sqlite3_close(db);
	pipe_free(&p);
}

/* --gpu-time: the launches at 10, 20, 30, 40 ran 100, 200, 300 and 400 ns on the GPU. */
static void gpu_timed(struct pipe *p, const char *path, struct ts_writer *w)
{
	pipe_open_writer(p, path, 0, w);
	canned_gpu_started(&p->c, 100);
	two_stacks(p);
	canned_gpu_kernel(&p->c, 100, 100, 1000, 1100, 10, 7);
	canned_gpu_kernel(&p->c, 100, 100, 2000, 2200, 20, 7);
	canned_gpu_kernel(&p->c, 100, 100, 3000, 3300, 30, 7);
	canned_gpu_kernel(&p->c, 100, 100, 4000, 4400, 40, 7);
	pipe_close(p);
}

/*
 * Measured GPU work keeps its call's stack: weighted by its GPU time in the
 * .pftrace; callsite_sum says its time is the GPU's.
 */
static void test_stack_gpu_time(void **state)
{
	char cmd[1024];
	struct ts_writer *w;
	struct pipe p;
	sqlite3 *db;

	assert_int_equal(ts_pftrace_writer_open(test_path("gt.pftrace"), &w), 0);
	gpu_timed(&p, test_path("gt.pftrace"), w);
	snprintf(cmd, sizeof(cmd),
		 "tests/check_pftrace.py %s --expect-stack '" STACK_A
		 "=4' --expect-weight '" STACK_A "=300' --expect-weight '" STACK_B
		 "=300' >/dev/null",
		 test_path("gt.pftrace"));
	assert_int_equal(system(cmd), 0);
	pipe_free(&p);

	assert_int_equal(ts_sqlite_writer_open(test_path("gt.sqlite"), &w), 0);
	gpu_timed(&p, test_path("gt.sqlite"), w);
	assert_int_equal(sqlite3_open_v2(test_path("gt.sqlite"), &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_string_equal(rows(db, report_sql()),
			    "40.0|400|1|1|400.0|gpu|-|-|-\n"
			    "30.0|300|2|2|150.0|gpu|1|libx.so!g+0x4|a.py:12 f <- a.py:13 f\n"
			    "30.0|300|1|1|300.0|gpu|2|-|a.py:10 f\n");
	sqlite3_close(db);
	pipe_free(&p);
}

/*
 * 10,000 distinct stacks: TS_CAP_CALLSTACKS are kept, the calls of the rest
 * share one stack and are counted; every call still has its own text.
 */
static void test_stack_distinct_bound(void **state)
{
	const unsigned int n = 10000, over = n - TS_CAP_CALLSTACKS;
	struct ts_py_frame f = { 0, CODE_START };
	struct ts_writer *w;
	char name[16], want[256];
	struct pipe p;
	unsigned int i;
	sqlite3 *db;

	assert_int_equal(ts_sqlite_writer_open(test_path("many.sqlite"), &w), 0);
	pipe_open_writer(&p, test_path("many.sqlite"), 0, w);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		f.code = 0x100000 + i * 8;
		pycode(&p, 100, f.code, name, strlen(name), 1 | TS_PY_STR_ASCII, "m.py", table, 2);
		launch_with_stack(&p, 100, 10 + 10 * i, 0, &f, 1, 0);
	}
	pipe_close(&p);
	assert_int_equal(sqlite3_open_v2(test_path("many.sqlite"), &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	snprintf(want, sizeof(want), "%d|%d\n", TS_CAP_CALLSTACKS + 1, TS_CAP_CALLSTACKS + 1);
	assert_string_equal(rows(db, "SELECT COUNT(*), MAX(id) FROM CALLSTACKS"), want);
	snprintf(want, sizeof(want), "%u|(call stacks past the memory budget)\n", over);
	assert_string_equal(rows(db, "SELECT COUNT(*), pyStack FROM call_stacks WHERE stackId = "
				     "(SELECT MAX(id) FROM CALLSTACKS)"),
			    want);
	snprintf(want, sizeof(want), "%u\n", over);
	assert_string_equal(rows(db, "SELECT value FROM META WHERE key = "
				     "'cut_by_memory_budget.call_stacks'"),
			    want);
	/* the last call kept its own stack: its frame, its line */
	snprintf(want, sizeof(want), "m.py:12 f%d\n", TS_CAP_CALLSTACKS - 1);
	assert_string_equal(rows(db,
				 "SELECT pyStack FROM CALLSTACKS WHERE id = (SELECT MAX(id) - 1 "
				 "FROM CALLSTACKS)"),
			    want);
	sqlite3_close(db);
	pipe_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_lines),
		cmocka_unit_test(test_stack_names),
		cmocka_unit_test(test_stack_not_its_call),
		cmocka_unit_test(test_stack_bound),
		cmocka_unit_test(test_stack_pftrace),
		cmocka_unit_test(test_stack_sqlite),
		cmocka_unit_test(test_stack_gpu_time),
		cmocka_unit_test(test_stack_distinct_bound),
	};

	if (test_dir_init("ts-stacks"))
		return 1;
	return cmocka_run_group_tests_name("correlate_stacks", tests, NULL, NULL);
}
