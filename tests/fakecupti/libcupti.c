// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A stand-in libcupti.so for tests without a GPU: the CUPTI functions the
 * --gpu-time injection library uses, with their real signatures, fed by the
 * stand-in libcuda (fake_prof.h). Each kernel, copy and memset a call
 * submits gives a driver-API callback at the call's entry (with a fresh
 * correlation id) and an activity record laid out as CUDA 13's
 * (CUpti_ActivityKernel10, Memcpy6, Memset4: 216, 96 and 88 bytes; a
 * CUpti_ActivityDevice5, 184 bytes, before a device's first record), with a
 * GPU start at least FAKE_GPU_DELAY_NS after the call, in order on its
 * stream, and a known duration. Its clock is CLOCK_MONOTONIC +
 * FAKE_CUPTI_CLOCK_OFFSET_NS, so the tracer's calibration is exercised.
 *
 * FAKECUPTI_MODE picks a failure: "init_fail" (activity enable fails),
 * "multi" (another subscriber holds the slot), "old" (a CUPTI before 12.0),
 * "drop" (every third record is dropped, and counted), "crash" (a SIGSEGV
 * inside the buffer-completed callback's caller); or a constructor that
 * does what a big library's may while -p loads it: "slow" (takes 5 s),
 * "exit" (waits for the file $FAKECUPTI_FILE, then calls cuInit and ends the
 * process with status 3, or is killed meanwhile).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cupti/cupti_abi.h"
#include "fake_prof.h"

#define API __attribute__((visibility("default")))

#define KERNEL_REC  216
#define MEMCPY_REC  96
#define MEMSET_REC  88
#define DEVICE_REC  184
#define MAX_STREAMS 64

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static CUpti_CallbackFunc callback;
static void *callback_ud;
static bool subscribed;
static uint8_t cbid_on[1024];
static uint32_t kinds_on; /* bit per activity kind */
static CUpti_BuffersCallbackRequestFunc buf_req;
static CUpti_BuffersCallbackCompleteFunc buf_done;
static uint8_t *buf;
static size_t buf_size, buf_used;
static size_t dropped;
static uint32_t next_corr, nrecords;
static const void *stream_ptr[MAX_STREAMS];
static uint64_t stream_end[MAX_STREAMS];
static unsigned int nstreams;

static bool mode(const char *m)
{
	const char *e = getenv("FAKECUPTI_MODE");

	return e && !strcmp(e, m);
}

__attribute__((constructor)) static void constructor(void)
{
	struct timespec left = { 5, 0 };
	const char *file = getenv("FAKECUPTI_FILE");
	void *cuda;
	int (*init)(unsigned int);

	while (mode("slow") && nanosleep(&left, &left))
		;
	if (!mode("exit"))
		return;
	while (!file || access(file, F_OK))
		usleep(10000);
	/* the loader lock is ours (we run inside dlopen): dlopen and dlsym take it again */
	cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
	init = cuda ? (int (*)(unsigned int))dlsym(cuda, "cuInit") : NULL;
	if (init)
		init(0);
	_exit(3);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec + FAKE_CUPTI_CLOCK_OFFSET_NS;
}

API CUptiResult cuptiGetVersion(uint32_t *version)
{
	*version = mode("old") ? 17 : 130001;
	return CUPTI_SUCCESS;
}

API CUptiResult cuptiGetResultString(CUptiResult r, const char **s)
{
	switch (r) {
	case CUPTI_ERROR_NOT_INITIALIZED:
		*s = "CUPTI_ERROR_NOT_INITIALIZED";
		break;
	case CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED:
		*s = "CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED";
		break;
	default:
		*s = "CUPTI_ERROR_UNKNOWN";
	}
	return CUPTI_SUCCESS;
}

API CUptiResult cuptiGetTimestamp(uint64_t *ts)
{
	*ts = now_ns();
	return CUPTI_SUCCESS;
}

static void on_call(const struct fake_call *call);

API CUptiResult cuptiSubscribe(CUpti_SubscriberHandle *sub, CUpti_CallbackFunc cb, void *ud)
{
	void *cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
	void (*set)(fake_prof_fn) =
		cuda ? (void (*)(fake_prof_fn))dlsym(cuda, "fakecuda_set_profiler") : NULL;

	if (mode("multi"))
		return CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED;
	if (!set)
		return CUPTI_ERROR_NOT_INITIALIZED;
	set(on_call);
	callback = cb;
	callback_ud = ud;
	subscribed = true;
	*sub = &callback;
	return CUPTI_SUCCESS;
}

API CUptiResult cuptiUnsubscribe(CUpti_SubscriberHandle sub)
{
	subscribed = false;
	return CUPTI_SUCCESS;
}

API CUptiResult cuptiEnableCallback(uint32_t enable, CUpti_SubscriberHandle sub, uint32_t domain,
				    uint32_t cbid)
{
	if (domain == CUPTI_CB_DOMAIN_DRIVER_API && cbid < sizeof(cbid_on))
		cbid_on[cbid] = !!enable;
	return CUPTI_SUCCESS;
}

API CUptiResult cuptiActivityEnable(uint32_t kind)
{
	if (mode("init_fail"))
		return CUPTI_ERROR_NOT_INITIALIZED;
	kinds_on |= 1u << (kind & 31);
	return CUPTI_SUCCESS;
}

API CUptiResult cuptiActivityDisable(uint32_t kind)
{
	kinds_on &= ~(1u << (kind & 31));
	return CUPTI_SUCCESS;
}

API CUptiResult cuptiActivityRegisterCallbacks(CUpti_BuffersCallbackRequestFunc req,
					       CUpti_BuffersCallbackCompleteFunc done)
{
	buf_req = req;
	buf_done = done;
	return CUPTI_SUCCESS;
}

static size_t rec_size(const uint8_t *r)
{
	uint32_t kind;

	memcpy(&kind, r, sizeof(kind));
	return kind == CUPTI_ACTIVITY_KIND_MEMCPY   ? MEMCPY_REC
	       : kind == CUPTI_ACTIVITY_KIND_MEMSET ? MEMSET_REC
	       : kind == CUPTI_ACTIVITY_KIND_DEVICE ? DEVICE_REC
						    : KERNEL_REC;
}

API CUptiResult cuptiActivityGetNextRecord(uint8_t *buffer, size_t valid, void **record)
{
	uint8_t *next = *record ? (uint8_t *)*record + rec_size(*record) : buffer;

	if (next + 8 > buffer + valid || next + rec_size(next) > buffer + valid)
		return CUPTI_ERROR_MAX_LIMIT_REACHED;
	*record = next;
	return CUPTI_SUCCESS;
}

API CUptiResult cuptiActivityGetNumDroppedRecords(void *ctx, uint32_t stream, size_t *n)
{
	pthread_mutex_lock(&mu);
	*n = dropped;
	dropped = 0;
	pthread_mutex_unlock(&mu);
	return CUPTI_SUCCESS;
}

/* Hand the filled buffer to the client, outside the lock. */
static void deliver(uint8_t *b, size_t size, size_t used)
{
	if (b && buf_done) {
		if (mode("crash"))
			raise(SIGSEGV);
		buf_done(NULL, 0, b, size, used);
	}
}

API CUptiResult cuptiActivityFlushAll(uint32_t flag)
{
	uint8_t *b;
	size_t size, used;

	pthread_mutex_lock(&mu);
	b = buf;
	size = buf_size;
	used = buf_used;
	buf = NULL;
	buf_used = 0;
	pthread_mutex_unlock(&mu);
	deliver(b, size, used);
	return CUPTI_SUCCESS;
}

static uint32_t flush_ms;

static void *flusher(void *arg)
{
	struct timespec t = { flush_ms / 1000, (flush_ms % 1000) * 1000000l };

	for (;;) {
		nanosleep(&t, NULL);
		cuptiActivityFlushAll(0);
	}
	return NULL;
}

API CUptiResult cuptiActivityFlushPeriod(uint32_t ms)
{
	pthread_t th;

	if (!ms || flush_ms)
		return CUPTI_SUCCESS;
	flush_ms = ms;
	if (!pthread_create(&th, NULL, flusher, NULL))
		pthread_detach(th);
	return CUPTI_SUCCESS;
}

/* ---- records ------------------------------------------------------------ */

#define WR(rec, off, v)                                                                            \
	do {                                                                                       \
		__typeof__(v) v_ = (v);                                                            \
		memcpy((rec) + (off), &v_, sizeof(v_));                                            \
	} while (0)

static uint32_t stream_id(const void *s)
{
	unsigned int i;

	for (i = 0; i < nstreams; i++)
		if (stream_ptr[i] == s)
			return i;
	if (nstreams == MAX_STREAMS)
		return MAX_STREAMS - 1;
	stream_ptr[nstreams] = s;
	return nstreams++;
}

/* Room for a record of size bytes; a full buffer is handed over first. */
static uint8_t *reserve(size_t size)
{
	uint8_t *r;

	if (buf && buf_used + size > buf_size) {
		uint8_t *b = buf;
		size_t bs = buf_size, used = buf_used;

		buf = NULL;
		buf_used = 0;
		pthread_mutex_unlock(&mu);
		deliver(b, bs, used);
		pthread_mutex_lock(&mu);
	}
	if (!buf) {
		size_t max = 0;

		buf_req(&buf, &buf_size, &max);
		buf_used = 0;
		if (!buf || buf_size < size)
			return NULL;
	}
	r = buf + buf_used;
	memset(r, 0, size);
	buf_used += size;
	return r;
}

static uint64_t op_ns(const struct fake_op *op)
{
	switch (op->kind) {
	case FAKE_OP_KERNEL:
		return FAKE_KERNEL_NS(op->grid[0], op->block[0]);
	case FAKE_OP_COPY:
		return FAKE_COPY_NS(op->bytes);
	default:
		return FAKE_MEMSET_NS(op->bytes);
	}
}

static void kernel_rec(uint8_t *r, const struct fake_op *op)
{
	unsigned int i;

	WR(r, 0, (uint32_t)CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
	for (i = 0; i < 3; i++) {
		WR(r, CUPTI_KERNEL_GRID + 4 * i, (int32_t)op->grid[i]);
		WR(r, CUPTI_KERNEL_GRID + 12 + 4 * i, (int32_t)op->block[i]);
	}
	WR(r, CUPTI_KERNEL_REGISTERS, (uint16_t)FAKE_KERNEL_REGS);
	WR(r, CUPTI_KERNEL_STATIC_SHMEM, (int32_t)FAKE_KERNEL_STATIC_SHMEM);
	WR(r, CUPTI_KERNEL_STATIC_SHMEM + 4, (int32_t)op->shmem);
	WR(r, CUPTI_KERNEL_LOCAL_MEM, (uint32_t)FAKE_KERNEL_LOCAL_MEM);
	WR(r, CUPTI_KERNEL_LOCAL_MEM + 4, (uint32_t)FAKE_KERNEL_LOCAL_MEM_TOTAL);
	WR(r, CUPTI_KERNEL_NAME, op->name);
	WR(r, CUPTI_KERNEL_GRAPH_NODE, op->graph_node);
}

static void mem_rec(uint8_t *r, const struct fake_op *op)
{
	if (op->kind == FAKE_OP_COPY) {
		WR(r, 0, (uint32_t)CUPTI_ACTIVITY_KIND_MEMCPY);
		r[CUPTI_MEMCPY_COPY_KIND] = op->copy_kind;
	} else {
		WR(r, 0, (uint32_t)CUPTI_ACTIVITY_KIND_MEMSET);
		WR(r, CUPTI_MEMSET_VALUE, op->value);
	}
	WR(r, CUPTI_MEMCPY_BYTES, op->bytes);
	WR(r, CUPTI_MEMCPY_GRAPH_NODE, op->graph_node);
}

/* A device's record, once, before its first kernel's (CUPTI sends them when enabled). */
static void device_rec(int device)
{
	static uint64_t seen;
	uint8_t *r;

	if (!(kinds_on & (1u << CUPTI_ACTIVITY_KIND_DEVICE)) || device < 0 || device > 63 ||
	    seen & (1ull << device))
		return;
	r = reserve(DEVICE_REC);
	if (!r)
		return;
	seen |= 1ull << device;
	WR(r, 0, (uint32_t)CUPTI_ACTIVITY_KIND_DEVICE);
	WR(r, CUPTI_DEVICE_NUM_SMS, (uint32_t)FAKE_DEVICE_SMS);
	WR(r, CUPTI_DEVICE_MAX_WARPS, (uint32_t)FAKE_DEVICE_MAX_WARPS);
	WR(r, CUPTI_DEVICE_MAX_WARPS + 4, (uint32_t)FAKE_DEVICE_MAX_BLOCKS);
	WR(r, CUPTI_DEVICE_MAX_SHMEM, (uint32_t)FAKE_DEVICE_MAX_SHMEM);
	WR(r, CUPTI_DEVICE_MAX_SHMEM + 4, (uint32_t)FAKE_DEVICE_MAX_REGS);
	WR(r, CUPTI_DEVICE_CC, (uint32_t)9);
	WR(r, CUPTI_DEVICE_CC + 4, (uint32_t)0);
	WR(r, CUPTI_DEVICE_ID, (uint32_t)device);
	WR(r, CUPTI_DEVICE_NAME, (const char *)FAKE_DEVICE_NAME);
}

static void add_record(const struct fake_call *call, const struct fake_op *op, uint32_t corr,
		       uint64_t at)
{
	uint32_t kind = op->kind == FAKE_OP_KERNEL ? CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL
			: op->kind == FAKE_OP_COPY ? CUPTI_ACTIVITY_KIND_MEMCPY
						   : CUPTI_ACTIVITY_KIND_MEMSET;
	uint32_t sid = stream_id(call->stream), ids[4];
	uint64_t start, end;
	size_t size = op->kind == FAKE_OP_KERNEL ? KERNEL_REC
		      : op->kind == FAKE_OP_COPY ? MEMCPY_REC
						 : MEMSET_REC;
	uint8_t *r;
	int kernel = op->kind == FAKE_OP_KERNEL;

	if (!(kinds_on & (1u << kind)))
		return;
	start = at + FAKE_GPU_DELAY_NS;
	if (start < stream_end[sid])
		start = stream_end[sid];
	end = start + op_ns(op);
	stream_end[sid] = end;
	if (mode("drop") && ++nrecords % 3 == 0) {
		dropped++;
		return;
	}
	device_rec(call->device);
	r = reserve(size);
	if (!r)
		return;
	if (kernel)
		kernel_rec(r, op);
	else
		mem_rec(r, op);
	WR(r, CUPTI_KERNEL_START, start);
	WR(r, CUPTI_KERNEL_START + 8, end);
	ids[0] = call->device;
	ids[1] = call->device + 1;
	ids[2] = sid;
	ids[3] = corr;
	memcpy(r + (kernel ? CUPTI_KERNEL_DEVICE : CUPTI_MEMCPY_DEVICE), ids, kernel ? 12 : 16);
	if (kernel) {
		WR(r, CUPTI_KERNEL_CORRELATION_ID, corr);
		WR(r, CUPTI_KERNEL_GRAPH_ID, call->graph_id);
	} else {
		WR(r, CUPTI_MEMCPY_GRAPH_ID, call->graph_id);
	}
}

static void on_call(const struct fake_call *call)
{
	unsigned char cbdata[CUPTI_CBDATA_SIZE] = { 0 };
	uint32_t corr, site = CUPTI_API_ENTER;
	uint64_t at;
	unsigned int i;

	if (!subscribed)
		return;
	pthread_mutex_lock(&mu);
	corr = ++next_corr;
	pthread_mutex_unlock(&mu);
	at = now_ns();
	if (call->cbid < sizeof(cbid_on) && cbid_on[call->cbid] && callback) {
		memcpy(cbdata + CUPTI_CBDATA_SITE, &site, sizeof(site));
		memcpy(cbdata + 8, &call->func, sizeof(call->func));
		memcpy(cbdata + CUPTI_CBDATA_CORRELATION_ID, &corr, sizeof(corr));
		callback(callback_ud, CUPTI_CB_DOMAIN_DRIVER_API, call->cbid, cbdata);
	}
	pthread_mutex_lock(&mu);
	for (i = 0; i < call->nops; i++)
		add_record(call, &call->ops[i], corr, at);
	pthread_mutex_unlock(&mu);
}
