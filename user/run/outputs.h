/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The files one run writes, all fed the same record stream: trace formats
 * (through a correlator each) and raw captures. `-o run.tsbpf -o trace.json`
 * records and converts in one go.
 */
#ifndef TS_OUTPUTS_H
#define TS_OUTPUTS_H

#include <stdbool.h>
#include "record/capture.h"
#include "correlate/correlate.h"
#include "record/sink.h"

#define TS_MAX_OUTPUTS 4

struct ts_output {
	const char *path;
	struct ts_writer *w;
	struct ts_corr *corr;
	struct ts_corr_sink cs;
	struct ts_capture *cap;
	struct ts_sink *sink;
};

struct ts_outputs {
	struct ts_sink base; /* feeds every output */
	unsigned int n;
	const char *failed; /* the first output that failed (its path as given), and how */
	int failed_err;
	struct ts_output o[TS_MAX_OUTPUTS + 1]; /* the -o files, and --metrics' writer */
};

/*
 * Open every path (the extension picks the format), each a new file beside
 * its target (outfile.h); input, if not NULL, is the file the run reads, which
 * no output may overwrite. -errno, with a message, if one fails: nothing at
 * any path has changed then. Whole or nothing (ts_outfile_set_whole), an
 * output that cannot be opened, written or closed is not said here: it is in
 * outs->failed for the caller's one line.
 */
int ts_outputs_open(struct ts_outputs *outs, char *const *paths, unsigned int n, const char *input);
/*
 * One more output that is a writer with no file (--metrics): fed through its
 * own correlator, owned by outs from then on (0), or still the caller's (-errno).
 */
int ts_outputs_add_writer(struct ts_outputs *outs, const char *name, struct ts_writer *w);
/* Write out what each output holds (an idle tick of a live run). */
void ts_outputs_sync(struct ts_outputs *outs);
/* Finish all and put them in place; returns the first error, each one reported. NULL-safe. */
int ts_outputs_close(struct ts_outputs *outs, bool incomplete);
/* The run never started: remove every new file, change nothing at the paths. NULL-safe. */
void ts_outputs_discard(struct ts_outputs *outs);

/*
 * Replay a capture into outputs through the same record path as live tracing
 * (`replay`; `stats` and `query` replay into the stats and SQLite writers):
 * 0, or 1 with what went wrong said. salvage keeps what came before bad data;
 * without it a failed replay leaves every output path as it was.
 */
int ts_replay_file(const char *in, char **out, unsigned int nout, bool salvage);

#endif
