// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include "record/decode.h"
#include "record/validate.h"

/* Below TS_TIME_MAX and, once the base is known, at most TS_SPAN_MAX_NS after it. */
static bool time_ok(uint64_t t, uint64_t base)
{
	/* base passed this check itself: base + TS_SPAN_MAX_NS cannot wrap */
	return t < TS_TIME_MAX && (!base || t <= base + TS_SPAN_MAX_NS);
}

/* A drawn interval [t, t + dur]: inside the span, starting no earlier than allowed. */
static enum ts_invalid interval(uint64_t t, uint64_t dur, uint64_t base)
{
	if (!time_ok(t, base) || (t < base && base - t > TS_EARLY_MAX_NS))
		return TS_INV_TIME;
	/* dur < TS_TIME_MAX and t < TS_TIME_MAX: t + dur cannot wrap */
	if (dur >= TS_TIME_MAX || !time_ok(t + dur, base))
		return TS_INV_TIME;
	return TS_VALID;
}

enum ts_invalid ts_interval_validate(uint64_t t, uint64_t dur, uint64_t base)
{
	return interval(t, dur, base);
}

/* Written by the traced process (--gpu-time): its times and counts are its word only. */
static enum ts_invalid check_gpu(const struct ts_rec_gpu *r, uint64_t base)
{
	if (!r->hdr.ts)
		return TS_INV_TIME;
	if (r->end < r->hdr.ts)
		return TS_INV_END_BEFORE_START;
	return interval(r->hdr.ts, r->end - r->hdr.ts, base);
}

static enum ts_invalid check_gpu_info(const struct ts_rec_gpu_info *r, uint64_t base)
{
	if (!time_ok(r->hdr.ts, base))
		return TS_INV_TIME;
	if (r->hdr.flags == TS_GPUI_DROPPED && r->v[0] > TS_COUNT_MAX)
		return TS_INV_COUNT;
	return TS_VALID;
}

enum ts_invalid ts_rec_validate(const void *rec, uint64_t base)
{
	const struct ts_rec_hdr *h = rec;

	switch (h->kind) {
	case TS_REC_API:
		return interval(h->ts, ((const struct ts_rec_api *)rec)->dur, base);
	case TS_REC_DRIVER:
		return interval(h->ts, ((const struct ts_rec_driver *)rec)->dur, base);
	case TS_REC_API_ENTER:
		return interval(h->ts, 0, base);
	case TS_REC_GPU:
		return check_gpu(rec, base);
	case TS_REC_GPU_INFO:
		return check_gpu_info(rec, base);
	case TS_REC_THREAD:
	case TS_REC_EXIT: /* ends what a process or thread left open: no earliest time */
	case TS_REC_GPU_NAME:
	case TS_REC_NVTX: /* when it was handed over; each event's own time is checked as drawn */
	case TS_REC_META_START:
	case TS_REC_META_END:
		return time_ok(h->ts, base) ? TS_VALID : TS_INV_TIME;
	default: /* the other records' times are never used */
		return TS_VALID;
	}
}

const char *ts_invalid_name(enum ts_invalid why)
{
	static const char *const names[TS_INV__COUNT] = {
		[TS_VALID] = "valid",
		[TS_INV_END_BEFORE_START] = "end_before_start",
		[TS_INV_TIME] = "time_outside_trace",
		[TS_INV_COUNT] = "count_out_of_range",
	};

	return (unsigned int)why < TS_INV__COUNT ? names[why] : "?";
}

uint64_t ts_invalid_total(const uint64_t counts[TS_INV__COUNT])
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 1; i < TS_INV__COUNT; i++)
		n = ts_sat_add(n, counts[i]);
	return n;
}
