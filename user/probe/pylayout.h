/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where things are in each CPython version's memory (x86-64), for --stacks:
 * a table for 3.10-3.12, derived from each version's headers, and for 3.13
 * and later the interpreter's own _Py_DebugOffsets (the start of _PyRuntime)
 * read into the same struct ts_py_offsets. Pure functions on bytes: the unit
 * tests run them on canned copies (tests/fixtures/py*_debug_offsets.bin).
 */
#ifndef TS_PYLAYOUT_H
#define TS_PYLAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include "tracesmith.h"

/* bytes of _PyRuntime read for its _Py_DebugOffsets: every part we use is inside */
#define TS_PY_DEBUG_BYTES 512

/* The offsets of CPython 3.minor from the table (3.10-3.12), or NULL. */
const struct ts_py_offsets *ts_py_offsets(unsigned int minor);

/*
 * The offsets from a copy of _PyRuntime's first len bytes (3.13 and later):
 * 0 and *o, *minor filled; -ENOENT: no "xdebugpy" cookie (not 3.13+, or not
 * initialised yet); -ENOTSUP: a layout we cannot walk (a free-threaded build,
 * a field outside what BPF reads, parts not where any known version has them).
 */
int ts_py_debug_offsets(const void *buf, size_t len, struct ts_py_offsets *o, unsigned int *minor);

#endif
