/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `tracesmith-bpf trace`'s options: what to trace, where to, and how (trace_opts.c). */
#ifndef TS_TRACE_OPTS_H
#define TS_TRACE_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "run/child.h"
#include "run/flight.h"
#include "run/outputs.h"

/* -d's bound: a year */
#define MAX_DURATION_S 31536000

struct trace_opts {
	pid_t pid;
	bool all;
	char *out[TS_MAX_OUTPUTS];
	unsigned int nout;
	const char *lib;
	const char *lib_under;
	double duration;
	uint32_t rb_mb;
	bool no_driver, driver_only;
	bool gpu_time;	     /* --gpu-time: CUPTI's GPU times, through the injection library */
	const char *cupti;   /* --cupti PATH */
	uint64_t start_at;   /* --start-at: CLOCK_REALTIME ns to record from (0: now) */
	const char *metrics; /* --metrics ADDR:PORT */
	bool stacks;	     /* --stacks: each call's native caller and Python stack */
	bool no_nvtx;	     /* --no-nvtx: leave the -- command's NVTX alone */
	bool runtime_api;    /* --runtime-api: hook libcudart too (ts_libs' opt_in) */
	enum ts_kill kill;
	char **cmd;
	bool top;     /* `top`: the live view, no files */
	bool flight;  /* --flight-recorder: in memory, written on a trigger */
	bool fl_opts; /* one of the options that go with it */
	struct ts_flight_opts fl;
};

/*
 * Parse and check the command line: 0; 1 when --help was asked (said); -EINVAL
 * with the reason said.
 */
int ts_trace_parse_opts(int argc, char **argv, struct trace_opts *o);
/* The same for `top`: what to trace and how, but no files (-o, --stats, --flight-recorder). */
int ts_top_parse_opts(int argc, char **argv, struct trace_opts *o);

#endif
