// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: arbitrary bytes as a .tsbpf capture, through the capture
 * reader, the record checks, the decoder and the correlator, into every
 * writer (JSON, protobuf, stats). Nothing may crash, leak or read out of
 * bounds. Salvage is on, so cut blocks are parsed too.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "record/capture.h"
#include "correlate/correlate.h"
#include "write/stats_writer.h"
#include "write/writer.h"

#define NWRITERS 3

static int feed(void *ctx, const void *rec)
{
	struct ts_corr **corr = ctx;
	int i, err;

	for (i = 0; i < NWRITERS; i++) {
		err = ts_corr_feed(corr[i], rec);
		if (err)
			return err;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_cap_reader r = { .fd = -1 };
	struct ts_writer *w[NWRITERS];
	struct ts_corr *corr[NWRITERS] = { 0 };
	char path[64];
	int fd = memfd_create("capture", 0), err, i, ok = 1;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = ts_json_writer_open("/dev/null", &w[0]);
	err = ts_pftrace_writer_open("/dev/null", &w[1]);
	err = ts_stats_writer_open("/dev/null", true, &w[2]);
	for (i = 0; i < NWRITERS; i++) {
		corr[i] = w[i] ? ts_corr_new(w[i], "fuzz") : NULL;
		ok &= corr[i] != NULL;
	}
	if (ok && !ts_cap_open(&r, path)) {
		r.salvage = true;
		ts_cap_read(&r, feed, corr);
		for (i = 0; i < NWRITERS; i++)
			ts_corr_finish(corr[i], true);
	}
	ts_cap_close(&r);
	for (i = 0; i < NWRITERS; i++) {
		ts_corr_free(corr[i]);
		ts_writer_destroy(w[i]);
	}
	close(fd);
	return 0;
}
