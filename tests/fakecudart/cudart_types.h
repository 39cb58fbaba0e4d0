/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The CUDA runtime API types the stand-in libcudart and its test program use,
 * laid out as in CUDA 13's cuda_runtime_api.h, driver_types.h and
 * vector_types.h (x86-64), so that calls pass arguments exactly where the real
 * runtime receives them: a dim3 by value takes two registers.
 */
#ifndef FAKE_CUDART_TYPES_H
#define FAKE_CUDART_TYPES_H

#include <stddef.h>

typedef int cudaError_t;
typedef struct CUstream_st *cudaStream_t;
typedef struct CUevent_st *cudaEvent_t;
typedef struct CUgraphExec_st *cudaGraphExec_t;
typedef struct CUmemPoolHandle_st *cudaMemPool_t;

#define cudaSuccess		       0
#define cudaErrorInvalidValue	       1
#define cudaErrorMemoryAllocation      2
#define cudaErrorInitializationError   3
#define cudaErrorInvalidDeviceFunction 98

typedef struct dim3 {
	unsigned int x, y, z;
} dim3;

typedef struct uint3 {
	unsigned int x, y, z;
} uint3;

enum cudaMemcpyKind {
	cudaMemcpyHostToHost = 0,
	cudaMemcpyHostToDevice = 1,
	cudaMemcpyDeviceToHost = 2,
	cudaMemcpyDeviceToDevice = 3,
	cudaMemcpyDefault = 4,
};

typedef struct cudaLaunchConfig_st {
	dim3 gridDim;
	dim3 blockDim;
	size_t dynamicSmemBytes;
	cudaStream_t stream;
	void *attrs;
	unsigned int numAttrs;
} cudaLaunchConfig_t;

_Static_assert(sizeof(dim3) == 12, "dim3 layout");
_Static_assert(offsetof(cudaLaunchConfig_t, dynamicSmemBytes) == 24, "cudaLaunchConfig_t layout");
_Static_assert(offsetof(cudaLaunchConfig_t, stream) == 32, "cudaLaunchConfig_t layout");

/* The signatures the test program looks up, as X(name, return, args) */
#define CUDART_SIGS(X)                                                                             \
	X(cudaSetDevice, cudaError_t, (int))                                                       \
	X(cudaStreamCreate, cudaError_t, (cudaStream_t *))                                         \
	X(cudaEventCreate, cudaError_t, (cudaEvent_t *))                                           \
	X(cudaMalloc, cudaError_t, (void **, size_t))                                              \
	X(cudaMallocHost, cudaError_t, (void **, size_t))                                          \
	X(cudaFree, cudaError_t, (void *))                                                         \
	X(cudaFreeHost, cudaError_t, (void *))                                                     \
	X(cudaMemcpy, cudaError_t, (void *, const void *, size_t, enum cudaMemcpyKind))            \
	X(cudaMemcpyAsync, cudaError_t,                                                            \
	  (void *, const void *, size_t, enum cudaMemcpyKind, cudaStream_t))                       \
	X(cudaMemsetAsync, cudaError_t, (void *, int, size_t, cudaStream_t))                       \
	X(cudaLaunchKernel, cudaError_t,                                                           \
	  (const void *, dim3, dim3, void **, size_t, cudaStream_t))                               \
	X(cudaLaunchKernelExC, cudaError_t, (const cudaLaunchConfig_t *, const void *, void **))   \
	X(cudaEventRecord, cudaError_t, (cudaEvent_t, cudaStream_t))                               \
	X(cudaStreamWaitEvent, cudaError_t, (cudaStream_t, cudaEvent_t, unsigned int))             \
	X(cudaEventSynchronize, cudaError_t, (cudaEvent_t))                                        \
	X(cudaStreamSynchronize, cudaError_t, (cudaStream_t))                                      \
	X(cudaDeviceSynchronize, cudaError_t, (void))                                              \
	X(__cudaRegisterFatBinary, void **, (void *))                                              \
	X(__cudaRegisterFatBinaryEnd, void, (void **))                                             \
	X(__cudaUnregisterFatBinary, void, (void **))                                              \
	X(__cudaRegisterFunction, void,                                                            \
	  (void **, const char *, char *, const char *, int, uint3 *, uint3 *, dim3 *, dim3 *,     \
	   int *))

#endif
