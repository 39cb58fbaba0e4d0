// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Nsight Systems side of the SQLite export (sqlite_nsys.h): nsys's
 * tables and ENUM_* tables where we have their data, and the small facts its
 * columns need (global ids, small handle ids, kernel short names). Values
 * and labels of the ENUM_* tables are nsys's (its "SQLite Schema Event
 * Values"); rows it would have that we cannot fill are not made up.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "write/sqlite_nsys.h"

#define ENUM_TABLE(name)                                                                           \
	"CREATE TABLE " name " (id INTEGER NOT NULL PRIMARY KEY, name TEXT, label TEXT);"

const char ts_nsys_schema_sql[] =
	"CREATE TABLE ThreadNames (nameId INTEGER NOT NULL, priority INTEGER, globalTid INTEGER);"
	"CREATE TABLE TARGET_INFO_SESSION_START_TIME (utcEpochNs INTEGER, utcTime TEXT,"
	" localTime TEXT);"
	/* the columns we can fill of nsys's; NULL where CUPTI did not say */
	"CREATE TABLE TARGET_INFO_GPU (vmId INTEGER NOT NULL, id INTEGER NOT NULL, name TEXT,"
	" smCount INTEGER, maxShmemPerSm INTEGER, maxRegistersPerSm INTEGER,"
	" threadsPerWarp INTEGER, maxWarpsPerSm INTEGER, maxBlocksPerSm INTEGER,"
	" computeMajor INTEGER, computeMinor INTEGER);"
	"CREATE TABLE META_DATA_EXPORT (name TEXT NOT NULL, value TEXT);"
	/* the host's synchronize calls (CUPTI's sync records are their host times too) */
	"CREATE TABLE CUPTI_ACTIVITY_KIND_SYNCHRONIZATION (start INTEGER NOT NULL,"
	" end INTEGER NOT NULL, deviceId INTEGER NOT NULL, contextId INTEGER NOT NULL,"
	" greenContextId INTEGER, streamId INTEGER NOT NULL, correlationId INTEGER,"
	" globalPid INTEGER, syncType INTEGER NOT NULL, eventId INTEGER NOT NULL);" ENUM_TABLE(
		"ENUM_CUDA_MEMCPY_OPER") "INSERT INTO ENUM_CUDA_MEMCPY_OPER VALUES"
					 " (0, 'CUDA_MEMCPY_KIND_UNKNOWN', 'Unknown'),"
					 " (1, 'CUDA_MEMCPY_KIND_HTOD', 'Host-to-Device'),"
					 " (2, 'CUDA_MEMCPY_KIND_DTOH', 'Device-to-Host'),"
					 " (3, 'CUDA_MEMCPY_KIND_HTOA', 'Host-to-Array'),"
					 " (4, 'CUDA_MEMCPY_KIND_ATOH', 'Array-to-Host'),"
					 " (5, 'CUDA_MEMCPY_KIND_ATOA', 'Array-to-Array'),"
					 " (6, 'CUDA_MEMCPY_KIND_ATOD', 'Array-to-Device'),"
					 " (7, 'CUDA_MEMCPY_KIND_DTOA', 'Device-to-Array'),"
					 " (8, 'CUDA_MEMCPY_KIND_DTOD', 'Device-to-Device'),"
					 " (9, 'CUDA_MEMCPY_KIND_HTOH', 'Host-to-Host'),"
					 " (10, 'CUDA_MEMCPY_KIND_PTOP', 'Peer-to-Peer'),"
					 " (11, 'CUDA_MEMCPY_KIND_UVM_HTOD', 'Unified Host-to-Device'),"
					 " (12, 'CUDA_MEMCPY_KIND_UVM_DTOH', 'Unified Device-to-Host'),"
					 " (13, 'CUDA_MEMCPY_KIND_UVM_DTOD', 'Unified Device-to-Device');" ENUM_TABLE(
						 "ENUM_CUDA_MEM_KIND") "INSERT INTO ENUM_CUDA_MEM_KIND VALUES"
								       " (0, 'CUDA_MEMOPR_MEMORY_KIND_PAGEABLE', 'Pageable'),"
								       " (1, 'CUDA_MEMOPR_MEMORY_KIND_PINNED', 'Pinned'),"
								       " (2, 'CUDA_MEMOPR_MEMORY_KIND_DEVICE', 'Device'),"
								       " (3, 'CUDA_MEMOPR_MEMORY_KIND_ARRAY', 'Array'),"
								       " (4, 'CUDA_MEMOPR_MEMORY_KIND_MANAGED', 'Managed'),"
								       " (5, 'CUDA_MEMOPR_MEMORY_KIND_DEVICE_STATIC', 'Device Static'),"
								       " (6, 'CUDA_MEMOPR_MEMORY_KIND_MANAGED_STATIC', 'Managed Static'),"
								       " (7, 'CUDA_MEMOPR_MEMORY_KIND_UNKNOWN', 'Unknown');" ENUM_TABLE(
									       "ENUM_CUPTI_SYNC_TYPE") "INSERT INTO ENUM_CUPTI_SYNC_TYPE VALUES"
												       " (0, 'CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_UNKNOWN', 'Unknown'),"
												       " (1, 'CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_EVENT_SYNCHRONIZE', 'Event sync'),"
												       " (2, 'CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_WAIT_EVENT', 'Stream wait sync'),"
												       " (3, 'CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_SYNCHRONIZE', 'Stream sync'),"
												       " (4, 'CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_CONTEXT_SYNCHRONIZE', 'Context sync');" ENUM_TABLE(
													       "ENUM_NSYS_EVENT_TYPE") "INSERT INTO ENUM_NSYS_EVENT_TYPE VALUES"
																       " (34, 'NvtxMark', 'NvtxMark'),"
																       " (59, 'NvtxPushPopRange', 'NvtxPushPopRange'),"
																       " (60, 'NvtxStartEndRange', 'NvtxStartEndRange');" ENUM_TABLE(
																	       "ENUM_NSYS_EVENT_CLASS") "INSERT INTO ENUM_NSYS_EVENT_CLASS VALUES"
																					" (0, 'TRACE_PROCESS_EVENT_CUDA_RUNTIME', 'CUDA runtime'),"
																					" (1, 'TRACE_PROCESS_EVENT_CUDA_DRIVER', 'CUDA driver'),"
																					" (27, 'TRACE_PROCESS_EVENT_OS_RUNTIME', 'OS runtime');";

const char ts_nsys_finish_sql[] =
	/* a GPU row's process: its submitting call's (correlation ids are unique in a trace) */
	"UPDATE CUPTI_ACTIVITY_KIND_KERNEL SET globalPid = (SELECT r.globalTid & ~16777215"
	" FROM CUPTI_ACTIVITY_KIND_RUNTIME r WHERE r.correlationId ="
	" CUPTI_ACTIVITY_KIND_KERNEL.correlationId LIMIT 1);"
	"UPDATE CUPTI_ACTIVITY_KIND_MEMCPY SET globalPid = (SELECT r.globalTid & ~16777215"
	" FROM CUPTI_ACTIVITY_KIND_RUNTIME r WHERE r.correlationId ="
	" CUPTI_ACTIVITY_KIND_MEMCPY.correlationId LIMIT 1);"
	"UPDATE CUPTI_ACTIVITY_KIND_MEMSET SET globalPid = (SELECT r.globalTid & ~16777215"
	" FROM CUPTI_ACTIVITY_KIND_RUNTIME r WHERE r.correlationId ="
	" CUPTI_ACTIVITY_KIND_MEMSET.correlationId LIMIT 1);"
	/* one name per thread and per device: the last given */
	"DELETE FROM ThreadNames WHERE rowid NOT IN"
	" (SELECT MAX(rowid) FROM ThreadNames GROUP BY globalTid);"
	"DELETE FROM TARGET_INFO_GPU WHERE rowid NOT IN"
	" (SELECT MAX(rowid) FROM TARGET_INFO_GPU GROUP BY id);"
	/* the driver layer's system calls, as nsys's OS runtime trace has them */
	"CREATE VIEW OSRT_API AS SELECT start, end, 27 AS eventClass, globalTid,"
	" syscallNameId AS nameId, returnValue, 0 AS nestingLevel, NULL AS callchainId"
	" FROM NVIDIA_DRIVER_CALLS;";

uint64_t ts_nsys_id(struct ts_nsys_ids *ids, enum ts_nsys_id_kind k, uint32_t owner,
		    uint64_t handle)
{
	uint64_t a = (uint64_t)k << 32 | owner, *v = ts_hmap_get(&ids->map, a, handle);

	if (v)
		return *v;
	if (ids->map.count >= TS_NSYS_IDS_MAX || ts_hmap_put(&ids->map, a, handle, ++ids->next[k]))
		return 0;
	return ids->next[k];
}

void ts_nsys_ids_free(struct ts_nsys_ids *ids)
{
	if (ids)
		ts_hmap_free(&ids->map);
}

/* The end of the template argument list or parameter list opening at s[i], or n. */
static size_t close_of(const char *s, size_t n, size_t i)
{
	int depth = 0;

	for (; i < n; i++) {
		if (s[i] == '<' || s[i] == '(')
			depth++;
		else if ((s[i] == '>' || s[i] == ')') && --depth == 0)
			return i;
	}
	return n;
}

void ts_nsys_short_name(const char *s, size_t n, const char **base, size_t *len)
{
	size_t i, start = 0, end = n;

	/* the name ends where its parameters begin; templates and scopes are skipped over */
	for (i = 0; i < n; i++) {
		if (s[i] == '<') {
			size_t c = close_of(s, n, i);

			/* "operator<" and the like: not a template */
			if (c == n)
				break;
			if (end == n && (c + 1 == n || s[c + 1] == '('))
				end = i; /* f<...>(...): the template is not part of the name */
			i = c;
		} else if (s[i] == '(') {
			if (end == n || end > i)
				end = i;
			break;
		} else if (s[i] == ' ' || (s[i] == ':' && i + 1 < n && s[i + 1] == ':')) {
			start = i + (s[i] == ' ' ? 1 : 2);
			end = n;
			i += s[i] == ' ' ? 0 : 1;
		}
	}
	if (start >= end) {
		start = 0;
		end = n;
	}
	*base = s + start;
	*len = end - start;
}

int ts_nsys_sync_type(const char *api)
{
	static const struct {
		const char *api;
		int type;
	} sync[] = {
		{ "cuEventSynchronize", 1 },
		{ "cuStreamWaitEvent", 2 },
		{ "cuStreamSynchronize", 3 },
		{ "cuCtxSynchronize", 4 },
	};
	unsigned int i;

	for (i = 0; api && i < sizeof(sync) / sizeof(sync[0]); i++)
		if (!strcmp(api, sync[i].api))
			return sync[i].type;
	return 0;
}

void ts_nsys_osrt_name(const struct ts_slice *s, const char **name, size_t *len)
{
	const char *sp = memchr(s->name, ' ', s->name_len);

	/* every ioctl says its request; mmap, open and close are the name's first word */
	if (ts_slice_arg(s, "request")) {
		*name = "ioctl";
		*len = 5;
		return;
	}
	*name = s->name;
	*len = sp ? (size_t)(sp - s->name) : s->name_len;
}

static int exec_bind(sqlite3 *db, const char *sql, const char *t1, const char *t2, int64_t i1,
		     int64_t i2)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, t1, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, t2, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, i1);
		sqlite3_bind_int64(st, 4, i2);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

static int session_start(sqlite3 *db, const struct ts_trace_meta *m)
{
	time_t t = (time_t)(m->clock_real_ns / 1000000000ull);
	char utc[64] = "", local[64] = "";
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(utc, sizeof(utc), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (localtime_r(&t, &tm))
		strftime(local, sizeof(local), "%Y-%m-%dT%H:%M:%S%z", &tm);
	return exec_bind(db,
			 "INSERT INTO TARGET_INFO_SESSION_START_TIME VALUES (?3, ?1, ?2)"
			 "",
			 utc, local, (int64_t)m->clock_real_ns, 0);
}

/* A device's CUPTI limits onto its row (made when its GPU track was), or a row of its own. */
static int gpu_row(sqlite3 *db, const struct ts_meta_gpu *g)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "UPDATE TARGET_INFO_GPU SET name = ?1, smCount = %u, maxShmemPerSm = %u,"
		 " maxRegistersPerSm = %u, threadsPerWarp = 32, maxWarpsPerSm = %u,"
		 " maxBlocksPerSm = %u, computeMajor = %u, computeMinor = %u"
		 " WHERE id = ?3",
		 g->sms, g->max_shmem, g->max_regs, g->max_warps, g->max_blocks, g->cc >> 8,
		 g->cc & 0xff);
	if (exec_bind(db, sql, g->name, "", g->id, 0))
		return -1;
	if (sqlite3_changes(db))
		return 0;
	if (exec_bind(db, "INSERT INTO TARGET_INFO_GPU (vmId, id) VALUES (0, ?3)", "", "", g->id,
		      0))
		return -1;
	return exec_bind(db, sql, g->name, "", g->id, 0);
}

int ts_nsys_meta(sqlite3 *db, const struct ts_trace_meta *m)
{
	static const char ins[] = "INSERT INTO META_DATA_EXPORT VALUES (?1, ?2)";
	char product[96];
	unsigned int i;
	int err;

	snprintf(product, sizeof(product), "tracesmith-bpf %s", m->version ? m->version : "");
	err = exec_bind(db, ins, "EXPORT_SCHEMA_VERSION", TS_NSYS_EXPORT_SCHEMA, 0, 0);
	if (!err)
		err = exec_bind(db, ins, "EXPORT_PRODUCT_VERSION", product, 0, 0);
	if (!err)
		err = session_start(db, m);
	for (i = 0; !err && i < m->ngpus && i < TS_META_GPUS; i++)
		err = gpu_row(db, &m->gpus[i]);
	return err;
}
