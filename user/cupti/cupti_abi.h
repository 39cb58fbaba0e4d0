/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The part of CUPTI's ABI that --gpu-time uses, declared here as the driver's
 * signatures are (hooks.c): facts from CUDA 13.0's cupti_*.h, so nothing is
 * built against the toolkit and libcupti is dlopen'ed at run time.
 *
 * Activity records are read by offset, never through a struct of one CUPTI
 * version: the fields read here sit at the same offsets in every record
 * version CUPTI 12.0 (API 18) and later write (CUpti_ActivityKernel9/10,
 * Memcpy5/6, Memset4), and cuptiActivityGetNextRecord walks each record's
 * real size.
 */
#ifndef TS_CUPTI_ABI_H
#define TS_CUPTI_ABI_H

#include <stddef.h>
#include <stdint.h>

typedef int CUptiResult; /* 0: CUPTI_SUCCESS */
typedef void *CUpti_SubscriberHandle;

#define CUPTI_SUCCESS				       0
#define CUPTI_ERROR_MAX_LIMIT_REACHED		       12
#define CUPTI_ERROR_NOT_INITIALIZED		       15
#define CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED 39

/* CUpti_ActivityKind */
#define CUPTI_ACTIVITY_KIND_MEMCPY	      1
#define CUPTI_ACTIVITY_KIND_MEMSET	      2
#define CUPTI_ACTIVITY_KIND_KERNEL	      3
#define CUPTI_ACTIVITY_KIND_DEVICE	      8
#define CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL 10

/* CUpti_CallbackDomain, CUpti_ApiCallbackSite */
#define CUPTI_CB_DOMAIN_DRIVER_API 1
#define CUPTI_API_ENTER		   0

#define CUPTI_ACTIVITY_FLAG_FLUSH_FORCED 1

/* The oldest CUPTI whose record layouts are the ones read here (CUDA 12.0) */
#define TS_CUPTI_MIN_API_VERSION 18

/* CUpti_CallbackData: 72 bytes */
#define CUPTI_CBDATA_SITE	    0  /* uint32_t callbackSite */
#define CUPTI_CBDATA_CORRELATION_ID 64 /* uint32_t correlationId */
#define CUPTI_CBDATA_SIZE	    72

/* Every activity record starts with its kind (uint32_t CUpti_ActivityKind). */
/* CUpti_ActivityKernel4..10 (KERNEL, CONCURRENT_KERNEL) */
#define CUPTI_KERNEL_REGISTERS	    6	/* uint16_t registersPerThread */
#define CUPTI_KERNEL_START	    16	/* uint64_t start, end */
#define CUPTI_KERNEL_DEVICE	    40	/* uint32_t deviceId, contextId, streamId */
#define CUPTI_KERNEL_GRID	    52	/* int32_t gridX..Z, blockX..Z */
#define CUPTI_KERNEL_STATIC_SHMEM   76	/* int32_t staticSharedMemory, dynamicSharedMemory */
#define CUPTI_KERNEL_LOCAL_MEM	    84	/* uint32_t localMemoryPerThread, localMemoryTotal */
#define CUPTI_KERNEL_CORRELATION_ID 92	/* uint32_t */
#define CUPTI_KERNEL_NAME	    104 /* const char *name */
#define CUPTI_KERNEL_GRAPH_NODE	    144 /* uint64_t graphNodeId */
#define CUPTI_KERNEL_GRAPH_ID	    156 /* uint32_t graphId */
#define CUPTI_KERNEL_MIN_SIZE	    160
/* CUpti_ActivityDevice4/5 (DEVICE): the same offsets in both */
#define CUPTI_DEVICE_NUM_SMS   44  /* uint32_t numMultiprocessors */
#define CUPTI_DEVICE_MAX_WARPS 52  /* uint32_t maxWarpsPerMultiprocessor, maxBlocksPer.. */
#define CUPTI_DEVICE_MAX_SHMEM 60  /* uint32_t maxSharedMemoryPer.., maxRegistersPer.. */
#define CUPTI_DEVICE_CC	       104 /* uint32_t computeCapabilityMajor, ..Minor */
#define CUPTI_DEVICE_ID	       112 /* uint32_t id */
#define CUPTI_DEVICE_NAME      136 /* const char *name */
#define CUPTI_DEVICE_MIN_SIZE  176
/* CUpti_ActivityMemcpy5/6 */
#define CUPTI_MEMCPY_COPY_KIND	4  /* uint8_t copyKind, srcKind, dstKind */
#define CUPTI_MEMCPY_BYTES	8  /* uint64_t bytes, start, end */
#define CUPTI_MEMCPY_DEVICE	32 /* uint32_t deviceId, contextId, streamId, correlationId */
#define CUPTI_MEMCPY_GRAPH_NODE 64 /* uint64_t graphNodeId */
#define CUPTI_MEMCPY_GRAPH_ID	72 /* uint32_t graphId */
#define CUPTI_MEMCPY_MIN_SIZE	80
/* CUpti_ActivityMemset4: as a memcpy, but uint32_t value at 4 */
#define CUPTI_MEMSET_VALUE 4

/* CUpti_ActivityMemcpyKind: copyKind */
#define CUPTI_MEMCPY_HTOD 1
#define CUPTI_MEMCPY_DTOH 2
#define CUPTI_MEMCPY_DTOD 8
#define CUPTI_MEMCPY_HTOH 9
#define CUPTI_MEMCPY_PTOP 10

typedef void (*CUpti_CallbackFunc)(void *userdata, uint32_t domain, uint32_t cbid,
				   const void *cbdata);
typedef void (*CUpti_BuffersCallbackRequestFunc)(uint8_t **buffer, size_t *size,
						 size_t *max_records);
typedef void (*CUpti_BuffersCallbackCompleteFunc)(void *ctx, uint32_t stream_id, uint8_t *buffer,
						  size_t size, size_t valid_size);

/* The functions used, as dlsym finds them. */
#define TS_CUPTI_FUNCS                                                                             \
	F(cuptiGetVersion, CUptiResult, (uint32_t * version))                                      \
	F(cuptiGetResultString, CUptiResult, (CUptiResult r, const char **s))                      \
	F(cuptiGetTimestamp, CUptiResult, (uint64_t * ts))                                         \
	F(cuptiSubscribe, CUptiResult,                                                             \
	  (CUpti_SubscriberHandle * sub, CUpti_CallbackFunc cb, void *userdata))                   \
	F(cuptiUnsubscribe, CUptiResult, (CUpti_SubscriberHandle sub))                             \
	F(cuptiEnableCallback, CUptiResult,                                                        \
	  (uint32_t enable, CUpti_SubscriberHandle sub, uint32_t domain, uint32_t cbid))           \
	F(cuptiActivityEnable, CUptiResult, (uint32_t kind))                                       \
	F(cuptiActivityDisable, CUptiResult, (uint32_t kind))                                      \
	F(cuptiActivityRegisterCallbacks, CUptiResult,                                             \
	  (CUpti_BuffersCallbackRequestFunc req, CUpti_BuffersCallbackCompleteFunc done))          \
	F(cuptiActivityGetNextRecord, CUptiResult,                                                 \
	  (uint8_t * buffer, size_t valid_size, void **record))                                    \
	F(cuptiActivityGetNumDroppedRecords, CUptiResult,                                          \
	  (void *ctx, uint32_t stream_id, size_t *dropped))                                        \
	F(cuptiActivityFlushAll, CUptiResult, (uint32_t flag))

/* Optional (CUPTI 11.? and later): periodic flushes; without it, buffers flush when full. */
typedef CUptiResult (*ts_cupti_flush_period_fn)(uint32_t ms);

#endif
