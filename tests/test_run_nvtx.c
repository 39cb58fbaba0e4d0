// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * NVTX: real BPF traces of fakeapp's nvtx workload (tests/workloads.h), which
 * speaks NVTX's injection protocol itself (tests/fakenvtx.h), and, where the
 * CUDA toolkit's nvtx3 headers are installed, of a program built with them.
 * Exact counts and nesting in the JSON, the SQLite NVTX_EVENTS table, the
 * bounds and their counts in otherData, replay equal to live, and the user's
 * own NVTX_INJECTION64_PATH left alone.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "sql_int.h"
#include "tracer_run.h"
#include "workloads.h"

#define ASYNC_TID_BASE 0x40000000ll /* TS_NVTX_TID_BASE */

/* tracesmith-bpf --lib fake [extra] -o out... -- fakeapp --lib fake nvtx */
static int trace_nvtx(const char *extra, const char *o1, const char *o2, const char *o3, char *err,
		      size_t len)
{
	char *argv[16];
	int n = 0;

	argv[n++] = (char *)bin;
	argv[n++] = "--lib";
	argv[n++] = (char *)fakecuda;
	if (extra)
		argv[n++] = (char *)extra;
	argv[n++] = "-o";
	argv[n++] = (char *)o1;
	if (o2) {
		argv[n++] = "-o";
		argv[n++] = (char *)o2;
	}
	if (o3) {
		argv[n++] = "-o";
		argv[n++] = (char *)o3;
	}
	argv[n++] = "--";
	argv[n++] = (char *)fakeapp;
	argv[n++] = "--lib";
	argv[n++] = (char *)fakecuda;
	argv[n++] = "nvtx";
	argv[n] = NULL;
	return run_tracer(argv, err, len);
}

static int count_cat(const struct trace *t, const char *cat, const char *name)
{
	size_t i;
	int n = 0;

	for (i = 0; i < t->n; i++) {
		json_object *e = trace_event(t, i);
		const char *c = ev_str(e, "cat");

		if (c && !strcmp(c, cat) && (!name || !strcmp(ev_str(e, "name"), name)))
			n++;
	}
	return n;
}

/* The name a viewer shows for (pid, tid): its last thread_name (nvtxNameOsThread renames). */
static const char *last_thread_name(const struct trace *t, long long pid, long long tid)
{
	const char *name = NULL;
	size_t i;

	for (i = 0; i < t->n; i++) {
		json_object *e = trace_event(t, i);
		const char *n = ev_str(e, "name");

		if (n && !strcmp(n, "thread_name") && ev_int(e, "pid") == pid &&
		    ev_int(e, "tid") == tid)
			name = ev_arg_str(e, "name");
	}
	return name;
}

static json_object *nvtx_find(const struct trace *t, const char *name)
{
	json_object *e = trace_find(t, "X", name, HOST, 0);

	assert_non_null(e);
	assert_string_equal(ev_str(e, "cat"), "nvtx");
	return e;
}

static bool inside(json_object *in, json_object *out)
{
	return ev_int(in, "tid") == ev_int(out, "tid") && ev_num(in, "ts") >= ev_num(out, "ts") &&
	       ev_num(in, "ts") + ev_num(in, "dur") <= ev_num(out, "ts") + ev_num(out, "dur");
}

static long long nvtx_other(const struct trace *t, const char *key)
{
	json_object *o = ev_field(trace_other(t, "nvtx"), key);

	assert_non_null(o);
	return json_object_get_int64(o);
}

static void check_ranges(const struct trace *t)
{
	json_object *outer = nvtx_find(t, NVTX_OUTER), *inner = nvtx_find(t, NVTX_INNER), *e;
	long long main_tid = ev_int(outer, "tid");
	int i, launches = 0;

	/* nested on the thread, the kernel launches made inside them nested under them */
	assert_true(inside(inner, outer));
	for (i = 0; (e = trace_find(t, "X", "cuLaunchKernel", HOST, i)); i++)
		if (inside(e, inner))
			launches++;
	assert_int_equal(launches, NVTX_INNER_LAUNCHES);
	assert_int_equal(ev_arg_int(outer, "category"), NVTX_CATEGORY);
	assert_string_equal(ev_arg_str(outer, "category_name"), NVTX_CATEGORY_NAME);
	assert_string_equal(ev_arg_str(outer, "color"), "0xff00ff00");
	assert_int_equal(ev_arg_int(outer, "payload"), NVTX_PAYLOAD);
	assert_string_equal(last_thread_name(t, ev_int(outer, "pid"), main_tid), NVTX_THREAD_NAME);
	/* a mark is an instant */
	e = nvtx_find(t, NVTX_MARK);
	assert_true(ev_num(e, "dur") == 0);
	assert_string_equal(ev_arg_str(e, "nvtx"), "mark");
	/* a domain's range: its registered string's text, the domain's name */
	e = nvtx_find(t, NVTX_DOM_RANGE);
	assert_string_equal(ev_arg_str(e, "domain"), NVTX_DOMAIN);
	assert_int_equal(ev_int(e, "tid"), main_tid);
	/* started here, ended on another thread: on the default domain's own track */
	e = nvtx_find(t, NVTX_ASYNC);
	assert_true(ev_int(e, "tid") >= ASYNC_TID_BASE);
	assert_int_equal(ev_arg_int(e, "tid"), main_tid);
	assert_true(ev_arg_int(e, "end_tid") != main_tid);
	assert_string_equal(trace_thread_name(t, ev_int(e, "pid"), ev_int(e, "tid")),
			    "NVTX default");
	nvtx_find(t, NVTX_WIDE_UTF8);
}

static void check_bounds(const struct trace *t)
{
	/* outer, inner, dom-range, async, wide, 7 hostile names, the storm pushes kept */
	int ranges = 5 + 7 + NVTX_STORM_KEPT;

	assert_int_equal(count_cat(t, "nvtx", "storm"), NVTX_STORM_KEPT);
	assert_int_equal(count_cat(t, "nvtx", "never-ended"), 0);
	assert_int_equal(count_cat(t, "nvtx", NULL), ranges + 1);
	assert_int_equal(nvtx_other(t, "ranges"), ranges);
	assert_int_equal(nvtx_other(t, "marks"), 1);
	assert_int_equal(nvtx_other(t, "events_cut"), NVTX_STORM_DEPTH - NVTX_STORM_KEPT);
	assert_int_equal(nvtx_other(t, "unmatched"), NVTX_STORM_UNMATCHED);
	assert_int_equal(nvtx_other(t, "unclosed"), NVTX_STORM_STARTS);
}

static void check_sqlite(const char *path)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM NVTX_EVENTS"),
			 5 + 7 + NVTX_STORM_KEPT + 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM nvtx WHERE type = 'mark' AND end IS NULL"
				     " AND text = '" NVTX_MARK "'"),
			 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM nvtx WHERE type = 'start_end' AND text"
				     " = '" NVTX_ASYNC "' AND endTid != tid"),
			 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM nvtx WHERE domain = '" NVTX_DOMAIN
				     "' AND text = '" NVTX_DOM_RANGE "'"),
			 1);
	assert_int_equal(sql_int(db, "SELECT uint64Value FROM nvtx WHERE text = '" NVTX_OUTER "'"),
			 NVTX_PAYLOAD);
	assert_int_equal(sql_int(db, "SELECT value FROM META WHERE key = 'nvtx_events_cut'"),
			 NVTX_STORM_DEPTH - NVTX_STORM_KEPT);
	/* NVTX ranges are not CUDA calls */
	assert_int_equal(sql_int(db, "SELECT count(*) FROM api_calls WHERE name = 'storm'"), 0);
	sqlite3_close(db);
}

/* Ranges, marks, domains, names, hostile names and a storm: JSON, SQLite, replay. */
static void test_nvtx_workload(void **state)
{
	char *json = path_in("nvtx.json"), *cap = path_in("nvtx.tsbpf"),
	     *db = path_in("nvtx.sqlite");
	char *rep = path_in("nvtx-rep.json"), *pf = path_in("nvtx-rep.pftrace");
	char *replay[] = { (char *)bin, "replay", cap, "-o", rep, "-o", pf, NULL };
	char err[4096], cmd[1024];
	struct trace t;

	assert_int_equal(trace_nvtx(NULL, json, cap, db, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, json), 0);
	check_ranges(&t);
	check_bounds(&t);
	assert_int_equal(trace_partial_overlaps(&t), 0);
	trace_free(&t);
	check_sqlite(db);
	assert_int_equal(check_json(json, false, ""), 0);
	/* the capture replays into the same bytes */
	assert_int_equal(run_tracer(replay, err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", json, rep);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(check_pftrace(pf, ""), 0);
}

/* The user's own NVTX_INJECTION64_PATH stays theirs: said, and no ranges of ours. */
static void test_nvtx_user_injection(void **state)
{
	char *json = path_in("user.json");
	char err[4096];
	struct trace t;

	setenv("NVTX_INJECTION64_PATH", "/nonexistent/their-tool.so", 1);
	assert_int_equal(trace_nvtx(NULL, json, NULL, NULL, err, sizeof(err)), 0);
	unsetenv("NVTX_INJECTION64_PATH");
	assert_non_null(strstr(err, "NVTX_INJECTION64_PATH is already set"));
	assert_int_equal(trace_load(&t, json), 0);
	assert_int_equal(count_cat(&t, "nvtx", NULL), 0);
	assert_true(trace_count(&t, "X", "cuLaunchKernel", HOST) > 0);
	trace_free(&t);
}

/* --no-nvtx: nothing injected, nothing drawn. */
static void test_nvtx_off(void **state)
{
	char *json = path_in("off.json");
	char err[4096];
	struct trace t;

	assert_int_equal(trace_nvtx("--no-nvtx", json, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, json), 0);
	assert_int_equal(count_cat(&t, "nvtx", NULL), 0);
	assert_null(trace_other(&t, "nvtx"));
	trace_free(&t);
}

/* Where the CUDA toolkit's nvtx3 headers are installed: a program built with them. */
static void test_nvtx3_headers(void **state)
{
	const char *src = getenv("TS_NVTX3_APP_SRC"), *inc = "/usr/local/cuda/include";
	char *app = path_in("nvtx3_app"), *json = path_in("nvtx3.json"), cmd[1024], err[4096];
	char *argv[] = { (char *)bin, "--lib", (char *)fakecuda, "-o", json, "--", app, NULL };
	struct stat st;
	struct trace t;
	json_object *o, *i, *a;

	snprintf(cmd, sizeof(cmd), "%s/nvtx3/nvToolsExt.h", inc);
	if (!src || stat(cmd, &st)) {
		fprintf(stderr, "test_nvtx3_headers: no %s (or TS_NVTX3_APP_SRC): skipped\n", cmd);
		skip();
	}
	snprintf(cmd, sizeof(cmd), "cc -O1 -I%s %s -o %s -ldl -lpthread", inc, src, app);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, json), 0);
	o = nvtx_find(&t, "real-outer");
	i = nvtx_find(&t, "real-inner");
	assert_true(inside(i, o));
	assert_true(inside(nvtx_find(&t, "real-mark"), i));
	assert_string_equal(ev_arg_str(nvtx_find(&t, "real-dom-range"), "domain"), "real-domain");
	a = nvtx_find(&t, "real-async");
	assert_true(ev_int(a, "tid") >= ASYNC_TID_BASE);
	assert_string_equal(last_thread_name(&t, ev_int(o, "pid"), ev_int(o, "tid")), "real-main");
	assert_int_equal(nvtx_other(&t, "ranges"), 4);
	assert_int_equal(nvtx_other(&t, "marks"), 1);
	trace_free(&t);
}

/*
 * The hand-off's first instruction is a one-byte nop (0x90), which the kernel
 * emulates under a uprobe: anything else is single-stepped out of line, a
 * second trap per batch (35-48 us against 17 us on the development VM).
 */
static void test_nvtx_handoff_nop(void **state)
{
	(void)state;
	assert_int_equal(handoff_first_byte("libtracesmith-nvtx.so", "ts_nvtx_deliver"), 0x90);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvtx_workload),	 cmocka_unit_test(test_nvtx_user_injection),
		cmocka_unit_test(test_nvtx_off),	 cmocka_unit_test(test_nvtx3_headers),
		cmocka_unit_test(test_nvtx_handoff_nop),
	};

	if (!tracer_root("test_run_nvtx"))
		return getenv("CI") != NULL;
	if (getenv("TS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("nvtx", tests, tracer_setup, NULL);
}
