// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The SQLite export's schema. Table and column names follow Nsight Systems'
 * export where it has the same thing (StringIds, CUPTI_ACTIVITY_KIND_*), so
 * its users' queries carry over; times are ns since the trace start.
 * Documented, column by column, in docs/sqlite-schema.md.
 */
#include "write/sqlite_schema.h"

/*
 * GPU work: the columns of Nsight Systems' CUPTI_ACTIVITY_KIND_* tables in
 * its order (NULL where we do not know: greenContextId, launchType, ...),
 * then ours. Measured work (--gpu-time) goes to nsys's tables; host-timed
 * work, whose times are its submitting call's, to HOST_TIMED_* tables of the
 * same columns, so that nsys's queries never read a submit time as a GPU time.
 */
#define KERNEL_COLS                                                                                \
	"(start INTEGER NOT NULL, end INTEGER NOT NULL, deviceId INTEGER NOT NULL,"                \
	" contextId INTEGER, greenContextId INTEGER, streamId INTEGER, correlationId INTEGER,"     \
	" globalPid INTEGER, demangledName INTEGER NOT NULL, shortName INTEGER NOT NULL,"          \
	" mangledName INTEGER, launchType INTEGER, cacheConfig INTEGER,"                           \
	" registersPerThread INTEGER, gridX INTEGER, gridY INTEGER, gridZ INTEGER,"                \
	" blockX INTEGER, blockY INTEGER, blockZ INTEGER, staticSharedMemory INTEGER,"             \
	" dynamicSharedMemory INTEGER, localMemoryPerThread INTEGER, localMemoryTotal INTEGER,"    \
	" gridId INTEGER, sharedMemoryExecuted INTEGER, graphNodeId INTEGER,"                      \
	" sharedMemoryLimitConfig INTEGER, trackId INTEGER NOT NULL, stream INTEGER NOT NULL,"     \
	" context INTEGER, sharedMemoryBytes INTEGER, cuptiCorrelationId INTEGER, timing TEXT,"    \
	" occupancyPct INTEGER);"
#define MEMCPY_COLS                                                                                \
	"(start INTEGER NOT NULL, end INTEGER NOT NULL, deviceId INTEGER NOT NULL,"                \
	" contextId INTEGER, greenContextId INTEGER, streamId INTEGER, correlationId INTEGER,"     \
	" globalPid INTEGER, bytes INTEGER NOT NULL, copyKind INTEGER NOT NULL,"                   \
	" deprecatedSrcId INTEGER, srcKind INTEGER, dstKind INTEGER, srcDeviceId INTEGER,"         \
	" srcContextId INTEGER, dstDeviceId INTEGER, dstContextId INTEGER,"                        \
	" migrationCause INTEGER, graphNodeId INTEGER, virtualAddress INTEGER,"                    \
	" trackId INTEGER NOT NULL, stream INTEGER NOT NULL, context INTEGER,"                     \
	" cuptiCorrelationId INTEGER, timing TEXT);"
#define MEMSET_COLS                                                                                \
	"(start INTEGER NOT NULL, end INTEGER NOT NULL, deviceId INTEGER NOT NULL,"                \
	" contextId INTEGER, greenContextId INTEGER, streamId INTEGER, correlationId INTEGER,"     \
	" globalPid INTEGER, value INTEGER NOT NULL, bytes INTEGER NOT NULL, graphNodeId INTEGER," \
	" memKind INTEGER, trackId INTEGER NOT NULL, stream INTEGER NOT NULL, context INTEGER,"    \
	" cuptiCorrelationId INTEGER, timing TEXT);"

const char ts_sqlite_schema_sql[] =
	"CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT NOT NULL);"
	/* hooked CUDA driver API calls (eventClass 1: CUDA driver) */
	"CREATE TABLE CUPTI_ACTIVITY_KIND_RUNTIME (start INTEGER NOT NULL, end INTEGER NOT NULL,"
	" pid INTEGER NOT NULL, tid INTEGER NOT NULL, nameId INTEGER NOT NULL,"
	" correlationId INTEGER NOT NULL, returnValue INTEGER NOT NULL, apiId INTEGER NOT NULL,"
	" flags INTEGER NOT NULL, eventClass INTEGER NOT NULL, globalTid INTEGER,"
	" callchainId INTEGER);"
	/* the kernel driver layer: ioctl/mmap/open/close on /dev/nvidia* (OSRT_API: a view) */
	"CREATE TABLE NVIDIA_DRIVER_CALLS (start INTEGER NOT NULL, end INTEGER NOT NULL,"
	" pid INTEGER NOT NULL, tid INTEGER NOT NULL, nameId INTEGER NOT NULL,"
	" correlationId INTEGER NOT NULL, returnValue INTEGER NOT NULL, globalTid INTEGER,"
	" syscallNameId INTEGER);"
	"CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL " KERNEL_COLS
	"CREATE TABLE HOST_TIMED_KERNEL " KERNEL_COLS
	"CREATE TABLE CUPTI_ACTIVITY_KIND_MEMCPY " MEMCPY_COLS
	"CREATE TABLE HOST_TIMED_MEMCPY " MEMCPY_COLS
	"CREATE TABLE CUPTI_ACTIVITY_KIND_MEMSET " MEMSET_COLS
	"CREATE TABLE HOST_TIMED_MEMSET " MEMSET_COLS
	"CREATE TABLE GRAPH_LAUNCHES (start INTEGER NOT NULL, end INTEGER NOT NULL,"
	" deviceId INTEGER NOT NULL, trackId INTEGER NOT NULL, stream INTEGER NOT NULL,"
	" correlationId INTEGER NOT NULL, graphExec INTEGER NOT NULL, nodes INTEGER NOT NULL,"
	" timing TEXT);"
	"CREATE TABLE PROCESSES (pid INTEGER PRIMARY KEY, name TEXT, kind TEXT, globalPid INTEGER);"
	"CREATE TABLE THREADS (pid INTEGER NOT NULL, tid INTEGER NOT NULL, name TEXT,"
	" PRIMARY KEY (pid, tid));"
	"CREATE TABLE GPU_TRACKS (deviceId INTEGER NOT NULL, trackId INTEGER NOT NULL, name TEXT,"
	" PRIMARY KEY (deviceId, trackId));"
	"CREATE TABLE COUNTERS (pid INTEGER NOT NULL, nameId INTEGER NOT NULL,"
	" ts INTEGER NOT NULL, value INTEGER NOT NULL);"
	"CREATE TABLE META (key TEXT PRIMARY KEY, value);"
	/* NVTX ranges and marks, as Nsight Systems' NVTX_EVENTS (eventType 59 push/pop,
	 * 60 start/end, 34 mark; end NULL for a mark); the message both in textId and text */
	"CREATE TABLE NVTX_EVENTS (start INTEGER NOT NULL, end INTEGER,"
	" eventType INTEGER NOT NULL, category INTEGER, color INTEGER, textId INTEGER NOT NULL,"
	" domainId INTEGER NOT NULL, domainNameId INTEGER, pid INTEGER NOT NULL,"
	" tid INTEGER NOT NULL, endTid INTEGER, uint64Value INTEGER, int64Value INTEGER,"
	" doubleValue REAL, categoryName TEXT, text TEXT, globalTid INTEGER,"
	" endGlobalTid INTEGER, rangeId INTEGER);"
	/* NCCL calls, in NCCL's words; the launches each one made (its kernels' correlationId) */
	"CREATE TABLE NCCL_CALLS (start INTEGER NOT NULL, end INTEGER NOT NULL,"
	" pid INTEGER NOT NULL, tid INTEGER NOT NULL, nameId INTEGER NOT NULL,"
	" correlationId INTEGER NOT NULL, returnValue INTEGER NOT NULL, communicator TEXT,"
	" rank INTEGER, nranks INTEGER, bytes INTEGER, datatype TEXT, redop TEXT, root INTEGER,"
	" peer INTEGER, ncclGroup INTEGER);"
	"CREATE TABLE NCCL_LAUNCHES (ncclCorrelationId INTEGER NOT NULL,"
	" correlationId INTEGER NOT NULL);";

const char ts_sqlite_finish_sql[] =
	"CREATE INDEX runtime_corr ON CUPTI_ACTIVITY_KIND_RUNTIME (correlationId);"
	"CREATE INDEX kernel_corr ON CUPTI_ACTIVITY_KIND_KERNEL (correlationId);"
	"CREATE INDEX memcpy_corr ON CUPTI_ACTIVITY_KIND_MEMCPY (correlationId);"
	"CREATE INDEX memset_corr ON CUPTI_ACTIVITY_KIND_MEMSET (correlationId);"
	"CREATE INDEX host_kernel_corr ON HOST_TIMED_KERNEL (correlationId);"
	"CREATE INDEX host_memcpy_corr ON HOST_TIMED_MEMCPY (correlationId);"
	"CREATE INDEX host_memset_corr ON HOST_TIMED_MEMSET (correlationId);"
	"CREATE INDEX graph_corr ON GRAPH_LAUNCHES (correlationId);"
	"CREATE INDEX driver_corr ON NVIDIA_DRIVER_CALLS (correlationId);"
	/* names joined in */
	"CREATE VIEW api_calls AS SELECT r.start, r.end, r.end - r.start AS dur, r.pid, r.tid,"
	" s.value AS name, a.value AS api, r.correlationId, r.returnValue, r.flags"
	" FROM CUPTI_ACTIVITY_KIND_RUNTIME r JOIN StringIds s ON s.id = r.nameId"
	" LEFT JOIN StringIds a ON a.id = r.apiId;"
	/* our views: measured and host-timed work together, the timing column says which */
	"CREATE VIEW kernels AS SELECT k.start, k.end, k.end - k.start AS dur, k.deviceId,"
	" k.trackId, k.stream, s.value AS name, k.correlationId, k.gridX, k.gridY, k.gridZ,"
	" k.blockX, k.blockY, k.blockZ, k.sharedMemoryBytes, k.graphNodeId, k.timing,"
	" k.registersPerThread, k.staticSharedMemory, k.dynamicSharedMemory,"
	" k.localMemoryPerThread, k.localMemoryTotal, k.occupancyPct"
	" FROM (SELECT * FROM CUPTI_ACTIVITY_KIND_KERNEL UNION ALL"
	" SELECT * FROM HOST_TIMED_KERNEL) k JOIN StringIds s ON s.id = k.demangledName;"
	"CREATE VIEW copies AS SELECT start, end, end - start AS dur, deviceId, trackId, stream,"
	" correlationId, bytes, CASE copyKind WHEN 1 THEN 'HtoD' WHEN 2 THEN 'DtoH'"
	" WHEN 8 THEN 'DtoD' WHEN 9 THEN 'HtoH' WHEN 10 THEN 'PtoP' ELSE 'unknown' END"
	" AS direction, graphNodeId, timing FROM (SELECT * FROM CUPTI_ACTIVITY_KIND_MEMCPY"
	" UNION ALL SELECT * FROM HOST_TIMED_MEMCPY);"
	"CREATE VIEW memsets AS SELECT start, end, end - start AS dur, deviceId, trackId, stream,"
	" correlationId, bytes, value, graphNodeId, timing FROM (SELECT * FROM"
	" CUPTI_ACTIVITY_KIND_MEMSET UNION ALL SELECT * FROM HOST_TIMED_MEMSET);"
	"CREATE INDEX nccl_launch_corr ON NCCL_LAUNCHES (ncclCorrelationId);"
	"CREATE VIEW nccl_ops AS SELECT n.start, n.end, n.end - n.start AS dur, n.pid, n.tid,"
	" s.value AS name, n.correlationId, n.returnValue, n.communicator, n.rank, n.nranks,"
	" n.bytes, n.datatype, n.redop, n.root, n.peer, n.ncclGroup"
	" FROM NCCL_CALLS n JOIN StringIds s ON s.id = n.nameId;"
	"CREATE VIEW driver_calls AS SELECT d.start, d.end, d.end - d.start AS dur, d.pid, d.tid,"
	" s.value AS name, d.correlationId, d.returnValue"
	" FROM NVIDIA_DRIVER_CALLS d JOIN StringIds s ON s.id = d.nameId;"
	"CREATE VIEW nvtx AS SELECT n.start, n.end, n.end - n.start AS dur, CASE n.eventType"
	" WHEN 59 THEN 'push_pop' WHEN 60 THEN 'start_end' WHEN 34 THEN 'mark' END AS type,"
	" s.value AS text, d.value AS domain, n.domainId, n.category, n.categoryName, n.color,"
	" n.pid, n.tid, n.endTid, n.uint64Value, n.int64Value, n.doubleValue"
	" FROM NVTX_EVENTS n JOIN StringIds s ON s.id = n.textId"
	" LEFT JOIN StringIds d ON d.id = n.domainNameId;";
