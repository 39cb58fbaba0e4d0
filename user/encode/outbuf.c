// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "encode/outbuf.h"
#include "encode/utf8.h"

#define TS_OUT_BUFSZ (1 << 20)
/* one event never needs more: names and args are bounded by the record size */
#define TS_OUT_MAX_BUF (64 << 20)

int ts_out_open(struct ts_out *o, const char *path)
{
	int err;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->buf = malloc(TS_OUT_BUFSZ);
	if (!o->buf)
		return -ENOMEM;
	o->cap = TS_OUT_BUFSZ;
	err = ts_outfile_create(&o->file, path);
	if (err) {
		free(o->buf);
		memset(o, 0, sizeof(*o));
		o->fd = -1;
		return err;
	}
	o->fd = o->file.fd;
	return 0;
}

static int write_out(struct ts_out *o, size_t n)
{
	size_t off = 0;

	while (off < n && !o->err) {
		ssize_t w = write(o->fd, o->buf + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->err = w < 0 ? -errno : -EIO;
			break;
		}
		off += w;
		o->written += w;
	}
	return o->err;
}

int ts_out_flush(struct ts_out *o)
{
	if (o->fd >= 0)
		write_out(o, o->len);
	o->len = o->mark = 0;
	return o->err;
}

/* Write buf[0..mark) and keep the event being built. */
static void flush_to_mark(struct ts_out *o)
{
	size_t n = o->mark;

	write_out(o, n);
	memmove(o->buf, o->buf + n, o->len - n);
	o->len -= n;
	o->mark = 0;
}

void ts_out_boundary(struct ts_out *o, bool force)
{
	o->whole = true;
	o->mark = o->len;
	if (o->len && (force || o->len >= o->cap / 2))
		flush_to_mark(o);
}

/* Full: write out the whole events; grow only while one event is bigger than the buffer. */
void ts_out_make_room(struct ts_out *o)
{
	char *nb;

	if (!o->whole) {
		ts_out_flush(o);
	} else if (o->mark) {
		flush_to_mark(o);
	} else if (o->cap < TS_OUT_MAX_BUF && (nb = realloc(o->buf, o->cap * 2))) {
		o->buf = nb;
		o->cap *= 2;
	} else {
		ts_out_flush(o);
	}
}

int ts_out_close(struct ts_out *o)
{
	int err;

	if (!o)
		return 0;
	if (o->fd >= 0) {
		ts_out_flush(o);
		o->fd = -1;
		/* a write failed (a full disk): the earlier file at the path stays */
		err = o->err ? ts_outfile_keep(&o->file) : ts_outfile_commit(&o->file);
		if (err && !o->err)
			o->err = err;
	}
	free(o->buf);
	o->buf = NULL;
	o->cap = o->len = o->mark = 0;
	return o->err;
}

void ts_out_discard(struct ts_out *o)
{
	if (!o)
		return;
	ts_outfile_discard(&o->file);
	o->fd = -1;
	free(o->buf);
	o->buf = NULL;
	o->cap = o->len = o->mark = 0;
}

void ts_out_write_slow(struct ts_out *o, const void *p, size_t n)
{
	const char *s = p;

	while (n && o->cap) {
		size_t room = o->cap - o->len, k = n < room ? n : room;

		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == o->cap) {
			ts_out_make_room(o);
			if (o->err)
				return;
		}
	}
}

void ts_out_puts(struct ts_out *o, const char *s)
{
	ts_out_write(o, s, strlen(s));
}

/* "00".."99": two digits per division (every timestamp, id and size goes through here) */
static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
				  "31323334353637383940414243444546474849505152535455565758596061"
				  "62636465666768697071727374757677787980818283848586878889909192"
				  "93949596979899";

static inline unsigned int ndigits(uint64_t v)
{
	unsigned int n = 1;

	for (; v >= 10000; v /= 10000)
		n += 4;
	return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

/* written backwards, from its last digit, where it goes */
static inline void put_digits(char *end, uint64_t v)
{
	while (v >= 100) {
		end -= 2;
		memcpy(end, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(end - 2, digit_pairs + 2 * v, 2);
	else
		end[-1] = '0' + v;
}

unsigned int ts_fmt_u64(char *out, uint64_t v)
{
	unsigned int n = ndigits(v);

	put_digits(out + n, v);
	return n;
}

void ts_out_u64(struct ts_out *o, uint64_t v)
{
	char tmp[20];

	if (__builtin_expect(o->cap - o->len >= sizeof(tmp), 1))
		o->len += ts_fmt_u64(o->buf + o->len, v);
	else
		ts_out_write(o, tmp, ts_fmt_u64(tmp, v));
}

void ts_out_i64(struct ts_out *o, int64_t v)
{
	if (v < 0) {
		ts_out_putc(o, '-');
		ts_out_u64(o, -(uint64_t)v);
	} else {
		ts_out_u64(o, v);
	}
}

void ts_out_hex(struct ts_out *o, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[18];
	int i = sizeof(tmp);

	do {
		tmp[--i] = digits[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	ts_out_write(o, tmp + i, sizeof(tmp) - i);
}

void ts_out_usec(struct ts_out *o, int64_t ns)
{
	uint64_t a = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
	char frac[4];

	if (ns < 0)
		ts_out_putc(o, '-');
	ts_out_u64(o, a / 1000);
	frac[0] = '.';
	frac[1] = '0' + (a % 1000) / 100;
	frac[2] = '0' + (a % 100) / 10;
	frac[3] = '0' + a % 10;
	ts_out_write(o, frac, 4);
}

/*
 * Eight bytes JSON takes as they are (0x20..0x7e but '"' and '\\'), tested
 * at once: a kernel name is a hundred of them. Exact as a yes/no, per Bit
 * Twiddling Hacks' haszero and hasless (n <= 128).
 */
static inline bool plain8(const char *p)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t w, q, b;

	memcpy(&w, p, sizeof(w));
	q = w ^ (ones * '"');
	b = w ^ (ones * '\\');
	return !((w & high) | ((w - ones * 0x20) & ~w & high) |
		 ((w + ones) & high) /* 0x7f: +1 carries into the high bit */ |
		 ((q - ones) & ~q & high) | ((b - ones) & ~b & high));
}

bool ts_out_json_str(struct ts_out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	bool valid = true;

	ts_out_putc(o, '"');
	for (i = 0; i < n; i++) {
		unsigned char c;

		while (n - i >= 8 && plain8(s + i))
			i += 8;
		if (i == n)
			break;
		c = s[i];

		/* the common case: printable ASCII that JSON takes as it is */
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			continue;
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c >= 0x80) {
			size_t k = ts_utf8_seq((const unsigned char *)s + i, n - i);

			if (k) {
				i += k - 1;
				continue;
			}
			/* not UTF-8 (a binary cmdline, a hostile name): keep the JSON valid */
			ts_out_write(o, s + run, i - run);
			run = i + 1;
			ts_out_write(o, "\\ufffd", 6);
			valid = false;
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		ts_out_write(o, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			ts_out_write(o, "\\\"", 2);
			break;
		case '\\':
			ts_out_write(o, "\\\\", 2);
			break;
		case '\n':
			ts_out_write(o, "\\n", 2);
			break;
		case '\t':
			ts_out_write(o, "\\t", 2);
			break;
		default:
			ts_out_write(o, esc, 6);
		}
	}
	ts_out_write(o, s + run, n - run);
	ts_out_putc(o, '"');
	return valid;
}

void ts_out_printf(struct ts_out *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		ts_out_write(o, buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}
