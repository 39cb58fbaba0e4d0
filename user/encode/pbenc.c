// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "encode/pbenc.h"

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

int pb_grow(struct pb *p, size_t n)
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

unsigned int pb_varint_size(uint64_t v)
{
	unsigned int n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

void pb_double(struct pb *p, uint32_t field, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	pb_fixed64(p, field, u);
}

void pb_bytes(struct pb *p, uint32_t field, const void *data, size_t len)
{
	pb_tag(p, field, PB_LEN);
	pb_raw_varint(p, len);
	if (!pb_room(p, len)) {
		memcpy(p->buf + p->len, data, len);
		p->len += len;
	}
}

void pb_string(struct pb *p, uint32_t field, const char *s)
{
	pb_bytes(p, field, s, strlen(s));
}

void pb_end_long(struct pb *p, size_t at, size_t len)
{
	unsigned int n = pb_varint_size(len);

	if (pb_room(p, n - 1))
		return;
	memmove(p->buf + at + n, p->buf + at + 1, len);
	p->len += n - 1;
	pb_put_varint(p->buf + at, len);
}
