/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Times and counts a record may carry. ts_rec_check (decode.h) makes a record
 * safe to read; this says whether what it says can be drawn: an end before
 * its start, a time near 2^64 or far outside the trace, a duration that would
 * overflow, a count no run can reach. A traced process writes the --gpu-time
 * records itself, and a capture file can say anything: the correlator drops
 * what fails here and counts it (ts_trace_meta.invalid), before any writer
 * sees it, live and on replay alike.
 */
#ifndef TS_VALIDATE_H
#define TS_VALIDATE_H

#include <stdint.h>

enum ts_invalid {
	TS_VALID = 0,
	TS_INV_END_BEFORE_START, /* a GPU record that ends before it starts */
	TS_INV_TIME,		 /* a time or duration outside the trace's span */
	TS_INV_COUNT,		 /* a count beyond any real one */
	TS_INV__COUNT,
};

/* No CLOCK_MONOTONIC (or, merged, CLOCK_REALTIME) time reaches this: 146 years. */
#define TS_TIME_MAX (1ull << 62)
/*
 * How far after the trace's clock base a record may end: -d is at most a
 * year; a run with no -d that goes on longer has what comes later dropped and
 * counted (the capture keeps it).
 */
#define TS_SPAN_MAX_NS (400ull * 86400 * 1000000000)
/*
 * How long before the clock base a drawn record may start. The base is read
 * before the probes attach, so only a GPU clock's calibration error (under a
 * second, TS_GPUI_CLOCK) puts a real record before it.
 */
#define TS_EARLY_MAX_NS (60ull * 1000000000)
/* Activity records CUPTI may say it dropped in one report */
#define TS_COUNT_MAX (1ull << 40)

/*
 * Is a record that passed ts_rec_check drawable? base is the trace's clock
 * base (CLOCK_MONOTONIC ns of trace time 0), 0 while none is known.
 */
enum ts_invalid ts_rec_validate(const void *rec, uint64_t base);

/* The same check of one interval [t, t + dur] a record carries inside it (an NVTX range). */
enum ts_invalid ts_interval_validate(uint64_t t, uint64_t dur, uint64_t base);

/* "end_before_start", "time_outside_trace", "count_out_of_range" */
const char *ts_invalid_name(enum ts_invalid why);

/* The sum of counts[1..TS_INV__COUNT-1], saturating */
uint64_t ts_invalid_total(const uint64_t counts[TS_INV__COUNT]);

/* a + b, held at UINT64_MAX: a sum of counts never wraps */
static inline uint64_t ts_sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

#endif
