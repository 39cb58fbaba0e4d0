// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The GPU side of correlation: devices, streams and their tracks, and the
 * slice each kernel, copy, memset and graph launch makes on its stream.
 *
 * Without --gpu-time a GPU slice starts at submission and lasts as long as
 * the host call (the driver API does not say when the GPU ran it), on a track
 * named "(submitted)"; with it, gpu_time.c draws what CUPTI measured on the
 * stream's own track. Slices on one track must nest or not overlap at all,
 * so work that would overlap (several threads sharing a stream, a host-timed
 * slice next to a measured one) goes to a sibling lane track.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "correlate/corr_int.h"

/* Stream handles with fixed meanings (cuda.h) */
#define CU_STREAM_LEGACY     0x1
#define CU_STREAM_PER_THREAD 0x2

/* Key of a per-thread default stream in the streams map: never a real pointer */
#define PT_STREAM_KEY(tid) (0xff00000000000000ull | (tid))
/* Key of the stream that holds, per device, the work of streams past the memory budget */
#define OVERFLOW_STREAM_KEY(dev) (0xfd00000000000000ull | (dev))

static void announce_device(struct ts_corr *c, uint32_t dev)
{
	char name[128];

	if (c->devs[dev].announced)
		return;
	c->devs[dev].announced = true;
	/* merged: each host's devices, named with the host */
	if (c->merged && dev / TS_DEVS_PER_HOST < c->nhosts)
		snprintf(name, sizeof(name), "GPU Device %u (%s)", dev % TS_DEVS_PER_HOST,
			 c->hosts[dev / TS_DEVS_PER_HOST]);
	else
		snprintf(name, sizeof(name), "GPU Device %u", dev);
	c->w->ops->process(c->w, TS_GPU_PID_BASE + dev, name, TS_TRACK_GPU);
}

static struct ts_stream *stream_new(struct ts_corr *c, uint32_t pid, uint64_t key, uint32_t dev,
				    const char *label)
{
	struct ts_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->dev = dev;
	s->id = ++c->next_stream_id;
	if (c->meta.system_wide)
		snprintf(s->name, sizeof(s->name), "%s (pid %u)", label, pid);
	else
		snprintf(s->name, sizeof(s->name), "%s", label);
	return ts_hmap_put_owned(&c->streams, pid, key, s) ? NULL : s;
}

void ts_gpu_stream_created(struct ts_corr *c, const struct ts_call *call, uint64_t stream)
{
	const struct ts_rec_hdr *h = &call->rec->hdr;
	char label[48];

	/* past the budget: its work, if any comes, is counted and drawn as it comes */
	if (c->streams.count >= TS_CAP_STREAMS)
		return;
	snprintf(label, sizeof(label), "Stream 0x%llx", (unsigned long long)stream);
	stream_new(c, h->pid, stream, ts_thread_dev(c, h->pid, h->tid), label);
}

void ts_gpu_stream_destroyed(struct ts_corr *c, uint32_t pid, uint64_t stream)
{
	uint64_t v;

	/* its tracks stay in the trace; a new stream at this address gets new ones */
	if (ts_hmap_del(&c->streams, pid, stream, &v))
		free((void *)(uintptr_t)v);
}

/* The stream a call submits to, created on first use for default streams. */
struct ts_stream *ts_gpu_stream(struct ts_corr *c, const struct ts_submit *sub)
{
	uint64_t handle = sub->stream, key = handle;
	struct ts_stream *st;
	uint32_t dev = sub->dev;
	bool per_thread = handle == CU_STREAM_PER_THREAD || (handle == 0 && sub->per_thread);
	bool legacy = !per_thread && (handle == 0 || handle == CU_STREAM_LEGACY);
	char label[64];

	if (per_thread)
		key = PT_STREAM_KEY(sub->tid);
	else if (legacy) /* the legacy default stream is one per context: one per device here */
		key = CU_STREAM_LEGACY | (uint64_t)dev << 8;
	/* known already, the common case: no label to make (a printf per GPU op was 9% of an export) */
	st = ts_hmap_get_ptr(&c->streams, sub->pid, key);
	if (st)
		return st;
	if (per_thread)
		snprintf(label, sizeof(label), "Per-thread default stream (tid %u)", sub->tid);
	else if (legacy)
		snprintf(label, sizeof(label), "Default stream");
	else
		snprintf(label, sizeof(label), "Stream 0x%llx", (unsigned long long)handle);
	return ts_gpu_stream_by_key(c, sub->pid, key, dev, label);
}

struct ts_stream *ts_gpu_stream_by_key(struct ts_corr *c, uint32_t pid, uint64_t key, uint32_t dev,
				       const char *label)
{
	struct ts_stream *st = ts_hmap_get_ptr(&c->streams, pid, key);

	if (st)
		return st;
	dev %= TS_MAX_DEVICES;
	if (c->streams.count >= TS_CAP_STREAMS) {
		/* past the budget: the work goes on one shared track of the device, counted */
		ts_cut(&c->cuts, TS_CUT_STREAMS);
		st = ts_hmap_get_ptr(&c->streams, pid, OVERFLOW_STREAM_KEY(dev));
		return st ? st
			  : stream_new(c, pid, OVERFLOW_STREAM_KEY(dev), dev,
				       "Streams past the memory budget");
	}
	/* created before we attached, or a default stream */
	return stream_new(c, pid, key, dev, label);
}

uint32_t ts_gpu_lane(struct ts_corr *c, struct ts_stream *s, enum ts_timing timing, uint64_t ts,
		     uint64_t end)
{
	struct ts_lanes *ls = timing == TS_TIMING_GPU ? &s->gpu : &s->sub;
	struct ts_device *d = &c->devs[s->dev];
	/* host-submit times are not execution: their tracks say so */
	const char *sfx = timing == TS_TIMING_GPU ? "" : " (submitted)";
	struct ts_lane *l;
	char name[128];
	unsigned int i;

	for (i = 0; i < ls->n; i++) {
		if (ts >= ls->lanes[i].end) {
			ls->lanes[i].end = end;
			return ls->lanes[i].tid;
		}
	}
	if (ls->n == TS_MAX_LANES) {
		/* out of lanes: stack on the last one, after everything on it */
		return ls->lanes[TS_MAX_LANES - 1].tid;
	}
	announce_device(c, s->dev);
	l = &ls->lanes[ls->n++];
	l->tid = ++d->next_tid;
	l->end = end;
	if (ls->n == 1)
		snprintf(name, sizeof(name), "%s%s", s->name, sfx);
	else
		snprintf(name, sizeof(name), "%s%s (lane %u)", s->name, sfx, ls->n);
	c->w->ops->thread(c->w, TS_GPU_PID_BASE + s->dev, l->tid, name, strlen(name));
	return l->tid;
}

/* The label of a graph launch: what the tracer knows of what it runs. */
static void graph_args(struct ts_slice *s, const struct ts_graph *g)
{
	static const char unseen[] = "not seen: instantiated before the trace began, or not kept";
	static const char partial[] = "partly seen: built in part before the trace began";

	if (!g) {
		ts_arg_str(s, "content", unseen, strlen(unseen));
		return;
	}
	ts_arg_u64(s, "nodes", g->n);
	if (g->partial)
		ts_arg_str(s, "content", partial, strlen(partial));
	if (g->cut)
		ts_arg_u64(s, "nodes_not_kept", g->cut);
}

/*
 * What a graph launch runs, in order, inside its slice: each node a slice of
 * an equal share of it (host-submit time: the driver API says no more), tied
 * to the launch by its correlation id.
 */
static void graph_nodes(struct ts_corr *c, uint32_t pid, const struct ts_graph *g,
			const struct ts_slice *launch, uint64_t exec, uint64_t corr)
{
	uint64_t share;
	uint32_t i;
	char buf[48];

	if (!g || !g->n)
		return;
	share = launch->dur / g->n;
	for (i = 0; i < g->n; i++) {
		struct ts_slice s = { 0 };

		ts_gpu_op_slice(c, pid, &g->nodes[i].op, &s, buf, sizeof(buf));
		ts_arg_str(&s, "timing", "host", 4);
		s.name_len = strlen(s.name);
		s.pid = launch->pid;
		s.tid = launch->tid;
		s.ts = launch->ts + i * share;
		s.dur = share;
		ts_arg_u64(&s, "correlation_id", corr);
		s.has_stream_id = launch->has_stream_id;
		s.stream_id = launch->stream_id;
		s.owner_pid = launch->owner_pid;
		ts_arg_hex(&s, "graph_exec", exec);
		ts_arg_u64(&s, "graph_node", i);
		c->w->ops->slice(c->w, &s);
		c->stats.gpu_ops++;
		c->stats.gpu_host_timed++;
	}
}

bool ts_gpu_describe(struct ts_corr *c, const struct ts_call *call, struct ts_submit *sub)
{
	const struct ts_rec_api *r = call->rec;

	memset(sub, 0, sizeof(*sub));
	if (r->ret)
		return false; /* a failed call submitted nothing */
	if (call->hook->sem == TS_SEM_GRAPH_LAUNCH) {
		sub->graph = true;
		ts_call_val(call, ROLE_GRAPH_EXEC, &sub->exec);
		ts_call_val(call, ROLE_STREAM, &sub->stream);
	} else if (!ts_gpu_op_submits(call->hook->sem) ||
		   !ts_gpu_op_of_call(call, &sub->op, &sub->stream)) {
		return false;
	}
	sub->pid = r->hdr.pid;
	sub->tid = r->hdr.tid;
	sub->ts = r->hdr.ts;
	sub->dur = r->dur;
	sub->per_thread = call->per_thread;
	sub->dev = ts_thread_dev(c, sub->pid, sub->tid);
	sub->ctx = ts_thread_ctx(c, sub->pid, sub->tid);
	return true;
}

/* Args every GPU slice has: what joins it to its call, and where it ran. */
void ts_gpu_common_args(struct ts_slice *s, const struct ts_submit *sub, uint32_t dev)
{
	ts_arg_u64(s, "correlation_id", sub->flow);
	ts_arg_hex(s, "stream", sub->stream);
	s->stack = sub->stack;
	if (sub->ctx)
		ts_arg_hex(s, "context", sub->ctx);
	ts_arg_u64(s, "device", dev);
}

void ts_gpu_stream_id(struct ts_slice *s, const struct ts_stream *st, uint32_t owner)
{
	s->has_stream_id = true;
	s->stream_id = st->id;
	s->owner_pid = owner;
}

void ts_gpu_draw_host(struct ts_corr *c, const struct ts_submit *sub)
{
	const struct ts_graph *g = NULL;
	struct ts_slice s = { 0 };
	struct ts_stream *st;
	char buf[48];

	if (sub->graph) {
		g = ts_graph_exec(c, sub->pid, sub->exec);
		snprintf(buf, sizeof(buf), "Graph 0x%llx", (unsigned long long)sub->exec);
		s.name = buf;
		s.cat = "graph";
		ts_arg_str(&s, "track_name", "GPU Compute", strlen("GPU Compute"));
		ts_arg_hex(&s, "graph_exec", sub->exec);
		graph_args(&s, g);
	} else {
		ts_gpu_op_slice(c, sub->pid, &sub->op, &s, buf, sizeof(buf));
	}
	st = ts_gpu_stream(c, sub);
	if (!st)
		return;
	/* drawn from the submitting call: when the GPU ran it is not known here */
	ts_arg_str(&s, "timing", "host", 4);
	s.name_len = strlen(s.name);
	s.ts = ts_rel(c, sub->ts);
	s.dur = sub->dur;
	s.pid = TS_GPU_PID_BASE + st->dev;
	s.tid = ts_gpu_lane(c, st, TS_TIMING_HOST, s.ts, s.ts + s.dur);
	s.flow_in = sub->flow;
	ts_gpu_common_args(&s, sub, st->dev);
	ts_gpu_stream_id(&s, st, sub->pid);
	c->w->ops->slice(c->w, &s);
	c->stats.gpu_ops++;
	c->stats.gpu_host_timed++;
	if (g)
		graph_nodes(c, sub->pid, g, &s, sub->exec, sub->flow);
}
