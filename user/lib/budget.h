/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The memory budget (README "Memory budget"): every table keyed by what a
 * traced process or a capture chooses has a cap, so that the tracer stays
 * within about 128 MiB beside the ring buffer however many distinct names,
 * streams or ids come. What a cap turns away is counted per table, said once
 * on stderr, and written in the trace's metadata (cut_by_memory_budget); the
 * event itself is never lost, only drawn with less (a kernel as its handle, a
 * stream on a shared overflow track).
 */
#ifndef TS_BUDGET_H
#define TS_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Correlator tables. A name costs its bytes, so names are capped in bytes too. */
#define TS_CAP_KERNEL_NAMES	 65536	    /* CUfunction/CUkernel handle -> name */
#define TS_CAP_KERNEL_NAME_BYTES (16 << 20) /* their demangled names together */
#define TS_CAP_CUPTI_NAMES	 65536	    /* --gpu-time: CUPTI name id -> name */
#define TS_CAP_CUPTI_NAME_BYTES	 (16 << 20)
#define TS_CAP_STREAMS		 16384	/* streams with their own tracks (~400 bytes each) */
#define TS_CAP_ALLOCS		 262144 /* live device allocations, for the memory counter */
/* Graph nodes kept, of all graphs and execs together (a node ~100 bytes, twice at most while
 * its graph grows): past it, a graph launch draws the nodes kept and counts the rest. */
#define TS_CAP_GRAPH_NODES 131072
/* Threads with state (~700 bytes each), all processes together: past it, a new thread's
 * records are drawn on its process's one overflow thread (TS_TID_OVERFLOW). */
#define TS_CAP_THREADS 16384
/* Live processes with state, all together (a capture may name any pid): past it, a new
 * process's records are drawn on one overflow process (TS_PID_OVERFLOW). */
#define TS_CAP_PROCS	8192
#define TS_CAP_CONTEXTS 65536 /* CUcontext -> device */
/* Live: handles the name reader knows named or unnameable (names.c, 8 bytes of value each) */
#define TS_CAP_KNOWN_HANDLES 131072
/* Writers' string tables (.pftrace interning, .sqlite StringIds): past these, strings are
 * written as they are, each time. */
#define TS_CAP_STRINGS	    32768
#define TS_CAP_STRING_BYTES (8 << 20)
/* --stacks: distinct call stacks (~600 bytes each, their frames' ids) and distinct frames
 * (~200 bytes and their names) kept: past them, a call's stack is drawn as one shared
 * "(call stacks past the memory budget)" frame, its text args unchanged. */
#define TS_CAP_CALLSTACKS   8192
#define TS_CAP_STACK_FRAMES 65536
/* The stats' aggregates per name (~300 bytes each): past this, summed as one "others". */
#define TS_CAP_STATS_NAMES 16384

enum ts_cut_table {
	TS_CUT_KERNEL_NAMES,
	TS_CUT_CUPTI_NAMES,
	TS_CUT_STREAMS,
	TS_CUT_ALLOCS,
	TS_CUT_CONTEXTS,
	TS_CUT_GRAPH_NODES,
	TS_CUT_THREADS,
	TS_CUT_PROCS,
	TS_CUT_CALLSTACKS,
	TS_CUT__COUNT,
};

/* What the caps turned away, per table. */
struct ts_cuts {
	uint64_t n[TS_CUT__COUNT];
};

/* The table's key in the trace's metadata ("kernel_names", ...). */
const char *ts_cut_name(enum ts_cut_table t);
/* One entry turned away: counted, and said on stderr the first time in this process
 * (each output has its correlator: the same cut is not said once per output). */
void ts_cut(struct ts_cuts *c, enum ts_cut_table t);
/* n entries turned away at once (n may be 0: nothing then). */
void ts_cut_n(struct ts_cuts *c, enum ts_cut_table t, uint64_t n);
bool ts_cuts_any(const struct ts_cuts *c);

#endif
