/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * .tsbpf capture files: a header, then blocks of records exactly as BPF (and
 * the live metadata side) produced them. See docs/capture-format.md.
 */
#ifndef TS_CAPTURE_H
#define TS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "record/sink.h"

#define TS_CAP_MAGIC	    "TSBPFCAP"
#define TS_CAP_VERSION	    1
#define TS_CAP_BLOCK_MAGIC  0x4b4c4254u /* "TBLK" */
#define TS_CAP_F_INCOMPLETE 0x1

struct ts_cap_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	uint32_t flags; /* TS_CAP_F_INCOMPLETE until a clean close */
	uint32_t pad;
	uint64_t clock_mono_ns; /* read back to back with clock_real_ns */
	uint64_t clock_real_ns;
	char hostname[64];
	char kernel[64];
	char tool_version[32];
	char boot_id[40];
};

struct ts_cap_block {
	uint32_t magic;
	uint32_t len; /* payload bytes after this header */
	uint32_t crc; /* zlib crc32 of the payload */
	uint32_t nrecords;
};

bool ts_capture_path(const char *path);

struct ts_capture;
int ts_capture_create(const char *path, struct ts_capture **out);
struct ts_sink *ts_capture_sink(struct ts_capture *c);
/* Write out the block being filled (an idle tick of a live run); 0 or -errno. */
int ts_capture_flush(struct ts_capture *c);
/* Write the last block, clear the incomplete flag, put the file in place. NULL-safe. */
int ts_capture_close(struct ts_capture *c);
/* Remove the capture being written (the run never started). NULL-safe. */
void ts_capture_discard(struct ts_capture *c);

/* Reading. */
struct ts_cap_reader {
	int fd;
	struct ts_cap_header hdr;
	uint64_t off; /* file offset of the next block */
	uint64_t file_size;
	uint8_t *block;
	size_t block_cap;
	uint64_t records;
	bool salvage;  /* set before reading: keep the whole records of a cut block */
	bool in_block; /* ts_cap_next: within the block at off, next record at bpos */
	uint32_t blen;
	size_t bpos;
	bool partial;
	char err[256]; /* what stopped the read, with its byte offset */
};

/* On failure r->err says why; ts_cap_close is still owed. */
int ts_cap_open(struct ts_cap_reader *r, const char *path);
/*
 * Call fn for each record, in order. Returns 0 at a clean end, or -errno
 * with r->err saying where the data went bad (records before it were
 * delivered), or fn's own error.
 */
int ts_cap_read(struct ts_cap_reader *r, int (*fn)(void *ctx, const void *rec), void *ctx);
/*
 * Pull one record: 1 with *rec (valid until the next call), 0 at a clean end,
 * -errno as ts_cap_read. For reading several captures side by side (merge).
 */
int ts_cap_next(struct ts_cap_reader *r, const void **rec);
/* NULL-safe; r must have been through ts_cap_open or be { .fd = -1 }. */
void ts_cap_close(struct ts_cap_reader *r);

#endif
