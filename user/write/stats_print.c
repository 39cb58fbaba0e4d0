// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The stats report, as aligned text or JSON, from the aggregates stats.c
 * built. Printing reads them and changes nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "encode/jsonw.h"
#include "write/stats_int.h"

#define TOP 20

/* ---- printing ---------------------------------------------------------- */

#define VAL(e, type) ((const type *)ENT_VAL(*(const struct ts_strmap_ent *const *)(e)))

static int by_launches(const void *a, const void *b)
{
	uint64_t x = VAL(a, struct st_kernel)->count, y = VAL(b, struct st_kernel)->count;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int by_kernel_time(const void *a, const void *b)
{
	uint64_t x = VAL(a, struct st_kernel)->total_ns, y = VAL(b, struct st_kernel)->total_ns;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int by_api_time(const void *a, const void *b)
{
	uint64_t x = VAL(a, struct st_api)->h.sum, y = VAL(b, struct st_api)->h.sum;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int by_time(const void *a, const void *b)
{
	uint64_t x = VAL(a, struct st_time)->ns, y = VAL(b, struct st_time)->ns;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct ts_strmap_ent *const *)a)->str,
		      (*(const struct ts_strmap_ent *const *)b)->str);
}

static void shape_text(const struct st_kernel *k, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < k->nshapes && off < len; i++)
		off += snprintf(buf + off, len - off, "%s[%u,%u,%u]x[%u,%u,%u]", i ? " " : "",
				k->shapes[i].g[0], k->shapes[i].g[1], k->shapes[i].g[2],
				k->shapes[i].b[0], k->shapes[i].b[1], k->shapes[i].b[2]);
	if (k->other_shapes && off < len)
		snprintf(buf + off, len - off, " +more");
}

/* What the kernel times are (host submit, measured with --gpu-time, or both), as each output says it */
struct kernel_timing {
	const char *title, *col, *json_key;
};

static const struct kernel_timing *kernel_timing(const struct stats_writer *st)
{
	static const struct kernel_timing t[] = {
		{ "host submit time", "submit_ms", "submit_ns" },
		{ "GPU time", "gpu_ms", "gpu_ns" },
		{ "time (GPU-measured where --gpu-time got it, else host submit)", "time_ms",
		  "time_ns" },
	};

	return !st->kernels_measured ? &t[0] : !st->kernels_host ? &t[1] : &t[2];
}

static void text_kernels(const struct stats_writer *st, struct ts_out *o,
			 int (*cmp)(const void *, const void *), const char *title)
{
	struct ts_strmap_ent **v = ts_named_sorted(&st->kernels, cmp);
	char shapes[256];
	size_t i;

	if (!v || !st->kernels.count) {
		free(v);
		return;
	}
	ts_out_printf(o, "\n%s\n  %10s %12s %10s  %-40s %s\n", title, "launches",
		      kernel_timing(st)->col, "avg_us", "kernel", "grid x block");
	for (i = 0; i < st->kernels.count && i < TOP; i++) {
		const struct st_kernel *k = ENT_VAL(v[i]);

		shape_text(k, shapes, sizeof(shapes));
		ts_out_printf(o, "  %10llu %12.3f %10.3f  %-40.200s %s\n",
			      (unsigned long long)k->count, k->total_ns / 1e6,
			      k->total_ns / 1e3 / k->count, v[i]->str, shapes);
	}
	free(v);
}

/* Under a function's row, the variants it was called as, when more than one. */
static void text_variants(struct ts_out *o, const struct st_api *a)
{
	unsigned int i;

	if (a->nvar < 2 && !a->other_var)
		return;
	ts_out_printf(o, "    variants:");
	for (i = 0; i < a->nvar; i++)
		ts_out_printf(o, " %s %llu", a->var[i].name, (unsigned long long)a->var[i].calls);
	if (a->other_var)
		ts_out_printf(o, " other %llu", (unsigned long long)a->other_var);
	ts_out_printf(o, "\n");
}

static void text_hist_table(struct ts_out *o, const struct ts_named *t, const char *title,
			    const char *col)
{
	struct ts_strmap_ent **v = ts_named_sorted(t, by_api_time);
	size_t i;

	if (!v || !t->count) {
		free(v);
		return;
	}
	ts_out_printf(
		o,
		"\n%s (exact: every call's duration)\n  %-48s %9s %7s %11s %10s %10s %10s %10s %10s %10s %10s\n",
		title, col, "calls", "errors", "total_ms", "avg_us", "min_us", "p50_us", "p95_us",
		"p99_us", "max_us", "stddev_us");
	for (i = 0; i < t->count; i++) {
		const struct st_api *a = ENT_VAL(v[i]);

		ts_out_printf(
			o,
			"  %-48s %9llu %7llu %11.3f %10.3f %10.3f %10.3f %10.3f %10.3f %10.3f %10.3f\n",
			v[i]->str, (unsigned long long)a->h.count, (unsigned long long)a->errors,
			a->h.sum / 1e6, a->h.sum / 1e3 / a->h.count, a->h.min / 1e3,
			ts_samples_quantile(&a->h, .5) / 1e3, ts_samples_quantile(&a->h, .95) / 1e3,
			ts_samples_quantile(&a->h, .99) / 1e3, a->h.max / 1e3,
			ts_samples_stddev(&a->h) / 1e3);
		text_variants(o, a);
	}
	free(v);
}

static void text_copies(const struct stats_writer *st, struct ts_out *o)
{
	struct ts_strmap_ent **v = ts_named_sorted(&st->copies, by_name);
	size_t i;

	if (!v || !st->copies.count) {
		free(v);
		return;
	}
	ts_out_printf(o, "\nMemory copies\n  %-10s %8s %14s %8s %8s %8s %8s %8s %12s\n",
		      "direction", "count", "total_bytes", "<=4K", "<=64K", "<=1M", "<=16M", ">16M",
		      "sync_GB/s");
	for (i = 0; i < st->copies.count; i++) {
		const struct st_copy *c = ENT_VAL(v[i]);

		ts_out_printf(o, "  %-10s %8llu %14llu %8llu %8llu %8llu %8llu %8llu ", v[i]->str,
			      (unsigned long long)c->count, (unsigned long long)c->bytes,
			      (unsigned long long)c->sizes[0], (unsigned long long)c->sizes[1],
			      (unsigned long long)c->sizes[2], (unsigned long long)c->sizes[3],
			      (unsigned long long)c->sizes[4]);
		if (c->sync_ns)
			ts_out_printf(o, "%12.3f\n", (double)c->sync_bytes / c->sync_ns);
		else
			ts_out_printf(o, "%12s\n", "-");
	}
	free(v);
}

static void text_memory(const struct stats_writer *st, struct ts_out *o)
{
	struct ts_strmap_ent **v = ts_named_sorted(&st->procs, by_name);
	size_t i;

	ts_out_printf(o, "\nDevice memory\n  allocations %llu, frees %llu, allocated %llu bytes\n",
		      (unsigned long long)st->n_alloc, (unsigned long long)st->n_free,
		      (unsigned long long)st->bytes_alloc);
	for (i = 0; v && i < st->procs.count; i++) {
		const struct st_proc *p = ENT_VAL(v[i]);

		if (p->peak_mem)
			ts_out_printf(o, "  peak allocated, pid %s: %lld bytes\n", v[i]->str,
				      (long long)p->peak_mem);
	}
	free(v);
	ts_out_printf(o, "  live at the end: %zu allocations\n", st->nallocs);
	if (st->nallocs)
		ts_out_printf(o, "  %14s %18s %8s %8s  %s\n", "bytes", "pointer", "pid", "tid",
			      "allocated by");
	for (i = 0; i < st->nallocs && i < TOP; i++)
		ts_out_printf(o, "  %14llu 0x%016llx %8u %8u  %s\n",
			      (unsigned long long)st->allocs[i].size,
			      (unsigned long long)st->allocs[i].ptr, st->allocs[i].pid,
			      st->allocs[i].tid, st->allocs[i].fn);
}

static void text_times(struct ts_out *o, const struct ts_named *t, const char *title,
		       const char *col)
{
	struct ts_strmap_ent **v = ts_named_sorted(t, by_time);
	size_t i;

	if (!v || !t->count) {
		free(v);
		return;
	}
	ts_out_printf(o, "  %s\n  %-48s %12s %8s\n", title, col, "blocked_ms", "calls");
	for (i = 0; i < t->count && i < TOP; i++) {
		const struct st_time *x = ENT_VAL(v[i]);

		ts_out_printf(o, "  %-48s %12.3f %8llu\n", v[i]->str, x->ns / 1e6,
			      (unsigned long long)x->calls);
	}
	free(v);
}

static void text_procs_streams(const struct stats_writer *st, struct ts_out *o)
{
	struct ts_strmap_ent **v;
	size_t i;

	v = ts_named_sorted(&st->procs, by_name);
	ts_out_printf(o, "\nPer process\n  %8s %10s %16s  %s\n", "pid", "api_calls",
		      "peak_mem_bytes", "command");
	for (i = 0; v && i < st->procs.count; i++) {
		const struct st_proc *p = ENT_VAL(v[i]);

		ts_out_printf(o, "  %8s %10llu %16lld  %s\n", v[i]->str,
			      (unsigned long long)p->calls, (long long)p->peak_mem, p->name);
	}
	free(v);
	v = ts_named_sorted(&st->streams, by_name);
	ts_out_printf(o, "\nPer stream\n  %-56s %8s %12s\n", "stream", "ops", "busy_ms");
	for (i = 0; v && i < st->streams.count; i++) {
		const struct st_stream *s = ENT_VAL(v[i]);

		ts_out_printf(o, "  %-56s %8llu %12.3f\n", s->name, (unsigned long long)s->ops,
			      s->busy_ns / 1e6);
	}
	free(v);
}

/* What the memory budget turned away (budget.h), when it did. */
static void text_cuts(const struct stats_writer *st, struct ts_out *o)
{
	unsigned int t;

	if (!ts_cuts_any(&st->meta.cuts))
		return;
	ts_out_printf(o, "cut by the memory budget:");
	for (t = 0; t < TS_CUT__COUNT; t++)
		ts_out_printf(o, " %s %llu", ts_cut_name(t),
			      (unsigned long long)st->meta.cuts.n[t]);
	ts_out_printf(o, "\n");
}

static void json_cuts(const struct stats_writer *st, struct ts_jw *jw)
{
	unsigned int t;

	if (!ts_cuts_any(&st->meta.cuts))
		return;
	ts_jw_key(jw, "cut_by_memory_budget");
	ts_jw_obj_open(jw);
	for (t = 0; t < TS_CUT__COUNT; t++)
		ts_jw_u64_field(jw, ts_cut_name(t), st->meta.cuts.n[t]);
	ts_jw_obj_close(jw);
}

void st_print_text(const struct stats_writer *st, struct ts_out *o)
{
	uint64_t invalid = ts_invalid_total(st->meta.invalid);
	char title[128];

	ts_out_printf(o, "tracesmith-bpf stats: %llu records, %llu dropped, %.3f s traced%s\n",
		      (unsigned long long)st->meta.records, (unsigned long long)st->meta.drops,
		      st->meta.end_ns / 1e9, st->meta.incomplete ? " (incomplete input)" : "");
	if (invalid)
		ts_out_printf(o, "%llu records dropped: times or counts that cannot be drawn\n",
			      (unsigned long long)invalid);
	text_cuts(st, o);
	text_kernels(st, o, by_launches, "Top kernels by launch count");
	snprintf(title, sizeof(title), "Top kernels by %s", kernel_timing(st)->title);
	text_kernels(st, o, by_kernel_time, title);
	text_hist_table(o, &st->apis, "CUDA API summary", "function");
	text_copies(st, o);
	text_memory(st, o);
	ts_out_printf(o, "\nSynchronization\n");
	text_times(o, &st->syncs, "time blocked per thread", "pid/tid");
	text_times(o, &st->sync_sites, "top blocking calls", "call");
	text_hist_table(o, &st->driver, "Driver layer (NVIDIA ioctl/mmap)", "call");
	text_procs_streams(st, o);
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_variants(struct ts_jw *jw, const struct st_api *a)
{
	unsigned int i;

	if (!a->nvar)
		return;
	ts_jw_key(jw, "variants");
	ts_jw_arr_open(jw);
	for (i = 0; i < a->nvar; i++) {
		ts_jw_obj_open(jw);
		ts_jw_cstr_field(jw, "name", a->var[i].name);
		ts_jw_u64_field(jw, "calls", a->var[i].calls);
		ts_jw_obj_close(jw);
	}
	ts_jw_arr_close(jw);
	if (a->other_var)
		ts_jw_u64_field(jw, "other_variant_calls", a->other_var);
}

/* One aggregate per line of the JSON report: name first, then its numbers. */
static void json_hists(struct ts_jw *jw, const char *key, const struct ts_named *t)
{
	struct ts_strmap_ent **v = ts_named_sorted(t, by_api_time);
	size_t i;

	ts_jw_key(jw, key);
	ts_jw_arr_open(jw);
	for (i = 0; v && i < t->count; i++) {
		const struct st_api *a = ENT_VAL(v[i]);

		ts_jw_obj_open(jw);
		ts_jw_cstr_field(jw, "name", v[i]->str);
		ts_jw_u64_field(jw, "calls", a->h.count);
		ts_jw_u64_field(jw, "errors", a->errors);
		ts_jw_u64_field(jw, "total_ns", a->h.sum);
		ts_jw_u64_field(jw, "avg_ns", a->h.sum / a->h.count);
		ts_jw_u64_field(jw, "min_ns", a->h.min);
		ts_jw_u64_field(jw, "p50_ns", ts_samples_quantile(&a->h, .5));
		ts_jw_u64_field(jw, "p95_ns", ts_samples_quantile(&a->h, .95));
		ts_jw_u64_field(jw, "p99_ns", ts_samples_quantile(&a->h, .99));
		ts_jw_u64_field(jw, "max_ns", a->h.max);
		ts_jw_u64_field(jw, "stddev_ns", (uint64_t)(ts_samples_stddev(&a->h) + 0.5));
		json_variants(jw, a);
		ts_jw_obj_close(jw);
	}
	ts_jw_arr_close(jw);
	free(v);
}

static void json_dim3(struct ts_jw *jw, const char *key, const uint32_t d[3])
{
	ts_jw_key(jw, key);
	ts_jw_arr_open(jw);
	ts_jw_u64(jw, d[0]);
	ts_jw_u64(jw, d[1]);
	ts_jw_u64(jw, d[2]);
	ts_jw_arr_close(jw);
}

static void json_kernels(const struct stats_writer *st, struct ts_jw *jw)
{
	struct ts_strmap_ent **v = ts_named_sorted(&st->kernels, by_launches);
	size_t i;
	unsigned int j;

	ts_jw_key(jw, "kernels");
	ts_jw_arr_open(jw);
	for (i = 0; v && i < st->kernels.count; i++) {
		const struct st_kernel *k = ENT_VAL(v[i]);

		ts_jw_obj_open(jw);
		ts_jw_cstr_field(jw, "name", v[i]->str);
		ts_jw_u64_field(jw, "launches", k->count);
		/* the key says what the time is */
		ts_jw_u64_field(jw, kernel_timing(st)->json_key, k->total_ns);
		ts_jw_key(jw, "shapes");
		ts_jw_arr_open(jw);
		for (j = 0; j < k->nshapes; j++) {
			ts_jw_obj_open(jw);
			json_dim3(jw, "grid", k->shapes[j].g);
			json_dim3(jw, "block", k->shapes[j].b);
			ts_jw_u64_field(jw, "launches", k->shapes[j].n);
			ts_jw_obj_close(jw);
		}
		ts_jw_arr_close(jw);
		ts_jw_obj_close(jw);
	}
	ts_jw_arr_close(jw);
	free(v);
}

static void json_copies(const struct stats_writer *st, struct ts_jw *jw)
{
	static const char *const buckets[ST_SIZE_BUCKETS] = { "le_4k", "le_64k", "le_1m", "le_16m",
							      "gt_16m" };
	struct ts_strmap_ent **v = ts_named_sorted(&st->copies, by_name);
	size_t i;
	unsigned int b;

	ts_jw_key(jw, "copies");
	ts_jw_arr_open(jw);
	for (i = 0; v && i < st->copies.count; i++) {
		const struct st_copy *c = ENT_VAL(v[i]);

		ts_jw_obj_open(jw);
		ts_jw_cstr_field(jw, "direction", v[i]->str);
		ts_jw_u64_field(jw, "count", c->count);
		ts_jw_u64_field(jw, "bytes", c->bytes);
		ts_jw_key(jw, "size_histogram");
		ts_jw_obj_open(jw);
		for (b = 0; b < ST_SIZE_BUCKETS; b++)
			ts_jw_u64_field(jw, buckets[b], c->sizes[b]);
		ts_jw_obj_close(jw);
		ts_jw_u64_field(jw, "sync_bytes", c->sync_bytes);
		ts_jw_u64_field(jw, "sync_ns", c->sync_ns);
		ts_jw_obj_close(jw);
	}
	ts_jw_arr_close(jw);
	free(v);
}

static void json_times(struct ts_jw *jw, const char *key, const struct ts_named *t)
{
	struct ts_strmap_ent **v = ts_named_sorted(t, by_time);
	size_t i;

	ts_jw_key(jw, key);
	ts_jw_arr_open(jw);
	for (i = 0; v && i < t->count; i++) {
		const struct st_time *x = ENT_VAL(v[i]);

		ts_jw_obj_open(jw);
		ts_jw_cstr_field(jw, "name", v[i]->str);
		ts_jw_u64_field(jw, "blocked_ns", x->ns);
		ts_jw_u64_field(jw, "calls", x->calls);
		ts_jw_obj_close(jw);
	}
	ts_jw_arr_close(jw);
	free(v);
}

static void json_memory(const struct stats_writer *st, struct ts_jw *jw)
{
	size_t i;

	ts_jw_key(jw, "memory");
	ts_jw_obj_open(jw);
	ts_jw_u64_field(jw, "allocations", st->n_alloc);
	ts_jw_u64_field(jw, "frees", st->n_free);
	ts_jw_u64_field(jw, "bytes_allocated", st->bytes_alloc);
	ts_jw_key(jw, "leaks");
	ts_jw_arr_open(jw);
	for (i = 0; i < st->nallocs; i++) {
		ts_jw_obj_open(jw);
		ts_jw_u64_field(jw, "bytes", st->allocs[i].size);
		ts_jw_key(jw, "ptr");
		ts_jw_hex(jw, st->allocs[i].ptr);
		ts_jw_u64_field(jw, "pid", st->allocs[i].pid);
		ts_jw_u64_field(jw, "tid", st->allocs[i].tid);
		ts_jw_cstr_field(jw, "function", st->allocs[i].fn);
		ts_jw_obj_close(jw);
	}
	ts_jw_arr_close(jw);
	ts_jw_obj_close(jw);
}

static void json_procs_streams(const struct stats_writer *st, struct ts_jw *jw)
{
	struct ts_strmap_ent **v = ts_named_sorted(&st->procs, by_name);
	size_t i;

	ts_jw_key(jw, "processes");
	ts_jw_arr_open(jw);
	for (i = 0; v && i < st->procs.count; i++) {
		const struct st_proc *p = ENT_VAL(v[i]);

		ts_jw_obj_open(jw);
		ts_jw_u64_field(jw, "pid", strtoull(v[i]->str, NULL, 10));
		ts_jw_cstr_field(jw, "command", p->name);
		ts_jw_u64_field(jw, "api_calls", p->calls);
		ts_jw_i64_field(jw, "peak_mem_bytes", p->peak_mem);
		ts_jw_obj_close(jw);
	}
	free(v);
	ts_jw_arr_close(jw);
	v = ts_named_sorted(&st->streams, by_name);
	ts_jw_key(jw, "streams");
	ts_jw_arr_open(jw);
	for (i = 0; v && i < st->streams.count; i++) {
		const struct st_stream *s = ENT_VAL(v[i]);

		ts_jw_obj_open(jw);
		ts_jw_cstr_field(jw, "stream", s->name);
		ts_jw_u64_field(jw, "ops", s->ops);
		ts_jw_u64_field(jw, "busy_ns", s->busy_ns);
		ts_jw_obj_close(jw);
	}
	free(v);
	ts_jw_arr_close(jw);
}

void st_print_json(const struct stats_writer *st, struct ts_out *o)
{
	struct ts_jw jw;

	ts_jw_init(&jw, o);
	ts_jw_obj_open(&jw);
	ts_jw_u64_field(&jw, "records", st->meta.records);
	ts_jw_u64_field(&jw, "dropped_events", st->meta.drops);
	ts_jw_u64_field(&jw, "span_ns", st->meta.end_ns);
	if (ts_invalid_total(st->meta.invalid))
		ts_jw_u64_field(&jw, "invalid_records_dropped", ts_invalid_total(st->meta.invalid));
	json_cuts(st, &jw);
	json_kernels(st, &jw);
	json_hists(&jw, "api", &st->apis);
	json_copies(st, &jw);
	json_memory(st, &jw);
	json_times(&jw, "sync_threads", &st->syncs);
	json_times(&jw, "sync_sites", &st->sync_sites);
	json_hists(&jw, "driver", &st->driver);
	json_procs_streams(st, &jw);
	ts_jw_obj_close(&jw);
	ts_out_putc(o, '\n');
}
