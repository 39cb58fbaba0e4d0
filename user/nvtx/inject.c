// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libtracesmith-nvtx.so: the NVTX injection library. A program's first NVTX
 * call loads it (NVTX_INJECTION64_PATH, set by the tracer for its -- command)
 * and calls InitializeInjectionNvtx2, which puts our functions in NVTX's
 * tables (nvtx_abi.h). Each call then appends one event to its thread's
 * batch (struct ts_rec_nvtx): a clock read and a copy, no lock anyone else
 * takes, no system call. A batch goes to the tracer through
 * ts_nvtx_deliver(), which a uprobe copies into the ring buffer: when it is
 * full, when its first event is TS_NVTX_FLUSH_NS old (checked at the next
 * call), at thread exit and at process exit. No file, socket or thread of
 * our own; nothing written to the program's stdout or stderr.
 *
 * Handles we give out are small numbers, not pointers: a domain is its id,
 * a registered string its id, a start/end range its id; the tracer maps
 * them to names. What the program passes is read within bounds
 * (TS_NVTX_MSG_MAX bytes of a message), never kept.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "tracesmith.h"
#include "encode/utf8.h"
#include "lib/handoff.h"
#include "nvtx/nvtx_abi.h"

#define EXPORT __attribute__((visibility("default")))

/* ts_nvtx_deliver(rec, size): the hand-off the uprobe watches (lib/handoff.h). */
#if defined(__x86_64__)
TS_HANDOFF_NOP_RET(ts_nvtx_deliver)
EXPORT void ts_nvtx_deliver(const struct ts_rec_nvtx *rec, uint32_t size);
#else
TS_HANDOFF_C void ts_nvtx_deliver(const struct ts_rec_nvtx *rec, uint32_t size)
{
	__asm__ volatile("" : : "r"(rec), "r"(size) : "memory");
}
#endif

/*
 * A thread's batch. Its owner appends under lock, a flag only the exit
 * flush (another thread) ever contends for.
 */
struct tbuf {
	atomic_flag lock;
	uint32_t used; /* event bytes in rec.data */
	int depth;     /* push/pop nesting, what push and pop return */
	struct tbuf *next;
	struct ts_rec_nvtx rec;
};

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tbuf *all_bufs;
static pthread_key_t key;
static _Atomic uint64_t next_id = 1; /* domains, strings, ranges: ids unique in the process */
static __thread struct tbuf *my_buf;

static uint64_t mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

static void buf_lock(struct tbuf *b)
{
	while (atomic_flag_test_and_set_explicit(&b->lock, memory_order_acquire))
		;
}

static void buf_unlock(struct tbuf *b)
{
	atomic_flag_clear_explicit(&b->lock, memory_order_release);
}

static void flush_locked(struct tbuf *b)
{
	if (!b->used)
		return;
	b->rec.hdr.size = sizeof(b->rec.hdr) + b->used;
	b->rec.hdr.ts = mono_now();
	ts_nvtx_deliver(&b->rec, b->rec.hdr.size);
	b->used = 0;
}

/* pthread key destructor: the thread's last events, then its buffer gone */
static void thread_gone(void *p)
{
	struct tbuf *b = p, **pp;

	pthread_mutex_lock(&list_lock);
	for (pp = &all_bufs; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	pthread_mutex_unlock(&list_lock);
	buf_lock(b);
	flush_locked(b);
	buf_unlock(b);
	/* an NVTX call from a later destructor of this thread starts a new batch */
	my_buf = NULL;
	free(b);
}

static void at_exit(void)
{
	struct tbuf *b;

	pthread_mutex_lock(&list_lock);
	for (b = all_bufs; b; b = b->next) {
		buf_lock(b);
		flush_locked(b);
		buf_unlock(b);
	}
	pthread_mutex_unlock(&list_lock);
}

/* The child of a fork starts with no events of its parent's and only its own thread. */
static void after_fork(void)
{
	struct tbuf *b;

	pthread_mutex_init(&list_lock, NULL);
	for (b = all_bufs; b; b = b->next) {
		atomic_flag_clear(&b->lock);
		b->used = 0;
	}
	if (my_buf)
		my_buf->rec.hdr.tid = (uint32_t)syscall(SYS_gettid);
}

static struct tbuf *thread_buf(void)
{
	struct tbuf *b = my_buf;

	if (b)
		return b;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	atomic_flag_clear(&b->lock);
	b->rec.hdr.kind = TS_REC_NVTX;
	b->rec.hdr.tid = (uint32_t)syscall(SYS_gettid);
	pthread_setspecific(key, b);
	pthread_mutex_lock(&list_lock);
	b->next = all_bufs;
	all_bufs = b;
	pthread_mutex_unlock(&list_lock);
	my_buf = b;
	return b;
}

/* ---- messages: bounded copies, wide strings made UTF-8 ---------------------- */

/* The message's bytes into out (TS_NVTX_MSG_MAX): its length; flags say cut or wide. */
static uint16_t copy_msg(char *out, const char *a, const wchar_t *w, uint8_t *flags)
{
	size_t n = 0, i;
	char tmp[4];

	if (a) {
		n = strnlen(a, TS_NVTX_MSG_MAX + 1);
		if (n > TS_NVTX_MSG_MAX) {
			n = TS_NVTX_MSG_MAX;
			*flags |= TS_NVTX_F_CUT;
		}
		memcpy(out, a, n);
		return n;
	}
	if (!w)
		return 0;
	*flags |= TS_NVTX_F_WIDE;
	for (i = 0; w[i]; i++) {
		size_t k = ts_utf8_put((uint32_t)w[i], tmp);

		if (n + k > TS_NVTX_MSG_MAX) {
			*flags |= TS_NVTX_F_CUT;
			break;
		}
		memcpy(out + n, tmp, k);
		n += k;
	}
	return n;
}

/* ---- events --------------------------------------------------------------- */

struct ev_args {
	uint8_t type;
	uint32_t domain;
	uint64_t id;
	const struct nvtx_event_attr *attr;
	const char *a;	  /* a plain message, or */
	const wchar_t *w; /* a wide one */
	uint32_t category;
};

/* What attributes say, as far as their size says they go. */
static void read_attr(struct ts_nvtx_ev *e, const struct nvtx_event_attr *attr, const char **a,
		      const wchar_t **w)
{
	struct nvtx_event_attr x;
	size_t n = attr->size < sizeof(x) ? attr->size : sizeof(x);

	memset(&x, 0, sizeof(x));
	memcpy(&x, attr, n);
	e->category = x.category;
	if (x.colorType == NVTX_COLOR_ARGB) {
		e->color = x.color;
		e->flags |= TS_NVTX_F_COLOR;
	}
	if (x.payloadType > 0 && x.payloadType < 256) {
		e->payload_type = x.payloadType;
		e->payload = x.payload;
	}
	if (x.messageType == NVTX_MESSAGE_TYPE_ASCII)
		*a = x.message.ascii;
	else if (x.messageType == NVTX_MESSAGE_TYPE_UNICODE)
		*w = x.message.unicode;
	else if (x.messageType == NVTX_MESSAGE_TYPE_REGISTERED) {
		e->msg_id = (uint32_t)(uintptr_t)x.message.registered;
		e->flags |= TS_NVTX_F_REGISTERED;
	}
}

static void emit(const struct ev_args *v)
{
	struct tbuf *b = thread_buf();
	struct ts_nvtx_ev e = { .type = v->type, .domain = v->domain, .id = v->id };
	char msg[TS_NVTX_MSG_MAX];
	const char *a = v->a;
	const wchar_t *w = v->w;
	uint32_t size;

	if (!b)
		return;
	e.category = v->category;
	if (v->attr)
		read_attr(&e, v->attr, &a, &w);
	e.msg_len = copy_msg(msg, a, w, &e.flags);
	size = (TS_NVTX_EV_SIZE + e.msg_len + 7) & ~7u;
	e.size = size;
	e.ts = mono_now();
	buf_lock(b);
	if (b->used + size > TS_NVTX_DATA)
		flush_locked(b);
	memcpy(b->rec.data + b->used, &e, sizeof(e));
	memcpy(b->rec.data + b->used + TS_NVTX_EV_SIZE, msg, e.msg_len);
	memset(b->rec.data + b->used + TS_NVTX_EV_SIZE + e.msg_len, 0,
	       size - TS_NVTX_EV_SIZE - e.msg_len);
	b->used += size;
	{
		const struct ts_nvtx_ev *first = (const void *)b->rec.data;

		if (e.ts - first->ts >= TS_NVTX_FLUSH_NS)
			flush_locked(b);
	}
	buf_unlock(b);
}

static uint32_t dom(const void *d)
{
	return (uint32_t)(uintptr_t)d;
}

static int push(uint32_t domain, const struct nvtx_event_attr *attr, const char *a,
		const wchar_t *w)
{
	struct tbuf *b = thread_buf();

	emit(&(struct ev_args){
		.type = TS_NVTX_PUSH, .domain = domain, .attr = attr, .a = a, .w = w });
	return b ? b->depth++ : -1;
}

static int pop(uint32_t domain)
{
	struct tbuf *b = thread_buf();

	emit(&(struct ev_args){ .type = TS_NVTX_POP, .domain = domain });
	if (!b || b->depth <= 0)
		return -1;
	return --b->depth;
}

static uint64_t start(uint32_t domain, const struct nvtx_event_attr *attr, const char *a,
		      const wchar_t *w)
{
	uint64_t id = atomic_fetch_add(&next_id, 1);

	emit(&(struct ev_args){
		.type = TS_NVTX_START, .domain = domain, .id = id, .attr = attr, .a = a, .w = w });
	return id;
}

static void end(uint32_t domain, uint64_t id)
{
	emit(&(struct ev_args){ .type = TS_NVTX_END, .domain = domain, .id = id });
}

static void mark(uint32_t domain, const struct nvtx_event_attr *attr, const char *a,
		 const wchar_t *w)
{
	emit(&(struct ev_args){
		.type = TS_NVTX_MARK, .domain = domain, .attr = attr, .a = a, .w = w });
}

static uint64_t named(uint8_t type, uint32_t domain, uint32_t category, uint64_t id, const char *a,
		      const wchar_t *w)
{
	emit(&(struct ev_args){
		.type = type, .domain = domain, .category = category, .id = id, .a = a, .w = w });
	return id;
}

/* ---- the NVTX entry points (core: the default domain) ----------------------- */

static void MarkEx(const struct nvtx_event_attr *e)
{
	mark(0, e, NULL, NULL);
}
static void MarkA(const char *m)
{
	mark(0, NULL, m, NULL);
}
static void MarkW(const wchar_t *m)
{
	mark(0, NULL, NULL, m);
}
static uint64_t RangeStartEx(const struct nvtx_event_attr *e)
{
	return start(0, e, NULL, NULL);
}
static uint64_t RangeStartA(const char *m)
{
	return start(0, NULL, m, NULL);
}
static uint64_t RangeStartW(const wchar_t *m)
{
	return start(0, NULL, NULL, m);
}
static void RangeEnd(uint64_t id)
{
	end(0, id);
}
static int RangePushEx(const struct nvtx_event_attr *e)
{
	return push(0, e, NULL, NULL);
}
static int RangePushA(const char *m)
{
	return push(0, NULL, m, NULL);
}
static int RangePushW(const wchar_t *m)
{
	return push(0, NULL, NULL, m);
}
static int RangePop(void)
{
	return pop(0);
}
static void NameCategoryA(uint32_t c, const char *n)
{
	named(TS_NVTX_CATEGORY, 0, c, 0, n, NULL);
}
static void NameCategoryW(uint32_t c, const wchar_t *n)
{
	named(TS_NVTX_CATEGORY, 0, c, 0, NULL, n);
}
static void NameOsThreadA(uint32_t tid, const char *n)
{
	named(TS_NVTX_THREAD_NAME, 0, 0, tid, n, NULL);
}
static void NameOsThreadW(uint32_t tid, const wchar_t *n)
{
	named(TS_NVTX_THREAD_NAME, 0, 0, tid, NULL, n);
}

/* ---- domains ---------------------------------------------------------------- */

static void DomainMarkEx(void *d, const struct nvtx_event_attr *e)
{
	mark(dom(d), e, NULL, NULL);
}
static uint64_t DomainRangeStartEx(void *d, const struct nvtx_event_attr *e)
{
	return start(dom(d), e, NULL, NULL);
}
static void DomainRangeEnd(void *d, uint64_t id)
{
	end(dom(d), id);
}
static int DomainRangePushEx(void *d, const struct nvtx_event_attr *e)
{
	return push(dom(d), e, NULL, NULL);
}
static int DomainRangePop(void *d)
{
	return pop(dom(d));
}
static void DomainNameCategoryA(void *d, uint32_t c, const char *n)
{
	named(TS_NVTX_CATEGORY, dom(d), c, 0, n, NULL);
}
static void DomainNameCategoryW(void *d, uint32_t c, const wchar_t *n)
{
	named(TS_NVTX_CATEGORY, dom(d), c, 0, NULL, n);
}
/* ids of domains and strings stay below 2^32: handles the tracer can key by */
static void *new_handle(uint8_t type, uint32_t domain, const char *a, const wchar_t *w)
{
	uint64_t id = atomic_fetch_add(&next_id, 1);

	if (id > UINT32_MAX)
		return NULL;
	return (void *)(uintptr_t)named(type, type == TS_NVTX_DOMAIN ? (uint32_t)id : domain, 0, id,
					a, w);
}
static void *DomainRegisterStringA(void *d, const char *s)
{
	return new_handle(TS_NVTX_STRING, dom(d), s, NULL);
}
static void *DomainRegisterStringW(void *d, const wchar_t *s)
{
	return new_handle(TS_NVTX_STRING, dom(d), NULL, s);
}
static void *DomainCreateA(const char *n)
{
	return new_handle(TS_NVTX_DOMAIN, 0, n, NULL);
}
static void *DomainCreateW(const wchar_t *n)
{
	return new_handle(TS_NVTX_DOMAIN, 0, NULL, n);
}
static void DomainDestroy(void *d)
{
	named(TS_NVTX_DOMAIN_DESTROY, dom(d), 0, 0, NULL, NULL);
}
static void Initialize(const void *reserved)
{
}

/* ---- the injection entry point ------------------------------------------------ */

#define SLOT(tab, n, id, fn)                                                                       \
	do {                                                                                       \
		if ((id) < (n) && (tab)[id])                                                       \
			*(tab)[id] = (nvtx_fnptr)(fn);                                             \
	} while (0)

static void fill_core(nvtx_fntable t, unsigned int n)
{
	SLOT(t, n, NVTX_CBID_CORE_MarkEx, MarkEx);
	SLOT(t, n, NVTX_CBID_CORE_MarkA, MarkA);
	SLOT(t, n, NVTX_CBID_CORE_MarkW, MarkW);
	SLOT(t, n, NVTX_CBID_CORE_RangeStartEx, RangeStartEx);
	SLOT(t, n, NVTX_CBID_CORE_RangeStartA, RangeStartA);
	SLOT(t, n, NVTX_CBID_CORE_RangeStartW, RangeStartW);
	SLOT(t, n, NVTX_CBID_CORE_RangeEnd, RangeEnd);
	SLOT(t, n, NVTX_CBID_CORE_RangePushEx, RangePushEx);
	SLOT(t, n, NVTX_CBID_CORE_RangePushA, RangePushA);
	SLOT(t, n, NVTX_CBID_CORE_RangePushW, RangePushW);
	SLOT(t, n, NVTX_CBID_CORE_RangePop, RangePop);
	SLOT(t, n, NVTX_CBID_CORE_NameCategoryA, NameCategoryA);
	SLOT(t, n, NVTX_CBID_CORE_NameCategoryW, NameCategoryW);
	SLOT(t, n, NVTX_CBID_CORE_NameOsThreadA, NameOsThreadA);
	SLOT(t, n, NVTX_CBID_CORE_NameOsThreadW, NameOsThreadW);
}

static void fill_core2(nvtx_fntable t, unsigned int n)
{
	SLOT(t, n, NVTX_CBID_CORE2_DomainMarkEx, DomainMarkEx);
	SLOT(t, n, NVTX_CBID_CORE2_DomainRangeStartEx, DomainRangeStartEx);
	SLOT(t, n, NVTX_CBID_CORE2_DomainRangeEnd, DomainRangeEnd);
	SLOT(t, n, NVTX_CBID_CORE2_DomainRangePushEx, DomainRangePushEx);
	SLOT(t, n, NVTX_CBID_CORE2_DomainRangePop, DomainRangePop);
	SLOT(t, n, NVTX_CBID_CORE2_DomainNameCategoryA, DomainNameCategoryA);
	SLOT(t, n, NVTX_CBID_CORE2_DomainNameCategoryW, DomainNameCategoryW);
	SLOT(t, n, NVTX_CBID_CORE2_DomainRegisterStringA, DomainRegisterStringA);
	SLOT(t, n, NVTX_CBID_CORE2_DomainRegisterStringW, DomainRegisterStringW);
	SLOT(t, n, NVTX_CBID_CORE2_DomainCreateA, DomainCreateA);
	SLOT(t, n, NVTX_CBID_CORE2_DomainCreateW, DomainCreateW);
	SLOT(t, n, NVTX_CBID_CORE2_DomainDestroy, DomainDestroy);
	SLOT(t, n, NVTX_CBID_CORE2_Initialize, Initialize);
}

/* Called by NVTX at the program's first NVTX call. 0: NVTX stays a no-op. */
EXPORT int InitializeInjectionNvtx2(nvtx_get_export_table_fn get)
{
	const struct nvtx_etbl_callbacks *cb = get ? get(NVTX_ETID_CALLBACKS) : NULL;
	const struct nvtx_etbl_version *ver = get ? get(NVTX_ETID_VERSIONINFO) : NULL;
	nvtx_fntable core = NULL, core2 = NULL;
	unsigned int ncore = 0, ncore2 = 0;

	if (!cb || cb->struct_size < sizeof(*cb) || !cb->GetModuleFunctionTable)
		return 0;
	if (!cb->GetModuleFunctionTable(NVTX_CB_MODULE_CORE, &core, &ncore) || !core ||
	    !cb->GetModuleFunctionTable(NVTX_CB_MODULE_CORE2, &core2, &ncore2) || !core2)
		return 0;
	if (pthread_key_create(&key, thread_gone))
		return 0;
	pthread_atfork(NULL, NULL, after_fork);
	atexit(at_exit);
	if (ver && ver->struct_size >= sizeof(*ver) && ver->SetInjectionNvtxVersion)
		ver->SetInjectionNvtxVersion(3);
	fill_core(core, ncore);
	fill_core2(core2, ncore2);
	return 1;
}
