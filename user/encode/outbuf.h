/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Buffered output for the writers: large write(2)s, fast number formatting,
 * and a sticky error so a full disk is reported once, by the caller. The file
 * is written beside its target and put in place by ts_out_close (outfile.h).
 * A writer that marks boundaries (ts_out_boundary) only ever has whole
 * events in the file, whenever the run is killed.
 */
#ifndef TS_OUTBUF_H
#define TS_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "encode/outfile.h"

struct ts_out {
	int fd;
	int err; /* first -errno seen; later writes are dropped */
	char *buf;
	size_t len, cap;
	size_t mark;	  /* buf[0..mark) holds whole events only (ts_out_boundary) */
	bool whole;	  /* the writer marks boundaries: never flush past the mark */
	uint64_t written; /* bytes that reached the file */
	struct ts_outfile file;
};

/* Open path for writing ("-" is stdout); -errno on failure. */
int ts_out_open(struct ts_out *o, const char *path);
/* Flush, close and put the file in place; returns the sticky error. NULL-safe, idempotent. */
int ts_out_close(struct ts_out *o);
/* Close and remove what was written: the target is untouched. NULL-safe, idempotent. */
void ts_out_discard(struct ts_out *o);
/* Write out the whole buffer. */
int ts_out_flush(struct ts_out *o);
/*
 * What was written so far ends whole events: the file may stop here. Writes it
 * out when the buffer is half full, or now with force (a time bound, an idle
 * moment); the rest waits for the next boundary.
 */
void ts_out_boundary(struct ts_out *o, bool force);

/* The slow path of ts_out_write: the buffer is full. */
void ts_out_write_slow(struct ts_out *o, const void *p, size_t n);

/* Inline: most writes are a few bytes of known size, which then need no memcpy call. */
static inline void ts_out_write(struct ts_out *o, const void *p, size_t n)
{
	if (__builtin_expect(n <= o->cap - o->len, 1)) {
		__builtin_memcpy(o->buf + o->len, p, n);
		o->len += n;
		return;
	}
	ts_out_write_slow(o, p, n);
}

void ts_out_puts(struct ts_out *o, const char *s);
/* printf, cut at 1023 bytes */
void ts_out_printf(struct ts_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ts_out_u64(struct ts_out *o, uint64_t v);
/* v in decimal at out (its digits: 20 at most), no NUL; returns how many. */
unsigned int ts_fmt_u64(char *out, uint64_t v);
void ts_out_i64(struct ts_out *o, int64_t v);
/* "0x..." lower-case hex */
void ts_out_hex(struct ts_out *o, uint64_t v);
/* ns as µs with three decimals: exact, no float rounding */
void ts_out_usec(struct ts_out *o, int64_t ns);
/*
 * A JSON string literal, quotes included, escaped per RFC 8259; bytes that are
 * not strict UTF-8 become U+FFFD. Returns false when that happened.
 */
bool ts_out_json_str(struct ts_out *o, const char *s, size_t n);

void ts_out_make_room(struct ts_out *o);

static inline void ts_out_putc(struct ts_out *o, char c)
{
	if (o->len == o->cap)
		ts_out_make_room(o);
	if (o->len < o->cap)
		o->buf[o->len++] = c;
}

#endif
