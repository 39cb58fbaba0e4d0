/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a stream of records goes: the correlator (and from it a trace
 * writer, correlate.h), or a capture file (capture.h). Live tracing and
 * replay feed the same sinks.
 */
#ifndef TS_SINK_H
#define TS_SINK_H

struct ts_sink {
	/* rec passed ts_rec_check; returns 0 or -errno (which stops the run) */
	int (*put)(struct ts_sink *s, const void *rec);
};

#endif
