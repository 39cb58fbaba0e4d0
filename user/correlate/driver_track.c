// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The driver layer in the trace: each NVIDIA syscall a slice on its thread,
 * nested in the CUDA call it happened in and carrying that call's
 * correlation id, plus per-process counters of driver calls and time.
 *
 * A driver record reaches us before the record of the call around it (that
 * one is written when the call returns), so it waits on its thread until the
 * call's record names it.
 */
#include <stdlib.h>
#include <string.h>
#include "correlate/corr_int.h"
#include "correlate/nvdecode.h"

#define BUCKET_NS 1000000000ull

static void flush_counters(struct ts_corr *c, uint32_t pid, struct ts_proc *p)
{
	static const struct ts_counter_def calls = { "driver calls/s", TS_UNIT_NONE },
					   time = { "time in driver (us/s)", TS_UNIT_NONE };

	if (!p->drv_seen)
		return;
	c->w->ops->counter(c->w, pid, &calls, p->drv_bucket * BUCKET_NS, p->drv_calls);
	c->w->ops->counter(c->w, pid, &time, p->drv_bucket * BUCKET_NS, p->drv_ns / 1000);
}

static void count(struct ts_corr *c, const struct ts_rec_driver *r)
{
	struct ts_proc *p = ts_proc_find_or_announce(c, r->hdr.pid);
	uint64_t bucket = ts_rel(c, r->hdr.ts) / BUCKET_NS;

	if (!p)
		return;
	if (p->drv_seen && bucket != p->drv_bucket) {
		flush_counters(c, r->hdr.pid, p);
		/* a quiet second in between reads as zero, not as a ramp */
		if (bucket > p->drv_bucket + 1) {
			p->drv_bucket++;
			p->drv_calls = p->drv_ns = 0;
			flush_counters(c, r->hdr.pid, p);
		}
		p->drv_calls = p->drv_ns = 0;
	}
	p->drv_seen = true;
	p->drv_bucket = bucket;
	p->drv_calls++;
	p->drv_ns += r->dur;
}

static void emit(struct ts_corr *c, const struct ts_rec_driver *r, uint64_t corr,
		 const char *api_sym)
{
	struct ts_slice s = { 0 };
	struct ts_drv_info info;

	s.pid = r->hdr.pid;
	s.tid = r->hdr.tid;
	s.ts = ts_rel(c, r->hdr.ts);
	s.dur = r->dur;
	s.cat = "driver";
	if (corr)
		ts_arg_u64(&s, "correlation_id", corr);
	if (api_sym)
		ts_arg_str(&s, "api_call", api_sym, strlen(api_sym));
	ts_drv_decode(r, c->driver_major, &s, &info);
	s.name = info.name;
	s.name_len = strlen(info.name);
	c->w->ops->slice(c->w, &s);
	c->stats.driver_calls++;
	count(c, r);
}

void ts_drv_record(struct ts_corr *c, const struct ts_rec_driver *r)
{
	struct ts_thr *t = ts_thread_find_or_announce(c, r->hdr.pid, r->hdr.tid);
	struct ts_rec_driver *copy;

	if (!t)
		return;
	if (r->api_ts && t->npending < TS_MAX_PENDING) {
		copy = malloc(r->hdr.size);
		if (copy) {
			memcpy(copy, r, r->hdr.size);
			t->pending[t->npending++] = copy;
			return;
		}
	}
	/* outside any hooked call (or too many held): on its thread, on its own */
	emit(c, r, 0, NULL);
}

bool ts_drv_pending(const struct ts_thr *t, uint64_t api_ts)
{
	unsigned int i;

	for (i = 0; i < t->npending; i++)
		if (t->pending[i]->api_ts == api_ts)
			return true;
	return false;
}

void ts_drv_flush(struct ts_corr *c, struct ts_thr *t, uint64_t api_ts, uint64_t corr,
		  const char *api_sym)
{
	unsigned int i;

	for (i = 0; i < t->npending; i++) {
		struct ts_rec_driver *r = t->pending[i];

		/* held for a call whose return we never saw: let it go unjoined */
		if (r->api_ts == api_ts)
			emit(c, r, corr, api_sym);
		else
			emit(c, r, 0, NULL);
		free(r);
	}
	t->npending = 0;
}

void ts_drv_forget(struct ts_corr *c, uint32_t pid, bool all)
{
	struct ts_hent *e;

	ts_hmap_for_each (&c->threads, e)
		if (all || e->key.a == pid)
			ts_drv_flush(c, (struct ts_thr *)(uintptr_t)e->val, 0, 0, NULL);
	ts_hmap_for_each (&c->procs, e)
		if (all || e->key.a == pid)
			flush_counters(c, e->key.a, (struct ts_proc *)(uintptr_t)e->val);
}
