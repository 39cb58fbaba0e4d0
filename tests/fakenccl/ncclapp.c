// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The NCCL tests' program: loads the driver, then, later and from the path
 * given (a folder the tracer is not told about), libnccl.so.2 with dlopen,
 * as PyTorch does from a wheel. `ranks N`: rank 0 makes the unique id, forks
 * ranks 1..N-1, and each rank runs nccl_workload.h's operations on its
 * communicator. `real`: NVIDIA's libnccl on a host without a GPU: an id, then
 * an init that fails. With `--wait-file F` it says "nccl loaded" on stderr
 * once NCCL is mapped, then waits for F to exist before its first NCCL call
 * (a tracer attached with -p in between finds NCCL mapped already).
 * `storm N` (make bench): one rank, N ncclAllReduce calls, timed.
 * `flight` (the flight recorder's NCCL triggers): one rank, NW_FLIGHT_ALLREDUCE
 * all-reduces, an ncclGroupEnd with no group (ncclInvalidUsage: a failure),
 * then a send/recv group (whose end the stand-in can make hang).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "nccl_types.h"
#include "nccl_workload.h"

typedef int CUresult;
typedef struct CUctx_st *CUcontext;

#define DECL(name, args) static ncclResult_t(*p_##name) args;
NCCL_SIGS(DECL)

static void *nccl;

static int load_nccl(const char *path)
{
	nccl = dlopen(path, RTLD_NOW);
	if (!nccl) {
		fprintf(stderr, "ncclapp: %s\n", dlerror());
		return -1;
	}
#define LOOK(name, args) p_##name = (ncclResult_t(*) args)dlsym(nccl, #name);
	NCCL_SIGS(LOOK)
	return 0;
}

/* cuInit, the primary context of device 0 made current, a stream */
static cudaStream_t cuda_setup(void *cuda)
{
	CUresult (*init)(unsigned int) = dlsym(cuda, "cuInit");
	CUresult (*retain)(CUcontext *, int) = dlsym(cuda, "cuDevicePrimaryCtxRetain");
	CUresult (*set)(CUcontext) = dlsym(cuda, "cuCtxSetCurrent");
	CUresult (*mk)(cudaStream_t *, unsigned int) = dlsym(cuda, "cuStreamCreate");
	cudaStream_t s = NULL;
	CUcontext ctx;

	if (!init || init(0) || retain(&ctx, 0) || set(ctx) || mk(&s, 0))
		return NULL;
	return s;
}

#define CHECK(call)                                                                                \
	do {                                                                                       \
		ncclResult_t r_ = (call);                                                          \
		if (r_) {                                                                          \
			fprintf(stderr, "ncclapp: %s: %d\n", #call, r_);                           \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

static int rank_main(void *cuda, ncclUniqueId id, int nranks, int rank)
{
	static char buf[1 << 16];
	cudaStream_t s = cuda_setup(cuda);
	ncclComm_t comm;
	int i;

	if (!s)
		return 1;
	CHECK(p_ncclCommInitRank(&comm, nranks, id, rank));
	for (i = 0; i < NW_ALLREDUCE_N; i++)
		CHECK(p_ncclAllReduce(buf, buf, NW_ALLREDUCE_COUNT, ncclFloat32, ncclSum, comm, s));
	CHECK(p_ncclBroadcast(buf, buf, NW_BCAST_COUNT, ncclInt32, 0, comm, s));
	CHECK(p_ncclReduce(buf, buf, NW_REDUCE_COUNT, ncclFloat64, ncclMax, nranks - 1, comm, s));
	CHECK(p_ncclAllGather(buf, buf, NW_ALLGATHER_COUNT, ncclFloat16, comm, s));
	CHECK(p_ncclReduceScatter(buf, buf, NW_RS_COUNT, ncclFloat32, ncclSum, comm, s));
	CHECK(p_ncclGroupStart());
	CHECK(p_ncclSend(buf, NW_P2P_COUNT, ncclUint8, (rank + 1) % nranks, comm, s));
	CHECK(p_ncclRecv(buf, NW_P2P_COUNT, ncclUint8, (rank + nranks - 1) % nranks, comm, s));
	CHECK(p_ncclGroupEnd());
	CHECK(p_ncclCommDestroy(comm));
	return 0;
}

static int mode_ranks(void *cuda, int nranks)
{
	ncclUniqueId id;
	int r, st, ret = 0;

	CHECK(p_ncclGetUniqueId(&id));
	fflush(NULL);
	for (r = 1; r < nranks; r++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		/* exit, not _exit: a rank ends as a program does, its atexit handlers run
		 * (--gpu-time's CUPTI hands its last records over then) */
		if (!pid)
			exit(rank_main(cuda, id, nranks, r));
	}
	ret = rank_main(cuda, id, nranks, 0);
	while (wait(&st) > 0)
		ret |= !WIFEXITED(st) || WEXITSTATUS(st);
	return ret;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The driver set up, and a communicator of one rank: 0, or 1 with what failed said. */
static int one_rank(void *cuda, cudaStream_t *s, ncclComm_t *comm)
{
	ncclUniqueId id;

	*s = cuda_setup(cuda);
	if (!*s)
		return 1;
	CHECK(p_ncclGetUniqueId(&id));
	CHECK(p_ncclCommInitRank(comm, 1, id, 0));
	return 0;
}

/* One rank, n all-reduces of 1 KiB: what each costs, as the benchmark reads it */
static int mode_storm(void *cuda, long n)
{
	static char buf[1024];
	cudaStream_t s;
	ncclComm_t comm;
	double t0;
	long i;

	if (one_rank(cuda, &s, &comm))
		return 1;
	/* the first one sets up the communicator's channels: not part of the figure */
	CHECK(p_ncclAllReduce(buf, buf, 256, ncclFloat32, ncclSum, comm, s));
	t0 = now_ns();
	for (i = 0; i < n; i++)
		CHECK(p_ncclAllReduce(buf, buf, 256, ncclFloat32, ncclSum, comm, s));
	printf("storm calls=%ld ns_per_launch=%.1f\n", n, (now_ns() - t0) / (n ? n : 1));
	CHECK(p_ncclCommDestroy(comm));
	return 0;
}

static int mode_flight(void *cuda)
{
	static char buf[4096];
	cudaStream_t s;
	ncclComm_t comm;
	int i;

	if (one_rank(cuda, &s, &comm))
		return 1;
	for (i = 0; i < NW_FLIGHT_ALLREDUCE; i++)
		CHECK(p_ncclAllReduce(buf, buf, NW_ALLREDUCE_COUNT, ncclFloat32, ncclSum, comm, s));
	if (p_ncclGroupEnd() != ncclInvalidUsage)
		return 1;
	CHECK(p_ncclGroupStart());
	CHECK(p_ncclSend(buf, NW_P2P_COUNT, ncclUint8, 0, comm, s));
	CHECK(p_ncclRecv(buf, NW_P2P_COUNT, ncclUint8, 0, comm, s));
	CHECK(p_ncclGroupEnd());
	CHECK(p_ncclCommDestroy(comm));
	return 0;
}

/* NVIDIA's library with no driver: the id is made, the init fails (its result is traced) */
static int mode_real(void)
{
	ncclUniqueId id;
	ncclComm_t comm;
	ncclResult_t r;

	CHECK(p_ncclGetUniqueId(&id));
	r = p_ncclCommInitRank(&comm, 1, id, 0);
	printf("ncclCommInitRank: %d\n", r);
	return r == ncclSuccess;
}

/* Until f exists: a test's go signal (its condition, polled: nothing else to wait on) */
static void wait_file(const char *f)
{
	const struct timespec tick = { 0, 10000000 };

	fprintf(stderr, "nccl loaded\n");
	while (access(f, F_OK))
		nanosleep(&tick, NULL);
}

int main(int argc, char **argv)
{
	const char *cuda_path = NULL, *nccl_path = NULL, *wait = NULL;
	void *cuda = NULL;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--cuda") && i + 1 < argc)
			cuda_path = argv[++i];
		else if (!strcmp(argv[i], "--nccl") && i + 1 < argc)
			nccl_path = argv[++i];
		else if (!strcmp(argv[i], "--wait-file") && i + 1 < argc)
			wait = argv[++i];
	}
	if (i >= argc || !nccl_path) {
		fprintf(stderr, "usage: ncclapp [--cuda LIBCUDA] [--wait-file F] --nccl LIBNCCL "
				"ranks N | storm N | flight | real\n");
		return 2;
	}
	/* the driver first, global: the stand-in libnccl finds it by name */
	if (cuda_path && !(cuda = dlopen(cuda_path, RTLD_NOW | RTLD_GLOBAL))) {
		fprintf(stderr, "ncclapp: %s\n", dlerror());
		return 1;
	}
	if (load_nccl(nccl_path))
		return 1;
	if (wait)
		wait_file(wait);
	if (!strcmp(argv[i], "ranks") && i + 1 < argc && cuda)
		return mode_ranks(cuda, atoi(argv[i + 1]));
	if (!strcmp(argv[i], "storm") && i + 1 < argc && cuda)
		return mode_storm(cuda, atol(argv[i + 1]));
	if (!strcmp(argv[i], "flight") && cuda)
		return mode_flight(cuda);
	if (!strcmp(argv[i], "real"))
		return mode_real();
	return 2;
}
