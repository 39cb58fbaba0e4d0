// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --stacks' CPython layouts without the interpreters: the table (3.10-3.12)
 * within what BPF reads, _Py_DebugOffsets (3.13+) parsed from a copy taken
 * from a real 3.13.0 and from a 3.14-shaped one, bad copies refused, and
 * 3.10's line table. The live walks of each version are test_run_stacks'
 * (test_stacks_versions, where the interpreters are installed).
 * No root, no BPF.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "correlate/pyline310.h"
#include "probe/pylayout.h"

static uint8_t py313[TS_PY_DEBUG_BYTES];

static void load_313(void)
{
	FILE *f = fopen("tests/fixtures/py313_debug_offsets.bin", "rb");

	assert_non_null(f);
	assert_int_equal(fread(py313, 1, sizeof(py313), f), sizeof(py313));
	fclose(f);
}

/* every offset BPF reads 8 bytes at is inside its window of the object */
static void inside_windows(const struct ts_py_offsets *o)
{
	assert_true(o->fr_code <= TS_PY_FRAME_WIN - 8);
	assert_true(o->fr_previous <= TS_PY_FRAME_WIN - 8);
	assert_true(o->fr_instr <= TS_PY_FRAME_WIN - 8);
	assert_true(o->fr_owner < TS_PY_FRAME_WIN || o->fr_owner == 0xff);
	assert_true(o->co_firstlineno <= TS_PY_CODE_WIN - 8);
	assert_true(o->co_filename <= TS_PY_CODE_WIN - 8);
	assert_true(o->co_qualname <= TS_PY_CODE_WIN - 8);
	assert_true(o->co_linetable <= TS_PY_CODE_WIN - 8);
}

static void test_table(void **state)
{
	unsigned int minor;

	for (minor = 10; minor <= 12; minor++) {
		const struct ts_py_offsets *o = ts_py_offsets(minor);

		assert_non_null(o);
		assert_int_equal(o->minor, minor);
		inside_windows(o);
	}
	assert_true(ts_py_offsets(10)->flags & TS_PY_F_TSTATE_FRAME);
	assert_false(ts_py_offsets(11)->flags & TS_PY_F_TSTATE_FRAME);
	/* 3.9 and older are not walked; 3.13+ come from the interpreter itself */
	assert_null(ts_py_offsets(9));
	assert_null(ts_py_offsets(13));
}

/* 3.13.0, as pycore_runtime.h's _Py_DebugOffsets_INIT filled it in that process */
static void test_debug_313(void **state)
{
	struct ts_py_offsets o;
	unsigned int minor = 0;

	load_313();
	assert_int_equal(ts_py_debug_offsets(py313, sizeof(py313), &o, &minor), 0);
	assert_int_equal(minor, 13);
	assert_int_equal(o.minor, 13);
	assert_int_equal(o.rt_interp_head, 632);
	assert_int_equal(o.interp_threads, 7344);
	assert_int_equal(o.ts_next, 8);
	assert_int_equal(o.ts_cframe, 72); /* current_frame */
	assert_int_equal(o.ts_thread_id, 152);
	assert_int_equal(o.fr_code, 0);
	assert_int_equal(o.fr_previous, 8);
	assert_int_equal(o.fr_instr, 56);
	assert_int_equal(o.fr_owner, 70);
	assert_int_equal(o.co_filename, 112);
	assert_int_equal(o.co_qualname, 128);
	assert_int_equal(o.co_linetable, 136);
	assert_int_equal(o.co_firstlineno, 68);
	assert_int_equal(o.co_code, 200);
	assert_int_equal(o.owner_cstack, 3);
	assert_true(o.flags & TS_PY_F_TSTATE_FRAME);
	inside_windows(&o);
}

/* insert n zero fields (uint64_t) at byte off of a copy */
static void grow(uint8_t *b, size_t off, unsigned int n)
{
	memmove(b + off + 8 * n, b + off, TS_PY_DEBUG_BYTES - off - 8 * n);
	memset(b + off, 0, 8 * n);
}

/*
 * 3.14's parts are longer: interpreter_state by 3 fields (after threads_head,
 * and at its end), interpreter_frame by 2, code_object by 1. The same
 * offsets must come out, the version from its own field.
 */
static void test_debug_314_shape(void **state)
{
	uint8_t b[TS_PY_DEBUG_BYTES];
	struct ts_py_offsets o;
	unsigned int minor = 0;
	uint64_t ver = 0x030e00f0;

	load_313();
	memcpy(b, py313, sizeof(b));
	memcpy(b + 8, &ver, sizeof(ver));
	/*
	 * the 3.13 copy: interpreter_state at 48, thread_state 152, interpreter_frame
	 * 224, code_object 272, pyobject 352; grown from the end back
	 */
	grow(b, 272 + 80, 1); /* code_object.co_tlbc, after co_code_adaptive */
	grow(b, 224 + 48, 2); /* interpreter_frame.stackpointer, tlbc_index */
	grow(b, 48 + 104, 2); /* interpreter_state.code_object_generation, tlbc_generation */
	grow(b, 48 + 32, 1);  /* interpreter_state.threads_main */
	assert_int_equal(ts_py_debug_offsets(b, sizeof(b), &o, &minor), 0);
	assert_int_equal(minor, 14);
	assert_int_equal(o.ts_thread_id, 152);
	assert_int_equal(o.fr_instr, 56);
	assert_int_equal(o.co_qualname, 128);
	assert_int_equal(o.co_code, 200);
}

/* No cookie, a free-threaded build, an older version, parts not where any version has them. */
static void test_debug_refused(void **state)
{
	uint8_t b[TS_PY_DEBUG_BYTES];
	struct ts_py_offsets o;
	unsigned int minor;
	uint64_t v;

	load_313();
	memcpy(b, py313, sizeof(b));
	b[0] = 'y';
	assert_int_equal(ts_py_debug_offsets(b, sizeof(b), &o, &minor), -ENOENT);
	assert_int_equal(ts_py_debug_offsets(py313, 100, &o, &minor), -ENOENT);
	memcpy(b, py313, sizeof(b));
	v = 1;
	memcpy(b + 16, &v, 8); /* free_threaded */
	assert_int_equal(ts_py_debug_offsets(b, sizeof(b), &o, &minor), -ENOTSUP);
	memcpy(b, py313, sizeof(b));
	v = 0x030c01f0;
	memcpy(b + 8, &v, 8);
	assert_int_equal(ts_py_debug_offsets(b, sizeof(b), &o, &minor), -ENOTSUP);
	memcpy(b, py313, sizeof(b));
	v = 24;
	memcpy(b + 152 + 24, &v, 8); /* thread_state.interp not 16 */
	assert_int_equal(ts_py_debug_offsets(b, sizeof(b), &o, &minor), -ENOTSUP);
	memcpy(b, py313, sizeof(b));
	v = 4000;
	memcpy(b + 272 + 32, &v, 8); /* co_linetable past what BPF reads of a code object */
	assert_int_equal(ts_py_debug_offsets(b, sizeof(b), &o, &minor), -ENOTSUP);
}

/*
 * 3.10's co_linetable of (python3.10.13):
 *   def f(x):          # line 2: co_firstlineno
 *       a = x + 1      # 3
 *       if a > 2:      # 4
 *           b = a * 2  # 5
 *                      # 6
 *           return b   # 7
 *       for i in range(3):  # 8
 *           a += i     # 9
 *       return a       # 10
 * co_lines(): [0,8) 3, [8,16) 4, [16,24) 5, [24,28) 7, [28,40) 8, [40,50) 9, [50,54) 10
 */
static void test_line310(void **state)
{
	static const uint8_t t[] = { 8, 1, 8, 1, 8, 1, 4, 2, 12, 1, 10, 1, 4, 1 };
	static const uint8_t nol[] = { 6, 1, 4, 0x80, 0, 3, 2, 0 };

	assert_int_equal(ts_py310_line(t, sizeof(t), 2, 0), 3);
	assert_int_equal(ts_py310_line(t, sizeof(t), 2, 14), 4);
	assert_int_equal(ts_py310_line(t, sizeof(t), 2, 16), 5);
	assert_int_equal(ts_py310_line(t, sizeof(t), 2, 26), 7);
	assert_int_equal(ts_py310_line(t, sizeof(t), 2, 28), 8);
	assert_int_equal(ts_py310_line(t, sizeof(t), 2, 48), 9);
	assert_int_equal(ts_py310_line(t, sizeof(t), 2, 52), 10);
	assert_int_equal(ts_py310_line(t, sizeof(t), 2, 54), -2); /* past the table */
	assert_int_equal(ts_py310_line(t, 5, 2, 30), -2);	  /* a table cut short */
	/* -128: no line, the line kept; an empty entry only moves the line */
	assert_int_equal(ts_py310_line(nol, sizeof(nol), 10, 7), -1);
	assert_int_equal(ts_py310_line(nol, sizeof(nol), 10, 10), 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),		cmocka_unit_test(test_debug_313),
		cmocka_unit_test(test_debug_314_shape), cmocka_unit_test(test_debug_refused),
		cmocka_unit_test(test_line310),
	};

	return cmocka_run_group_tests_name("probe_pylayout", tests, NULL, NULL);
}
