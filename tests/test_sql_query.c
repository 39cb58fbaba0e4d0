// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The SQLite export and the reports over it: exact numbers from calls of
 * known durations; the same numbers from the reports' SQL as from the
 * streaming stats, on every fixture; the CLI (stats --report, query) and its
 * errors. No root, no BPF.
 */
#define _GNU_SOURCE
#include <math.h>
#include <setjmp.h>
#include <sqlite3.h>
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
#include "workloads.h"
#include "write/writer.h"

static const char *const fixtures[] = { "runtime", "frameworks", "threads", "driver", "gputime" };

static void sql_sqrt(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3_result_double(ctx, sqrt(sqlite3_value_double(argv[0])));
}

static sqlite3 *open_db(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_create_function(db, "sqrt", 1, SQLITE_UTF8, NULL, sql_sqrt, NULL, NULL);
	return db;
}

static sqlite3 *db_reopen(sqlite3 **db, const char *path)
{
	sqlite3_close(*db);
	*db = open_db(path);
	return *db;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);

	assert_non_null(f);
	assert_true(fread(buf, 1, (1 << 16) - 1, f) > 0);
	fclose(f);
	return buf;
}

/* The report's row whose last column is name: columns as text, in out[] */
static bool report_row(sqlite3 *db, const char *report, const char *name, char out[][64], int *ncol)
{
	char path[128], *sql;
	sqlite3_stmt *st;
	bool found = false;
	int i, n;

	snprintf(path, sizeof(path), "reports/%s.sql", report);
	sql = slurp(path);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	n = sqlite3_column_count(st);
	while (!found && sqlite3_step(st) == SQLITE_ROW) {
		if (strcmp((const char *)sqlite3_column_text(st, n - 1), name))
			continue;
		for (i = 0; i < n; i++)
			snprintf(out[i], 64, "%s", (const char *)sqlite3_column_text(st, i));
		found = true;
	}
	*ncol = n;
	sqlite3_finalize(st);
	free(sql);
	return found;
}

/* Calls of known durations: the report's exact min, median, max, mean, stddev. */
static void test_sql_exact(void **state)
{
	static const uint64_t durs[] = { 3000, 1000, 10000, 2000 };
	uint64_t stream = 0x1000;
	struct ts_corr_sink cs;
	struct ts_writer *w;
	struct ts_corr *corr;
	struct canned c;
	char row[16][64];
	unsigned int i;
	sqlite3 *db;
	int n;

	assert_int_equal(ts_sqlite_writer_open(test_path("exact.sqlite"), &w), 0);
	corr = ts_corr_new(w, "test");
	ts_corr_sink_init(&cs, corr);
	canned_start(&c, &cs.base, 0);
	canned_proc(&c, 7, "app");
	for (i = 0; i < 4; i++)
		canned_api(&c, 7, 7, 100000 * (i + 1), durs[i], 0, "cuStreamSynchronize", &stream,
			   1, NULL);
	canned_api(&c, 7, 7, 900000, 500, 0, "cuStreamSynchronize_ptsz", &stream, 1, NULL);
	/* an even count: nsys's median is the mean of the middle two */
	for (i = 0; i < 4; i++)
		canned_api(&c, 7, 7, 1000000 + 100000 * i, 1000u << i, 0, "cuCtxSynchronize", NULL,
			   0, NULL);
	canned_end(&c);
	assert_int_equal(ts_corr_finish(corr, false), 0);
	canned_free(&c);
	ts_corr_free(corr);
	ts_writer_destroy(w);

	db = open_db(test_path("exact.sqlite"));
	assert_true(report_row(db, "cuda_api_sum", "cuStreamSynchronize", row, &n));
	/* Time (%), Total, Num Calls, Avg, Med, Min, Max, StdDev, Variants, Name */
	assert_string_equal(row[0], "52.4"); /* of 16500 + 15000 ns */
	assert_string_equal(row[1], "16500");
	assert_string_equal(row[2], "5");
	assert_string_equal(row[3], "3300.0");
	assert_string_equal(row[4], "2000.0"); /* odd: the middle value */
	assert_string_equal(row[5], "500");
	assert_string_equal(row[6], "10000");
	assert_string_equal(row[7], "3866.5"); /* sample standard deviation */
	assert_string_equal(row[8], "cuStreamSynchronize 4, cuStreamSynchronize_ptsz 1");
	/* 1000, 2000, 4000, 8000: (2000 + 4000) / 2, as nsys's median() */
	assert_true(report_row(db, "cuda_api_sum", "cuCtxSynchronize", row, &n));
	assert_string_equal(row[4], "3000.0");
	sqlite3_close(db);
}

static void replay_to(const char *fixture, const char *out)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s replay tests/fixtures/%s.tsbpf -o %s 2>/dev/null",
		 getenv("TS_BIN"), fixture, out);
	assert_int_equal(system(cmd), 0);
}

static long long num(json_object *o, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_int64(v);
}

/*
 * The median of fn's call durations, by LIMIT/OFFSET (not as the report computes it):
 * the middle one (lower: the lower median), or for an even count, unless lower, the
 * mean of the middle two.
 */
static double median_of(sqlite3 *db, const char *fn, bool lower)
{
	static const char sql[] =
		"WITH c AS (SELECT dur FROM api_calls WHERE COALESCE(api, name) = ?1),"
		" n AS (SELECT COUNT(*) AS n FROM c)"
		" SELECT AVG(dur) FROM (SELECT dur FROM c ORDER BY dur"
		" LIMIT CASE WHEN ?2 THEN 1 ELSE 2 - (SELECT n FROM n) % 2 END"
		" OFFSET ((SELECT n FROM n) - 1) / 2)";
	sqlite3_stmt *st;
	double v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, fn, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, lower);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Every API row of every fixture: the SQL report and the streaming stats agree. */
static void test_sql_matches_stats(void **state)
{
	char db_path[256], st_path[300], row[16][64];
	json_object *st, *apis, *a;
	unsigned int f;
	size_t i;
	sqlite3 *db;
	int n, rows = 0;

	if (!getenv("TS_BIN"))
		skip();
	for (f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		snprintf(db_path, sizeof(db_path), "%s", test_path("m.sqlite"));
		snprintf(st_path, sizeof(st_path), "%s", test_path("m.stats.json"));
		unlink(db_path);
		unlink(st_path);
		replay_to(fixtures[f], db_path);
		replay_to(fixtures[f], st_path);
		db = open_db(db_path);
		st = json_object_from_file(st_path);
		assert_non_null(st);
		assert_true(json_object_object_get_ex(st, "api", &apis));
		for (i = 0; i < json_object_array_length(apis); i++) {
			a = json_object_array_get_idx(apis, i);
			assert_true(report_row(
				db, "cuda_api_sum",
				json_object_get_string(json_object_object_get(a, "name")), row,
				&n));
			assert_int_equal(atoll(row[2]), num(a, "calls"));
			/* ours keeps the lower median; the nsys-named report nsys's */
			assert_int_equal(
				median_of(db,
					  json_object_get_string(json_object_object_get(a, "name")),
					  true),
				num(a, "p50_ns"));
			assert_true(fabs(atof(row[4]) -
					 median_of(db,
						   json_object_get_string(
							   json_object_object_get(a, "name")),
						   false)) < 0.051);
			assert_int_equal(atoll(row[5]), num(a, "min_ns"));
			assert_int_equal(atoll(row[6]), num(a, "max_ns"));
			assert_true(fabs(atof(row[7]) - num(a, "stddev_ns")) <= 1.0);
			rows++;
		}
		json_object_put(st);
		sqlite3_close(db);
	}
	assert_true(rows > 40);
}

/* Kernels, copies and memsets of a fixture: counts and bytes by direction. */
static void test_sql_fixture_numbers(void **state)
{
	char row[16][64], *db_path = test_path("rt.sqlite");
	sqlite3 *db;
	int n;

	if (!getenv("TS_BIN"))
		skip();
	unlink(db_path);
	replay_to("runtime", db_path);
	db = open_db(db_path);
	assert_true(report_row(db, "cuda_gpu_kern_sum", RT_VEC_ADD_DEMANGLED, row, &n));
	assert_int_equal(atoi(row[2]), RT_ITERS);
	assert_string_equal(row[8], "host");
	assert_true(
		report_row(db, "cuda_gpu_mem_size_sum", "[CUDA memcpy Host-to-Device]", row, &n));
	assert_int_equal(atoll(row[0]), 2ll * RT_BYTES);
	assert_int_equal(atoi(row[1]), 2);
	assert_true(report_row(db, "cuda_gpu_mem_size_sum", "[CUDA memset]", row, &n));
	assert_int_equal(atoll(row[0]), RT_BYTES);
	/* ours: a process's calls, the kernels they submitted, its device memory */
	assert_true(report_row(db, "process_sum",
			       "build/fakeapp --lib build/fakecuda/libcuda.so.1 runtime", row, &n));
	assert_int_equal(atoi(row[1]), 260);
	assert_int_equal(atoi(row[3]), 2 * RT_ITERS);
	assert_int_equal(atoll(row[5]), 4ll * RT_BYTES);
	assert_int_equal(atoll(row[6]), 0);
	assert_true(report_row(db, "sync_sum", "cuStreamSynchronize", row, &n));
	assert_int_equal(atoi(row[2]), 1);
	/* the JSON trace of the same capture: the same count and total GPU time */
	{
		struct trace t;
		json_object *e;
		long long total = 0;
		int i;

		replay_to("runtime", test_path("rt.json"));
		assert_int_equal(trace_load(&t, test_path("rt.json")), 0);
		for (i = 0; (e = trace_find(&t, "X", RT_VEC_ADD_DEMANGLED, GPU, i)); i++)
			total += (long long)(ev_num(e, "dur") * 1000.0 + 0.5);
		assert_int_equal(i, RT_ITERS);
		assert_true(report_row(db_reopen(&db, test_path("rt.sqlite")), "cuda_gpu_kern_sum",
				       RT_VEC_ADD_DEMANGLED, row, &n));
		assert_int_equal(atoll(row[1]), total);
		trace_free(&t);
	}
	sqlite3_close(db);
	/* the gpu-time fixture: measured, and said so */
	db_path = test_path("gt.sqlite");
	unlink(db_path);
	replay_to("gputime", db_path);
	db = open_db(db_path);
	assert_true(report_row(db, "cuda_gpu_kern_sum", THREADS_KERNEL, row, &n));
	assert_int_equal(atoi(row[2]), THREADS_N * THREADS_LAUNCHES);
	assert_string_equal(row[8], "gpu");
	sqlite3_close(db);
}

static int run(const char *args, const char *out)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "%s %s >%s 2>%s.err", getenv("TS_BIN"), args, out, out);
	return WEXITSTATUS(system(cmd));
}

/* The same, killed after a generous time: a command that would never end fails the test. */
static int run_within(int seconds, const char *args, const char *out)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "timeout -s KILL %d %s %s >%s 2>%s.err", seconds,
		 getenv("TS_BIN"), args, out, out);
	return WEXITSTATUS(system(cmd));
}

static bool file_has(const char *path, const char *s)
{
	char *buf = slurp(path);
	bool yes = strstr(buf, s) != NULL;

	if (!yes)
		fprintf(stderr, "%s lacks '%s':\n%s\n", path, s, buf);
	free(buf);
	return yes;
}

/* The CLI: reports as CSV and JSON, query on a capture and an export, and errors. */
static void test_sql_cli(void **state)
{
	char *out = test_path("cli.out"), err[300], args[1024], *db = test_path("cli.sqlite");

	if (!getenv("TS_BIN"))
		skip();
	snprintf(err, sizeof(err), "%s.err", out);
	assert_int_equal(run("stats tests/fixtures/runtime.tsbpf --report cuda_gpu_kern_sum "
			     "--format csv",
			     out),
			 0);
	assert_true(file_has(out, "Time (%),Total Time (ns),Instances,Avg (ns),Med (ns),"
				  "Min (ns),Max (ns),StdDev (ns),Timing,Regs,Static SMem (bytes),"
				  "Dyn SMem (bytes),Local Mem (bytes),Occupancy (%),Name\n"));
	assert_true(file_has(out, ",100,"));
	assert_int_equal(run("stats tests/fixtures/runtime.tsbpf --report all --format json", out),
			 0);
	assert_int_equal(json_object_put(json_object_from_file(out)), 1);
	assert_true(file_has(out, "\"cuda_gpu_mem_size_sum\":[{\"Total (bytes)\":2097152"));
	/* the table picks a unit per column and says it */
	assert_int_equal(run("stats tests/fixtures/runtime.tsbpf --report cuda_api_sum", out), 0);
	assert_true(file_has(out, "Total Time (ms)"));
	assert_int_equal(run("query tests/fixtures/runtime.tsbpf "
			     "\"SELECT COUNT(*) AS n FROM kernels\" --format csv",
			     out),
			 0);
	assert_true(file_has(out, "n\n200\n"));
	/* an export, queried read-only */
	snprintf(args, sizeof(args), "replay tests/fixtures/threads.tsbpf -o %s", db);
	assert_int_equal(run(args, out), 0);
	snprintf(args, sizeof(args),
		 "query %s \"SELECT name, COUNT(*) FROM kernels GROUP BY name\" --format csv", db);
	assert_int_equal(run(args, out), 0);
	assert_true(file_has(out, THREADS_KERNEL ",100\n"));
	snprintf(args, sizeof(args), "query %s \"DELETE FROM StringIds\"", db);
	assert_int_equal(run(args, out), 1);
	assert_true(file_has(err, "DELETE is refused"));
	snprintf(args, sizeof(args), "query %s \"SELECT nosuch FROM kernels\"", db);
	assert_int_equal(run(args, out), 1);
	assert_true(file_has(err, "SQL error: no such column: nosuch"));
	assert_int_equal(run("stats tests/fixtures/runtime.tsbpf --report nosuch", out), 1);
	assert_true(file_has(err, "--report nosuch: no such report"));
	/* like every output: a link at the path is replaced, never followed */
	assert_int_equal(symlink(out, test_path("link.sqlite")), 0);
	snprintf(args, sizeof(args), "replay tests/fixtures/threads.tsbpf -o %s",
		 test_path("link.sqlite"));
	assert_int_equal(run(args, test_path("replay.out")), 0);
	{
		struct stat lst;

		assert_int_equal(lstat(test_path("link.sqlite"), &lst), 0);
		assert_true(S_ISREG(lst.st_mode));
	}
}

/* query FILE SQL, expecting exit 1 and a line on stderr that has msg */
static void refused(const char *db, const char *sql, const char *msg)
{
	char args[1024], err[300], *out = test_path("ro.out");

	snprintf(args, sizeof(args), "query %s \"%s\"", db, sql);
	assert_int_equal(run(args, out), 1);
	snprintf(err, sizeof(err), "%s.err", out);
	assert_true(file_has(err, msg));
}

/*
 * query only reads: nothing that writes, attaches, loads code or changes the
 * connection runs, and no file appears; reading (and the pragmas that only
 * describe) still works.
 */
static void test_sql_read_only(void **state)
{
	char *db = test_path("ro.sqlite"), *out = test_path("ro.out"), args[1024];
	char *x = test_path("x.db"), *y = test_path("y.db"), sql[512];
	struct stat before, after;

	if (!getenv("TS_BIN"))
		skip();
	replay_to("threads", db);
	assert_int_equal(stat(db, &before), 0);
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", x);
	refused(db, sql, "only reading is allowed here");
	snprintf(sql, sizeof(sql), "SELECT 1; VACUUM INTO '%s'", x);
	refused(db, sql, "only reading is allowed here");
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS y", y);
	refused(db, sql, "ATTACH is refused");
	refused(db, "INSERT INTO StringIds VALUES (999999, 'x')", "INSERT is refused");
	refused(db, "CREATE TABLE t (a)", "CREATE is refused");
	refused(db, "CREATE TEMP VIEW v AS SELECT 1", "CREATE is refused");
	refused(db, "PRAGMA journal_mode = WAL", "PRAGMA journal_mode is refused");
	refused(db, "PRAGMA user_version = 7", "PRAGMA user_version is refused");
	refused(db, "SELECT load_extension('/nonexistent')", "load_extension is refused");
	refused(db, "SELECT fts3_tokenizer('simple', x'00')", "fts3_tokenizer is refused");
	assert_int_equal(access(x, F_OK), -1);
	assert_int_equal(access(y, F_OK), -1);
	assert_int_equal(stat(db, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(after.st_mtime, before.st_mtime);
	/* reading still works */
	snprintf(args, sizeof(args),
		 "query %s \"PRAGMA table_info(kernels); PRAGMA user_version; "
		 "SELECT COUNT(*) AS n FROM kernels\" --format csv",
		 db);
	assert_int_equal(run(args, out), 0);
	assert_true(file_has(out, "0,start,INTEGER"));
	assert_true(file_has(out, "n\n100\n"));
}

/*
 * A crafted database whose api_calls view recurses forever: every report
 * over it ends, with one line and exit 1; a sort that would fill the
 * temporary folder ends at its cap.
 */
static void test_sql_bounded(void **state)
{
	char *db = test_path("crafted.sqlite"), *out = test_path("cr.out"), err[300];
	sqlite3 *w = NULL;

	if (!getenv("TS_BIN"))
		skip();
	replay_to("threads", db);
	assert_int_equal(sqlite3_open(db, &w), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(w,
			     "DROP VIEW api_calls; CREATE VIEW api_calls AS "
			     "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) "
			     "SELECT x AS start, x + 1 AS end, 1 AS dur, 1 AS pid, 1 AS tid, "
			     "'f' || (x % 1000) AS name, NULL AS api, x AS correlationId, "
			     "0 AS returnValue, 0 AS flags FROM r",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(w);
	snprintf(err, sizeof(err), "%s.err", out);
	/* the bound is in VM steps, not time: timeout only turns a hang into a failure */
	snprintf(err + 200, 100, "stats %s --report all", db);
	assert_int_equal(run_within(600, err + 200, out), 1);
	assert_true(file_has(err, "SQL: stopped after"));
	refused(db,
		"WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) "
		"SELECT x, randomblob(100000) AS b FROM r ORDER BY b",
		"MiB of temporary files");
	refused(db,
		"WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) "
		"SELECT COUNT(DISTINCT x) FROM r",
		"SQL: stopped after");
}

/* A full disk: SQLite's own error, exit 1, the earlier file at the path untouched. */
static void test_sql_full_disk(void **state)
{
	char *full = test_path("full"), args[1024], *out = test_path("fd.out"), db[300];
	FILE *f;

	if (geteuid() || !getenv("TS_BIN"))
		skip();
	mkdir(full, 0755);
	snprintf(args, sizeof(args), "mount -t tmpfs -o size=64k tmpfs %s", full);
	if (system(args))
		skip();
	snprintf(db, sizeof(db), "%s/t.sqlite", full);
	f = fopen(db, "w");
	fputs("the earlier file", f);
	fclose(f);
	snprintf(args, sizeof(args), "replay tests/fixtures/frameworks.tsbpf -o %s", db);
	assert_int_equal(run(args, out), 1);
	snprintf(args, sizeof(args), "%s.err", out);
	assert_true(file_has(args, "full"));
	assert_true(file_has(db, "the earlier file"));
	snprintf(args, sizeof(args), "umount %s", full);
	assert_int_equal(system(args), 0);
}

/* A capture cut short: the reports of what it holds, and a line that says so. */
static void test_sql_cut_capture(void **state)
{
	char cmd[1024], *cut = test_path("cut.tsbpf"), *out = test_path("cut.out"), err[300];

	if (!getenv("TS_BIN"))
		skip();
	snprintf(cmd, sizeof(cmd), "head -c 20000 tests/fixtures/runtime.tsbpf > %s", cut);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "stats %s --report cuda_api_sum --format csv", cut);
	assert_int_equal(run(cmd, out), 0);
	assert_true(file_has(out, "cuInit"));
	snprintf(err, sizeof(err), "%s.err", out);
	assert_true(file_has(err, "kept the records before it"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sql_exact),
		cmocka_unit_test(test_sql_matches_stats),
		cmocka_unit_test(test_sql_fixture_numbers),
		cmocka_unit_test(test_sql_cli),
		cmocka_unit_test(test_sql_read_only),
		cmocka_unit_test(test_sql_bounded),
		cmocka_unit_test(test_sql_full_disk),
		cmocka_unit_test(test_sql_cut_capture),
	};

	if (test_dir_init("ts-sql"))
		return 1;
	if (getenv("TS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("sql", tests, NULL, NULL);
}
