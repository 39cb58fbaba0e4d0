// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "outbuf.h"

#define TS_OUT_BUFSZ (1 << 20)

int ts_out_open(struct ts_out *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->buf = malloc(TS_OUT_BUFSZ);
	o->path = strdup(path);
	if (!o->buf || !o->path) {
		ts_out_close(o);
		return -ENOMEM;
	}
	o->cap = TS_OUT_BUFSZ;
	if (!strcmp(path, "-"))
		o->fd = dup(STDOUT_FILENO);
	else
		o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o->fd < 0) {
		int err = -errno;

		ts_out_close(o);
		return err;
	}
	return 0;
}

int ts_out_flush(struct ts_out *o)
{
	size_t off = 0;

	while (off < o->len && !o->err) {
		ssize_t n = write(o->fd, o->buf + off, o->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->err = n < 0 ? -errno : -EIO;
			break;
		}
		off += n;
		o->written += n;
	}
	o->len = 0;
	return o->err;
}

int ts_out_close(struct ts_out *o)
{
	int err;

	if (!o)
		return 0;
	if (o->fd >= 0) {
		ts_out_flush(o);
		if (close(o->fd) && !o->err)
			o->err = -errno;
		o->fd = -1;
	}
	free(o->buf);
	free(o->path);
	o->buf = NULL;
	o->path = NULL;
	o->cap = o->len = 0;
	err = o->err;
	return err;
}

void ts_out_write(struct ts_out *o, const void *p, size_t n)
{
	const char *s = p;

	while (n && o->cap) {
		size_t room = o->cap - o->len, k = n < room ? n : room;

		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == o->cap && ts_out_flush(o))
			return;
	}
}

void ts_out_puts(struct ts_out *o, const char *s)
{
	ts_out_write(o, s, strlen(s));
}

void ts_out_u64(struct ts_out *o, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	ts_out_write(o, tmp + i, sizeof(tmp) - i);
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

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

void ts_out_json_str(struct ts_out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	ts_out_putc(o, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		/* the common case: printable ASCII that JSON takes as it is */
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			continue;
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c >= 0x80) {
			size_t k = utf8_len((const unsigned char *)s + i, n - i);

			if (k) {
				i += k - 1;
				continue;
			}
			/* not UTF-8 (a binary cmdline, say): keep the JSON valid */
			ts_out_write(o, s + run, i - run);
			run = i + 1;
			ts_out_write(o, "\\ufffd", 6);
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
}
