/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Finding the CPython interpreter of a traced process, for --stacks: the
 * executable or libpython mapped in it that defines _PyRuntime, its version
 * (_Py_DebugOffsets or Py_Version, read from the process), and where things
 * are in that version (pylayout.h). What BPF needs goes into
 * struct ts_py_proc.
 */
#ifndef TS_PYFIND_H
#define TS_PYFIND_H

#include <stddef.h>
#include <stdint.h>
#include "tracesmith.h"

/*
 * 0 and *out filled; -ENOENT: no CPython in the process (or it is gone);
 * -EAGAIN: an interpreter not started yet (ask again later); -ENOTSUP: a
 * version the table lacks (*minor says which). path gets the file found.
 */
int ts_py_find(uint32_t pid, struct ts_py_proc *out, unsigned int *minor, char *path,
	       size_t path_len);

#endif
