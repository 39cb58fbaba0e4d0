// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A launch's shape as the decoder reads it (decode.c, ts_call_launch): the
 * CUlaunchConfig values BPF packs (tracesmith.h, TS_OP_LAUNCH_CFG) unpacked
 * into grid, block and cluster dimensions, every one distinct so that no
 * dimension can be read from another's bits unseen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "pipe.h"
#include "tmpdir.h"
#include "trace_json.h"
#include "workloads.h"

static void expect_dim3(json_object *e, const char *key, const long long want[3])
{
	const char *why = ev_arg_dim3_diff(e, key, want);

	if (why)
		fail_msg("a cuLaunchKernelEx slice's %s", why);
}

/* cuLaunchKernelEx's values exactly as read_launch_cfg packs them, then its GPU slice. */
static void test_launch_ex_dims(void **state)
{
	static const long long g[3] = { CLUSTER_GRID }, b[3] = { CLUSTER_BLOCK },
			       cl[3] = { CLUSTER_DIM };
	uint64_t f[3] = { 0x42, 0x1, 0x2 }, v[7];
	struct pipe p;
	json_object *e;

	v[0] = g[0] | (uint64_t)g[1] << 32;
	v[1] = g[2] | (uint64_t)b[0] << 32;
	v[2] = b[1] | (uint64_t)b[2] << 32;
	v[3] = CLUSTER_SHMEM;
	v[4] = 0x5000; /* stream */
	v[5] = cl[0] | (uint64_t)cl[1] << 16 | (uint64_t)cl[2] << 32;
	v[6] = 0x42; /* function */
	pipe_open(&p, test_path("launchex.json"), 0);
	canned_api(&p.c, 100, 100, 10, 5, 0, "cuModuleGetFunction", f, 3, CLUSTER_KERNEL);
	canned_api(&p.c, 100, 100, 20, 5, 0, "cuLaunchKernelEx", v, 7, NULL);
	pipe_close(&p);
	e = trace_find(&p.t, "X", CLUSTER_KERNEL, GPU, 0);
	assert_non_null(e);
	expect_dim3(e, "grid_dim", g);
	expect_dim3(e, "block_dim", b);
	expect_dim3(e, "cluster_dim", cl);
	assert_int_equal(ev_arg_int(e, "shared_memory_bytes"), CLUSTER_SHMEM);
	/* Kineto's view: the stream a small integer id, its handle beside it */
	assert_string_equal(ev_arg_str(e, "stream_handle"), "0x5000");
	assert_int_equal(ev_arg_int(e, "stream"), 1);
	pipe_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launch_ex_dims),
	};

	if (test_dir_init("ts-decode-launch"))
		return 1;
	return cmocka_run_group_tests_name("decode_launch", tests, NULL, NULL);
}
