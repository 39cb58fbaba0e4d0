/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * NCCL's types and the signatures the tracer hooks, written here from nccl.h
 * (NCCL 2.28) for the stand-in library and its test program: the build never
 * reads the toolkit's header.
 */
#ifndef FAKE_NCCL_TYPES_H
#define FAKE_NCCL_TYPES_H

#include <stddef.h>

#define NCCL_UNIQUE_ID_BYTES 128
typedef struct {
	char internal[NCCL_UNIQUE_ID_BYTES];
} ncclUniqueId;

typedef enum {
	ncclSuccess = 0,
	ncclUnhandledCudaError = 1,
	ncclSystemError = 2,
	ncclInternalError = 3,
	ncclInvalidArgument = 4,
	ncclInvalidUsage = 5,
	ncclRemoteError = 6,
	ncclInProgress = 7,
} ncclResult_t;

typedef enum { ncclSum = 0, ncclProd = 1, ncclMax = 2, ncclMin = 3, ncclAvg = 4 } ncclRedOp_t;

typedef enum {
	ncclInt8 = 0,
	ncclUint8 = 1,
	ncclInt32 = 2,
	ncclUint32 = 3,
	ncclInt64 = 4,
	ncclUint64 = 5,
	ncclFloat16 = 6,
	ncclFloat32 = 7,
	ncclFloat64 = 8,
	ncclBfloat16 = 9,
} ncclDataType_t;

typedef struct ncclComm *ncclComm_t;
typedef struct ncclConfig_v22800 ncclConfig_t; /* opaque here */
typedef struct CUstream_st *cudaStream_t;

#define NCCL_SIGS(X)                                                                               \
	X(ncclGetUniqueId, (ncclUniqueId * id))                                                    \
	X(ncclCommInitRank, (ncclComm_t * comm, int nranks, ncclUniqueId id, int rank))            \
	X(ncclCommInitRankConfig,                                                                  \
	  (ncclComm_t * comm, int nranks, ncclUniqueId id, int rank, ncclConfig_t *config))        \
	X(ncclCommInitAll, (ncclComm_t * comm, int ndev, const int *devlist))                      \
	X(ncclCommSplit,                                                                           \
	  (ncclComm_t comm, int color, int key, ncclComm_t *newcomm, ncclConfig_t *config))        \
	X(ncclCommDestroy, (ncclComm_t comm))                                                      \
	X(ncclCommAbort, (ncclComm_t comm))                                                        \
	X(ncclAllReduce,                                                                           \
	  (const void *sendbuff, void *recvbuff, size_t count, ncclDataType_t datatype,            \
	   ncclRedOp_t op, ncclComm_t comm, cudaStream_t stream))                                  \
	X(ncclBroadcast,                                                                           \
	  (const void *sendbuff, void *recvbuff, size_t count, ncclDataType_t datatype, int root,  \
	   ncclComm_t comm, cudaStream_t stream))                                                  \
	X(ncclReduce,                                                                              \
	  (const void *sendbuff, void *recvbuff, size_t count, ncclDataType_t datatype,            \
	   ncclRedOp_t op, int root, ncclComm_t comm, cudaStream_t stream))                        \
	X(ncclAllGather, (const void *sendbuff, void *recvbuff, size_t sendcount,                  \
			  ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream))          \
	X(ncclReduceScatter,                                                                       \
	  (const void *sendbuff, void *recvbuff, size_t recvcount, ncclDataType_t datatype,        \
	   ncclRedOp_t op, ncclComm_t comm, cudaStream_t stream))                                  \
	X(ncclAlltoAll, (const void *sendbuff, void *recvbuff, size_t count,                       \
			 ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream))           \
	X(ncclSend, (const void *sendbuff, size_t count, ncclDataType_t datatype, int peer,        \
		     ncclComm_t comm, cudaStream_t stream))                                        \
	X(ncclRecv, (void *recvbuff, size_t count, ncclDataType_t datatype, int peer,              \
		     ncclComm_t comm, cudaStream_t stream))                                        \
	X(ncclGroupStart, (void))                                                                  \
	X(ncclGroupEnd, (void))

#endif
