// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pbenc.h"

void pb_reset(struct pb *p)
{
	p->len = 0;
	p->depth = 0;
	p->err = 0;
}

void pb_free(struct pb *p)
{
	if (!p)
		return;
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

static int grow(struct pb *p, size_t n)
{
	size_t cap = p->cap ? p->cap : 4096;
	uint8_t *nb;

	while (cap < p->len + n)
		cap *= 2;
	nb = realloc(p->buf, cap);
	if (!nb)
		return p->err = -ENOMEM;
	p->buf = nb;
	p->cap = cap;
	return 0;
}

/* the common case, inline: room already there */
static inline int reserve(struct pb *p, size_t n)
{
	if (__builtin_expect(!p->err && p->len + n <= p->cap, 1))
		return 0;
	return p->err ? p->err : grow(p, n);
}

unsigned int pb_varint_size(uint64_t v)
{
	unsigned int n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline unsigned int put_varint(uint8_t *out, uint64_t v)
{
	unsigned int n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

unsigned int pb_put_varint(uint8_t *out, uint64_t v)
{
	return put_varint(out, v);
}

static inline void raw_varint(struct pb *p, uint64_t v)
{
	if (!reserve(p, 10))
		p->len += put_varint(p->buf + p->len, v);
}

static void tag(struct pb *p, uint32_t field, enum pb_wire w)
{
	raw_varint(p, (uint64_t)field << 3 | w);
}

/* the most frequent field of all: one room check, one-byte tags and values inline */
void pb_varint(struct pb *p, uint32_t field, uint64_t v)
{
	uint64_t t = (uint64_t)field << 3 | PB_VARINT;
	uint8_t *o;

	if (reserve(p, 20))
		return;
	o = p->buf + p->len;
	if (t < 0x80)
		*o++ = (uint8_t)t;
	else
		o += put_varint(o, t);
	if (v < 0x80)
		*o++ = (uint8_t)v;
	else
		o += put_varint(o, v);
	p->len = o - p->buf;
}

void pb_int(struct pb *p, uint32_t field, int64_t v)
{
	pb_varint(p, field, (uint64_t)v);
}

void pb_fixed64(struct pb *p, uint32_t field, uint64_t v)
{
	int i;

	tag(p, field, PB_FIXED64);
	if (reserve(p, 8))
		return;
	for (i = 0; i < 8; i++)
		p->buf[p->len++] = (uint8_t)(v >> (8 * i));
}

void pb_double(struct pb *p, uint32_t field, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	pb_fixed64(p, field, u);
}

void pb_bytes(struct pb *p, uint32_t field, const void *data, size_t len)
{
	tag(p, field, PB_LEN);
	raw_varint(p, len);
	if (!reserve(p, len)) {
		memcpy(p->buf + p->len, data, len);
		p->len += len;
	}
}

void pb_string(struct pb *p, uint32_t field, const char *s)
{
	pb_bytes(p, field, s, strlen(s));
}

void pb_begin(struct pb *p, uint32_t field)
{
	tag(p, field, PB_LEN);
	if (p->depth == PB_MAX_DEPTH) {
		p->err = -E2BIG;
		return;
	}
	/* one byte for the length; pb_end makes room if it needs more */
	if (reserve(p, 1))
		return;
	p->open[p->depth++] = p->len++;
}

void pb_end(struct pb *p)
{
	size_t at, len;
	unsigned int n;

	if (p->err || !p->depth)
		return;
	at = p->open[--p->depth];
	len = p->len - at - 1;
	n = pb_varint_size(len);
	if (n > 1) {
		if (reserve(p, n - 1))
			return;
		memmove(p->buf + at + n, p->buf + at + 1, len);
		p->len += n - 1;
	}
	pb_put_varint(p->buf + at, len);
}
