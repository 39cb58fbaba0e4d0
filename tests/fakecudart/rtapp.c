// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The runtime tests' program: loads the driver, then, later and from the
 * path given (a folder the tracer is not told about), libcudart.so.13 with
 * dlopen, as PyTorch does from a wheel. It registers two kernels as nvcc's
 * constructors do, then makes rt_workload.h's calls, each once unless it
 * says otherwise. `storm N` (make bench): N cudaLaunchKernel calls, timed.
 * Without --cuda: NVIDIA's runtime on a host without a driver, three calls
 * that fail (their results printed). With --wait-file F it loads the driver,
 * says "driver loaded" on stderr, and waits for F to exist before loading the
 * runtime (a tracer attached with -p in between sees the runtime come later).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cudart_types.h"
#include "rt_workload.h"

#define DECL(name, ret, args) static ret(*p_##name) args;
CUDART_SIGS(DECL)

/* the kernels' host stubs: what a <<<>>> launch passes as func */
static void __attribute__((noinline)) stub_scale(void)
{
	__asm__ volatile("");
}

static void __attribute__((noinline)) stub_axpy(void)
{
	__asm__ volatile("nop");
}

static const char fatbin[] = "fake cudart fatbin";

static int load(const char *path)
{
	void *rt = dlopen(path, RTLD_NOW);

	if (!rt) {
		fprintf(stderr, "rtapp: %s\n", dlerror());
		return -1;
	}
#define LOOK(name, ret, args)                                                                      \
	p_##name = (ret(*) args)dlsym(rt, #name);                                                  \
	if (!p_##name) {                                                                           \
		fprintf(stderr, "rtapp: no %s\n", #name);                                          \
		return -1;                                                                         \
	}
	CUDART_SIGS(LOOK)
	return 0;
}

#define CHECK(call)                                                                                \
	do {                                                                                       \
		cudaError_t r_ = (call);                                                           \
		if (r_) {                                                                          \
			fprintf(stderr, "rtapp: %s: %d\n", #call, r_);                             \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* N launches of one registered kernel: what each costs, as the benchmark reads it */
static int storm(long n)
{
	dim3 grid = { RW_GRID_X, RW_GRID_Y, RW_GRID_Z },
	     block = { RW_BLOCK_X, RW_BLOCK_Y, RW_BLOCK_Z };
	void **bin = p___cudaRegisterFatBinary((void *)fatbin);
	cudaStream_t s;
	double t0;
	long i;

	if (!bin)
		return 1;
	p___cudaRegisterFunction(bin, (const char *)stub_scale, RW_KERNEL_A, "scaleA", -1, NULL,
				 NULL, NULL, NULL, NULL);
	CHECK(p_cudaStreamCreate(&s));
	/* the first launch loads the module: not part of the figure */
	CHECK(p_cudaLaunchKernel((const void *)stub_scale, grid, block, NULL, 0, s));
	t0 = now_ns();
	for (i = 0; i < n; i++)
		CHECK(p_cudaLaunchKernel((const void *)stub_scale, grid, block, NULL, 0, s));
	printf("launches=%ld ns_per_launch=%.1f\n", n, (now_ns() - t0) / (n ? n : 1));
	return 0;
}

static int work(void)
{
	dim3 grid = { RW_GRID_X, RW_GRID_Y, RW_GRID_Z },
	     block = { RW_BLOCK_X, RW_BLOCK_Y, RW_BLOCK_Z };
	cudaLaunchConfig_t cfg = { { RW_EX_GRID_X, RW_EX_GRID_Y, RW_EX_GRID_Z },
				   { RW_EX_BLOCK_X, RW_EX_BLOCK_Y, RW_EX_BLOCK_Z },
				   0,
				   NULL,
				   NULL,
				   0 };
	void *d = NULL, *h = NULL, *args[2];
	cudaStream_t s;
	cudaEvent_t ev;
	void **bin;
	int n = RW_BYTES / 4, i;

	/* nvcc's constructors: the fatbin and its kernels, by host stub */
	bin = p___cudaRegisterFatBinary((void *)fatbin);
	if (!bin)
		return 1;
	p___cudaRegisterFunction(bin, (const char *)stub_scale, RW_KERNEL_A, "scaleA", -1, NULL,
				 NULL, NULL, NULL, NULL);
	p___cudaRegisterFunction(bin, (const char *)stub_axpy, RW_KERNEL_B, "axpy", -1, NULL, NULL,
				 NULL, NULL, NULL);
	p___cudaRegisterFatBinaryEnd(bin);
	CHECK(p_cudaSetDevice(0));
	CHECK(p_cudaStreamCreate(&s));
	CHECK(p_cudaEventCreate(&ev));
	CHECK(p_cudaMalloc(&d, RW_BYTES));
	CHECK(p_cudaMallocHost(&h, RW_BYTES));
	CHECK(p_cudaMemcpy(d, h, RW_BYTES, cudaMemcpyHostToDevice));
	CHECK(p_cudaMemsetAsync(d, 0, RW_BYTES, s));
	args[0] = &d;
	args[1] = &n;
	for (i = 0; i < RW_LAUNCHES; i++)
		CHECK(p_cudaLaunchKernel((const void *)stub_scale, grid, block, args, RW_SHMEM, s));
	cfg.stream = s;
	CHECK(p_cudaLaunchKernelExC(&cfg, (const void *)stub_axpy, args));
	CHECK(p_cudaEventRecord(ev, s));
	CHECK(p_cudaStreamWaitEvent(s, ev, 0));
	CHECK(p_cudaEventSynchronize(ev));
	CHECK(p_cudaMemcpyAsync(h, d, RW_BYTES, cudaMemcpyDeviceToHost, s));
	CHECK(p_cudaStreamSynchronize(s));
	CHECK(p_cudaDeviceSynchronize());
	CHECK(p_cudaFree(d));
	CHECK(p_cudaFreeHost(h));
	p___cudaUnregisterFatBinary(bin);
	return 0;
}

/* NVIDIA's runtime with no driver: each call fails, as on a host without a GPU */
static int no_driver(void)
{
	void *d = NULL;

	printf("cudaSetDevice %d\n", p_cudaSetDevice(0));
	printf("cudaMalloc %d\n", p_cudaMalloc(&d, RW_BYTES));
	printf("cudaDeviceSynchronize %d\n", p_cudaDeviceSynchronize());
	return 0;
}

int main(int argc, char **argv)
{
	const char *cuda_path = NULL, *rt_path = NULL, *wait = NULL;
	const struct timespec tick = { 0, 10000000 };
	long n = -1;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "storm"))
			n = atol(argv[i + 1]);
		if (!strcmp(argv[i], "--cuda"))
			cuda_path = argv[i + 1];
		else if (!strcmp(argv[i], "--cudart"))
			rt_path = argv[i + 1];
		else if (!strcmp(argv[i], "--wait-file"))
			wait = argv[i + 1];
	}
	if (rt_path && !cuda_path)
		return load(rt_path) ? 1 : no_driver();
	if (!rt_path) {
		fprintf(stderr, "usage: rtapp [--cuda LIBCUDA] [--wait-file F] --cudart LIBCUDART "
				"[storm N]\n");
		return 2;
	}
	/* the driver first, global: the stand-in runtime finds it by name */
	if (!dlopen(cuda_path, RTLD_NOW | RTLD_GLOBAL)) {
		fprintf(stderr, "rtapp: %s\n", dlerror());
		return 1;
	}
	if (wait) {
		fprintf(stderr, "driver loaded\n");
		while (access(wait, F_OK))
			nanosleep(&tick, NULL);
	}
	if (load(rt_path))
		return 1;
	return n >= 0 ? storm(n) : work();
}
