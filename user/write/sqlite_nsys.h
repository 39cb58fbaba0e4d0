/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The SQLite export's Nsight Systems side: the tables and columns nsys's own
 * export has (its schema 3.16, docs/sqlite-schema.md says which), so the SQL
 * nsys users run works on our files where we have the data.
 */
#ifndef TS_SQLITE_NSYS_H
#define TS_SQLITE_NSYS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/hashmap.h"
#include "write/writer.h"

/* The nsys export schema whose names and meanings we follow (META_DATA_EXPORT). */
#define TS_NSYS_EXPORT_SCHEMA "3.16.1"
/* OSRT_API's eventClass (TRACE_PROCESS_EVENT_OS_RUNTIME), the runtime table's for driver calls */
#define TS_NSYS_CLASS_OSRT	   27
#define TS_NSYS_CLASS_CUDA_DRIVER  1
#define TS_NSYS_CLASS_CUDA_RUNTIME 0

/* nsys's tables beyond ours, and its ENUM_* tables filled: run before the first row. */
extern const char ts_nsys_schema_sql[];
/* What needs every row: run after the last (globalPid of GPU rows, OSRT_API). */
extern const char ts_nsys_finish_sql[];

/* nsys's serialized global ids: the pid in bits 24..47, the tid in 0..23 */
static inline int64_t ts_nsys_gpid(uint32_t pid)
{
	return (int64_t)(pid & 0xffffff) << 24;
}

static inline int64_t ts_nsys_gtid(uint32_t pid, uint32_t tid)
{
	return ts_nsys_gpid(pid) | (tid & 0xffffff);
}

/*
 * Small ids for handles (nsys's streamId, contextId, eventId): 1, 2, ... in
 * the order each (kind, device or process, handle) is first seen. Memory is
 * bounded: past TS_NSYS_IDS_MAX handles a new one gets 0.
 */
#define TS_NSYS_IDS_MAX 65536
enum ts_nsys_id_kind { TS_NSYS_STREAM, TS_NSYS_CONTEXT, TS_NSYS_EVENT, TS_NSYS_ID__COUNT };

struct ts_nsys_ids {
	struct ts_hmap map;
	uint64_t next[TS_NSYS_ID__COUNT];
};

uint64_t ts_nsys_id(struct ts_nsys_ids *ids, enum ts_nsys_id_kind k, uint32_t owner,
		    uint64_t handle);
void ts_nsys_ids_free(struct ts_nsys_ids *ids);

/* A kernel's base name as nsys's shortName: no return type, scope, template or parameters. */
void ts_nsys_short_name(const char *s, size_t n, const char **base, size_t *len);

/* CUpti_ActivitySynchronizationType of a driver function (its base name); 0 if not one. */
int ts_nsys_sync_type(const char *api);

/* The system call a driver-layer slice is (OSRT_API's name): ioctl, mmap, open, close. */
void ts_nsys_osrt_name(const struct ts_slice *s, const char **name, size_t *len);

/* META_DATA_EXPORT, TARGET_INFO_SESSION_START_TIME and TARGET_INFO_GPU's limits, at the end. */
int ts_nsys_meta(sqlite3 *db, const struct ts_trace_meta *m);

#endif
