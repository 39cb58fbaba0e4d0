// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A stand-in libnccl.so.2 for the tests: NCCL's exported names and
 * signatures (nccl_types.h), driving the stand-in libcuda as NCCL drives the
 * driver. A collective outside a group launches one kernel on the caller's
 * stream with cuLaunchKernel, inside the call; operations inside
 * ncclGroupStart/End launch one kernel at the outermost ncclGroupEnd. The
 * driver is the process's (loaded RTLD_GLOBAL by the program): found by name.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "nccl_types.h"

#define API __attribute__((visibility("default"), noinline))

typedef int CUresult;
typedef struct CUfunc_st *CUfunction;
typedef struct CUmod_st *CUmodule;

struct ncclComm {
	int nranks, rank;
};

static int group_depth, group_ops;
static cudaStream_t group_stream;

static void *cu(const char *name)
{
	return dlsym(RTLD_DEFAULT, name);
}

/* Launch the kernel named name on stream: one cuLaunchKernel, as NCCL's enqueue does. */
static ncclResult_t launch(const char *name, cudaStream_t stream)
{
	CUresult (*load)(CUmodule *, const void *) = cu("cuModuleLoadData");
	CUresult (*getf)(CUfunction *, CUmodule, const char *) = cu("cuModuleGetFunction");
	CUresult (*go)(CUfunction, unsigned int, unsigned int, unsigned int, unsigned int,
		       unsigned int, unsigned int, unsigned int, cudaStream_t, void **, void **) =
		cu("cuLaunchKernel");
	static CUmodule mod;
	CUfunction f;

	if (!load || !getf || !go)
		return ncclUnhandledCudaError;
	if (!mod && load(&mod, "fake nccl image"))
		return ncclUnhandledCudaError;
	if (getf(&f, mod, name))
		return ncclUnhandledCudaError;
	return go(f, 2, 1, 1, 256, 1, 1, 0, stream, NULL, NULL) ? ncclUnhandledCudaError
								: ncclSuccess;
}

/* An operation: queued in a group, else launched now. */
static ncclResult_t enqueue(ncclComm_t comm, const char *kernel, cudaStream_t stream)
{
	if (!comm)
		return ncclInvalidArgument;
	if (group_depth) {
		if (!group_ops++)
			group_stream = stream;
		return ncclSuccess;
	}
	return launch(kernel, stream);
}

API ncclResult_t ncclGetUniqueId(ncclUniqueId *id)
{
	uint64_t seed = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	unsigned int i;

	if (!id)
		return ncclInvalidArgument;
	for (i = 0; i < sizeof(id->internal); i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		id->internal[i] = (char)(seed >> 56);
	}
	return ncclSuccess;
}

static ncclResult_t init(ncclComm_t *comm, int nranks, int rank)
{
	if (!comm || nranks < 1 || rank < 0 || rank >= nranks)
		return ncclInvalidArgument;
	*comm = calloc(1, sizeof(**comm));
	if (!*comm)
		return ncclSystemError;
	(*comm)->nranks = nranks;
	(*comm)->rank = rank;
	return ncclSuccess;
}

API ncclResult_t ncclCommInitRank(ncclComm_t *comm, int nranks, ncclUniqueId id, int rank)
{
	(void)id;
	return init(comm, nranks, rank);
}

API ncclResult_t ncclCommInitRankConfig(ncclComm_t *comm, int nranks, ncclUniqueId id, int rank,
					ncclConfig_t *config)
{
	(void)id;
	(void)config;
	return init(comm, nranks, rank);
}

API ncclResult_t ncclCommInitAll(ncclComm_t *comm, int ndev, const int *devlist)
{
	int i;

	(void)devlist;
	for (i = 0; i < ndev; i++)
		if (init(&comm[i], ndev, i))
			return ncclSystemError;
	return ncclSuccess;
}

API ncclResult_t ncclCommSplit(ncclComm_t comm, int color, int key, ncclComm_t *newcomm,
			       ncclConfig_t *config)
{
	(void)color;
	(void)config;
	return comm ? init(newcomm, 1, key < 0 ? 0 : 0) : ncclInvalidArgument;
}

API ncclResult_t ncclCommDestroy(ncclComm_t comm)
{
	free(comm);
	return ncclSuccess;
}

API ncclResult_t ncclCommAbort(ncclComm_t comm)
{
	free(comm);
	return ncclSuccess;
}

API ncclResult_t ncclAllReduce(const void *sendbuff, void *recvbuff, size_t count,
			       ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm,
			       cudaStream_t stream)
{
	(void)sendbuff, (void)recvbuff, (void)count, (void)datatype, (void)op;
	return enqueue(comm, "ncclDevKernel_AllReduce_Sum_f32_RING_LL", stream);
}

API ncclResult_t ncclBroadcast(const void *sendbuff, void *recvbuff, size_t count,
			       ncclDataType_t datatype, int root, ncclComm_t comm,
			       cudaStream_t stream)
{
	(void)sendbuff, (void)recvbuff, (void)count, (void)datatype;
	if (comm && (root < 0 || root >= comm->nranks))
		return ncclInvalidArgument;
	return enqueue(comm, "ncclDevKernel_Broadcast_RING_LL", stream);
}

API ncclResult_t ncclReduce(const void *sendbuff, void *recvbuff, size_t count,
			    ncclDataType_t datatype, ncclRedOp_t op, int root, ncclComm_t comm,
			    cudaStream_t stream)
{
	(void)sendbuff, (void)recvbuff, (void)count, (void)datatype, (void)op, (void)root;
	return enqueue(comm, "ncclDevKernel_Reduce_Sum_f32_RING_LL", stream);
}

API ncclResult_t ncclAllGather(const void *sendbuff, void *recvbuff, size_t sendcount,
			       ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream)
{
	(void)sendbuff, (void)recvbuff, (void)sendcount, (void)datatype;
	return enqueue(comm, "ncclDevKernel_AllGather_RING_LL", stream);
}

API ncclResult_t ncclReduceScatter(const void *sendbuff, void *recvbuff, size_t recvcount,
				   ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm,
				   cudaStream_t stream)
{
	(void)sendbuff, (void)recvbuff, (void)recvcount, (void)datatype, (void)op;
	return enqueue(comm, "ncclDevKernel_ReduceScatter_Sum_f32_RING_LL", stream);
}

API ncclResult_t ncclAlltoAll(const void *sendbuff, void *recvbuff, size_t count,
			      ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream)
{
	(void)sendbuff, (void)recvbuff, (void)count, (void)datatype;
	return enqueue(comm, "ncclDevKernel_SendRecv", stream);
}

API ncclResult_t ncclSend(const void *sendbuff, size_t count, ncclDataType_t datatype, int peer,
			  ncclComm_t comm, cudaStream_t stream)
{
	(void)sendbuff, (void)count, (void)datatype, (void)peer;
	return enqueue(comm, "ncclDevKernel_SendRecv", stream);
}

API ncclResult_t ncclRecv(void *recvbuff, size_t count, ncclDataType_t datatype, int peer,
			  ncclComm_t comm, cudaStream_t stream)
{
	(void)recvbuff, (void)count, (void)datatype, (void)peer;
	return enqueue(comm, "ncclDevKernel_SendRecv", stream);
}

API ncclResult_t ncclGroupStart(void)
{
	group_depth++;
	return ncclSuccess;
}

API ncclResult_t ncclGroupEnd(void)
{
	if (!group_depth)
		return ncclInvalidUsage;
	if (--group_depth || !group_ops)
		return ncclSuccess;
	group_ops = 0;
	/* FAKENCCL_GROUP_END_US: a group that hangs (a peer that never comes), as long as a test needs */
	if (getenv("FAKENCCL_GROUP_END_US")) {
		long us = atol(getenv("FAKENCCL_GROUP_END_US"));
		struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

		while (nanosleep(&ts, &ts))
			;
	}
	/* the group's operations run as one kernel, launched here */
	return launch("ncclDevKernel_SendRecv", group_stream);
}
