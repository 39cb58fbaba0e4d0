// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The GPU side of correlation: devices, streams and their tracks, and the
 * slice each kernel, copy, memset and graph launch makes on its stream.
 *
 * A GPU slice starts at submission and lasts as long as the host call (the
 * driver API does not say when the GPU ran it). Slices on one track must nest
 * or not overlap at all, so work that would overlap (several threads sharing
 * a stream) goes to a sibling lane track.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "corr_int.h"

/* Stream handles with fixed meanings (cuda.h) */
#define CU_STREAM_LEGACY     0x1
#define CU_STREAM_PER_THREAD 0x2

/* Key of a per-thread default stream in the streams map: never a real pointer */
#define PT_STREAM_KEY(tid) (0xff00000000000000ull | (tid))

/* CUmemorytype */
#define CU_MEMORYTYPE_HOST   1
#define CU_MEMORYTYPE_DEVICE 2
#define CU_MEMORYTYPE_ARRAY  3

static void announce_device(struct ts_corr *c, uint32_t dev)
{
	char name[32];

	if (c->devs[dev].announced)
		return;
	c->devs[dev].announced = true;
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
static struct ts_stream *find_stream(struct ts_corr *c, const struct ts_call *call, uint64_t handle)
{
	const struct ts_rec_hdr *h = &call->rec->hdr;
	uint32_t dev = ts_thread_dev(c, h->pid, h->tid);
	uint64_t key = handle, *v;
	char label[64];

	if (handle == CU_STREAM_PER_THREAD || (handle == 0 && call->per_thread)) {
		key = PT_STREAM_KEY(h->tid);
		snprintf(label, sizeof(label), "Per-thread default stream (tid %u)", h->tid);
	} else if (handle == 0 || handle == CU_STREAM_LEGACY) {
		/* the legacy default stream is one per context: one per device here */
		key = CU_STREAM_LEGACY | (uint64_t)dev << 8;
		snprintf(label, sizeof(label), "Default stream");
	} else {
		snprintf(label, sizeof(label), "Stream 0x%llx", (unsigned long long)handle);
	}
	v = ts_hmap_get(&c->streams, h->pid, key);
	if (v)
		return (struct ts_stream *)(uintptr_t)*v;
	/* created before we attached, or a default stream */
	return stream_new(c, h->pid, key, dev, label);
}

/* The track for [ts, end): the first lane on which it overlaps nothing. */
static uint32_t stream_lane(struct ts_corr *c, struct ts_stream *s, uint64_t ts, uint64_t end)
{
	struct ts_device *d = &c->devs[s->dev];
	struct ts_lane *l;
	char name[112];
	unsigned int i;

	for (i = 0; i < s->nlanes; i++) {
		if (ts >= s->lanes[i].end) {
			s->lanes[i].end = end;
			return s->lanes[i].tid;
		}
	}
	if (s->nlanes == TS_MAX_LANES) {
		/* out of lanes: stack on the last one, after everything on it */
		return s->lanes[TS_MAX_LANES - 1].tid;
	}
	announce_device(c, s->dev);
	l = &s->lanes[s->nlanes++];
	l->tid = ++d->next_tid;
	l->end = end;
	if (s->nlanes == 1)
		snprintf(name, sizeof(name), "%s", s->name);
	else
		snprintf(name, sizeof(name), "%s (lane %u)", s->name, s->nlanes);
	c->w->ops->thread(c->w, TS_GPU_PID_BASE + s->dev, l->tid, name, strlen(name));
	return l->tid;
}

static enum ts_dir dir_of_types(uint64_t src, uint64_t dst)
{
	bool sd = src == CU_MEMORYTYPE_DEVICE || src == CU_MEMORYTYPE_ARRAY;
	bool dd = dst == CU_MEMORYTYPE_DEVICE || dst == CU_MEMORYTYPE_ARRAY;

	if (src == CU_MEMORYTYPE_HOST && dd)
		return TS_DIR_HTOD;
	if (sd && dst == CU_MEMORYTYPE_HOST)
		return TS_DIR_DTOH;
	if (sd && dd)
		return TS_DIR_DTOD;
	if (src == CU_MEMORYTYPE_HOST && dst == CU_MEMORYTYPE_HOST)
		return TS_DIR_HTOH;
	return TS_DIR_DEFAULT;
}

static const char *copy_track_name(enum ts_dir dir)
{
	switch (dir) {
	case TS_DIR_HTOD:
		return "GPU Memory Copy (H\u2192D)";
	case TS_DIR_DTOH:
		return "GPU Memory Copy (D\u2192H)";
	case TS_DIR_DTOD:
	case TS_DIR_PEER:
		return "GPU Memory Copy (D\u2192D)";
	case TS_DIR_HTOH:
		return "GPU Memory Copy (H\u2192H)";
	default:
		return "GPU Memory Copy";
	}
}

static void copy_2d(const struct ts_call *call, uint64_t *src, uint64_t *dst, uint64_t *bytes,
		    enum ts_dir *dir)
{
	uint64_t st = 0, dt = 0, w = 0, h = 1, d = 1;

	ts_call_val(call, ROLE_SRC_TYPE, &st);
	ts_call_val(call, ROLE_DST_TYPE, &dt);
	ts_call_val(call, ROLE_WIDTH, &w);
	ts_call_val(call, ROLE_HEIGHT, &h);
	ts_call_val(call, ROLE_DEPTH, &d);
	ts_call_val(call, st == CU_MEMORYTYPE_HOST ? ROLE_SRC_HOST : ROLE_SRC_DEVICE, src);
	ts_call_val(call, dt == CU_MEMORYTYPE_HOST ? ROLE_DST_HOST : ROLE_DST_DEVICE, dst);
	*bytes = w * (h ? h : 1) * (d ? d : 1);
	*dir = dir_of_types(st, dt);
}

static void launch_slice(struct ts_corr *c, const struct ts_call *call, struct ts_slice *s,
			 struct ts_launch *l, char *buf, size_t buflen)
{
	uint32_t pid = call->rec->hdr.pid;
	uint64_t *v = ts_hmap_get(&c->fnames, pid, l->func);
	const char *name = v ? (const char *)(uintptr_t)*v : NULL;

	if (!name) {
		snprintf(buf, buflen, "kernel@0x%llx", (unsigned long long)l->func);
		name = buf;
	}
	s->name = name;
	s->cat = "kernel";
	ts_arg_str(s, "track_name", "GPU Compute", strlen("GPU Compute"));
	ts_arg_dim3(s, "grid_dim", l->grid);
	ts_arg_dim3(s, "block_dim", l->block);
	if (l->cluster[0])
		ts_arg_dim3(s, "cluster_dim", l->cluster);
	ts_arg_u64(s, "shared_memory_bytes", l->shmem);
}

/* Fill the GPU slice of a copy or memset; false if the call is neither. */
static bool memop_slice(const struct ts_call *call, struct ts_slice *s, uint64_t *stream)
{
	const struct ts_hook *hk = call->hook;
	uint64_t src = 0, dst = 0, bytes = 0, count = 0, value = 0;
	enum ts_dir dir = hk->dir;
	const char *tn;

	ts_call_val(call, ROLE_STREAM, stream);
	if (hk->sem == TS_SEM_MEMSET) {
		ts_call_val(call, ROLE_DST, &dst);
		ts_call_val(call, ROLE_COUNT, &count);
		ts_call_val(call, ROLE_VALUE, &value);
		s->name = "Memset";
		s->cat = "memset";
		ts_arg_str(s, "track_name", "GPU Memory Ops", strlen("GPU Memory Ops"));
		ts_arg_u64(s, "size_bytes", count * hk->elem);
		ts_arg_hex(s, "dst_address", dst);
		ts_arg_hex(s, "value", value);
		return true;
	}
	if (hk->sem == TS_SEM_COPY_2D) {
		copy_2d(call, &src, &dst, &bytes, &dir);
	} else if (hk->sem == TS_SEM_COPY) {
		ts_call_val(call, ROLE_SRC, &src);
		ts_call_val(call, ROLE_DST, &dst);
		ts_call_val(call, ROLE_BYTES, &bytes);
	} else {
		return false;
	}
	static const char *const names[] = {
		[TS_DIR_NONE] = "Memcpy",      [TS_DIR_HTOD] = "Memcpy HtoD",
		[TS_DIR_DTOH] = "Memcpy DtoH", [TS_DIR_DTOD] = "Memcpy DtoD",
		[TS_DIR_HTOH] = "Memcpy HtoH", [TS_DIR_PEER] = "Memcpy PtoP",
		[TS_DIR_DEFAULT] = "Memcpy",
	};
	s->name = names[dir <= TS_DIR_DEFAULT ? dir : TS_DIR_NONE];
	s->cat = "memcpy";
	tn = copy_track_name(dir);
	ts_arg_str(s, "track_name", tn, strlen(tn));
	ts_arg_str(s, "direction", ts_dir_name(dir), strlen(ts_dir_name(dir)));
	ts_arg_u64(s, "size_bytes", bytes);
	ts_arg_hex(s, "src_address", src);
	ts_arg_hex(s, "dst_address", dst);
	return true;
}

uint64_t ts_gpu_submit(struct ts_corr *c, const struct ts_call *call)
{
	const struct ts_rec_api *r = call->rec;
	struct ts_slice s = { 0 };
	struct ts_launch l;
	struct ts_stream *st;
	uint64_t stream = 0, exec = 0, ctx;
	char buf[48];

	if (r->ret)
		return 0; /* a failed call submitted nothing */
	if (call->hook->sem == TS_SEM_LAUNCH && ts_call_launch(call, &l)) {
		stream = l.stream;
		launch_slice(c, call, &s, &l, buf, sizeof(buf));
	} else if (call->hook->sem == TS_SEM_GRAPH_LAUNCH) {
		ts_call_val(call, ROLE_GRAPH_EXEC, &exec);
		ts_call_val(call, ROLE_STREAM, &stream);
		snprintf(buf, sizeof(buf), "Graph 0x%llx", (unsigned long long)exec);
		s.name = buf;
		s.cat = "graph";
		ts_arg_str(&s, "track_name", "GPU Compute", strlen("GPU Compute"));
		ts_arg_hex(&s, "graph_exec", exec);
	} else if (!memop_slice(call, &s, &stream)) {
		return 0;
	}
	st = find_stream(c, call, stream);
	if (!st)
		return 0;
	s.name_len = strlen(s.name);
	s.ts = ts_rel(c, r->hdr.ts);
	s.dur = r->dur;
	s.pid = TS_GPU_PID_BASE + st->dev;
	s.tid = stream_lane(c, st, s.ts, s.ts + s.dur);
	s.flow_in = c->next_corr++;
	ts_arg_u64(&s, "correlation_id", s.flow_in);
	ts_arg_hex(&s, "stream", stream);
	ctx = ts_thread_ctx(c, r->hdr.pid, r->hdr.tid);
	if (ctx)
		ts_arg_hex(&s, "context", ctx);
	ts_arg_u64(&s, "device", st->dev);
	c->w->ops->slice(c->w, &s);
	c->stats.gpu_ops++;
	return s.flow_in;
}
