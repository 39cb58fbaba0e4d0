// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The SQLite export's call stacks (--stacks): STACK_FRAMES (a function, its
 * file and line, python or native), CALLSTACKS (a stack, with its text as the
 * JSON args say it: "py_stack" and "caller"), CALLSTACK_ENTRIES (its frames,
 * depth 0 innermost) and CALL_STACK_IDS (each call that has a stack). Frames and
 * stacks are the correlator's, interned and bounded (correlate/stacks.c): each
 * is written once, by its id; the views call_stacks (a row per call) and
 * callstack_frames join them. reports/callsite_sum.sql sums GPU work by stack.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "write/sqlite_stacks.h"

const char ts_sq_stacks_schema_sql[] =
	"CREATE TABLE STACK_FRAMES (id INTEGER PRIMARY KEY, function TEXT NOT NULL, file TEXT,"
	" line INTEGER, kind TEXT NOT NULL);"
	"CREATE TABLE CALLSTACKS (id INTEGER PRIMARY KEY, frames INTEGER NOT NULL,"
	" cut INTEGER NOT NULL, pyStack TEXT, caller TEXT);"
	"CREATE TABLE CALLSTACK_ENTRIES (stackId INTEGER NOT NULL, depth INTEGER NOT NULL,"
	" frameId INTEGER NOT NULL, PRIMARY KEY (stackId, depth));"
	"CREATE TABLE CALL_STACK_IDS (start INTEGER NOT NULL, end INTEGER NOT NULL,"
	" pid INTEGER NOT NULL, tid INTEGER NOT NULL, nameId INTEGER NOT NULL,"
	" correlationId INTEGER NOT NULL, stackId INTEGER NOT NULL);";

const char ts_sq_stacks_finish_sql[] =
	"CREATE INDEX call_stack_ids_corr ON CALL_STACK_IDS (correlationId);"
	"CREATE VIEW call_stacks AS SELECT c.start, c.end, c.end - c.start AS dur, c.pid, c.tid,"
	" s.value AS name, c.correlationId, c.stackId, k.pyStack, k.caller, k.cut, k.frames"
	" FROM CALL_STACK_IDS c JOIN StringIds s ON s.id = c.nameId"
	" JOIN CALLSTACKS k ON k.id = c.stackId;"
	"CREATE VIEW callstack_frames AS SELECT f.stackId, f.depth, r.function, r.file, r.line, r.kind"
	" FROM CALLSTACK_ENTRIES f JOIN STACK_FRAMES r ON r.id = f.frameId;";

static const char *const insert_sql[SQK__COUNT] = {
	[SQK_FRAME] = "INSERT INTO STACK_FRAMES VALUES (?1, ?2, ?3, ?4, ?5)",
	[SQK_STACK] = "INSERT INTO CALLSTACKS VALUES (?1, ?2, ?3, ?4, ?5)",
	[SQK_STACK_FRAME] = "INSERT INTO CALLSTACK_ENTRIES VALUES (?1, ?2, ?3)",
	[SQK_CALL] = "INSERT INTO CALL_STACK_IDS VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
};

#define SEEN_FRAME 0
#define SEEN_STACK 1

int ts_sq_stacks_prepare(struct ts_sq_stacks *k, sqlite3 *db)
{
	unsigned int i;
	int rc = SQLITE_OK;

	for (i = 0; rc == SQLITE_OK && i < SQK__COUNT; i++)
		rc = sqlite3_prepare_v3(db, insert_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &k->st[i],
					NULL);
	return rc;
}

static int step(struct ts_sq_stacks *k, enum ts_sqk_stmt s)
{
	int rc = sqlite3_step(k->st[s]);

	sqlite3_reset(k->st[s]);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int frame_row(struct ts_sq_stacks *k, const struct ts_frame *f)
{
	sqlite3_stmt *st = k->st[SQK_FRAME];

	sqlite3_bind_int64(st, 1, f->id);
	sqlite3_bind_text(st, 2, f->func, -1, SQLITE_STATIC);
	if (f->file[0])
		sqlite3_bind_text(st, 3, f->file, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	if (f->line >= 0)
		sqlite3_bind_int64(st, 4, f->line);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_text(st, 5, f->native ? "native" : "python", -1, SQLITE_STATIC);
	return step(k, SQK_FRAME);
}

/* Append s to the text; false without memory. */
static bool put(struct ts_sq_stacks *k, size_t *n, const char *s, size_t len)
{
	if (*n + len + 1 > k->cap) {
		size_t cap = (*n + len + 1) * 2;
		char *t = realloc(k->text, cap);

		if (!t)
			return false;
		k->text = t;
		k->cap = cap;
	}
	memcpy(k->text + *n, s, len);
	*n += len;
	k->text[*n] = '\0';
	return true;
}

/* The Python frames as the JSON's "py_stack" says them: "file:line function", innermost first. */
static size_t py_text(struct ts_sq_stacks *k, const struct ts_stack *st)
{
	char line[24];
	size_t n = 0;
	unsigned int i;
	bool ok = true;

	for (i = 0; ok && i < st->nframes; i++) {
		const struct ts_frame *f = st->frames[i];

		if (f->native)
			continue;
		if (n)
			ok = put(k, &n, " <- ", 4);
		if (f->file[0]) {
			if (f->line >= 0)
				snprintf(line, sizeof(line), ":%" PRId32 " ", f->line);
			else
				snprintf(line, sizeof(line), ":? ");
			ok = ok && put(k, &n, f->file, strlen(f->file)) &&
			     put(k, &n, line, strlen(line));
		}
		ok = ok && put(k, &n, f->func, strlen(f->func));
	}
	if (ok && n && st->cut)
		ok = put(k, &n, " <- ...", 7);
	return ok ? n : 0;
}

static int stack_rows(struct ts_sq_stacks *k, const struct ts_stack *st)
{
	sqlite3_stmt *s = k->st[SQK_STACK], *sf = k->st[SQK_STACK_FRAME];
	unsigned int i;
	size_t n;
	int rc = SQLITE_OK;

	for (i = 0; rc == SQLITE_OK && i < st->nframes; i++) {
		if (ts_hmap_get(&k->seen, SEEN_FRAME, st->frames[i]->id))
			continue;
		rc = frame_row(k, st->frames[i]);
		if (rc == SQLITE_OK && ts_hmap_put(&k->seen, SEEN_FRAME, st->frames[i]->id, 1))
			rc = SQLITE_NOMEM;
	}
	for (i = 0; rc == SQLITE_OK && i < st->nframes; i++) {
		sqlite3_bind_int64(sf, 1, st->id);
		sqlite3_bind_int64(sf, 2, i);
		sqlite3_bind_int64(sf, 3, st->frames[i]->id);
		rc = step(k, SQK_STACK_FRAME);
	}
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, st->id);
	sqlite3_bind_int64(s, 2, st->nframes);
	sqlite3_bind_int64(s, 3, st->cut);
	n = py_text(k, st);
	if (n)
		sqlite3_bind_text(s, 4, k->text, n, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 4);
	if (st->nframes && st->frames[0]->native)
		sqlite3_bind_text(s, 5, st->frames[0]->func, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 5);
	rc = step(k, SQK_STACK);
	if (rc == SQLITE_OK && ts_hmap_put(&k->seen, SEEN_STACK, st->id, 1))
		rc = SQLITE_NOMEM;
	return rc;
}

int ts_sq_stacks_call(struct ts_sq_stacks *k, const struct ts_slice *s, int64_t name_id)
{
	sqlite3_stmt *st = k->st[SQK_CALL];
	const struct ts_arg *corr = ts_slice_arg(s, "correlation_id");
	int rc = SQLITE_OK;

	if (!ts_hmap_get(&k->seen, SEEN_STACK, s->stack->id))
		rc = stack_rows(k, s->stack);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, s->ts);
	sqlite3_bind_int64(st, 2, s->ts + s->dur);
	sqlite3_bind_int64(st, 3, s->pid);
	sqlite3_bind_int64(st, 4, s->tid);
	sqlite3_bind_int64(st, 5, name_id);
	sqlite3_bind_int64(st, 6, corr && corr->type == TS_ARG_U64 ? (int64_t)corr->u : 0);
	sqlite3_bind_int64(st, 7, s->stack->id);
	return step(k, SQK_CALL);
}

void ts_sq_stacks_free(struct ts_sq_stacks *k)
{
	unsigned int i;

	if (!k)
		return;
	for (i = 0; i < SQK__COUNT; i++)
		sqlite3_finalize(k->st[i]);
	ts_hmap_free(&k->seen);
	free(k->text);
	memset(k, 0, sizeof(*k));
}
