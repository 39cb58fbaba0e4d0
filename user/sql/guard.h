/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The user's SQL only reads, and its work and temporary space are bounded (sql_guard.c). */
#ifndef TS_SQL_GUARD_H
#define TS_SQL_GUARD_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

struct ts_sql_guard {
	uint64_t steps;	    /* progress calls in the statement running */
	uint64_t max_steps; /* VM steps a statement may take */
	uint64_t max_temp;  /* bytes its temporary files may hold */
	bool stopped;	    /* the progress handler ended it */
	char denied[96];    /* what the authorizer refused last */
};

/*
 * Open the database at path read-only for the user's SQL: temporary files
 * capped, a heap limit, the authorizer, the progress handler, bounds that grow
 * with the file's size. 0, or -EIO said (*db may then still need closing).
 */
int ts_sql_guard_open(const char *path, sqlite3 **db, struct ts_sql_guard *g);
/*
 * Prepare the first statement of *sql (moved past it) into *st (NULL when only
 * spaces or comments were left), its work bound restarted: 0, or -EINVAL
 * (refused or not SQL) / -EPERM (it would write), said.
 */
int ts_sql_guard_prepare(sqlite3 *db, const char **sql, sqlite3_stmt **st, struct ts_sql_guard *g);
/* One line for the error SQLite just returned: ours when the guard caused it. */
void ts_sql_guard_error(sqlite3 *db, struct ts_sql_guard *g);

#endif
