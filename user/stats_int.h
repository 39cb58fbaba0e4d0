/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The stats writer's aggregates, shared by stats.c (collecting) and stats_print.c. */
#ifndef TS_STATS_INT_H
#define TS_STATS_INT_H

#include "hashmap.h"
#include "outbuf.h"
#include "stats.h"
#include "strmap.h"

/* name -> aggregate: a calloc'd struct of the caller's choosing, in ->val */
#define ts_named   ts_strmap
#define ENT_VAL(e) ((void *)(uintptr_t)(e)->val)

void *ts_named_get(struct ts_strmap *t, const char *name, size_t len, size_t size);
void ts_named_free(struct ts_strmap *t);
struct ts_strmap_ent **ts_named_sorted(const struct ts_strmap *t,
				       int (*cmp)(const void *, const void *));

struct st_api {
	struct ts_hist h;
	uint64_t errors;
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
	/* live device allocations: (pid, ptr) -> index in allocs */
	struct ts_hmap live;
	struct st_alloc *allocs;
	size_t nallocs, alloc_cap;
	uint64_t n_alloc, n_free, bytes_alloc;
};

void st_kernel_add(struct st_kernel *k, uint64_t dur, const struct ts_arg *g,
		   const struct ts_arg *b);
void st_copy_add(struct st_copy *c, uint64_t bytes);
void st_sync_add(struct stats_writer *st, const struct ts_slice *s);
void st_memory_add(struct stats_writer *st, const struct ts_slice *s, int64_t result);
void st_print_text(struct stats_writer *st, struct ts_out *o);
void st_print_json(struct stats_writer *st, struct ts_out *o);

#endif
