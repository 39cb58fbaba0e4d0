/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a stream of records goes: the correlator (and from it a trace
 * writer), or a capture file. Live tracing and replay feed the same sinks.
 */
#ifndef TS_SINK_H
#define TS_SINK_H

#include <stdint.h>
#include "correlate.h"
#include "hashmap.h"

struct ts_sink {
	/* rec passed ts_rec_check; returns 0 or -errno (which stops the run) */
	int (*put)(struct ts_sink *s, const void *rec);
};

/* A sink that feeds a correlator. */
struct ts_corr_sink {
	struct ts_sink base;
	struct ts_corr *corr;
};
void ts_corr_sink_init(struct ts_corr_sink *s, struct ts_corr *corr);

/*
 * The live side: turns ring-buffer records into a complete stream, adding the
 * metadata the decoder needs offline (process command lines, symbols, ...).
 */
struct ts_live {
	struct ts_sink *sink;
	struct ts_hmap seen; /* pids already described by a META_PROC */
	uint64_t records;    /* from BPF */
	uint64_t bad;	     /* records that failed ts_rec_check */
	int err;	     /* the sink's first error */
	const char *lib;     /* libcuda path, recorded per process */
	const char *build_id;
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
/* ring_buffer_sample_fn */
int ts_live_on_record(void *ctx, void *data, size_t size);
/* Closing records: drops, end marker. */
int ts_live_end(struct ts_live *l, uint64_t drops);
void ts_live_free(struct ts_live *l);

#endif
