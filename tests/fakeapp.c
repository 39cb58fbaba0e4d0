// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test programs that drive a libcuda the way real clients do: the CUDA
 * runtime (cuGetProcAddress_v2, per-thread default stream), PyTorch (CUDA 13
 * lazy loading: cuLibraryGetKernel -> cuKernelGetFunction), Triton
 * (cuModuleGetFunction), cuLaunchKernelEx, many threads, failing calls.
 * libcuda is dlopen'ed after start-up, as the runtime does.
 *
 * Usage: fakeapp [--lib PATH] [--wait-file F] [--preload] [--forever] [--fork]
 *                [--exec MODE] [--seccomp kill|errno] MODE...
 * --fork runs the modes in a child that exits at once (the parent waits);
 * --exec MODE then execs `fakeapp --lib PATH MODE`: the same process, renamed.
 * --pause F: done, make the mark call (workloads.h), then wait for F before exiting.
 * --seccomp: after --preload, a seccomp filter that kills the process on
 * openat (or makes it fail with EPERM), as sandboxed programs have.
 * MODE: runtime torch triton launchex threads fail all hostile graphs cluster getname
 *       dirtyargs forge kernels labels,
 * or storm N, or flight N1 MS N2 END [K];
 * any other name (idle) runs nothing (a process under --seccomp may open nothing).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "cuda_types.h"
#include "workloads.h"
#include "hostile.h"
#include "tracesmith.h"
#include "fakenvtx.h"

static void *lib;

#define CK(call)                                                                                   \
	do {                                                                                       \
		CUresult r_ = (call);                                                              \
		if (r_) {                                                                          \
			fprintf(stderr, "fakeapp: %s failed: %d\n", #call, r_);                    \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

/* Resolve a symbol exactly as named (what code linking the driver API gets). */
static void *sym(const char *name)
{
	void *p = dlsym(lib, name);

	if (!p) {
		fprintf(stderr, "fakeapp: %s not exported\n", name);
		exit(1);
	}
	return p;
}

/* Driver entry points by exported name, for the modes that call them directly. */
#define D(fn) ((__typeof__(&fn##_t))sym(#fn))

/* Prototypes, to give D() and the runtime table their types. */
CUresult cuInit_t(unsigned int);
CUresult cuDevicePrimaryCtxRetain_t(CUcontext *, CUdevice);
CUresult cuCtxSetCurrent_t(CUcontext);
CUresult cuModuleLoadData_t(CUmodule *, const void *);
CUresult cuModuleGetFunction_t(CUfunction *, CUmodule, const char *);
CUresult cuLaunchKernel_t(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
			  unsigned, CUstream, void **, void **);
CUresult cuLaunchKernelEx_t(const CUlaunchConfig *, CUfunction, void **, void **);
CUresult cuStreamCreate_t(CUstream *, unsigned int);
CUresult cuStreamSynchronize_t(CUstream);
CUresult cuCtxSynchronize_t(void);
CUresult cuLibraryLoadData_t(CUlibrary *, const void *, CUjit_option *, void **, unsigned,
			     CUlibraryOption *, void **, unsigned);
CUresult cuLibraryGetKernel_t(CUkernel *, CUlibrary, const char *);
CUresult cuKernelGetFunction_t(CUfunction *, CUkernel);
CUresult cuKernelGetName_t(const char **, CUkernel);
CUresult cuFuncGetName_t(const char **, CUfunction);
CUresult cuModuleEnumerateFunctions_t(CUfunction *, unsigned int, CUmodule);
CUresult cuLibraryEnumerateKernels_t(CUkernel *, unsigned int, CUlibrary);
CUresult cuMemAlloc_v2_t(CUdeviceptr *, size_t);
CUresult cuMemFree_v2_t(CUdeviceptr);
CUresult cuMemcpyHtoDAsync_v2_t(CUdeviceptr, const void *, size_t, CUstream);
CUresult cuGetProcAddress_v2_t(const char *, void **, int, cuuint64_t,
			       CUdriverProcAddressQueryResult *);

static void init_ctx(int dev)
{
	CUcontext ctx;

	CK(D(cuDevicePrimaryCtxRetain)(&ctx, dev));
	CK(D(cuCtxSetCurrent)(ctx));
}

/* ---- the CUDA runtime's way: every entry point from cuGetProcAddress_v2 ---- */

struct rt {
	CUresult (*init)(unsigned int);
	CUresult (*retain)(CUcontext *, CUdevice);
	CUresult (*set_ctx)(CUcontext);
	CUresult (*malloc)(CUdeviceptr *, size_t);
	CUresult (*free)(CUdeviceptr);
	CUresult (*htod)(CUdeviceptr, const void *, size_t);
	CUresult (*dtoh)(void *, CUdeviceptr, size_t);
	CUresult (*dtod_async)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
	CUresult (*dtoh_async)(void *, CUdeviceptr, size_t, CUstream);
	CUresult (*memset8_async)(CUdeviceptr, unsigned char, size_t, CUstream);
	CUresult (*stream_create)(CUstream *, unsigned int);
	CUresult (*stream_sync)(CUstream);
	CUresult (*mod_load)(CUmodule *, const void *);
	CUresult (*get_func)(CUfunction *, CUmodule, const char *);
	CUresult (*launch)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
			   unsigned, CUstream, void **, void **);
	CUresult (*event_create)(CUevent *, unsigned int);
	CUresult (*event_record)(CUevent, CUstream);
	CUresult (*wait_event)(CUstream, CUevent, unsigned int);
	CUresult (*event_sync)(CUevent);
	CUresult (*malloc_async)(CUdeviceptr *, size_t, CUstream);
	CUresult (*free_async)(CUdeviceptr, CUstream);
	CUresult (*graph_inst)(CUgraphExec *, CUgraph, unsigned long long);
	CUresult (*graph_launch)(CUgraphExec, CUstream);
	CUresult (*ctx_sync)(CUcontext);
	CUresult (*malloc_host)(void **, size_t);
	CUresult (*free_host)(void *);
};

static void rt_get(struct rt *rt)
{
	static const char *const names[] = {
		"cuInit",
		"cuDevicePrimaryCtxRetain",
		"cuCtxSetCurrent",
		"cuMemAlloc",
		"cuMemFree",
		"cuMemcpyHtoD",
		"cuMemcpyDtoH",
		"cuMemcpyDtoDAsync",
		"cuMemcpyDtoHAsync",
		"cuMemsetD8Async",
		"cuStreamCreate",
		"cuStreamSynchronize",
		"cuModuleLoadData",
		"cuModuleGetFunction",
		"cuLaunchKernel",
		"cuEventCreate",
		"cuEventRecord",
		"cuStreamWaitEvent",
		"cuEventSynchronize",
		"cuMemAllocAsync",
		"cuMemFreeAsync",
		"cuGraphInstantiateWithFlags",
		"cuGraphLaunch",
		"cuCtxSynchronize",
		"cuMemAllocHost",
		"cuMemFreeHost",
	};
	__typeof__(&cuGetProcAddress_v2_t) gpa = D(cuGetProcAddress_v2);
	void **slots = (void **)rt;
	unsigned int i;

	_Static_assert(sizeof(names) / sizeof(names[0]) == sizeof(struct rt) / sizeof(void *),
		       "one name per entry point");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CK(gpa(names[i], &slots[i], 13000, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM,
		       NULL));
}

static void mode_runtime(void)
{
	CUdeviceptr a, b, c, d;
	CUfunction vec_add, empty;
	CUstream s1, s2;
	CUcontext ctx;
	CUmodule mod;
	CUevent ev;
	CUgraphExec ge;
	char *h = calloc(1, RT_BYTES), *hp;
	struct rt rt;
	int i;

	rt_get(&rt);
	CK(rt.init(0));
	CK(rt.retain(&ctx, 0));
	CK(rt.set_ctx(ctx));
	CK(rt.malloc(&a, RT_BYTES));
	CK(rt.malloc(&b, RT_BYTES));
	CK(rt.malloc(&c, RT_BYTES));
	CK(rt.htod(a, h, RT_BYTES));
	CK(rt.htod(b, h, RT_BYTES));
	CK(rt.stream_create(&s1, 0));
	CK(rt.stream_create(&s2, 1));
	CK(rt.mod_load(&mod, "fatbin"));
	CK(rt.get_func(&vec_add, mod, RT_VEC_ADD));
	CK(rt.get_func(&empty, mod, RT_EMPTY));
	for (i = 0; i < RT_ITERS; i++) {
		CK(rt.launch(vec_add, RT_VEC_GRID, 1, 1, RT_VEC_BLOCK, 1, 1, 0, s1, NULL, NULL));
		CK(rt.launch(empty, 1, 1, 1, 1, 1, 1, 0, s2, NULL, NULL));
	}
	CK(rt.memset8_async(c, 0, RT_BYTES, s2));
	CK(rt.dtod_async(c, a, RT_BYTES, s1));
	CK(rt.dtoh_async(h, c, RT_BYTES, s1));
	CK(rt.stream_sync(s1));
	CK(rt.event_create(&ev, 0));
	CK(rt.event_record(ev, s1));
	CK(rt.wait_event(s2, ev, 0));
	CK(rt.event_sync(ev));
	CK(rt.malloc_async(&d, RT_BYTES, s2));
	CK(rt.free_async(d, s2));
	CK(rt.graph_inst(&ge, NULL, 0));
	for (i = 0; i < RT_GRAPH_LAUNCHES; i++)
		CK(rt.graph_launch(ge, s1));
	CK(rt.ctx_sync(ctx));
	CK(rt.malloc_host((void **)&hp, RT_BYTES));
	CK(rt.dtoh(hp, a, RT_BYTES));
	CK(rt.free_host(hp));
	CK(rt.free(a));
	CK(rt.free(b));
	CK(rt.free(c));
	free(h);
}

static void mode_torch(void)
{
	CUkernel fill, reduce, gemm;
	CUfunction f_fill, f_reduce;
	CUlibrary l;
	const char *name;
	int i;

	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuLibraryLoadData)(&l, "fatbin", NULL, NULL, 0, NULL, NULL, 0));
	CK(D(cuLibraryGetKernel)(&fill, l, TORCH_FILL));
	CK(D(cuLibraryGetKernel)(&reduce, l, TORCH_REDUCE));
	CK(D(cuLibraryGetKernel)(&gemm, l, TORCH_GEMM));
	CK(D(cuKernelGetFunction)(&f_fill, fill));
	CK(D(cuKernelGetFunction)(&f_reduce, reduce));
	CK(D(cuKernelGetName)(&name, fill));
	for (i = 0; i < TORCH_FILL_N; i++)
		CK(D(cuLaunchKernel)(f_fill, 1024, 1, 1, 128, 1, 1, 0, NULL, NULL, NULL));
	for (i = 0; i < TORCH_REDUCE_N; i++)
		CK(D(cuLaunchKernel)(f_reduce, 1, 1, 1, 512, 1, 1, TORCH_REDUCE_SHMEM, NULL, NULL,
				     NULL));
	for (i = 0; i < TORCH_GEMM_N; i++)
		CK(D(cuLaunchKernel)((CUfunction)gemm, 16, 8, 1, 128, 1, 1, 0, NULL, NULL, NULL));
	CK(D(cuCtxSynchronize)());
}

/* --wait-after-names F: names resolved, wait for F before launching (a late attach) */
static const char *wait_after_names;
/* --linger F: done, wait for F before exiting (the tracer reads what it left) */
static const char *linger;
/*
 * --poison-names: a hostile process teaches the tracer a wrong name layout:
 * the name it resolved copied to the start of its function object (over
 * what the driver keeps there), as if the name were inline at offset 0.
 */
static int poison_names;

/* --exec-thread: a thread that has called the driver execs (it takes the first thread's id) */
struct exec_args {
	const char *lib, *mode;
};

static void *exec_from_thread(void *arg)
{
	const struct exec_args *a = arg;

	CK(D(cuInit)(0));
	execl("/proc/self/exe", "fakeapp", "--lib", a->lib, a->mode, (char *)NULL);
	return NULL;
}

static void wait_file(const char *f);
static void wait_file_said(const char *f);

static void mode_triton(void)
{
	CUmodule mod;
	CUfunction f;
	CUstream s;
	const char *name;
	int i;

	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuStreamCreate)(&s, 0));
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	CK(D(cuModuleGetFunction)(&f, mod, TRITON_KERNEL));
	if (poison_names) { /* the object is wrecked: it waits to be read, and launches nothing */
		memcpy((void *)f, TRITON_KERNEL, sizeof(TRITON_KERNEL));
		if (wait_after_names)
			wait_file_said(wait_after_names);
		return;
	}
	CK(D(cuFuncGetName)(&name, f));
	if (wait_after_names)
		wait_file_said(wait_after_names);
	for (i = 0; i < TRITON_N; i++)
		CK(D(cuLaunchKernel)(f, TRITON_GRID, 1, 1, TRITON_BLOCK, 1, 1, 0, s, NULL, NULL));
	CK(D(cuStreamSynchronize)(s));
}

/* The CUDA runtime with lazy loading: a kernel resolved once, its function asked for per launch */
static void mode_cudart(void)
{
	CUlibrary l;
	CUkernel k;
	CUfunction f;
	int i;

	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuLibraryLoadData)(&l, "fatbin", NULL, NULL, 0, NULL, NULL, 0));
	CK(D(cuLibraryGetKernel)(&k, l, CUDART_KERNEL));
	if (wait_after_names)
		wait_file_said(wait_after_names);
	for (i = 0; i < CUDART_N; i++) {
		CK(D(cuKernelGetFunction)(&f, k));
		CK(D(cuLaunchKernel)(f, 8, 1, 1, 64, 1, 1, 0, NULL, NULL, NULL));
	}
	CK(D(cuCtxSynchronize)());
}

CUresult cuStreamBeginCapture_v2_t(CUstream, int);
CUresult cuStreamEndCapture_t(CUstream, CUgraph *);
CUresult cuGraphInstantiateWithFlags_t(CUgraphExec *, CUgraph, unsigned long long);
CUresult cuGraphLaunch_t(CUgraphExec, CUstream);
CUresult cuGraphCreate_t(CUgraph *, unsigned int);
CUresult cuGraphAddKernelNode_v2_t(CUgraphNode *, CUgraph, const CUgraphNode *, size_t,
				   const CUDA_KERNEL_NODE_PARAMS *);
CUresult cuGraphAddMemsetNode_t(CUgraphNode *, CUgraph, const CUgraphNode *, size_t,
				const CUDA_MEMSET_NODE_PARAMS *, CUcontext);
CUresult cuGraphAddMemcpyNode_t(CUgraphNode *, CUgraph, const CUgraphNode *, size_t,
				const CUDA_MEMCPY3D *, CUcontext);
CUresult cuGraphExecKernelNodeSetParams_v2_t(CUgraphExec, CUgraphNode,
					     const CUDA_KERNEL_NODE_PARAMS *);
CUresult cuGraphExecUpdate_v2_t(CUgraphExec, CUgraph, void *);
CUresult cuGraphExecDestroy_t(CUgraphExec);
CUresult cuGraphDestroy_t(CUgraph);
CUresult cuEventCreate_t(CUevent *, unsigned int);
CUresult cuEventRecord_t(CUevent, CUstream);
CUresult cuStreamWaitEvent_t(CUstream, CUevent, unsigned int);
CUresult cuMemsetD8Async_t(CUdeviceptr, unsigned char, size_t, CUstream);

static void launch(CUfunction f, unsigned int grid, CUstream s)
{
	CK(D(cuLaunchKernel)(f, grid, 1, 1, GRAPH_BLOCK, 1, 1, 0, s, NULL, NULL));
}

/* 1: a capture that another stream joins through an event */
static CUgraphExec graphs_capture(CUfunction fa, CUfunction fb, CUstream s1, CUstream s2,
				  CUdeviceptr d)
{
	static char host[GRAPH_COPY_BYTES];
	CUevent e1, e2;
	CUgraph g;
	CUgraphExec ge;
	int i;

	CK(D(cuEventCreate)(&e1, 0));
	CK(D(cuEventCreate)(&e2, 0));
	CK(D(cuStreamBeginCapture_v2)(s1, 0));
	for (i = 0; i < GRAPH_A_N; i++)
		launch(fa, GRAPH_GRID, s1);
	CK(D(cuMemsetD8Async)(d, 0, GRAPH_MEMSET_BYTES, s1));
	CK(D(cuEventRecord)(e1, s1));
	CK(D(cuStreamWaitEvent)(s2, e1, 0));
	launch(fb, GRAPH_GRID, s2);
	CK(D(cuEventRecord)(e2, s2));
	CK(D(cuStreamWaitEvent)(s1, e2, 0));
	CK(D(cuMemcpyHtoDAsync_v2)(d, host, GRAPH_COPY_BYTES, s1));
	CK(D(cuStreamEndCapture)(s1, &g));
	CK(D(cuGraphInstantiateWithFlags)(&ge, g, 0));
	CK(D(cuGraphDestroy)(g));
	return ge;
}

/* 2: the node API, then one node's parameters changed in the exec */
static CUgraphExec graphs_nodes(CUfunction fa, CUfunction fb, CUstream s1, CUdeviceptr d)
{
	static char host[GRAPH_NODE_COPY_W];
	CUDA_KERNEL_NODE_PARAMS ka = { .func = fa,
				       .gridDimX = GRAPH_NODE_GRID,
				       .gridDimY = 1,
				       .gridDimZ = 1,
				       .blockDimX = GRAPH_BLOCK,
				       .blockDimY = 1,
				       .blockDimZ = 1 };
	CUDA_KERNEL_NODE_PARAMS kb = ka;
	CUDA_MEMSET_NODE_PARAMS ms = {
		.dst = d, .elementSize = 4, .width = GRAPH_NODE_MEMSET_W, .height = 1
	};
	CUDA_MEMCPY3D cp = { .srcMemoryType = 1,
			     .srcHost = host,
			     .dstMemoryType = 2,
			     .dstDevice = d,
			     .WidthInBytes = GRAPH_NODE_COPY_W,
			     .Height = 1,
			     .Depth = 1 };
	CUgraphNode na, nm, nc, nb;
	CUgraph g;
	CUgraphExec ge;

	kb.func = fb;
	CK(D(cuGraphCreate)(&g, 0));
	CK(D(cuGraphAddKernelNode_v2)(&na, g, NULL, 0, &ka));
	CK(D(cuGraphAddMemsetNode)(&nm, g, &na, 1, &ms, NULL));
	CK(D(cuGraphAddMemcpyNode)(&nc, g, &nm, 1, &cp, NULL));
	CK(D(cuGraphAddKernelNode_v2)(&nb, g, &nc, 1, &kb));
	CK(D(cuGraphInstantiateWithFlags)(&ge, g, 0));
	CK(D(cuGraphLaunch)(ge, s1));
	ka.gridDimX = GRAPH_NODE_GRID2;
	CK(D(cuGraphExecKernelNodeSetParams_v2)(ge, na, &ka));
	CK(D(cuGraphLaunch)(ge, s1));
	CK(D(cuGraphDestroy)(g));
	return ge;
}

static void mode_graphs(void)
{
	CUfunction fa, fb, fc;
	CUstream s1, s2;
	CUdeviceptr d;
	CUmodule mod;
	CUgraph g3;
	CUgraphExec ge, ge2;
	int i;

	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	CK(D(cuModuleGetFunction)(&fa, mod, GRAPH_A));
	CK(D(cuModuleGetFunction)(&fb, mod, GRAPH_B));
	CK(D(cuModuleGetFunction)(&fc, mod, GRAPH_C));
	CK(D(cuStreamCreate)(&s1, 0));
	CK(D(cuStreamCreate)(&s2, 0));
	CK(D(cuMemAlloc_v2)(&d, GRAPH_COPY_BYTES));
	ge = graphs_capture(fa, fb, s1, s2, d);
	for (i = 0; i < GRAPH_LAUNCHES; i++)
		CK(D(cuGraphLaunch)(ge, s1));
	launch(fc, GRAPH_GRID, s2); /* s2 left the capture with it: this one runs */
	ge2 = graphs_nodes(fa, fb, s1, d);
	/* 3: the exec updated to a new capture */
	CK(D(cuStreamBeginCapture_v2)(s1, 0));
	for (i = 0; i < GRAPH_C_N; i++)
		launch(fc, GRAPH_GRID, s1);
	CK(D(cuStreamEndCapture)(s1, &g3));
	CK(D(cuGraphExecUpdate_v2)(ge2, g3, NULL));
	CK(D(cuGraphLaunch)(ge2, s1));
	CK(D(cuGraphExecDestroy)(ge));
	CK(D(cuGraphExecDestroy)(ge2));
	CK(D(cuGraphDestroy)(g3));
	CK(D(cuStreamSynchronize)(s1));
	CK(D(cuMemFree_v2)(d));
}

static void mode_hostile(void)
{
	static char bomb[HOSTILE_BOMB_LEN + 1];
	const char *names[] = { bomb,	     HOSTILE_OVERLONG, HOSTILE_SURROGATE, HOSTILE_ABOVE,
				HOSTILE_CUT, HOSTILE_STRAY,    HOSTILE_VALID };
	CUmodule mod;
	CUfunction f;
	unsigned int i, k;

	hostile_bomb(bomb);
	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CK(D(cuModuleGetFunction)(&f, mod, names[i]));
		for (k = 0; k < HOSTILE_N; k++)
			CK(D(cuLaunchKernel)(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL));
	}
	CK(D(cuCtxSynchronize)());
}

/* Load a module and launch each name n times. */
static void launch_names(const char *const *names, unsigned int count,
			 unsigned int (*n)(unsigned int))
{
	CUmodule mod;
	CUfunction f;
	unsigned int i, k;

	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	for (i = 0; i < count; i++) {
		CK(D(cuModuleGetFunction)(&f, mod, names[i]));
		for (k = 0; k < n(i); k++)
			CK(D(cuLaunchKernel)(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL));
	}
	CK(D(cuCtxSynchronize)());
}

static unsigned int kernels_n(unsigned int i)
{
	return KERNELS_LAUNCHES(i);
}

static void mode_kernels(void)
{
	static char buf[KERNELS_N][32];
	const char *names[KERNELS_N];
	unsigned int i;

	for (i = 0; i < KERNELS_N; i++) {
		snprintf(buf[i], sizeof(buf[i]), KERNELS_FMT, (int)i);
		names[i] = buf[i];
	}
	launch_names(names, KERNELS_N, kernels_n);
}

static unsigned int labels_n(unsigned int i)
{
	return LABELS_N;
}

static void mode_labels(void)
{
	static const char *const names[] = { LABELS_INJECT, LABELS_BACKSLASH, LABELS_CONTROL };

	launch_names(names, 3, labels_n);
}

static void *nvtx_ender(void *id)
{
	FNVTX(RangeEnd, (void)0, *(uint64_t *)id);
	return NULL;
}

/* tests/workloads.h's nvtx workload */
static void mode_nvtx(void)
{
	static char bomb[HOSTILE_BOMB_LEN + 1];
	const char *hostile[] = { bomb,	       HOSTILE_OVERLONG, HOSTILE_SURROGATE, HOSTILE_ABOVE,
				  HOSTILE_CUT, HOSTILE_STRAY,	 HOSTILE_VALID };
	struct nvtx_event_attr a = { .version = 3, .size = NVTX_EVENT_ATTR_SIZE };
	CUmodule mod;
	CUfunction f;
	pthread_t t;
	uint64_t id;
	void *dom, *str;
	unsigned int i;

	hostile_bomb(bomb);
	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	CK(D(cuModuleGetFunction)(&f, mod, RT_EMPTY));
	FNVTX(NameOsThreadA, (void)0, (uint32_t)gettid(), NVTX_THREAD_NAME);
	FNVTX(NameCategoryA, (void)0, NVTX_CATEGORY, NVTX_CATEGORY_NAME);
	a.category = NVTX_CATEGORY;
	a.colorType = NVTX_COLOR_ARGB;
	a.color = NVTX_COLOR;
	a.payloadType = 1; /* NVTX_PAYLOAD_TYPE_UNSIGNED_INT64 */
	a.payload = NVTX_PAYLOAD;
	a.messageType = NVTX_MESSAGE_TYPE_ASCII;
	a.message.ascii = NVTX_OUTER;
	FNVTX(RangePushEx, 0, &a);
	FNVTX(RangePushA, 0, NVTX_INNER);
	for (i = 0; i < NVTX_INNER_LAUNCHES; i++)
		CK(D(cuLaunchKernel)(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL));
	FNVTX(RangePop, 0);
	FNVTX(RangePop, 0);
	FNVTX(MarkA, (void)0, NVTX_MARK);
	dom = FNVTX(DomainCreateA, NULL, NVTX_DOMAIN);
	str = FNVTX(DomainRegisterStringA, NULL, dom, NVTX_DOM_RANGE);
	memset(&a, 0, sizeof(a));
	a.version = 3;
	a.size = NVTX_EVENT_ATTR_SIZE;
	a.messageType = NVTX_MESSAGE_TYPE_REGISTERED;
	a.message.registered = str;
	FNVTX(DomainRangePushEx, 0, dom, &a);
	FNVTX(DomainRangePop, 0, dom);
	id = FNVTX(RangeStartA, 0, NVTX_ASYNC);
	pthread_create(&t, NULL, nvtx_ender, &id);
	pthread_join(t, NULL);
	FNVTX(RangePushW, 0, L"wide-\u00e9\u20ac");
	FNVTX(RangePop, 0);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		FNVTX(RangePushA, 0, hostile[i]);
		FNVTX(RangePop, 0);
	}
	for (i = 0; i < NVTX_STORM_DEPTH; i++)
		FNVTX(RangePushA, 0, "storm");
	for (i = 0; i < NVTX_STORM_DEPTH + NVTX_STORM_UNMATCHED; i++)
		FNVTX(RangePop, 0);
	for (i = 0; i < NVTX_STORM_STARTS; i++)
		FNVTX(RangeStartA, 0, "never-ended");
	CK(D(cuCtxSynchronize)());
}

static void mode_launchex(void)
{
	CUlaunchAttribute attrs[2] = { { .id = CU_LAUNCH_ATTRIBUTE_COOPERATIVE },
				       { .id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION } };
	CUlaunchConfig cfg = { 8, 4, 2, 128, 1, 1, LAUNCHEX_SHMEM, NULL, attrs, 2 };
	CUmodule mod;
	CUfunction f;
	CUstream s;
	int i;

	attrs[0].value.cooperative = 1;
	attrs[1].value.clusterDim.x = 2;
	attrs[1].value.clusterDim.y = 1;
	attrs[1].value.clusterDim.z = 1;
	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuStreamCreate)(&s, 0));
	cfg.hStream = s;
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	CK(D(cuModuleGetFunction)(&f, mod, LAUNCHEX_KERNEL));
	for (i = 0; i < LAUNCHEX_N; i++)
		CK(D(cuLaunchKernelEx)(&cfg, f, NULL, NULL));
	CK(D(cuStreamSynchronize)(s));
}

static void mode_cluster(void)
{
	CUlaunchAttribute attr = { .id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION };
	CUlaunchConfig cfg = { CLUSTER_GRID, CLUSTER_BLOCK, CLUSTER_SHMEM, NULL, &attr, 1 };
	const unsigned int dim[3] = { CLUSTER_DIM };
	CUmodule mod;
	CUfunction f;
	int i;

	attr.value.clusterDim.x = dim[0];
	attr.value.clusterDim.y = dim[1];
	attr.value.clusterDim.z = dim[2];
	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	CK(D(cuModuleGetFunction)(&f, mod, CLUSTER_KERNEL));
	for (i = 0; i < CLUSTER_N; i++)
		CK(D(cuLaunchKernelEx)(&cfg, f, NULL, NULL));
	CK(D(cuCtxSynchronize)());
}

/* Handles from an enumeration the tracer does not see: only the GetName calls name them. */
static void mode_getname(void)
{
	const char *fname, *kname;
	CUmodule mod;
	CUlibrary l;
	CUfunction f;
	CUkernel k;
	int i;

	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	CK(D(cuModuleEnumerateFunctions)(&f, 1, mod));
	CK(D(cuFuncGetName)(&fname, f));
	CK(D(cuLibraryLoadData)(&l, "fatbin", NULL, NULL, 0, NULL, NULL, 0));
	CK(D(cuLibraryEnumerateKernels)(&k, 1, l));
	CK(D(cuKernelGetName)(&kname, k));
	if (strcmp(fname, GETNAME_FUNC) || strcmp(kname, GETNAME_KERNEL))
		exit(2);
	for (i = 0; i < GETNAME_N; i++) {
		CK(D(cuLaunchKernel)(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL));
		CK(D(cuLaunchKernel)((CUfunction)k, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL));
	}
	CK(D(cuCtxSynchronize)());
}

static CUfunction worker_fn;

static void *worker(void *arg)
{
	long id = (long)arg;
	char name[16], *buf = calloc(1, THREADS_COPY_BYTES);
	CUdeviceptr d;
	CUstream s;
	int i;

	snprintf(name, sizeof(name), "worker-%ld", id);
	pthread_setname_np(pthread_self(), name);
	init_ctx(id % 2);
	CK(D(cuStreamCreate)(&s, 0));
	CK(D(cuMemAlloc_v2)(&d, THREADS_COPY_BYTES));
	CK(D(cuMemcpyHtoDAsync_v2)(d, buf, THREADS_COPY_BYTES, s));
	for (i = 0; i < THREADS_LAUNCHES; i++)
		CK(D(cuLaunchKernel)(worker_fn, 32, 1, 1, 64, 1, 1, 0, s, NULL, NULL));
	CK(D(cuStreamSynchronize)(s));
	CK(D(cuMemFree_v2)(d));
	free(buf);
	return NULL;
}

static void mode_threads(void)
{
	pthread_t t[THREADS_N];
	CUmodule mod;
	long i;

	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	CK(D(cuModuleGetFunction)(&worker_fn, mod, THREADS_KERNEL));
	for (i = 0; i < THREADS_N; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (i = 0; i < THREADS_N; i++)
		pthread_join(t[i], NULL);
}

/* cuLaunchKernel as a ctypes caller sees it: every argument a 64-bit slot */
typedef CUresult launch_slots_t(CUfunction, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
				uint64_t, uint64_t, CUstream, void **, void **);

static void mode_dirtyargs(void)
{
	/* the callee reads the low halves: the same launch, with garbage above them */
	launch_slots_t *launch = (launch_slots_t *)sym("cuLaunchKernel");
	CUmodule mod;
	CUfunction f;
	int i;

	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	CK(D(cuModuleGetFunction)(&f, mod, DIRTY_KERNEL));
	for (i = 0; i < DIRTY_N; i++)
		CK(launch(f, DIRTY_BITS | DIRTY_GRID, DIRTY_BITS | 1, DIRTY_BITS | 1,
			  DIRTY_BITS | DIRTY_BLOCK, DIRTY_BITS | 1, DIRTY_BITS | 1,
			  DIRTY_BITS | DIRTY_SHMEM, NULL, NULL, NULL));
	CK(D(cuCtxSynchronize)());
}

/* The loaded object that exports ts_cupti_deliver (the injection library), or NULL. */
static int find_deliver(struct dl_phdr_info *info, size_t size, void *out)
{
	void *h = info->dlpi_name[0] ? dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD) : NULL;

	if (h)
		*(void **)out = dlsym(h, "ts_cupti_deliver");
	return *(void **)out != NULL;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

/* What a process can hand over as if CUPTI said it (see FORGE_RECORDS). */
static void mode_forge(void)
{
	struct ts_rec_gpu g[2];
	struct ts_rec_gpu_info d;
	char slots[FORGE_RECORDS][TS_GPU_SLOT_SIZE];
	void (*deliver)(const void *, uint32_t) = NULL;
	int i;

	CK(D(cuInit)(0));
	init_ctx(0);
	dl_iterate_phdr(find_deliver, &deliver);
	if (!deliver) {
		fprintf(stderr, "fakeapp: no ts_cupti_deliver loaded (run with --gpu-time)\n");
		exit(1);
	}
	memset(g, 0, sizeof(g));
	for (i = 0; i < 2; i++) {
		g[i].hdr.kind = TS_REC_GPU;
		g[i].hdr.flags = TS_GPU_KERNEL;
		g[i].hdr.tid = gettid();
		g[i].hdr.ts = now_ns();
	}
	g[0].end = UINT64_MAX;
	g[1].end = g[1].hdr.ts - 1000;
	memset(&d, 0, sizeof(d));
	d.hdr.kind = TS_REC_GPU_INFO;
	d.hdr.flags = TS_GPUI_DROPPED;
	d.hdr.ts = now_ns();
	d.v[0] = UINT64_MAX;
	memcpy(slots[0], &g[0], sizeof(g[0]));
	memcpy(slots[1], &g[1], sizeof(g[1]));
	memcpy(slots[2], &d, sizeof(d));
	memcpy(slots[3], &d, sizeof(d));
	deliver(slots, FORGE_RECORDS);
}

static void mode_fail(void)
{
	CUdeviceptr p;
	CUmodule mod;
	CUfunction f;

	CK(D(cuInit)(0));
	init_ctx(0);
	if (D(cuMemAlloc_v2)(&p, FAIL_ALLOC_BYTES) != CUDA_ERROR_OUT_OF_MEMORY)
		exit(2);
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	if (D(cuModuleGetFunction)(&f, mod, "no_such_kernel") != CUDA_ERROR_NOT_FOUND)
		exit(2);
}

/* Many empty launches, timed: the benchmark's traced loop. */
static void mode_storm(long n)
{
	__typeof__(&cuLaunchKernel_t) launch = D(cuLaunchKernel);
	struct timespec t0, t1;
	CUmodule mod;
	CUfunction f;
	long i;

	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	CK(D(cuModuleGetFunction)(&f, mod, "empty_kernel"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		launch(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("storm launches=%ld ns_per_launch=%.1f\n", n,
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n);
}

/* n distinct kernel names, or n streams, each with one launch: the memory budget. */
static void mode_many(int streams, long n)
{
	__typeof__(&cuLaunchKernel_t) launch = D(cuLaunchKernel);
	CUmodule mod;
	CUfunction f;
	CUstream s = NULL;
	char name[64];
	long i;

	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	CK(D(cuModuleGetFunction)(&f, mod, "empty_kernel"));
	for (i = 0; i < n; i++) {
		if (streams) {
			CK(D(cuStreamCreate)(&s, 1));
		} else {
			snprintf(name, sizeof(name), "many_kernel_%08ld", i);
			CK(D(cuModuleGetFunction)(&f, mod, name));
		}
		launch(f, 1, 1, 1, 32, 1, 1, 0, s, NULL, NULL);
	}
	printf("many %s=%ld\n", streams ? "streams" : "names", n);
}

/* The flight recorder's phases (workloads.h): counts exact, the window between them. */
static void mode_flight(long n1, long ms, long n2, const char *end, long k)
{
	__typeof__(&cuLaunchKernel_t) launch = D(cuLaunchKernel);
	CUfunction a, b;
	CUdeviceptr p;
	CUmodule mod;
	long i;

	CK(D(cuInit)(0));
	init_ctx(0);
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	CK(D(cuModuleGetFunction)(&a, mod, FLIGHT_KERNEL_A));
	CK(D(cuModuleGetFunction)(&b, mod, FLIGHT_KERNEL_B));
	for (i = 0; i < n1; i++)
		CK(launch(a, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL));
	usleep(ms * 1000);
	for (i = 0; i < n2; i++)
		CK(launch(b, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL));
	if (!strcmp(end, "fail"))
		for (i = 0; i < (k > 0 ? k : 1); i++)
			if (D(cuMemAlloc_v2)(&p, FAIL_ALLOC_BYTES) != CUDA_ERROR_OUT_OF_MEMORY)
				exit(2);
	if (!strcmp(end, "exit"))
		exit(FLIGHT_EXIT_STATUS);
	if (!strcmp(end, "hang"))
		CK(D(cuCtxSynchronize)());
	if (!strcmp(end, "signal"))
		kill(getppid(), SIGUSR2);
}

static long storm_n;

static void *storm_thread(void *arg)
{
	__typeof__(&cuLaunchKernel_t) launch = D(cuLaunchKernel);
	CUfunction f = arg;
	long i;

	init_ctx(0);
	for (i = 0; i < storm_n; i++)
		launch(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL);
	return NULL;
}

/* T threads, N launches each: the event-throughput benchmark's producers. */
static void mode_storm_threads(int nthreads, long n)
{
	pthread_t t[64];
	struct timespec t0, t1;
	CUmodule mod;
	CUfunction f;
	int i;

	CK(D(cuInit)(0));
	CK(D(cuModuleLoadData)(&mod, "cubin"));
	CK(D(cuModuleGetFunction)(&f, mod, "empty_kernel"));
	storm_n = n;
	if (nthreads > 64)
		nthreads = 64;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, storm_thread, f);
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("stormthreads threads=%d launches=%ld events_per_s=%.0f\n", nthreads, n * nthreads,
	       n * nthreads / ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9));
}

static const struct {
	const char *name;
	void (*fn)(void);
} modes[] = {
	{ "runtime", mode_runtime }, { "torch", mode_torch },	    { "triton", mode_triton },
	{ "cudart", mode_cudart },   { "launchex", mode_launchex }, { "threads", mode_threads },
	{ "fail", mode_fail },
};

/* Modes "all" leaves out: each its own test (and "all" is what earlier traces recorded). */
static const struct {
	const char *name;
	void (*fn)(void);
} alone[] = {
	{ "hostile", mode_hostile }, { "graphs", mode_graphs },	      { "cluster", mode_cluster },
	{ "getname", mode_getname }, { "dirtyargs", mode_dirtyargs }, { "forge", mode_forge },
	{ "kernels", mode_kernels }, { "labels", mode_labels },	      { "nvtx", mode_nvtx },
};

static void run_mode(const char *m)
{
	unsigned int i;

	for (i = 0; i < sizeof(alone) / sizeof(alone[0]); i++)
		if (!strcmp(m, alone[i].name)) {
			alone[i].fn();
			return;
		}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(m, "all") || !strcmp(m, modes[i].name))
			modes[i].fn();
}

static void wait_file(const char *f)
{
	while (access(f, F_OK))
		usleep(10000);
}

/* The same, having made F.ready.PID first: a test sees the program has come this far. */
static void wait_file_said(const char *f)
{
	char ready[4096];

	snprintf(ready, sizeof(ready), "%s.ready.%d", f, (int)getpid());
	close(open(ready, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	wait_file(f);
}

/* --seccomp: openat kills the process (how "kill") or fails with EPERM, as a sandbox's filter may */
static void seccomp_openat(const char *how)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, strcmp(how, "kill") ? SECCOMP_RET_ERRNO | EPERM
							      : SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("fakeapp: seccomp");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *path = "libcuda.so.1", *wait = NULL, *exec_mode = NULL, *exec_thread = NULL;
	const char *pause = NULL;
	const char *seccomp = NULL;
	int i = 1, preload = 0, forever = 0, fork_first = 0;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--lib") && i + 1 < argc)
			path = argv[++i];
		else if (!strcmp(argv[i], "--wait-file") && i + 1 < argc)
			wait = argv[++i];
		else if (!strcmp(argv[i], "--preload"))
			preload = 1;
		else if (!strcmp(argv[i], "--forever"))
			forever = 1;
		else if (!strcmp(argv[i], "--fork"))
			fork_first = 1;
		else if (!strcmp(argv[i], "--wait-after-names") && i + 1 < argc)
			wait_after_names = argv[++i];
		else if (!strcmp(argv[i], "--linger") && i + 1 < argc)
			linger = argv[++i];
		else if (!strcmp(argv[i], "--poison-names"))
			poison_names = 1;
		else if (!strcmp(argv[i], "--pause") && i + 1 < argc)
			pause = argv[++i];
		else if (!strcmp(argv[i], "--exec") && i + 1 < argc)
			exec_mode = argv[++i];
		else if (!strcmp(argv[i], "--exec-thread") && i + 1 < argc)
			exec_thread = argv[++i];
		else if (!strcmp(argv[i], "--seccomp") && i + 1 < argc)
			seccomp = argv[++i];
	}
	if (i >= argc) {
		fprintf(stderr, "usage: fakeapp [--lib PATH] [--wait-file F] [--preload] "
				"[--forever] MODE... | storm N\n");
		return 1;
	}
	if (fork_first) {
		pid_t child = fork();
		int st;

		if (child < 0)
			return 1;
		if (child > 0) /* the parent only waits: the child is the one that calls */
			return waitpid(child, &st, 0) == child && WIFEXITED(st) ? WEXITSTATUS(st)
										: 1;
	}
	if (preload)
		lib = dlopen(path, RTLD_NOW);
	if (seccomp)
		seccomp_openat(seccomp);
	if (wait)
		wait_file(wait);
	if (!lib)
		lib = dlopen(path, RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "fakeapp: %s\n", dlerror());
		return 1;
	}
	if (!strcmp(argv[i], "stormthreads") && i + 2 < argc) {
		mode_storm_threads(atoi(argv[i + 1]), atol(argv[i + 2]));
		return 0;
	}
	if ((!strcmp(argv[i], "manynames") || !strcmp(argv[i], "manystreams")) && i + 1 < argc) {
		mode_many(!strcmp(argv[i], "manystreams"), atol(argv[i + 1]));
		return 0;
	}
	if (!strcmp(argv[i], "flight") && i + 4 < argc) {
		mode_flight(atol(argv[i + 1]), atol(argv[i + 2]), atol(argv[i + 3]), argv[i + 4],
			    i + 5 < argc ? atol(argv[i + 5]) : 0);
		goto done;
	}
	if (!strcmp(argv[i], "storm")) {
		mode_storm(i + 1 < argc ? atol(argv[i + 1]) : 100000);
		return 0;
	}
	do {
		int j;

		for (j = i; j < argc; j++)
			run_mode(argv[j]);
		if (forever)
			usleep(50000); /* a steady, modest rate: tests stop it mid-run */
	} while (forever);
	printf("fakeapp ok\n");
done:
	if (pause) {
		CUresult (*mark)(CUdevice) = sym(PAUSE_MARK_SYM);

		CK(mark(0));
		wait_file(pause);
	}
	if (linger) {
		fflush(stdout);
		wait_file_said(linger);
	}
	if (exec_mode) {
		fflush(stdout);
		execl("/proc/self/exe", "fakeapp", "--lib", path, exec_mode, (char *)NULL);
		return 1;
	}
	if (exec_thread) {
		struct exec_args a = { path, exec_thread };
		pthread_t th;

		fflush(stdout);
		if (!pthread_create(&th, NULL, exec_from_thread, &a))
			pthread_join(th, NULL); /* returns only if the exec failed */
		return 1;
	}
	return 0;
}
