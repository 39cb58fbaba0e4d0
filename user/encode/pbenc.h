/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small protobuf encoder: varints, fixed64, length-delimited fields and
 * nested messages, minimal encodings throughout. Enough for Perfetto's
 * TracePacket, with no generated code and no library.
 */
#ifndef TS_PBENC_H
#define TS_PBENC_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define PB_MAX_DEPTH 8

struct pb {
	uint8_t *buf;
	size_t len, cap;
	int err; /* -ENOMEM or -E2BIG (nesting); sticky */
	size_t open[PB_MAX_DEPTH];
	int depth;
};

enum pb_wire { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2, PB_FIXED32 = 5 };

void pb_reset(struct pb *p);
void pb_free(struct pb *p);

/* Bytes a varint of v takes (1..10). */
unsigned int pb_varint_size(uint64_t v);

/* Make room for n more bytes (the slow path of pb_room); sets and returns p->err. */
int pb_grow(struct pb *p, size_t n);

/*
 * The hot few are inline: a slice is some thirty fields, and with the field
 * number a constant the compiler writes each tag as one byte store.
 */
static inline int pb_room(struct pb *p, size_t n)
{
	if (__builtin_expect(!p->err && p->len + n <= p->cap, 1))
		return 0;
	return p->err ? p->err : pb_grow(p, n);
}

/* Encode v at out (at least 10 bytes); returns the bytes written. */
static inline unsigned int pb_put_varint(uint8_t *out, uint64_t v)
{
	unsigned int n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

/* A varint with no tag of its own: a tag, a length */
static inline void pb_raw_varint(struct pb *p, uint64_t v)
{
	if (!pb_room(p, 10))
		p->len += pb_put_varint(p->buf + p->len, v);
}

static inline void pb_tag(struct pb *p, uint32_t field, enum pb_wire w)
{
	pb_raw_varint(p, (uint64_t)field << 3 | w);
}

static inline void pb_varint(struct pb *p, uint32_t field, uint64_t v)
{
	uint64_t t = (uint64_t)field << 3 | PB_VARINT;
	uint8_t *o;

	if (pb_room(p, 20))
		return;
	o = p->buf + p->len;
	if (t < 0x80)
		*o++ = (uint8_t)t;
	else
		o += pb_put_varint(o, t);
	if (v < 0x80)
		*o++ = (uint8_t)v;
	else
		o += pb_put_varint(o, v);
	p->len = o - p->buf;
}

/* int32/int64 fields: negative values take ten bytes, as the wire format says */
static inline void pb_int(struct pb *p, uint32_t field, int64_t v)
{
	pb_varint(p, field, (uint64_t)v);
}

static inline void pb_fixed64(struct pb *p, uint32_t field, uint64_t v)
{
	int i;

	pb_tag(p, field, PB_FIXED64);
	if (pb_room(p, 8))
		return;
	/* little-endian, byte by byte: the same bytes on any host */
	for (i = 0; i < 8; i++)
		p->buf[p->len + i] = (uint8_t)(v >> (8 * i));
	p->len += 8;
}

void pb_double(struct pb *p, uint32_t field, double v);
void pb_bytes(struct pb *p, uint32_t field, const void *data, size_t len);
void pb_string(struct pb *p, uint32_t field, const char *s);

/* A nested message: fields written between begin and end go inside it. */
static inline void pb_begin(struct pb *p, uint32_t field)
{
	pb_tag(p, field, PB_LEN);
	if (p->depth == PB_MAX_DEPTH) {
		p->err = -E2BIG;
		return;
	}
	/* one byte for the length; pb_end makes room if it needs more */
	if (pb_room(p, 1))
		return;
	p->open[p->depth++] = p->len++;
}

/*
 * field { f1: v1, f2: v2 }, both varints, in one go: the same bytes as
 * pb_begin, two pb_varint and pb_end, without the nesting's bookkeeping.
 */
static inline void pb_pair(struct pb *p, uint32_t field, uint32_t f1, uint64_t v1, uint32_t f2,
			   uint64_t v2)
{
	uint8_t *o, *len_at;

	/* a tag (5) and its one-byte length, two tags (5) and two values (10) */
	if (pb_room(p, 36))
		return;
	o = p->buf + p->len;
	o += pb_put_varint(o, (uint64_t)field << 3 | PB_LEN);
	len_at = o++;
	o += pb_put_varint(o, (uint64_t)f1 << 3 | PB_VARINT);
	o += pb_put_varint(o, v1);
	o += pb_put_varint(o, (uint64_t)f2 << 3 | PB_VARINT);
	o += pb_put_varint(o, v2);
	*len_at = (uint8_t)(o - len_at - 1); /* at most 30: one byte */
	p->len = o - p->buf;
}

/* The slow path of pb_end: a length over 127 takes more than its one byte. */
void pb_end_long(struct pb *p, size_t at, size_t len);

static inline void pb_end(struct pb *p)
{
	size_t at, len;

	if (p->err || !p->depth)
		return;
	at = p->open[--p->depth];
	len = p->len - at - 1;
	if (__builtin_expect(len < 0x80, 1))
		p->buf[at] = (uint8_t)len;
	else
		pb_end_long(p, at, len);
}

#endif
