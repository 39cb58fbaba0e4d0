// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The correlator's entry: each record to its handler; API calls become host
 * slices here, with the context, name and memory bookkeeping they carry, and
 * go down to the GPU side (gpu_track.c) and the driver side (driver_track.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "correlate/corr_int.h"
#include "probe/curesult.h"
#include "correlate/demangle.h"

static const struct ts_counter_def mem_counter = { "GPU memory allocated (bytes)", TS_UNIT_BYTES };

static void set_ctx(struct ts_thr *t, uint64_t ctx)
{
	if (!t->depth)
		t->depth = 1;
	t->ctx[t->depth - 1] = ctx;
}

static void track_context(struct ts_corr *c, const struct ts_call *call)
{
	const struct ts_rec_api *r = call->rec;
	struct ts_thr *t = ts_thread_find_or_announce(c, r->hdr.pid, r->hdr.tid);
	uint64_t ctx = 0, dev = 0;

	if (!t || r->ret)
		return;
	switch (call->hook->sem) {
	case TS_SEM_CTX_CREATE:
	case TS_SEM_CTX_RETAIN:
		if (!ts_call_val(call, ROLE_OUT_HANDLE, &ctx) ||
		    !ts_call_val(call, ROLE_DEVICE, &dev))
			return;
		/* past the budget its device is not kept: its work is drawn on device 0 */
		if (c->ctxdev.count >= TS_CAP_CONTEXTS && !ts_hmap_get(&c->ctxdev, r->hdr.pid, ctx))
			ts_cut(&c->cuts, TS_CUT_CONTEXTS);
		else
			ts_hmap_put(&c->ctxdev, r->hdr.pid, ctx, ts_dev_slot(c, r->hdr.pid, dev));
		if (call->hook->sem == TS_SEM_CTX_CREATE)
			set_ctx(t, ctx);
		break;
	case TS_SEM_CTX_SET:
		if (ts_call_val(call, ROLE_CTX, &ctx))
			set_ctx(t, ctx);
		break;
	case TS_SEM_CTX_PUSH:
		if (ts_call_val(call, ROLE_CTX, &ctx) && t->depth < TS_CTX_STACK)
			t->ctx[t->depth++] = ctx;
		break;
	case TS_SEM_CTX_POP:
		if (t->depth)
			t->depth--;
		break;
	default:
		break;
	}
}

static void track_names(struct ts_corr *c, const struct ts_call *call)
{
	uint32_t pid = call->rec->hdr.pid;
	uint64_t handle = 0, kernel = 0;
	const char *kname;
	char *name;

	if (call->rec->ret)
		return;
	switch (call->hook->sem) {
	case TS_SEM_NAME_FUNC:
	case TS_SEM_NAME_KERNEL:
		if (!call->str_len || !ts_call_val(call, ROLE_OUT_HANDLE, &handle))
			return;
		name = ts_dup_name(call->str, call->str_len);
		if (!name)
			return;
		if (call->hook->sem == TS_SEM_NAME_KERNEL) {
			/* a CUkernel may itself be passed to cuLaunchKernel: kept twice, or not */
			if (!ts_hmap_get(&c->fnames, pid, handle) &&
			    !ts_names_room(c, &c->kernel_names, 2, 2 * strlen(name) + 2)) {
				free(name);
				return;
			}
			ts_names_keep(c, &c->kernel_names, &c->fnames, pid, handle, strdup(name));
			ts_names_keep(c, &c->kernel_names, &c->knames, pid, handle, name);
		} else {
			ts_names_keep(c, &c->kernel_names, &c->fnames, pid, handle, name);
		}
		break;
	case TS_SEM_KERNEL_TO_FUNC:
		if (!ts_call_val(call, ROLE_OUT_HANDLE, &handle) ||
		    !ts_call_val(call, ROLE_KERNEL, &kernel))
			return;
		kname = ts_hmap_get_ptr(&c->knames, pid, kernel);
		if (!kname)
			return;
		ts_names_keep(c, &c->kernel_names, &c->fnames, pid, handle, strdup(kname));
		break;
	case TS_SEM_GET_NAME:
		if (!call->str_len || !ts_call_val(call, ROLE_FUNC, &handle))
			return;
		if (!ts_hmap_get_ptr(&c->fnames, pid, handle))
			ts_names_keep(c, &c->kernel_names, &c->fnames, pid, handle,
				      ts_dup_name(call->str, call->str_len));
		return;
	default:
		return;
	}
	/* seen resolved now: no longer a name read from the object */
	ts_hmap_del(&c->recovered, pid, handle, NULL);
}

static void count_memory(struct ts_corr *c, const struct ts_call *call)
{
	const struct ts_rec_api *r = call->rec;
	struct ts_proc *p = ts_proc_find_or_announce(c, r->hdr.pid);
	uint64_t ptr = 0, size = 0;

	if (!p || r->ret)
		return;
	if (call->hook->sem == TS_SEM_ALLOC) {
		if (!ts_call_val(call, ROLE_OUT_PTR, &ptr) || !ts_call_val(call, ROLE_SIZE, &size))
			return;
		/* past the budget: not counted, as memory allocated before we attached */
		if (c->allocs.count >= TS_CAP_ALLOCS && !ts_hmap_get(&c->allocs, r->hdr.pid, ptr)) {
			ts_cut(&c->cuts, TS_CUT_ALLOCS);
			return;
		}
		if (ts_hmap_put(&c->allocs, r->hdr.pid, ptr, size))
			return;
		p->dev_mem += size;
	} else {
		if (!ts_call_val(call, ROLE_PTR, &ptr) ||
		    !ts_hmap_del(&c->allocs, r->hdr.pid, ptr, &size))
			return; /* freed memory allocated before we attached */
		p->dev_mem -= size;
	}
	c->w->ops->counter(c->w, r->hdr.pid, &mem_counter, ts_rel(c, r->hdr.ts + r->dur),
			   p->dev_mem);
}

/* buf holds a result name the table lacks, for as long as the slice */
static void add_result(struct ts_slice *s, const struct ts_call *call, char *buf, size_t buf_len)
{
	int ret = call->rec->ret;

	ts_arg_i64(s, "result", ret);
	if (ret) {
		const char *n = ts_hook_result_name(call->hook, ret, buf, buf_len);

		ts_arg_str(s, "result_name", n, strlen(n));
	}
}

/* Args any call gets: its captured values, its string, its result. */
/* buf holds a result name the table lacks, for as long as the slice */
static void add_call_args(struct ts_slice *s, const struct ts_call *call, char *buf, size_t buf_len)
{
	const struct ts_rec_api *r = call->rec;
	unsigned int i;

	for (i = 0; call->hook && i < call->hook->nvals; i++) {
		const struct ts_val_def *v = &call->hook->vals[i];
		const struct ts_role_info *ri = &ts_roles[v->role];

		if (ri->fmt == TS_FMT_HIDDEN)
			continue;
		if (v->op == TS_OP_OUT && r->ret)
			continue; /* the callee wrote nothing */
		if (ri->fmt == TS_FMT_HEX)
			ts_arg_hex(s, ri->key, call->vals[i]);
		else if (ts_ctype_signed(v->type))
			ts_arg_i64(s, ri->key, (int64_t)call->vals[i]);
		else
			ts_arg_u64(s, ri->key, call->vals[i]);
	}
	if (call->str_len)
		ts_arg_str(s, "name", call->str, call->str_len);
	/* void, or a pointer: no status to say */
	if (!call->hook || !(call->hook->flags & TS_HF_NO_RESULT))
		add_result(s, call, buf, buf_len);
	if (r->hdr.flags & TS_API_F_STR_TRUNC)
		ts_arg_u64(s, "name_truncated", 1);
}

/*
 * Kineto's category for a library's calls (the JSON writer's; NULL: none of
 * Kineto's). NCCL's own calls have none: Kineto sees collectives as PyTorch ops.
 */
static const char *kineto_cat(const struct ts_hook *h)
{
	static const char *const cats[TS_LIB__COUNT] = {
		[TS_LIB_CUDA] = "cuda_driver",
		[TS_LIB_CUDART] = "cuda_runtime",
	};

	return h && h->lib < TS_LIB__COUNT ? cats[h->lib] : NULL;
}

/* The hook table's facts about the call and its result, for the writers that act on them. */
static uint8_t slice_kind(const struct ts_hook *h, int ret)
{
	uint8_t k = ts_hook_failed(h, ret) ? TS_SK_FAILED : 0;

	if (!h)
		return k;
	if (h->flags & TS_HF_BLOCKS)
		k |= TS_SK_BLOCKS;
	if (h->flags & TS_HF_SYNCHRONIZE)
		k |= TS_SK_SYNCHRONIZE;
	if (h->sem == TS_SEM_ALLOC)
		k |= TS_SK_DEV_ALLOC;
	if (h->sem == TS_SEM_FREE)
		k |= TS_SK_DEV_FREE;
	return k;
}

/*
 * A call from before a flight-recorder snapshot's window: what it says about
 * names, contexts and streams is learned; nothing is drawn or counted.
 */
static void context_call(struct ts_corr *c, const struct ts_call *call)
{
	if (!call->hook)
		return;
	if (call->hook->lib == TS_LIB_CUDART)
		ts_rt_learn(c, call);
	if (call->rec->ret)
		return;
	track_context(c, call);
	track_names(c, call);
	if (call->hook->sem == TS_SEM_STREAM_CREATE)
		ts_gpu_stream_created(c, call, call->rec->vals[0]);
}

static void api_call(struct ts_corr *c, const struct ts_rec_api *r)
{
	struct ts_slice s = { 0 };
	struct ts_call call;
	struct ts_thr *t;
	uint64_t corr = 0, gpu_corr = 0, capture;
	struct ts_submit sub;
	struct ts_proc *p;
	char result[32];

	if (ts_decode_call(&c->syms, r, &call)) {
		c->stats.unknown_syms++;
		return;
	}
	if (r->hdr.flags & TS_API_F_CONTEXT) {
		context_call(c, &call);
		return;
	}
	c->stats.api_calls++;
	t = ts_thread_find_or_announce(c, r->hdr.pid, r->hdr.tid);
	if (!t)
		return;
	if (call.hook) {
		track_context(c, &call);
		track_names(c, &call);
		if (call.hook->sem == TS_SEM_ALLOC || call.hook->sem == TS_SEM_FREE)
			count_memory(c, &call);
		if (call.hook->sem == TS_SEM_STREAM_CREATE && !r->ret)
			ts_gpu_stream_created(c, &call, call.vals[0]);
		if (call.hook->sem == TS_SEM_STREAM_DESTROY && !r->ret)
			ts_gpu_stream_destroyed(c, r->hdr.pid, call.vals[0]);
		ts_graph_call(c, &call, &s);
		/* work on a stream being captured is recorded into a graph, not run */
		capture = r->ret ? 0 : ts_graph_capture(c, &call);
		if (capture) {
			ts_arg_u64(&s, "captured", 1);
			ts_arg_u64(&s, "capture_id", capture);
		} else if (ts_gpu_describe(c, &call, &sub)) {
			/* GPU records will come for it (--gpu-time): held for them */
			p = ts_proc_find(c, sub.pid);
			sub.flow = corr = gpu_corr = ts_rt_submit_corr(c, t, r, &s.corr_is_callers);
			sub.stack = ts_site_stack(c, r);
			if (p && p->gpu_time)
				ts_gpu_time_hold(c, &sub);
			else
				ts_gpu_draw_host(c, &sub);
			ts_nccl_inner(t, r, &s);
		}
		if (call.hook->lib == TS_LIB_NCCL)
			ts_nccl_call(c, &call, t, &s);
		if (call.hook->lib == TS_LIB_CUDART)
			ts_rt_call(c, &call, t, &s);
	}
	if (t->open && t->open_ts == r->hdr.ts)
		t->open = false;
	if (t->npending) {
		/* the driver calls made inside this one share its correlation id */
		if (!corr && ts_drv_pending(t, r->hdr.ts))
			corr = c->next_corr++;
		ts_drv_flush(c, t, r->hdr.ts, corr, call.sym);
	}
	s.pid = r->hdr.pid;
	s.tid = r->hdr.tid;
	s.ts = ts_rel(c, r->hdr.ts);
	s.dur = r->dur;
	s.name = call.sym;
	s.name_len = strlen(call.sym);
	s.cat = call.hook ? ts_cat_name(call.hook->cat) : "cuda";
	s.kind = slice_kind(call.hook, r->ret);
	s.api = call.hook ? call.hook->name : NULL;
	s.kineto_cat = kineto_cat(call.hook);
	s.flow_out = gpu_corr;
	if (corr)
		ts_arg_u64(&s, "correlation_id", corr);
	add_call_args(&s, &call, result, sizeof(result));
	ts_site_args(c, r, &s);
	c->w->ops->slice(c->w, &s);
}

static void meta_start(struct ts_corr *c, const struct ts_rec_meta *m)
{
	size_t len;
	const char *cmd = ts_meta_str(m, 1, &len);

	c->base = m->hdr.ts;
	c->have_base = true;
	c->meta.clock_mono_ns = m->hdr.ts;
	c->meta.clock_real_ns = m->v[0];
	c->meta.system_wide = m->hdr.aux & (TS_MODE_SYSTEM_WIDE | TS_MODE_MERGED);
	c->merged = m->hdr.aux & TS_MODE_MERGED;
	c->meta.clock_boot_ns = m->v[1];
	free(c->tracer_cmdline);
	c->tracer_cmdline = strndup(cmd, len);
	if (c->w->ops->start)
		c->w->ops->start(c->w, &c->meta);
}

/* Which machine the records come from (several, in a merged trace). */
static void meta_host(struct ts_corr *c, const struct ts_rec_meta *m)
{
	size_t len, kvlen;
	const char *name = ts_meta_str(m, 0, &len), *kv = ts_meta_str(m, 1, &kvlen);
	unsigned int i;

	for (i = 0; i < c->nhosts; i++)
		if (strlen(c->hosts[i]) == len && !memcmp(c->hosts[i], name, len))
			return;
	if (c->nhosts == TS_MAX_HOSTS)
		return;
	c->hosts[c->nhosts] = strndup(name, len);
	if (c->hosts[c->nhosts])
		c->nhosts++;
	if (!c->host_identity)
		c->host_identity = strndup(kv, kvlen);
}

/* A kernel name read from the driver's object (it was resolved before the trace began). */
static void meta_name(struct ts_corr *c, const struct ts_rec_meta *m)
{
	size_t len;
	const char *s = ts_meta_str(m, 0, &len);
	char *name;

	if (!len || ts_hmap_get(&c->fnames, m->hdr.pid, m->v[0]))
		return;
	name = ts_dup_name(s, len);
	if (ts_names_keep(c, &c->kernel_names, &c->fnames, m->hdr.pid, m->v[0], name))
		ts_hmap_put(&c->recovered, m->hdr.pid, m->v[0], 1);
}

/* A flight-recorder snapshot: which one, why, and the window it holds. */
static void meta_window(struct ts_corr *c, const struct ts_rec_meta *m)
{
	size_t len, kvlen;
	const char *trig = ts_meta_str(m, 0, &len), *kv = ts_meta_str(m, 1, &kvlen);

	free(c->trigger);
	free(c->window_kv);
	c->trigger = strndup(trig, len);
	c->window_kv = strndup(kv, kvlen);
	c->meta.snapshot = m->hdr.aux;
	c->meta.window_start_ns = ts_rel(c, m->v[0]);
	c->meta.window_end_ns = ts_rel(c, m->v[1]);
}

static void meta_proc(struct ts_corr *c, const struct ts_rec_meta *m)
{
	size_t len;
	const char *cmd = ts_meta_str(m, 0, &len);
	char name[256];

	struct ts_proc *p;

	snprintf(name, sizeof(name), "%.*s", (int)len, cmd);
	p = ts_proc_add(c, m->hdr.pid);
	if (p) {
		snprintf(p->name, sizeof(p->name), "%s", name);
		p->label_nranks = 0; /* an exec: a new program, no rank yet */
	}
	c->w->ops->process(c->w, m->hdr.pid, name[0] ? name : "?", TS_TRACK_HOST);
}

/* A call that began at ts and never returned: drawn up to end, marked unfinished. */
static void draw_unfinished(struct ts_corr *c, uint32_t pid, uint32_t tid, uint32_t sym,
			    uint64_t ts, uint64_t end)
{
	struct ts_slice s = { 0 };

	if (sym >= c->syms.n || !c->syms.names[sym])
		return;
	s.pid = pid;
	s.tid = tid;
	s.ts = ts_rel(c, ts);
	s.dur = end > ts ? end - ts : 0;
	s.name = c->syms.names[sym];
	s.name_len = strlen(s.name);
	s.cat = c->syms.hooks[sym] ? ts_cat_name(c->syms.hooks[sym]->cat) : "cuda";
	s.kineto_cat = kineto_cat(c->syms.hooks[sym]);
	ts_arg_u64(&s, "unfinished", 1);
	c->w->ops->slice(c->w, &s);
}

/*
 * The calls a thread is in that never returned: an NCCL or runtime call (an
 * all-reduce waiting for a peer), and the driver call that blocks inside it.
 */
static void close_open_call(struct ts_corr *c, uint32_t pid, uint32_t tid, struct ts_thr *t,
			    uint64_t end)
{
	if (t->up_open)
		draw_unfinished(c, pid, tid, t->up_sym, t->up_ts, end);
	if (t->open)
		draw_unfinished(c, pid, tid, t->open_sym, t->open_ts, end);
	t->up_open = false;
	t->open = false;
}

static void close_open_calls(struct ts_corr *c, uint32_t pid, bool all, uint64_t end)
{
	struct ts_hent *e;

	ts_hmap_for_each (&c->threads, e)
		if (all || e->key.a == pid)
			close_open_call(c, e->key.a, e->key.b, (struct ts_thr *)(uintptr_t)e->val,
					end);
}

/* A thread ended (its process goes on): what it held is written, then dropped. */
static void thread_exit(struct ts_corr *c, const struct ts_rec_hdr *h)
{
	uint64_t v;
	struct ts_thr *t;

	if (!ts_hmap_del(&c->threads, h->pid, h->tid, &v))
		return;
	t = (struct ts_thr *)(uintptr_t)v;
	close_open_call(c, h->pid, h->tid, t, h->ts);
	ts_drv_flush(c, t, 0, 0, NULL);
	ts_site_forget(c, h->pid, h->tid, false);
	free(t);
}

static void call_began(struct ts_corr *c, const struct ts_rec_hdr *h)
{
	struct ts_thr *t = ts_thread_find_or_announce(c, h->pid, h->tid);

	if (!t || ts_nccl_began(c, t, h))
		return;
	t->open = true;
	t->open_sym = h->aux;
	t->open_ts = h->ts;
}

static void proc_exit(struct ts_corr *c, const struct ts_rec_hdr *h)
{
	uint32_t pid = h->pid;

	ts_gpu_time_forget(c, pid, false);
	ts_nvtx_forget(c, pid, false);
	close_open_calls(c, pid, false, h->ts);
	ts_drv_forget(c, pid, false);
	ts_hmap_free_owned(&c->procs, false, pid);
	ts_state_free_threads(c, false, pid);
	ts_names_forget(&c->kernel_names, &c->fnames, false, pid);
	ts_names_forget(&c->kernel_names, &c->knames, false, pid);
	ts_names_forget(&c->kernel_names, &c->rtfuncs, false, pid);
	ts_hmap_del_all(&c->recovered, pid);
	ts_hmap_del_all(&c->ctxdev, pid);
	ts_hmap_del_all(&c->allocs, pid);
	ts_hmap_free_owned(&c->streams, false, pid);
	ts_graph_forget(c, pid, false);
	if (c->w->ops->process_exit)
		c->w->ops->process_exit(c->w, pid);
	ts_nccl_forget(c, pid, false);
	ts_site_forget(c, pid, 0, true);
}

static void thread_named(struct ts_corr *c, const struct ts_rec_thread *t)
{
	bool created;

	if (ts_thread_add(c, t->hdr.pid, t->hdr.tid, &created))
		c->w->ops->thread(c->w, t->hdr.pid, t->hdr.tid, t->comm,
				  strnlen(t->comm, sizeof(t->comm)));
}

int ts_corr_feed(struct ts_corr *c, const void *rec)
{
	const struct ts_rec_hdr *h = rec;
	enum ts_invalid why;

	c->stats.records++;
	/* the one check of times and counts: no writer sees what fails it */
	why = ts_rec_validate(rec, c->have_base ? c->base : 0);
	if (why != TS_VALID) {
		c->stats.invalid[why] = ts_sat_add(c->stats.invalid[why], 1);
		return 0;
	}
	if (!c->have_base) {
		c->base = h->ts;
		c->have_base = true;
	}
	/* past the threads' or processes' memory budget, drawn on an overflow thread or process */
	rec = ts_rec_bound(c, rec);
	if (!rec)
		return 0;
	h = rec;
	if (h->kind < TS_REC_META_START && h->ts > c->last_ts)
		c->last_ts = h->ts;
	switch (h->kind) {
	case TS_REC_API:
		if (h->ts + ((const struct ts_rec_api *)rec)->dur > c->last_ts)
			c->last_ts = h->ts + ((const struct ts_rec_api *)rec)->dur;
		api_call(c, rec);
		break;
	case TS_REC_THREAD:
		thread_named(c, rec);
		break;
	case TS_REC_EXIT:
		if (h->flags & TS_EXIT_F_THREAD)
			thread_exit(c, h);
		else
			proc_exit(c, h);
		break;
	case TS_REC_API_ENTER:
		call_began(c, h);
		break;
	case TS_REC_GPU:
		if (((const struct ts_rec_gpu *)rec)->end > c->last_ts)
			c->last_ts = ((const struct ts_rec_gpu *)rec)->end;
		ts_gpu_time_record(c, rec);
		break;
	case TS_REC_GPU_NAME:
		ts_gpu_time_name(c, rec);
		break;
	case TS_REC_GPU_INFO:
		ts_gpu_time_info(c, rec);
		break;
	case TS_REC_NVTX:
		ts_nvtx_record(c, rec);
		break;
	case TS_REC_DRIVER:
		if (h->ts + ((const struct ts_rec_driver *)rec)->dur > c->last_ts)
			c->last_ts = h->ts + ((const struct ts_rec_driver *)rec)->dur;
		ts_drv_record(c, rec);
		break;
	case TS_REC_META_START:
		meta_start(c, rec);
		break;
	case TS_REC_META_SYM:
		return ts_symtab_add(&c->syms, rec);
	case TS_REC_META_PROC:
		meta_proc(c, rec);
		break;
	case TS_REC_META_HOST:
		meta_host(c, rec);
		break;
	case TS_REC_META_DROPS:
		c->stats.drops = ((const struct ts_rec_meta *)rec)->v[0];
		break;
	case TS_REC_META_END:
		c->stop_ts = h->ts;
		break;
	case TS_REC_META_LIB:
		c->driver_major = ((const struct ts_rec_meta *)rec)->v[0];
		break;
	case TS_REC_META_NAME:
		meta_name(c, rec);
		break;
	case TS_REC_META_SNAP:
		meta_window(c, rec);
		break;
	case TS_REC_STACK:
	case TS_REC_PYCODE:
	case TS_REC_META_CALLER:
		ts_site_record(c, rec);
		break;
	default:
		break;
	}
	/* a record's events are all out: the file may end here */
	if (c->w->ops->sync)
		c->w->ops->sync(c->w, false);
	return 0;
}

static int corr_put(struct ts_sink *s, const void *rec)
{
	return ts_corr_feed(((struct ts_corr_sink *)s)->corr, rec);
}

void ts_corr_sink_init(struct ts_corr_sink *s, struct ts_corr *corr)
{
	s->base.put = corr_put;
	s->corr = corr;
}

void ts_corr_sync(struct ts_corr *c)
{
	if (c->w->ops->sync)
		c->w->ops->sync(c->w, true);
}

int ts_corr_finish(struct ts_corr *c, bool incomplete)
{
	ts_gpu_time_forget(c, 0, true);
	ts_nvtx_forget(c, 0, true);
	close_open_calls(c, 0, true, c->stop_ts > c->last_ts ? c->stop_ts : c->last_ts);
	ts_drv_forget(c, 0, true);
	c->meta.version = c->version;
	c->meta.tracer_cmdline = c->tracer_cmdline ? c->tracer_cmdline : "";
	c->meta.drops = c->stats.drops;
	c->meta.records = c->stats.records;
	c->meta.end_ns = ts_rel(c, c->last_ts);
	c->meta.incomplete = incomplete;
	memcpy(c->meta.invalid, c->stats.invalid, sizeof(c->meta.invalid));
	c->meta.gpu_timing = !c->stats.gpu_ops	       ? NULL
			     : !c->stats.gpu_measured  ? "host-submit"
			     : c->stats.gpu_host_timed ? "mixed"
						       : "gpu";
	c->meta.gpu_measured = c->stats.gpu_measured;
	c->meta.gpu_host_timed = c->stats.gpu_host_timed;
	c->meta.gpu_unjoined = c->stats.gpu_unjoined;
	c->meta.cupti_dropped = c->stats.cupti_dropped;
	c->meta.gpu_clock_err_ns = c->clock_err_ns;
	c->meta.nvtx_ranges = c->stats.nvtx_ranges;
	c->meta.nvtx_marks = c->stats.nvtx_marks;
	c->meta.nvtx_cut = c->stats.nvtx_cut;
	c->meta.nvtx_unmatched = c->stats.nvtx_unmatched;
	c->meta.nvtx_unclosed = c->stats.nvtx_unclosed;
	memcpy(c->meta.hosts, c->hosts, sizeof(c->meta.hosts));
	c->meta.nhosts = c->nhosts;
	c->meta.host_identity = c->host_identity;
	c->meta.trigger = c->trigger;
	c->meta.window_kv = c->window_kv;
	c->meta.cuts = c->cuts;
	return c->w->ops->finish(c->w, &c->meta);
}

/* Creating and freeing the correlator: beside ts_corr_finish, above every track it frees. */
struct ts_corr *ts_corr_new(struct ts_writer *w, const char *version)
{
	struct ts_corr *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->w = w;
	c->version = version;
	c->next_corr = 1;
	c->kernel_names = (struct ts_name_budget){ .max_count = TS_CAP_KERNEL_NAMES,
						   .max_bytes = TS_CAP_KERNEL_NAME_BYTES,
						   .table = TS_CUT_KERNEL_NAMES };
	c->cupti_names = (struct ts_name_budget){ .max_count = TS_CAP_CUPTI_NAMES,
						  .max_bytes = TS_CAP_CUPTI_NAME_BYTES,
						  .table = TS_CUT_CUPTI_NAMES };
	return c;
}

void ts_corr_free(struct ts_corr *c)
{
	if (!c)
		return;
	ts_hmap_free_owned(&c->procs, true, 0);
	ts_state_free_threads(c, true, 0);
	ts_hmap_free_owned(&c->streams, true, 0);
	ts_names_forget(&c->kernel_names, &c->fnames, true, 0);
	ts_names_forget(&c->kernel_names, &c->knames, true, 0);
	ts_names_forget(&c->kernel_names, &c->rtfuncs, true, 0);
	ts_hmap_free_owned(&c->gpending, true, 0);
	ts_hmap_free_owned(&c->gearly, true, 0);
	ts_names_forget(&c->cupti_names, &c->gnames, true, 0);
	ts_nvtx_forget(c, 0, true);
	/* the maps of plain values; those above are emptied by their free_owned */
	ts_hmap_free(&c->ctxdev);
	ts_hmap_free(&c->recovered);
	free(c->tid_copy);
	ts_hmap_free(&c->allocs);
	ts_graph_forget(c, 0, true);
	ts_nccl_forget(c, 0, true);
	ts_site_free(c);
	ts_symtab_free(&c->syms);
	free(c->tracer_cmdline);
	while (c->nhosts)
		free(c->hosts[--c->nhosts]);
	free(c->host_identity);
	free(c->trigger);
	free(c->window_kv);
	free(c);
}
