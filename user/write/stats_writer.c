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
#include "write/stats_int.h"

/* ---- aggregation, per event ---------------------------------------- */

static void st_kernel_add(struct st_kernel *k, uint64_t dur, const struct ts_arg *g,
			  const struct ts_arg *b)
{
	unsigned int i;

	k->count++;
	k->total_ns += dur;
	if (!g || !b)
		return;
	for (i = 0; i < k->nshapes; i++) {
		if (!memcmp(k->shapes[i].g, g->dim, sizeof(g->dim)) &&
		    !memcmp(k->shapes[i].b, b->dim, sizeof(b->dim))) {
			k->shapes[i].n++;
			return;
		}
	}
	if (k->nshapes == ST_MAX_SHAPES) {
		k->other_shapes++;
		return;
	}
	memcpy(k->shapes[i].g, g->dim, sizeof(g->dim));
	memcpy(k->shapes[i].b, b->dim, sizeof(b->dim));
	k->shapes[i].n = 1;
	k->nshapes++;
}

static void st_copy_add(struct st_copy *c, uint64_t bytes)
{
	static const uint64_t limit[ST_SIZE_BUCKETS - 1] = { 4096, 65536, 1 << 20, 16 << 20 };
	unsigned int i;

	c->count++;
	c->bytes += bytes;
	for (i = 0; i < ST_SIZE_BUCKETS - 1 && bytes > limit[i]; i++)
		;
	c->sizes[i]++;
}

static void st_sync_add(struct stats_writer *st, const struct ts_slice *s)
{
	const struct ts_arg *h = ts_slice_arg(s, "stream") ?: ts_slice_arg(s, "event") ?: ts_slice_arg(s, "context");
	struct st_time *t;
	char key[160];

	snprintf(key, sizeof(key), "%u/%u", s->pid, s->tid);
	t = ts_named_get(&st->syncs, key, strlen(key), sizeof(*t));
	if (t) {
		t->ns += s->dur;
		t->calls++;
	}
	/* the call site, as far as the driver API shows it: function and handle */
	if (h)
		snprintf(key, sizeof(key), "%.*s %s=0x%llx", (int)s->name_len, s->name, h->key,
			 (unsigned long long)h->u);
	else
		snprintf(key, sizeof(key), "%.*s", (int)s->name_len, s->name);
	t = ts_named_get(&st->sync_sites, key, strlen(key), sizeof(*t));
	if (t) {
		t->ns += s->dur;
		t->calls++;
	}
}

static void st_memory_add(struct stats_writer *st, const struct ts_slice *s, int64_t result)
{
	const struct ts_arg *ptr = ts_slice_arg(s, "ptr"), *size = ts_slice_arg(s, "size_bytes");
	uint64_t idx;

	if (result || !ptr)
		return;
	if ((s->kind & TS_SK_DEV_ALLOC) && size) {
		/* past the budget: left out, as the correlator leaves it out of its counter */
		if (st->nallocs >= TS_CAP_ALLOCS)
			return;
		if (st->nallocs == st->alloc_cap) {
			size_t cap = st->alloc_cap ? st->alloc_cap * 2 : 64;
			struct st_alloc *n = realloc(st->allocs, cap * sizeof(*n));

			if (!n)
				return;
			st->allocs = n;
			st->alloc_cap = cap;
		}
		st->allocs[st->nallocs] = (struct st_alloc){ ptr->u, size->u, s->pid, s->tid };
		snprintf(st->allocs[st->nallocs].fn, sizeof(st->allocs[0].fn), "%.*s",
			 (int)s->name_len, s->name);
		if (ts_hmap_put(&st->live, s->pid, ptr->u, st->nallocs))
			return;
		st->nallocs++;
		st->n_alloc++;
		st->bytes_alloc += size->u;
	} else if ((s->kind & TS_SK_DEV_FREE) && ts_hmap_del(&st->live, s->pid, ptr->u, &idx)) {
		/* fill the hole with the last one */
		st->n_free++;
		if (idx != st->nallocs - 1) {
			st->allocs[idx] = st->allocs[st->nallocs - 1];
			ts_hmap_put(&st->live, st->allocs[idx].pid, st->allocs[idx].ptr, idx);
		}
		st->nallocs--;
	}
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
		const struct ts_arg *t = ts_slice_arg(s, "timing");

		if (t && t->type == TS_ARG_STR && t->str.len == 3 && !memcmp(t->str.s, "gpu", 3))
			st->kernels_measured++;
		else
			st->kernels_host++;
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

/* One call of the variant called name under its function's row. */
static void count_variant(struct st_api *a, const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < a->nvar; i++)
		if (strlen(a->var[i].name) == len && !memcmp(a->var[i].name, name, len)) {
			a->var[i].calls++;
			return;
		}
	if (a->nvar == ST_MAX_VARIANTS || len >= sizeof(a->var[0].name)) {
		a->other_var++;
		return;
	}
	memcpy(a->var[a->nvar].name, name, len);
	a->var[a->nvar].name[len] = '\0';
	a->var[a->nvar++].calls = 1;
}

static void host_slice(struct stats_writer *st, const struct ts_slice *s)
{
	const struct ts_arg *res = ts_slice_arg(s, "result");
	/* a function's variants (_v2, _ptsz, _ptds) are one row, split by variant */
	const char *fn = s->api ? s->api : s->name;
	size_t fn_len = s->api ? strlen(s->api) : s->name_len;
	struct st_api *a = ts_named_get(&st->apis, fn, fn_len, sizeof(*a));
	struct st_proc *p;
	char key[32];

	if (a) {
		ts_samples_add(&a->h, s->dur);
		a->errors += (s->kind & TS_SK_FAILED) != 0;
		count_variant(a, s->name, s->name_len);
	}
	snprintf(key, sizeof(key), "%u", s->pid);
	p = ts_named_get(&st->procs, key, strlen(key), sizeof(*p));
	if (p)
		p->calls++;
	if (st->last_copy && s->flow_out == st->last_copy_corr && (s->kind & TS_SK_BLOCKS)) {
		st->last_copy->sync_bytes += st->last_copy_bytes;
		st->last_copy->sync_ns += s->dur;
	}
	st->last_copy = NULL;
	if (s->kind & TS_SK_SYNCHRONIZE)
		st_sync_add(st, s);
	st_memory_add(st, s, res ? res->i : 0);
}

static void driver_slice(struct stats_writer *st, const struct ts_slice *s)
{
	struct st_api *d = ts_named_get(&st->driver, s->name, s->name_len, sizeof(*d));

	if (!d)
		return;
	ts_samples_add(&d->h, s->dur);
	d->errors += arg_u(s, "failed", 0) != 0;
}

static void st_slice(struct ts_writer *w, const struct ts_slice *s)
{
	struct stats_writer *st = (struct stats_writer *)w;

	if (s->pid >= TS_GPU_PID_BASE)
		gpu_slice(st, s);
	else if (!strcmp(s->cat, "driver"))
		driver_slice(st, s);
	else if (strcmp(s->cat, "nvtx")) /* NVTX ranges are the program's, not CUDA calls */
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

static void st_counter(struct ts_writer *w, uint32_t pid, const struct ts_counter_def *c,
		       uint64_t ts, int64_t value)
{
	struct stats_writer *st = (struct stats_writer *)w;
	struct st_proc *p;
	char key[32];

	if (c->unit != TS_UNIT_BYTES) /* the device memory counter */
		return;
	snprintf(key, sizeof(key), "%u", pid);
	p = ts_named_get(&st->procs, key, strlen(key), sizeof(*p));
	if (p && value > p->peak_mem)
		p->peak_mem = value;
}

static int by_size(const void *a, const void *b)
{
	uint64_t x = ((const struct st_alloc *)a)->size, y = ((const struct st_alloc *)b)->size;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The allocations still live, largest first: the leak list as printed. */
static void sort_leaks(struct stats_writer *st)
{
	if (st->nallocs > 1) /* qsort(NULL, 0) is undefined */
		qsort(st->allocs, st->nallocs, sizeof(*st->allocs), by_size);
	ts_hmap_free(&st->live); /* its indexes are stale now; nothing comes after finish */
}

/* Each function's durations sorted (prepare), or freed. */
static void samples_each(struct ts_named *t, bool free_them)
{
	size_t i;

	for (i = 0; i < t->cap; i++) {
		struct st_api *a = ENT_VAL(&t->ents[i]);

		if (!t->ents[i].str || !a)
			continue;
		if (free_them)
			ts_samples_free(&a->h);
		else
			ts_samples_sort(&a->h);
	}
}

static int st_finish(struct ts_writer *w, const struct ts_trace_meta *m)
{
	struct stats_writer *st = (struct stats_writer *)w;

	st->meta = *m;
	sort_leaks(st);
	samples_each(&st->apis, false);
	samples_each(&st->driver, false);
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
	samples_each(&st->apis, true);
	samples_each(&st->driver, true);
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

int ts_stats_writer_open(const char *path, bool json, struct ts_writer **out)
{
	struct stats_writer *st = calloc(1, sizeof(*st));
	int err;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	/* opened now, written at the end: a bad path fails before anything is traced */
	err = ts_out_open(&st->out, path);
	if (err) {
		free(st);
		return err;
	}
	st->json = json;
	st->base.ops = &stats_ops;
	*out = &st->base;
	return 0;
}
