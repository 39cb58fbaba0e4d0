// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A stand-in libcuda.so.1 for tests on machines without a GPU. It exports
 * the driver API symbols tracesmith-bpf hooks, with the real signatures and
 * versioned/per-thread variants, and behaves enough like the driver for a
 * trace to be checked: "device" memory is host memory, copies and memsets
 * really copy, synchronize calls block for FAKE_SYNC_US, names round-trip.
 *
 * Some per-thread variants call their base function (as the real driver's
 * wrappers do), some tail-call it: the tracer must count either as one call.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cuda_types.h"
#include "fakecupti/fake_prof.h"
#include "workloads.h"

#define API	      __attribute__((visibility("default"), noinline))
#define GRAPH_MAX_OPS 16

struct CUctx_st {
	int device;
};
/*
 * A driver object that knows its name, kept the way a real driver plausibly
 * keeps it: a pointer to it (the default), or the bytes inline
 * (FAKECUDA_NAME_LAYOUT=inline). The tracer learns which from names it sees
 * resolved; tests check both.
 */
struct named {
	uint64_t magic;	       /* 0 */
	void *owner;	       /* 8 */
	char *name;	       /* 16: the pointer layout; NULL in the inline one */
	uint32_t refs;	       /* 24 */
	char inline_name[256]; /* 28: the inline layout */
	/* graphs and execs: what they run, for the stand-in CUPTI */
	uint32_t graph_id;
	unsigned int nops;
	struct fake_op ops[GRAPH_MAX_OPS];
	unsigned int node_index; /* graph nodes: their op in the graph */
	/* graphs being captured: streams that joined through events */
	struct CUstream_st *joined[4];
	struct named *fn; /* kernels: their function, made once as the driver's is */
};
struct CUstream_st {
	int flags;
	struct named *capture; /* the graph being captured, if capturing */
};
struct CUevent_st {
	int recorded;
	struct named *capture; /* recorded on a capturing stream: waiting on it joins the capture */
};

static struct CUctx_st primary[2] = { { 0 }, { 1 } };
static __thread CUcontext cur_ctx;
static int initialized;
static volatile unsigned long nested_calls;

/*
 * FAKECUDA_SYNC_US makes synchronize calls hang as long as a test needs;
 * FAKECUDA_SYNC_MARK names a file made as one begins to (the test's sign
 * that the call is under way, whatever the machine's load).
 */
static void block_us(long us)
{
	const char *env = getenv("FAKECUDA_SYNC_US"), *mark = getenv("FAKECUDA_SYNC_MARK");
	struct timespec ts;
	int fd;

	if (env)
		us = atol(env);
	if (mark && (fd = open(mark, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) >= 0)
		close(fd);
	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;

	while (nanosleep(&ts, &ts))
		;
}

static const char *name_of(const void *obj)
{
	const struct named *n = obj;

	return n->name ? n->name : n->inline_name;
}

static void *new_named(const char *name)
{
	struct named *n = calloc(1, sizeof(*n));
	const char *layout = getenv("FAKECUDA_NAME_LAYOUT");

	if (!n || !name)
		return n;
	n->magic = 0x6e616d6564ull;
	if (layout && !strcmp(layout, "inline"))
		snprintf(n->inline_name, sizeof(n->inline_name), "%s", name);
	else
		n->name = strdup(name);
	return n;
}

/*
 * ---- the profiler (the stand-in libcupti): what each call submits --------
 * A launch on a capturing stream runs nothing: it goes into the graph.
 */
static fake_prof_fn prof;

API void fakecuda_set_profiler(fake_prof_fn fn)
{
	prof = fn;
}

/* a real stream, not 0, CU_STREAM_LEGACY or CU_STREAM_PER_THREAD */
static struct CUstream_st *real_stream(CUstream s)
{
	return (uintptr_t)s > 0x1000 ? s : NULL;
}

static void submit(uint32_t cbid, const char *func, CUstream s, const struct fake_op *op)
{
	struct CUstream_st *rs = real_stream(s);
	struct fake_call c = { cbid, func, cur_ctx ? cur_ctx->device : 0, s, 0, 1, op };

	if (rs && rs->capture) {
		if (rs->capture->nops < GRAPH_MAX_OPS)
			rs->capture->ops[rs->capture->nops++] = *op;
		return;
	}
	if (prof)
		prof(&c);
}

static void submit_copy(const char *func, CUstream s, uint8_t kind, uint64_t n)
{
	struct fake_op op = { .kind = FAKE_OP_COPY, .copy_kind = kind, .bytes = n };

	submit(kind == 1 ? 43 : kind == 2 ? 45 : 47, func, s, &op);
}

/* CUpti_ActivityMemcpyKind of a copy between memory types */
static uint8_t copy_kind(int src, int dst)
{
	if (src == CU_MEMORYTYPE_HOST)
		return dst == CU_MEMORYTYPE_HOST ? 9 : 1;
	return dst == CU_MEMORYTYPE_HOST ? 2 : 8;
}

/*
 * ---- the kernel driver: the ioctls the real libcuda issues ---------------
 * Only when FAKECUDA_DEVDIR names a directory whose nvidiactl / nvidia-uvm
 * are the kernel's memory devices (major 1: a test's stand-ins, copies of
 * /dev/zero, which take these ioctls and mmaps harmlessly): never on a real
 * NVIDIA device. FAKECUDA_DECOYS, paths separated by ':', are files that are
 * no device (/tmp/x/nvidiactl): cuInit issues the same calls on each.
 */
#define IOWR_F(nr, size)		    (3u << 30 | (size) << 16 | 'F' << 8 | (nr))
#define NV_ESC_RM_CONTROL		    0x2a
#define NV_ESC_RM_ALLOC			    0x2b
#define NV_ESC_IOCTL_XFER_CMD		    0xd3
#define UVM_INITIALIZE			    0x30000001
#define UVM_REGISTER_GPU		    37
#define NV2080_CTRL_CMD_GPU_GET_NAME_STRING 0x20800110
#define HOPPER_CHANNEL_GPFIFO_A		    0xc86f
#define NV01_MEMORY_LOCAL_USER		    0x40
#define NV_ERR_NO_MEMORY		    0x51

struct nvos54 { /* RM_CONTROL */
	uint32_t h_client, h_object, cmd, flags;
	uint64_t params;
	uint32_t params_size, status;
};
struct nvos64 { /* RM_ALLOC, 535 and later */
	uint32_t h_root, h_parent, h_new, h_class;
	uint64_t alloc_params, rights;
	uint32_t params_size, flags, status, pad;
};
struct nvos21 { /* RM_ALLOC, the 32-byte form */
	uint32_t h_root, h_parent, h_new, h_class;
	uint64_t alloc_params;
	uint32_t params_size, status;
};
struct nv_xfer {
	uint32_t cmd, size;
	uint64_t ptr;
};
struct uvm_register_gpu {
	uint8_t uuid[16];
	uint32_t numa_enabled, numa_node;
	int32_t rm_ctrl_fd;
	uint32_t h_client, h_smc_part_ref, rm_status;
};
struct uvm_initialize {
	uint64_t flags;
	uint32_t rm_status, pad;
};

_Static_assert(sizeof(struct nvos54) == 32, "NVOS54");
_Static_assert(sizeof(struct nvos64) == 48, "NVOS64");
_Static_assert(sizeof(struct nvos21) == 32, "NVOS21");
_Static_assert(sizeof(struct uvm_register_gpu) == 40, "UVM_REGISTER_GPU");

static int ctl_fd = -1, uvm_fd = -1;

static int open_standin(const char *dir, const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (stat(p, &st) || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 1)
		return -1;
	return open(p, O_RDWR | O_CLOEXEC);
}

static void rm_control(uint32_t cmd);

/* open, an RM control, an mmap and close on each decoy: none is a device */
static void decoys(void)
{
	char *list = getenv("FAKECUDA_DECOYS") ? strdup(getenv("FAKECUDA_DECOYS")) : NULL;
	char *path, *save = NULL;
	int saved = ctl_fd;

	for (path = list ? strtok_r(list, ":", &save) : NULL; path;
	     path = strtok_r(NULL, ":", &save)) {
		void *m;

		ctl_fd = open(path, O_RDWR | O_CLOEXEC);
		if (ctl_fd < 0)
			continue;
		rm_control(NV2080_CTRL_CMD_GPU_GET_NAME_STRING);
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ctl_fd, 0);
		if (m != MAP_FAILED)
			munmap(m, 4096);
		close(ctl_fd);
	}
	ctl_fd = saved;
	free(list);
}

static void dev_open(void)
{
	const char *dir = getenv("FAKECUDA_DEVDIR");
	unsigned int tio[16];
	int fd;

	if (!dir || ctl_fd >= 0)
		return;
	ctl_fd = open_standin(dir, "nvidiactl");
	uvm_fd = open_standin(dir, "nvidia-uvm");
	/* an ioctl on an ordinary file, as Python's stdio makes: never traced */
	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ioctl(fd, 0x5401 /* TCGETS */, tio);
		close(fd);
	}
}

static void rm_control(uint32_t cmd)
{
	struct nvos54 p = {
		.h_client = 0xc1d00001, .h_object = 0x5c000001, .cmd = cmd, .params_size = 64
	};

	if (ctl_fd >= 0)
		ioctl(ctl_fd, IOWR_F(NV_ESC_RM_CONTROL, sizeof(p)), &p);
}

static void rm_alloc_channel(void)
{
	struct nvos64 p = { .h_root = 0xc1d00001,
			    .h_parent = 0x5c000002,
			    .h_new = 0xcaf00001,
			    .h_class = HOPPER_CHANNEL_GPFIFO_A,
			    .params_size = 128 };

	if (ctl_fd >= 0)
		ioctl(ctl_fd, IOWR_F(NV_ESC_RM_ALLOC, sizeof(p)), &p);
}

/* device memory: RM_ALLOC wrapped in IOCTL_XFER_CMD, as large requests are */
static void rm_alloc_memory(uint32_t status)
{
	struct nvos21 p = { .h_root = 0xc1d00001,
			    .h_parent = 0x5c000002,
			    .h_new = 0xbeef0001,
			    .h_class = NV01_MEMORY_LOCAL_USER,
			    .status = status };
	struct nv_xfer x = { IOWR_F(NV_ESC_RM_ALLOC, sizeof(p)), sizeof(p), (uintptr_t)&p };

	if (ctl_fd >= 0)
		ioctl(ctl_fd, IOWR_F(NV_ESC_IOCTL_XFER_CMD, sizeof(x)), &x);
}

static void uvm_register_gpu(int dev)
{
	struct uvm_register_gpu p = { .rm_ctrl_fd = ctl_fd, .h_client = 0xc1d00001 };

	p.uuid[0] = dev;
	if (uvm_fd >= 0)
		ioctl(uvm_fd, UVM_REGISTER_GPU, &p);
}

/* ---- start-up ---------------------------------------------------------- */

/* As the real driver: CUDA_INJECTION64_PATH is loaded at the first cuInit. */
static void inject(void)
{
	static int done;
	const char *path = getenv("CUDA_INJECTION64_PATH");
	int (*init)(void);
	void *h;

	if (done++ || !path || !*path)
		return;
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	init = h ? (int (*)(void))dlsym(h, "InitializeInjection") : NULL;
	if (init)
		init();
}

API CUresult cuInit(unsigned int flags)
{
	struct uvm_initialize ui = { 0 };

	/* FAKECUDA_STUB: behave as the toolkit's stub libcuda, which has no driver behind it */
	if (getenv("FAKECUDA_STUB"))
		return CUDA_ERROR_STUB_LIBRARY;
	dev_open();
	decoys();
	rm_control(NV2080_CTRL_CMD_GPU_GET_NAME_STRING);
	if (uvm_fd >= 0)
		ioctl(uvm_fd, UVM_INITIALIZE, &ui);
	initialized = 1;
	inject();
	return flags ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

API CUresult cuDriverGetVersion(int *v)
{
	*v = 13000;
	return CUDA_SUCCESS;
}

API CUresult cuDeviceGetCount(int *n)
{
	*n = 2;
	return initialized ? CUDA_SUCCESS : CUDA_ERROR_NOT_INITIALIZED;
}

API CUresult cuDeviceGet(CUdevice *d, int ordinal)
{
	if (ordinal < 0 || ordinal > 1)
		return CUDA_ERROR_INVALID_VALUE;
	*d = ordinal;
	return CUDA_SUCCESS;
}

/*
 * Like the real driver: versioned and per-thread-stream variants are chosen
 * from the request, and what comes back is an exported symbol.
 */
API CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int version, cuuint64_t flags,
				 CUdriverProcAddressQueryResult *status)
{
	static const char *const pt_sfx[] = { "_v2_ptds", "_v2_ptsz", "_ptds", "_ptsz" };
	static const char *const sfx[] = { "_v2", "" };
	char name[256];
	unsigned int i;

	static void *self;
	Dl_info info;

	/* our own handle: we may have been dlopen'ed RTLD_LOCAL */
	if (!self && dladdr((void *)cuInit, &info))
		self = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
	*pfn = NULL;
	if (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) {
		for (i = 0; i < 4 && !*pfn; i++) {
			snprintf(name, sizeof(name), "%s%s", symbol, pt_sfx[i]);
			*pfn = dlsym(self, name);
		}
	}
	for (i = 0; i < 2 && !*pfn; i++) {
		snprintf(name, sizeof(name), "%s%s", symbol, sfx[i]);
		*pfn = dlsym(self, name);
	}
	if (status)
		*status = *pfn ? 0 : 1;
	(void)version;
	return *pfn ? CUDA_SUCCESS : CUDA_ERROR_NOT_FOUND;
}

API CUresult cuGetProcAddress(const char *symbol, void **pfn, int version, cuuint64_t flags)
{
	return cuGetProcAddress_v2(symbol, pfn, version, flags, NULL);
}

/* ---- contexts ---------------------------------------------------------- */

API CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice dev)
{
	static int made[2];

	if (dev < 0 || dev > 1)
		return CUDA_ERROR_INVALID_VALUE;
	if (!__atomic_exchange_n(&made[dev], 1, __ATOMIC_SEQ_CST)) {
		/* first use of the device: its channel, and UVM learns of it */
		rm_alloc_channel();
		uvm_register_gpu(dev);
	}
	*ctx = &primary[dev];
	return CUDA_SUCCESS;
}

API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)
{
	return dev < 0 || dev > 1 ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

API CUresult cuCtxSetCurrent(CUcontext ctx)
{
	cur_ctx = ctx;
	return CUDA_SUCCESS;
}

API CUresult cuCtxGetCurrent(CUcontext *ctx)
{
	*ctx = cur_ctx;
	return CUDA_SUCCESS;
}

API CUresult cuCtxPushCurrent_v2(CUcontext ctx)
{
	cur_ctx = ctx;
	return CUDA_SUCCESS;
}

API CUresult cuCtxPopCurrent_v2(CUcontext *ctx)
{
	if (ctx)
		*ctx = cur_ctx;
	cur_ctx = NULL;
	return CUDA_SUCCESS;
}

API CUresult cuCtxCreate_v2(CUcontext *ctx, unsigned int flags, CUdevice dev)
{
	struct CUctx_st *c = calloc(1, sizeof(*c));

	(void)flags;
	c->device = dev;
	*ctx = cur_ctx = c;
	return CUDA_SUCCESS;
}

API CUresult cuCtxCreate_v3(CUcontext *ctx, void *params, int n, unsigned int flags, CUdevice dev)
{
	(void)params;
	(void)n;
	return cuCtxCreate_v2(ctx, flags, dev);
}

API CUresult cuCtxCreate_v4(CUcontext *ctx, void *params, unsigned int flags, CUdevice dev)
{
	(void)params;
	return cuCtxCreate_v2(ctx, flags, dev);
}

API CUresult cuCtxDestroy_v2(CUcontext ctx)
{
	if (ctx != &primary[0] && ctx != &primary[1])
		free(ctx);
	return CUDA_SUCCESS;
}

/* ---- modules, libraries, names ---------------------------------------- */

API CUresult cuModuleLoad(CUmodule *m, const char *fname)
{
	*m = new_named(fname);
	return CUDA_SUCCESS;
}

API CUresult cuModuleLoadData(CUmodule *m, const void *image)
{
	(void)image;
	*m = new_named("module");
	return CUDA_SUCCESS;
}

API CUresult cuModuleLoadDataEx(CUmodule *m, const void *image, unsigned int n, CUjit_option *o,
				void **v)
{
	(void)n;
	(void)o;
	(void)v;
	return cuModuleLoadData(m, image);
}

API CUresult cuModuleLoadFatBinary(CUmodule *m, const void *fatbin)
{
	return cuModuleLoadData(m, fatbin);
}

API CUresult cuModuleUnload(CUmodule m)
{
	free(m);
	return CUDA_SUCCESS;
}

API CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name)
{
	(void)m;
	if (!strcmp(name, "no_such_kernel"))
		return CUDA_ERROR_NOT_FOUND;
	*f = new_named(name);
	return CUDA_SUCCESS;
}

API CUresult cuLibraryLoadData(CUlibrary *lib, const void *code, CUjit_option *jo, void **jv,
			       unsigned int njo, CUlibraryOption *lo, void **lv, unsigned int nlo)
{
	(void)code;
	(void)jo;
	(void)jv;
	(void)njo;
	(void)lo;
	(void)lv;
	(void)nlo;
	*lib = new_named("library");
	return CUDA_SUCCESS;
}

API CUresult cuLibraryLoadFromFile(CUlibrary *lib, const char *file, CUjit_option *jo, void **jv,
				   unsigned int njo, CUlibraryOption *lo, void **lv,
				   unsigned int nlo)
{
	return cuLibraryLoadData(lib, file, jo, jv, njo, lo, lv, nlo);
}

API CUresult cuLibraryUnload(CUlibrary lib)
{
	free(lib);
	return CUDA_SUCCESS;
}

API CUresult cuLibraryGetKernel(CUkernel *k, CUlibrary lib, const char *name)
{
	(void)lib;
	*k = new_named(name);
	return CUDA_SUCCESS;
}

/* The CUfunction of a CUkernel: a distinct handle, the same each time, as the driver's. */
API CUresult cuKernelGetFunction(CUfunction *f, CUkernel k)
{
	struct named *kn = (struct named *)k;

	if (!kn->fn)
		kn->fn = new_named(name_of(k));
	*f = (CUfunction)kn->fn;
	return CUDA_SUCCESS;
}

API CUresult cuFuncGetName(const char **name, CUfunction f)
{
	*name = name_of(f);
	return CUDA_SUCCESS;
}

API CUresult cuKernelGetName(const char **name, CUkernel k)
{
	*name = name_of(k);
	return CUDA_SUCCESS;
}

/* CUDA 12.4's enumeration: each module and library holds one kernel (workloads.h). */
API CUresult cuModuleEnumerateFunctions(CUfunction *fns, unsigned int n, CUmodule m)
{
	(void)m;
	if (n != 1)
		return CUDA_ERROR_INVALID_VALUE;
	fns[0] = new_named(GETNAME_FUNC);
	return CUDA_SUCCESS;
}

API CUresult cuLibraryEnumerateKernels(CUkernel *ks, unsigned int n, CUlibrary lib)
{
	(void)lib;
	if (n != 1)
		return CUDA_ERROR_INVALID_VALUE;
	ks[0] = new_named(GETNAME_KERNEL);
	return CUDA_SUCCESS;
}

/* ---- launches ---------------------------------------------------------- */

API CUresult cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
			    unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem,
			    CUstream s, void **params, void **extra)
{
	struct fake_op op = { .kind = FAKE_OP_KERNEL,
			      .grid = { gx, gy, gz },
			      .block = { bx, by, bz },
			      .shmem = shmem };

	(void)params;
	(void)extra;
	if (!f || !gx || !gy || !gz || !bx || !by || !bz)
		return CUDA_ERROR_INVALID_VALUE;
	op.name = name_of(f);
	submit(307, "cuLaunchKernel", s, &op);
	return CUDA_SUCCESS;
}

/* a wrapper that calls through, then does work of its own: no tail call */
API CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
				 unsigned int bx, unsigned int by, unsigned int bz,
				 unsigned int shmem, CUstream s, void **params, void **extra)
{
	CUresult r = cuLaunchKernel(f, gx, gy, gz, bx, by, bz, shmem, s, params, extra);

	nested_calls++;
	return r;
}

API CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned int gx, unsigned int gy,
				       unsigned int gz, unsigned int bx, unsigned int by,
				       unsigned int bz, unsigned int shmem, CUstream s,
				       void **params)
{
	return cuLaunchKernel(f, gx, gy, gz, bx, by, bz, shmem, s, params, NULL);
}

API CUresult cuLaunchCooperativeKernel_ptsz(CUfunction f, unsigned int gx, unsigned int gy,
					    unsigned int gz, unsigned int bx, unsigned int by,
					    unsigned int bz, unsigned int shmem, CUstream s,
					    void **params)
{
	return cuLaunchCooperativeKernel(f, gx, gy, gz, bx, by, bz, shmem, s, params);
}

API CUresult cuLaunchKernelEx(const CUlaunchConfig *c, CUfunction f, void **params, void **extra)
{
	return cuLaunchKernel(f, c->gridDimX, c->gridDimY, c->gridDimZ, c->blockDimX, c->blockDimY,
			      c->blockDimZ, c->sharedMemBytes, c->hStream, params, extra);
}

API CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig *c, CUfunction f, void **params,
				   void **extra)
{
	return cuLaunchKernelEx(c, f, params, extra);
}

/*
 * Graphs. The stand-in runs nothing, so capture only has to answer as the
 * driver does: a launch on a capturing stream succeeds, and ending the
 * capture hands back a graph.
 */
#define GRAPH_API(fn, params, ...)                                                                 \
	API CUresult fn params                                                                     \
	{                                                                                          \
		__VA_ARGS__;                                                                       \
		return CUDA_SUCCESS;                                                               \
	}

static struct named *new_graph(void)
{
	static uint32_t next_id;
	struct named *g = new_named("graph");

	if (g)
		g->graph_id = __atomic_add_fetch(&next_id, 1, __ATOMIC_SEQ_CST);
	return g;
}

static void begin_capture(CUstream s)
{
	if (real_stream(s) && !s->capture)
		s->capture = new_graph();
}

static CUgraph end_capture(CUstream s)
{
	struct named *g;

	if (!real_stream(s) || !s->capture)
		return (CUgraph)new_graph();
	g = s->capture;
	s->capture = NULL;
	for (unsigned int i = 0; i < 4; i++)
		if (g->joined[i] && g->joined[i]->capture == g)
			g->joined[i]->capture = NULL;
	return (CUgraph)g;
}

/* an exec runs what its graph held when it was instantiated */
static CUgraphExec instantiate(CUgraph g)
{
	struct named *e = new_named("exec");

	if (e && g)
		memcpy(&e->graph_id, &((struct named *)g)->graph_id,
		       sizeof(*e) - offsetof(struct named, graph_id));
	return (CUgraphExec)e;
}

static unsigned int graph_add(CUgraph g, const struct fake_op *op)
{
	struct named *n = (struct named *)g;

	if (n && n->nops < GRAPH_MAX_OPS)
		n->ops[n->nops++] = *op;
	return n ? n->nops : 0;
}

static CUgraphNode new_node(unsigned int index)
{
	struct named *n = new_named("node");

	if (n)
		n->node_index = index;
	return (CUgraphNode)n;
}

static void set_kernel_params(CUgraphExec e, CUgraphNode node, const CUDA_KERNEL_NODE_PARAMS *p)
{
	struct named *x = (struct named *)e, *n = (struct named *)node;

	if (!x || !n || !n->node_index || n->node_index > x->nops)
		return;
	x->ops[n->node_index - 1].grid[0] = p->gridDimX;
	x->ops[n->node_index - 1].grid[1] = p->gridDimY;
	x->ops[n->node_index - 1].grid[2] = p->gridDimZ;
}

/* the exec now runs what g holds */
static void exec_update(CUgraphExec e, CUgraph g)
{
	struct named *x = (struct named *)e, *n = (struct named *)g;

	if (x && n) {
		x->nops = n->nops;
		memcpy(x->ops, n->ops, sizeof(x->ops));
	}
}

static unsigned int add_kernel_node(CUgraph g, const CUDA_KERNEL_NODE_PARAMS *p)
{
	struct fake_op op = { .kind = FAKE_OP_KERNEL,
			      .name = name_of(p->func),
			      .grid = { p->gridDimX, p->gridDimY, p->gridDimZ },
			      .block = { p->blockDimX, p->blockDimY, p->blockDimZ },
			      .shmem = p->sharedMemBytes };

	return graph_add(g, &op);
}

static unsigned int add_memset_node(CUgraph g, const CUDA_MEMSET_NODE_PARAMS *p)
{
	struct fake_op op = { .kind = FAKE_OP_MEMSET,
			      .bytes = (uint64_t)p->elementSize * p->width * (p->height ?: 1),
			      .value = p->value };

	return graph_add(g, &op);
}

static unsigned int add_memcpy_node(CUgraph g, const CUDA_MEMCPY3D *p)
{
	struct fake_op op = { .kind = FAKE_OP_COPY,
			      .copy_kind = copy_kind(p->srcMemoryType, p->dstMemoryType),
			      .bytes = (uint64_t)p->WidthInBytes * (p->Height ?: 1) *
				       (p->Depth ?: 1) };

	return graph_add(g, &op);
}

GRAPH_API(cuStreamBeginCapture, (CUstream s), begin_capture(s))
GRAPH_API(cuStreamBeginCapture_ptsz, (CUstream s), begin_capture(s))
GRAPH_API(cuStreamBeginCapture_v2, (CUstream s, int mode), (void)mode, begin_capture(s))
GRAPH_API(cuStreamBeginCapture_v2_ptsz, (CUstream s, int mode), (void)mode, begin_capture(s))
GRAPH_API(cuStreamBeginCaptureToGraph,
	  (CUstream s, CUgraph g, const CUgraphNode *d, const void *e, size_t n, int mode), (void)s,
	  (void)g, (void)d, (void)e, (void)n, (void)mode)
GRAPH_API(cuStreamEndCapture, (CUstream s, CUgraph *g), *g = end_capture(s))
GRAPH_API(cuStreamEndCapture_ptsz, (CUstream s, CUgraph *g), *g = end_capture(s))
GRAPH_API(cuGraphCreate, (CUgraph * g, unsigned int flags), (void)flags, *g = (CUgraph)new_graph())
GRAPH_API(cuGraphDestroy, (CUgraph g), free(g))
GRAPH_API(cuGraphInstantiateWithFlags, (CUgraphExec * e, CUgraph g, unsigned long long flags),
	  (void)flags, *e = instantiate(g))
GRAPH_API(cuGraphInstantiate_v2,
	  (CUgraphExec * e, CUgraph g, CUgraphNode *err, char *log, size_t n), (void)err, (void)log,
	  (void)n, *e = instantiate(g))
GRAPH_API(cuGraphInstantiateWithParams, (CUgraphExec * e, CUgraph g, void *p), (void)p,
	  *e = instantiate(g))
GRAPH_API(cuGraphExecDestroy, (CUgraphExec e), free(e))
GRAPH_API(cuGraphExecUpdate_v2, (CUgraphExec e, CUgraph g, void *info), (void)info,
	  exec_update(e, g))
GRAPH_API(cuGraphAddKernelNode_v2,
	  (CUgraphNode * node, CUgraph g, const CUgraphNode *d, size_t n,
	   const CUDA_KERNEL_NODE_PARAMS *p),
	  (void)d, (void)n, *node = new_node(add_kernel_node(g, p)))
GRAPH_API(cuGraphAddMemcpyNode,
	  (CUgraphNode * node, CUgraph g, const CUgraphNode *d, size_t n, const CUDA_MEMCPY3D *p,
	   CUcontext ctx),
	  (void)d, (void)n, (void)ctx, *node = new_node(add_memcpy_node(g, p)))
GRAPH_API(cuGraphAddMemsetNode,
	  (CUgraphNode * node, CUgraph g, const CUgraphNode *d, size_t n,
	   const CUDA_MEMSET_NODE_PARAMS *p, CUcontext ctx),
	  (void)d, (void)n, (void)ctx, *node = new_node(add_memset_node(g, p)))
GRAPH_API(cuGraphExecKernelNodeSetParams_v2,
	  (CUgraphExec e, CUgraphNode node, const CUDA_KERNEL_NODE_PARAMS *p),
	  set_kernel_params(e, node, p))

API CUresult cuGraphLaunch(CUgraphExec exec, CUstream s)
{
	struct named *e = (struct named *)exec;
	struct fake_op ops[GRAPH_MAX_OPS];
	struct fake_call c = { 514, "cuGraphLaunch", cur_ctx ? cur_ctx->device : 0, s };
	unsigned int i;

	if (!exec)
		return CUDA_ERROR_INVALID_HANDLE;
	for (i = 0; i < e->nops; i++) {
		ops[i] = e->ops[i];
		ops[i].graph_node = i + 1;
	}
	c.graph_id = e->graph_id;
	c.nops = e->nops;
	c.ops = ops;
	if (prof && c.nops)
		prof(&c);
	return CUDA_SUCCESS;
}

API CUresult cuGraphLaunch_ptsz(CUgraphExec exec, CUstream s)
{
	return cuGraphLaunch(exec, s);
}

/* ---- copies and memsets ------------------------------------------------ */

#define COPY_BODY(dst, src, n, kind, s)                                                            \
	do {                                                                                       \
		if (!(dst) || !(src))                                                              \
			return CUDA_ERROR_INVALID_VALUE;                                           \
		memmove((void *)(uintptr_t)(dst), (const void *)(uintptr_t)(src), (n));            \
		submit_copy(__func__, (s), (kind), (n));                                           \
		return CUDA_SUCCESS;                                                               \
	} while (0)

API CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t n)
{
	COPY_BODY(dst, src, n, 8, NULL);
}
API CUresult cuMemcpy_ptds(CUdeviceptr dst, CUdeviceptr src, size_t n)
{
	return cuMemcpy(dst, src, n);
}
API CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s)
{
	(void)s;
	COPY_BODY(dst, src, n, 8, s);
}
API CUresult cuMemcpyAsync_ptsz(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s)
{
	return cuMemcpyAsync(dst, src, n, s);
}
API CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n)
{
	COPY_BODY(dst, src, n, 1, NULL);
}
API CUresult cuMemcpyHtoD_v2_ptds(CUdeviceptr dst, const void *src, size_t n)
{
	return cuMemcpyHtoD_v2(dst, src, n);
}
API CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n)
{
	COPY_BODY(dst, src, n, 2, NULL);
}
API CUresult cuMemcpyDtoH_v2_ptds(void *dst, CUdeviceptr src, size_t n)
{
	return cuMemcpyDtoH_v2(dst, src, n);
}
API CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n)
{
	COPY_BODY(dst, src, n, 8, NULL);
}
API CUresult cuMemcpyDtoD_v2_ptds(CUdeviceptr dst, CUdeviceptr src, size_t n)
{
	return cuMemcpyDtoD_v2(dst, src, n);
}
API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t n, CUstream s)
{
	(void)s;
	COPY_BODY(dst, src, n, 1, s);
}
API CUresult cuMemcpyHtoDAsync_v2_ptsz(CUdeviceptr dst, const void *src, size_t n, CUstream s)
{
	return cuMemcpyHtoDAsync_v2(dst, src, n, s);
}
API CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n, CUstream s)
{
	(void)s;
	COPY_BODY(dst, src, n, 2, s);
}
API CUresult cuMemcpyDtoHAsync_v2_ptsz(void *dst, CUdeviceptr src, size_t n, CUstream s)
{
	return cuMemcpyDtoHAsync_v2(dst, src, n, s);
}
API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s)
{
	(void)s;
	COPY_BODY(dst, src, n, 8, s);
}
API CUresult cuMemcpyDtoDAsync_v2_ptsz(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s)
{
	return cuMemcpyDtoDAsync_v2(dst, src, n, s);
}
API CUresult cuMemcpyPeer(CUdeviceptr dst, CUcontext dc, CUdeviceptr src, CUcontext sc, size_t n)
{
	(void)dc;
	(void)sc;
	COPY_BODY(dst, src, n, 10, NULL);
}
API CUresult cuMemcpyPeer_ptds(CUdeviceptr dst, CUcontext dc, CUdeviceptr src, CUcontext sc,
			       size_t n)
{
	return cuMemcpyPeer(dst, dc, src, sc, n);
}
API CUresult cuMemcpyPeerAsync(CUdeviceptr dst, CUcontext dc, CUdeviceptr src, CUcontext sc,
			       size_t n, CUstream s)
{
	(void)s;
	return cuMemcpyPeer(dst, dc, src, sc, n);
}
API CUresult cuMemcpyPeerAsync_ptsz(CUdeviceptr dst, CUcontext dc, CUdeviceptr src, CUcontext sc,
				    size_t n, CUstream s)
{
	return cuMemcpyPeerAsync(dst, dc, src, sc, n, s);
}

static CUresult copy2d(const CUDA_MEMCPY2D *p)
{
	const char *src = p->srcMemoryType == CU_MEMORYTYPE_HOST
				  ? p->srcHost
				  : (const char *)(uintptr_t)p->srcDevice;
	char *dst = p->dstMemoryType == CU_MEMORYTYPE_HOST ? p->dstHost
							   : (char *)(uintptr_t)p->dstDevice;
	size_t y;

	if (!src || !dst)
		return CUDA_ERROR_INVALID_VALUE;
	for (y = 0; y < p->Height; y++)
		memmove(dst + y * p->dstPitch, src + y * p->srcPitch, p->WidthInBytes);
	submit_copy("cuMemcpy2D", NULL, copy_kind(p->srcMemoryType, p->dstMemoryType),
		    (uint64_t)p->WidthInBytes * p->Height);
	return CUDA_SUCCESS;
}

API CUresult cuMemcpy2D_v2(const CUDA_MEMCPY2D *p)
{
	return copy2d(p);
}
API CUresult cuMemcpy2D_v2_ptds(const CUDA_MEMCPY2D *p)
{
	return copy2d(p);
}
API CUresult cuMemcpy2DUnaligned_v2(const CUDA_MEMCPY2D *p)
{
	return copy2d(p);
}
API CUresult cuMemcpy2DUnaligned_v2_ptds(const CUDA_MEMCPY2D *p)
{
	return copy2d(p);
}
API CUresult cuMemcpy2DAsync_v2(const CUDA_MEMCPY2D *p, CUstream s)
{
	(void)s;
	return copy2d(p);
}
API CUresult cuMemcpy2DAsync_v2_ptsz(const CUDA_MEMCPY2D *p, CUstream s)
{
	return cuMemcpy2DAsync_v2(p, s);
}
API CUresult cuMemcpy3D_v2(const CUDA_MEMCPY3D *p)
{
	return p->WidthInBytes ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}
API CUresult cuMemcpy3D_v2_ptds(const CUDA_MEMCPY3D *p)
{
	return cuMemcpy3D_v2(p);
}
API CUresult cuMemcpy3DAsync_v2(const CUDA_MEMCPY3D *p, CUstream s)
{
	(void)s;
	return cuMemcpy3D_v2(p);
}
API CUresult cuMemcpy3DAsync_v2_ptsz(const CUDA_MEMCPY3D *p, CUstream s)
{
	return cuMemcpy3DAsync_v2(p, s);
}

static CUresult memset_n(CUdeviceptr dst, unsigned int v, size_t n, size_t elem, CUstream s)
{
	struct fake_op op = { .kind = FAKE_OP_MEMSET, .bytes = n * elem, .value = v };
	size_t i;

	if (!dst)
		return CUDA_ERROR_INVALID_VALUE;
	for (i = 0; i < n; i++)
		memcpy((char *)(uintptr_t)dst + i * elem, &v, elem);
	submit(s ? 216 : 249, "cuMemsetD", s, &op);
	return CUDA_SUCCESS;
}

#define MEMSETS(bits, type, elem)                                                                  \
	API CUresult cuMemsetD##bits##_v2(CUdeviceptr d, type v, size_t n)                         \
	{                                                                                          \
		return memset_n(d, v, n, elem, NULL);                                              \
	}                                                                                          \
	API CUresult cuMemsetD##bits##_v2_ptds(CUdeviceptr d, type v, size_t n)                    \
	{                                                                                          \
		return cuMemsetD##bits##_v2(d, v, n);                                              \
	}                                                                                          \
	API CUresult cuMemsetD##bits##Async(CUdeviceptr d, type v, size_t n, CUstream s)           \
	{                                                                                          \
		return memset_n(d, v, n, elem, s);                                                 \
	}                                                                                          \
	API CUresult cuMemsetD##bits##Async_ptsz(CUdeviceptr d, type v, size_t n, CUstream s)      \
	{                                                                                          \
		return cuMemsetD##bits##Async(d, v, n, s);                                         \
	}

MEMSETS(8, unsigned char, 1)
MEMSETS(16, unsigned short, 2)
MEMSETS(32, unsigned int, 4)

/* ---- memory ------------------------------------------------------------ */

/* more than any test machine has: the way to make an allocation fail */
#define FAKE_MEM_LIMIT (1ull << 40)

static CUresult alloc(CUdeviceptr *p, size_t n)
{
	void *m;

	if (!n)
		return CUDA_ERROR_INVALID_VALUE;
	rm_alloc_memory(n >= FAKE_MEM_LIMIT ? NV_ERR_NO_MEMORY : 0);
	if (n >= FAKE_MEM_LIMIT)
		return CUDA_ERROR_OUT_OF_MEMORY;
	m = malloc(n);
	if (!m)
		return CUDA_ERROR_OUT_OF_MEMORY;
	*p = (uintptr_t)m;
	return CUDA_SUCCESS;
}

API CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n)
{
	return alloc(p, n);
}
API CUresult cuMemAllocManaged(CUdeviceptr *p, size_t n, unsigned int flags)
{
	(void)flags;
	return alloc(p, n);
}
API CUresult cuMemAllocAsync(CUdeviceptr *p, size_t n, CUstream s)
{
	(void)s;
	return alloc(p, n);
}
API CUresult cuMemAllocAsync_ptsz(CUdeviceptr *p, size_t n, CUstream s)
{
	return cuMemAllocAsync(p, n, s);
}
API CUresult cuMemAllocFromPoolAsync(CUdeviceptr *p, size_t n, CUmemoryPool pool, CUstream s)
{
	(void)pool;
	(void)s;
	return alloc(p, n);
}
API CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *p, size_t n, CUmemoryPool pool, CUstream s)
{
	return cuMemAllocFromPoolAsync(p, n, pool, s);
}
API CUresult cuMemFree_v2(CUdeviceptr p)
{
	free((void *)(uintptr_t)p);
	return CUDA_SUCCESS;
}
API CUresult cuMemFreeAsync(CUdeviceptr p, CUstream s)
{
	(void)s;
	return cuMemFree_v2(p);
}
API CUresult cuMemFreeAsync_ptsz(CUdeviceptr p, CUstream s)
{
	return cuMemFreeAsync(p, s);
}
API CUresult cuMemHostAlloc(void **p, size_t n, unsigned int flags)
{
	(void)flags;
	return alloc((CUdeviceptr *)p, n);
}
API CUresult cuMemAllocHost_v2(void **p, size_t n)
{
	/* pinned memory is mapped through the control device */
	void *m = ctl_fd >= 0 ? mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ctl_fd, 0)
			      : MAP_FAILED;

	if (m != MAP_FAILED)
		munmap(m, 4096);
	return alloc((CUdeviceptr *)p, n);
}
API CUresult cuMemFreeHost(void *p)
{
	free(p);
	return CUDA_SUCCESS;
}
API CUresult cuMemCreate(CUmemGenericAllocationHandle *h, size_t n, const void *prop,
			 unsigned long long flags)
{
	(void)prop;
	(void)flags;
	return alloc((CUdeviceptr *)h, n);
}
API CUresult cuMemRelease(CUmemGenericAllocationHandle h)
{
	return cuMemFree_v2(h);
}
API CUresult cuMemMap(CUdeviceptr p, size_t n, size_t off, CUmemGenericAllocationHandle h,
		      unsigned long long flags)
{
	(void)p;
	(void)n;
	(void)off;
	(void)flags;
	return h ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}
API CUresult cuMemUnmap(CUdeviceptr p, size_t n)
{
	(void)n;
	return p ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* ---- streams, events, synchronization --------------------------------- */

API CUresult cuStreamCreate(CUstream *s, unsigned int flags)
{
	*s = calloc(1, sizeof(**s));
	(*s)->flags = flags;
	return CUDA_SUCCESS;
}
API CUresult cuStreamCreateWithPriority(CUstream *s, unsigned int flags, int prio)
{
	(void)prio;
	return cuStreamCreate(s, flags);
}
API CUresult cuStreamDestroy_v2(CUstream s)
{
	free(s);
	return CUDA_SUCCESS;
}
API CUresult cuStreamSynchronize(CUstream s)
{
	(void)s;
	block_us(FAKE_SYNC_US);
	return CUDA_SUCCESS;
}
API CUresult cuStreamSynchronize_ptsz(CUstream s)
{
	return cuStreamSynchronize(s);
}
API CUresult cuCtxSynchronize(void)
{
	block_us(FAKE_SYNC_US);
	return cur_ctx ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT;
}
API CUresult cuCtxSynchronize_v2(CUcontext ctx)
{
	(void)ctx;
	block_us(FAKE_SYNC_US);
	return CUDA_SUCCESS;
}
API CUresult cuEventCreate(CUevent *e, unsigned int flags)
{
	(void)flags;
	*e = calloc(1, sizeof(**e));
	return CUDA_SUCCESS;
}
API CUresult cuEventDestroy_v2(CUevent e)
{
	free(e);
	return CUDA_SUCCESS;
}
API CUresult cuEventRecord(CUevent e, CUstream s)
{
	e->recorded = 1;
	e->capture = real_stream(s) ? s->capture : NULL;
	return CUDA_SUCCESS;
}
API CUresult cuEventRecord_ptsz(CUevent e, CUstream s)
{
	return cuEventRecord(e, s);
}
API CUresult cuEventRecordWithFlags(CUevent e, CUstream s, unsigned int flags)
{
	(void)flags;
	return cuEventRecord(e, s);
}
API CUresult cuEventRecordWithFlags_ptsz(CUevent e, CUstream s, unsigned int flags)
{
	return cuEventRecordWithFlags(e, s, flags);
}
API CUresult cuEventSynchronize(CUevent e)
{
	if (!e->recorded)
		return CUDA_ERROR_INVALID_HANDLE;
	block_us(FAKE_SYNC_US);
	return CUDA_SUCCESS;
}
API CUresult cuStreamWaitEvent(CUstream s, CUevent e, unsigned int flags)
{
	unsigned int i;

	(void)flags;
	if (!e)
		return CUDA_ERROR_INVALID_HANDLE;
	/* another stream joins a capture: it captures too, until the capture ends */
	if (e->capture && real_stream(s) && !s->capture) {
		s->capture = e->capture;
		for (i = 0; i < 4; i++)
			if (!e->capture->joined[i]) {
				e->capture->joined[i] = s;
				break;
			}
	}
	return CUDA_SUCCESS;
}
API CUresult cuStreamWaitEvent_ptsz(CUstream s, CUevent e, unsigned int flags)
{
	return cuStreamWaitEvent(s, e, flags);
}
