// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "hist.h"

static unsigned int hist_idx(uint64_t v)
{
	unsigned int e;

	if (v < 8)
		return v;
	e = 63 - __builtin_clzll(v);
	return (e - 3) * TS_HIST_SUB + (unsigned int)(v >> (e - 3));
}

void ts_hist_add(struct ts_hist *h, uint64_t v)
{
	h->b[hist_idx(v)]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

uint64_t ts_hist_quantile(const struct ts_hist *h, double q)
{
	uint64_t want = (uint64_t)(q * h->count + 0.5), seen = 0, lo, hi;
	unsigned int i, k, m;

	if (!h->count)
		return 0;
	if (want < 1)
		want = 1;
	for (i = 0; i < TS_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want)
			break;
	}
	if (i < 8)
		return i;
	k = i / TS_HIST_SUB - 1;
	m = i % TS_HIST_SUB + TS_HIST_SUB;
	lo = (uint64_t)m << k;
	hi = ((uint64_t)(m + 1) << k) - 1;
	return (lo + hi) / 2 < h->max ? (lo + hi) / 2 : h->max;
}
