// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "record/capture.h"
#include "record/decode.h"
#include "encode/outfile.h"
#include "lib/util.h"

#define BLOCK_BYTES (1 << 20)
/* a block is written at least this often, so a SIGKILL loses at most this much */
#define FLUSH_NS  1000000000ull
#define MAX_BLOCK (64u << 20)

_Static_assert(sizeof(struct ts_cap_header) == 240, "capture header size is fixed");

struct ts_capture {
	struct ts_sink sink;
	struct ts_outfile file;
	int fd;
	int err;
	uint8_t *buf;
	size_t len;
	uint32_t nrec;
	uint64_t last_flush;
};

bool ts_capture_path(const char *path)
{
	size_t n = strlen(path);

	return n > 6 && !strcmp(path + n - 6, ".tsbpf");
}

static int flush_block(struct ts_capture *c)
{
	struct ts_cap_block *b = (struct ts_cap_block *)c->buf;

	c->last_flush = ts_now_ns(CLOCK_MONOTONIC);
	if (c->err || c->len == sizeof(*b))
		return c->err;
	b->magic = TS_CAP_BLOCK_MAGIC;
	b->len = c->len - sizeof(*b);
	b->crc = crc32(0, c->buf + sizeof(*b), b->len);
	b->nrecords = c->nrec;
	c->err = ts_write_all(c->fd, c->buf, c->len, -1);
	c->len = sizeof(*b);
	c->nrec = 0;
	return c->err;
}

static int cap_put(struct ts_sink *s, const void *rec)
{
	struct ts_capture *c = (struct ts_capture *)s;
	const struct ts_rec_hdr *h = rec;

	if (c->err)
		return c->err;
	if (c->len + h->size > BLOCK_BYTES + sizeof(struct ts_cap_block) && flush_block(c))
		return c->err;
	memcpy(c->buf + c->len, rec, h->size);
	c->len += h->size;
	c->nrec++;
	/* metadata marks a quiet moment; time-based flushes bound what a kill loses */
	if (h->kind >= TS_REC_META_START || ts_now_ns(CLOCK_MONOTONIC) - c->last_flush > FLUSH_NS)
		return flush_block(c);
	return 0;
}

static void fill_header(struct ts_cap_header *h)
{
	struct utsname u;
	char boot[64] = "";

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, TS_CAP_MAGIC, 8);
	h->version = TS_CAP_VERSION;
	h->header_size = sizeof(*h);
	h->flags = TS_CAP_F_INCOMPLETE;
	h->clock_mono_ns = ts_now_ns(CLOCK_MONOTONIC);
	h->clock_real_ns = ts_now_ns(CLOCK_REALTIME);
	gethostname(h->hostname, sizeof(h->hostname) - 1);
	if (!uname(&u))
		snprintf(h->kernel, sizeof(h->kernel), "%.63s", u.release);
	snprintf(h->tool_version, sizeof(h->tool_version), "%s", TS_VERSION);
	if (ts_read_file("/proc/sys/kernel/random/boot_id", boot, sizeof(boot)) > 0)
		snprintf(h->boot_id, sizeof(h->boot_id), "%.36s", boot);
}

int ts_capture_create(const char *path, struct ts_capture **out)
{
	struct ts_capture *c = calloc(1, sizeof(*c));
	struct ts_cap_header h;
	int err = -ENOMEM;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->buf = malloc(BLOCK_BYTES + sizeof(struct ts_cap_block) + 65536);
	if (!c->buf)
		goto cleanup;
	err = ts_outfile_create(&c->file, path);
	if (err)
		goto cleanup;
	c->fd = c->file.fd;
	fill_header(&h);
	err = ts_write_all(c->fd, &h, sizeof(h), -1);
	if (err)
		goto cleanup;
	c->sink.put = cap_put;
	c->len = sizeof(struct ts_cap_block);
	c->last_flush = ts_now_ns(CLOCK_MONOTONIC);
	*out = c;
	return 0;
cleanup:
	ts_capture_discard(c);
	return err;
}

struct ts_sink *ts_capture_sink(struct ts_capture *c)
{
	return &c->sink;
}

int ts_capture_close(struct ts_capture *c)
{
	uint32_t flags = 0;
	int err;

	if (!c)
		return 0;
	err = flush_block(c);
	if (!err)
		err = ts_write_all(c->fd, &flags, sizeof(flags),
				   offsetof(struct ts_cap_header, flags));
	/* a write failed (a full disk): the earlier file at the path stays */
	if (err)
		ts_outfile_keep(&c->file);
	else
		err = ts_outfile_commit(&c->file);
	free(c->buf);
	free(c);
	return err;
}

int ts_capture_flush(struct ts_capture *c)
{
	return flush_block(c);
}

void ts_capture_discard(struct ts_capture *c)
{
	if (!c)
		return;
	ts_outfile_discard(&c->file);
	free(c->buf);
	free(c);
}

int ts_cap_open(struct ts_cap_reader *r, const char *path)
{
	struct stat st;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &st)) {
		snprintf(r->err, sizeof(r->err), "cannot open: %s", strerror(errno));
		return -errno;
	}
	r->file_size = st.st_size;
	n = pread(r->fd, &r->hdr, sizeof(r->hdr), 0);
	if (n != (ssize_t)sizeof(r->hdr) || memcmp(r->hdr.magic, TS_CAP_MAGIC, 8)) {
		snprintf(r->err, sizeof(r->err), "byte 0: not a tracesmith-bpf capture (%s)",
			 n < (ssize_t)sizeof(r->hdr) ? "file shorter than the header"
						     : "bad magic");
		return -EINVAL;
	}
	if (r->hdr.version != TS_CAP_VERSION) {
		snprintf(r->err, sizeof(r->err),
			 "byte 8: capture format version %u; this build reads version %u",
			 r->hdr.version, (unsigned int)TS_CAP_VERSION);
		return -EPROTO;
	}
	if (r->hdr.header_size < sizeof(r->hdr) || r->hdr.header_size > r->file_size) {
		snprintf(r->err, sizeof(r->err), "byte 12: header size %u is invalid",
			 r->hdr.header_size);
		return -EINVAL;
	}
	r->off = r->hdr.header_size;
	return 0;
}

static int read_block(struct ts_cap_reader *r, struct ts_cap_block *b)
{
	ssize_t n = pread(r->fd, b, sizeof(*b), r->off);

	if (n == 0)
		return 1; /* clean end */
	if (n != (ssize_t)sizeof(*b) || b->magic != TS_CAP_BLOCK_MAGIC) {
		snprintf(r->err, sizeof(r->err), "byte %llu: %s", (unsigned long long)r->off,
			 n != (ssize_t)sizeof(*b) ? "truncated block header" : "bad block magic");
		return -EBADMSG;
	}
	if (b->len > MAX_BLOCK || r->off + sizeof(*b) + b->len > r->file_size) {
		snprintf(r->err, sizeof(r->err),
			 "byte %llu: block of %u bytes runs past the end "
			 "of the file (truncated capture)",
			 (unsigned long long)r->off, b->len);
		if (!r->salvage || b->len > MAX_BLOCK)
			return -EBADMSG;
		/* a block cut short by a crash: keep its whole records, unverified */
		b->len = r->file_size - r->off - sizeof(*b);
		r->partial = true;
	}
	if (b->len > r->block_cap) {
		uint8_t *nb = realloc(r->block, b->len);

		if (!nb)
			return -ENOMEM;
		r->block = nb;
		r->block_cap = b->len;
	}
	n = pread(r->fd, r->block, b->len, r->off + sizeof(*b));
	if (n != (ssize_t)b->len || (!r->partial && crc32(0, r->block, b->len) != b->crc)) {
		snprintf(r->err, sizeof(r->err),
			 "byte %llu: block checksum mismatch (corrupt data)",
			 (unsigned long long)r->off);
		return -EBADMSG;
	}
	return 0;
}

int ts_cap_next(struct ts_cap_reader *r, const void **rec)
{
	struct ts_cap_block b;
	int err;

	for (;;) {
		if (r->in_block && r->bpos < r->blen) {
			const uint8_t *p = r->block + r->bpos;
			enum ts_rec_err e = ts_rec_check(p, r->blen - r->bpos);

			if (e != TS_REC_OK && r->partial)
				return -EBADMSG; /* r->err says where the file was cut */
			if (e != TS_REC_OK) {
				snprintf(r->err, sizeof(r->err), "byte %llu: %s",
					 (unsigned long long)(r->off + sizeof(b) + r->bpos),
					 ts_rec_err_str(e));
				return -EBADMSG;
			}
			*rec = p;
			r->bpos += ((const struct ts_rec_hdr *)p)->size;
			r->records++;
			return 1;
		}
		if (r->in_block) {
			r->off += sizeof(b) + r->blen;
			r->in_block = false;
			if (r->partial)
				return -EBADMSG;
		}
		err = read_block(r, &b);
		if (err)
			return err > 0 ? 0 : err;
		r->blen = b.len;
		r->bpos = 0;
		r->in_block = true;
	}
}

int ts_cap_read(struct ts_cap_reader *r, int (*fn)(void *ctx, const void *rec), void *ctx)
{
	const void *rec;
	int n, err;

	while ((n = ts_cap_next(r, &rec)) > 0) {
		err = fn(ctx, rec);
		if (err)
			return err;
	}
	return n;
}

void ts_cap_close(struct ts_cap_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->block);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}
