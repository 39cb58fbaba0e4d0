// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "encode/jsonw.h"

void ts_jw_init(struct ts_jw *w, struct ts_out *o)
{
	memset(w, 0, sizeof(*w));
	w->o = o;
}

static void jw_open(struct ts_jw *w, char c, uint8_t flags)
{
	ts_jw_sep(w);
	ts_out_putc(w->o, c);
	/* deeper than any report of ours: still valid JSON, only the layout is lost */
	if (w->depth < TS_JW_MAX_DEPTH)
		w->state[w->depth] = flags;
	w->depth++;
}

static void jw_close(struct ts_jw *w, char c)
{
	if (w->depth && w->depth <= TS_JW_MAX_DEPTH && (w->state[w->depth - 1] & TS_JW_PAD))
		ts_out_putc(w->o, '\n');
	if (w->depth)
		w->depth--;
	ts_out_putc(w->o, c);
}

void ts_jw_obj_open(struct ts_jw *w)
{
	jw_open(w, '{', 0);
}

void ts_jw_obj_open_lines(struct ts_jw *w)
{
	jw_open(w, '{', TS_JW_LINES);
}

void ts_jw_obj_close(struct ts_jw *w)
{
	jw_close(w, '}');
}

void ts_jw_arr_open(struct ts_jw *w)
{
	jw_open(w, '[', 0);
}

void ts_jw_arr_open_lines(struct ts_jw *w)
{
	jw_open(w, '[', TS_JW_LINES | TS_JW_PAD);
}

void ts_jw_arr_close(struct ts_jw *w)
{
	jw_close(w, ']');
}

void ts_jw_key(struct ts_jw *w, const char *key)
{
	ts_jw_sep(w);
	ts_out_putc(w->o, '"');
	ts_out_puts(w->o, key);
	ts_out_write(w->o, "\":", 2);
	w->after_key = true;
}

bool ts_jw_str(struct ts_jw *w, const char *s, size_t n)
{
	ts_jw_sep(w);
	return ts_out_json_str(w->o, s, n);
}

void ts_jw_cstr(struct ts_jw *w, const char *s)
{
	ts_jw_str(w, s, strlen(s));
}

void ts_jw_i64(struct ts_jw *w, int64_t v)
{
	ts_jw_sep(w);
	ts_out_i64(w->o, v);
}

void ts_jw_hex(struct ts_jw *w, uint64_t v)
{
	ts_jw_sep(w);
	ts_out_putc(w->o, '"');
	ts_out_hex(w->o, v);
	ts_out_putc(w->o, '"');
}

void ts_jw_bool(struct ts_jw *w, bool v)
{
	ts_jw_raw(w, v ? "true" : "false");
}

void ts_jw_raw(struct ts_jw *w, const char *json)
{
	ts_jw_sep(w);
	ts_out_puts(w->o, json);
}
