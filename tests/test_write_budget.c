// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The memory budget (README "Memory budget"): captures crafted with a great
 * many distinct kernel names, streams, CUPTI names and stream ids, and name
 * records, replayed by the tool in a child to every format at once. The
 * child's peak RSS stays under the budget (it was 390-710 MiB at N_MANY);
 * the metadata of each format says exactly how much each table cut; and no
 * event is lost: a name past the cap is drawn as its handle, a stream past
 * it on the shared overflow track.
 *
 * By hand, for the 1M cases of the README:
 *   test_write_budget gen names|streams|cupti|namerecs|contexts N OUT.tsbpf
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include "lib/budget.h"
#include "canned.h"
#include "record/capture.h"
#include "record/decode.h"
#include "tmpdir.h"
#include "write/writer.h"

#define PID	4242
#define FUNC(i) (0x10000000ull + (uint64_t)(i)*16)
#define TS(i)	(1000 + (uint64_t)(i)*1000)

/* The budget the README states, beside the ring buffer: 128 MiB. */
#define BUDGET_KB (128 * 1024)

/*
 * Under ASan (make sanitize) this test is large, and a child's peak RSS
 * counts what it held before exec: the fork of this process. The bound is
 * asserted in the plain build (make unit); here the figure is only printed.
 */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* How many distinct things the crafted captures have: past every cap, quick to replay. */
#define N_MANY 300000

static const char *bin;

struct gen {
	struct ts_capture *cap;
	struct canned c;
};

static void gen_open(struct gen *g, const char *path)
{
	assert_int_equal(ts_capture_create(path, &g->cap), 0);
	canned_start(&g->c, ts_capture_sink(g->cap), 0);
	canned_proc(&g->c, PID, "crafted");
	canned_thread(&g->c, PID, PID, "crafted");
}

static void gen_close(struct gen *g)
{
	canned_end(&g->c);
	assert_int_equal(g->c.err, 0);
	canned_free(&g->c);
	assert_int_equal(ts_capture_close(g->cap), 0);
}

static void put(struct gen *g, const void *rec)
{
	if (!g->c.err)
		g->c.err = g->c.sink->put(g->c.sink, rec);
}

static void launch(struct gen *g, uint64_t ts, uint64_t func, uint64_t stream)
{
	uint64_t k[9] = { func, 1, 1, 1, 32, 1, 1, 0, stream };

	canned_api(&g->c, PID, PID, ts, 500, 0, "cuLaunchKernel", k, 9, NULL);
}

static void kernel_name(char *buf, size_t len, uint64_t i)
{
	snprintf(buf, len, "crafted_kernel_%08llu_with_a_name_of_some_length",
		 (unsigned long long)i);
}

/* n kernels, each named by cuModuleGetFunction, each launched once. */
static void gen_names(struct gen *g, uint64_t n)
{
	char name[96];
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint64_t v[3] = { FUNC(i), 0xabc000, 0x5000 };

		kernel_name(name, sizeof(name), i);
		canned_api(&g->c, PID, PID, TS(i), 100, 0, "cuModuleGetFunction", v, 3, name);
		launch(g, TS(i) + 200, FUNC(i), 0);
	}
}

/* n streams, each created and given one launch. */
static void gen_streams(struct gen *g, uint64_t n)
{
	uint64_t v[3] = { FUNC(0), 0xabc000, 0x5000 }, i;

	canned_api(&g->c, PID, PID, TS(0), 100, 0, "cuModuleGetFunction", v, 3, "k");
	for (i = 0; i < n; i++) {
		uint64_t s[2] = { 0x500000000ull + i * 64, 1 };

		canned_api(&g->c, PID, PID, TS(i) + 100, 100, 0, "cuStreamCreate", s, 2, NULL);
		launch(g, TS(i) + 300, FUNC(0), s[0]);
	}
}

/* n contexts on device 1, each made current by its creation and given one launch. */
static void gen_contexts(struct gen *g, uint64_t n)
{
	uint64_t v[3] = { FUNC(0), 0xabc000, 0x5000 }, i;

	canned_api(&g->c, PID, PID, TS(0), 100, 0, "cuModuleGetFunction", v, 3, "k");
	for (i = 0; i < n; i++) {
		uint64_t ctx[3] = { 0x700000000ull + i * 64, 0, 1 };

		canned_api(&g->c, PID, PID, TS(i) + 100, 100, 0, "cuCtxCreate_v2", ctx, 3, NULL);
		launch(g, TS(i) + 300, FUNC(0), 0);
	}
}

/* n threads of one process, each making one launch and never ending. */
static void gen_threads(struct gen *g, uint64_t n)
{
	uint64_t v[3] = { FUNC(0), 0xabc000, 0x5000 }, k[9] = { FUNC(0), 1, 1, 1, 32, 1, 1, 0, 0 };
	uint64_t i;

	canned_api(&g->c, PID, PID, TS(0), 100, 0, "cuModuleGetFunction", v, 3, "k");
	for (i = 0; i < n; i++)
		canned_api(&g->c, PID, PID + 1 + i, TS(i) + 300, 100, 0, "cuLaunchKernel", k, 9,
			   NULL);
}

/* n processes, each making one launch on its one thread and never ending. */
static void gen_procs(struct gen *g, uint64_t n)
{
	uint64_t k[9] = { FUNC(0), 1, 1, 1, 32, 1, 1, 0, 0 };
	uint64_t i;

	for (i = 0; i < n; i++)
		canned_api(&g->c, PID + 1 + i, PID + 1 + i, TS(i) + 300, 100, 0, "cuLaunchKernel",
			   k, 9, NULL);
}

/* A forging process: n CUPTI kernel names, and n kernels on n CUPTI streams. */
static void gen_cupti(struct gen *g, uint64_t n)
{
	struct ts_rec_gpu_info info = { .hdr = { .size = sizeof(info),
						 .kind = TS_REC_GPU_INFO,
						 .flags = TS_GPUI_STARTED,
						 .pid = PID,
						 .tid = PID,
						 .ts = CANNED_BASE } };
	uint64_t i;

	put(g, &info);
	for (i = 0; i < n; i++) {
		struct ts_rec_gpu_name nm = { .hdr = { .kind = TS_REC_GPU_NAME,
						       .pid = PID,
						       .tid = PID,
						       .ts = CANNED_BASE + TS(i) } };
		struct ts_rec_gpu r = { .hdr = { .size = sizeof(r),
						 .kind = TS_REC_GPU,
						 .flags = TS_GPU_KERNEL,
						 .pid = PID,
						 .ts = CANNED_BASE + TS(i) + 100,
						 .aux = i + 1 },
					.end = CANNED_BASE + TS(i) + 600,
					.name_id = i + 1,
					.stream = i + 7,
					.grid = { 1, 1, 1 },
					.block = { 32, 1, 1 } };

		nm.id = i + 1;
		kernel_name(nm.name, sizeof(nm.name), i);
		nm.name_len = strlen(nm.name);
		nm.hdr.size = (TS_GPU_NAME_BASE_SIZE + nm.name_len + 7) & ~7u;
		put(g, &nm);
		put(g, &r);
	}
}

/* n kernel names read from the driver's objects (META_NAME), each launched once. */
static void gen_namerecs(struct gen *g, uint64_t n)
{
	static char buf[TS_META_BUF_SIZE];
	char name[96];
	uint64_t i;

	for (i = 0; i < n; i++) {
		kernel_name(name, sizeof(name), i);
		ts_meta_build(buf, TS_REC_META_NAME, PID, CANNED_BASE + TS(i), 0, FUNC(i), 0, name,
			      strlen(name), NULL, 0);
		put(g, buf);
		launch(g, TS(i) + 200, FUNC(i), 0);
	}
}

static int gen(const char *kind, uint64_t n, const char *path)
{
	static const struct {
		const char *kind;
		void (*fn)(struct gen *g, uint64_t n);
	} kinds[] = { { "names", gen_names },	    { "streams", gen_streams },
		      { "cupti", gen_cupti },	    { "namerecs", gen_namerecs },
		      { "contexts", gen_contexts }, { "threads", gen_threads },
		      { "procs", gen_procs } };
	struct gen g;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kind, kinds[i].kind))
			continue;
		gen_open(&g, path);
		kinds[i].fn(&g, n);
		gen_close(&g);
		return 0;
	}
	fprintf(stderr, "gen: kind is names, streams, cupti, namerecs or contexts\n");
	return 1;
}

/* Replay cap to every format in a child; its peak RSS in KiB. The replay must succeed. */
static long replay(const char *cap, char *err, size_t errlen)
{
	char *errpath = test_path("replay.err");
	struct rusage ru;
	int status, fd;
	ssize_t n;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execl(bin, bin, "replay", cap, "-o", test_path("out.json"), "-o",
		      test_path("out.pftrace"), "-o", test_path("out.sqlite"), "-o",
		      test_path("out.stats.json"), (char *)NULL);
		_exit(127);
	}
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	fd = open(errpath, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, err, errlen - 1);
	err[n > 0 ? n : 0] = '\0';
	close(fd);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("replay %s: status %d: %s", cap, status, err);
	return ru.ru_maxrss;
}

/* The trace's otherData (the end of the file: it is written last). */
static struct json_object *other_data(const char *path)
{
	static char buf[1 << 16];
	struct json_object *o;
	const char *p;
	ssize_t n;
	off_t size;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	size = lseek(fd, 0, SEEK_END);
	size = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;
	n = pread(fd, buf, sizeof(buf) - 1, size);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	p = strstr(buf, "\"otherData\":");
	assert_non_null(p);
	o = json_tokener_parse(p + strlen("\"otherData\":"));
	/* the object is followed by the closing brace of the file */
	if (!o) {
		char *q = strrchr(buf, '}');

		*q = '\0';
		o = json_tokener_parse(p + strlen("\"otherData\":"));
	}
	assert_non_null(o);
	return o;
}

static uint64_t cut_of(struct json_object *od, const char *table)
{
	struct json_object *cut, *v;

	if (!json_object_object_get_ex(od, "cut_by_memory_budget", &cut) ||
	    !json_object_object_get_ex(cut, table, &v))
		return 0;
	return json_object_get_uint64(v);
}

/* The cut count the .sqlite's META table gives. */
static uint64_t sqlite_cut(const char *path, const char *table)
{
	char sql[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t n = 0;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "SELECT value FROM META WHERE key = 'cut_by_memory_budget.%s'",
		 table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* The cut count of the .stats.json report. */
static uint64_t stats_cut(const char *path, const char *table)
{
	struct json_object *o = json_object_from_file(path);
	uint64_t n;

	assert_non_null(o);
	n = cut_of(o, table);
	json_object_put(o);
	return n;
}

/* How often needle occurs in the file. */
static uint64_t count_in(const char *path, const char *needle)
{
	size_t nl = strlen(needle), keep = nl - 1, have = 0;
	static char buf[(1 << 20) + 64];
	uint64_t count = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	while ((n = read(fd, buf + have, sizeof(buf) - 64 - have)) > 0) {
		char *p = buf, *end = buf + have + n;

		while ((p = memmem(p, end - p, needle, nl))) {
			count++;
			p += nl;
		}
		have = (size_t)(end - buf) < keep ? (size_t)(end - buf) : keep;
		memmove(buf, end - have, have);
	}
	close(fd);
	return count;
}

struct budget_case {
	const char *kind;
	const char *table; /* otherData cut_by_memory_budget key */
	uint64_t cut;	   /* how many it says were cut */
	const char *slice; /* a string each of the N_MANY slices has once */
	const char *past;  /* a string a slice past the cap has */
};

/* Make the capture of n things, replay it; the replay's peak RSS. */
static long gen_replay(const struct budget_case *bc, uint64_t n, char *err, size_t errlen)
{
	char *cap = test_path("in.tsbpf");
	long kb;

	assert_int_equal(gen(bc->kind, n, cap), 0);
	kb = replay(cap, err, errlen);
	unlink(cap);
	print_message("%s: %llu distinct: peak RSS %ld KiB\n", bc->kind, (unsigned long long)n, kb);
	return kb;
}

static void run_case(const struct budget_case *bc)
{
	char *out = test_path("out.json"), err[4096];
	struct json_object *od;
	long kb = gen_replay(bc, N_MANY, err, sizeof(err));

	assert_true(UNDER_ASAN || kb < BUDGET_KB);
	/* every format says what was cut, exactly */
	od = other_data(out);
	assert_int_equal(cut_of(od, bc->table), bc->cut);
	json_object_put(od);
	assert_int_equal(sqlite_cut(test_path("out.sqlite"), bc->table), bc->cut);
	assert_int_equal(stats_cut(test_path("out.stats.json"), bc->table), bc->cut);
	/* the events are all there, and one past the cap is drawn as the budget says */
	assert_int_equal(count_in(out, bc->slice), N_MANY);
	assert_true(count_in(out, bc->past) > 0);
	/* said once, on stderr */
	assert_non_null(strstr(err, bc->table));
	assert_null(strstr(strstr(err, bc->table) + 1, bc->table));
}

static void test_budget_kernel_names(void **state)
{
	const struct budget_case bc = { "names", "kernel_names", N_MANY - TS_CAP_KERNEL_NAMES,
					"\"cat\":\"kernel\"", "\"name\":\"kernel@0x" };

	run_case(&bc);
}

static void test_budget_streams(void **state)
{
	const struct budget_case bc = { "streams", "streams", N_MANY - TS_CAP_STREAMS,
					"\"cat\":\"kernel\"", "Streams past the memory budget" };

	run_case(&bc);
}

static void test_budget_cupti(void **state)
{
	const struct budget_case bc = { "cupti", "cupti_kernel_names", N_MANY - TS_CAP_CUPTI_NAMES,
					"\"cat\":\"kernel\"", "\"name\":\"kernel@cupti:" };

	run_case(&bc);
}

static void test_budget_name_records(void **state)
{
	const struct budget_case bc = { "namerecs", "kernel_names", N_MANY - TS_CAP_KERNEL_NAMES,
					"\"cat\":\"kernel\"", "\"name\":\"kernel@0x" };

	run_case(&bc);
}

/* A context past the cap: its work is drawn on device 0, not its own (1). */
static void test_budget_contexts(void **state)
{
	const struct budget_case bc = { "contexts", "contexts", N_MANY - TS_CAP_CONTEXTS,
					"\"cat\":\"kernel\"", "\"device\":0}" };

	run_case(&bc);
}

/* Threads past TS_CAP_THREADS: one overflow thread; the first thread and the rest fit. */
static void test_budget_threads(void **state)
{
	const struct budget_case bc = { "threads", "threads", N_MANY - (TS_CAP_THREADS - 1),
					"\"name\":\"cuLaunchKernel\"", "threads past the budget" };

	run_case(&bc);
}

/* Processes past TS_CAP_PROCS (the crafted one and the rest fit): their launches all
 * drawn, on one overflow process. */
static void test_budget_procs(void **state)
{
	const struct budget_case bc = { "procs", "processes", N_MANY - (TS_CAP_PROCS - 1),
					"\"name\":\"cuLaunchKernel\"",
					"processes past the budget" };

	run_case(&bc);
}

/*
 * The .pftrace writer finds a track by hash: 200k thread tracks, then a slice
 * on each, oldest track first, in a few hundred ms. Its list scan (from the
 * newest) took minutes here, quadratic: the test completing is the check, no
 * time is asserted.
 */
static void test_pftrace_many_tracks(void **state)
{
	const struct ts_trace_meta m = { .version = "test", .clock_mono_ns = CANNED_BASE };
	char *out = test_path("tracks.pftrace");
	struct ts_writer *w;
	struct stat st;
	uint32_t tid;

	assert_int_equal(ts_pftrace_writer_open(out, &w), 0);
	w->ops->start(w, &m);
	w->ops->process(w, PID, "many threads", TS_TRACK_HOST);
	for (tid = 1; tid <= 200000; tid++)
		w->ops->thread(w, PID, tid, "t", 1);
	for (tid = 1; tid <= 200000; tid++) {
		struct ts_slice s = { .pid = PID, .tid = tid, .ts = tid, .dur = 1, .cat = "cuda" };

		s.name = "cuInit";
		s.name_len = strlen(s.name);
		w->ops->slice(w, &s);
	}
	assert_int_equal(w->ops->finish(w, &m), 0);
	ts_writer_destroy(w);
	assert_int_equal(stat(out, &st), 0);
	assert_true(st.st_size > 200000 * 20);
	unlink(out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_kernel_names),
		cmocka_unit_test(test_budget_streams),
		cmocka_unit_test(test_budget_cupti),
		cmocka_unit_test(test_budget_name_records),
		cmocka_unit_test(test_budget_contexts),
		cmocka_unit_test(test_budget_threads),
		cmocka_unit_test(test_budget_procs),
		cmocka_unit_test(test_pftrace_many_tracks),
	};
	char cmd[512];
	int rc;

	if (argc == 5 && !strcmp(argv[1], "gen"))
		return gen(argv[2], strtoull(argv[3], NULL, 0), argv[4]);
	bin = getenv("TS_BIN");
	if (!bin || test_dir_init("ts-budget"))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir());
	if (system(cmd))
		rc = rc ? rc : 1;
	return rc;
}
