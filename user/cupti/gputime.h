/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --gpu-time on the tracer's side: the injection library (user/cupti/), built
 * into this binary, written out for the traced command to load, and the
 * environment that makes the CUDA driver load it.
 */
#ifndef TS_GPUTIME_H
#define TS_GPUTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ts_gpu_time {
	char dir[256]; /* a private folder for the library; removed at the end */
	char lib[320];
	bool injected; /* -p: loaded into the process with ptrace */
};

/*
 * Write the library out and set CUDA_INJECTION64_PATH (and TRACESMITH_CUPTI
 * to cupti, when given) for the command about to start. 0, or -errno with
 * one line said.
 */
int ts_gpu_time_prepare(struct ts_gpu_time *g, const char *cupti);
/* The same for -p: the library written, no environment set. */
int ts_gpu_time_prepare_attach(struct ts_gpu_time *g);
/*
 * -p: load the library into the running process pid (ptrace + dlopen) and
 * start it. 0, or -errno with one line said (the trace goes on without GPU
 * times). ts_gpu_time_eject, when the trace ends with the process still
 * there (-p, or a -- command the tracer is about to stop): CUPTI stopped in
 * it and its last records handed over, so nothing measured is lost.
 */
int ts_gpu_time_inject(struct ts_gpu_time *g, pid_t pid, const char *cupti);
void ts_gpu_time_eject(struct ts_gpu_time *g, pid_t pid);

/* Remove what prepare wrote. NULL-safe, and safe on a zeroed struct. */
void ts_gpu_time_cleanup(struct ts_gpu_time *g);

#endif
