// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `tracesmith-bpf stats`: what users read first. Aggregates per API function,
 * kernel, copy direction, allocation, synchronizing thread, driver call,
 * process and stream, in memory that does not grow with the trace (except
 * per distinct name and per live allocation).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "correlate.h"
#include "stats_int.h"

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

/* ---- named aggregates -------------------------------------------------- */

void *ts_named_get(struct ts_strmap *t, const char *name, size_t len, size_t size)
{
	bool fresh;
	struct ts_strmap_ent *e = ts_strmap_get(t, name, len, &fresh);

	if (!e)
		return NULL;
	if (!e->val)
		e->val = (uintptr_t)calloc(1, size);
	return ENT_VAL(e);
}

void ts_named_free(struct ts_strmap *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(ENT_VAL(&t->ents[i]));
	ts_strmap_free(t);
}

/* Entries sorted by cmp, for printing; the caller frees the array. */
struct ts_strmap_ent **ts_named_sorted(const struct ts_strmap *t,
				       int (*cmp)(const void *, const void *))
{
	struct ts_strmap_ent **v = calloc(t->count + 1, sizeof(*v));
	size_t i, n = 0;

	if (!v)
		return NULL;
	for (i = 0; i < t->cap; i++)
		if (t->ents[i].str && t->ents[i].val)
			v[n++] = &t->ents[i];
	if (n > 1) /* qsort(NULL, 0) is undefined */
		qsort(v, n, sizeof(*v), cmp);
	return v;
}

/* ---- the writer: aggregate what the correlator reports ---------------- */

static uint64_t arg_u(const struct ts_slice *s, const char *key, uint64_t dflt)
{
	const struct ts_arg *a = ts_slice_arg(s, key);

	return a ? a->u : dflt;
}

static void gpu_slice(struct stats_writer *st, const struct ts_slice *s)
{
	const struct ts_arg *g = ts_slice_arg(s, "grid_dim"), *b = ts_slice_arg(s, "block_dim");
	const struct ts_arg *dir = ts_slice_arg(s, "direction");
	struct st_stream *sm;
	char key[64];

	snprintf(key, sizeof(key), "%u/%u", s->pid, s->tid);
	sm = ts_named_get(&st->streams, key, strlen(key), sizeof(*sm));
	if (sm) {
		sm->ops++;
		sm->busy_ns += s->dur;
	}
	if (!strcmp(s->cat, "kernel") || !strcmp(s->cat, "graph")) {
		struct st_kernel *k = ts_named_get(&st->kernels, s->name, s->name_len, sizeof(*k));

		if (k)
			st_kernel_add(k, s->dur, g, b);
	} else if (!strcmp(s->cat, "memcpy") && dir) {
		struct st_copy *c = ts_named_get(&st->copies, dir->str.s, dir->str.len, sizeof(*c));
		uint64_t bytes = arg_u(s, "size_bytes", 0);

		if (c)
			st_copy_add(c, bytes);
		/* the host slice comes next: it says whether the copy was synchronous */
		st->last_copy = c;
		st->last_copy_corr = s->flow_in;
		st->last_copy_bytes = bytes;
	}
}

static void host_slice(struct stats_writer *st, const struct ts_slice *s)
{
	const struct ts_arg *res = ts_slice_arg(s, "result");
	struct st_api *a = ts_named_get(&st->apis, s->name, s->name_len, sizeof(*a));
	struct st_proc *p;
	char key[32];

	if (a) {
		ts_hist_add(&a->h, s->dur);
		a->errors += res && res->i != 0;
	}
	snprintf(key, sizeof(key), "%u", s->pid);
	p = ts_named_get(&st->procs, key, strlen(key), sizeof(*p));
	if (p)
		p->calls++;
	if (st->last_copy && s->flow_out == st->last_copy_corr && !ts_slice_name_has(s, "Async")) {
		st->last_copy->sync_bytes += st->last_copy_bytes;
		st->last_copy->sync_ns += s->dur;
	}
	st->last_copy = NULL;
	if (ts_slice_name_has(s, "Synchronize"))
		st_sync_add(st, s);
	st_memory_add(st, s, res ? res->i : 0);
}

static void driver_slice(struct stats_writer *st, const struct ts_slice *s)
{
	struct st_api *d = ts_named_get(&st->driver, s->name, s->name_len, sizeof(*d));

	if (!d)
		return;
	ts_hist_add(&d->h, s->dur);
	d->errors += arg_u(s, "failed", 0) != 0;
}

static void st_slice(struct ts_writer *w, const struct ts_slice *s)
{
	struct stats_writer *st = (struct stats_writer *)w;

	if (s->pid >= TS_GPU_PID_BASE)
		gpu_slice(st, s);
	else if (!strcmp(s->cat, "driver"))
		driver_slice(st, s);
	else
		host_slice(st, s);
}

static void st_process(struct ts_writer *w, uint32_t pid, const char *name, enum ts_track_kind k)
{
	struct stats_writer *st = (struct stats_writer *)w;
	char key[32];
	struct st_proc *p;

	if (k == TS_TRACK_GPU)
		return;
	snprintf(key, sizeof(key), "%u", pid);
	p = ts_named_get(&st->procs, key, strlen(key), sizeof(*p));
	if (p)
		snprintf(p->name, sizeof(p->name), "%s", name);
}

static void st_thread(struct ts_writer *w, uint32_t pid, uint32_t tid, const char *name, size_t len)
{
	struct stats_writer *st = (struct stats_writer *)w;
	struct st_stream *sm;
	char key[64];

	if (pid < TS_GPU_PID_BASE)
		return;
	snprintf(key, sizeof(key), "%u/%u", pid, tid);
	sm = ts_named_get(&st->streams, key, strlen(key), sizeof(*sm));
	if (sm)
		snprintf(sm->name, sizeof(sm->name), "GPU %u: %.*s", pid - TS_GPU_PID_BASE,
			 (int)len, name);
}

static void st_counter(struct ts_writer *w, uint32_t pid, const char *name, uint64_t ts,
		       int64_t value)
{
	struct stats_writer *st = (struct stats_writer *)w;
	struct st_proc *p;
	char key[32];

	if (!strstr(name, "(bytes)"))
		return;
	snprintf(key, sizeof(key), "%u", pid);
	p = ts_named_get(&st->procs, key, strlen(key), sizeof(*p));
	if (p && value > p->peak_mem)
		p->peak_mem = value;
}

static int st_finish(struct ts_writer *w, const struct ts_trace_meta *m)
{
	struct stats_writer *st = (struct stats_writer *)w;

	st->meta = *m;
	if (st->json)
		st_print_json(st, &st->out);
	else
		st_print_text(st, &st->out);
	return ts_out_close(&st->out);
}

static void st_destroy(struct ts_writer *w)
{
	struct stats_writer *st = (struct stats_writer *)w;

	if (!st)
		return;
	ts_named_free(&st->apis);
	ts_named_free(&st->kernels);
	ts_named_free(&st->copies);
	ts_named_free(&st->driver);
	ts_named_free(&st->syncs);
	ts_named_free(&st->sync_sites);
	ts_named_free(&st->procs);
	ts_named_free(&st->streams);
	ts_hmap_free(&st->live);
	free(st->allocs);
	ts_out_discard(&st->out);
	free(st);
}

static const struct ts_writer_ops stats_ops = {
	.name = "stats",
	.process = st_process,
	.thread = st_thread,
	.slice = st_slice,
	.counter = st_counter,
	.finish = st_finish,
	.destroy = st_destroy,
};

struct ts_writer *ts_stats_writer_open(const char *path, bool json, int *err)
{
	struct stats_writer *st = calloc(1, sizeof(*st));

	*err = -ENOMEM;
	if (!st)
		return NULL;
	/* opened now, written at the end: a bad path fails before anything is traced */
	*err = ts_out_open(&st->out, path);
	if (*err) {
		free(st);
		return NULL;
	}
	st->json = json;
	st->base.ops = &stats_ops;
	*err = 0;
	return &st->base;
}
