/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --gpu-time on the tracer's side: the injection library (user/cupti/), built
 * into this binary, written out for the traced command to load, and the
 * environment that makes the CUDA driver load it.
 */
#ifndef TS_GPUTIME_H
#define TS_GPUTIME_H

#include <stddef.h>

struct ts_gpu_time {
	char dir[256]; /* a private folder for the library; removed at the end */
	char lib[320];
};

/*
 * Write the library out and set CUDA_INJECTION64_PATH (and TRACESMITH_CUPTI
 * to cupti, when given) for the command about to start. 0, or -errno with
 * one line said.
 */
int ts_gpu_time_prepare(struct ts_gpu_time *g, const char *cupti);
/* Remove what prepare wrote. NULL-safe, and safe on a zeroed struct. */
void ts_gpu_time_cleanup(struct ts_gpu_time *g);

#endif
