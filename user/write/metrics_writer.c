// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The --metrics writer: counters per process, API function, kernel, copy
 * direction and CUresult, in tables of fixed size (metrics_writer.h), and the
 * Prometheus page made from them. Every label value is escaped and cut here,
 * once, when a name first gets a row: kernel and process names come from the
 * traced process and may hold anything.
 */
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/strmap.h"
#include "probe/hooks.h"
#include "write/metrics_writer.h"
#include "write/prom_text.h"

/* what a process is called in its comm label: the kernel's TASK_COMM_LEN - 1 */
#define COMM_LEN 15

enum { T_HOST, T_GPU, T_N }; /* the timing label: host-submit or measured times */
static const char *const timing_name[T_N] = { "host", "gpu" };

struct m_proc {
	uint32_t pid;
	bool used, exited;
	uint64_t exit_seq; /* exited ones make room in this order */
	char comm[3 * COMM_LEN + 4];
	int64_t rank, nranks; /* NCCL: its rank in its widest communicator (nranks 0: none) */
	uint64_t calls, launches, errors, sync_ns;
	uint64_t gpu_n[T_N], gpu_ns[T_N]; /* the GPU work it submitted, by timing */
};

struct m_kernel {
	char label[TS_PROM_LABEL_MAX];
	uint64_t n[T_N], ns[T_N];
};

struct m_func {
	char label[TS_PROM_LABEL_MAX];
	uint64_t calls, errors, ns;
};

/* a result's name (its library's: CUDA_ERROR_..., ncclInvalidUsage), escaped */
struct m_code {
	char label[64];
	uint64_t n;
};

#define NDIRS 8
struct m_dir {
	char name[16];
	uint64_t count, bytes;
};

struct metrics_writer {
	struct ts_writer base;
	pthread_mutex_t lock;
	struct m_proc procs[TS_METRICS_PROCS], other_proc;
	uint64_t exits;
	struct m_kernel kernels[TS_METRICS_KERNELS], other_kernel;
	unsigned int nkernels;
	struct ts_strmap kernel_idx; /* label -> index + 1 */
	struct m_func funcs[TS_METRICS_FUNCTIONS], other_func;
	unsigned int nfuncs;
	struct ts_strmap func_idx;
	struct m_code codes[TS_METRICS_CODES];
	unsigned int ncodes;
	uint64_t other_codes;
	struct m_dir dirs[NDIRS];
	unsigned int ndirs;
	uint64_t gpu_ns[T_N], gpu_ops[T_N];
	struct ts_metrics_sync_row slow[TS_METRICS_SLOW]; /* longest first */
	unsigned int nslow;
	uint64_t calls, errors;
	uint64_t records, drops, ring_fill, ring_size;
};

#define MW(w) ((struct metrics_writer *)(w))

/* ---- the tables ------------------------------------------------------ */

static void proc_fold(struct metrics_writer *mw, struct m_proc *p)
{
	struct m_proc *o = &mw->other_proc;
	int t;

	o->calls += p->calls;
	o->launches += p->launches;
	o->errors += p->errors;
	o->sync_ns += p->sync_ns;
	for (t = 0; t < T_N; t++) {
		o->gpu_n[t] += p->gpu_n[t];
		o->gpu_ns[t] += p->gpu_ns[t];
	}
	memset(p, 0, sizeof(*p));
}

/*
 * The row GPU work of owner's counts in: its own, or "other" (its row went
 * to another process after it exited, or it never had one). Never a new
 * row: a late record of a process gone must not take one from a live one.
 */
static struct m_proc *proc_owner(struct metrics_writer *mw, uint32_t owner)
{
	unsigned int i;

	for (i = 0; i < TS_METRICS_PROCS; i++)
		if (mw->procs[i].used && mw->procs[i].pid == owner)
			return &mw->procs[i];
	return &mw->other_proc;
}

/* The row of pid: its own, a free one, the longest-exited one's, or "other". */
static struct m_proc *proc_get(struct metrics_writer *mw, uint32_t pid)
{
	struct m_proc *free_row = NULL, *oldest = NULL;
	unsigned int i;

	for (i = 0; i < TS_METRICS_PROCS; i++) {
		struct m_proc *p = &mw->procs[i];

		if (p->used && p->pid == pid)
			return p;
		if (!p->used && !free_row)
			free_row = p;
		if (p->used && p->exited && (!oldest || p->exit_seq < oldest->exit_seq))
			oldest = p;
	}
	if (!free_row && oldest) {
		proc_fold(mw, oldest);
		free_row = oldest;
	}
	if (!free_row)
		return &mw->other_proc;
	free_row->used = true;
	free_row->pid = pid;
	return free_row;
}

/*
 * The row of a name in a table of max rows (idx: label -> row + 1): made,
 * its label escaped, while there is room; -1 ("other") once the table is full.
 */
static int row_of(struct ts_strmap *idx, unsigned int *n, unsigned int max, const char *name,
		  size_t len, char *labels, size_t label_stride)
{
	char label[TS_PROM_LABEL_MAX];
	size_t ll = ts_prom_label(name, len, label);
	struct ts_strmap_ent *e;
	bool fresh;

	/* keyed by the label: two names cut to the same label are one series */
	e = ts_strmap_find(idx, label, ll);
	if (e)
		return (int)e->val - 1;
	if (*n == max)
		return -1;
	e = ts_strmap_get(idx, label, ll, &fresh);
	if (!e)
		return -1;
	memcpy(labels + *n * label_stride, label, ll + 1);
	e->val = ++*n;
	return (int)e->val - 1;
}

static struct m_kernel *kernel_get(struct metrics_writer *mw, const char *name, size_t len)
{
	int i = row_of(&mw->kernel_idx, &mw->nkernels, TS_METRICS_KERNELS, name, len,
		       mw->kernels[0].label, sizeof(mw->kernels[0]));

	return i < 0 ? &mw->other_kernel : &mw->kernels[i];
}

static struct m_func *func_get(struct metrics_writer *mw, const char *name, size_t len)
{
	int i = row_of(&mw->func_idx, &mw->nfuncs, TS_METRICS_FUNCTIONS, name, len,
		       mw->funcs[0].label, sizeof(mw->funcs[0]));

	return i < 0 ? &mw->other_func : &mw->funcs[i];
}

/* A failed call's result, by the name the correlator gave it (result_name). */
static void code_add(struct metrics_writer *mw, const struct ts_slice *s)
{
	const struct ts_arg *name = ts_slice_arg(s, "result_name");
	const struct ts_arg *res = ts_slice_arg(s, "result");
	char label[TS_PROM_LABEL_MAX], num[32];
	unsigned int i;

	if (name && name->type == TS_ARG_STR) {
		ts_prom_label(name->str.s, name->str.len, label);
	} else {
		snprintf(num, sizeof(num), "result %lld", res ? (long long)res->i : 0ll);
		ts_prom_label(num, strlen(num), label);
	}
	for (i = 0; i < mw->ncodes; i++)
		if (!strcmp(mw->codes[i].label, label)) {
			mw->codes[i].n++;
			return;
		}
	if (mw->ncodes == TS_METRICS_CODES || strlen(label) >= sizeof(mw->codes[0].label)) {
		mw->other_codes++;
		return;
	}
	snprintf(mw->codes[mw->ncodes].label, sizeof(mw->codes[0].label), "%s", label);
	mw->codes[mw->ncodes++].n = 1;
}

static void copy_add(struct metrics_writer *mw, const struct ts_arg *dir, uint64_t bytes)
{
	size_t len = dir->str.len < 15 ? dir->str.len : 15;
	unsigned int i;

	for (i = 0; i < mw->ndirs; i++)
		if (strlen(mw->dirs[i].name) == len && !memcmp(mw->dirs[i].name, dir->str.s, len))
			break;
	if (i == mw->ndirs) {
		if (i == NDIRS)
			return; /* the correlator has fewer directions than rows */
		memcpy(mw->dirs[i].name, dir->str.s, len);
		mw->dirs[i].name[len] = '\0';
		mw->ndirs++;
	}
	mw->dirs[i].count++;
	mw->dirs[i].bytes += bytes;
}

/* Keep the TS_METRICS_SLOW longest synchronize calls, longest first. */
static void slow_add(struct metrics_writer *mw, const struct ts_slice *s)
{
	const char *name = s->api ? s->api : s->name;
	size_t len = s->api ? strlen(s->api) : s->name_len;
	unsigned int i;

	if (mw->nslow == TS_METRICS_SLOW && mw->slow[TS_METRICS_SLOW - 1].dur >= s->dur)
		return;
	i = mw->nslow < TS_METRICS_SLOW ? mw->nslow++ : TS_METRICS_SLOW - 1;
	for (; i > 0 && mw->slow[i - 1].dur < s->dur; i--)
		mw->slow[i] = mw->slow[i - 1];
	mw->slow[i].pid = s->pid;
	mw->slow[i].dur = s->dur;
	ts_prom_label(name, len < 40 ? len : 40, mw->slow[i].call);
}

/* NCCL calls say their communicator: the widest one names the process's rank. */
static void rank_note(struct m_proc *p, const struct ts_slice *s)
{
	const struct ts_arg *rank = ts_slice_arg(s, "comm_rank");
	const struct ts_arg *nranks = ts_slice_arg(s, "comm_nranks");

	if (!rank || !nranks || nranks->i <= p->nranks)
		return;
	p->rank = rank->i;
	p->nranks = nranks->i;
}

/* ---- the writer: count what the correlator reports ------------------- */

static bool arg_is(const struct ts_arg *a, const char *s)
{
	size_t n = strlen(s);

	return a && a->type == TS_ARG_STR && a->str.len == n && !memcmp(a->str.s, s, n);
}

static void gpu_slice(struct metrics_writer *mw, const struct ts_slice *s)
{
	int t = arg_is(ts_slice_arg(s, "timing"), "gpu") ? T_GPU : T_HOST;
	const struct ts_arg *dir = ts_slice_arg(s, "direction"), *size;
	struct m_proc *p;

	/* a graph's own slice spans its nodes, which come as slices too */
	if (!strcmp(s->cat, "graph"))
		return;
	mw->gpu_ns[t] += s->dur;
	mw->gpu_ops[t]++;
	/* the correlator names the submitting process of every GPU slice (0: none known) */
	if (s->owner_pid) {
		p = proc_owner(mw, s->owner_pid);
		p->gpu_n[t]++;
		p->gpu_ns[t] += s->dur;
	}
	if (!strcmp(s->cat, "kernel")) {
		struct m_kernel *k = kernel_get(mw, s->name, s->name_len);

		k->n[t]++;
		k->ns[t] += s->dur;
	} else if (!strcmp(s->cat, "memcpy") && dir && dir->type == TS_ARG_STR) {
		size = ts_slice_arg(s, "size_bytes");
		copy_add(mw, dir, size ? size->u : 0);
	}
}

static void host_slice(struct metrics_writer *mw, const struct ts_slice *s)
{
	struct m_proc *p = proc_get(mw, s->pid);
	struct m_func *f =
		s->api ? func_get(mw, s->api, strlen(s->api)) : func_get(mw, s->name, s->name_len);

	mw->calls++;
	p->calls++;
	f->calls++;
	rank_note(p, s);
	f->ns += s->dur;
	if (s->kind & TS_SK_FAILED) {
		mw->errors++;
		p->errors++;
		f->errors++;
		code_add(mw, s);
	} else if (!strcmp(s->cat, ts_cat_name(TS_CAT_LAUNCH))) {
		p->launches++;
	}
	if (s->kind & TS_SK_SYNCHRONIZE) {
		p->sync_ns += s->dur;
		slow_add(mw, s);
	}
}

static void mw_slice(struct ts_writer *w, const struct ts_slice *s)
{
	struct metrics_writer *mw = MW(w);

	/* the NVIDIA driver layer's calls are not API calls */
	if (s->pid < TS_GPU_PID_BASE && !strcmp(s->cat, "driver"))
		return;
	pthread_mutex_lock(&mw->lock);
	if (s->pid >= TS_GPU_PID_BASE)
		gpu_slice(mw, s);
	else
		host_slice(mw, s);
	pthread_mutex_unlock(&mw->lock);
}

/* comm as the kernel would have it: the program's base name, 15 bytes at most */
static void set_comm(struct m_proc *p, const char *cmdline)
{
	const char *end = cmdline + strcspn(cmdline, " "), *base = cmdline, *c;
	size_t n;

	for (c = cmdline; c < end; c++)
		if (*c == '/')
			base = c + 1;
	n = end - base < COMM_LEN ? (size_t)(end - base) : COMM_LEN;
	ts_prom_label(base, n, p->comm);
}

static void mw_process(struct ts_writer *w, uint32_t pid, const char *name, enum ts_track_kind k)
{
	struct metrics_writer *mw = MW(w);
	struct m_proc *p;

	if (k != TS_TRACK_HOST)
		return;
	pthread_mutex_lock(&mw->lock);
	p = proc_get(mw, pid);
	if (p->exited) { /* the pid was used again: a new process */
		proc_fold(mw, p);
		p->used = true;
		p->pid = pid;
	}
	if (p != &mw->other_proc)
		set_comm(p, name);
	pthread_mutex_unlock(&mw->lock);
}

static void mw_process_exit(struct ts_writer *w, uint32_t pid)
{
	struct metrics_writer *mw = MW(w);
	unsigned int i;

	pthread_mutex_lock(&mw->lock);
	for (i = 0; i < TS_METRICS_PROCS; i++)
		if (mw->procs[i].used && mw->procs[i].pid == pid && !mw->procs[i].exited) {
			mw->procs[i].exited = true;
			mw->procs[i].exit_seq = ++mw->exits;
		}
	pthread_mutex_unlock(&mw->lock);
}

static void mw_thread(struct ts_writer *w, uint32_t pid, uint32_t tid, const char *name, size_t len)
{
}

static void mw_counter(struct ts_writer *w, uint32_t pid, const struct ts_counter_def *c,
		       uint64_t ts, int64_t value)
{
}

static int mw_finish(struct ts_writer *w, const struct ts_trace_meta *m)
{
	return 0;
}

static void mw_destroy(struct ts_writer *w)
{
	struct metrics_writer *mw = MW(w);

	if (!mw)
		return;
	ts_strmap_free(&mw->kernel_idx);
	ts_strmap_free(&mw->func_idx);
	pthread_mutex_destroy(&mw->lock);
	free(mw);
}

static const struct ts_writer_ops metrics_ops = {
	.name = "metrics",
	.process = mw_process,
	.process_exit = mw_process_exit,
	.thread = mw_thread,
	.slice = mw_slice,
	.counter = mw_counter,
	.finish = mw_finish,
	.destroy = mw_destroy,
};

int ts_metrics_writer_open(struct ts_writer **out)
{
	struct metrics_writer *mw = calloc(1, sizeof(*mw));

	*out = NULL;
	if (!mw)
		return -ENOMEM;
	pthread_mutex_init(&mw->lock, NULL);
	snprintf(mw->other_proc.comm, sizeof(mw->other_proc.comm), "other");
	snprintf(mw->other_kernel.label, sizeof(mw->other_kernel.label), "other");
	snprintf(mw->other_func.label, sizeof(mw->other_func.label), "other");
	mw->base.ops = &metrics_ops;
	*out = &mw->base;
	return 0;
}

void ts_metrics_ring(struct ts_writer *w, uint64_t records, uint64_t drops, uint64_t fill,
		     uint64_t size)
{
	struct metrics_writer *mw = MW(w);

	pthread_mutex_lock(&mw->lock);
	mw->records = records;
	mw->drops = drops;
	mw->ring_fill = fill;
	mw->ring_size = size;
	pthread_mutex_unlock(&mw->lock);
}

/* ---- the page ---------------------------------------------------------- */

#define LABELS 1024 /* the labels of one sample: its escaped values (two at most) and names */

/* A process's labels, and its timing label after them unless timing is NULL. */
static void proc_labels(const struct m_proc *p, bool other, const char *timing, char *l)
{
	int n;

	if (other)
		n = snprintf(l, LABELS, "pid=\"other\",comm=\"other\"");
	else
		n = snprintf(l, LABELS, "pid=\"%u\",comm=\"%s\"", p->pid, p->comm);
	if (timing && n > 0 && n < LABELS)
		snprintf(l + n, LABELS - n, ",timing=\"%s\"", timing);
}

/* Process row i (TS_METRICS_PROCS: "other"), or NULL when it holds nothing. */
static const struct m_proc *proc_row(const struct metrics_writer *mw, unsigned int i)
{
	const struct m_proc *o = &mw->other_proc;

	if (i == TS_METRICS_PROCS)
		return o->calls || o->gpu_n[T_HOST] || o->gpu_n[T_GPU] ? o : NULL;
	return mw->procs[i].used ? &mw->procs[i] : NULL;
}

static void render_procs(const struct metrics_writer *mw, struct ts_prom_page *pg)
{
	static const struct {
		const char *name, *help;
		size_t off;
		bool ns;
	} fams[] = {
		{ "tracesmith_process_api_calls_total", "CUDA driver API calls, by process",
		  offsetof(struct m_proc, calls), false },
		{ "tracesmith_process_launches_total",
		  "Launch calls (of kernels and of graphs) that succeeded, by process",
		  offsetof(struct m_proc, launches), false },
		{ "tracesmith_process_api_errors_total",
		  "API calls that returned an error, by process", offsetof(struct m_proc, errors),
		  false },
		{ "tracesmith_process_sync_wait_seconds_total",
		  "Time spent in synchronize calls, by process", offsetof(struct m_proc, sync_ns),
		  true },
	};
	const struct m_proc *p;
	char l[LABELS];
	unsigned int f, i;

	for (f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		ts_prom_family(pg, fams[f].name, "counter", fams[f].help);
		for (i = 0; i <= TS_METRICS_PROCS; i++) {
			uint64_t v;

			p = proc_row(mw, i);
			if (!p)
				continue;
			v = *(const uint64_t *)((const char *)p + fams[f].off);
			proc_labels(p, i == TS_METRICS_PROCS, NULL, l);
			if (fams[f].ns)
				ts_prom_seconds(pg, fams[f].name, l, v);
			else
				ts_prom_u64(pg, fams[f].name, l, v);
		}
	}
}

static void render_proc_gpu(const struct metrics_writer *mw, struct ts_prom_page *pg)
{
	const char *name = "tracesmith_process_gpu_seconds_total";
	const struct m_proc *p;
	char l[LABELS];
	unsigned int i, t;

	ts_prom_family(pg, name, "counter",
		       "GPU time of kernels, copies and memsets, by the process that submitted "
		       "them; timing=\"gpu\": measured (--gpu-time), \"host\": the submitting "
		       "call's time");
	for (i = 0; i <= TS_METRICS_PROCS; i++) {
		p = proc_row(mw, i);
		if (!p)
			continue;
		for (t = 0; t < T_N; t++) {
			if (!p->gpu_n[t])
				continue;
			proc_labels(p, i == TS_METRICS_PROCS, timing_name[t], l);
			ts_prom_seconds(pg, name, l, p->gpu_ns[t]);
		}
	}
}

static void render_funcs(const struct metrics_writer *mw, struct ts_prom_page *pg)
{
	char l[LABELS];
	unsigned int i, f;

	for (f = 0; f < 3; f++) {
		static const char *const names[] = { "tracesmith_api_calls_total",
						     "tracesmith_api_errors_total",
						     "tracesmith_api_seconds_total" };
		static const char *const helps[] = {
			"CUDA driver API calls, by function",
			"API calls that returned an error, by function",
			"Host time spent in API calls, by function",
		};

		ts_prom_family(pg, names[f], "counter", helps[f]);
		for (i = 0; i <= mw->nfuncs; i++) {
			const struct m_func *fn = i < mw->nfuncs ? &mw->funcs[i] : &mw->other_func;

			if (i == mw->nfuncs && !fn->calls)
				continue;
			snprintf(l, sizeof(l), "function=\"%s\"", fn->label);
			if (f == 0)
				ts_prom_u64(pg, names[f], l, fn->calls);
			else if (f == 1)
				ts_prom_u64(pg, names[f], l, fn->errors);
			else
				ts_prom_seconds(pg, names[f], l, fn->ns);
		}
	}
}

static void render_codes(const struct metrics_writer *mw, struct ts_prom_page *pg)
{
	const char *name = "tracesmith_api_errors_by_code_total";
	char l[LABELS];
	unsigned int i;

	ts_prom_family(pg, name, "counter",
		       "API calls that failed, by result (CUresult, ncclResult_t, cudaError_t); "
		       "not-ready results of queries are not failures");
	for (i = 0; i < mw->ncodes; i++) {
		snprintf(l, sizeof(l), "code=\"%s\"", mw->codes[i].label);
		ts_prom_u64(pg, name, l, mw->codes[i].n);
	}
	if (mw->other_codes)
		ts_prom_u64(pg, name, "code=\"other\"", mw->other_codes);
}

#define STR_(x) #x
#define STR(x)	STR_(x)

static void render_kernels(const struct metrics_writer *mw, struct ts_prom_page *pg)
{
	const char *launches = "tracesmith_kernel_launches_total";
	const char *secs = "tracesmith_kernel_seconds_total";
	const struct m_kernel *k;
	char l[LABELS];
	unsigned int i, t;

	ts_prom_family(pg, launches, "counter",
		       "Kernels run on the GPU, by kernel: the first " STR(
			       TS_METRICS_KERNELS) " names launched, the rest as kernel=\"other\"");
	for (i = 0; i <= mw->nkernels; i++) {
		k = i < mw->nkernels ? &mw->kernels[i] : &mw->other_kernel;
		if (i == mw->nkernels && !k->n[T_HOST] && !k->n[T_GPU])
			continue;
		snprintf(l, sizeof(l), "kernel=\"%s\"", k->label);
		ts_prom_u64(pg, launches, l, k->n[T_HOST] + k->n[T_GPU]);
	}
	ts_prom_family(pg, secs, "counter",
		       "GPU time of kernels, by kernel; timing=\"gpu\": measured (--gpu-time), "
		       "\"host\": the submitting call's time");
	for (i = 0; i <= mw->nkernels; i++) {
		k = i < mw->nkernels ? &mw->kernels[i] : &mw->other_kernel;
		for (t = 0; t < T_N; t++) {
			if (!k->n[t])
				continue;
			snprintf(l, sizeof(l), "kernel=\"%s\",timing=\"%s\"", k->label,
				 timing_name[t]);
			ts_prom_seconds(pg, secs, l, k->ns[t]);
		}
	}
}

static void render_gpu(const struct metrics_writer *mw, struct ts_prom_page *pg)
{
	char l[LABELS];
	unsigned int i;

	ts_prom_family(pg, "tracesmith_gpu_seconds_total", "counter",
		       "GPU time of kernels, copies and memsets; timing=\"gpu\": measured "
		       "(--gpu-time), \"host\": the submitting call's time");
	for (i = 0; i < T_N; i++) {
		snprintf(l, sizeof(l), "timing=\"%s\"", timing_name[i]);
		if (mw->gpu_ops[i])
			ts_prom_seconds(pg, "tracesmith_gpu_seconds_total", l, mw->gpu_ns[i]);
	}
	ts_prom_family(pg, "tracesmith_memcpy_bytes_total", "counter",
		       "Bytes copied, by direction");
	for (i = 0; i < mw->ndirs; i++) {
		snprintf(l, sizeof(l), "direction=\"%s\"", mw->dirs[i].name);
		ts_prom_u64(pg, "tracesmith_memcpy_bytes_total", l, mw->dirs[i].bytes);
	}
	ts_prom_family(pg, "tracesmith_memcpy_total", "counter", "Copies, by direction");
	for (i = 0; i < mw->ndirs; i++) {
		snprintf(l, sizeof(l), "direction=\"%s\"", mw->dirs[i].name);
		ts_prom_u64(pg, "tracesmith_memcpy_total", l, mw->dirs[i].count);
	}
}

static void render_ring(const struct metrics_writer *mw, struct ts_prom_page *pg)
{
	ts_prom_family(pg, "tracesmith_records_total", "counter",
		       "Records read from the BPF ring buffer");
	ts_prom_u64(pg, "tracesmith_records_total", NULL, mw->records);
	ts_prom_family(pg, "tracesmith_dropped_records_total", "counter",
		       "Records lost because the ring buffer was full (try --ringbuf-mb)");
	ts_prom_u64(pg, "tracesmith_dropped_records_total", NULL, mw->drops);
	ts_prom_family(pg, "tracesmith_ringbuf_fill_ratio", "gauge",
		       "How full the ring buffer was when last drained (0 to 1)");
	ts_prom_double(pg, "tracesmith_ringbuf_fill_ratio", NULL,
		       mw->ring_size ? (double)mw->ring_fill / mw->ring_size : 0);
	ts_prom_family(pg, "tracesmith_ringbuf_size_bytes", "gauge", "The ring buffer's size");
	ts_prom_u64(pg, "tracesmith_ringbuf_size_bytes", NULL, mw->ring_size);
}

int ts_metrics_render(struct ts_writer *w, char **page, size_t *len)
{
	struct metrics_writer *mw = MW(w);
	struct ts_prom_page pg;
	int err;

	*page = NULL;
	*len = 0;
	err = ts_prom_page_init(&pg, TS_METRICS_PAGE_MAX);
	if (err)
		return err;
	pthread_mutex_lock(&mw->lock);
	render_procs(mw, &pg);
	render_proc_gpu(mw, &pg);
	render_funcs(mw, &pg);
	render_codes(mw, &pg);
	render_kernels(mw, &pg);
	render_gpu(mw, &pg);
	render_ring(mw, &pg);
	pthread_mutex_unlock(&mw->lock);
	if (pg.full) {
		ts_prom_page_free(&pg);
		return -EFBIG;
	}
	*page = pg.buf;
	*len = pg.len;
	return 0;
}

/* ---- top's view ------------------------------------------------------- */

static void view_proc(const struct m_proc *p, bool other, struct ts_metrics_proc_row *r)
{
	*r = (struct ts_metrics_proc_row){ .pid = p->pid,
					   .other = other,
					   .exited = p->exited,
					   .rank = p->rank,
					   .nranks = p->nranks,
					   .calls = p->calls,
					   .launches = p->launches,
					   .errors = p->errors,
					   .sync_ns = p->sync_ns,
					   .gpu = p->gpu_n[T_GPU] > 0,
					   .gpu_ops = p->gpu_n[T_HOST] + p->gpu_n[T_GPU],
					   .gpu_ns = p->gpu_ns[T_HOST] + p->gpu_ns[T_GPU] };
	snprintf(r->comm, sizeof(r->comm), "%s", p->comm);
}

static void view_kernel(const struct m_kernel *k, bool other, struct ts_metrics_kernel_row *r)
{
	r->other = other;
	r->gpu = k->n[T_GPU] > 0;
	r->n = k->n[T_HOST] + k->n[T_GPU];
	r->ns = k->ns[T_HOST] + k->ns[T_GPU];
	memcpy(r->name, k->label, sizeof(r->name));
}

void ts_metrics_view(struct ts_writer *w, struct ts_metrics_view *v)
{
	struct metrics_writer *mw = MW(w);
	const struct m_proc *p;
	unsigned int i;

	memset(v, 0, sizeof(*v));
	pthread_mutex_lock(&mw->lock);
	for (i = 0; i <= TS_METRICS_PROCS; i++) {
		p = proc_row(mw, i);
		if (p)
			view_proc(p, i == TS_METRICS_PROCS, &v->procs[v->nprocs++]);
	}
	for (i = 0; i < mw->nkernels; i++)
		view_kernel(&mw->kernels[i], false, &v->kernels[v->nkernels++]);
	if (mw->other_kernel.n[T_HOST] || mw->other_kernel.n[T_GPU])
		view_kernel(&mw->other_kernel, true, &v->kernels[v->nkernels++]);
	memcpy(v->slowest, mw->slow, sizeof(v->slowest));
	v->nslow = mw->nslow;
	v->calls = mw->calls;
	v->errors = mw->errors;
	v->records = mw->records;
	v->drops = mw->drops;
	v->ring_fill = mw->ring_fill;
	v->ring_size = mw->ring_size;
	pthread_mutex_unlock(&mw->lock);
}
