// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The SQLite writer (-o trace.sqlite): every event as a row, in the schema of
 * docs/sqlite-schema.md, laid out as Nsight Systems' export is (StringIds,
 * CUPTI_ACTIVITY_KIND_KERNEL, ..._MEMCPY, ..._MEMSET, ..._RUNTIME), with
 * views that join the names in. Streaming: one transaction, a prepared
 * statement per table, names interned as they come, indexes and views made
 * at the end; memory holds the string table and nothing per row.
 *
 * The database is built in the output's temporary file (outfile.h) and put
 * in place when complete, like every other format.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "encode/outfile.h"
#include "write/sqlite_nsys.h"
#include "write/sqlite_schema.h"
#include "write/sqlite_stacks.h"
#include "lib/strmap.h"
#include "lib/util.h"
#include "probe/hooks.h"
#include "write/writer.h"

enum sq_stmt {
	SQ_STRING,
	SQ_API,
	SQ_DRIVER,
	SQ_KERNEL,
	SQ_MEMCPY,
	SQ_MEMSET,
	SQ_KERNEL_HOST,
	SQ_MEMCPY_HOST,
	SQ_MEMSET_HOST,
	SQ_THREAD_NAME,
	SQ_SYNC,
	SQ_GPU_INFO,
	SQ_GRAPH,
	SQ_PROCESS,
	SQ_THREAD,
	SQ_TRACK,
	SQ_COUNTER,
	SQ_META,
	SQ_NVTX,
	SQ_NCCL,
	SQ_NCCL_LAUNCH,
	SQ__COUNT,
};

/* The GPU tables' columns we fill, the same for nsys's tables and our HOST_TIMED_* ones */
#define GPU_COLS                                                                                   \
	"start, end, deviceId, trackId, stream, correlationId, context, contextId, streamId"
#define KERNEL_INSERT(table)                                                                       \
	"INSERT INTO " table " (" GPU_COLS ", demangledName, shortName, gridX, gridY, gridZ,"      \
	" blockX, blockY, blockZ, sharedMemoryBytes, graphNodeId, cuptiCorrelationId, timing,"     \
	" registersPerThread, staticSharedMemory, dynamicSharedMemory, localMemoryPerThread,"      \
	" localMemoryTotal, gridId, occupancyPct) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,"     \
	"?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28)"
#define MEMCPY_INSERT(table)                                                                       \
	"INSERT INTO " table " (" GPU_COLS ", bytes, copyKind, graphNodeId, cuptiCorrelationId,"   \
	" timing) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"
#define MEMSET_INSERT(table)                                                                       \
	"INSERT INTO " table " (" GPU_COLS ", bytes, value, graphNodeId, cuptiCorrelationId,"      \
	" timing) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"

static const char *const insert_sql[SQ__COUNT] = {
	[SQ_STRING] = "INSERT INTO StringIds VALUES (?1, ?2)",
	[SQ_API] = "INSERT INTO CUPTI_ACTIVITY_KIND_RUNTIME VALUES "
		   "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,NULL)",
	[SQ_DRIVER] = "INSERT INTO NVIDIA_DRIVER_CALLS VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
	[SQ_KERNEL] = KERNEL_INSERT("CUPTI_ACTIVITY_KIND_KERNEL"),
	[SQ_MEMCPY] = MEMCPY_INSERT("CUPTI_ACTIVITY_KIND_MEMCPY"),
	[SQ_MEMSET] = MEMSET_INSERT("CUPTI_ACTIVITY_KIND_MEMSET"),
	[SQ_KERNEL_HOST] = KERNEL_INSERT("HOST_TIMED_KERNEL"),
	[SQ_MEMCPY_HOST] = MEMCPY_INSERT("HOST_TIMED_MEMCPY"),
	[SQ_MEMSET_HOST] = MEMSET_INSERT("HOST_TIMED_MEMSET"),
	[SQ_THREAD_NAME] = "INSERT INTO ThreadNames VALUES (?1, NULL, ?2)",
	[SQ_SYNC] = "INSERT INTO CUPTI_ACTIVITY_KIND_SYNCHRONIZATION (start, end, deviceId,"
		    " contextId, streamId, correlationId, globalPid, syncType, eventId)"
		    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
	[SQ_GPU_INFO] = "INSERT INTO TARGET_INFO_GPU (vmId, id, name) VALUES (0, ?1, ?2)",
	[SQ_GRAPH] = "INSERT INTO GRAPH_LAUNCHES VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
	[SQ_PROCESS] = "INSERT OR REPLACE INTO PROCESSES VALUES (?1, ?2, ?3, ?4)",
	[SQ_THREAD] = "INSERT OR REPLACE INTO THREADS VALUES (?1, ?2, ?3)",
	[SQ_TRACK] = "INSERT OR REPLACE INTO GPU_TRACKS VALUES (?1, ?2, ?3)",
	[SQ_COUNTER] = "INSERT INTO COUNTERS VALUES (?1, ?2, ?3, ?4)",
	[SQ_META] = "INSERT OR REPLACE INTO META VALUES (?1, ?2)",
	[SQ_NVTX] = "INSERT INTO NVTX_EVENTS VALUES "
		    "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,NULL)",
	[SQ_NCCL] = "INSERT INTO NCCL_CALLS VALUES "
		    "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
	[SQ_NCCL_LAUNCH] = "INSERT INTO NCCL_LAUNCHES VALUES (?1, ?2)",
};

struct sq_writer {
	struct ts_writer base;
	struct ts_outfile file;
	sqlite3 *db;
	sqlite3_stmt *st[SQ__COUNT];
	struct ts_strmap names;	    /* string -> StringIds id */
	struct ts_sq_stacks stacks; /* --stacks' tables (sqlite_stacks.c) */
	uint64_t next_id;
	struct ts_nsys_ids ids;	  /* small stream, context and event ids */
	uint64_t own_corr, grids; /* correlationIds of calls that submit nothing; gridIds */
	int err; /* the first failure: -errno, or -EIO with the SQLite message said */
};

static int sq_fail(struct sq_writer *q, const char *what)
{
	if (!q->err) {
		q->err = sqlite3_errcode(q->db) == SQLITE_FULL ? -ENOSPC : -EIO;
		/* whole or nothing (a snapshot): a full disk is said once, by the caller */
		if (q->err == -EIO || !ts_outfile_whole())
			warn("%s: %s: %s\n", q->file.path, what, sqlite3_errmsg(q->db));
	}
	return q->err;
}

static int sq_exec(struct sq_writer *q, const char *sql)
{
	return sqlite3_exec(q->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : sq_fail(q, "SQL");
}

/* Run the statement bound so far, and make it ready for the next row. */
static void sq_step(struct sq_writer *q, enum sq_stmt k)
{
	sqlite3_stmt *s = q->st[k];

	if (!q->err && sqlite3_step(s) != SQLITE_DONE)
		sq_fail(q, "insert");
	sqlite3_reset(s);
}

/* A new StringIds row for s[0..n); its id. */
static int64_t sq_string_row(struct sq_writer *q, const char *s, size_t n)
{
	sqlite3_bind_int64(q->st[SQ_STRING], 1, ++q->next_id);
	sqlite3_bind_text(q->st[SQ_STRING], 2, s, n, SQLITE_TRANSIENT);
	sq_step(q, SQ_STRING);
	return q->next_id;
}

/*
 * The StringIds id of s[0..n), added when new; 0 for none. Past the memory
 * budget (budget.h) a string not seen yet gets a row of its own at each use:
 * the file grows a little, memory does not.
 */
static int64_t sq_string(struct sq_writer *q, const char *s, size_t n)
{
	struct ts_strmap_ent *e;
	bool fresh;

	if (!s)
		return 0;
	if (ts_strmap_full(&q->names, n, TS_CAP_STRINGS)) {
		e = ts_strmap_find(&q->names, s, n);
		return e ? (int64_t)e->val : sq_string_row(q, s, n);
	}
	e = ts_strmap_get(&q->names, s, n, &fresh);
	if (!e)
		return 0;
	if (fresh)
		e->val = sq_string_row(q, s, n);
	return e->val;
}

static int64_t arg_i(const struct ts_slice *s, const char *key, int64_t def)
{
	const struct ts_arg *a = ts_slice_arg(s, key);

	if (!a || a->type == TS_ARG_STR || a->type == TS_ARG_DIM3)
		return def;
	return a->type == TS_ARG_I64 ? a->i : (int64_t)a->u;
}

static void bind_str_arg(sqlite3_stmt *st, int col, const struct ts_slice *s, const char *key)
{
	const struct ts_arg *a = ts_slice_arg(s, key);

	if (a && a->type == TS_ARG_STR)
		sqlite3_bind_text(st, col, a->str.s, a->str.len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, col);
}

static void bind_dim3(sqlite3_stmt *st, int col, const struct ts_slice *s, const char *key)
{
	const struct ts_arg *a = ts_slice_arg(s, key);
	int i;

	for (i = 0; i < 3; i++)
		sqlite3_bind_int64(st, col + i, a && a->type == TS_ARG_DIM3 ? a->dim[i] : 0);
}

/* An integer arg as a column, NULL when the call has none. */
static void bind_int_arg(sqlite3_stmt *st, int col, const struct ts_slice *s, const char *key)
{
	const struct ts_arg *a = ts_slice_arg(s, key);

	if (a && a->type != TS_ARG_STR && a->type != TS_ARG_DIM3)
		sqlite3_bind_int64(st, col, arg_i(s, key, 0));
	else
		sqlite3_bind_null(st, col);
}

/* start, end, deviceId, trackId, stream, correlationId: the first six columns of GPU rows */
static void bind_gpu(sqlite3_stmt *st, const struct ts_slice *s)
{
	sqlite3_bind_int64(st, 1, s->ts);
	sqlite3_bind_int64(st, 2, s->ts + s->dur);
	sqlite3_bind_int64(st, 3, s->pid - TS_GPU_PID_BASE);
	sqlite3_bind_int64(st, 4, s->tid);
	sqlite3_bind_int64(st, 5, arg_i(s, "stream", 0));
	sqlite3_bind_int64(st, 6, arg_i(s, "correlation_id", 0));
}

/* The rest of GPU_COLS: the context handle, and the handles' small ids as nsys has them */
static void bind_handles(struct sq_writer *q, sqlite3_stmt *st, const struct ts_slice *s)
{
	bind_gpu(st, s);
	sqlite3_bind_int64(st, 7, arg_i(s, "context", 0));
	sqlite3_bind_int64(st, 8, ts_nsys_id(&q->ids, TS_NSYS_CONTEXT, 0, arg_i(s, "context", 0)));
	sqlite3_bind_int64(st, 9, ts_nsys_id(&q->ids, TS_NSYS_STREAM, 0, arg_i(s, "stream", 0)));
}

/* Measured work goes to nsys's tables; host-timed work to ours (HOST_TIMED_*). */
static bool measured(const struct ts_slice *s)
{
	const struct ts_arg *a = ts_slice_arg(s, "timing");

	return a && a->type == TS_ARG_STR && a->str.len == 3 && !memcmp(a->str.s, "gpu", 3);
}

static void kernel_row(struct sq_writer *q, const struct ts_slice *s)
{
	enum sq_stmt k = measured(s) ? SQ_KERNEL : SQ_KERNEL_HOST;
	sqlite3_stmt *st = q->st[k];
	const char *base;
	size_t len;

	bind_handles(q, st, s);
	sqlite3_bind_int64(st, 10, sq_string(q, s->name, s->name_len));
	ts_nsys_short_name(s->name, s->name_len, &base, &len);
	sqlite3_bind_int64(st, 11, sq_string(q, base, len));
	bind_dim3(st, 12, s, "grid_dim");
	bind_dim3(st, 15, s, "block_dim");
	sqlite3_bind_int64(st, 18, arg_i(s, "shared_memory_bytes", 0));
	sqlite3_bind_int64(st, 19, arg_i(s, "graph_node_id", arg_i(s, "graph_node", -1)));
	sqlite3_bind_int64(st, 20, arg_i(s, "cupti_correlation_id", 0));
	bind_str_arg(st, 21, s, "timing");
	/* CUPTI's facts (--gpu-time), NULL where it did not say */
	bind_int_arg(st, 22, s, "registers_per_thread");
	bind_int_arg(st, 23, s, "static_shared_memory");
	bind_int_arg(st, 24, s, "dynamic_shared_memory");
	bind_int_arg(st, 25, s, "local_memory_per_thread");
	bind_int_arg(st, 26, s, "local_memory_total");
	/* each launch's own number (not CUPTI's gridId, which the capture does not hold) */
	sqlite3_bind_int64(st, 27, (int64_t)++q->grids);
	bind_int_arg(st, 28, s, "est_achieved_occupancy_pct");
	sq_step(q, k);
}

/* CUpti_ActivityMemcpyKind of our direction names */
static int copy_kind(const struct ts_slice *s)
{
	static const char *const names[] = { "HtoD", "DtoH", "DtoD", "HtoH", "PtoP" };
	static const int kinds[] = { 1, 2, 8, 9, 10 };
	const struct ts_arg *a = ts_slice_arg(s, "direction");
	unsigned int i;

	for (i = 0; a && a->type == TS_ARG_STR && i < 5; i++)
		if (a->str.len == strlen(names[i]) && !memcmp(a->str.s, names[i], a->str.len))
			return kinds[i];
	return 0;
}

static void mem_row(struct sq_writer *q, const struct ts_slice *s, bool copy)
{
	enum sq_stmt k = copy ? (measured(s) ? SQ_MEMCPY : SQ_MEMCPY_HOST)
			      : (measured(s) ? SQ_MEMSET : SQ_MEMSET_HOST);
	sqlite3_stmt *st = q->st[k];

	bind_handles(q, st, s);
	sqlite3_bind_int64(st, 10, arg_i(s, "size_bytes", 0));
	if (copy)
		sqlite3_bind_int64(st, 11, copy_kind(s));
	else
		sqlite3_bind_int64(st, 11, arg_i(s, "value", 0));
	sqlite3_bind_int64(st, 12, arg_i(s, "graph_node_id", arg_i(s, "graph_node", -1)));
	sqlite3_bind_int64(st, 13, arg_i(s, "cupti_correlation_id", 0));
	bind_str_arg(st, 14, s, "timing");
	sq_step(q, k);
}

static void graph_row(struct sq_writer *q, const struct ts_slice *s)
{
	sqlite3_stmt *st = q->st[SQ_GRAPH];

	bind_gpu(st, s);
	sqlite3_bind_int64(st, 7, arg_i(s, "graph_exec", 0));
	sqlite3_bind_int64(st, 8, arg_i(s, "nodes", 0));
	bind_str_arg(st, 9, s, "timing");
	sq_step(q, SQ_GRAPH);
}

/* The columns a call's row starts with: start, end, pid, tid, name, correlationId, result. */
static void bind_call(struct sq_writer *q, sqlite3_stmt *st, const struct ts_slice *s,
		      const char *result_key)
{
	sqlite3_bind_int64(st, 1, s->ts);
	sqlite3_bind_int64(st, 2, s->ts + s->dur);
	sqlite3_bind_int64(st, 3, s->pid);
	sqlite3_bind_int64(st, 4, s->tid);
	sqlite3_bind_int64(st, 5, sq_string(q, s->name, s->name_len));
	sqlite3_bind_int64(st, 6, arg_i(s, "correlation_id", 0));
	sqlite3_bind_int64(st, 7, arg_i(s, result_key, 0));
}

static void nccl_row(struct sq_writer *q, const struct ts_slice *s)
{
	sqlite3_stmt *st = q->st[SQ_NCCL];
	const struct ts_arg *comm = ts_slice_arg(s, "communicator");
	char hex[24];

	bind_call(q, st, s, "result");
	if (comm && comm->type == TS_ARG_HEX) {
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)comm->u);
		sqlite3_bind_text(st, 8, hex, -1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_null(st, 8);
	}
	/* an init says its own rank and size; an operation its communicator's */
	bind_int_arg(st, 9, s, ts_slice_arg(s, "comm_rank") ? "comm_rank" : "rank");
	bind_int_arg(st, 10, s, ts_slice_arg(s, "comm_nranks") ? "comm_nranks" : "nranks");
	bind_int_arg(st, 11, s, "size_bytes");
	bind_str_arg(st, 12, s, "datatype_name");
	bind_str_arg(st, 13, s, "redop_name");
	bind_int_arg(st, 14, s, "root");
	bind_int_arg(st, 15, s, "peer");
	bind_int_arg(st, 16, s, "nccl_group");
	sq_step(q, SQ_NCCL);
}

/* A synchronize call, as nsys's CUPTI_ACTIVITY_KIND_SYNCHRONIZATION row (host times). */
static void sync_row(struct sq_writer *q, const struct ts_slice *s, int type, int64_t corr)
{
	sqlite3_stmt *st = q->st[SQ_SYNC];

	sqlite3_bind_int64(st, 1, s->ts);
	sqlite3_bind_int64(st, 2, s->ts + s->dur);
	sqlite3_bind_int64(st, 3, arg_i(s, "device", 0));
	sqlite3_bind_int64(st, 4, ts_nsys_id(&q->ids, TS_NSYS_CONTEXT, 0, arg_i(s, "context", 0)));
	sqlite3_bind_int64(st, 5, ts_nsys_id(&q->ids, TS_NSYS_STREAM, 0, arg_i(s, "stream", 0)));
	sqlite3_bind_int64(st, 6, corr);
	sqlite3_bind_int64(st, 7, ts_nsys_gpid(s->pid));
	sqlite3_bind_int64(st, 8, type);
	sqlite3_bind_int64(st, 9, ts_nsys_id(&q->ids, TS_NSYS_EVENT, 0, arg_i(s, "event", 0)));
	sq_step(q, SQ_SYNC);
}

/* The columns nsys's call tables add to ours: its event class, global thread id, ... */
static void api_nsys_cols(struct sq_writer *q, sqlite3_stmt *st, const struct ts_slice *s)
{
	int sync = ts_nsys_sync_type(s->api);
	int64_t corr = arg_i(s, "correlation_id", 0);

	/* every call a correlationId of its own, as nsys's: above any our correlator gives */
	if (!ts_slice_arg(s, "correlation_id")) {
		corr = (int64_t)((1ull << 32) + ++q->own_corr);
		sqlite3_bind_int64(st, 6, corr);
	}
	sqlite3_bind_int64(st, 8, sq_string(q, s->api, s->api ? strlen(s->api) : 0));
	sqlite3_bind_int64(st, 9, s->kind);
	/* every runtime call (--runtime-api) has the runtime's category */
	sqlite3_bind_int64(st, 10,
			   s->cat && !strcmp(s->cat, ts_cat_name(TS_CAT_RUNTIME))
				   ? TS_NSYS_CLASS_CUDA_RUNTIME
				   : TS_NSYS_CLASS_CUDA_DRIVER);
	sqlite3_bind_int64(st, 11, ts_nsys_gtid(s->pid, s->tid));
	if (sync)
		sync_row(q, s, sync, corr);
}

static void driver_nsys_cols(struct sq_writer *q, sqlite3_stmt *st, const struct ts_slice *s)
{
	const char *name;
	size_t len;

	sqlite3_bind_int64(st, 8, ts_nsys_gtid(s->pid, s->tid));
	ts_nsys_osrt_name(s, &name, &len);
	sqlite3_bind_int64(st, 9, sq_string(q, name, len));
}

static void host_row(struct sq_writer *q, const struct ts_slice *s)
{
	bool drv = s->cat && !strcmp(s->cat, "driver");
	sqlite3_stmt *st = q->st[drv ? SQ_DRIVER : SQ_API];

	if (s->cat && !strcmp(s->cat, "nccl")) {
		nccl_row(q, s);
		return;
	}
	/* a launch made inside an NCCL call: its kernels are the call's */
	if (ts_slice_arg(s, "nccl_correlation_id")) {
		sqlite3_bind_int64(q->st[SQ_NCCL_LAUNCH], 1, arg_i(s, "nccl_correlation_id", 0));
		sqlite3_bind_int64(q->st[SQ_NCCL_LAUNCH], 2, arg_i(s, "correlation_id", 0));
		sq_step(q, SQ_NCCL_LAUNCH);
	}
	bind_call(q, st, s, drv ? "syscall_ret" : "result");
	if (drv)
		driver_nsys_cols(q, st, s);
	else
		api_nsys_cols(q, st, s);
	sq_step(q, drv ? SQ_DRIVER : SQ_API);
}

/* An NVTX range or mark, as Nsight Systems' NVTX_EVENTS has it (its eventType numbers). */
static void nvtx_row(struct sq_writer *q, const struct ts_slice *s)
{
	sqlite3_stmt *st = q->st[SQ_NVTX];
	const struct ts_arg *type = ts_slice_arg(s, "nvtx"), *pl = ts_slice_arg(s, "payload");
	const struct ts_arg *dom = ts_slice_arg(s, "domain");
	bool mark = type && type->str.len == 4, start_end = type && type->str.len == 9;

	sqlite3_bind_int64(st, 1, s->ts);
	if (mark)
		sqlite3_bind_null(st, 2);
	else
		sqlite3_bind_int64(st, 2, s->ts + s->dur);
	sqlite3_bind_int64(st, 3, mark ? 34 : start_end ? 60 : 59);
	bind_int_arg(st, 4, s, "category");
	bind_int_arg(st, 5, s, "color");
	sqlite3_bind_int64(st, 6, sq_string(q, s->name, s->name_len));
	sqlite3_bind_int64(st, 7, arg_i(s, "domain_id", 0));
	if (dom && dom->type == TS_ARG_STR)
		sqlite3_bind_int64(st, 8, sq_string(q, dom->str.s, dom->str.len));
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_int64(st, 9, s->pid);
	sqlite3_bind_int64(st, 10, start_end ? arg_i(s, "tid", 0) : s->tid);
	if (start_end)
		sqlite3_bind_int64(st, 11, arg_i(s, "end_tid", 0));
	else
		sqlite3_bind_null(st, 11);
	sqlite3_bind_null(st, 12);
	sqlite3_bind_null(st, 13);
	sqlite3_bind_null(st, 14);
	if (pl && pl->type == TS_ARG_U64)
		sqlite3_bind_int64(st, 12, (int64_t)pl->u);
	else if (pl && pl->type == TS_ARG_I64)
		sqlite3_bind_int64(st, 13, pl->i);
	else if (pl && pl->type == TS_ARG_STR)
		sqlite3_bind_double(st, 14, strtod(pl->str.s, NULL));
	bind_str_arg(st, 15, s, "category_name");
	/* nsys's columns: the message as text too, the threads as global ids */
	sqlite3_bind_text(st, 16, s->name, s->name_len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 17, ts_nsys_gtid(s->pid, start_end ? arg_i(s, "tid", 0) : s->tid));
	if (start_end)
		sqlite3_bind_int64(st, 18, ts_nsys_gtid(s->pid, arg_i(s, "end_tid", 0)));
	else
		sqlite3_bind_null(st, 18);
	sq_step(q, SQ_NVTX);
}

static void sq_slice(struct ts_writer *w, const struct ts_slice *s)
{
	struct sq_writer *q = (struct sq_writer *)w;

	if (q->err)
		return;
	if (s->stack && s->pid < TS_GPU_PID_BASE &&
	    ts_sq_stacks_call(&q->stacks, s, sq_string(q, s->name, s->name_len)))
		sq_fail(q, "insert");
	if (s->cat && !strcmp(s->cat, "nvtx"))
		nvtx_row(q, s);
	else if (s->pid < TS_GPU_PID_BASE)
		host_row(q, s);
	else if (!strcmp(s->cat, "kernel"))
		kernel_row(q, s);
	else if (!strcmp(s->cat, "memcpy"))
		mem_row(q, s, true);
	else if (!strcmp(s->cat, "memset"))
		mem_row(q, s, false);
	else if (!strcmp(s->cat, "graph"))
		graph_row(q, s);
}

static void sq_process(struct ts_writer *w, uint32_t pid, const char *name, enum ts_track_kind k)
{
	struct sq_writer *q = (struct sq_writer *)w;
	sqlite3_stmt *st = q->st[SQ_PROCESS];

	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, k == TS_TRACK_GPU ? "gpu" : "host", -1, SQLITE_STATIC);
	if (k == TS_TRACK_GPU)
		sqlite3_bind_null(st, 4);
	else
		sqlite3_bind_int64(st, 4, ts_nsys_gpid(pid));
	sq_step(q, SQ_PROCESS);
	if (k == TS_TRACK_GPU && pid >= TS_GPU_PID_BASE) {
		/* nsys's list of devices; CUPTI's limits are added at the end (ts_nsys_meta) */
		sqlite3_bind_int64(q->st[SQ_GPU_INFO], 1, pid - TS_GPU_PID_BASE);
		sqlite3_bind_text(q->st[SQ_GPU_INFO], 2, name, -1, SQLITE_TRANSIENT);
		sq_step(q, SQ_GPU_INFO);
	}
}

static void sq_thread(struct ts_writer *w, uint32_t pid, uint32_t tid, const char *name, size_t len)
{
	struct sq_writer *q = (struct sq_writer *)w;
	enum sq_stmt k = pid >= TS_GPU_PID_BASE ? SQ_TRACK : SQ_THREAD;
	sqlite3_stmt *st = q->st[k];

	sqlite3_bind_int64(st, 1, k == SQ_TRACK ? pid - TS_GPU_PID_BASE : pid);
	sqlite3_bind_int64(st, 2, tid);
	sqlite3_bind_text(st, 3, name, len, SQLITE_TRANSIENT);
	sq_step(q, k);
	if (k == SQ_THREAD) {
		sqlite3_bind_int64(q->st[SQ_THREAD_NAME], 1, sq_string(q, name, len));
		sqlite3_bind_int64(q->st[SQ_THREAD_NAME], 2, ts_nsys_gtid(pid, tid));
		sq_step(q, SQ_THREAD_NAME);
	}
}

static void sq_counter(struct ts_writer *w, uint32_t pid, const struct ts_counter_def *c,
		       uint64_t ts, int64_t value)
{
	struct sq_writer *q = (struct sq_writer *)w;
	sqlite3_stmt *st = q->st[SQ_COUNTER];

	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_int64(st, 2, sq_string(q, c->name, strlen(c->name)));
	sqlite3_bind_int64(st, 3, ts);
	sqlite3_bind_int64(st, 4, value);
	sq_step(q, SQ_COUNTER);
}

static void meta_u64(struct sq_writer *q, const char *key, uint64_t v)
{
	sqlite3_bind_text(q->st[SQ_META], 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q->st[SQ_META], 2, (int64_t)v);
	sq_step(q, SQ_META);
}

static void meta_str(struct sq_writer *q, const char *key, const char *v)
{
	sqlite3_bind_text(q->st[SQ_META], 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q->st[SQ_META], 2, v ? v : "", -1, SQLITE_TRANSIENT);
	sq_step(q, SQ_META);
}

static void sq_meta(struct sq_writer *q, const struct ts_trace_meta *m)
{
	unsigned int i;

	meta_str(q, "tool", "tracesmith-bpf");
	meta_str(q, "version", m->version);
	meta_str(q, "command_line", m->tracer_cmdline);
	meta_str(q, "clock", "CLOCK_MONOTONIC");
	meta_u64(q, "clock_base_monotonic_ns", m->clock_mono_ns);
	meta_u64(q, "clock_base_realtime_ns", m->clock_real_ns);
	meta_u64(q, "records", m->records);
	meta_u64(q, "dropped_events", m->drops);
	meta_u64(q, "incomplete", m->incomplete);
	meta_u64(q, "duration_ns", m->end_ns);
	meta_str(q, "gpu_timing", m->gpu_timing ? m->gpu_timing : "none");
	meta_u64(q, "gpu_slices_measured", m->gpu_measured);
	meta_u64(q, "gpu_slices_host_timed", m->gpu_host_timed);
	meta_u64(q, "cupti_dropped_records", m->cupti_dropped);
	if (m->nvtx_ranges || m->nvtx_marks || m->nvtx_cut || m->nvtx_unmatched ||
	    m->nvtx_unclosed) {
		meta_u64(q, "nvtx_ranges", m->nvtx_ranges);
		meta_u64(q, "nvtx_marks", m->nvtx_marks);
		meta_u64(q, "nvtx_events_cut", m->nvtx_cut);
		meta_u64(q, "nvtx_unmatched", m->nvtx_unmatched);
		meta_u64(q, "nvtx_unclosed", m->nvtx_unclosed);
	}
	/* records dropped for times or counts that cannot be drawn, and why (validate.h) */
	meta_u64(q, "invalid_records_dropped", ts_invalid_total(m->invalid));
	for (i = 1; i < TS_INV__COUNT; i++) {
		char key[48];

		if (!m->invalid[i])
			continue;
		snprintf(key, sizeof(key), "invalid_%s", ts_invalid_name(i));
		meta_u64(q, key, m->invalid[i]);
	}
	meta_u64(q, "schema_version", TS_SQLITE_SCHEMA_VERSION);
	if (m->nhosts)
		meta_str(q, "host", m->hosts[0]);
	for (i = 1; i < m->nhosts; i++) {
		char key[32];

		snprintf(key, sizeof(key), "host_%u", i);
		sqlite3_bind_text(q->st[SQ_META], 1, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q->st[SQ_META], 2, m->hosts[i], -1, SQLITE_TRANSIENT);
		sq_step(q, SQ_META);
	}
	for (i = 0; ts_cuts_any(&m->cuts) && i < TS_CUT__COUNT; i++) {
		char key[64];

		snprintf(key, sizeof(key), "cut_by_memory_budget.%s", ts_cut_name(i));
		sqlite3_bind_text(q->st[SQ_META], 1, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q->st[SQ_META], 2, m->cuts.n[i]);
		sq_step(q, SQ_META);
	}
}

/* A flight-recorder snapshot: flight_* rows, the key=value lines as they are. */
static void sq_window(struct sq_writer *q, const struct ts_trace_meta *m)
{
	const char *kv = m->window_kv ? m->window_kv : "", *key, *val;
	size_t klen, vlen;
	char name[80];

	meta_u64(q, "flight_snapshot", m->snapshot);
	meta_str(q, "flight_trigger", m->trigger);
	meta_u64(q, "flight_window_start_ns", m->window_start_ns);
	meta_u64(q, "flight_window_end_ns", m->window_end_ns);
	while (ts_kv_next(&kv, &key, &klen, &val, &vlen)) {
		snprintf(name, sizeof(name), "flight_%.*s", (int)(klen > 64 ? 64 : klen), key);
		sqlite3_bind_text(q->st[SQ_META], 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q->st[SQ_META], 2, val, (int)vlen, SQLITE_TRANSIENT);
		sq_step(q, SQ_META);
	}
}

static int sq_finish(struct ts_writer *w, const struct ts_trace_meta *m)
{
	struct sq_writer *q = (struct sq_writer *)w;
	int err;
	unsigned int i;

	sq_meta(q, m);
	if (m->snapshot)
		sq_window(q, m);
	if (!q->err)
		sq_exec(q, ts_sqlite_finish_sql);
	if (!q->err)
		sq_exec(q, ts_sq_stacks_finish_sql);
	if (!q->err)
		sq_exec(q, ts_nsys_finish_sql);
	if (!q->err && ts_nsys_meta(q->db, m))
		sq_fail(q, "nsys tables");
	if (!q->err)
		sq_exec(q, "COMMIT");
	ts_sq_stacks_free(&q->stacks);
	for (i = 0; i < SQ__COUNT; i++)
		sqlite3_finalize(q->st[i]);
	memset(q->st, 0, sizeof(q->st));
	if (sqlite3_close(q->db) != SQLITE_OK && !q->err)
		q->err = -EIO;
	q->db = NULL;
	if (q->err) {
		ts_outfile_keep(&q->file);
		return q->err;
	}
	err = ts_outfile_commit(&q->file);
	if (err && !ts_outfile_whole())
		warn("%s: %s\n", q->file.path, strerror(-err));
	return err;
}

static void sq_destroy(struct ts_writer *w)
{
	struct sq_writer *q = (struct sq_writer *)w;
	unsigned int i;

	if (!q)
		return;
	ts_sq_stacks_free(&q->stacks);
	for (i = 0; i < SQ__COUNT; i++)
		sqlite3_finalize(q->st[i]);
	sqlite3_close(q->db);
	ts_outfile_discard(&q->file);
	ts_strmap_free(&q->names);
	ts_nsys_ids_free(&q->ids);
	free(q);
}

static const struct ts_writer_ops sq_ops = {
	.name = "sqlite",
	.slice = sq_slice,
	.process = sq_process,
	.thread = sq_thread,
	.counter = sq_counter,
	.finish = sq_finish,
	.destroy = sq_destroy,
};

/* The empty schema, every statement prepared, the one transaction begun. */
static int sq_prepare(struct sq_writer *q)
{
	unsigned int i;
	int err;

	/* a file only we write, put in place whole: no journal, no syncs until the end */
	err = sq_exec(q, "PRAGMA page_size=65536; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
			 "PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-32768");
	if (!err)
		err = sq_exec(q, ts_sqlite_schema_sql);
	if (!err)
		err = sq_exec(q, ts_sq_stacks_schema_sql);
	if (!err)
		err = sq_exec(q, ts_nsys_schema_sql);
	if (!err)
		err = sq_exec(q, "BEGIN");
	for (i = 0; !err && i < SQ__COUNT; i++)
		if (sqlite3_prepare_v3(q->db, insert_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &q->st[i], NULL) != SQLITE_OK)
			err = sq_fail(q, "prepare");
	if (!err && ts_sq_stacks_prepare(&q->stacks, q->db) != SQLITE_OK)
		err = sq_fail(q, "prepare");
	return err;
}

int ts_sqlite_writer_open(const char *path, struct ts_writer **out)
{
	struct sq_writer *q = calloc(1, sizeof(*q));
	int err;

	*out = NULL;
	if (!q)
		return -ENOMEM;
	q->base.ops = &sq_ops;
	q->file.fd = -1;
	if (!strcmp(path, "-")) {
		warn("-o -: a SQLite database cannot go to stdout; name a file\n");
		free(q);
		return -EINVAL;
	}
	err = ts_outfile_create(&q->file, path);
	if (err) {
		if (!ts_outfile_whole())
			warn("%s: %s\n", path, strerror(-err));
		free(q);
		return err;
	}
	if (!q->file.tmp) {
		warn("%s: a SQLite database must be a regular file\n", path);
		sq_destroy(&q->base);
		return -EINVAL;
	}
	/* SQLite opens the new (empty) file by its name; our descriptor is not needed */
	/* one thread uses it: no locking inside SQLite */
	if (sqlite3_open_v2(q->file.tmp, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		warn("%s: %s\n", path, q->db ? sqlite3_errmsg(q->db) : "cannot open");
		sq_destroy(&q->base);
		return -EIO;
	}
	err = sq_prepare(q);
	if (err) {
		sq_destroy(&q->base);
		return err;
	}
	*out = &q->base;
	return 0;
}
