/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The SQLite export's call stacks (--stacks; docs/sqlite-schema.md): the
 * frames and stacks the correlator interned, each written once, and a row per
 * call that has one. Kept apart from sqlite_writer.c's tables: its own
 * statements, its own schema text.
 */
#ifndef TS_SQLITE_STACKS_H
#define TS_SQLITE_STACKS_H

#include <sqlite3.h>
#include "lib/hashmap.h"
#include "write/writer.h"

enum ts_sqk_stmt { SQK_FRAME, SQK_STACK, SQK_STACK_FRAME, SQK_CALL, SQK__COUNT };

struct ts_sq_stacks {
	sqlite3_stmt *st[SQK__COUNT];
	struct ts_hmap seen; /* (0, frame id), (1, stack id) -> 1: rows written */
	char *text;	     /* a stack's text being made */
	size_t cap;
};

/* The tables, empty (run with the other tables); indexes and views (run at the end). */
extern const char ts_sq_stacks_schema_sql[];
extern const char ts_sq_stacks_finish_sql[];

/* Prepare the statements on db, after the schema; SQLITE_OK or SQLite's error. */
int ts_sq_stacks_prepare(struct ts_sq_stacks *k, sqlite3 *db);
/* The call s's row (its name's StringIds id given), its stack's and frames' the first time. */
int ts_sq_stacks_call(struct ts_sq_stacks *k, const struct ts_slice *s, int64_t name_id);
/* NULL-safe; the statements are finalized. */
void ts_sq_stacks_free(struct ts_sq_stacks *k);

#endif
