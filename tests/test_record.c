// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Records: the checks every record passes, and capture files (round trip, salvage, corruption).
 * No root, no BPF, no GPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "canned.h"
#include "pipe.h"
#include "tmpdir.h"
#include "record/capture.h"
#include "correlate/corr_int.h"
#include "record/decode.h"
#include "probe/hooks.h"
#include "correlate/nvdecode.h"
#include "encode/outbuf.h"
#include "encode/pbenc.h"
#include "write/stats_writer.h"
#include "trace_json.h"
#include "lib/util.h"
#include "workloads.h"
#include "fakecuda/cuda_types.h"

/* ---- record checks ----------------------------------------------------- */

static void test_rec_check(void **state)
{
	struct ts_rec_api r;

	memset(&r, 0, sizeof(r));
	r.hdr.kind = TS_REC_API;
	r.hdr.size = TS_API_BASE_SIZE + 16;
	r.nvals = 2;
	assert_int_equal(ts_rec_check(&r, sizeof(r)), TS_REC_OK);
	assert_int_equal(ts_rec_check(&r, 10), TS_REC_SHORT);
	assert_int_equal(ts_rec_check(&r, TS_API_BASE_SIZE), TS_REC_SHORT);
	r.nvals = 11;
	assert_int_equal(ts_rec_check(&r, sizeof(r)), TS_REC_BAD_FIELD);
	r.nvals = 2;
	r.str_len = 9;
	assert_int_equal(ts_rec_check(&r, sizeof(r)), TS_REC_BAD_FIELD);
	r.str_len = 0;
	r.hdr.size = 57;
	assert_int_equal(ts_rec_check(&r, sizeof(r)), TS_REC_BAD_SIZE);
	r.hdr.size = 0;
	assert_int_equal(ts_rec_check(&r, sizeof(r)), TS_REC_BAD_SIZE);
	r.hdr.size = 24;
	r.hdr.kind = 200;
	assert_int_equal(ts_rec_check(&r, sizeof(r)), TS_REC_BAD_KIND);
}

/* ---- capture files ----------------------------------------------------- */

static int count_rec(void *ctx, const void *rec)
{
	(*(int *)ctx)++;
	return 0;
}

static int write_capture(const char *path)
{
	struct ts_capture *cap;
	struct canned c;
	int err, i;

	err = ts_capture_create(path, &cap);
	assert_int_equal(err, 0);
	canned_start(&c, ts_capture_sink(cap), 0);
	canned_proc(&c, 100, "app");
	for (i = 0; i < 1000; i++) {
		uint64_t v[9] = { 0x5, 1, 1, 1, 1, 1, 1, 0, 0 };

		canned_api(&c, 100, 100, i * 10, 5, 0, "cuLaunchKernel", v, 9, NULL);
	}
	canned_end(&c);
	assert_int_equal(c.err, 0);
	canned_free(&c);
	return ts_capture_close(cap);
}

static int read_capture(const char *path, char *err, size_t len)
{
	struct ts_cap_reader r = { .fd = -1 };
	int n = 0, e;

	e = ts_cap_open(&r, path);
	if (!e)
		e = ts_cap_read(&r, count_rec, &n);
	snprintf(err, len, "%s", r.err);
	ts_cap_close(&r);
	return e ? e : n;
}

static void corrupt(const char *path, off_t off, const void *bytes, size_t n)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, n, off), n);
	close(fd);
}

static void test_capture_roundtrip(void **state)
{
	const char *path = test_path("rt.tsbpf");
	char err[256];
	struct stat st;
	uint32_t v = 99;

	assert_int_equal(write_capture(path), 0);
	/* START + HOST + LIB + symbols + PROC + 1000 calls + DROPS + END */
	assert_int_equal(read_capture(path, err, sizeof(err)),
			 3 + ts_syms(&(const struct ts_sym *){ 0 }) + 1 + 1000 + 2);
	stat(path, &st);
	/* truncated: what came before the cut still reads, the error names the offset */
	assert_int_equal(truncate(path, st.st_size - 10), 0);
	assert_true(read_capture(path, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "truncated"));
	assert_non_null(strstr(err, "byte "));
	/* wrong version */
	assert_int_equal(write_capture(path), 0);
	corrupt(path, 8, &v, 4);
	assert_int_equal(read_capture(path, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "version 99"));
	/* a flipped byte in a block */
	assert_int_equal(write_capture(path), 0);
	corrupt(path, st.st_size - 100, "\xff\xff", 2);
	assert_true(read_capture(path, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "checksum"));
	/* zero length */
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(read_capture(path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "byte 0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rec_check),
		cmocka_unit_test(test_capture_roundtrip),
	};

	if (test_dir_init("ts-record"))
		return 1;
	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
