// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SQL over a trace: a .sqlite export opened read-only, or a .tsbpf capture
 * exported to a private temporary database first; rows printed as an aligned
 * table (ns columns in a readable unit, said in the header), CSV or JSON.
 */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "record/capture.h"
#include "run/outputs.h"
#include "encode/jsonw.h"
#include "encode/outbuf.h"
#include "sql/sqlquery.h"
#include "lib/util.h"
#include "sql/guard.h"
#include "sql/tempcap.h"

#define MAX_ROWS_TABLE 100000 /* a table is aligned in memory: past this, use csv */

int ts_sql_format(const char *s, enum ts_sql_fmt *f)
{
	static const char *const names[] = {
		[TS_SQL_TABLE] = "table", [TS_SQL_CSV] = "csv", [TS_SQL_JSON] = "json"
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*f = i;
			return 0;
		}
	warn("--format %s: one of table, csv, json\n", s);
	return -EINVAL;
}

static void sql_sqrt(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	double v = sqlite3_value_double(argv[0]);

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || v < 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_double(ctx, sqrt(v));
}

/* Open read-only and guarded: the file may be crafted, the SQL is the user's. */
static int open_db(const char *path, struct ts_sql_input *in)
{
	int err = ts_sql_guard_open(path, &in->db, &in->guard);

	/* the reports need it; not every SQLite build has the math functions */
	if (!err)
		sqlite3_create_function(in->db, "sqrt", 1,
					SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
					sql_sqrt, NULL, NULL);
	return err;
}

int ts_sql_open_input(struct ts_sql_input *in, const char *path, bool salvage)
{
	const char *tmp = getenv("TMPDIR");
	char *out = in->db_path;

	memset(in, 0, sizeof(*in));
	if (!ts_capture_path(path))
		return open_db(path, in);
	/* a capture: exported through the same path as -o x.sqlite, then queried */
	snprintf(in->dir, sizeof(in->dir), "%s/tracesmith-sql-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(in->dir)) {
		warn("cannot make a temporary folder in %s: %s\n", tmp && *tmp ? tmp : "/tmp",
		     strerror(errno));
		in->dir[0] = '\0';
		return -errno;
	}
	snprintf(in->db_path, sizeof(in->db_path), "%s/trace.sqlite", in->dir);
	if (ts_replay_file(path, &out, 1, salvage))
		return -EIO;
	return open_db(in->db_path, in);
}

void ts_sql_close_input(struct ts_sql_input *in)
{
	if (!in)
		return;
	if (in->db)
		debug("SQL: temporary files held at most %llu KiB (bound %llu MiB)\n",
		      (unsigned long long)(ts_sql_tempcap_peak() >> 10),
		      (unsigned long long)(in->guard.max_temp >> 20));
	sqlite3_close(in->db);
	in->db = NULL;
	if (in->db_path[0])
		unlink(in->db_path);
	if (in->dir[0])
		rmdir(in->dir);
	in->db_path[0] = in->dir[0] = '\0';
}

/* ---- printing -------------------------------------------------------------- */

static void csv_field(struct ts_out *o, const char *s)
{
	bool quote = s && strpbrk(s, ",\"\r\n");

	if (!quote) {
		ts_out_puts(o, s ? s : "");
		return;
	}
	ts_out_putc(o, '"');
	for (; *s; s++) {
		if (*s == '"')
			ts_out_putc(o, '"');
		ts_out_putc(o, *s);
	}
	ts_out_putc(o, '"');
}

static void csv_row(struct ts_out *o, sqlite3_stmt *st, bool header)
{
	int i, n = sqlite3_column_count(st);

	for (i = 0; i < n; i++) {
		if (i)
			ts_out_putc(o, ',');
		csv_field(o, header ? sqlite3_column_name(st, i)
				    : (const char *)sqlite3_column_text(st, i));
	}
	ts_out_putc(o, '\n');
}

static void json_value(struct ts_jw *jw, sqlite3_stmt *st, int i)
{
	const char *s;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		ts_jw_i64(jw, sqlite3_column_int64(st, i));
		break;
	case SQLITE_FLOAT:
		/* a real number keeps its digits; JSON has no NaN or infinity */
		if (isfinite(sqlite3_column_double(st, i))) {
			char num[40];

			snprintf(num, sizeof(num), "%.17g", sqlite3_column_double(st, i));
			ts_jw_raw(jw, num);
		} else {
			ts_jw_raw(jw, "null");
		}
		break;
	case SQLITE_NULL:
		ts_jw_raw(jw, "null");
		break;
	default:
		s = (const char *)sqlite3_column_text(st, i);
		ts_jw_str(jw, s, sqlite3_column_bytes(st, i));
		break;
	}
}

static void json_row(struct ts_jw *jw, sqlite3_stmt *st)
{
	int i, n = sqlite3_column_count(st);

	ts_jw_obj_open(jw);
	for (i = 0; i < n; i++) {
		ts_jw_key(jw, sqlite3_column_name(st, i));
		json_value(jw, st, i);
	}
	ts_jw_obj_close(jw);
}

/* An aligned table, kept in memory to size its columns. */
struct table {
	int ncol;
	size_t nrows, cap;
	char **cells; /* nrows * ncol, malloc'd strings (NULL: SQL NULL) */
	double *max;  /* per column: the largest |value|, NAN if a cell is not a number */
};

static const char *ns_unit(double max, double *div)
{
	if (max >= 1e9) {
		*div = 1e9;
		return "s";
	}
	if (max >= 1e6) {
		*div = 1e6;
		return "ms";
	}
	if (max >= 1e3) {
		*div = 1e3;
		return "us";
	}
	*div = 1;
	return "ns";
}

/* "Total Time (ns)" with a column of large values becomes "Total Time (ms)" */
static bool ns_column(const struct table *t, int c, const char *name)
{
	size_t n = strlen(name);

	return n > 4 && !strcmp(name + n - 4, "(ns)") && !isnan(t->max[c]);
}

static int table_add(struct table *t, sqlite3_stmt *st)
{
	int i;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		char **c = realloc(t->cells, cap * t->ncol * sizeof(*c));

		if (!c)
			return -ENOMEM;
		t->cells = c;
		t->cap = cap;
	}
	for (i = 0; i < t->ncol; i++) {
		const char *s = (const char *)sqlite3_column_text(st, i);
		int type = sqlite3_column_type(st, i);

		t->cells[t->nrows * t->ncol + i] = s ? strdup(s) : NULL;
		if (type == SQLITE_INTEGER || type == SQLITE_FLOAT)
			t->max[i] = fmax(t->max[i], fabs(sqlite3_column_double(st, i)));
		else if (type != SQLITE_NULL)
			t->max[i] = NAN;
	}
	t->nrows++;
	return 0;
}

/* The cell as printed: ns columns scaled to the header's unit. */
static const char *cell_text(const struct table *t, sqlite3_stmt *st, size_t r, int c, char *buf,
			     size_t len)
{
	const char *s = t->cells[r * t->ncol + c];
	double div;

	if (!s)
		return "";
	if (!ns_column(t, c, sqlite3_column_name(st, c)))
		return s;
	ns_unit(t->max[c], &div);
	if (div == 1)
		return s;
	snprintf(buf, len, "%.3f", strtod(s, NULL) / div);
	return buf;
}

static void header_text(const struct table *t, sqlite3_stmt *st, int c, char *buf, size_t len)
{
	const char *name = sqlite3_column_name(st, c);
	double div;

	if (ns_column(t, c, name))
		snprintf(buf, len, "%.*s(%s)", (int)strlen(name) - 4, name,
			 ns_unit(t->max[c], &div));
	else
		snprintf(buf, len, "%s", name);
}

static void table_print(struct ts_out *o, const struct table *t, sqlite3_stmt *st)
{
	size_t *w = calloc(t->ncol, sizeof(*w)), r;
	char buf[512];
	int c;

	if (!w)
		return;
	for (c = 0; c < t->ncol; c++) {
		header_text(t, st, c, buf, sizeof(buf));
		w[c] = strlen(buf);
		for (r = 0; r < t->nrows; r++)
			w[c] = fmax(w[c], strlen(cell_text(t, st, r, c, buf, sizeof(buf))));
	}
	for (r = 0; r <= t->nrows; r++) {
		for (c = 0; c < t->ncol; c++) {
			const char *s = buf;

			if (r == 0)
				header_text(t, st, c, buf, sizeof(buf));
			else
				s = cell_text(t, st, r - 1, c, buf, sizeof(buf));
			/* the last column (the name, as nsys has it) is not padded */
			/* numbers right-aligned; the last column (the name, as nsys
			 * has it) not padded */
			if (c + 1 == t->ncol)
				ts_out_puts(o, s);
			else if (!isnan(t->max[c]))
				ts_out_printf(o, "%*s  ", (int)w[c], s);
			else
				ts_out_printf(o, "%-*s  ", (int)w[c], s);
		}
		ts_out_putc(o, '\n');
	}
	free(w);
}

static void table_free(struct table *t)
{
	size_t i;

	for (i = 0; t->cells && i < t->nrows * t->ncol; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->max);
}

/* Step st to its end, printing each row; 0 or -EIO with SQLite's message. */
static int print_rows(struct ts_sql_input *in, sqlite3_stmt *st, enum ts_sql_fmt fmt,
		      struct ts_out *o)
{
	struct table t = { .ncol = sqlite3_column_count(st) };
	struct ts_jw jw;
	int rc, err = 0;

	if (!t.ncol) { /* a statement without rows: run it */
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE || rc == SQLITE_ROW)
			return 0;
		ts_sql_guard_error(in->db, &in->guard);
		return -EIO;
	}
	t.max = calloc(t.ncol, sizeof(*t.max));
	if (!t.max)
		return -ENOMEM;
	if (fmt == TS_SQL_CSV)
		csv_row(o, st, true);
	ts_jw_init(&jw, o);
	if (fmt == TS_SQL_JSON)
		ts_jw_arr_open(&jw);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fmt == TS_SQL_CSV)
			csv_row(o, st, false);
		else if (fmt == TS_SQL_JSON)
			json_row(&jw, st);
		else if (t.nrows == MAX_ROWS_TABLE || table_add(&t, st))
			break;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		ts_sql_guard_error(in->db, &in->guard);
		err = -EIO;
	} else if (rc == SQLITE_ROW) {
		warn("more than %d rows: the table shows the first ones (--format csv has all)\n",
		     MAX_ROWS_TABLE);
	}
	if (fmt == TS_SQL_JSON) {
		ts_jw_arr_close(&jw);
		ts_out_putc(o, '\n');
	} else if (fmt == TS_SQL_TABLE) {
		table_print(o, &t, st);
	}
	table_free(&t);
	return err;
}

int ts_sql_run(struct ts_sql_input *in, const char *sql, enum ts_sql_fmt fmt, struct ts_out *o)
{
	const char *rest = sql;
	sqlite3_stmt *st = NULL;
	int err = 0;

	/* every statement runs; those that return rows print them */
	while (!err && rest && *rest) {
		err = ts_sql_guard_prepare(in->db, &rest, &st, &in->guard);
		if (err || !st)
			break; /* refused, or only comments or spaces were left */
		err = print_rows(in, st, fmt, o);
		sqlite3_finalize(st);
	}
	return err;
}
