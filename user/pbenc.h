/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small protobuf encoder: varints, fixed64, length-delimited fields and
 * nested messages, minimal encodings throughout. Enough for Perfetto's
 * TracePacket, with no generated code and no library.
 */
#ifndef TS_PBENC_H
#define TS_PBENC_H

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
/* Encode v at out (at least 10 bytes); returns the bytes written. */
unsigned int pb_put_varint(uint8_t *out, uint64_t v);

void pb_varint(struct pb *p, uint32_t field, uint64_t v);
/* int32/int64 fields: negative values take ten bytes, as the wire format says */
void pb_int(struct pb *p, uint32_t field, int64_t v);
void pb_fixed64(struct pb *p, uint32_t field, uint64_t v);
void pb_double(struct pb *p, uint32_t field, double v);
void pb_bytes(struct pb *p, uint32_t field, const void *data, size_t len);
void pb_string(struct pb *p, uint32_t field, const char *s);

/* A nested message: fields written between begin and end go inside it. */
void pb_begin(struct pb *p, uint32_t field);
void pb_end(struct pb *p);

#endif
