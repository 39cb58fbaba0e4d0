// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The hook table: roles, flags and the BPF spec made from it.
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

/* ---- the hook table ---------------------------------------------------- */

static void test_hook_table(void **state)
{
	const struct ts_sym *syms;
	unsigned int i, j, n = ts_syms(&syms);

	assert_true(n > 90);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			assert_string_not_equal(syms[i].name, syms[j].name);
	for (i = 0; i < ts_nhooks; i++) {
		const struct ts_hook *h = &ts_hooks[i];
		int strs = 0;

		assert_true(h->nvals <= TS_MAX_VALS);
		for (j = 0; j < h->nvals; j++) {
			strs += h->vals[j].op == TS_OP_STR || h->vals[j].op == TS_OP_OUT_STR;
			assert_true(h->vals[j].arg < 12);
			assert_true(h->vals[j].role < ROLE__COUNT);
		}
		assert_true(strs <= 1);
		switch (h->sem) {
		case TS_SEM_LAUNCH:
			assert_true(ts_hook_role(h, ROLE_FUNC) >= 0);
			assert_true(ts_hook_role(h, ROLE_GRID_X) >= 0 ||
				    ts_hook_role(h, ROLE_LAUNCH_CFG) >= 0);
			break;
		case TS_SEM_COPY:
			assert_true(ts_hook_role(h, ROLE_BYTES) >= 0 && h->dir);
			break;
		case TS_SEM_MEMSET:
			assert_true(ts_hook_role(h, ROLE_COUNT) >= 0 && h->elem);
			break;
		case TS_SEM_ALLOC:
			assert_true(ts_hook_role(h, ROLE_OUT_PTR) >= 0);
			assert_true(ts_hook_role(h, ROLE_SIZE) >= 0);
			break;
		default:
			break;
		}
	}
	/* the variants the H200 survey saw the runtime use */
	assert_true(canned_sym_id("cuMemcpyHtoD_v2_ptds") >= 0);
	assert_true(canned_sym_id("cuLaunchKernel_ptsz") >= 0);
	assert_true(canned_sym_id("cuMemAllocAsync_ptsz") >= 0);
	assert_true(canned_sym_id("cuCtxSynchronize_v2") >= 0);
	assert_true(canned_sym_id("cuGetProcAddress_v2") >= 0);
	/*
	 * What real CUDA 13 processes (the runtime, PyTorch) were seen calling on
	 * an H200 that submits, allocates, frees, synchronizes or builds and
	 * launches graphs: all hooked. The getters they call are not (README).
	 */
	static const char *const seen[] = {
		"cuLaunchKernel",
		"cuGraphLaunch",
		"cuMemAlloc_v2",
		"cuMemFree_v2",
		"cuMemcpyHtoD_v2",
		"cuMemcpyDtoHAsync_v2",
		"cuMemcpyDtoDAsync_v2",
		"cuMemcpyDtoH_v2",
		"cuMemsetD8Async",
		"cuMemHostAlloc",
		"cuMemFreeHost",
		"cuMemAllocAsync",
		"cuMemFreeAsync",
		"cuEventRecord",
		"cuStreamWaitEvent",
		"cuEventSynchronize",
		"cuStreamSynchronize",
		"cuCtxSynchronize_v2",
		"cuStreamBeginCapture_v2",
		"cuStreamEndCapture",
		"cuGraphInstantiateWithFlags",
		"cuStreamCreate",
		"cuLibraryLoadData",
		"cuLibraryGetKernel",
		"cuKernelGetFunction",
		"cuKernelGetName",
		"cuLibraryUnload",
		"cuDevicePrimaryCtxRetain",
		"cuDevicePrimaryCtxRelease",
		"cuCtxSetCurrent",
		"cuInit",
		"cuGetProcAddress_v2",
	};
	for (i = 0; i < ARRAY_SIZE(seen); i++)
		if (canned_sym_id(seen[i]) < 0)
			fail_msg("%s is called by real CUDA 13 processes and not hooked", seen[i]);
	/* never the 32-bit legacy ABI */
	assert_int_equal(canned_sym_id("cuMemAlloc"), -1);
	assert_int_equal(canned_sym_id("cuMemcpyHtoD"), -1);
	/* the flags hold what the names say, row by row (the code reads only the flags) */
	for (i = 0; i < ts_nhooks; i++) {
		const struct ts_hook *h = &ts_hooks[i];
		bool copy = h->sem == TS_SEM_COPY || h->sem == TS_SEM_COPY_2D;
		bool sync = h->cat == TS_CAT_SYNC && strstr(h->name, "Synchronize");

		assert_int_equal(!!(h->flags & TS_HF_SYNCHRONIZE), sync);
		assert_int_equal(!!(h->flags & TS_HF_BLOCKS),
				 sync || (copy && !strstr(h->name, "Async")));
	}
	for (i = 0; i < n; i++)
		assert_int_equal(syms[i].per_thread,
				 strstr(syms[i].name, "_ptsz") || strstr(syms[i].name, "_ptds"));
}

/*
 * The runtime's rows (--runtime-api): opt-in, their own category, never the
 * semantics the driver call inside already has (memory counted once, a
 * synchronize once); a dim3 by value read from its two registers.
 */
static void test_runtime_rows(void **state)
{
	const struct ts_hook *h = ts_hook_by_name("cudaLaunchKernel");
	struct ts_rec_api rec = { 0 };
	struct ts_hook_spec spec;
	struct ts_call call;
	uint64_t v;
	unsigned int i;

	(void)state;
	assert_false(ts_lib_watched(TS_LIB_CUDART, false));
	assert_true(ts_lib_watched(TS_LIB_CUDART, true));
	assert_true(ts_lib_watched(TS_LIB_NCCL, false));
	assert_false(ts_lib_watched(TS_LIB_CUDA, true));
	for (i = 0; i < ts_nhooks; i++) {
		if (ts_hooks[i].lib != TS_LIB_CUDART)
			continue;
		assert_int_equal(ts_hooks[i].cat, TS_CAT_RUNTIME);
		assert_true(ts_hooks[i].sem == TS_SEM_NONE || ts_hooks[i].sem == TS_SEM_RT_LAUNCH ||
			    ts_hooks[i].sem == TS_SEM_RT_REGISTER);
		assert_int_equal(ts_hooks[i].flags & (TS_HF_BLOCKS | TS_HF_SYNCHRONIZE), 0);
	}
	assert_string_equal(ts_cat_name(TS_CAT_RUNTIME), "cuda_runtime");
	/* (func, grid x|y, grid z, block x|y, block z, args, shmem, stream): two on the stack */
	assert_non_null(h);
	ts_hook_spec(h, &spec);
	assert_int_equal(spec.nstack, 2);
	assert_true(spec.flags & TS_SPEC_F_UPPER);
	assert_true(spec.flags & TS_SPEC_F_ENTER);
	rec.nvals = h->nvals;
	for (i = 0; i < h->nvals; i++)
		rec.vals[i] = h->vals[i].arg == 1   ? 7 | 5ull << 32
			      : h->vals[i].arg == 2 ? 0xdead00000003ull /* a dirty upper half */
			      : h->vals[i].arg == 3 ? 128 | 4ull << 32
			      : h->vals[i].arg == 4 ? 2
						    : 0;
	ts_call_init(&call, &rec, h);
	assert_true(ts_call_val(&call, ROLE_GRID_X, &v) && v == 7);
	assert_true(ts_call_val(&call, ROLE_GRID_Y, &v) && v == 5);
	assert_true(ts_call_val(&call, ROLE_GRID_Z, &v) && v == 3);
	assert_true(ts_call_val(&call, ROLE_BLOCK_X, &v) && v == 128);
	assert_true(ts_call_val(&call, ROLE_BLOCK_Y, &v) && v == 4);
	assert_true(ts_call_val(&call, ROLE_BLOCK_Z, &v) && v == 2);
	assert_int_equal(ts_ctype_value(TS_T_HI32, 0x0000000500000007ull), 5);
}

static const struct ts_hook *hook_named(const char *name)
{
	unsigned int i;

	for (i = 0; i < ts_nhooks; i++)
		if (!strcmp(ts_hooks[i].name, name))
			return &ts_hooks[i];
	fail_msg("no hook %s", name);
	return NULL;
}

/*
 * The x86-64 slots the BPF spec gets from the table's C parameter positions
 * (probe/abi_x86.c): the ones the table spelled before it named parameters.
 * An ncclUniqueId by value takes the first stack slot and moves the integer
 * parameters after it down a register.
 */
/*
 * What a failure is, from each library's data: not success, not its "not
 * yet" (a query's CUDA_ERROR_NOT_READY, cudaErrorNotReady, ncclInProgress),
 * never a void call's stray register.
 */
static void test_hook_failed(void **state)
{
	const struct ts_hook *sync = ts_hook_by_name("cuCtxSynchronize");
	const struct ts_hook *group = ts_hook_by_name("ncclGroupEnd");
	const struct ts_hook *rt = ts_hook_by_name("cudaStreamSynchronize");
	const struct ts_hook *reg = ts_hook_by_name("__cudaRegisterFunction");
	char buf[48];

	(void)state;
	assert_non_null(sync);
	assert_non_null(group);
	assert_non_null(rt);
	assert_non_null(reg);
	assert_false(ts_hook_failed(sync, 0));
	assert_false(ts_hook_failed(sync, 600));
	assert_true(ts_hook_failed(sync, 1));
	assert_true(ts_hook_failed(sync, 7));
	assert_false(ts_hook_failed(group, 7));
	assert_true(ts_hook_failed(group, 5));
	assert_true(ts_hook_failed(group, 600));
	assert_false(ts_hook_failed(rt, 600));
	assert_true(ts_hook_failed(rt, 2));
	assert_false(ts_hook_failed(reg, 0x12345678));
	assert_false(ts_hook_failed(NULL, 600));
	assert_true(ts_hook_failed(NULL, 2));
	assert_string_equal(ts_hook_result_name(group, 5, buf, sizeof(buf)), "ncclInvalidUsage");
	assert_string_equal(ts_hook_result_name(sync, 600, buf, sizeof(buf)),
			    "CUDA_ERROR_NOT_READY");
}

static void test_hook_slots_x86(void **state)
{
	static const struct {
		const char *name;
		unsigned int nslots, nstack;
		unsigned char slots[TS_MAX_VALS];
	} want[] = {
		{ "ncclCommInitRank", 4, 1, { 0, 1, 2, 6 } },
		{ "ncclCommInitRankConfig", 5, 1, { 0, 1, 2, 3, 6 } },
		{ "cuLaunchKernel", 9, 3, { 0, 1, 2, 3, 4, 5, 6, 7, 8 } },
	};
	struct ts_hook_spec spec;
	unsigned int i, j;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ts_hook_spec(hook_named(want[i].name), &spec);
		assert_int_equal(spec.nvals, want[i].nslots);
		assert_int_equal(spec.nstack, want[i].nstack);
		for (j = 0; j < want[i].nslots; j++)
			assert_int_equal(spec.vals[j].arg, want[i].slots[j]);
	}
	/* no by-value struct: every parameter is its own slot */
	for (i = 0; i < ts_nhooks; i++) {
		bool byval = false;

		for (j = 0; j < ts_hooks[i].nvals; j++)
			byval |= ts_hooks[i].vals[j].op == TS_OP_HASH_ARG;
		ts_hook_spec(&ts_hooks[i], &spec);
		for (j = 0; !byval && j < ts_hooks[i].nvals; j++)
			assert_int_equal(spec.vals[j].arg, ts_hooks[i].vals[j].arg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook_table),
		cmocka_unit_test(test_runtime_rows),
		cmocka_unit_test(test_hook_failed),
		cmocka_unit_test(test_hook_slots_x86),
	};

	if (test_dir_init("ts-probe"))
		return 1;
	return cmocka_run_group_tests_name("probe", tests, NULL, NULL);
}
