/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Between the stand-in libcuda and the stand-in libcupti: libcuda says what
 * each call submits, libcupti turns it into a driver-API callback and
 * activity records, with GPU durations the tests know in advance.
 */
#ifndef FAKE_PROF_H
#define FAKE_PROF_H

#include <stdint.h>

enum fake_op_kind { FAKE_OP_KERNEL = 1, FAKE_OP_COPY = 2, FAKE_OP_MEMSET = 3 };

struct fake_op {
	uint8_t kind;	   /* enum fake_op_kind */
	uint8_t copy_kind; /* CUpti_ActivityMemcpyKind */
	const char *name;  /* kernels: stable for the kernel's life, as CUPTI's are */
	uint32_t grid[3], block[3], shmem;
	uint64_t bytes;
	uint32_t value;
	uint64_t graph_node; /* 0, or the node's id in a graph launch */
};

/* One driver call that submits work: ops[0..nops) run on stream, in order. */
struct fake_call {
	uint32_t cbid;
	const char *func;
	int device;
	const void *stream; /* CUstream handle (NULL: the default stream) */
	uint32_t graph_id;
	unsigned int nops;
	const struct fake_op *ops;
};

typedef void (*fake_prof_fn)(const struct fake_call *call);

/* The GPU times the stand-in CUPTI reports: a test computes the same. */
#define FAKE_GPU_DELAY_NS	   50000ull /* from the callback to the first possible start */
#define FAKE_KERNEL_NS(gx, bx)	   (1000ull * (gx) + (bx))
#define FAKE_COPY_NS(bytes)	   (1000ull + (bytes) / 64)
#define FAKE_MEMSET_NS(bytes)	   (500ull + (bytes) / 64)
#define FAKE_CUPTI_CLOCK_OFFSET_NS 1000000000000ull /* CUPTI's clock: CLOCK_MONOTONIC + this */

/*
 * The kernel facts the stand-in CUPTI reports for every kernel (the launch's
 * shared memory is its dynamic part), and its one kind of device: an H100
 * SXM's limits (132 SMs, 64 warps, 32 blocks, 64 Ki registers and 228 KiB
 * shared memory per SM, compute capability 9.0).
 */
#define FAKE_KERNEL_REGS	    40
#define FAKE_KERNEL_STATIC_SHMEM    1024
#define FAKE_KERNEL_LOCAL_MEM	    16
#define FAKE_KERNEL_LOCAL_MEM_TOTAL (16u * 2048 * 132)
#define FAKE_DEVICE_NAME	    "Stand-in H100"
#define FAKE_DEVICE_SMS		    132
#define FAKE_DEVICE_MAX_WARPS	    64
#define FAKE_DEVICE_MAX_BLOCKS	    32
#define FAKE_DEVICE_MAX_SHMEM	    233472
#define FAKE_DEVICE_MAX_REGS	    65536

#endif
