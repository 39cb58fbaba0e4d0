/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --metrics: one more writer, fed the same events as the trace formats by its
 * own correlator, that keeps counters in fixed-size tables and renders them
 * as a Prometheus page on demand. The drain loop updates it; the HTTP server's
 * thread renders it: both under the writer's mutex.
 *
 * Bounds (label sets stay bounded whatever the traced processes do):
 */
#ifndef TS_METRICS_WRITER_H
#define TS_METRICS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "write/prom_text.h"
#include "write/writer.h"

/* processes with their own series; the rest, and exited ones when room is needed, in "other" */
#define TS_METRICS_PROCS 32
/* kernel names with their own series: the first ones launched; later ones in "other" */
#define TS_METRICS_KERNELS 50
/* API functions (the hook table's names, so in practice all of them) */
#define TS_METRICS_FUNCTIONS 256
/* distinct CUresult codes of failed calls */
#define TS_METRICS_CODES 32
/* the slowest synchronize calls kept (for top) */
#define TS_METRICS_SLOW 5
/* a page is at most this big (the tables above need well under half) */
#define TS_METRICS_PAGE_MAX (1u << 20)

int ts_metrics_writer_open(struct ts_writer **out);
/*
 * What the drain loop knows: records read from the ring buffer, records lost
 * to a full ring, and the ring's fill (bytes waiting) and size.
 */
void ts_metrics_ring(struct ts_writer *w, uint64_t records, uint64_t drops, uint64_t fill,
		     uint64_t size);
/*
 * The page now, malloc'd in *page (the caller frees it), its length in *len.
 * 0, -ENOMEM, or -EFBIG if it would pass TS_METRICS_PAGE_MAX.
 */
int ts_metrics_render(struct ts_writer *w, char **page, size_t *len);

/*
 * `top`'s view (cmd/top.c): the same tables, copied out under the writer's
 * mutex, so a screen never shows a half-updated row. Names are the label
 * values: escaped and cut as on the page.
 */
struct ts_metrics_proc_row {
	uint32_t pid;
	bool other, exited;
	int64_t rank, nranks; /* NCCL: the widest communicator's; nranks 0: none known */
	char comm[64];
	uint64_t calls, launches, errors, sync_ns;
	/* the GPU work it submitted: ops, their time; gpu: some of it measured (--gpu-time) */
	bool gpu;
	uint64_t gpu_ops, gpu_ns;
};

struct ts_metrics_kernel_row {
	char name[TS_PROM_LABEL_MAX];
	bool other;
	bool gpu; /* some of its time measured (--gpu-time); else host-submit times */
	uint64_t n, ns;
};

struct ts_metrics_sync_row {
	uint32_t pid;
	char call[48];
	uint64_t dur;
};

struct ts_metrics_view {
	struct ts_metrics_proc_row procs[TS_METRICS_PROCS + 1];
	unsigned int nprocs;
	struct ts_metrics_kernel_row
		kernels[TS_METRICS_KERNELS + 1]; /* in row order, "other" last */
	unsigned int nkernels;
	struct ts_metrics_sync_row slowest[TS_METRICS_SLOW]; /* longest first */
	unsigned int nslow;
	uint64_t calls, errors, records, drops, ring_fill, ring_size;
};

/* Copy the tables out now. */
void ts_metrics_view(struct ts_writer *w, struct ts_metrics_view *v);

#endif
