/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The SQLite export's schema (docs/sqlite-schema.md): tables, then indexes and views. */
#ifndef TS_SQLITE_SCHEMA_H
#define TS_SQLITE_SCHEMA_H

/* Raised when a table or column changes meaning; stored in META. */
#define TS_SQLITE_SCHEMA_VERSION 2

/* The tables, empty: run before the first row. */
extern const char ts_sqlite_schema_sql[];
/* Indexes and views: run after the last row (indexes built once, not per insert). */
extern const char ts_sqlite_finish_sql[];

#endif
