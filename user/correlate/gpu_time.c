// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --gpu-time: GPU slices with the times CUPTI measured, each joined to the
 * exact call that submitted it.
 *
 * The join is exact, never "the nearest call in time": the injection library
 * notes, at the entry of each submitting driver call, the thread and a
 * CLOCK_MONOTONIC time under CUPTI's correlation id, and each GPU record
 * carries them. Calls on one thread do not overlap, so the call on that
 * thread whose [entry, return] holds that time is the one. Records come long
 * after their calls (CUPTI hands buffers over when full or every 100 ms), so
 * the submits of a process whose injection runs are held per thread, in call
 * order, until their records come. Memory is bounded: a thread holds at most
 * PRING_MAX submits and all threads PENDING_MAX; a submit pushed out, or
 * still waiting when its process exits or the trace ends, is drawn with its
 * call's times on the "(submitted)" track, and the trace says how many.
 *
 * A record can also come before its call returns: a launch preempted for a
 * few milliseconds while CUPTI's flush runs on another thread hands over the
 * kernel it just queued. Such a record (its call time past the thread's last
 * held call) waits, a bounded few per thread, until a later call on the
 * thread shows its call has returned, or the process ends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "correlate/corr_int.h"
#include "correlate/demangle.h"

#define PRING_MAX	 131072 /* submits held per thread */
#define PENDING_MAX	 262144 /* submits held in all (~48 MiB) */
#define EARLY_PER_THREAD 16	/* records of one thread that came before their call returned */
#define EARLY_MAX	 4096	/* such records held in all (480 KiB) */

/* A GPU record's kind and our op kinds are compared directly */
_Static_assert((int)TS_GPU_KERNEL == (int)TS_OP_KIND_KERNEL &&
		       (int)TS_GPU_COPY == (int)TS_OP_KIND_COPY &&
		       (int)TS_GPU_MEMSET == (int)TS_OP_KIND_MEMSET,
	       "GPU record kinds = op kinds");

/* CUPTI streams of records no traced call submitted: a key no CUstream has */
#define CUPTI_STREAM_KEY(dev, id) (0xfe00000000000000ull | (uint64_t)(dev) << 32 | (id))

/* One thread's held submits, oldest first; one allocation, freed whole. */
struct ts_pring {
	uint32_t cap, head, n;
	uint64_t last_end; /* when the latest call held here returned */
	struct ts_submit v[];
};

/* A thread's records that came before their call returned, in the order they came. */
struct ts_early {
	uint32_t n;
	struct ts_rec_gpu v[EARLY_PER_THREAD];
};

static struct ts_submit *at(struct ts_pring *r, uint32_t i)
{
	return &r->v[(r->head + i) % r->cap];
}

/* The oldest leaves: drawn host-timed unless GPU records came for it. */
static void evict(struct ts_corr *c, struct ts_pring *r)
{
	struct ts_submit *s = at(r, 0);

	if (!s->matched)
		ts_gpu_draw_host(c, s);
	r->head = (r->head + 1) % r->cap;
	r->n--;
	c->npending--;
}

/* A submit is done when its records came: one op, or each node of its graph. */
static bool done(const struct ts_submit *s)
{
	return s->matched >= s->expect;
}

static void pop_done(struct ts_corr *c, struct ts_pring *r)
{
	while (r->n && done(at(r, 0)))
		evict(c, r);
}

/* The thread's ring with room for one more; NULL without memory. */
static struct ts_pring *ring_for(struct ts_corr *c, uint32_t pid, uint32_t tid)
{
	struct ts_pring *r = ts_hmap_get_ptr(&c->gpending, pid, tid), *nr;
	uint32_t cap, i;

	if (r && (r->n < r->cap || r->cap == PRING_MAX))
		return r;
	cap = r ? r->cap * 2 : 64;
	nr = malloc(sizeof(*nr) + (size_t)cap * sizeof(nr->v[0]));
	if (!nr)
		return r;
	nr->cap = cap;
	nr->head = 0;
	nr->n = r ? r->n : 0;
	nr->last_end = r ? r->last_end : 0;
	for (i = 0; i < nr->n; i++)
		nr->v[i] = *at(r, i);
	/* the old ring is freed by the map */
	return ts_hmap_put_owned(&c->gpending, pid, tid, nr) ? NULL : nr;
}

/* The held submit on tid whose call holds api_ts, or NULL. */
static struct ts_submit *find_submit(struct ts_corr *c, uint32_t pid, uint32_t tid, uint64_t api_ts,
				     struct ts_pring **ring)
{
	struct ts_pring *r = ts_hmap_get_ptr(&c->gpending, pid, tid);
	uint32_t lo = 0, hi, mid;
	struct ts_submit *s;

	*ring = r;
	if (!r || !r->n || !api_ts)
		return NULL;
	/* the last call that began at or before api_ts */
	hi = r->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (at(r, mid)->ts <= api_ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	s = at(r, lo - 1);
	return api_ts <= s->ts + s->dur ? s : NULL;
}

static void draw_record(struct ts_corr *c, const struct ts_rec_gpu *r, struct ts_submit *sub,
			struct ts_pring *ring);

/* Draw the thread's early records whose call has returned by upto (UINT64_MAX: every one). */
static void unpark(struct ts_corr *c, uint32_t pid, uint32_t tid, uint64_t upto)
{
	struct ts_early *e = ts_hmap_get_ptr(&c->gearly, pid, tid);
	struct ts_pring *ring;
	struct ts_rec_gpu r;
	uint32_t i = 0;

	while (e && i < e->n) {
		if (e->v[i].api_ts > upto) {
			i++;
			continue;
		}
		r = e->v[i];
		memmove(&e->v[i], &e->v[i + 1], (e->n - i - 1) * sizeof(r));
		e->n--;
		c->nearly--;
		draw_record(c, &r, find_submit(c, pid, tid, r.api_ts, &ring), ring);
	}
}

/* Hold a record whose call may not have returned yet; false: draw it now. */
static bool park(struct ts_corr *c, const struct ts_rec_gpu *r, const struct ts_pring *ring)
{
	struct ts_early *e;

	if (!r->api_ts || (ring && ring->last_end >= r->api_ts) || c->nearly >= EARLY_MAX)
		return false;
	e = ts_hmap_get_ptr(&c->gearly, r->hdr.pid, r->hdr.tid);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || ts_hmap_put_owned(&c->gearly, r->hdr.pid, r->hdr.tid, e))
			return false;
	}
	if (e->n == EARLY_PER_THREAD)
		return false;
	e->v[e->n++] = *r;
	c->nearly++;
	return true;
}

void ts_gpu_time_hold(struct ts_corr *c, const struct ts_submit *sub)
{
	struct ts_pring *r = ring_for(c, sub->pid, sub->tid);

	if (r && r->n && (r->n == r->cap || c->npending >= PENDING_MAX))
		evict(c, r);
	if (!r || r->n == r->cap) {
		ts_gpu_draw_host(c, sub);
		return;
	}
	*at(r, r->n) = *sub;
	/* a graph's exec may be gone when its records come: its size is noted now */
	if (sub->graph) {
		const struct ts_graph *g = ts_graph_exec(c, sub->pid, sub->exec);

		at(r, r->n)->expect = g && g->n + g->cut ? g->n + g->cut : 1;
	} else {
		at(r, r->n)->expect = 1;
	}
	r->n++;
	c->npending++;
	if (sub->ts + sub->dur > r->last_end)
		r->last_end = sub->ts + sub->dur;
	/* records that came early: their call, if it is this one, is held now */
	unpark(c, sub->pid, sub->tid, r->last_end);
}

/* CUpti_ActivityMemcpyKind -> our direction */
static uint8_t copy_dir(uint8_t kind)
{
	switch (kind) {
	case 1:
		return TS_DIR_HTOD;
	case 2:
		return TS_DIR_DTOH;
	case 8:
		return TS_DIR_DTOD;
	case 9:
		return TS_DIR_HTOH;
	case 10:
		return TS_DIR_PEER;
	default:
		return TS_DIR_DEFAULT;
	}
}

/* What the GPU record itself says ran (a graph's node, or an op no call of ours submitted). */
static void op_of_record(const struct ts_rec_gpu *r, struct ts_gpu_op *op)
{
	memset(op, 0, sizeof(*op));
	op->kind = r->hdr.flags == TS_GPU_KERNEL ? TS_OP_KIND_KERNEL
		   : r->hdr.flags == TS_GPU_COPY ? TS_OP_KIND_COPY
						 : TS_OP_KIND_MEMSET;
	memcpy(op->launch.grid, r->grid, sizeof(op->launch.grid));
	memcpy(op->launch.block, r->block, sizeof(op->launch.block));
	op->launch.shmem = r->shmem;
	op->bytes = r->bytes;
	op->value = r->value;
	op->dir = copy_dir(r->copy_kind);
}

static struct ts_stream *record_stream(struct ts_corr *c, const struct ts_rec_gpu *r,
				       const struct ts_submit *sub)
{
	char label[48];

	if (sub)
		return ts_gpu_stream(c, sub);
	snprintf(label, sizeof(label), "CUPTI stream %u", r->stream);
	return ts_gpu_stream_by_key(c, r->hdr.pid, CUPTI_STREAM_KEY(r->device, r->stream),
				    ts_dev_slot(c, r->hdr.pid, r->device), label);
}

/* How the slice ties to its call; a graph's node says which. */
static void join_args(struct ts_slice *s, const struct ts_rec_gpu *r, struct ts_submit *sub,
		      uint32_t dev)
{
	static const char unseen[] = "not traced: before the trace began, or its call was lost";

	if (sub) {
		if (!sub->matched)
			s->flow_in = sub->flow;
		ts_gpu_common_args(s, sub, dev);
		if (sub->graph)
			ts_arg_hex(s, "graph_exec", sub->exec);
	} else {
		ts_arg_str(s, "submitted_by", unseen, sizeof(unseen) - 1);
		ts_arg_u64(s, "device", dev);
	}
	ts_arg_u64(s, "cupti_correlation_id", r->hdr.aux);
	if (r->graph_node)
		ts_arg_u64(s, "graph_node_id", r->graph_node);
}

static const struct ts_gpu_limits *dev_limits(struct ts_corr *c, uint32_t pid, uint32_t dev)
{
	unsigned int i;

	for (i = 0; i < c->ngdevs; i++)
		if (c->gdevs[i].pid == pid && c->gdevs[i].dev == dev)
			return &c->gdevs[i].lim;
	return NULL;
}

/* The trace's list of devices (TARGET_INFO_GPU): each device id once, the first few. */
static void meta_gpu(struct ts_corr *c, const struct ts_rec_gpu_info *r,
		     const struct ts_gpu_limits *l)
{
	struct ts_trace_meta *m = &c->meta;
	struct ts_meta_gpu *g;
	unsigned int i;

	for (i = 0; i < m->ngpus; i++)
		if (m->gpus[i].id == r->hdr.aux)
			return;
	if (m->ngpus == TS_META_GPUS)
		return;
	g = &m->gpus[m->ngpus++];
	*g = (struct ts_meta_gpu){ .id = r->hdr.aux,
				   .sms = l->sms,
				   .max_warps = l->max_warps,
				   .max_blocks = l->max_blocks,
				   .max_regs = l->max_regs,
				   .max_shmem = l->max_shmem,
				   .cc = l->cc };
	/* the process wrote it: NUL-terminated here, whatever it sent */
	memcpy(g->name, r->msg,
	       sizeof(g->name) - 1 < sizeof(r->msg) ? sizeof(g->name) - 1 : sizeof(r->msg));
	g->name[sizeof(g->name) - 1] = 0;
}

/* CUPTI's device record: kept (a bounded few) for its kernels' occupancy. */
static void dev_noted(struct ts_corr *c, const struct ts_rec_gpu_info *r)
{
	struct ts_gpu_limits *l = (struct ts_gpu_limits *)dev_limits(c, r->hdr.pid, r->hdr.aux);

	if (!l && c->ngdevs == TS_GPU_DEVS_MAX)
		return;
	if (!l) {
		c->gdevs[c->ngdevs] = (struct ts_gpu_dev){ .pid = r->hdr.pid, .dev = r->hdr.aux };
		l = &c->gdevs[c->ngdevs++].lim;
	}
	l->sms = (uint32_t)r->v[0];
	l->max_warps = r->v[0] >> 32;
	l->max_regs = (uint32_t)r->v[1];
	l->max_shmem = r->v[1] >> 32;
	l->max_blocks = (uint32_t)r->v[2];
	l->cc = r->v[2] >> 32;
	meta_gpu(c, r, l);
}

/* A kernel's registers, shared and local memory as CUPTI said them; its occupancy. */
static void kernel_facts(struct ts_corr *c, struct ts_slice *s, const struct ts_rec_gpu *r)
{
	struct ts_kernel_use k = { .regs = r->regs, .dyn_shmem = r->dyn_shmem };
	int occ;

	/* a capture from before CUPTI's facts were handed over says none */
	if (r->hdr.flags != TS_GPU_KERNEL || !r->regs || r->dyn_shmem > r->shmem)
		return;
	k.static_shmem = r->shmem - r->dyn_shmem;
	memcpy(k.grid, r->grid, sizeof(k.grid));
	memcpy(k.block, r->block, sizeof(k.block));
	ts_arg_u64(s, "registers_per_thread", r->regs);
	ts_arg_u64(s, "static_shared_memory", k.static_shmem);
	ts_arg_u64(s, "dynamic_shared_memory", k.dyn_shmem);
	ts_arg_u64(s, "local_memory_per_thread", r->local_mem);
	ts_arg_u64(s, "local_memory_total", r->local_mem_total);
	occ = ts_occupancy_pct(dev_limits(c, r->hdr.pid, r->device), &k);
	if (occ >= 0)
		ts_arg_u64(s, "est_achieved_occupancy_pct", (uint64_t)occ);
}

void ts_gpu_time_record(struct ts_corr *c, const struct ts_rec_gpu *r)
{
	struct ts_pring *ring;
	struct ts_submit *sub = find_submit(c, r->hdr.pid, r->hdr.tid, r->api_ts, &ring);

	if (!sub && park(c, r, ring))
		return;
	draw_record(c, r, sub, ring);
}

/* A GPU record drawn with CUPTI's times, joined to sub (its held call, found in ring) if any. */
static void draw_record(struct ts_corr *c, const struct ts_rec_gpu *r, struct ts_submit *sub,
			struct ts_pring *ring)
{
	const char *cupti_name =
		r->name_id ? ts_hmap_get_ptr(&c->gnames, r->hdr.pid, r->name_id) : NULL;
	struct ts_slice s = { 0 };
	struct ts_stream *st;
	struct ts_gpu_op op;
	char buf[48];

	/* our call's view (addresses, its handle) where it is the op itself */
	if (sub && !sub->graph && sub->op.kind == r->hdr.flags)
		op = sub->op;
	else
		op_of_record(r, &op);
	st = record_stream(c, r, sub);
	if (!st)
		return;
	/* CUPTI names the stream: its id from now on, for host-timed work on it too */
	st->id = r->stream;
	ts_gpu_op_slice(c, r->hdr.pid, &op, &s, buf, sizeof(buf));
	if (cupti_name && op.kind == TS_OP_KIND_KERNEL) {
		s.name = cupti_name; /* CUPTI's, not one recovered */
		ts_slice_drop_arg(&s, "name_source");
	} else if (r->name_id && op.kind == TS_OP_KIND_KERNEL && !op.launch.func) {
		/* a name past the memory budget (or never sent): its CUPTI id says which */
		snprintf(buf, sizeof(buf), "kernel@cupti:%llu", (unsigned long long)r->name_id);
		s.name = buf;
	}
	s.name_len = strlen(s.name);
	ts_arg_str(&s, "timing", "gpu", 3);
	s.ts = ts_rel(c, r->hdr.ts);
	s.dur = r->end - r->hdr.ts;
	s.pid = TS_GPU_PID_BASE + st->dev;
	s.tid = ts_gpu_lane(c, st, TS_TIMING_GPU, s.ts, s.ts + s.dur);
	join_args(&s, r, sub, st->dev);
	kernel_facts(c, &s, r);
	ts_gpu_stream_id(&s, st, r->hdr.pid);
	c->w->ops->slice(c->w, &s);
	c->stats.gpu_ops++;
	c->stats.gpu_measured++;
	if (!sub) {
		c->stats.gpu_unjoined++;
		return;
	}
	sub->matched++;
	pop_done(c, ring);
}

void ts_gpu_time_name(struct ts_corr *c, const struct ts_rec_gpu_name *r)
{
	char *raw, *name;

	if (!r->id || ts_hmap_get(&c->gnames, r->hdr.pid, r->id))
		return;
	raw = strndup(r->name, r->name_len);
	name = raw ? ts_demangle(raw) : NULL;
	free(raw);
	/* past the budget its kernels are drawn as "kernel", and the trace counts it */
	ts_names_keep(c, &c->cupti_names, &c->gnames, r->hdr.pid, r->id, name);
}

void ts_gpu_time_info(struct ts_corr *c, const struct ts_rec_gpu_info *r)
{
	struct ts_proc *p;

	switch (r->hdr.flags) {
	case TS_GPUI_STARTED:
		p = ts_proc_find_or_announce(c, r->hdr.pid);
		if (p)
			p->gpu_time = true;
		break;
	case TS_GPUI_CLOCK:
		if (r->v[2] > c->clock_err_ns && r->v[2] < 1000000000ull)
			c->clock_err_ns = r->v[2];
		break;
	case TS_GPUI_DROPPED:
		c->stats.cupti_dropped = ts_sat_add(c->stats.cupti_dropped, r->v[0]);
		break;
	case TS_GPUI_FAILED:
		c->gpu_time_failed++;
		break;
	case TS_GPUI_DEVICE:
		dev_noted(c, r);
		break;
	default:
		break;
	}
}

void ts_gpu_time_forget(struct ts_corr *c, uint32_t pid, bool all)
{
	struct ts_hent *e;
	unsigned int i;

	/* records still early: their call never came; drawn before the held calls go */
	ts_hmap_for_each (&c->gearly, e)
		if (all || e->key.a == pid)
			unpark(c, e->key.a, e->key.b, UINT64_MAX);
	ts_hmap_free_owned(&c->gearly, all, pid);
	ts_hmap_for_each (&c->gpending, e) {
		struct ts_pring *r = (struct ts_pring *)(uintptr_t)e->val;

		if (all || e->key.a == pid)
			while (r->n)
				evict(c, r);
	}
	ts_hmap_free_owned(&c->gpending, all, pid);
	for (i = c->ngdevs; i-- > 0;)
		if (all || c->gdevs[i].pid == pid)
			c->gdevs[i] = c->gdevs[--c->ngdevs];
	ts_names_forget(&c->cupti_names, &c->gnames, all, pid);
}
