// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The hooked CUDA driver API. Argument positions are the C parameter
 * positions of the CUDA 13 headers (cuda.h), from 0; where each is on an
 * architecture (a register, a stack slot) is user/probe/abi_<arch>.c's.
 *
 * Only versioned names are hooked where a versioned one exists: the bare
 * cuMemAlloc, cuMemcpyHtoD, ... are the CUDA 2.x ABI with 32-bit sizes.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "probe/hooks.h"
#include "probe/abi.h"
#include "probe/curesult.h"
#include "lib/util.h"

#define A(n, role)                                                                                 \
	{                                                                                          \
		TS_OP_ARG, n, 0, role                                                              \
	}
/* an argument of a 32-bit C type (an unsigned int, an int): see enum ts_ctype */
#define AT(n, role, type)                                                                          \
	{                                                                                          \
		TS_OP_ARG, n, 0, role, type                                                        \
	}
#define A32(n, role) AT(n, role, TS_T_U32)
#define I32(n, role) AT(n, role, TS_T_I32)
#define D32(n, off, role)                                                                          \
	{                                                                                          \
		TS_OP_DEREF_U32, n, off, role, TS_T_U32                                            \
	}
#define D64(n, off, role)                                                                          \
	{                                                                                          \
		TS_OP_DEREF_U64, n, off, role                                                      \
	}
#define OUT(n, role)                                                                               \
	{                                                                                          \
		TS_OP_OUT, n, 0, role                                                              \
	}
#define STR(n)                                                                                     \
	{                                                                                          \
		TS_OP_STR, n, 0, ROLE_NAME                                                         \
	}
#define OUTSTR(n)                                                                                  \
	{                                                                                          \
		TS_OP_OUT_STR, n, 0, ROLE_NAME                                                     \
	}
/* a CUlaunchConfig fills six values; the five after it are placeholders */
#define CFG(n)                                                                                     \
	{ TS_OP_LAUNCH_CFG, n, 0, ROLE_LAUNCH_CFG }, {}, {}, {}, {},                               \
	{                                                                                          \
	}

#define NVALS(...) (sizeof((struct ts_val_def[]){ __VA_ARGS__ }) / sizeof(struct ts_val_def))
#define HOOKF(nm, syms, c, s, f, d, e, ...)                                                        \
	{                                                                                          \
		.name = nm, .symbols = syms, .cat = c, .sem = s, .flags = f, .dir = d, .elem = e,  \
		.nvals = NVALS(__VA_ARGS__), .vals = {                                             \
			__VA_ARGS__                                                                \
		}                                                                                  \
	}
#define HOOKX(nm, syms, c, s, d, e, ...) HOOKF(nm, syms, c, s, 0, d, e, __VA_ARGS__)
#define HOOK(nm, syms, c, s, ...)	 HOOKX(nm, syms, c, s, TS_DIR_NONE, 0, __VA_ARGS__)
/* a synchronize call: blocks until the GPU work it waits for is done */
#define SYNC(nm, syms, ...)                                                                        \
	HOOKF(nm, syms, TS_CAT_SYNC, TS_SEM_NONE, TS_HF_BLOCKS | TS_HF_SYNCHRONIZE, TS_DIR_NONE,   \
	      0, __VA_ARGS__)
#define SYNC0(nm, syms)                                                                            \
	{                                                                                          \
		.name = nm, .symbols = syms, .cat = TS_CAT_SYNC, .sem = TS_SEM_NONE,               \
		.flags = TS_HF_BLOCKS | TS_HF_SYNCHRONIZE                                          \
	}

/* cuLaunchKernel and cuLaunchCooperativeKernel share their first nine arguments */
#define LAUNCH_ARGS                                                                                \
	A(0, ROLE_FUNC), A32(1, ROLE_GRID_X), A32(2, ROLE_GRID_Y), A32(3, ROLE_GRID_Z),            \
		A32(4, ROLE_BLOCK_X), A32(5, ROLE_BLOCK_Y), A32(6, ROLE_BLOCK_Z),                  \
		A32(7, ROLE_SHMEM), A(8, ROLE_STREAM)

/* a synchronous copy returns when the copy is done: it may block */
/* a CUDA_KERNEL_NODE_PARAMS at argument n */
#define KNODE_ARGS(n)                                                                              \
	D64(n, 0, ROLE_FUNC), D32(n, 8, ROLE_GRID_X), D32(n, 12, ROLE_GRID_Y),                     \
		D32(n, 16, ROLE_GRID_Z), D32(n, 20, ROLE_BLOCK_X), D32(n, 24, ROLE_BLOCK_Y),       \
		D32(n, 28, ROLE_BLOCK_Z), D32(n, 32, ROLE_SHMEM)

#define COPY(nm, syms, d) HOOKF(nm, syms, TS_CAT_MEMCPY, TS_SEM_COPY, TS_HF_BLOCKS, d, 0, COPY_ARGS)
#define COPY_ASYNC(nm, syms, d)                                                                    \
	HOOKX(nm, syms, TS_CAT_MEMCPY, TS_SEM_COPY, d, 0, COPY_ARGS, A(3, ROLE_STREAM))
#define COPY_ARGS A(0, ROLE_DST), A(1, ROLE_SRC), A(2, ROLE_BYTES)

/* CUDA_MEMCPY2D: srcMemoryType@16 srcHost@24 srcDevice@32 dstMemoryType@72 ... */
#define COPY2D_ARGS                                                                                \
	D32(0, 16, ROLE_SRC_TYPE), D64(0, 24, ROLE_SRC_HOST), D64(0, 32, ROLE_SRC_DEVICE),         \
		D32(0, 72, ROLE_DST_TYPE), D64(0, 80, ROLE_DST_HOST), D64(0, 88, ROLE_DST_DEVICE), \
		D64(0, 112, ROLE_WIDTH), D64(0, 120, ROLE_HEIGHT)
/* CUDA_MEMCPY3D: srcMemoryType@32 srcHost@40 srcDevice@48 dstMemoryType@120 ... */
#define COPY3D_ARGS                                                                                \
	D32(0, 32, ROLE_SRC_TYPE), D64(0, 40, ROLE_SRC_HOST), D64(0, 48, ROLE_SRC_DEVICE),         \
		D32(0, 120, ROLE_DST_TYPE), D64(0, 128, ROLE_DST_HOST),                            \
		D64(0, 136, ROLE_DST_DEVICE), D64(0, 176, ROLE_WIDTH), D64(0, 184, ROLE_HEIGHT),   \
		D64(0, 192, ROLE_DEPTH)

/* the value is an unsigned char, short or int: type t, e bytes */
#define MEMSET(nm, syms, e, t)                                                                     \
	HOOKX(nm, syms, TS_CAT_MEMSET, TS_SEM_MEMSET, TS_DIR_NONE, e, A(0, ROLE_DST),              \
	      AT(1, ROLE_VALUE, t), A(2, ROLE_COUNT))
#define MEMSET_ASYNC(nm, syms, e, t)                                                               \
	HOOKX(nm, syms, TS_CAT_MEMSET, TS_SEM_MEMSET, TS_DIR_NONE, e, A(0, ROLE_DST),              \
	      AT(1, ROLE_VALUE, t), A(2, ROLE_COUNT), A(3, ROLE_STREAM))

/*
 * NCCL (nccl.h of NCCL 2.28). The ncclUniqueId (128 bytes) is passed by
 * value: on x86-64 in memory (the stack slots from the first one on, the int
 * after it in the next free register), on arm64 as a pointer to a copy
 * (abi_<arch>.c). Only the nccl* names are hooked: the pnccl* profiling names
 * are the same functions.
 */
#define NCCL(nm, s, ...)                                                                           \
	{                                                                                          \
		.name = nm, .symbols = nm, .cat = TS_CAT_NCCL, .sem = s, .lib = TS_LIB_NCCL,       \
		.nvals = NVALS(__VA_ARGS__), .vals = {                                             \
			__VA_ARGS__                                                                \
		}                                                                                  \
	}
#define NCCL0(nm, s)                                                                               \
	{                                                                                          \
		.name = nm, .symbols = nm, .cat = TS_CAT_NCCL, .sem = s, .lib = TS_LIB_NCCL        \
	}
#define HASH_ARG(n)                                                                                \
	{                                                                                          \
		TS_OP_HASH_ARG, n, 0, ROLE_ID_HASH                                                 \
	}
#define OUT_HASH(n)                                                                                \
	{                                                                                          \
		TS_OP_OUT_HASH, n, 0, ROLE_ID_HASH                                                 \
	}
/* (sendbuff, recvbuff, count, datatype, ...): every value is its argument */
#define NCCL_BUFS A(0, ROLE_SENDBUF), A(1, ROLE_RECVBUF), A(2, ROLE_COUNT), A32(3, ROLE_DTYPE)

/*
 * The CUDA runtime (cuda_runtime_api.h of CUDA 13; x86-64 SysV). It calls
 * the driver for each of these: its calls hold the driver's.
 */
#define RTF(nm, s, f, ...)                                                                         \
	{                                                                                          \
		.name = nm, .symbols = nm, .cat = TS_CAT_RUNTIME, .sem = s, .flags = f,            \
		.lib = TS_LIB_CUDART, .nvals = NVALS(__VA_ARGS__), .vals = {                       \
			__VA_ARGS__                                                                \
		}                                                                                  \
	}
#define RT(nm, syms, s, ...)                                                                       \
	{                                                                                          \
		.name = nm, .symbols = syms, .cat = TS_CAT_RUNTIME, .sem = s,                      \
		.lib = TS_LIB_CUDART, .nvals = NVALS(__VA_ARGS__), .vals = {                       \
			__VA_ARGS__                                                                \
		}                                                                                  \
	}
#define RT0(nm, syms)                                                                              \
	{                                                                                          \
		.name = nm, .symbols = syms, .cat = TS_CAT_RUNTIME, .lib = TS_LIB_CUDART           \
	}
/*
 * (const void *func, dim3 gridDim, dim3 blockDim, void **args, size_t
 * sharedMem, cudaStream_t stream): each dim3 by value takes two registers,
 * x | y << 32 and z, so args is r9 and the last two are on the stack.
 */
#define RT_LAUNCH_ARGS                                                                             \
	A(0, ROLE_HOST_FUNC), A32(1, ROLE_GRID_X), AT(1, ROLE_GRID_Y, TS_T_HI32),                  \
		A32(2, ROLE_GRID_Z), A32(3, ROLE_BLOCK_X), AT(3, ROLE_BLOCK_Y, TS_T_HI32),         \
		A32(4, ROLE_BLOCK_Z), A(6, ROLE_SHMEM), A(7, ROLE_STREAM)
#define RT_COPY_ARGS A(0, ROLE_DST), A(1, ROLE_SRC), A(2, ROLE_BYTES), A32(3, ROLE_COPY_KIND)
#define RT_COPY2D_ARGS                                                                             \
	A(0, ROLE_DST), A(2, ROLE_SRC), A(4, ROLE_WIDTH), A(5, ROLE_HEIGHT), A32(6, ROLE_COPY_KIND)
/* (dst, dstDevice, src, srcDevice, count[, stream]) */
#define RT_PEER_ARGS A(0, ROLE_DST), A(2, ROLE_SRC), A(4, ROLE_BYTES)

const struct ts_hook ts_hooks[] = {
	/* start-up */
	HOOK("cuInit", "cuInit", TS_CAT_INIT, TS_SEM_NONE, A32(0, ROLE_FLAGS)),
	HOOK("cuGetProcAddress", "cuGetProcAddress cuGetProcAddress_v2", TS_CAT_INIT, TS_SEM_NONE,
	     STR(0), OUT(1, ROLE_OUT_FUNC_PTR), I32(2, ROLE_VERSION), A(3, ROLE_FLAGS)),

	/* launches */
	HOOK("cuLaunchKernel", "cuLaunchKernel cuLaunchKernel_ptsz", TS_CAT_LAUNCH, TS_SEM_LAUNCH,
	     LAUNCH_ARGS),
	HOOK("cuLaunchCooperativeKernel",
	     "cuLaunchCooperativeKernel cuLaunchCooperativeKernel_ptsz", TS_CAT_LAUNCH,
	     TS_SEM_LAUNCH, LAUNCH_ARGS),
	HOOK("cuLaunchKernelEx", "cuLaunchKernelEx cuLaunchKernelEx_ptsz", TS_CAT_LAUNCH,
	     TS_SEM_LAUNCH, CFG(0), A(1, ROLE_FUNC)),
	HOOK("cuGraphLaunch", "cuGraphLaunch cuGraphLaunch_ptsz", TS_CAT_LAUNCH,
	     TS_SEM_GRAPH_LAUNCH, A(0, ROLE_GRAPH_EXEC), A(1, ROLE_STREAM)),

	/* copies */
	COPY("cuMemcpy", "cuMemcpy cuMemcpy_ptds", TS_DIR_DEFAULT),
	COPY_ASYNC("cuMemcpyAsync", "cuMemcpyAsync cuMemcpyAsync_ptsz", TS_DIR_DEFAULT),
	COPY("cuMemcpyHtoD", "cuMemcpyHtoD_v2 cuMemcpyHtoD_v2_ptds", TS_DIR_HTOD),
	COPY("cuMemcpyDtoH", "cuMemcpyDtoH_v2 cuMemcpyDtoH_v2_ptds", TS_DIR_DTOH),
	COPY("cuMemcpyDtoD", "cuMemcpyDtoD_v2 cuMemcpyDtoD_v2_ptds", TS_DIR_DTOD),
	COPY_ASYNC("cuMemcpyHtoDAsync", "cuMemcpyHtoDAsync_v2 cuMemcpyHtoDAsync_v2_ptsz",
		   TS_DIR_HTOD),
	COPY_ASYNC("cuMemcpyDtoHAsync", "cuMemcpyDtoHAsync_v2 cuMemcpyDtoHAsync_v2_ptsz",
		   TS_DIR_DTOH),
	COPY_ASYNC("cuMemcpyDtoDAsync", "cuMemcpyDtoDAsync_v2 cuMemcpyDtoDAsync_v2_ptsz",
		   TS_DIR_DTOD),
	HOOKF("cuMemcpyPeer", "cuMemcpyPeer cuMemcpyPeer_ptds", TS_CAT_MEMCPY, TS_SEM_COPY,
	      TS_HF_BLOCKS, TS_DIR_PEER, 0, A(0, ROLE_DST), A(1, ROLE_DST_CTX), A(2, ROLE_SRC),
	      A(3, ROLE_SRC_CTX), A(4, ROLE_BYTES)),
	HOOKX("cuMemcpyPeerAsync", "cuMemcpyPeerAsync cuMemcpyPeerAsync_ptsz", TS_CAT_MEMCPY,
	      TS_SEM_COPY, TS_DIR_PEER, 0, A(0, ROLE_DST), A(1, ROLE_DST_CTX), A(2, ROLE_SRC),
	      A(3, ROLE_SRC_CTX), A(4, ROLE_BYTES), A(5, ROLE_STREAM)),
	HOOKF("cuMemcpy2D",
	      "cuMemcpy2D_v2 cuMemcpy2D_v2_ptds cuMemcpy2DUnaligned_v2 cuMemcpy2DUnaligned_v2_ptds",
	      TS_CAT_MEMCPY, TS_SEM_COPY_2D, TS_HF_BLOCKS, TS_DIR_NONE, 0, COPY2D_ARGS),
	HOOK("cuMemcpy2DAsync", "cuMemcpy2DAsync_v2 cuMemcpy2DAsync_v2_ptsz", TS_CAT_MEMCPY,
	     TS_SEM_COPY_2D, COPY2D_ARGS, A(1, ROLE_STREAM)),
	HOOKF("cuMemcpy3D", "cuMemcpy3D_v2 cuMemcpy3D_v2_ptds", TS_CAT_MEMCPY, TS_SEM_COPY_2D,
	      TS_HF_BLOCKS, TS_DIR_NONE, 0, COPY3D_ARGS),
	HOOK("cuMemcpy3DAsync", "cuMemcpy3DAsync_v2 cuMemcpy3DAsync_v2_ptsz", TS_CAT_MEMCPY,
	     TS_SEM_COPY_2D, COPY3D_ARGS, A(1, ROLE_STREAM)),

	/* memsets */
	MEMSET("cuMemsetD8", "cuMemsetD8_v2 cuMemsetD8_v2_ptds", 1, TS_T_U8),
	MEMSET("cuMemsetD16", "cuMemsetD16_v2 cuMemsetD16_v2_ptds", 2, TS_T_U16),
	MEMSET("cuMemsetD32", "cuMemsetD32_v2 cuMemsetD32_v2_ptds", 4, TS_T_U32),
	MEMSET_ASYNC("cuMemsetD8Async", "cuMemsetD8Async cuMemsetD8Async_ptsz", 1, TS_T_U8),
	MEMSET_ASYNC("cuMemsetD16Async", "cuMemsetD16Async cuMemsetD16Async_ptsz", 2, TS_T_U16),
	MEMSET_ASYNC("cuMemsetD32Async", "cuMemsetD32Async cuMemsetD32Async_ptsz", 4, TS_T_U32),

	/* device memory */
	HOOK("cuMemAlloc", "cuMemAlloc_v2", TS_CAT_MEMORY, TS_SEM_ALLOC, OUT(0, ROLE_OUT_PTR),
	     A(1, ROLE_SIZE)),
	HOOK("cuMemAllocManaged", "cuMemAllocManaged", TS_CAT_MEMORY, TS_SEM_ALLOC,
	     OUT(0, ROLE_OUT_PTR), A(1, ROLE_SIZE), A32(2, ROLE_FLAGS)),
	HOOK("cuMemAllocAsync", "cuMemAllocAsync cuMemAllocAsync_ptsz", TS_CAT_MEMORY, TS_SEM_ALLOC,
	     OUT(0, ROLE_OUT_PTR), A(1, ROLE_SIZE), A(2, ROLE_STREAM)),
	HOOK("cuMemAllocFromPoolAsync", "cuMemAllocFromPoolAsync cuMemAllocFromPoolAsync_ptsz",
	     TS_CAT_MEMORY, TS_SEM_ALLOC, OUT(0, ROLE_OUT_PTR), A(1, ROLE_SIZE), A(2, ROLE_POOL),
	     A(3, ROLE_STREAM)),
	HOOK("cuMemFree", "cuMemFree_v2", TS_CAT_MEMORY, TS_SEM_FREE, A(0, ROLE_PTR)),
	HOOK("cuMemFreeAsync", "cuMemFreeAsync cuMemFreeAsync_ptsz", TS_CAT_MEMORY, TS_SEM_FREE,
	     A(0, ROLE_PTR), A(1, ROLE_STREAM)),
	/* pinned host memory: traced, but not counted as device memory */
	HOOK("cuMemHostAlloc", "cuMemHostAlloc", TS_CAT_MEMORY, TS_SEM_NONE, OUT(0, ROLE_OUT_PTR),
	     A(1, ROLE_SIZE), A32(2, ROLE_FLAGS)),
	HOOK("cuMemAllocHost", "cuMemAllocHost_v2", TS_CAT_MEMORY, TS_SEM_NONE,
	     OUT(0, ROLE_OUT_PTR), A(1, ROLE_SIZE)),
	HOOK("cuMemFreeHost", "cuMemFreeHost", TS_CAT_MEMORY, TS_SEM_NONE, A(0, ROLE_PTR)),
	HOOK("cuMemCreate", "cuMemCreate", TS_CAT_MEMORY, TS_SEM_NONE, OUT(0, ROLE_OUT_HANDLE),
	     A(1, ROLE_SIZE), A(3, ROLE_FLAGS)),
	HOOK("cuMemRelease", "cuMemRelease", TS_CAT_MEMORY, TS_SEM_NONE, A(0, ROLE_HANDLE)),
	HOOK("cuMemMap", "cuMemMap", TS_CAT_MEMORY, TS_SEM_NONE, A(0, ROLE_PTR), A(1, ROLE_SIZE),
	     A(3, ROLE_HANDLE)),
	HOOK("cuMemUnmap", "cuMemUnmap", TS_CAT_MEMORY, TS_SEM_NONE, A(0, ROLE_PTR),
	     A(1, ROLE_SIZE)),

	/* synchronization */
	SYNC("cuStreamSynchronize", "cuStreamSynchronize cuStreamSynchronize_ptsz",
	     A(0, ROLE_STREAM)),
	SYNC0("cuCtxSynchronize", "cuCtxSynchronize"),
	SYNC("cuCtxSynchronize_v2", "cuCtxSynchronize_v2", A(0, ROLE_CTX)),
	SYNC("cuEventSynchronize", "cuEventSynchronize", A(0, ROLE_EVENT)),
	HOOK("cuStreamWaitEvent", "cuStreamWaitEvent cuStreamWaitEvent_ptsz", TS_CAT_SYNC,
	     TS_SEM_STREAM_WAIT_EVENT, A(0, ROLE_STREAM), A(1, ROLE_EVENT), A32(2, ROLE_FLAGS)),
	HOOK("cuEventRecord", "cuEventRecord cuEventRecord_ptsz", TS_CAT_SYNC, TS_SEM_EVENT_RECORD,
	     A(0, ROLE_EVENT), A(1, ROLE_STREAM)),
	HOOK("cuEventRecordWithFlags", "cuEventRecordWithFlags cuEventRecordWithFlags_ptsz",
	     TS_CAT_SYNC, TS_SEM_EVENT_RECORD, A(0, ROLE_EVENT), A(1, ROLE_STREAM),
	     A32(2, ROLE_FLAGS)),

	/* streams */
	HOOK("cuStreamCreate", "cuStreamCreate", TS_CAT_STREAM, TS_SEM_STREAM_CREATE,
	     OUT(0, ROLE_OUT_HANDLE), A32(1, ROLE_FLAGS)),
	HOOK("cuStreamCreateWithPriority", "cuStreamCreateWithPriority", TS_CAT_STREAM,
	     TS_SEM_STREAM_CREATE, OUT(0, ROLE_OUT_HANDLE), A32(1, ROLE_FLAGS),
	     I32(2, ROLE_PRIORITY)),
	HOOK("cuStreamDestroy", "cuStreamDestroy_v2", TS_CAT_STREAM, TS_SEM_STREAM_DESTROY,
	     A(0, ROLE_STREAM)),

	/* contexts */
	HOOK("cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRetain", TS_CAT_CONTEXT,
	     TS_SEM_CTX_RETAIN, OUT(0, ROLE_OUT_HANDLE), I32(1, ROLE_DEVICE)),
	/* the runtime of CUDA 13 was seen calling the bare name (cuGetProcAddress) */
	HOOK("cuDevicePrimaryCtxRelease", "cuDevicePrimaryCtxRelease cuDevicePrimaryCtxRelease_v2",
	     TS_CAT_CONTEXT, TS_SEM_NONE, I32(0, ROLE_DEVICE)),
	HOOK("cuCtxSetCurrent", "cuCtxSetCurrent", TS_CAT_CONTEXT, TS_SEM_CTX_SET, A(0, ROLE_CTX)),
	HOOK("cuCtxPushCurrent", "cuCtxPushCurrent_v2", TS_CAT_CONTEXT, TS_SEM_CTX_PUSH,
	     A(0, ROLE_CTX)),
	HOOK("cuCtxPopCurrent", "cuCtxPopCurrent_v2", TS_CAT_CONTEXT, TS_SEM_CTX_POP,
	     OUT(0, ROLE_OUT_HANDLE)),
	HOOK("cuCtxCreate", "cuCtxCreate_v2", TS_CAT_CONTEXT, TS_SEM_CTX_CREATE,
	     OUT(0, ROLE_OUT_HANDLE), A32(1, ROLE_FLAGS), I32(2, ROLE_DEVICE)),
	HOOK("cuCtxCreate_v3", "cuCtxCreate_v3", TS_CAT_CONTEXT, TS_SEM_CTX_CREATE,
	     OUT(0, ROLE_OUT_HANDLE), A32(3, ROLE_FLAGS), I32(4, ROLE_DEVICE)),
	HOOK("cuCtxCreate_v4", "cuCtxCreate_v4", TS_CAT_CONTEXT, TS_SEM_CTX_CREATE,
	     OUT(0, ROLE_OUT_HANDLE), A32(2, ROLE_FLAGS), I32(3, ROLE_DEVICE)),
	HOOK("cuCtxDestroy", "cuCtxDestroy_v2", TS_CAT_CONTEXT, TS_SEM_NONE, A(0, ROLE_CTX)),

	/* CUDA graphs: stream capture, the explicit node API, instantiation, updates */
	HOOK("cuStreamBeginCapture",
	     "cuStreamBeginCapture cuStreamBeginCapture_ptsz cuStreamBeginCapture_v2 "
	     "cuStreamBeginCapture_v2_ptsz",
	     TS_CAT_GRAPH, TS_SEM_CAPTURE_BEGIN, A(0, ROLE_STREAM)),
	HOOK("cuStreamBeginCaptureToGraph",
	     "cuStreamBeginCaptureToGraph cuStreamBeginCaptureToGraph_ptsz", TS_CAT_GRAPH,
	     TS_SEM_CAPTURE_BEGIN, A(0, ROLE_STREAM), A(1, ROLE_GRAPH)),
	HOOK("cuStreamEndCapture", "cuStreamEndCapture cuStreamEndCapture_ptsz", TS_CAT_GRAPH,
	     TS_SEM_CAPTURE_END, A(0, ROLE_STREAM), OUT(1, ROLE_OUT_GRAPH)),
	HOOK("cuGraphCreate", "cuGraphCreate", TS_CAT_GRAPH, TS_SEM_GRAPH_CREATE,
	     OUT(0, ROLE_OUT_GRAPH), A32(1, ROLE_FLAGS)),
	HOOK("cuGraphDestroy", "cuGraphDestroy", TS_CAT_GRAPH, TS_SEM_GRAPH_DESTROY,
	     A(0, ROLE_GRAPH)),
	HOOK("cuGraphInstantiate",
	     "cuGraphInstantiate cuGraphInstantiate_v2 cuGraphInstantiateWithFlags "
	     "cuGraphInstantiateWithParams cuGraphInstantiateWithParams_ptsz",
	     TS_CAT_GRAPH, TS_SEM_GRAPH_INSTANTIATE, OUT(0, ROLE_OUT_EXEC), A(1, ROLE_GRAPH)),
	HOOK("cuGraphExecDestroy", "cuGraphExecDestroy", TS_CAT_GRAPH, TS_SEM_GRAPH_EXEC_DESTROY,
	     A(0, ROLE_GRAPH_EXEC)),
	HOOK("cuGraphExecUpdate", "cuGraphExecUpdate cuGraphExecUpdate_v2", TS_CAT_GRAPH,
	     TS_SEM_GRAPH_EXEC_UPDATE, A(0, ROLE_GRAPH_EXEC), A(1, ROLE_GRAPH)),
	/* CUDA_KERNEL_NODE_PARAMS (v1 and v2 share these): func@0 grid@8 block@20 shmem@32 */
	HOOK("cuGraphAddKernelNode", "cuGraphAddKernelNode cuGraphAddKernelNode_v2", TS_CAT_GRAPH,
	     TS_SEM_GRAPH_ADD_KERNEL, OUT(0, ROLE_OUT_NODE), A(1, ROLE_GRAPH), KNODE_ARGS(4)),
	HOOK("cuGraphExecKernelNodeSetParams",
	     "cuGraphExecKernelNodeSetParams cuGraphExecKernelNodeSetParams_v2", TS_CAT_GRAPH,
	     TS_SEM_GRAPH_EXEC_KERNEL, A(0, ROLE_GRAPH_EXEC), A(1, ROLE_NODE), KNODE_ARGS(2)),
	/* a CUDA_MEMCPY3D: the memory types and the extent */
	HOOK("cuGraphAddMemcpyNode", "cuGraphAddMemcpyNode", TS_CAT_GRAPH, TS_SEM_GRAPH_ADD_MEMCPY,
	     OUT(0, ROLE_OUT_NODE), A(1, ROLE_GRAPH), D32(4, 32, ROLE_SRC_TYPE),
	     D32(4, 120, ROLE_DST_TYPE), D64(4, 176, ROLE_WIDTH), D64(4, 184, ROLE_HEIGHT),
	     D64(4, 192, ROLE_DEPTH)),
	/* CUDA_MEMSET_NODE_PARAMS: dst@0 value@16 elementSize@20 width@24 height@32 */
	HOOK("cuGraphAddMemsetNode", "cuGraphAddMemsetNode", TS_CAT_GRAPH, TS_SEM_GRAPH_ADD_MEMSET,
	     OUT(0, ROLE_OUT_NODE), A(1, ROLE_GRAPH), D64(4, 0, ROLE_DST), D32(4, 16, ROLE_VALUE),
	     D32(4, 20, ROLE_ELEM_SIZE), D64(4, 24, ROLE_WIDTH), D64(4, 32, ROLE_HEIGHT)),

	/* where kernel names come from */
	HOOK("cuModuleLoad", "cuModuleLoad", TS_CAT_MODULE, TS_SEM_NONE, OUT(0, ROLE_OUT_HANDLE),
	     STR(1)),
	HOOK("cuModuleLoadData", "cuModuleLoadData", TS_CAT_MODULE, TS_SEM_NONE,
	     OUT(0, ROLE_OUT_HANDLE), A(1, ROLE_IMAGE)),
	HOOK("cuModuleLoadDataEx", "cuModuleLoadDataEx", TS_CAT_MODULE, TS_SEM_NONE,
	     OUT(0, ROLE_OUT_HANDLE), A(1, ROLE_IMAGE)),
	HOOK("cuModuleLoadFatBinary", "cuModuleLoadFatBinary", TS_CAT_MODULE, TS_SEM_NONE,
	     OUT(0, ROLE_OUT_HANDLE), A(1, ROLE_IMAGE)),
	HOOK("cuModuleUnload", "cuModuleUnload", TS_CAT_MODULE, TS_SEM_NONE, A(0, ROLE_MODULE)),
	HOOK("cuModuleGetFunction", "cuModuleGetFunction", TS_CAT_MODULE, TS_SEM_NAME_FUNC,
	     OUT(0, ROLE_OUT_HANDLE), A(1, ROLE_MODULE), STR(2)),
	HOOK("cuLibraryLoadData", "cuLibraryLoadData", TS_CAT_MODULE, TS_SEM_NONE,
	     OUT(0, ROLE_OUT_HANDLE), A(1, ROLE_IMAGE)),
	HOOK("cuLibraryLoadFromFile", "cuLibraryLoadFromFile", TS_CAT_MODULE, TS_SEM_NONE,
	     OUT(0, ROLE_OUT_HANDLE), STR(1)),
	HOOK("cuLibraryUnload", "cuLibraryUnload", TS_CAT_MODULE, TS_SEM_NONE, A(0, ROLE_LIBRARY)),
	HOOK("cuLibraryGetKernel", "cuLibraryGetKernel", TS_CAT_MODULE, TS_SEM_NAME_KERNEL,
	     OUT(0, ROLE_OUT_HANDLE), A(1, ROLE_LIBRARY), STR(2)),
	HOOK("cuKernelGetFunction", "cuKernelGetFunction", TS_CAT_MODULE, TS_SEM_KERNEL_TO_FUNC,
	     OUT(0, ROLE_OUT_HANDLE), A(1, ROLE_KERNEL)),
	HOOK("cuFuncGetName", "cuFuncGetName", TS_CAT_MODULE, TS_SEM_GET_NAME, OUTSTR(0),
	     A(1, ROLE_FUNC)),
	HOOK("cuKernelGetName", "cuKernelGetName", TS_CAT_MODULE, TS_SEM_GET_NAME, OUTSTR(0),
	     A(1, ROLE_FUNC)),

	/* NCCL: communicators */
	NCCL("ncclGetUniqueId", TS_SEM_NCCL_UNIQUE_ID, OUT_HASH(0)),
	NCCL("ncclCommInitRank", TS_SEM_NCCL_INIT, OUT(0, ROLE_OUT_COMM), I32(1, ROLE_NRANKS),
	     I32(3, ROLE_RANK), HASH_ARG(2)),
	NCCL("ncclCommInitRankConfig", TS_SEM_NCCL_INIT, OUT(0, ROLE_OUT_COMM), I32(1, ROLE_NRANKS),
	     I32(3, ROLE_RANK), A(4, ROLE_CONFIG), HASH_ARG(2)),
	NCCL("ncclCommInitAll", TS_SEM_NCCL_INIT_ALL, OUT(0, ROLE_OUT_COMM), I32(1, ROLE_NRANKS),
	     A(2, ROLE_PTR)),
	NCCL("ncclCommSplit", TS_SEM_NCCL_SPLIT, A(0, ROLE_COMM), I32(1, ROLE_COLOR),
	     I32(2, ROLE_KEY), OUT(3, ROLE_OUT_COMM), A(4, ROLE_CONFIG)),
	NCCL("ncclCommFinalize", TS_SEM_NONE, A(0, ROLE_COMM)),
	NCCL("ncclCommDestroy", TS_SEM_NCCL_DESTROY, A(0, ROLE_COMM)),
	NCCL("ncclCommAbort", TS_SEM_NCCL_DESTROY, A(0, ROLE_COMM)),
	/* collectives */
	NCCL("ncclAllReduce", TS_SEM_NCCL_COLL, NCCL_BUFS, A32(4, ROLE_REDOP), A(5, ROLE_COMM),
	     A(6, ROLE_STREAM)),
	NCCL("ncclBroadcast", TS_SEM_NCCL_COLL, NCCL_BUFS, I32(4, ROLE_ROOT), A(5, ROLE_COMM),
	     A(6, ROLE_STREAM)),
	NCCL("ncclReduce", TS_SEM_NCCL_COLL, NCCL_BUFS, A32(4, ROLE_REDOP), I32(5, ROLE_ROOT),
	     A(6, ROLE_COMM), A(7, ROLE_STREAM)),
	NCCL("ncclAllGather", TS_SEM_NCCL_COLL, NCCL_BUFS, A(4, ROLE_COMM), A(5, ROLE_STREAM)),
	NCCL("ncclReduceScatter", TS_SEM_NCCL_COLL, NCCL_BUFS, A32(4, ROLE_REDOP), A(5, ROLE_COMM),
	     A(6, ROLE_STREAM)),
	NCCL("ncclAlltoAll", TS_SEM_NCCL_COLL, NCCL_BUFS, A(4, ROLE_COMM), A(5, ROLE_STREAM)),
	/* point to point: (buff, count, datatype, peer, comm, stream) */
	NCCL("ncclSend", TS_SEM_NCCL_P2P, A(0, ROLE_SENDBUF), A(1, ROLE_COUNT), A32(2, ROLE_DTYPE),
	     I32(3, ROLE_PEER), A(4, ROLE_COMM), A(5, ROLE_STREAM)),
	NCCL("ncclRecv", TS_SEM_NCCL_P2P, A(0, ROLE_RECVBUF), A(1, ROLE_COUNT), A32(2, ROLE_DTYPE),
	     I32(3, ROLE_PEER), A(4, ROLE_COMM), A(5, ROLE_STREAM)),
	NCCL0("ncclGroupStart", TS_SEM_NCCL_GROUP_START),
	NCCL0("ncclGroupEnd", TS_SEM_NCCL_GROUP_END),

	/* the CUDA runtime (--runtime-api): launches */
	RT("cudaLaunchKernel", "cudaLaunchKernel cudaLaunchKernel_ptsz", TS_SEM_RT_LAUNCH,
	   RT_LAUNCH_ARGS),
	RT("cudaLaunchCooperativeKernel",
	   "cudaLaunchCooperativeKernel cudaLaunchCooperativeKernel_ptsz", TS_SEM_RT_LAUNCH,
	   RT_LAUNCH_ARGS),
	/* cudaLaunchConfig_t: gridDim@0 blockDim@12 dynamicSmemBytes@24 stream@32 */
	RT("cudaLaunchKernelExC", "cudaLaunchKernelExC cudaLaunchKernelExC_ptsz", TS_SEM_RT_LAUNCH,
	   A(1, ROLE_HOST_FUNC), D32(0, 0, ROLE_GRID_X), D32(0, 4, ROLE_GRID_Y),
	   D32(0, 8, ROLE_GRID_Z), D32(0, 12, ROLE_BLOCK_X), D32(0, 16, ROLE_BLOCK_Y),
	   D32(0, 20, ROLE_BLOCK_Z), D64(0, 24, ROLE_SHMEM), D64(0, 32, ROLE_STREAM)),
	RT("cudaGraphLaunch", "cudaGraphLaunch cudaGraphLaunch_ptsz", TS_SEM_NONE,
	   A(0, ROLE_GRAPH_EXEC), A(1, ROLE_STREAM)),
	/* copies and memsets: (dst, src, count, kind[, stream]) */
	RT("cudaMemcpy", "cudaMemcpy cudaMemcpy_ptds", TS_SEM_NONE, RT_COPY_ARGS),
	RT("cudaMemcpyAsync", "cudaMemcpyAsync cudaMemcpyAsync_ptsz", TS_SEM_NONE, RT_COPY_ARGS,
	   A(4, ROLE_STREAM)),
	/* (dst, dpitch, src, spitch, width, height, kind[, stream]) */
	RT("cudaMemcpy2D", "cudaMemcpy2D cudaMemcpy2D_ptds", TS_SEM_NONE, RT_COPY2D_ARGS),
	RT("cudaMemcpy2DAsync", "cudaMemcpy2DAsync cudaMemcpy2DAsync_ptsz", TS_SEM_NONE,
	   RT_COPY2D_ARGS, A(7, ROLE_STREAM)),
	RT("cudaMemcpyPeer", "cudaMemcpyPeer", TS_SEM_NONE, RT_PEER_ARGS),
	RT("cudaMemcpyPeerAsync", "cudaMemcpyPeerAsync", TS_SEM_NONE, RT_PEER_ARGS,
	   A(5, ROLE_STREAM)),
	RT("cudaMemset", "cudaMemset cudaMemset_ptds", TS_SEM_NONE, A(0, ROLE_DST),
	   A32(1, ROLE_VALUE), A(2, ROLE_COUNT)),
	RT("cudaMemsetAsync", "cudaMemsetAsync cudaMemsetAsync_ptsz", TS_SEM_NONE, A(0, ROLE_DST),
	   A32(1, ROLE_VALUE), A(2, ROLE_COUNT), A(3, ROLE_STREAM)),
	/* memory: the driver calls inside count device memory, not these */
	RT("cudaMalloc", "cudaMalloc", TS_SEM_NONE, OUT(0, ROLE_OUT_PTR), A(1, ROLE_SIZE)),
	RT("cudaMallocManaged", "cudaMallocManaged", TS_SEM_NONE, OUT(0, ROLE_OUT_PTR),
	   A(1, ROLE_SIZE), A32(2, ROLE_FLAGS)),
	RT("cudaMallocAsync", "cudaMallocAsync cudaMallocAsync_ptsz", TS_SEM_NONE,
	   OUT(0, ROLE_OUT_PTR), A(1, ROLE_SIZE), A(2, ROLE_STREAM)),
	RT("cudaMallocFromPoolAsync", "cudaMallocFromPoolAsync cudaMallocFromPoolAsync_ptsz",
	   TS_SEM_NONE, OUT(0, ROLE_OUT_PTR), A(1, ROLE_SIZE), A(2, ROLE_POOL), A(3, ROLE_STREAM)),
	RT("cudaMallocHost", "cudaMallocHost", TS_SEM_NONE, OUT(0, ROLE_OUT_PTR), A(1, ROLE_SIZE)),
	RT("cudaHostAlloc", "cudaHostAlloc", TS_SEM_NONE, OUT(0, ROLE_OUT_PTR), A(1, ROLE_SIZE),
	   A32(2, ROLE_FLAGS)),
	RT("cudaFree", "cudaFree", TS_SEM_NONE, A(0, ROLE_PTR)),
	RT("cudaFreeHost", "cudaFreeHost", TS_SEM_NONE, A(0, ROLE_PTR)),
	RT("cudaFreeAsync", "cudaFreeAsync cudaFreeAsync_ptsz", TS_SEM_NONE, A(0, ROLE_PTR),
	   A(1, ROLE_STREAM)),
	/* the device, synchronization, events */
	RT("cudaSetDevice", "cudaSetDevice", TS_SEM_NONE, I32(0, ROLE_DEVICE)),
	RT0("cudaDeviceSynchronize", "cudaDeviceSynchronize"),
	RT("cudaStreamSynchronize", "cudaStreamSynchronize cudaStreamSynchronize_ptsz", TS_SEM_NONE,
	   A(0, ROLE_STREAM)),
	RT("cudaEventSynchronize", "cudaEventSynchronize", TS_SEM_NONE, A(0, ROLE_EVENT)),
	RT("cudaEventRecord", "cudaEventRecord cudaEventRecord_ptsz", TS_SEM_NONE, A(0, ROLE_EVENT),
	   A(1, ROLE_STREAM)),
	RT("cudaEventRecordWithFlags", "cudaEventRecordWithFlags cudaEventRecordWithFlags_ptsz",
	   TS_SEM_NONE, A(0, ROLE_EVENT), A(1, ROLE_STREAM), A32(2, ROLE_FLAGS)),
	RT("cudaStreamWaitEvent", "cudaStreamWaitEvent cudaStreamWaitEvent_ptsz", TS_SEM_NONE,
	   A(0, ROLE_STREAM), A(1, ROLE_EVENT), A32(2, ROLE_FLAGS)),
	/* kernel registration (nvcc's constructors): host stubs named */
	RTF("__cudaRegisterFatBinary", TS_SEM_NONE, TS_HF_NO_RESULT, A(0, ROLE_IMAGE)),
	RTF("__cudaRegisterFatBinaryEnd", TS_SEM_NONE, TS_HF_NO_RESULT, A(0, ROLE_HANDLE)),
	RTF("__cudaUnregisterFatBinary", TS_SEM_NONE, TS_HF_NO_RESULT, A(0, ROLE_HANDLE)),
	/* (handle, hostFun, deviceFun: the mangled name, deviceName, ...) */
	RTF("__cudaRegisterFunction", TS_SEM_RT_REGISTER, TS_HF_NO_RESULT, A(0, ROLE_HANDLE),
	    A(1, ROLE_HOST_FUNC), STR(2)),
};

const unsigned int ts_nhooks = sizeof(ts_hooks) / sizeof(ts_hooks[0]);

_Static_assert(sizeof(ts_hooks) / sizeof(ts_hooks[0]) <= TS_MAX_HOOKS, "hook table too big");

const struct ts_role_info ts_roles[ROLE__COUNT] = {
	[ROLE_NONE] = { "", TS_FMT_HIDDEN },
	[ROLE_FUNC] = { "function", TS_FMT_HEX },
	[ROLE_GRID_X] = { "grid_x", TS_FMT_HIDDEN },
	[ROLE_GRID_Y] = { "grid_y", TS_FMT_HIDDEN },
	[ROLE_GRID_Z] = { "grid_z", TS_FMT_HIDDEN },
	[ROLE_BLOCK_X] = { "block_x", TS_FMT_HIDDEN },
	[ROLE_BLOCK_Y] = { "block_y", TS_FMT_HIDDEN },
	[ROLE_BLOCK_Z] = { "block_z", TS_FMT_HIDDEN },
	[ROLE_SHMEM] = { "shared_memory_bytes", TS_FMT_DEC },
	[ROLE_STREAM] = { "stream", TS_FMT_HEX },
	[ROLE_LAUNCH_CFG] = { "config", TS_FMT_HIDDEN },
	[ROLE_DST] = { "dst_address", TS_FMT_HEX },
	[ROLE_SRC] = { "src_address", TS_FMT_HEX },
	[ROLE_BYTES] = { "size_bytes", TS_FMT_DEC },
	[ROLE_COUNT] = { "count", TS_FMT_DEC },
	[ROLE_VALUE] = { "value", TS_FMT_HEX },
	[ROLE_OUT_PTR] = { "ptr", TS_FMT_HEX },
	[ROLE_SIZE] = { "size_bytes", TS_FMT_DEC },
	[ROLE_PTR] = { "ptr", TS_FMT_HEX },
	[ROLE_OUT_HANDLE] = { "handle", TS_FMT_HEX },
	[ROLE_HANDLE] = { "handle", TS_FMT_HEX },
	[ROLE_CTX] = { "context", TS_FMT_HEX },
	[ROLE_DST_CTX] = { "dst_context", TS_FMT_HEX },
	[ROLE_SRC_CTX] = { "src_context", TS_FMT_HEX },
	[ROLE_DEVICE] = { "device", TS_FMT_DEC },
	[ROLE_NAME] = { "name", TS_FMT_HIDDEN },
	[ROLE_KERNEL] = { "kernel", TS_FMT_HEX },
	[ROLE_EVENT] = { "event", TS_FMT_HEX },
	[ROLE_GRAPH_EXEC] = { "graph_exec", TS_FMT_HEX },
	[ROLE_FLAGS] = { "flags", TS_FMT_HEX },
	[ROLE_PRIORITY] = { "priority", TS_FMT_DEC },
	[ROLE_VERSION] = { "cuda_version", TS_FMT_DEC },
	[ROLE_POOL] = { "pool", TS_FMT_HEX },
	[ROLE_MODULE] = { "module", TS_FMT_HEX },
	[ROLE_LIBRARY] = { "library", TS_FMT_HEX },
	[ROLE_IMAGE] = { "image", TS_FMT_HEX },
	[ROLE_OUT_FUNC_PTR] = { "pfn", TS_FMT_HEX },
	[ROLE_SRC_TYPE] = { "src_memory_type", TS_FMT_DEC },
	[ROLE_DST_TYPE] = { "dst_memory_type", TS_FMT_DEC },
	[ROLE_SRC_HOST] = { "src_host", TS_FMT_HIDDEN },
	[ROLE_SRC_DEVICE] = { "src_device", TS_FMT_HIDDEN },
	[ROLE_DST_HOST] = { "dst_host", TS_FMT_HIDDEN },
	[ROLE_DST_DEVICE] = { "dst_device", TS_FMT_HIDDEN },
	[ROLE_WIDTH] = { "width_bytes", TS_FMT_DEC },
	[ROLE_HEIGHT] = { "height", TS_FMT_DEC },
	[ROLE_DEPTH] = { "depth", TS_FMT_DEC },
	[ROLE_GRAPH] = { "graph", TS_FMT_HEX },
	[ROLE_OUT_GRAPH] = { "graph", TS_FMT_HEX },
	[ROLE_OUT_EXEC] = { "graph_exec", TS_FMT_HEX },
	[ROLE_NODE] = { "node", TS_FMT_HEX },
	[ROLE_OUT_NODE] = { "node", TS_FMT_HEX },
	[ROLE_ELEM_SIZE] = { "element_size", TS_FMT_DEC },
	[ROLE_SENDBUF] = { "sendbuff", TS_FMT_HEX },
	[ROLE_RECVBUF] = { "recvbuff", TS_FMT_HEX },
	[ROLE_DTYPE] = { "datatype", TS_FMT_DEC },
	[ROLE_REDOP] = { "redop", TS_FMT_DEC },
	[ROLE_ROOT] = { "root", TS_FMT_DEC },
	[ROLE_PEER] = { "peer", TS_FMT_DEC },
	[ROLE_COMM] = { "comm", TS_FMT_HEX },
	[ROLE_OUT_COMM] = { "comm", TS_FMT_HEX },
	[ROLE_NRANKS] = { "nranks", TS_FMT_DEC },
	[ROLE_RANK] = { "rank", TS_FMT_DEC },
	[ROLE_ID_HASH] = { "unique_id_hash", TS_FMT_HEX },
	[ROLE_COLOR] = { "color", TS_FMT_DEC },
	[ROLE_KEY] = { "key", TS_FMT_DEC },
	[ROLE_CONFIG] = { "config", TS_FMT_HIDDEN },
	[ROLE_HOST_FUNC] = { "host_function", TS_FMT_HEX },
	[ROLE_COPY_KIND] = { "copy_kind", TS_FMT_DEC },
};

static const char *const nccl_results[] = {
	"ncclSuccess",	       "ncclUnhandledCudaError", "ncclSystemError", "ncclInternalError",
	"ncclInvalidArgument", "ncclInvalidUsage",	 "ncclRemoteError", "ncclInProgress",
};

/* cudaError_t: the values a runtime without a working driver or device returns, and the first */
static const char *const cudart_results[] = {
	[0] = "cudaSuccess",
	[1] = "cudaErrorInvalidValue",
	[2] = "cudaErrorMemoryAllocation",
	[3] = "cudaErrorInitializationError",
	[4] = "cudaErrorCudartUnloading",
	[34] = "cudaErrorStubLibrary",
	[35] = "cudaErrorInsufficientDriver",
	[100] = "cudaErrorNoDevice",
	[101] = "cudaErrorInvalidDevice",
};

const struct ts_lib_def ts_libs[TS_LIB__COUNT] = {
	[TS_LIB_CUDA] = { "libcuda", "libcuda.so.1", false, NULL, 0,
			  .not_ready = TS_CUDA_ERROR_NOT_READY },
	[TS_LIB_NCCL] = { "libnccl", "libnccl.so.2", true, nccl_results, ARRAY_SIZE(nccl_results),
			  .not_ready = 7 /* ncclInProgress */ },
	/* any version: the names hooked are the same in CUDA 12's and 13's */
	[TS_LIB_CUDART] = { "libcudart", "libcudart.so", true, cudart_results,
			    ARRAY_SIZE(cudart_results), .opt_in = true, .shares_corr = true,
			    .not_ready = 600 /* cudaErrorNotReady */ },
};

bool ts_lib_watched(unsigned int lib, bool opt_in)
{
	return lib < TS_LIB__COUNT && ts_libs[lib].upper && (opt_in || !ts_libs[lib].opt_in);
}

const char *ts_hook_result_name(const struct ts_hook *h, int ret, char *buf, size_t len)
{
	const struct ts_lib_def *l = h && h->lib < TS_LIB__COUNT ? &ts_libs[h->lib] : NULL;

	if (!l || !l->results)
		return ts_cu_result_name(ret, buf, len);
	if (ret >= 0 && (unsigned int)ret < l->nresults && l->results[ret])
		return l->results[ret];
	snprintf(buf, len, "%s result %d", l->name, ret);
	return buf;
}

bool ts_hook_failed(const struct ts_hook *h, int ret)
{
	unsigned int lib = h && h->lib < TS_LIB__COUNT ? h->lib : TS_LIB_CUDA;

	/* a void call leaves whatever was in the result register */
	if (h && (h->flags & TS_HF_NO_RESULT))
		return false;
	return ret && ret != ts_libs[lib].not_ready;
}

const char *ts_cat_name(enum ts_cat cat)
{
	static const char *const names[TS_CAT__COUNT] = {
		[TS_CAT_INIT] = "init",	    [TS_CAT_LAUNCH] = "launch",
		[TS_CAT_MEMCPY] = "memcpy", [TS_CAT_MEMSET] = "memset",
		[TS_CAT_MEMORY] = "memory", [TS_CAT_SYNC] = "sync",
		[TS_CAT_STREAM] = "stream", [TS_CAT_CONTEXT] = "context",
		[TS_CAT_MODULE] = "module", [TS_CAT_GRAPH] = "graph",
		[TS_CAT_NCCL] = "nccl",	    [TS_CAT_RUNTIME] = "cuda_runtime",
	};
	return (unsigned int)cat < TS_CAT__COUNT ? names[cat] : "unknown";
}

const char *ts_dir_name(enum ts_dir dir)
{
	static const char *const names[] = {
		[TS_DIR_NONE] = "",	      [TS_DIR_HTOD] = "HtoD", [TS_DIR_DTOH] = "DtoH",
		[TS_DIR_DTOD] = "DtoD",	      [TS_DIR_HTOH] = "HtoH", [TS_DIR_PEER] = "Peer",
		[TS_DIR_DEFAULT] = "Default",
	};
	return (unsigned int)dir <= TS_DIR_DEFAULT ? names[dir] : "";
}

bool ts_hook_wants_stack(const struct ts_hook *h)
{
	switch (h->cat) {
	case TS_CAT_LAUNCH:
	case TS_CAT_MEMCPY:
	case TS_CAT_MEMSET:
		return true;
	default:
		break;
	}
	return h->sem == TS_SEM_ALLOC || h->sem == TS_SEM_FREE || h->sem == TS_SEM_GRAPH_LAUNCH ||
	       (h->flags & TS_HF_SYNCHRONIZE);
}

void ts_hook_spec(const struct ts_hook *h, struct ts_hook_spec *spec)
{
	unsigned int i;

	memset(spec, 0, sizeof(*spec));
	spec->nvals = h->nvals;
	/* an upper library's call says when it began: the driver calls inside it join it */
	if (ts_hook_may_block(h) || (h->lib < TS_LIB__COUNT && ts_libs[h->lib].upper))
		spec->flags |= TS_SPEC_F_ENTER;
	if (h->lib < TS_LIB__COUNT && ts_libs[h->lib].upper)
		spec->flags |= TS_SPEC_F_UPPER;
	if (ts_hook_wants_stack(h))
		spec->flags |= TS_SPEC_F_STACK;
	spec->flags |= TS_SPEC_F_ARGS;
	for (i = 0; i < h->nvals; i++) {
		unsigned int slot = ts_abi_slot(h, i);

		if (h->vals[i].op != TS_OP_ARG || slot != i)
			spec->flags &= ~TS_SPEC_F_ARGS;
		spec->vals[i].op = h->vals[i].op;
		spec->vals[i].arg = slot;
		spec->vals[i].off = h->vals[i].off;
		if (h->vals[i].op == TS_OP_STR || h->vals[i].op == TS_OP_OUT_STR)
			spec->flags |= TS_SPEC_F_STR;
		if (h->vals[i].op != TS_OP_NONE && h->vals[i].op != TS_OP_ARG)
			spec->flags |= TS_SPEC_F_READS;
		/* the stack slots up to the last one a value is in, read at entry in one read */
		if (h->vals[i].op != TS_OP_NONE && slot >= ts_abi_arg_regs &&
		    slot - ts_abi_arg_regs + 1 > spec->nstack)
			spec->nstack = slot - ts_abi_arg_regs + 1;
	}
}

uint64_t ts_ctype_value(enum ts_ctype type, uint64_t v)
{
	switch (type) {
	case TS_T_U32:
		return (uint32_t)v;
	case TS_T_I32:
		return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
	case TS_T_U16:
		return (uint16_t)v;
	case TS_T_U8:
		return (uint8_t)v;
	case TS_T_HI32:
		return v >> 32;
	default:
		return v;
	}
}

bool ts_ctype_signed(enum ts_ctype type)
{
	return type == TS_T_I32;
}

bool ts_hook_may_block(const struct ts_hook *h)
{
	return h->flags & TS_HF_BLOCKS;
}

/*
 * NVIDIA's ABI spells it in the name: the _ptsz (async) and _ptds (sync)
 * variants take stream 0 as the calling thread's default stream. This is the
 * one place that reads it from a name.
 */
bool ts_sym_per_thread(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && (!strcmp(name + n - 5, "_ptsz") || !strcmp(name + n - 5, "_ptds"));
}

/* role -> value index of every row, made once: the decoder asks per value of every call */
static int8_t role_index[TS_MAX_HOOKS][ROLE__COUNT];
static bool role_index_made;

static void make_role_index(void)
{
	unsigned int h, i;

	memset(role_index, -1, sizeof(role_index));
	for (h = 0; h < ts_nhooks && h < TS_MAX_HOOKS; h++)
		for (i = ts_hooks[h].nvals; i-- > 0;) /* the first of a role wins */
			if (ts_hooks[h].vals[i].role < ROLE__COUNT)
				role_index[h][ts_hooks[h].vals[i].role] = i;
	role_index_made = true;
}

int ts_hook_role(const struct ts_hook *h, enum ts_role role)
{
	ptrdiff_t row = h - ts_hooks;
	unsigned int i;

	if (row >= 0 && row < (ptrdiff_t)ts_nhooks && row < TS_MAX_HOOKS &&
	    (unsigned int)role < ROLE__COUNT) {
		if (!role_index_made)
			make_role_index();
		return role_index[row][role];
	}
	for (i = 0; i < h->nvals; i++)
		if (h->vals[i].role == role)
			return i;
	return -1;
}

const struct ts_hook *ts_hook_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < ts_nhooks; i++)
		if (!strcmp(ts_hooks[i].name, name))
			return &ts_hooks[i];
	return NULL;
}

unsigned int ts_syms(const struct ts_sym **out)
{
	static struct ts_sym *syms;
	static unsigned int nsyms;
	unsigned int i, cap = 0;

	if (!syms) {
		for (i = 0; i < ts_nhooks; i++) {
			const char *p = ts_hooks[i].symbols;

			for (cap++; (p = strchr(p, ' ')); p++)
				cap++;
		}
		syms = calloc(cap, sizeof(*syms));
		if (!syms)
			return 0;
		for (i = 0; i < ts_nhooks; i++) {
			char *copy = strdup(ts_hooks[i].symbols), *tok, *save = NULL;

			if (!copy)
				return 0;
			/* the strings live as long as the program: syms is never freed */
			for (tok = strtok_r(copy, " ", &save); tok;
			     tok = strtok_r(NULL, " ", &save))
				syms[nsyms++] = (struct ts_sym){ tok, i, ts_sym_per_thread(tok) };
		}
	}
	*out = syms;
	return nsyms;
}
