/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CPython 3.10's line table (co_linetable, Objects/lnotab_notes.txt in its
 * source): the line of a bytecode offset. 3.11 and later have another format
 * (callsite.c reads it).
 */
#ifndef TS_PYLINE310_H
#define TS_PYLINE310_H

#include <stddef.h>
#include <stdint.h>

/*
 * The line of the instruction at byte offset addr: -1 when it has no line,
 * -2 when the table (len bytes of it) does not reach it.
 */
int64_t ts_py310_line(const uint8_t *table, size_t len, int32_t firstlineno, uint64_t addr);

#endif
