// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record/decode.h"

_Static_assert(sizeof(struct ts_rec_hdr) == 24, "capture format: header is 24 bytes");
_Static_assert(__builtin_offsetof(struct ts_rec_api, vals) == TS_API_BASE_SIZE,
	       "capture format: API values start at byte 40");
_Static_assert(sizeof(struct ts_rec_meta) == TS_META_BASE_SIZE, "meta header size");
_Static_assert(__builtin_offsetof(struct ts_rec_stack, frames) == TS_STACK_BASE_SIZE,
	       "capture format: stack frames follow a 40-byte head");
_Static_assert(sizeof(struct ts_py_frame) == 16, "capture format: a frame is two u64");
_Static_assert(__builtin_offsetof(struct ts_rec_pycode, qual) == TS_PYCODE_BASE_SIZE,
	       "capture format: pycode strings follow a 64-byte head");
_Static_assert(sizeof(struct ts_rec_pycode) == TS_PYCODE_BASE_SIZE + 2 * TS_PY_NAME + TS_PY_TABLE,
	       "capture format: pycode is fixed-size");
_Static_assert(__builtin_offsetof(struct ts_rec_driver, data) == TS_DRV_BASE_SIZE,
	       "capture format: driver data starts at byte 96");
_Static_assert(__builtin_offsetof(struct ts_rec_proc, argv) == TS_PROC_BASE_SIZE,
	       "ring buffer format: the process record's argv offset");

const char *ts_rec_err_str(enum ts_rec_err err)
{
	switch (err) {
	case TS_REC_OK:
		return "ok";
	case TS_REC_SHORT:
		return "record runs past the end of the data";
	case TS_REC_BAD_SIZE:
		return "record size is invalid for its kind";
	case TS_REC_BAD_KIND:
		return "unknown record kind";
	case TS_REC_BAD_FIELD:
		return "record field out of range";
	}
	return "?";
}

static enum ts_rec_err check_api(const struct ts_rec_api *r)
{
	if (r->hdr.size < TS_API_BASE_SIZE)
		return TS_REC_BAD_SIZE;
	if (r->nvals > TS_MAX_VALS || r->str_len > TS_MAX_STR)
		return TS_REC_BAD_FIELD;
	if ((size_t)TS_API_BASE_SIZE + r->nvals * 8 + r->str_len > r->hdr.size)
		return TS_REC_BAD_FIELD;
	return TS_REC_OK;
}

static enum ts_rec_err check_meta(const struct ts_rec_meta *m)
{
	if (m->hdr.size < TS_META_BASE_SIZE)
		return TS_REC_BAD_SIZE;
	if (m->len[0] > TS_META_MAX_STR || m->len[1] > TS_META_MAX_STR)
		return TS_REC_BAD_FIELD;
	if ((size_t)TS_META_BASE_SIZE + m->len[0] + m->len[1] > m->hdr.size)
		return TS_REC_BAD_FIELD;
	return TS_REC_OK;
}

static enum ts_rec_err check_proc(const struct ts_rec_proc *r)
{
	if (r->hdr.size < TS_PROC_BASE_SIZE)
		return TS_REC_BAD_SIZE;
	if (r->argv_len > TS_MAX_ARGV || TS_PROC_BASE_SIZE + r->argv_len > r->hdr.size)
		return TS_REC_BAD_FIELD;
	return TS_REC_OK;
}

static enum ts_rec_err check_driver(const struct ts_rec_driver *r)
{
	if (r->hdr.size < TS_DRV_BASE_SIZE)
		return TS_REC_BAD_SIZE;
	if (r->data_len > TS_DRV_DATA || TS_DRV_BASE_SIZE + r->data_len > r->hdr.size)
		return TS_REC_BAD_FIELD;
	return TS_REC_OK;
}

_Static_assert(sizeof(struct ts_rec_gpu) == TS_GPU_SLOT_SIZE, "GPU record = one hand-off slot");
/* the kernel facts sit where older captures had a kernel's unused (zero) fields */
_Static_assert(__builtin_offsetof(struct ts_rec_gpu, bytes) == 40 &&
		       __builtin_offsetof(struct ts_rec_gpu, local_mem) == 44 &&
		       __builtin_offsetof(struct ts_rec_gpu, value) == 112 &&
		       __builtin_offsetof(struct ts_rec_gpu, local_mem_total) == 112 &&
		       __builtin_offsetof(struct ts_rec_gpu, regs) == 116,
	       "capture format: GPU record fields");
_Static_assert(sizeof(struct ts_rec_gpu_info) == TS_GPU_SLOT_SIZE, "GPU info = one slot");
_Static_assert(offsetof(struct ts_rec_gpu_name, name) == TS_GPU_NAME_BASE_SIZE, "GPU name");

/* Written by the traced process itself (--gpu-time): every field it gives is checked. */
static enum ts_rec_err check_gpu(const struct ts_rec_gpu *r)
{
	if (r->hdr.size < sizeof(*r))
		return TS_REC_BAD_SIZE;
	/* its times are checked with the others' (validate.h): dropped and counted there */
	if (r->hdr.flags < TS_GPU_KERNEL || r->hdr.flags > TS_GPU_MEMSET)
		return TS_REC_BAD_FIELD;
	return TS_REC_OK;
}

static enum ts_rec_err check_gpu_name(const struct ts_rec_gpu_name *r)
{
	if (r->hdr.size < TS_GPU_NAME_BASE_SIZE)
		return TS_REC_BAD_SIZE;
	if (r->name_len > TS_MAX_STR || TS_GPU_NAME_BASE_SIZE + r->name_len > r->hdr.size)
		return TS_REC_BAD_FIELD;
	return TS_REC_OK;
}

_Static_assert(sizeof(struct ts_nvtx_ev) == TS_NVTX_EV_SIZE, "capture format: NVTX event");
_Static_assert(sizeof(struct ts_rec_nvtx) == 24 + TS_NVTX_DATA, "capture format: NVTX batch");

/* Written by the traced process itself (NVTX): every event within its bounds, or none. */
static enum ts_rec_err check_nvtx(const struct ts_rec_nvtx *r)
{
	size_t off = 0, len = r->hdr.size - sizeof(r->hdr);
	const struct ts_nvtx_ev *e;

	if (r->hdr.size > sizeof(*r))
		return TS_REC_BAD_SIZE;
	while (off < len) {
		if (len - off < TS_NVTX_EV_SIZE)
			return TS_REC_BAD_FIELD;
		e = (const struct ts_nvtx_ev *)(r->data + off);
		if (e->size < TS_NVTX_EV_SIZE || e->size % 8 || e->size > len - off ||
		    e->msg_len > TS_NVTX_MSG_MAX || TS_NVTX_EV_SIZE + e->msg_len > e->size)
			return TS_REC_BAD_FIELD;
		off += e->size;
	}
	return TS_REC_OK;
}

const struct ts_nvtx_ev *ts_nvtx_next(const struct ts_rec_nvtx *r, size_t *off)
{
	const struct ts_nvtx_ev *e;

	if (*off >= r->hdr.size - sizeof(r->hdr))
		return NULL;
	e = (const struct ts_nvtx_ev *)(r->data + *off);
	*off += e->size;
	return e;
}

const char *ts_rec_kind_name(unsigned int kind)
{
	static const char *const names[256] = {
		[TS_REC_API] = "api",
		[TS_REC_THREAD] = "thread",
		[TS_REC_EXIT] = "exit",
		[TS_REC_DRIVER] = "driver",
		[TS_REC_API_ENTER] = "enter",
		[TS_REC_PROC] = "proc",
		[TS_REC_GPU] = "gpu",
		[TS_REC_GPU_NAME] = "gpu_name",
		[TS_REC_GPU_INFO] = "gpu_info",
		[TS_REC_NVTX] = "nvtx",
		[TS_REC_LIB_MAP] = "lib_map",
		[TS_REC_META_START] = "start",
		[TS_REC_META_SYM] = "symbol",
		[TS_REC_META_PROC] = "process",
		[TS_REC_META_DROPS] = "drops",
		[TS_REC_META_END] = "end",
		[TS_REC_META_LIB] = "library",
		[TS_REC_META_NAME] = "name",
		[TS_REC_META_HOST] = "host",
		[TS_REC_STACK] = "stack",
		[TS_REC_PYCODE] = "pycode",
		[TS_REC_META_CALLER] = "caller",
		[TS_REC_META_SNAP] = "snapshot",
	};

	return kind < 256 && names[kind] ? names[kind] : "?";
}

/* --stacks: frames that fit the record; lengths inside their fields */
static enum ts_rec_err check_stack(const struct ts_rec_stack *r)
{
	if (r->hdr.size < TS_STACK_BASE_SIZE)
		return TS_REC_BAD_SIZE;
	if (r->nframes > TS_PY_MAX_FRAMES ||
	    TS_STACK_BASE_SIZE + (size_t)r->nframes * sizeof(r->frames[0]) > r->hdr.size)
		return TS_REC_BAD_FIELD;
	return TS_REC_OK;
}

static enum ts_rec_err check_pycode(const struct ts_rec_pycode *r)
{
	if (r->hdr.size < sizeof(*r))
		return TS_REC_BAD_SIZE;
	if (r->qual_len > TS_PY_NAME || r->file_len > TS_PY_NAME || r->table_len > TS_PY_TABLE)
		return TS_REC_BAD_FIELD;
	return TS_REC_OK;
}

enum ts_rec_err ts_rec_check(const void *rec, size_t avail)
{
	const struct ts_rec_hdr *h = rec;

	if (avail < sizeof(*h) || h->size > avail)
		return TS_REC_SHORT;
	if (h->size < sizeof(*h) || h->size % 8)
		return TS_REC_BAD_SIZE;
	switch (h->kind) {
	case TS_REC_API:
		return check_api(rec);
	case TS_REC_THREAD:
		return h->size >= sizeof(struct ts_rec_thread) ? TS_REC_OK : TS_REC_BAD_SIZE;
	case TS_REC_PROC:
		return check_proc(rec);
	case TS_REC_DRIVER:
		return check_driver(rec);
	case TS_REC_GPU:
		return check_gpu(rec);
	case TS_REC_GPU_NAME:
		return check_gpu_name(rec);
	case TS_REC_GPU_INFO:
		return h->size >= sizeof(struct ts_rec_gpu_info) ? TS_REC_OK : TS_REC_BAD_SIZE;
	case TS_REC_NVTX:
		return check_nvtx(rec);
	case TS_REC_LIB_MAP:
		return h->size >= sizeof(struct ts_rec_lib_map) ? TS_REC_OK : TS_REC_BAD_SIZE;
	case TS_REC_STACK:
		return check_stack(rec);
	case TS_REC_PYCODE:
		return check_pycode(rec);
	case TS_REC_EXIT:
	case TS_REC_API_ENTER:
	case TS_REC_META_END:
		return TS_REC_OK;
	case TS_REC_META_START:
	case TS_REC_META_SYM:
	case TS_REC_META_PROC:
	case TS_REC_META_DROPS:
	case TS_REC_META_LIB:
	case TS_REC_META_NAME:
	case TS_REC_META_HOST:
	case TS_REC_META_SNAP:
	case TS_REC_META_CALLER:
		return check_meta(rec);
	default:
		return TS_REC_BAD_KIND;
	}
}

void ts_symtab_free(struct ts_symtab *st)
{
	unsigned int i;

	if (!st)
		return;
	for (i = 0; i < st->n; i++)
		free(st->names[i]);
	free(st->names);
	free(st->hooks);
	free(st->per_thread);
	memset(st, 0, sizeof(*st));
}

int ts_symtab_add(struct ts_symtab *st, const struct ts_rec_meta *m)
{
	unsigned int id = m->hdr.aux;
	size_t l0, l1;
	const char *name = ts_meta_str(m, 0, &l0), *hook = ts_meta_str(m, 1, &l1);
	char hook_name[64];

	if (id >= 65536)
		return -EINVAL;
	if (id >= st->n) {
		char **names = realloc(st->names, (id + 1) * sizeof(*names));
		const struct ts_hook **hooks;
		bool *pt;

		if (!names)
			return -ENOMEM;
		st->names = names;
		hooks = realloc(st->hooks, (id + 1) * sizeof(*hooks));
		if (!hooks)
			return -ENOMEM;
		st->hooks = hooks;
		pt = realloc(st->per_thread, (id + 1) * sizeof(*pt));
		if (!pt)
			return -ENOMEM;
		st->per_thread = pt;
		memset(st->names + st->n, 0, (id + 1 - st->n) * sizeof(*names));
		memset(st->hooks + st->n, 0, (id + 1 - st->n) * sizeof(*hooks));
		memset(st->per_thread + st->n, 0, (id + 1 - st->n) * sizeof(*pt));
		st->n = id + 1;
	}
	free(st->names[id]);
	st->names[id] = strndup(name, l0);
	if (!st->names[id])
		return -ENOMEM;
	/* a capture from another version may name a hook this build lacks */
	snprintf(hook_name, sizeof(hook_name), "%.*s", (int)l1, hook);
	st->hooks[id] = ts_hook_by_name(hook_name);
	st->per_thread[id] = ts_sym_per_thread(st->names[id]);
	return 0;
}

void ts_call_init(struct ts_call *c, const struct ts_rec_api *rec, const struct ts_hook *hook)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->rec = rec;
	/* a hook whose value count changed since the capture can't be trusted */
	c->hook = hook && hook->nvals == rec->nvals ? hook : NULL;
	for (i = 0; i < rec->nvals && i < TS_MAX_VALS; i++)
		c->vals[i] = c->hook ? ts_ctype_value(c->hook->vals[i].type, rec->vals[i])
				     : rec->vals[i];
	c->str = (const char *)&rec->vals[rec->nvals];
	c->str_len = rec->str_len;
}

int ts_decode_call(const struct ts_symtab *st, const struct ts_rec_api *rec, struct ts_call *c)
{
	unsigned int id = rec->hdr.aux;

	if (id >= st->n || !st->names[id])
		return -ENOENT;
	ts_call_init(c, rec, st->hooks[id]);
	c->sym = st->names[id];
	c->per_thread = st->per_thread[id];
	return 0;
}

bool ts_call_val(const struct ts_call *c, enum ts_role role, uint64_t *v)
{
	int i;

	if (!c->hook)
		return false;
	i = ts_hook_role(c->hook, role);
	if (i < 0)
		return false;
	*v = c->vals[i];
	return true;
}

bool ts_call_launch(const struct ts_call *c, struct ts_launch *l)
{
	const uint64_t *v;
	uint64_t x;
	int i;

	memset(l, 0, sizeof(*l));
	/* a launch, or a graph kernel node's parameters */
	if (!c->hook ||
	    (c->hook->sem != TS_SEM_LAUNCH && c->hook->sem != TS_SEM_GRAPH_ADD_KERNEL &&
	     c->hook->sem != TS_SEM_GRAPH_EXEC_KERNEL) ||
	    !ts_call_val(c, ROLE_FUNC, &l->func))
		return false;
	i = ts_hook_role(c->hook, ROLE_LAUNCH_CFG);
	if (i >= 0) {
		v = &c->vals[i];
		l->grid[0] = v[0];
		l->grid[1] = v[0] >> 32;
		l->grid[2] = v[1];
		l->block[0] = v[1] >> 32;
		l->block[1] = v[2];
		l->block[2] = v[2] >> 32;
		l->shmem = v[3];
		l->stream = v[4];
		l->cluster[0] = v[5] & 0xffff;
		l->cluster[1] = (v[5] >> 16) & 0xffff;
		l->cluster[2] = (v[5] >> 32) & 0xffff;
		return true;
	}
	ts_call_val(c, ROLE_STREAM, &l->stream);
	if (ts_call_val(c, ROLE_SHMEM, &x))
		l->shmem = x;
	if (ts_call_val(c, ROLE_GRID_X, &x))
		l->grid[0] = x;
	if (ts_call_val(c, ROLE_GRID_Y, &x))
		l->grid[1] = x;
	if (ts_call_val(c, ROLE_GRID_Z, &x))
		l->grid[2] = x;
	if (ts_call_val(c, ROLE_BLOCK_X, &x))
		l->block[0] = x;
	if (ts_call_val(c, ROLE_BLOCK_Y, &x))
		l->block[1] = x;
	if (ts_call_val(c, ROLE_BLOCK_Z, &x))
		l->block[2] = x;
	return true;
}

size_t ts_meta_build(void *buf, enum ts_kind kind, uint32_t pid, uint64_t ts, uint32_t aux,
		     uint64_t v0, uint64_t v1, const char *s0, size_t l0, const char *s1, size_t l1)
{
	struct ts_rec_meta *m = buf;
	size_t size;

	if (l0 > TS_META_MAX_STR)
		l0 = TS_META_MAX_STR;
	if (l1 > TS_META_MAX_STR)
		l1 = TS_META_MAX_STR;
	size = (TS_META_BASE_SIZE + l0 + l1 + 7) & ~(size_t)7;
	memset(m, 0, size);
	m->hdr.size = size;
	m->hdr.kind = kind;
	m->hdr.pid = pid;
	m->hdr.tid = pid;
	m->hdr.ts = ts;
	m->hdr.aux = aux;
	m->v[0] = v0;
	m->v[1] = v1;
	m->len[0] = l0;
	m->len[1] = l1;
	if (l0)
		memcpy(m->data, s0, l0);
	if (l1)
		memcpy(m->data + l0, s1, l1);
	return size;
}
