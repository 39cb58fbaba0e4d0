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

void ts_hist_add(struct ts_hist *h, uint64_t v);
/* The value at quantile q (0..1): within 1/8 of the true value, never above max. */
uint64_t ts_hist_quantile(const struct ts_hist *h, double q);

#endif
