// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GPU operations: what a call asks the GPU to do (a kernel, a copy, a memset),
 * decoded into a struct ts_gpu_op, and the slice that draws one. A launch
 * draws its op at once; a capture or a graph keeps ops to draw at each
 * graph launch. Pure functions over the call and the name maps.
 */
#include <stdio.h>
#include <string.h>
#include "correlate/corr_int.h"

/* CUmemorytype */
#define CU_MEMORYTYPE_HOST   1
#define CU_MEMORYTYPE_DEVICE 2
#define CU_MEMORYTYPE_ARRAY  3

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

/* A CUDA_MEMCPY2D/3D's extent and direction (types, width, height, depth). */
static void copy_3d(const struct ts_call *call, struct ts_gpu_op *op)
{
	uint64_t st = 0, dt = 0, w = 0, h = 1, d = 1;

	ts_call_val(call, ROLE_SRC_TYPE, &st);
	ts_call_val(call, ROLE_DST_TYPE, &dt);
	ts_call_val(call, ROLE_WIDTH, &w);
	ts_call_val(call, ROLE_HEIGHT, &h);
	ts_call_val(call, ROLE_DEPTH, &d);
	ts_call_val(call, st == CU_MEMORYTYPE_HOST ? ROLE_SRC_HOST : ROLE_SRC_DEVICE, &op->src);
	ts_call_val(call, dt == CU_MEMORYTYPE_HOST ? ROLE_DST_HOST : ROLE_DST_DEVICE, &op->dst);
	op->bytes = w * (h ? h : 1) * (d ? d : 1);
	op->dir = dir_of_types(st, dt);
}

static void memset_op(const struct ts_call *call, struct ts_gpu_op *op)
{
	uint64_t count = 0, w = 0, h = 1, elem = call->hook->elem;

	op->kind = TS_OP_KIND_MEMSET;
	ts_call_val(call, ROLE_DST, &op->dst);
	ts_call_val(call, ROLE_VALUE, &op->value);
	if (call->hook->sem == TS_SEM_GRAPH_ADD_MEMSET) {
		/* CUDA_MEMSET_NODE_PARAMS: width elements of elementSize, height rows */
		ts_call_val(call, ROLE_ELEM_SIZE, &elem);
		ts_call_val(call, ROLE_WIDTH, &w);
		ts_call_val(call, ROLE_HEIGHT, &h);
		count = w * (h ? h : 1);
	} else {
		ts_call_val(call, ROLE_COUNT, &count);
	}
	op->bytes = count * elem;
}

bool ts_gpu_op_submits(enum ts_sem sem)
{
	return sem == TS_SEM_LAUNCH || sem == TS_SEM_COPY || sem == TS_SEM_COPY_2D ||
	       sem == TS_SEM_MEMSET;
}

bool ts_gpu_op_of_call(const struct ts_call *call, struct ts_gpu_op *op, uint64_t *stream)
{
	const struct ts_hook *hk = call->hook;

	memset(op, 0, sizeof(*op));
	*stream = 0;
	if (!hk)
		return false;
	ts_call_val(call, ROLE_STREAM, stream);
	switch (hk->sem) {
	case TS_SEM_LAUNCH:
	case TS_SEM_GRAPH_ADD_KERNEL:
	case TS_SEM_GRAPH_EXEC_KERNEL:
		op->kind = TS_OP_KIND_KERNEL;
		if (!ts_call_launch(call, &op->launch))
			return false;
		*stream = op->launch.stream;
		return true;
	case TS_SEM_MEMSET:
	case TS_SEM_GRAPH_ADD_MEMSET:
		memset_op(call, op);
		return true;
	case TS_SEM_COPY_2D:
	case TS_SEM_GRAPH_ADD_MEMCPY:
		op->kind = TS_OP_KIND_COPY;
		copy_3d(call, op);
		return true;
	case TS_SEM_COPY:
		op->kind = TS_OP_KIND_COPY;
		op->dir = hk->dir;
		ts_call_val(call, ROLE_SRC, &op->src);
		ts_call_val(call, ROLE_DST, &op->dst);
		ts_call_val(call, ROLE_BYTES, &op->bytes);
		return true;
	default:
		return false;
	}
}

static void kernel_slice(struct ts_corr *c, uint32_t pid, const struct ts_launch *l,
			 struct ts_slice *s, char *buf, size_t buflen)
{
	const char *name = ts_hmap_get_ptr(&c->fnames, pid, l->func);

	if (!name) {
		snprintf(buf, buflen, "kernel@0x%llx", (unsigned long long)l->func);
		name = buf;
	}
	s->name = name;
	s->cat = "kernel";
	s->kineto_cat = "kernel";
	ts_arg_str(s, "track_name", "GPU Compute", strlen("GPU Compute"));
	ts_arg_dim3(s, "grid_dim", l->grid);
	ts_arg_dim3(s, "block_dim", l->block);
	if (l->cluster[0])
		ts_arg_dim3(s, "cluster_dim", l->cluster);
	ts_arg_u64(s, "shared_memory_bytes", l->shmem);
	/* read from the driver's object through a learned layout (names.h), not seen resolved */
	if (name != buf && ts_hmap_get(&c->recovered, pid, l->func))
		ts_arg_str(s, "name_source", "recovered", strlen("recovered"));
}

static void copy_slice(const struct ts_gpu_op *op, struct ts_slice *s)
{
	static const char *const names[] = {
		[TS_DIR_NONE] = "Memcpy",      [TS_DIR_HTOD] = "Memcpy HtoD",
		[TS_DIR_DTOH] = "Memcpy DtoH", [TS_DIR_DTOD] = "Memcpy DtoD",
		[TS_DIR_HTOH] = "Memcpy HtoH", [TS_DIR_PEER] = "Memcpy PtoP",
		[TS_DIR_DEFAULT] = "Memcpy",
	};
	enum ts_dir dir = op->dir <= TS_DIR_DEFAULT ? op->dir : TS_DIR_NONE;
	const char *tn = copy_track_name(dir);

	s->name = names[dir];
	s->cat = "memcpy";
	s->kineto_cat = "gpu_memcpy";
	ts_arg_str(s, "track_name", tn, strlen(tn));
	ts_arg_str(s, "direction", ts_dir_name(dir), strlen(ts_dir_name(dir)));
	ts_arg_u64(s, "size_bytes", op->bytes);
	ts_arg_hex(s, "src_address", op->src);
	ts_arg_hex(s, "dst_address", op->dst);
}

void ts_gpu_op_slice(struct ts_corr *c, uint32_t pid, const struct ts_gpu_op *op,
		     struct ts_slice *s, char *buf, size_t buflen)
{
	switch (op->kind) {
	case TS_OP_KIND_KERNEL:
		kernel_slice(c, pid, &op->launch, s, buf, buflen);
		break;
	case TS_OP_KIND_COPY:
		copy_slice(op, s);
		break;
	case TS_OP_KIND_MEMSET:
		s->name = "Memset";
		s->cat = "memset";
		s->kineto_cat = "gpu_memset";
		ts_arg_str(s, "track_name", "GPU Memory Ops", strlen("GPU Memory Ops"));
		ts_arg_u64(s, "size_bytes", op->bytes);
		ts_arg_hex(s, "dst_address", op->dst);
		ts_arg_hex(s, "value", op->value);
		break;
	}
}
