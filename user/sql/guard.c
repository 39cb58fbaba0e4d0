// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The user's SQL (query, stats --report) over a database that may be crafted:
 * it only reads, and its work and temporary space are bounded.
 *
 * Read-only opening is not enough: VACUUM INTO and ATTACH write files of their
 * own, and a view in a crafted file can recurse forever while a sort behind it
 * fills the temporary folder. So:
 *  - an authorizer allows reading only (SELECT, reads, functions but those
 *    that load code or set pointers, recursive CTEs, pragmas that only read);
 *    a statement SQLite still counts as writing (VACUUM has no authorizer
 *    action) is refused after prepare; ATTACH is off by its limit too;
 *  - the schema is not trusted (views and triggers call only harmless
 *    functions), defensive mode is on, extensions cannot load;
 *  - work: a progress handler ends a statement past a number of VM steps that
 *    grows with the database (the largest report over a 1M-call trace takes
 *    ~172M steps; the bound is ten times that);
 *  - temporary files are capped (sql_tempcap.c) and the heap has a hard limit,
 *    both growing with the database (the largest report over a 1M-call trace
 *    holds 1011 MiB in temporary files and ~87 MiB of heap for a 104 MiB
 *    file).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "sql/guard.h"
#include "sql/tempcap.h"
#include "lib/util.h"

#define STEP_EVERY     1000	      /* VM instructions between progress calls */
#define STEPS_BASE     (64ull << 20)  /* any database: ~2 s of work */
#define STEPS_PER_BYTE 16ull	      /* 104 MiB: ~1.8G steps, ~10x the largest report */
#define HEAP_BASE      (256ull << 20) /* bytes, any database */
#define HEAP_PER_BYTE  2ull	      /* 104 MiB: ~464 MiB, ~5x the largest report */
#define TEMP_BASE      (256ull << 20) /* bytes of temporary files, any database */
#define TEMP_PER_BYTE  32ull	      /* 104 MiB: ~3.5 GiB, ~3.4x the largest report */
#define DB_BYTES_MAX   (64ull << 30)  /* the bounds stop growing there */

/* Pragmas that only read when given no value... */
static const char *const read_pragmas[] = {
	"table_list",	"database_list",   "collation_list", "function_list", "module_list",
	"pragma_list",	"compile_options", "page_count",     "page_size",     "freelist_count",
	"user_version", "schema_version",  "application_id", "encoding",      "data_version",
};
/* ...and those whose argument is only the name of what they describe. */
static const char *const named_pragmas[] = {
	"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list",
};

/* Functions that load code, or hand SQLite a pointer (fts3_tokenizer's two-argument form). */
static const char *const denied_functions[] = { "load_extension", "fts3_tokenizer" };

static bool in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		if (!strcasecmp(s, list[i]))
			return true;
	return false;
}

static int deny(struct ts_sql_guard *g, const char *what, const char *name)
{
	if (g->denied[0])
		return SQLITE_DENY; /* the first refusal is the one to tell */
	snprintf(g->denied, sizeof(g->denied), "%s%s%s", what, name ? " " : "", name ? name : "");
	return SQLITE_DENY;
}

static int authorize(void *ctx, int action, const char *a1, const char *a2, const char *db,
		     const char *trigger)
{
	static const char *const names[] = {
		[SQLITE_CREATE_INDEX] = "CREATE",
		[SQLITE_CREATE_TABLE] = "CREATE",
		[SQLITE_CREATE_TEMP_INDEX] = "CREATE",
		[SQLITE_CREATE_TEMP_TABLE] = "CREATE",
		[SQLITE_CREATE_TEMP_TRIGGER] = "CREATE",
		[SQLITE_CREATE_TEMP_VIEW] = "CREATE",
		[SQLITE_CREATE_TRIGGER] = "CREATE",
		[SQLITE_CREATE_VIEW] = "CREATE",
		[SQLITE_DELETE] = "DELETE",
		[SQLITE_DROP_INDEX] = "DROP",
		[SQLITE_DROP_TABLE] = "DROP",
		[SQLITE_DROP_TEMP_INDEX] = "DROP",
		[SQLITE_DROP_TEMP_TABLE] = "DROP",
		[SQLITE_DROP_TEMP_TRIGGER] = "DROP",
		[SQLITE_DROP_TEMP_VIEW] = "DROP",
		[SQLITE_DROP_TRIGGER] = "DROP",
		[SQLITE_DROP_VIEW] = "DROP",
		[SQLITE_INSERT] = "INSERT",
		[SQLITE_TRANSACTION] = "a transaction",
		[SQLITE_UPDATE] = "UPDATE",
		[SQLITE_ATTACH] = "ATTACH",
		[SQLITE_DETACH] = "DETACH",
		[SQLITE_ALTER_TABLE] = "ALTER",
		[SQLITE_REINDEX] = "REINDEX",
		[SQLITE_ANALYZE] = "ANALYZE",
		[SQLITE_CREATE_VTABLE] = "CREATE VIRTUAL TABLE",
		[SQLITE_DROP_VTABLE] = "DROP",
		[SQLITE_SAVEPOINT] = "SAVEPOINT",
		[SQLITE_COPY] = "COPY",
	};
	struct ts_sql_guard *g = ctx;

	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_FUNCTION:
		return in_list(a2, denied_functions, ARRAY_SIZE(denied_functions))
			       ? deny(g, "the function", a2)
			       : SQLITE_OK;
	case SQLITE_PRAGMA:
		if (in_list(a1, named_pragmas, ARRAY_SIZE(named_pragmas)) ||
		    (!a2 && in_list(a1, read_pragmas, ARRAY_SIZE(read_pragmas))))
			return SQLITE_OK;
		return deny(g, "PRAGMA", a1);
	case SQLITE_INSERT:
		/* CREATE asks first to insert into sqlite_schema: say what was written */
		if (a1 && !strncmp(a1, "sqlite_", 7))
			return deny(g, "CREATE", NULL);
		return deny(g, "INSERT", NULL);
	default:
		return deny(g,
			    action >= 0 && action < (int)ARRAY_SIZE(names) && names[action]
				    ? names[action]
				    : "a statement that is not a read",
			    NULL);
	}
}

static int progress(void *ctx)
{
	struct ts_sql_guard *g = ctx;

	if (++g->steps <= g->max_steps / STEP_EVERY)
		return 0;
	g->stopped = true;
	return 1; /* SQLITE_INTERRUPT */
}

/* Read-only, in defensive mode, under the authorizer and the bounds. */
static int guard(sqlite3 *db, uint64_t db_bytes, struct ts_sql_guard *g)
{
	int off = 0;

	/* before the authorizer, which would refuse this pragma: temporary space
	 * in files, where the cap sees it */
	if (sqlite3_exec(db, "PRAGMA temp_store = FILE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &off) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &off) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &off) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, &off) != SQLITE_OK ||
	    sqlite3_set_authorizer(db, authorize, g) != SQLITE_OK) {
		warn("cannot make the SQL connection read-only: %s\n", sqlite3_errmsg(db));
		return -EIO;
	}
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	/* the heap limit is the process's: this process runs no other SQLite by then */
	sqlite3_hard_heap_limit64((sqlite3_int64)(HEAP_BASE + HEAP_PER_BYTE * db_bytes));
	sqlite3_progress_handler(db, STEP_EVERY, progress, g);
	return 0;
}

int ts_sql_guard_open(const char *path, sqlite3 **db, struct ts_sql_guard *g)
{
	struct stat st;
	uint64_t bytes;

	memset(g, 0, sizeof(*g));
	/* the bounds grow with the file's real size, not what its header claims */
	bytes = stat(path, &st) ? 0 : (uint64_t)st.st_size;
	bytes = bytes < DB_BYTES_MAX ? bytes : DB_BYTES_MAX;
	g->max_steps = STEPS_BASE + STEPS_PER_BYTE * bytes;
	g->max_temp = TEMP_BASE + TEMP_PER_BYTE * bytes;
	if (ts_sql_tempcap_register(g->max_temp)) {
		warn("cannot set up SQLite's temporary files\n");
		return -EIO;
	}
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, TS_SQL_TEMPCAP_VFS) != SQLITE_OK) {
		warn("%s: %s\n", path, *db ? sqlite3_errmsg(*db) : "cannot open");
		return -EIO;
	}
	return guard(*db, bytes, g);
}

int ts_sql_guard_prepare(sqlite3 *db, const char **sql, sqlite3_stmt **st, struct ts_sql_guard *g)
{
	g->steps = 0;
	g->stopped = false;
	g->denied[0] = '\0';
	if (sqlite3_prepare_v2(db, *sql, -1, st, sql) != SQLITE_OK) {
		ts_sql_guard_error(db, g);
		return -EINVAL;
	}
	if (!*st || sqlite3_stmt_readonly(*st))
		return 0;
	/* VACUUM (INTO a new file, too) has no authorizer action of its own */
	warn("SQL: only reading is allowed here (\"%.40s\" writes); copy the .sqlite and use "
	     "the sqlite3 shell to change it\n",
	     sqlite3_sql(*st));
	sqlite3_finalize(*st);
	*st = NULL;
	return -EPERM;
}

void ts_sql_guard_error(sqlite3 *db, struct ts_sql_guard *g)
{
	if (g && g->stopped)
		warn("SQL: stopped after %llu million steps (the bound for a database this size): "
		     "a query that never ends, or too heavy for here (use the sqlite3 shell)\n",
		     (unsigned long long)(g->max_steps / 1000000));
	else if (g && g->denied[0])
		warn("SQL: %s is refused: query and stats --report only read\n", g->denied);
	else if (sqlite3_errcode(db) == SQLITE_FULL)
		warn("SQL: more than %llu MiB of temporary files (the bound for a database this "
		     "size): too heavy for here (use the sqlite3 shell)\n",
		     (unsigned long long)(g ? g->max_temp >> 20 : 0));
	else if (sqlite3_errcode(db) == SQLITE_NOMEM)
		warn("SQL error: out of memory (the bound for a database this size is %llu MiB)\n",
		     (unsigned long long)(sqlite3_hard_heap_limit64(-1) >> 20));
	else
		warn("SQL error: %s\n", sqlite3_errmsg(db));
}
