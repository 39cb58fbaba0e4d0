/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Canned record streams for tests without BPF: records built exactly as the
 * BPF side and the live metadata side build them, fed to any sink.
 */
#ifndef TS_CANNED_H
#define TS_CANNED_H

#include <stdint.h>
#include "run/live.h"

/* trace time 0 of every canned stream, in CLOCK_MONOTONIC ns */
#define CANNED_BASE 1000000000ull

struct canned {
	struct ts_sink *sink;
	struct ts_live live; /* writes START and the symbol table */
	int err;
};

void canned_start(struct canned *c, struct ts_sink *sink, uint64_t mode);
void canned_proc(struct canned *c, uint32_t pid, const char *cmd);
void canned_thread(struct canned *c, uint32_t pid, uint32_t tid, const char *comm);
/* A call of the exported symbol sym, at CANNED_BASE + ts; vals in the hook's order. */
void canned_api(struct canned *c, uint32_t pid, uint32_t tid, uint64_t ts, uint64_t dur, int ret,
		const char *sym, const uint64_t *vals, unsigned int nvals, const char *str);
void canned_exit(struct canned *c, uint32_t pid);
void canned_thread_exit(struct canned *c, uint32_t pid, uint32_t tid);
/* --gpu-time: the injection library started in pid: its submits are held for GPU records. */
void canned_gpu_started(struct canned *c, uint32_t pid);
/*
 * A kernel CUPTI measured at [start, end] on its stream cupti_stream, whose
 * call on tid holds api_ts (all from CANNED_BASE, as canned_api's ts).
 */
void canned_gpu_kernel(struct canned *c, uint32_t pid, uint32_t tid, uint64_t start, uint64_t end,
		       uint64_t api_ts, uint32_t cupti_stream);
void canned_end(struct canned *c);
void canned_free(struct canned *c);

/* The symbol id of an exported name, or -1. */
int canned_sym_id(const char *sym);

#endif
