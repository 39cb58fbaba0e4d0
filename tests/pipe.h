/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the correlator without BPF: canned records (canned.h) through a
 * correlator into a JSON trace at path, loaded back for assertions. A
 * process 100 ("python train.py ...") with a thread 100 is there from the start.
 */
#ifndef TS_PIPE_H
#define TS_PIPE_H

#include "canned.h"
#include "correlate/correlate.h"
#include "trace_json.h"
#include "write/writer.h"

struct pipe {
	struct ts_writer *w;
	struct ts_corr *corr;
	struct ts_corr_sink cs;
	struct canned c;
	struct trace t;
	const char *path;
};

void pipe_open(struct pipe *p, const char *path, uint64_t mode);
/* The same into writer w (its file at path), which the pipe then owns. */
void pipe_open_writer(struct pipe *p, const char *path, uint64_t mode, struct ts_writer *w);
/* End the stream, finish the trace and, a .json one, load it into p->t. */
void pipe_close(struct pipe *p);
void pipe_free(struct pipe *p);

#endif
