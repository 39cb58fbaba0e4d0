/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The stats writer's aggregates: stats.c builds them, stats_print.c prints
 * them (and calls nothing in stats.c).
 */
#ifndef TS_STATS_INT_H
#define TS_STATS_INT_H

#include "lib/hashmap.h"
#include "encode/outbuf.h"
#include "write/stats_writer.h"
#include "lib/strmap.h"

#define ST_MAX_VARIANTS 4

struct st_api {
	struct ts_samples h; /* exact: every duration kept */
	uint64_t errors;
	/* the exported variants called (cuLaunchKernel, cuLaunchKernel_ptsz, ...) */
	struct {
		char name[56];
		uint64_t calls;
	} var[ST_MAX_VARIANTS];
	unsigned int nvar;
	uint64_t other_var; /* calls of variants past the first ST_MAX_VARIANTS */
};

#define ST_MAX_SHAPES 4

struct st_kernel {
	uint64_t count, total_ns;
	unsigned int nshapes;
	uint64_t other_shapes; /* launches with a shape past the first ST_MAX_SHAPES */
	struct {
		uint32_t g[3], b[3];
		uint64_t n;
	} shapes[ST_MAX_SHAPES];
};

#define ST_SIZE_BUCKETS 5 /* <=4K <=64K <=1M <=16M >16M */

struct st_copy {
	uint64_t count, bytes;
	uint64_t sync_bytes, sync_ns; /* synchronous copies: effective bandwidth */
	uint64_t sizes[ST_SIZE_BUCKETS];
};

struct st_time {
	uint64_t ns, calls;
};

struct st_proc {
	char name[128];
	uint64_t calls;
	int64_t peak_mem;
};

struct st_stream {
	char name[128];
	uint64_t ops, busy_ns;
};

struct st_alloc {
	uint64_t ptr, size;
	uint32_t pid, tid;
	char fn[32];
};

struct stats_writer {
	struct ts_writer base;
	struct ts_out out;
	bool json;
	struct ts_trace_meta meta;
	struct ts_named apis, kernels, copies, driver, syncs, sync_sites, procs, streams;
	struct st_copy *last_copy;
	uint64_t last_copy_corr, last_copy_bytes;
	/* kernel slices with measured (--gpu-time) and with host-submit times */
	uint64_t kernels_measured, kernels_host;
	/* live device allocations: (pid, ptr) -> index in allocs */
	struct ts_hmap live;
	struct st_alloc *allocs;
	size_t nallocs, alloc_cap;
	uint64_t n_alloc, n_free, bytes_alloc;
};

/* stats_print.c: the report, from the aggregates as finish leaves them */
void st_print_text(const struct stats_writer *st, struct ts_out *o);
void st_print_json(const struct stats_writer *st, struct ts_out *o);

#endif
