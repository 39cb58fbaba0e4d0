// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "probe/pylayout.h"

/*
 * x86-64, from each version's Include/cpython and Include/internal headers.
 * 3.10: offsetof() compiled against pyenv's 3.10.13 headers (Py_BUILD_CORE
 * for _PyRuntimeState), checked live (test_run_stacks with TS_PYTHON set to
 * its python3.10): its frames are PyFrameObjects, tstate->frame the current
 * one, f_back the caller, f_lasti an index (an int), and its code objects
 * have no qualified name (co_name is used). 3.11: offsetof() compiled against
 * Debian's python3.11-dev headers, checked live (the BPF test walks 3.11's
 * frames with it). 3.12: counted from the v3.12 headers (PyThreadState lost
 * four ints, _PyCFrame its use_tracing, _PyInterpreterFrame starts with
 * f_code, PyASCIIObject its wstr), checked live with pyenv's 3.12.1;
 * _PyRuntime.interpreters.head is also checked in each process against two
 * candidates (pyfind.c's verify()).
 */
static const struct ts_py_offsets py_table[] = {
	{
		.minor = 10,
		.rt_interp_head = 32,
		.interp_threads = 8, /* tstate_head */
		.ts_next = 8,
		.ts_thread_id = 176,
		.ts_cframe = 24, /* tstate->frame, the PyFrameObject itself */
		.fr_code = 32,
		.fr_previous = 24, /* f_back */
		.fr_instr = 96,	   /* f_lasti, an int; f_lineno after it */
		.fr_owner = 0xff,
		.co_firstlineno = 40,
		.co_filename = 104,
		.co_qualname = 112, /* co_name */
		.co_linetable = 120,
		.co_code = 0,
		.str_ascii = 48,
		.str_compact = 72,
		.owner_cstack = 0xff,
		.flags = TS_PY_F_TSTATE_FRAME,
	},
	{
		.minor = 11,
		.rt_interp_head = 40,
		.interp_threads = 16,
		.ts_next = 8,
		.ts_thread_id = 152,
		.ts_cframe = 56,
		.cf_current = 8,
		.fr_code = 32,
		.fr_previous = 48,
		.fr_instr = 56,
		.fr_owner = 69,
		.co_firstlineno = 72,
		.co_filename = 112,
		.co_qualname = 128,
		.co_linetable = 136,
		.co_code = 184,
		.str_ascii = 48,
		.str_compact = 72,
		.owner_cstack = 0xff, /* 3.11 has no shim frames */
	},
	{
		.minor = 12,
		.rt_interp_head = 48, /* after 3.12's _finalizing_id */
		.interp_threads = 72,
		.ts_next = 8,
		.ts_thread_id = 136,
		.ts_cframe = 56,
		.cf_current = 0,
		.fr_code = 0,
		.fr_previous = 8,
		.fr_instr = 56,
		.fr_owner = 70,
		.co_firstlineno = 68,
		.co_filename = 112,
		.co_qualname = 128,
		.co_linetable = 136,
		.co_code = 192,
		.str_ascii = 40,
		.str_compact = 56,
		.owner_cstack = 3, /* FRAME_OWNED_BY_CSTACK */
	},
};

const struct ts_py_offsets *ts_py_offsets(unsigned int minor)
{
	size_t i;

	for (i = 0; i < sizeof(py_table) / sizeof(py_table[0]); i++)
		if (py_table[i].minor == minor)
			return &py_table[i];
	return NULL;
}

/*
 * _Py_DebugOffsets (Include/internal/pycore_debug_offsets.h; 3.13's in
 * pycore_runtime.h) is all uint64_t: cookie, version, free_threaded, then
 * parts, each starting with a size: runtime_state (3 fields), interpreter_state,
 * thread_state, interpreter_frame, code_object, pyobject, ... Parts grow
 * between versions and even between 3.14's pre-releases (interpreter_state
 * 13 fields in 3.13, 14 then 16 in 3.14; interpreter_frame 6, then 7 and 8;
 * code_object 10, then 11), so each part is found by what it must say, not
 * by a count per version: a thread state's prev, next and interp are at 0, 8
 * and 16; a frame's f_executable at 0 and previous at 8; the code object part
 * is followed by the PyObject part (size 16, ob_type at 8) and its fields lie
 * inside the object it sizes. A layout that matches none is refused.
 */
#define DBG_COOKIE	 "xdebugpy"
#define DBG_RT_HEAD	 40 /* runtime_state.interpreters_head */
#define DBG_INTERP	 48 /* interpreter_state */
#define DBG_PART_MIN	 6  /* the fewest fields a part after interpreter_state has had */
#define DBG_PART_GROWTH	 6  /* fields a part may have grown by */
#define DBG_INTERP_MIN	 13 /* interpreter_state's fields in 3.13 */
#define DBG_THREAD_MIN	 9  /* thread_state's */
#define DBG_CODE_MIN	 10 /* code_object's */
#define PY_OBJECT_SIZE	 16 /* sizeof(PyObject) of a default (GIL) build */
#define PY_ASCII_SIZE	 40 /* sizeof(PyASCIIObject), 3.12 and later */
#define PY_COMPACT_SIZE	 56 /* sizeof(PyCompactUnicodeObject) */
#define FRAME_OWNED_SHIM 3  /* 3.13 CSTACK; 3.14 INTERPRETER and CSTACK (4): no code */

struct dbg {
	const uint8_t *b;
	size_t len;
};

/* the field at byte off, or UINT64_MAX past the copy */
static uint64_t field(const struct dbg *d, size_t off)
{
	uint64_t v;

	if (off > d->len - 8)
		return UINT64_MAX;
	memcpy(&v, d->b + off, sizeof(v));
	return v;
}

/* The thread_state part: the first candidate that says prev 0, next 8, interp 16. */
static size_t find_thread(const struct dbg *d)
{
	size_t n, at;

	for (n = DBG_INTERP_MIN; n <= DBG_INTERP_MIN + DBG_PART_GROWTH; n++) {
		at = DBG_INTERP + 8 * n;
		if (field(d, at + 8) == 0 && field(d, at + 16) == 8 && field(d, at + 24) == 16)
			return at;
	}
	return 0;
}

/* The interpreter_frame part: f_executable 0, previous 8. */
static size_t find_frame(const struct dbg *d, size_t thread)
{
	size_t n, at;

	for (n = DBG_THREAD_MIN; n <= DBG_THREAD_MIN + DBG_PART_GROWTH; n++) {
		at = thread + 8 * n;
		if (field(d, at + 8) == 8 && field(d, at + 16) == 0)
			return at;
	}
	return 0;
}

/* Is this a code_object part: its names inside the object, co_code_adaptive its last bytes? */
static bool code_part(const struct dbg *d, size_t at)
{
	uint64_t size = field(d, at), adaptive = field(d, at + 72);
	unsigned int i;

	if (size < 64 || size > 4096 || adaptive >= size || adaptive + 16 < size)
		return false;
	for (i = 1; i <= 5; i++) { /* filename, name, qualname, linetable, firstlineno */
		uint64_t f = field(d, at + 8 * i);

		if (f < PY_OBJECT_SIZE || f >= size)
			return false;
	}
	return true;
}

/* The code_object part, right after the frame's, with the PyObject part after it. */
static size_t find_code(const struct dbg *d, size_t frame)
{
	size_t nf, nc, at;

	for (nf = DBG_PART_MIN; nf <= DBG_PART_MIN + DBG_PART_GROWTH; nf++) {
		at = frame + 8 * nf;
		if (!code_part(d, at))
			continue;
		for (nc = DBG_CODE_MIN; nc <= DBG_CODE_MIN + DBG_PART_GROWTH; nc++)
			if (field(d, at + 8 * nc) == PY_OBJECT_SIZE &&
			    field(d, at + 8 * nc + 8) == 8)
				return at;
	}
	return 0;
}

/* an offset BPF reads 8 bytes at, inside its window of the object */
static bool in_win(uint64_t off, unsigned int win)
{
	return off <= win - 8;
}

int ts_py_debug_offsets(const void *buf, size_t len, struct ts_py_offsets *o, unsigned int *minor)
{
	struct dbg d = { buf, len };
	uint64_t ver;
	size_t th, fr, co;

	memset(o, 0, sizeof(*o));
	if (len < TS_PY_DEBUG_BYTES || memcmp(buf, DBG_COOKIE, 8))
		return -ENOENT;
	ver = field(&d, 8);
	*minor = (ver >> 16) & 0xff;
	if ((ver >> 24) != 3 || *minor < 13 || field(&d, 16) != 0)
		return -ENOTSUP; /* free-threaded: other object headers */
	th = find_thread(&d);
	fr = th ? find_frame(&d, th) : 0;
	co = fr ? find_code(&d, fr) : 0;
	if (!co)
		return -ENOTSUP;
	/* what the BPF walk reads must be inside what it reads of each object */
	if (field(&d, DBG_RT_HEAD) > 0xffff || field(&d, DBG_INTERP + 24) > 0xffff ||
	    field(&d, th + 32) > 0xffff || field(&d, th + 40) > 0xffff ||
	    !in_win(field(&d, fr + 24), TS_PY_FRAME_WIN) || field(&d, fr + 40) >= TS_PY_FRAME_WIN ||
	    !in_win(field(&d, co + 8), TS_PY_CODE_WIN) ||
	    !in_win(field(&d, co + 24), TS_PY_CODE_WIN) ||
	    !in_win(field(&d, co + 32), TS_PY_CODE_WIN) ||
	    !in_win(field(&d, co + 40), TS_PY_CODE_WIN) || field(&d, co + 72) > 0xffff)
		return -ENOTSUP;
	o->minor = *minor;
	o->rt_interp_head = field(&d, DBG_RT_HEAD);
	o->interp_threads = field(&d, DBG_INTERP + 24);
	o->ts_next = 8;
	o->ts_cframe = field(&d, th + 32); /* current_frame */
	o->ts_thread_id = field(&d, th + 40);
	o->fr_previous = 8;
	o->fr_code = 0;
	o->fr_instr = field(&d, fr + 24); /* instr_ptr */
	o->fr_owner = field(&d, fr + 40);
	o->co_filename = field(&d, co + 8);
	o->co_qualname = field(&d, co + 24);
	o->co_linetable = field(&d, co + 32);
	o->co_firstlineno = field(&d, co + 40);
	o->co_code = field(&d, co + 72);
	o->str_ascii = PY_ASCII_SIZE;
	o->str_compact = PY_COMPACT_SIZE;
	o->owner_cstack = FRAME_OWNED_SHIM;
	o->flags = TS_PY_F_TSTATE_FRAME;
	return 0;
}
