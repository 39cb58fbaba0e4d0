/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Buffered output for the writers: large write(2)s, fast number formatting,
 * and a sticky error so a full disk is reported once, by the caller.
 */
#ifndef TS_OUTBUF_H
#define TS_OUTBUF_H

#include <stddef.h>
#include <stdint.h>

struct ts_out {
	int fd;
	int err; /* first -errno seen; later writes are dropped */
	char *buf;
	size_t len, cap;
	uint64_t written; /* bytes that reached the file */
	char *path;
};

/* Open path for writing ("-" is stdout); -errno on failure. */
int ts_out_open(struct ts_out *o, const char *path);
/* Flush and close; returns the sticky error. NULL-safe, idempotent. */
int ts_out_close(struct ts_out *o);
int ts_out_flush(struct ts_out *o);

void ts_out_write(struct ts_out *o, const void *p, size_t n);
void ts_out_puts(struct ts_out *o, const char *s);
void ts_out_u64(struct ts_out *o, uint64_t v);
void ts_out_i64(struct ts_out *o, int64_t v);
/* "0x..." lower-case hex */
void ts_out_hex(struct ts_out *o, uint64_t v);
/* ns as µs with three decimals: exact, no float rounding */
void ts_out_usec(struct ts_out *o, int64_t ns);
/* a JSON string literal, quotes included, escaped per RFC 8259 */
void ts_out_json_str(struct ts_out *o, const char *s, size_t n);

static inline void ts_out_putc(struct ts_out *o, char c)
{
	if (o->len == o->cap)
		ts_out_flush(o);
	if (o->len < o->cap)
		o->buf[o->len++] = c;
}

#endif
