// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A stand-in libcudart.so.13 for the tests: the runtime's exported names and
 * signatures (cudart_types.h, from CUDA 13's headers), driving the stand-in
 * libcuda as the runtime drives the driver. The first call that needs a
 * context makes it (cuInit, the primary context retained, made current);
 * kernels are registered by host stub (__cudaRegisterFatBinary,
 * __cudaRegisterFunction), their module loaded and function found at their
 * first launch (lazy loading), each launch one cuLaunchKernel (cuLaunchKernelEx
 * for cudaLaunchKernelExC); every copy, memset, allocation, free,
 * synchronization and event call is the one driver call it maps to. The
 * driver is the process's (loaded RTLD_GLOBAL by the program): found by name.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>
#include "cuda_types.h"
#include "cudart_types.h"

#define API __attribute__((visibility("default"), noinline))

#define MAX_FATBINS 8
#define MAX_FUNCS   32

struct fatbin {
	const void *image;
	CUmodule mod;
};

struct func {
	const void *stub;
	struct fatbin *bin;
	const char *name;
	CUfunction f;
};

static struct fatbin bins[MAX_FATBINS];
static struct func funcs[MAX_FUNCS];
static unsigned int nbins, nfuncs;
static CUcontext primary;

static void *cu(const char *name)
{
	return dlsym(RTLD_DEFAULT, name);
}

/* The driver function name of type T, or an error out of the calling function. */
#define DRV(var, name, T)                                                                          \
	__typeof__(T) var = (__typeof__(T))cu(name);                                               \
	if (!var)                                                                                  \
	return cudaErrorInitializationError

static cudaError_t err(CUresult r)
{
	return r ? cudaErrorInvalidValue : cudaSuccess;
}

/* The context, made at the first call that needs one (as the runtime does) */
static cudaError_t ctx(void)
{
	DRV(init, "cuInit", CUresult(*)(unsigned int));
	DRV(retain, "cuDevicePrimaryCtxRetain", CUresult(*)(CUcontext *, CUdevice));
	DRV(set, "cuCtxSetCurrent", CUresult(*)(CUcontext));

	if (primary)
		return cudaSuccess;
	if (init(0) || retain(&primary, 0) || set(primary))
		return cudaErrorInitializationError;
	return cudaSuccess;
}

#define CTX()                                                                                      \
	do {                                                                                       \
		cudaError_t e_ = ctx();                                                            \
		if (e_)                                                                            \
			return e_;                                                                 \
	} while (0)

/* ---- registration (what nvcc's constructors call) ---------------------- */

API void **__cudaRegisterFatBinary(void *fatCubin)
{
	if (nbins == MAX_FATBINS)
		return NULL;
	bins[nbins].image = fatCubin;
	return (void **)&bins[nbins++];
}

API void __cudaRegisterFatBinaryEnd(void **handle)
{
	(void)handle;
}

API void __cudaRegisterFunction(void **handle, const char *hostFun, char *deviceFun,
				const char *deviceName, int thread_limit, uint3 *tid, uint3 *bid,
				dim3 *bDim, dim3 *gDim, int *wSize)
{
	(void)deviceName, (void)thread_limit, (void)tid, (void)bid, (void)bDim, (void)gDim;
	(void)wSize;
	if (!handle || nfuncs == MAX_FUNCS)
		return;
	funcs[nfuncs++] = (struct func){ hostFun, (struct fatbin *)handle, deviceFun, NULL };
}

API void __cudaUnregisterFatBinary(void **handle)
{
	struct fatbin *b = (struct fatbin *)handle;
	CUresult (*unload)(CUmodule) = (CUresult(*)(CUmodule))cu("cuModuleUnload");

	if (b && b->mod && unload) {
		unload(b->mod);
		b->mod = NULL;
	}
}

/* The CUfunction of a host stub: its module loaded and the function found at its first launch. */
static cudaError_t function_of(const void *stub, CUfunction *out)
{
	DRV(load, "cuModuleLoadData", CUresult(*)(CUmodule *, const void *));
	DRV(getf, "cuModuleGetFunction", CUresult(*)(CUfunction *, CUmodule, const char *));
	unsigned int i;

	for (i = 0; i < nfuncs && funcs[i].stub != stub; i++)
		;
	if (i == nfuncs)
		return cudaErrorInvalidDeviceFunction;
	if (!funcs[i].f) {
		if (!funcs[i].bin->mod && load(&funcs[i].bin->mod, funcs[i].bin->image))
			return cudaErrorInvalidDeviceFunction;
		if (getf(&funcs[i].f, funcs[i].bin->mod, funcs[i].name))
			return cudaErrorInvalidDeviceFunction;
	}
	*out = funcs[i].f;
	return cudaSuccess;
}

/* ---- launches ---------------------------------------------------------- */

typedef CUresult (*launch_fn)(CUfunction, unsigned int, unsigned int, unsigned int, unsigned int,
			      unsigned int, unsigned int, unsigned int, CUstream, void **, void **);

static cudaError_t launch(const char *sym, const void *func, dim3 g, dim3 b, void **args,
			  size_t shmem, cudaStream_t s)
{
	DRV(go, sym, launch_fn);
	CUfunction f;
	cudaError_t e;

	CTX();
	e = function_of(func, &f);
	if (e)
		return e;
	return err(go(f, g.x, g.y, g.z, b.x, b.y, b.z, shmem, (CUstream)s, args, NULL));
}

API cudaError_t cudaLaunchKernel(const void *func, dim3 gridDim, dim3 blockDim, void **args,
				 size_t sharedMem, cudaStream_t stream)
{
	return launch("cuLaunchKernel", func, gridDim, blockDim, args, sharedMem, stream);
}

API cudaError_t cudaLaunchKernel_ptsz(const void *func, dim3 gridDim, dim3 blockDim, void **args,
				      size_t sharedMem, cudaStream_t stream)
{
	return launch("cuLaunchKernel_ptsz", func, gridDim, blockDim, args, sharedMem, stream);
}

API cudaError_t cudaLaunchKernelExC(const cudaLaunchConfig_t *config, const void *func, void **args)
{
	DRV(go, "cuLaunchKernelEx",
	    CUresult(*)(const CUlaunchConfig *, CUfunction, void **, void **));
	CUlaunchConfig c;
	CUfunction f;
	cudaError_t e;

	if (!config)
		return cudaErrorInvalidValue;
	CTX();
	e = function_of(func, &f);
	if (e)
		return e;
	c = (CUlaunchConfig){ config->gridDim.x,
			      config->gridDim.y,
			      config->gridDim.z,
			      config->blockDim.x,
			      config->blockDim.y,
			      config->blockDim.z,
			      (unsigned int)config->dynamicSmemBytes,
			      (CUstream)config->stream,
			      NULL,
			      0 };
	return err(go(&c, f, args, NULL));
}

/* ---- copies and memsets ------------------------------------------------ */

API cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind)
{
	DRV(htod, "cuMemcpyHtoD_v2", CUresult(*)(CUdeviceptr, const void *, size_t));
	DRV(dtoh, "cuMemcpyDtoH_v2", CUresult(*)(void *, CUdeviceptr, size_t));
	DRV(any, "cuMemcpy", CUresult(*)(CUdeviceptr, CUdeviceptr, size_t));

	CTX();
	if (kind == cudaMemcpyHostToDevice)
		return err(htod((CUdeviceptr)dst, src, count));
	if (kind == cudaMemcpyDeviceToHost)
		return err(dtoh(dst, (CUdeviceptr)src, count));
	return err(any((CUdeviceptr)dst, (CUdeviceptr)src, count));
}

API cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
				cudaStream_t s)
{
	DRV(htod, "cuMemcpyHtoDAsync_v2", CUresult(*)(CUdeviceptr, const void *, size_t, CUstream));
	DRV(dtoh, "cuMemcpyDtoHAsync_v2", CUresult(*)(void *, CUdeviceptr, size_t, CUstream));
	DRV(any, "cuMemcpyAsync", CUresult(*)(CUdeviceptr, CUdeviceptr, size_t, CUstream));

	CTX();
	if (kind == cudaMemcpyHostToDevice)
		return err(htod((CUdeviceptr)dst, src, count, (CUstream)s));
	if (kind == cudaMemcpyDeviceToHost)
		return err(dtoh(dst, (CUdeviceptr)src, count, (CUstream)s));
	return err(any((CUdeviceptr)dst, (CUdeviceptr)src, count, (CUstream)s));
}

API cudaError_t cudaMemset(void *dst, int value, size_t count)
{
	DRV(set, "cuMemsetD8_v2", CUresult(*)(CUdeviceptr, unsigned char, size_t));

	CTX();
	return err(set((CUdeviceptr)dst, (unsigned char)value, count));
}

API cudaError_t cudaMemsetAsync(void *dst, int value, size_t count, cudaStream_t s)
{
	DRV(set, "cuMemsetD8Async", CUresult(*)(CUdeviceptr, unsigned char, size_t, CUstream));

	CTX();
	return err(set((CUdeviceptr)dst, (unsigned char)value, count, (CUstream)s));
}

/* ---- memory ------------------------------------------------------------ */

API cudaError_t cudaMalloc(void **p, size_t n)
{
	DRV(alloc, "cuMemAlloc_v2", CUresult(*)(CUdeviceptr *, size_t));

	CTX();
	return err(alloc((CUdeviceptr *)p, n));
}

API cudaError_t cudaMallocHost(void **p, size_t n)
{
	DRV(alloc, "cuMemAllocHost_v2", CUresult(*)(void **, size_t));

	CTX();
	return err(alloc(p, n));
}

API cudaError_t cudaFree(void *p)
{
	DRV(fr, "cuMemFree_v2", CUresult(*)(CUdeviceptr));

	CTX();
	return err(fr((CUdeviceptr)p));
}

API cudaError_t cudaFreeHost(void *p)
{
	DRV(fr, "cuMemFreeHost", CUresult(*)(void *));

	CTX();
	return err(fr(p));
}

/* ---- devices, streams, events, synchronization ------------------------- */

API cudaError_t cudaSetDevice(int dev)
{
	if (dev)
		return cudaErrorInvalidValue;
	CTX();
	return cudaSuccess;
}

API cudaError_t cudaStreamCreate(cudaStream_t *s)
{
	DRV(mk, "cuStreamCreate", CUresult(*)(CUstream *, unsigned int));

	CTX();
	return err(mk((CUstream *)s, 0));
}

API cudaError_t cudaEventCreate(cudaEvent_t *e)
{
	DRV(mk, "cuEventCreate", CUresult(*)(CUevent *, unsigned int));

	CTX();
	return err(mk((CUevent *)e, 0));
}

API cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s)
{
	DRV(rec, "cuEventRecord", CUresult(*)(CUevent, CUstream));

	CTX();
	return err(rec((CUevent)e, (CUstream)s));
}

API cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned int flags)
{
	DRV(wait, "cuStreamWaitEvent", CUresult(*)(CUstream, CUevent, unsigned int));

	CTX();
	return err(wait((CUstream)s, (CUevent)e, flags));
}

API cudaError_t cudaEventSynchronize(cudaEvent_t e)
{
	DRV(sync, "cuEventSynchronize", CUresult(*)(CUevent));

	CTX();
	return err(sync((CUevent)e));
}

API cudaError_t cudaStreamSynchronize(cudaStream_t s)
{
	DRV(sync, "cuStreamSynchronize", CUresult(*)(CUstream));

	CTX();
	return err(sync((CUstream)s));
}

API cudaError_t cudaDeviceSynchronize(void)
{
	DRV(sync, "cuCtxSynchronize", CUresult(*)(void));

	CTX();
	return err(sync());
}

API cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s)
{
	DRV(go, "cuGraphLaunch", CUresult(*)(CUgraphExec, CUstream));

	CTX();
	return err(go((CUgraphExec)exec, (CUstream)s));
}
