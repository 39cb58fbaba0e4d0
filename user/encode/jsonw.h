/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A streaming JSON writer over ts_out (after bpftool's json_writer): it keeps
 * the nesting and puts the separators in, escapes every string (strict
 * UTF-8, outbuf.h), and writes compact JSON. Containers opened with _lines
 * put each member on its own line, as the trace file does. Keys are the
 * project's own identifiers and go out as they are.
 */
#ifndef TS_JSONW_H
#define TS_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "encode/outbuf.h"

#define TS_JW_MAX_DEPTH 16

struct ts_jw {
	struct ts_out *o;
	unsigned int depth;
	bool after_key;			/* the next value is a member's: no separator */
	uint8_t state[TS_JW_MAX_DEPTH]; /* TS_JW_* bits of each open container */
};

enum {
	TS_JW_MEMBERS = 0x1, /* something was written in this container */
	TS_JW_LINES = 0x2,   /* ",\n" between members */
	TS_JW_PAD = 0x4,     /* "\n" before the first member and before the close */
};

/* Before a value or a key: the separator its container needs (inline: every field calls it). */
static inline void ts_jw_sep(struct ts_jw *w)
{
	uint8_t *st;

	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->depth)
		return;
	st = &w->state[w->depth - 1];
	if (*st & TS_JW_MEMBERS)
		ts_out_write(w->o, ",\n", *st & TS_JW_LINES ? 2 : 1);
	else if (*st & TS_JW_PAD)
		ts_out_putc(w->o, '\n');
	*st |= TS_JW_MEMBERS;
}

/* "key": written in one go; key_len bytes, quotes and colon included */
static inline void ts_jw_key_raw(struct ts_jw *w, const char *quoted, size_t len)
{
	ts_jw_sep(w);
	ts_out_write(w->o, quoted, len);
	w->after_key = true;
}

/* A key that is a string literal: TS_JW_KEY(jw, "ts") */
#define TS_JW_KEY(w, k) ts_jw_key_raw(w, "\"" k "\":", sizeof("\"" k "\":") - 1)
/* "key":v for a literal key */
#define TS_JW_U64(w, k, v)                                                                         \
	do {                                                                                       \
		TS_JW_KEY(w, k);                                                                   \
		ts_jw_u64(w, v);                                                                   \
	} while (0)
/* A member whose key and string value are literals that need no escaping: "ph":"X" */
#define TS_JW_LIT(w, k, v)                                                                         \
	do {                                                                                       \
		ts_jw_sep(w);                                                                      \
		ts_out_write((w)->o, "\"" k "\":\"" v "\"", sizeof("\"" k "\":\"" v "\"") - 1);    \
	} while (0)

void ts_jw_init(struct ts_jw *w, struct ts_out *o);
void ts_jw_obj_open(struct ts_jw *w);
/* members separated by ",\n" */
void ts_jw_obj_open_lines(struct ts_jw *w);
void ts_jw_obj_close(struct ts_jw *w);
void ts_jw_arr_open(struct ts_jw *w);
/* "[", each element on a line of its own, "\n]" */
void ts_jw_arr_open_lines(struct ts_jw *w);
void ts_jw_arr_close(struct ts_jw *w);

/* "key": the member's value comes next */
void ts_jw_key(struct ts_jw *w, const char *key);
/* Values. str: false when the string was not UTF-8 (bad bytes became U+FFFD). */
bool ts_jw_str(struct ts_jw *w, const char *s, size_t n);
void ts_jw_cstr(struct ts_jw *w, const char *s);
void ts_jw_i64(struct ts_jw *w, int64_t v);
void ts_jw_hex(struct ts_jw *w, uint64_t v); /* "0x..." as a string */
void ts_jw_bool(struct ts_jw *w, bool v);

static inline void ts_jw_u64(struct ts_jw *w, uint64_t v)
{
	ts_jw_sep(w);
	ts_out_u64(w->o, v);
}

/* ns as µs, three decimals */
static inline void ts_jw_usec(struct ts_jw *w, int64_t ns)
{
	ts_jw_sep(w);
	ts_out_usec(w->o, ns);
}

/* One of the project's own identifiers (a category): quoted, nothing to escape. */
static inline void ts_jw_ident(struct ts_jw *w, const char *s)
{
	ts_jw_sep(w);
	ts_out_putc(w->o, '"');
	ts_out_puts(w->o, s);
	ts_out_putc(w->o, '"');
}
/* A value the caller knows is valid JSON (a literal of the project's). */
void ts_jw_raw(struct ts_jw *w, const char *json);

/* key and value in one */
static inline void ts_jw_u64_field(struct ts_jw *w, const char *key, uint64_t v)
{
	ts_jw_key(w, key);
	ts_jw_u64(w, v);
}
static inline void ts_jw_i64_field(struct ts_jw *w, const char *key, int64_t v)
{
	ts_jw_key(w, key);
	ts_jw_i64(w, v);
}
static inline void ts_jw_cstr_field(struct ts_jw *w, const char *key, const char *s)
{
	ts_jw_key(w, key);
	ts_jw_cstr(w, s);
}

#endif
