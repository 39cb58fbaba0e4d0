// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libtracesmith-cupti.so: the --gpu-time injection library. The driver loads
 * it in the traced process (CUDA_INJECTION64_PATH) at cuInit and calls
 * InitializeInjection. It asks CUPTI for kernel, copy and memset activity
 * (nothing heavier) and for a callback at the entry of each driver call that
 * submits GPU work, where it notes the thread and the time under the call's
 * correlation id. Completed activity records go to the tracer in batches
 * through ts_cupti_deliver(), which a uprobe copies into the ring buffer:
 * no file, socket or thread of our own.
 *
 * Whatever fails, the program runs on: every path returns, the driver is
 * told the injection succeeded, and the reason goes to the tracer as a
 * TS_GPUI_FAILED record. Nothing here writes to the program's stdout/stderr.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "tracesmith.h"
#include "cupti/cupti_abi.h"
#include "cupti/driver_cbids.h"
#include "lib/handoff.h"

#define EXPORT __attribute__((visibility("default")))

#define BUF_SIZE   (1u << 20) /* one activity buffer: ~4000 kernel records */
#define FLUSH_MS   100	      /* CUPTI hands over completed buffers at least this often */
#define CORR_SLOTS 262144     /* calls whose records can still be joined (4 MiB, touched as used) */
#define NAME_SLOTS 4096	      /* kernel names already sent (more are sent again) */

static struct {
#define F(name, ret, args) ret(*name) args;
	TS_CUPTI_FUNCS
#undef F
} cu;

/* ---- the hand-off: the tracer's uprobes read these functions' arguments --- */

#if defined(__x86_64__)
TS_HANDOFF_NOP_RET(ts_cupti_deliver)
TS_HANDOFF_NOP_RET(ts_cupti_name)
EXPORT void ts_cupti_deliver(const void *slots, uint32_t n);
EXPORT void ts_cupti_name(uint64_t id, const char *name);
#else
TS_HANDOFF_C void ts_cupti_deliver(const void *slots, uint32_t n)
{
	__asm__ volatile("" : : "r"(slots), "r"(n) : "memory");
}

TS_HANDOFF_C void ts_cupti_name(uint64_t id, const char *name)
{
	__asm__ volatile("" : : "r"(id), "r"(name) : "memory");
}
#endif

static uint64_t mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

/* ---- slots: built under one lock, handed over TS_GPU_BATCH at a time ----- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static union {
	struct ts_rec_gpu gpu;
	struct ts_rec_gpu_info info;
} batch[TS_GPU_BATCH];
static uint32_t nbatch;

static void flush_batch(void)
{
	if (nbatch)
		ts_cupti_deliver(batch, nbatch);
	nbatch = 0;
}

static void *next_slot(void)
{
	if (nbatch == TS_GPU_BATCH)
		flush_batch();
	memset(&batch[nbatch], 0, sizeof(batch[0]));
	return &batch[nbatch++];
}

static void info_locked(uint8_t what, uint32_t aux, uint64_t v0, uint64_t v1, uint64_t v2,
			const char *msg)
{
	struct ts_rec_gpu_info *r = next_slot();

	r->hdr.kind = TS_REC_GPU_INFO;
	r->hdr.flags = what;
	r->hdr.ts = mono_now();
	r->hdr.tid = (uint32_t)syscall(SYS_gettid);
	r->hdr.aux = aux;
	r->v[0] = v0;
	r->v[1] = v1;
	r->v[2] = v2;
	if (msg)
		strncpy(r->msg, msg, sizeof(r->msg) - 1);
}

static void info(uint8_t what, uint32_t aux, uint64_t v0, const char *msg)
{
	pthread_mutex_lock(&lock);
	info_locked(what, aux, v0, 0, 0, msg);
	flush_batch();
	pthread_mutex_unlock(&lock);
}

/* ---- the clock: CUPTI's timestamps onto CLOCK_MONOTONIC ------------------ */

static int64_t clock_off; /* CUPTI ns - CLOCK_MONOTONIC ns */

/* The tightest of a few back-to-back readings; recorded with each batch. */
static void calibrate_locked(void)
{
	uint64_t best = UINT64_MAX, c = 0, m0, m1, bc = 0, bm = 0;
	int i;

	for (i = 0; i < 5; i++) {
		m0 = mono_now();
		if (cu.cuptiGetTimestamp(&c))
			return;
		m1 = mono_now();
		if (m1 - m0 < best) {
			best = m1 - m0;
			bc = c;
			bm = m0 + (m1 - m0) / 2;
		}
	}
	clock_off = (int64_t)(bc - bm);
	info_locked(TS_GPUI_CLOCK, 0, bc, bm, best / 2 + 1, NULL);
}

static uint64_t to_mono(uint64_t cupti_ns)
{
	return cupti_ns ? cupti_ns - clock_off : 0;
}

/* ---- correlation: which thread submitted what, noted at the call's entry -- */

struct corr_slot {
	_Atomic uint32_t corr;
	uint32_t tid;
	uint64_t ts;
};
static struct corr_slot corr_tab[CORR_SLOTS];
static __thread uint32_t my_tid;

static void on_api(void *userdata, uint32_t domain, uint32_t cbid, const void *cbdata)
{
	const uint8_t *d = cbdata;
	struct corr_slot *s;
	uint32_t site, corr;

	memcpy(&site, d + CUPTI_CBDATA_SITE, sizeof(site));
	if (site != CUPTI_API_ENTER || domain != CUPTI_CB_DOMAIN_DRIVER_API)
		return;
	memcpy(&corr, d + CUPTI_CBDATA_CORRELATION_ID, sizeof(corr));
	if (!my_tid)
		my_tid = (uint32_t)syscall(SYS_gettid);
	s = &corr_tab[corr % CORR_SLOTS];
	/* a reader that sees the id before and after its read got this call's fields */
	atomic_store_explicit(&s->corr, 0, memory_order_release);
	s->tid = my_tid;
	s->ts = mono_now();
	atomic_store_explicit(&s->corr, corr, memory_order_release);
}

static void corr_lookup(uint32_t corr, struct ts_rec_gpu *g)
{
	struct corr_slot *s = &corr_tab[corr % CORR_SLOTS];
	uint32_t tid;
	uint64_t ts;

	if (!corr || atomic_load_explicit(&s->corr, memory_order_acquire) != corr)
		return;
	tid = s->tid;
	ts = s->ts;
	if (atomic_load_explicit(&s->corr, memory_order_acquire) != corr)
		return;
	g->hdr.tid = tid;
	g->api_ts = ts;
}

/* ---- kernel names: each sent once, before the records that use it ------- */

static uintptr_t names_sent[NAME_SLOTS];

static uint64_t name_id_locked(const char *name)
{
	uintptr_t p = (uintptr_t)name;
	size_t i = (p >> 4) % NAME_SLOTS;

	if (!name)
		return 0;
	if (names_sent[i] != p) {
		/* the records in the batch do not use it: they are handed over after it */
		ts_cupti_name(p, name);
		names_sent[i] = p;
	}
	return p;
}

/* ---- activity records -> slots ------------------------------------------- */

#define RD(dst, rec, off) memcpy(&(dst), (const uint8_t *)(rec) + (off), sizeof(dst))

static void kernel_slot(const uint8_t *r, struct ts_rec_gpu *g, uint32_t *corr)
{
	int32_t dim[6], shm[2];
	int i;

	g->hdr.flags = TS_GPU_KERNEL;
	RD(g->device, r, CUPTI_KERNEL_DEVICE);
	RD(g->context, r, CUPTI_KERNEL_DEVICE + 4);
	RD(g->stream, r, CUPTI_KERNEL_DEVICE + 8);
	RD(dim, r, CUPTI_KERNEL_GRID);
	for (i = 0; i < 3; i++) {
		g->grid[i] = dim[i];
		g->block[i] = dim[3 + i];
	}
	RD(shm, r, CUPTI_KERNEL_STATIC_SHMEM);
	g->shmem = (uint32_t)shm[0] + (uint32_t)shm[1];
	g->dyn_shmem = (uint32_t)shm[1];
	RD(g->regs, r, CUPTI_KERNEL_REGISTERS);
	RD(g->local_mem, r, CUPTI_KERNEL_LOCAL_MEM);
	RD(g->local_mem_total, r, CUPTI_KERNEL_LOCAL_MEM + 4);
	RD(*corr, r, CUPTI_KERNEL_CORRELATION_ID);
	RD(g->graph_node, r, CUPTI_KERNEL_GRAPH_NODE);
	RD(g->graph_id, r, CUPTI_KERNEL_GRAPH_ID);
}

/* A memcpy or memset record: the same layout past their first 8 bytes */
static void mem_slot(const uint8_t *r, uint32_t kind, struct ts_rec_gpu *g, uint32_t *corr)
{
	g->hdr.flags = kind == CUPTI_ACTIVITY_KIND_MEMCPY ? TS_GPU_COPY : TS_GPU_MEMSET;
	if (kind == CUPTI_ACTIVITY_KIND_MEMCPY) {
		g->copy_kind = r[CUPTI_MEMCPY_COPY_KIND];
		g->src_kind = r[CUPTI_MEMCPY_COPY_KIND + 1];
		g->dst_kind = r[CUPTI_MEMCPY_COPY_KIND + 2];
	} else {
		RD(g->value, r, CUPTI_MEMSET_VALUE);
	}
	RD(g->bytes, r, CUPTI_MEMCPY_BYTES);
	RD(g->device, r, CUPTI_MEMCPY_DEVICE);
	RD(g->context, r, CUPTI_MEMCPY_DEVICE + 4);
	RD(g->stream, r, CUPTI_MEMCPY_DEVICE + 8);
	RD(*corr, r, CUPTI_MEMCPY_DEVICE + 12);
	RD(g->graph_node, r, CUPTI_MEMCPY_GRAPH_NODE);
	RD(g->graph_id, r, CUPTI_MEMCPY_GRAPH_ID);
}

/* A device's limits, for the occupancy its kernels imply (TS_GPUI_DEVICE). */
static void device_locked(const uint8_t *r)
{
	uint32_t v[8];
	const char *name = NULL;
	char msg[TS_GPU_MSG] = "";

	RD(v[0], r, CUPTI_DEVICE_NUM_SMS);
	RD(v[1], r, CUPTI_DEVICE_MAX_WARPS);
	RD(v[2], r, CUPTI_DEVICE_MAX_WARPS + 4); /* blocks */
	RD(v[3], r, CUPTI_DEVICE_MAX_SHMEM);
	RD(v[4], r, CUPTI_DEVICE_MAX_SHMEM + 4); /* registers */
	RD(v[5], r, CUPTI_DEVICE_CC);
	RD(v[6], r, CUPTI_DEVICE_CC + 4);
	RD(v[7], r, CUPTI_DEVICE_ID);
	RD(name, r, CUPTI_DEVICE_NAME);
	if (name)
		snprintf(msg, sizeof(msg), "%s", name);
	info_locked(TS_GPUI_DEVICE, v[7], v[0] | (uint64_t)v[1] << 32, v[4] | (uint64_t)v[3] << 32,
		    v[2] | (uint64_t)((v[5] & 0xff) << 8 | (v[6] & 0xff)) << 32, msg);
}

static void record_locked(const uint8_t *r)
{
	struct ts_rec_gpu *g;
	const char *name = NULL;
	uint64_t t[2], name_id = 0;
	uint32_t kind, corr = 0;

	RD(kind, r, 0);
	if (kind == CUPTI_ACTIVITY_KIND_DEVICE) {
		device_locked(r);
		return;
	}
	if (kind != CUPTI_ACTIVITY_KIND_KERNEL && kind != CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL &&
	    kind != CUPTI_ACTIVITY_KIND_MEMCPY && kind != CUPTI_ACTIVITY_KIND_MEMSET)
		return;
	/* start and end sit at 16 in all three */
	RD(t, r, CUPTI_KERNEL_START);
	if (!t[0] || t[1] < t[0])
		return; /* CUPTI could not time it */
	if (kind == CUPTI_ACTIVITY_KIND_KERNEL || kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) {
		RD(name, r, CUPTI_KERNEL_NAME);
		name_id = name_id_locked(name);
	}
	g = next_slot();
	g->hdr.kind = TS_REC_GPU;
	g->name_id = name_id;
	if (kind == CUPTI_ACTIVITY_KIND_MEMCPY || kind == CUPTI_ACTIVITY_KIND_MEMSET)
		mem_slot(r, kind, g, &corr);
	else
		kernel_slot(r, g, &corr);
	g->hdr.ts = to_mono(t[0]);
	g->end = to_mono(t[1]);
	g->hdr.aux = corr;
	corr_lookup(corr, g);
}

static void buf_requested(uint8_t **buffer, size_t *size, size_t *max_records)
{
	*buffer = aligned_alloc(8, BUF_SIZE);
	*size = *buffer ? BUF_SIZE : 0;
	*max_records = 0;
}

static void buf_completed(void *ctx, uint32_t stream_id, uint8_t *buffer, size_t size,
			  size_t valid_size)
{
	void *rec = NULL;
	size_t dropped = 0;

	pthread_mutex_lock(&lock);
	calibrate_locked();
	while (buffer && cu.cuptiActivityGetNextRecord(buffer, valid_size, &rec) == CUPTI_SUCCESS)
		record_locked(rec);
	if (!cu.cuptiActivityGetNumDroppedRecords(ctx, stream_id, &dropped) && dropped)
		info_locked(TS_GPUI_DROPPED, 0, dropped, 0, 0, NULL);
	flush_batch();
	pthread_mutex_unlock(&lock);
	free(buffer);
}

/* ---- finding libcupti ------------------------------------------------------ */

static char cudart_dir[512];

static int find_cudart(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *n = info->dlpi_name, *slash = n ? strrchr(n, '/') : NULL;

	if (!slash || strncmp(slash + 1, "libcudart.so", 12))
		return 0;
	snprintf(cudart_dir, sizeof(cudart_dir), "%.*s", (int)(slash - n), n);
	return 1;
}

/* The first libcupti of the versions we read, in dir/sub, or by soname (dir NULL). */
static void *open_in(const char *dir, const char *sub, int flags)
{
	static const char *const names[] = { "libcupti.so.13", "libcupti.so.12", "libcupti.so" };
	char p[768];
	void *h = NULL;
	unsigned int i;

	for (i = 0; !h && i < 3; i++) {
		if (dir)
			snprintf(p, sizeof(p), "%s%s/%s", dir, sub, names[i]);
		else
			snprintf(p, sizeof(p), "%s", names[i]);
		h = dlopen(p, RTLD_NOW | RTLD_LOCAL | flags);
	}
	return h;
}

/* One already in the process first: two CUPTIs in one process would fight. */
static void *open_cupti(void)
{
	const char *path = getenv("TRACESMITH_CUPTI"), *home = getenv("CUDA_HOME");
	void *h;

	if (path && *path)
		return dlopen(path, RTLD_NOW | RTLD_LOCAL);
	h = open_in(NULL, NULL, RTLD_NOLOAD);
	if (!h && dl_iterate_phdr(find_cudart, NULL)) {
		/* PyTorch wheels: nvidia/cuda_runtime/lib beside nvidia/cuda_cupti/lib */
		h = open_in(cudart_dir, "", 0);
		if (!h)
			h = open_in(cudart_dir, "/../../cuda_cupti/lib", 0);
	}
	if (!h) /* the ld.so cache */
		h = open_in(NULL, NULL, 0);
	if (!h && home)
		h = open_in(home, "/extras/CUPTI/lib64", 0);
	if (!h && home)
		h = open_in(home, "/lib64", 0);
	if (!h)
		h = open_in("/usr/local/cuda", "/extras/CUPTI/lib64", 0);
	if (!h)
		h = open_in("/usr/local/cuda", "/lib64", 0);
	return h;
}

/* ---- start-up and the end ------------------------------------------------ */

static CUpti_SubscriberHandle sub;
static bool running;

static const char *result_str(CUptiResult r)
{
	const char *s = NULL;

	if (!cu.cuptiGetResultString || cu.cuptiGetResultString(r, &s) || !s)
		return "unknown CUPTI error";
	return s;
}

static void at_exit(void)
{
	if (!running)
		return;
	running = false;
	cu.cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
	info(TS_GPUI_FLUSHED, 0, 0, NULL);
}

static int load_symbols(void *h, char *why, size_t len)
{
#define F(name, ret, args)                                                                         \
	cu.name = (ret(*) args)dlsym(h, #name);                                                    \
	if (!cu.name) {                                                                            \
		snprintf(why, len, "no %s in libcupti", #name);                                    \
		return -1;                                                                         \
	}
	TS_CUPTI_FUNCS
#undef F
	return 0;
}

static const uint32_t submit_cbids[] = {
#define X(id, name) id,
	TS_CUPTI_SUBMIT_CBIDS
#undef X
};

static const uint32_t kinds[] = { CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_MEMCPY,
				  CUPTI_ACTIVITY_KIND_MEMSET };

static CUptiResult enable(void)
{
	CUptiResult r;
	unsigned int i;

	/* a call this CUPTI does not know is no reason to stop */
	for (i = 0; i < sizeof(submit_cbids) / sizeof(submit_cbids[0]); i++)
		cu.cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_DRIVER_API, submit_cbids[i]);
	r = cu.cuptiActivityRegisterCallbacks(buf_requested, buf_completed);
	for (i = 0; !r && i < 3; i++)
		r = cu.cuptiActivityEnable(kinds[i]);
	/* the devices' limits (occupancy): optional, a CUPTI without them times kernels still */
	if (!r)
		cu.cuptiActivityEnable(CUPTI_ACTIVITY_KIND_DEVICE);
	return r;
}

static void fail(enum ts_gpu_fail why, uint64_t code, const char *msg)
{
	if (sub)
		cu.cuptiUnsubscribe(sub);
	sub = NULL;
	info(TS_GPUI_FAILED, why, code, msg);
}

static void start(void)
{
	ts_cupti_flush_period_fn period;
	char why[TS_GPU_MSG] = "", path[TS_GPU_MSG] = "";
	struct link_map *lm = NULL;
	uint32_t version = 0;
	CUptiResult r;
	void *h = open_cupti();

	if (!h) {
		const char *named = getenv("TRACESMITH_CUPTI");

		snprintf(why, sizeof(why), "%s", dlerror() ?: "");
		return fail(named && *named ? TS_GPUF_OPEN : TS_GPUF_NO_CUPTI, 0, why);
	}
	if (load_symbols(h, why, sizeof(why)))
		return fail(TS_GPUF_NOT_CUPTI, 0, why);
	r = cu.cuptiGetVersion(&version);
	if (r || version < TS_CUPTI_MIN_API_VERSION) {
		snprintf(why, sizeof(why), "API version %u", version);
		return fail(TS_GPUF_VERSION, version, r ? result_str(r) : why);
	}
	r = cu.cuptiSubscribe(&sub, on_api, NULL);
	if (r) {
		sub = NULL;
		return fail(r == CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED ? TS_GPUF_SUBSCRIBER
										: TS_GPUF_ENABLE,
			    r, result_str(r));
	}
	r = enable();
	if (r)
		return fail(TS_GPUF_ENABLE, r, result_str(r));
	period = (ts_cupti_flush_period_fn)dlsym(h, "cuptiActivityFlushPeriod");
	if (period)
		period(FLUSH_MS);
	if (!dlinfo(h, RTLD_DI_LINKMAP, &lm) && lm && lm->l_name)
		snprintf(path, sizeof(path), "%s", lm->l_name);
	running = true;
	atexit(at_exit);
	pthread_mutex_lock(&lock);
	info_locked(TS_GPUI_STARTED, 0, version, 0, 0, path);
	calibrate_locked();
	flush_batch();
	pthread_mutex_unlock(&lock);
}

/*
 * -p --gpu-time: the tracer loads this library into a running process with
 * ptrace and calls this (cupti: the --cupti path, or NULL), then, when it
 * stops, ts_cupti_detach(): the process is left as it was found.
 */
EXPORT int ts_cupti_attach(const char *cupti)
{
	static atomic_flag once = ATOMIC_FLAG_INIT;

	if (cupti)
		setenv("TRACESMITH_CUPTI", cupti, 1);
	if (!atomic_flag_test_and_set(&once))
		start();
	return running;
}

EXPORT void ts_cupti_detach(void)
{
	unsigned int i;

	if (!running)
		return;
	running = false;
	for (i = 0; i < 3; i++)
		cu.cuptiActivityDisable(kinds[i]);
	cu.cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
	if (sub)
		cu.cuptiUnsubscribe(sub);
	sub = NULL;
	info(TS_GPUI_FLUSHED, 0, 0, NULL);
}

/* Called by the CUDA driver once, at cuInit. 1: the driver goes on, always. */
EXPORT int InitializeInjection(void)
{
	static atomic_flag once = ATOMIC_FLAG_INIT;

	if (!atomic_flag_test_and_set(&once))
		start();
	return 1;
}
