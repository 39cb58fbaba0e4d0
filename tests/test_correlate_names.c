// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel names from cuFuncGetName and cuKernelGetName (correlate/dispatch.c,
 * TS_SEM_GET_NAME): for a handle the trace saw no other name for (found by
 * an enumeration we do not hook, or before we attached), the name those
 * calls return is the kernel's name, byte for byte.
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

static void launch(struct pipe *p, uint64_t f, uint64_t ts)
{
	uint64_t v[9] = { f, 1, 1, 1, 32, 1, 1, 0, 0 };

	canned_api(&p->c, 100, 100, ts, 5, 0, "cuLaunchKernel", v, 9, NULL);
}

/* The nth GPU slice (in launch order) is named want. */
static void expect_named(const struct trace *t, int nth, const char *want, const char *how)
{
	json_object *e = trace_find(t, "X", NULL, GPU, nth);
	const char *got = e ? ev_str(e, "name") : NULL;

	if (!got || strcmp(got, want))
		fail_msg("GPU slice %d is named \"%s\", not \"%s\": the name %s returned was not "
			 "stored whole",
			 nth, got ? got : "(none)", want, how);
}

static void test_get_name_stored_whole(void **state)
{
	uint64_t fn[2] = { 0x7000, 0x4000 }, kn[2] = { 0x7008, 0x5000 };
	struct pipe p;

	pipe_open(&p, test_path("getname.json"), 0);
	/* values: the const char ** the name came out through, then the handle */
	canned_api(&p.c, 100, 100, 10, 5, 0, "cuFuncGetName", fn, 2, GETNAME_FUNC);
	canned_api(&p.c, 100, 100, 20, 5, 0, "cuKernelGetName", kn, 2, GETNAME_KERNEL);
	launch(&p, 0x4000, 100);
	launch(&p, 0x5000, 200);
	launch(&p, 0x4000, 300);
	pipe_close(&p);
	assert_int_equal(trace_count(&p.t, "X", NULL, GPU), 3);
	expect_named(&p.t, 0, GETNAME_FUNC, "cuFuncGetName");
	expect_named(&p.t, 1, GETNAME_KERNEL, "cuKernelGetName");
	expect_named(&p.t, 2, GETNAME_FUNC, "cuFuncGetName");
	pipe_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_name_stored_whole),
	};

	if (test_dir_init("ts-names"))
		return 1;
	return cmocka_run_group_tests_name("correlate_names", tests, NULL, NULL);
}
