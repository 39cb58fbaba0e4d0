/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* SQL over a trace (sqlquery.c): the input, one query, its rows printed. */
#ifndef TS_SQLQUERY_H
#define TS_SQLQUERY_H

#include <sqlite3.h>
#include <stdbool.h>
#include "encode/outbuf.h"
#include "sql/guard.h"

enum ts_sql_fmt { TS_SQL_TABLE, TS_SQL_CSV, TS_SQL_JSON };

/* "table", "csv", "json"; -EINVAL, said, otherwise. */
int ts_sql_format(const char *s, enum ts_sql_fmt *f);

struct ts_sql_input {
	sqlite3 *db;
	char dir[256]; /* a capture's temporary export: removed at close */
	char db_path[300];
	struct ts_sql_guard guard; /* the user's SQL only reads, within bounds */
};

/*
 * A .sqlite export, read-only; a .tsbpf capture is exported to a private
 * temporary database first (salvage: keep what a damaged one holds). Either
 * way the connection is guarded (sql_guard.h): reads only, bounded work and
 * temporary space. 0, or -errno with one line said. ts_sql_close_input is
 * owed either way.
 */
int ts_sql_open_input(struct ts_sql_input *in, const char *path, bool salvage);
void ts_sql_close_input(struct ts_sql_input *in);

/*
 * Run every statement of sql, printing the rows of those that return any; a
 * statement that would write is refused. 0 or -errno (said).
 */
int ts_sql_run(struct ts_sql_input *in, const char *sql, enum ts_sql_fmt fmt, struct ts_out *o);

#endif
