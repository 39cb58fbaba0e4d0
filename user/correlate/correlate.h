/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The correlator: checked records in, trace events out (through a writer).
 * It pairs nothing itself (BPF emits one record per call); it keeps the maps
 * that give the records meaning: handle -> kernel name, stream -> context ->
 * device, thread -> current context, pointer -> allocation size.
 */
#ifndef TS_CORRELATE_H
#define TS_CORRELATE_H

#include <stdbool.h>
#include <stdint.h>
#include "record/sink.h"
#include "write/writer.h"
#include "record/validate.h"

struct ts_corr;

struct ts_corr_stats {
	uint64_t records;
	uint64_t api_calls;
	uint64_t gpu_ops;
	uint64_t gpu_host_timed; /* of them, drawn with the submitting call's times */
	uint64_t gpu_measured;	 /* drawn with CUPTI's GPU times (--gpu-time) */
	uint64_t gpu_unjoined;	 /* of those, no traced call submitted it (before attach, drops) */
	uint64_t cupti_dropped;	 /* activity records CUPTI said it dropped */
	uint64_t driver_calls;
	uint64_t unknown_syms; /* calls whose symbol id the stream never defined */
	uint64_t graphs_cut;   /* graphs not kept: over TS_GRAPH_MAX_PER_PROC in a process */
	uint64_t drops;	       /* from META_DROPS */
	/* NVTX: ranges and marks drawn; events not kept (bounds), pops and ends that matched
	 * nothing, ranges still open when their process exited or the trace ended */
	uint64_t nvtx_ranges, nvtx_marks, nvtx_cut, nvtx_unmatched, nvtx_unclosed;
	uint64_t nccl_comms_cut;	 /* NCCL communicators not kept: over TS_NCCL_MAX_COMMS */
	uint64_t invalid[TS_INV__COUNT]; /* records dropped by ts_rec_validate, by reason */
};

struct ts_corr *ts_corr_new(struct ts_writer *w, const char *version);
/* Feed one record that passed ts_rec_check. Returns 0 or -errno. */
int ts_corr_feed(struct ts_corr *c, const void *rec);
/* Write out what the writer holds now (an idle tick of a live run). */
void ts_corr_sync(struct ts_corr *c);
/* Close the trace: trailer, metadata; returns the writer's result. */
int ts_corr_finish(struct ts_corr *c, bool incomplete);
const struct ts_corr_stats *ts_corr_stats(const struct ts_corr *c);

/* A sink that feeds a correlator. */
struct ts_corr_sink {
	struct ts_sink base;
	struct ts_corr *corr;
};
void ts_corr_sink_init(struct ts_corr_sink *s, struct ts_corr *corr);

void ts_corr_free(struct ts_corr *c);

#endif
