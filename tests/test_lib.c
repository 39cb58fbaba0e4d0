// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The shared layer: the hash map.
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

/* ---- hash map ---------------------------------------------------------- */

static void test_hashmap(void **state)
{
	struct ts_hmap m = { 0 };
	uint64_t i, v;

	for (i = 0; i < 20000; i++)
		assert_int_equal(ts_hmap_put(&m, i % 7, i, i * 3), 0);
	assert_int_equal(m.count, 20000);
	for (i = 0; i < 20000; i += 2)
		assert_true(ts_hmap_del(&m, i % 7, i, &v) && v == i * 3);
	for (i = 0; i < 20000; i++) {
		uint64_t *p = ts_hmap_get(&m, i % 7, i);

		if (i % 2)
			assert_true(p && *p == i * 3);
		else
			assert_null(p);
	}
	ts_hmap_del_all(&m, 3);
	for (i = 1; i < 20000; i += 2)
		assert_true(!ts_hmap_get(&m, i % 7, i) == (i % 7 == 3));
	ts_hmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashmap),
	};

	if (test_dir_init("ts-lib"))
		return 1;
	return cmocka_run_group_tests_name("lib", tests, NULL, NULL);
}
