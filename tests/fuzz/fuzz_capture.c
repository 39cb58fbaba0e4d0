// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: arbitrary bytes as a .tsbpf capture, through the capture
 * reader, the record checks, the decoder and the correlator, into the JSON
 * writer. Nothing may crash, leak or read out of bounds.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "capture.h"
#include "correlate.h"
#include "writer.h"

static int feed(void *ctx, const void *rec)
{
	return ts_corr_feed(ctx, rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_cap_reader r = { .fd = -1 };
	struct ts_writer *w;
	struct ts_corr *corr;
	char path[64];
	int fd = memfd_create("capture", 0), err;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	w = ts_json_writer_open("/dev/null", &err);
	corr = w ? ts_corr_new(w, "fuzz") : NULL;
	if (corr && !ts_cap_open(&r, path)) {
		ts_cap_read(&r, feed, corr);
		ts_corr_finish(corr, true);
	}
	ts_cap_close(&r);
	ts_corr_free(corr);
	ts_writer_destroy(w);
	close(fd);
	return 0;
}
