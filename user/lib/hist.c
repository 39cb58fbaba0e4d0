// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "lib/hist.h"

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

void ts_samples_add(struct ts_samples *s, uint64_t v)
{
	double d = (double)v - s->mean;

	if (!s->count || v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
	s->count++;
	s->sum += v;
	s->mean += d / s->count;
	s->m2 += d * ((double)v - s->mean);
	if (s->count > s->cap) {
		uint64_t cap = s->cap ? s->cap * 2 : 64, *n = realloc(s->v, cap * sizeof(*n));

		if (!n) {
			s->err = -ENOMEM;
			return;
		}
		s->v = n;
		s->cap = cap;
	}
	if (!s->err)
		s->v[s->count - 1] = v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* values kept: all of them unless memory ran out */
static uint64_t kept(const struct ts_samples *s)
{
	return s->count < s->cap ? s->count : s->cap;
}

void ts_samples_sort(struct ts_samples *s)
{
	if (kept(s) > 1)
		qsort(s->v, kept(s), sizeof(*s->v), cmp_u64);
}

uint64_t ts_samples_quantile(const struct ts_samples *s, double q)
{
	uint64_t n = kept(s), rank;

	if (!n || !s->v)
		return 0;
	rank = (uint64_t)ceil(q * n);
	return s->v[(rank ? rank : 1) - 1];
}

double ts_samples_stddev(const struct ts_samples *s)
{
	return s->count > 1 ? sqrt(s->m2 / (s->count - 1)) : 0;
}

void ts_samples_free(struct ts_samples *s)
{
	free(s->v);
	s->v = NULL;
	s->cap = 0;
}
