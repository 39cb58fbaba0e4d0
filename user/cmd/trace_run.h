/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `trace`'s run (cmd/trace.c) with a live view over it: `top` (cmd/top.c)
 * is the same run, its files none, its metrics writer drawn on the terminal.
 */
#ifndef TS_TRACE_RUN_H
#define TS_TRACE_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include "write/writer.h"

struct ts_trace_view {
	/* Before anything starts: can the view be drawn? 0, or -errno said. */
	int (*check)(void *ctx);
	/* The probes are live, the target not yet let go: draw over w; 0 or -errno said. */
	int (*start)(void *ctx, struct ts_writer *w, const char *what);
	/*
	 * After each drain (about every 50 ms): true ends the run (the key q).
	 * gone: the target has ended; the run goes on until the view says so.
	 */
	bool (*tick)(void *ctx, uint64_t now, bool gone);
	/* The terminal as it was; called once on every path after start. */
	void (*end)(void *ctx);
	void *ctx;
};

/*
 * The whole run: options (top's when view is set), setup, the drain loop,
 * the files. The command's exit status.
 */
int ts_trace_run(int argc, char **argv, const struct ts_trace_view *view);

#endif
