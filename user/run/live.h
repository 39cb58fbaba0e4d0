/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TS_LIVE_H
#define TS_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/hashmap.h"
#include "tracesmith.h"
#include "probe/names.h"
#include "record/sink.h"

/*
 * The live side: turns ring-buffer records into a complete stream, adding the
 * metadata the decoder needs offline (process command lines, symbols, ...).
 */
/* --stacks: the live side of call sites (run/sites.c), through these calls */
struct ts_live_sites {
	void (*proc)(void *ctx, uint32_t pid); /* a process seen: its maps, its interpreter */
	void (*look)(void *ctx, uint32_t pid); /* its interpreter, if not settled yet */
	bool (*caller)(void *ctx, uint32_t pid, uint64_t addr, char *out, size_t len);
	void (*exit)(void *ctx, uint32_t pid);
	void *ctx;
};

struct ts_live {
	struct ts_sink *sink;
	const struct ts_live_sites *sites; /* NULL without --stacks */
	struct ts_hmap seen; /* (pid, 0) -> the name its last META_PROC gave it (malloc'd) */
	uint64_t records;    /* from BPF */
	uint64_t api_calls;  /* of them, hooked CUDA calls */
	bool stub_seen;	     /* a call said the library is NVIDIA's stub */
	uint64_t bad;	     /* records that failed ts_rec_check */
	int err;	     /* the sink's first error */
	const char *lib;     /* libcuda path, recorded per process */
	const char *build_id;
	struct ts_names names; /* kernels named before the trace began */
	uint64_t start_ns; /* --start-at: records before this CLOCK_MONOTONIC time are not kept */
	/* --gpu-time: what the injection library said */
	bool gpu_time;
	uint64_t gpu_started, gpu_failed, gpu_records, cupti_dropped;
	/* a watched library mapped (TS_REC_LIB_MAP): hook it, resume the process */
	void (*on_lib_map)(void *ctx, const struct ts_rec_lib_map *r);
	void *lib_map_ctx;
};

/*
 * The stream's opening: clock base (CLOCK_MONOTONIC ns; 0 = now), tracer
 * command line, symbol table.
 */
int ts_live_start(struct ts_live *l, uint64_t mode, uint64_t mono, const char *version,
		  const char *cmdline);
/*
 * Describe a process now (its META_PROC), for processes whose /proc entry may
 * be gone by the time their first record is drained: the command we started.
 */
int ts_live_describe(struct ts_live *l, uint32_t pid, uint64_t ts, const char *cmd, size_t n);
/* Describe a process from /proc now, unless it already has a name: -p's target at attach. */
int ts_live_describe_pid(struct ts_live *l, uint32_t pid, uint64_t ts);
/* ring_buffer_sample_fn */
int ts_live_on_record(void *ctx, void *data, size_t size);
/* Closing records: drops, end marker. */
int ts_live_end(struct ts_live *l, uint64_t drops);
void ts_live_free(struct ts_live *l);

#endif
