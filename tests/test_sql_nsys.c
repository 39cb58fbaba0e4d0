// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The SQLite export read as Nsight Systems' export: queries written the way
 * nsys users write them (its stats reports' SQL, its documentation's joins
 * on StringIds, ENUM_* and TARGET_INFO_* tables, public tools' queries), run
 * on replays of the fixtures, each with its exact answer: the GPU-timed
 * fixture (tests/fixtures/nsys.tsbpf: the stand-in's runtime workload with
 * the stand-in libcupti, whose durations and kernel facts are known), the
 * host-timed one (runtime.tsbpf), whose GPU work nsys's tables must not hold,
 * and the driver layer's (driver.tsbpf). The schema itself against a golden
 * list of tables and columns. No root, no BPF.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "correlate/gpu_facts.h"
#include "fakecupti/fake_prof.h"
#include "tmpdir.h"
#include "workloads.h"
#include "write/sqlite_nsys.h"

/* A fixture replayed to SQLite, once per run; the database opened read-only. */
static sqlite3 *fixture_db(const char *fixture)
{
	char cmd[1024], *out;
	sqlite3 *db = NULL;

	snprintf(cmd, sizeof(cmd), "%s.sqlite", fixture);
	out = test_path(cmd);
	if (access(out, F_OK)) {
		snprintf(cmd, sizeof(cmd), "%s replay tests/fixtures/%s.tsbpf -o %s 2>/dev/null",
			 getenv("TS_BIN"), fixture, out);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(sqlite3_open_v2(out, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

/* The rows of sql: columns joined by '|', rows each ended by '\n'. */
static char *rows_of(sqlite3 *db, const char *sql)
{
	static char buf[8192];
	sqlite3_stmt *st;
	size_t len = 0;
	int i, n;

	buf[0] = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s\n%s\n", sql, sqlite3_errmsg(db));
		fail();
	}
	n = sqlite3_column_count(st);
	while (sqlite3_step(st) == SQLITE_ROW)
		for (i = 0; i < n && len < sizeof(buf) - 1; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);

			len += snprintf(buf + len, sizeof(buf) - len, "%s%s", v ? v : "",
					i + 1 < n ? "|" : "\n");
		}
	sqlite3_finalize(st);
	return buf;
}

#define assert_rows(db, sql, want)                                                                 \
	do {                                                                                       \
		char *got_ = rows_of(db, sql);                                                     \
		if (strcmp(got_, want))                                                            \
			fprintf(stderr, "query: %s\ngot:\n%swant:\n%s", sql, got_, want);          \
		assert_string_equal(got_, want);                                                   \
	} while (0)

/* nsys's stats reports and its documentation's queries on a GPU-timed trace */
static void test_nsys_gpu_tables(void **state)
{
	char want[512];
	sqlite3 *db;

	if (!getenv("TS_BIN"))
		skip();
	db = fixture_db("nsys");
	/* cuda_gpu_kern_sum: kernels by shortName, their GPU time */
	snprintf(want, sizeof(want), "%llu|%d|vec_add\n%llu|%d|empty_kernel\n",
		 RT_ITERS * FAKE_KERNEL_NS(RT_VEC_GRID, RT_VEC_BLOCK), RT_ITERS,
		 RT_ITERS * FAKE_KERNEL_NS(1, 1), RT_ITERS);
	assert_rows(db,
		    "SELECT sum(end - start) AS total, count(*) AS num, ids.value"
		    " FROM CUPTI_ACTIVITY_KIND_KERNEL AS k"
		    " LEFT JOIN StringIds AS ids ON ids.id = k.shortName"
		    " GROUP BY k.shortName ORDER BY total DESC",
		    want);
	/* the templated (demangled) names, as its :base-less default reports them */
	assert_rows(db,
		    "SELECT value FROM StringIds WHERE id IN"
		    " (SELECT demangledName FROM CUPTI_ACTIVITY_KIND_KERNEL) ORDER BY value",
		    RT_EMPTY_DEMANGLED "\n" RT_VEC_ADD_DEMANGLED "\n");
	/* cuda_gpu_mem_time_sum and cuda_gpu_mem_size_sum: copies by ENUM_CUDA_MEMCPY_OPER */
	snprintf(want, sizeof(want),
		 "[CUDA memcpy Device-to-Device]|1|%llu|%u\n"
		 "[CUDA memcpy Device-to-Host]|2|%llu|%u\n"
		 "[CUDA memcpy Host-to-Device]|2|%llu|%u\n"
		 "[CUDA memset]|1|%llu|%u\n",
		 FAKE_COPY_NS(RT_BYTES), RT_BYTES, 2 * FAKE_COPY_NS(RT_BYTES), 2 * RT_BYTES,
		 2 * FAKE_COPY_NS(RT_BYTES), 2 * RT_BYTES, FAKE_MEMSET_NS(RT_BYTES), RT_BYTES);
	assert_rows(db,
		    "WITH memops AS (SELECT '[CUDA memcpy ' || mos.label || ']' AS name,"
		    " mcpy.end - mcpy.start AS duration, mcpy.bytes AS size"
		    " FROM CUPTI_ACTIVITY_KIND_MEMCPY AS mcpy"
		    " INNER JOIN ENUM_CUDA_MEMCPY_OPER AS mos ON mos.id == mcpy.copyKind"
		    " UNION ALL SELECT '[CUDA memset]' AS name, end - start AS duration,"
		    " bytes AS size FROM CUPTI_ACTIVITY_KIND_MEMSET)"
		    " SELECT name, count(*), sum(duration), sum(size) FROM memops"
		    " GROUP BY 1 ORDER BY 1",
		    want);
	/* CUPTI's kernel facts, as nsys's kernel table has them */
	snprintf(want, sizeof(want), "%d|%d|0|%d|%u\n", FAKE_KERNEL_REGS, FAKE_KERNEL_STATIC_SHMEM,
		 FAKE_KERNEL_LOCAL_MEM, FAKE_KERNEL_LOCAL_MEM_TOTAL);
	assert_rows(db,
		    "SELECT DISTINCT registersPerThread, staticSharedMemory, dynamicSharedMemory,"
		    " localMemoryPerThread, localMemoryTotal FROM CUPTI_ACTIVITY_KIND_KERNEL",
		    want);
	/* small ids: streams and contexts numbered from 1; a gridId per launch */
	assert_rows(db,
		    "SELECT count(DISTINCT streamId), min(streamId) > 0, max(contextId),"
		    " count(DISTINCT gridId) = count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL",
		    "2|1|1|1\n");
	/* each launch joins its kernel by correlationId (cuda_kern_exec_sum, nsys2json) */
	assert_rows(db,
		    "SELECT ids.value, count(*) FROM CUPTI_ACTIVITY_KIND_RUNTIME AS r"
		    " JOIN CUPTI_ACTIVITY_KIND_KERNEL AS k ON k.correlationId = r.correlationId"
		    " JOIN StringIds AS ids ON ids.id = r.nameId GROUP BY 1",
		    "cuLaunchKernel_ptsz|200\n");
	/* nsys's own GPU tables hold measured work only */
	assert_rows(db,
		    "SELECT (SELECT count(*) FROM HOST_TIMED_KERNEL),"
		    " (SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE timing != 'gpu')",
		    "0|0\n");
	sqlite3_close(db);
}

/* Threads, processes, devices, the session: the joins nsys users make on every report */
static void test_nsys_ids_and_targets(void **state)
{
	char want[256];
	sqlite3 *db;

	if (!getenv("TS_BIN"))
		skip();
	db = fixture_db("nsys");
	/* globalTid: the pid in bits 24-47, the tid below (nsys's stats scripts unpack it so) */
	assert_rows(
		db,
		"SELECT count(*), sum((globalTid >> 24) & 0x00FFFFFF = pid),"
		" sum((globalTid & 0x00FFFFFF) = tid) = count(*) FROM CUPTI_ACTIVITY_KIND_RUNTIME",
		"261|261|1\n");
	/* every call a correlationId of its own */
	assert_rows(db,
		    "SELECT count(*) - count(DISTINCT correlationId), sum(correlationId = 0)"
		    " FROM CUPTI_ACTIVITY_KIND_RUNTIME",
		    "0|0\n");
	/* ThreadNames by globalTid */
	assert_rows(db,
		    "SELECT DISTINCT ids.value FROM CUPTI_ACTIVITY_KIND_RUNTIME AS r"
		    " JOIN ThreadNames AS t ON t.globalTid = r.globalTid"
		    " JOIN StringIds AS ids ON ids.id = t.nameId",
		    "fakeapp\n");
	/* each kernel's process, by globalPid */
	assert_rows(db,
		    "SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL AS k"
		    " JOIN PROCESSES AS p ON p.globalPid = k.globalPid",
		    "200\n");
	/* the device, with CUPTI's limits */
	snprintf(want, sizeof(want), "0|%s|%d|%d|%d|32|9|0\n", FAKE_DEVICE_NAME, FAKE_DEVICE_SMS,
		 FAKE_DEVICE_MAX_WARPS, FAKE_DEVICE_MAX_BLOCKS);
	assert_rows(db,
		    "SELECT id, name, smCount, maxWarpsPerSm, maxBlocksPerSm, threadsPerWarp,"
		    " computeMajor, computeMinor FROM TARGET_INFO_GPU",
		    want);
	/* the session's start: the trace's time 0 on the wall clock */
	assert_rows(db,
		    "SELECT s.utcEpochNs = m.value, length(s.utcTime) FROM"
		    " TARGET_INFO_SESSION_START_TIME AS s, META AS m"
		    " WHERE m.key = 'clock_base_realtime_ns'",
		    "1|20\n");
	assert_rows(db, "SELECT value FROM META_DATA_EXPORT WHERE name = 'EXPORT_SCHEMA_VERSION'",
		    TS_NSYS_EXPORT_SCHEMA "\n");
	/* synchronize calls, by ENUM_CUPTI_SYNC_TYPE */
	assert_rows(db,
		    "SELECT e.label, count(*) FROM CUPTI_ACTIVITY_KIND_SYNCHRONIZATION AS s"
		    " JOIN ENUM_CUPTI_SYNC_TYPE AS e ON e.id = s.syncType GROUP BY 1 ORDER BY 1",
		    "Event sync|1\nStream sync|1\nStream wait sync|1\n");
	/* NVTX: nvtx_sum's shape runs (this workload marks nothing) */
	assert_rows(db,
		    "SELECT count(*) FROM NVTX_EVENTS AS ne LEFT JOIN StringIds AS sid"
		    " ON ne.textId = sid.id WHERE ne.eventType IN (59, 60)"
		    " AND coalesce(sid.value, ne.text) IS NOT NULL",
		    "0\n");
	sqlite3_close(db);
}

/* Host-timed work: never in nsys's GPU tables; our views and reports still see it. */
static void test_nsys_host_timed(void **state)
{
	sqlite3 *db;

	if (!getenv("TS_BIN"))
		skip();
	db = fixture_db("runtime");
	assert_rows(db,
		    "SELECT (SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL),"
		    " (SELECT count(*) FROM CUPTI_ACTIVITY_KIND_MEMCPY),"
		    " (SELECT count(*) FROM CUPTI_ACTIVITY_KIND_MEMSET)",
		    "0|0|0\n");
	assert_rows(db,
		    "SELECT sum(k.end - k.start) FROM CUPTI_ACTIVITY_KIND_KERNEL AS k"
		    " JOIN StringIds AS ids ON ids.id = k.shortName",
		    "\n");
	assert_rows(
		db,
		"SELECT (SELECT count(*) FROM kernels), (SELECT count(*) FROM HOST_TIMED_KERNEL),"
		" (SELECT DISTINCT timing FROM kernels)",
		"200|200|host\n");
	sqlite3_close(db);
}

/* osrt_sum on the driver layer: its system calls by name */
static void test_nsys_osrt(void **state)
{
	sqlite3 *db;

	if (!getenv("TS_BIN"))
		skip();
	db = fixture_db("driver");
	assert_rows(db,
		    "SELECT ids.value, count(*) FROM OSRT_API AS o"
		    " LEFT JOIN StringIds AS ids ON ids.id = o.nameId GROUP BY 1 ORDER BY 1",
		    "ioctl|12\nmmap|1\nopen|2\n");
	assert_rows(db,
		    "SELECT count(*) FROM OSRT_API AS o JOIN ENUM_NSYS_EVENT_CLASS AS e"
		    " ON e.id = o.eventClass WHERE e.name = 'TRACE_PROCESS_EVENT_OS_RUNTIME'",
		    "15\n");
	sqlite3_close(db);
}

/* The tables and views, each column in order: tests/fixtures/sqlite-schema.txt */
static void test_nsys_schema_golden(void **state)
{
	char *got, *want;
	sqlite3 *db;

	if (!getenv("TS_BIN"))
		skip();
	db = fixture_db("nsys");
	got = rows_of(db, "SELECT m.type, m.name, group_concat(p.name, ',') FROM sqlite_master AS m"
			  " JOIN pragma_table_info(m.name) AS p WHERE m.type IN ('table', 'view')"
			  " GROUP BY m.type, m.name ORDER BY m.type, m.name");
	want = test_slurp("tests/fixtures/sqlite-schema.txt");
	if (strcmp(got, want))
		fprintf(stderr, "schema:\n%s", got);
	assert_string_equal(got, want);
	sqlite3_close(db);
}

/* Kineto's occupancy on an H100's limits; nsys's short names */
static void test_nsys_facts(void **state)
{
	const struct ts_gpu_limits h100 = { 132, 64, 32, 65536, 233472, 0x900 };
	struct ts_kernel_use k = { { 4096, 1, 1 }, { 256, 1, 1 }, 40, 1024, 0 };
	const char *base;
	size_t len;

	/* 40 registers: 1280 a warp, 12 warps a quarter SM, 6 blocks of 8 warps: 75% */
	assert_int_equal(ts_occupancy_pct(&h100, &k), 75);
	/* 32 registers: 8 blocks by registers and by warps: 100% */
	k.regs = 32;
	assert_int_equal(ts_occupancy_pct(&h100, &k), 100);
	/* 100 KiB of shared memory a block (+1 KiB reserved): 2 blocks: 25% */
	k.dyn_shmem = 100 * 1024;
	assert_int_equal(ts_occupancy_pct(&h100, &k), 25);
	/* one block in all: 256 threads of 2048 on its SM, over 132 SMs: 0% */
	k = (struct ts_kernel_use){ { 1, 1, 1 }, { 256, 1, 1 }, 32, 0, 0 };
	assert_int_equal(ts_occupancy_pct(&h100, &k), 0);
	k.regs = 0; /* not said */
	assert_int_equal(ts_occupancy_pct(&h100, &k), -1);
	assert_int_equal(ts_occupancy_pct(NULL, &k), -1);
#define SHORT(in, out)                                                                             \
	do {                                                                                       \
		ts_nsys_short_name(in, strlen(in), &base, &len);                                   \
		assert_int_equal(len, strlen(out));                                                \
		assert_memory_equal(base, out, len);                                               \
	} while (0)
	SHORT("vec_add(float*, float const*, int)", "vec_add");
	SHORT("void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>, "
	      "std::array<char*, 1ul> >(int, at::native::FillFunctor<float>, std::array<char*, "
	      "1ul>)",
	      "vectorized_elementwise_kernel");
	SHORT("ampere_sgemm_128x64_tn", "ampere_sgemm_128x64_tn");
	SHORT("ns::Kernel<int>::run(int)", "run");
	SHORT("kernel@cupti:7", "kernel@cupti:7");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nsys_gpu_tables),
		cmocka_unit_test(test_nsys_ids_and_targets),
		cmocka_unit_test(test_nsys_host_timed),
		cmocka_unit_test(test_nsys_osrt),
		cmocka_unit_test(test_nsys_schema_golden),
		cmocka_unit_test(test_nsys_facts),
	};

	if (test_dir_init("ts-nsys"))
		return 1;
	if (getenv("TS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("nsys", tests, NULL, NULL);
}
