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
	bool failed;   /* -p: it could not be (said): the run's status is 1 */
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
 * -p, before anything starts: can the library go into pid without harming
 * it (the same mount namespace, no seccomp filter, not stopped)? 0, or
 * -errno with one line said saying what to do instead.
 */
int ts_gpu_time_check_pid(pid_t pid);
/*
 * -p: load the library into the running process pid (ptrace + dlopen) and
 * start it, waiting for the call however long it takes (it may hold the
 * loader lock). 0, or -errno with one line said, naming the real cause (the
 * process ended or was stopped, ...); the trace goes on without GPU times
 * and g->failed is set. ts_gpu_time_eject, when the trace ends with the process still
 * there (-p, or a -- command the tracer is about to stop): CUPTI stopped in
 * it and its last records handed over, so nothing measured is lost.
 */
int ts_gpu_time_inject(struct ts_gpu_time *g, pid_t pid, const char *cupti);
void ts_gpu_time_eject(struct ts_gpu_time *g, pid_t pid);

/* Remove what prepare wrote. NULL-safe, and safe on a zeroed struct. */
void ts_gpu_time_cleanup(struct ts_gpu_time *g);

#endif
