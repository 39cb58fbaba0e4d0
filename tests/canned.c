// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "canned.h"
#include "record/decode.h"
#include "probe/hooks.h"

static void put(struct canned *c, const void *rec)
{
	if (!c->err)
		c->err = c->sink->put(c->sink, rec);
}

void canned_start(struct canned *c, struct ts_sink *sink, uint64_t mode)
{
	memset(c, 0, sizeof(*c));
	c->sink = sink;
	c->live.sink = sink;
	c->err = ts_live_start(&c->live, mode, CANNED_BASE, "test", "canned");
}

void canned_proc(struct canned *c, uint32_t pid, const char *cmd)
{
	c->err = c->err ?: ts_live_describe(&c->live, pid, CANNED_BASE, cmd, strlen(cmd));
}

void canned_thread(struct canned *c, uint32_t pid, uint32_t tid, const char *comm)
{
	struct ts_rec_thread r = { .hdr = { .size = sizeof(r),
					    .kind = TS_REC_THREAD,
					    .pid = pid,
					    .tid = tid,
					    .ts = CANNED_BASE } };

	memcpy(r.comm, comm, strnlen(comm, sizeof(r.comm)));
	put(c, &r);
}

int canned_sym_id(const char *sym)
{
	const struct ts_sym *syms;
	unsigned int i, n = ts_syms(&syms);

	for (i = 0; i < n; i++)
		if (!strcmp(syms[i].name, sym))
			return i;
	return -1;
}

void canned_api(struct canned *c, uint32_t pid, uint32_t tid, uint64_t ts, uint64_t dur, int ret,
		const char *sym, const uint64_t *vals, unsigned int nvals, const char *str)
{
	struct ts_rec_api r;
	size_t slen = str ? strlen(str) : 0;

	memset(&r, 0, sizeof(r));
	r.hdr.kind = TS_REC_API;
	r.hdr.pid = pid;
	r.hdr.tid = tid;
	r.hdr.ts = CANNED_BASE + ts;
	r.hdr.aux = canned_sym_id(sym);
	r.dur = dur;
	r.ret = ret;
	r.nvals = nvals;
	if (nvals) /* memcpy from NULL is undefined, even for 0 bytes */
		memcpy(r.vals, vals, nvals * sizeof(*vals));
	if (slen > TS_MAX_STR - 1)
		slen = TS_MAX_STR - 1;
	if (slen)
		memcpy((char *)&r.vals[nvals], str, slen);
	r.str_len = slen;
	r.hdr.size = (TS_API_BASE_SIZE + nvals * 8 + slen + 7) & ~7u;
	put(c, &r);
}

void canned_exit(struct canned *c, uint32_t pid)
{
	struct ts_rec_hdr r = { .size = sizeof(r), .kind = TS_REC_EXIT, .pid = pid, .tid = pid };

	put(c, &r);
}

void canned_thread_exit(struct canned *c, uint32_t pid, uint32_t tid)
{
	struct ts_rec_hdr r = { .size = sizeof(r),
				.kind = TS_REC_EXIT,
				.flags = TS_EXIT_F_THREAD,
				.pid = pid,
				.tid = tid };

	put(c, &r);
}

void canned_gpu_started(struct canned *c, uint32_t pid)
{
	struct ts_rec_gpu_info r = { .hdr = { .size = sizeof(r),
					      .kind = TS_REC_GPU_INFO,
					      .flags = TS_GPUI_STARTED,
					      .pid = pid,
					      .tid = pid,
					      .ts = CANNED_BASE } };

	put(c, &r);
}

void canned_gpu_kernel(struct canned *c, uint32_t pid, uint32_t tid, uint64_t start, uint64_t end,
		       uint64_t api_ts, uint32_t cupti_stream)
{
	static uint32_t cupti_corr;
	struct ts_rec_gpu r = { .hdr = { .size = sizeof(r),
					 .kind = TS_REC_GPU,
					 .flags = TS_GPU_KERNEL,
					 .pid = pid,
					 .tid = tid,
					 .ts = CANNED_BASE + start,
					 .aux = ++cupti_corr },
				.end = CANNED_BASE + end,
				.api_ts = CANNED_BASE + api_ts,
				.stream = cupti_stream,
				.grid = { 1, 1, 1 },
				.block = { 32, 1, 1 } };

	put(c, &r);
}

void canned_end(struct canned *c)
{
	c->err = c->err ?: ts_live_end(&c->live, 0);
}

void canned_free(struct canned *c)
{
	ts_live_free(&c->live);
}
