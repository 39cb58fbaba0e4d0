/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Log-linear latency histograms: 8 sub-buckets per power of two, fixed memory. */
#ifndef TS_HIST_H
#define TS_HIST_H

#include <stdint.h>

#define TS_HIST_SUB	8
#define TS_HIST_BUCKETS (64 * TS_HIST_SUB)

struct ts_hist {
	uint64_t count, sum, max;
	uint32_t b[TS_HIST_BUCKETS];
};

/*
 * Exact statistics: every value kept (8 bytes each), sorted once at the end,
 * so median and percentiles are values that occurred, never bucket edges;
 * mean and variance by Welford's method. Memory: 8 bytes per call of a
 * function, as many calls as the trace holds.
 */
struct ts_samples {
	uint64_t count, sum, min, max;
	double mean, m2;
	uint64_t *v;
	uint64_t cap;
	int err; /* -ENOMEM once a value could not be kept: quantiles are then of those kept */
};

void ts_samples_add(struct ts_samples *s, uint64_t v);
/* Sort the values: before the quantiles. */
void ts_samples_sort(struct ts_samples *s);
/* The value at quantile q (0..1) by the nearest-rank method: one that occurred. */
uint64_t ts_samples_quantile(const struct ts_samples *s, double q);
double ts_samples_stddev(const struct ts_samples *s);
void ts_samples_free(struct ts_samples *s);

void ts_hist_add(struct ts_hist *h, uint64_t v);
/* The value at quantile q (0..1): within 1/8 of the true value, never above max. */
uint64_t ts_hist_quantile(const struct ts_hist *h, double q);

#endif
