/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What tests/fakecudart/rtapp does: the numbers test_run_runtime expects. */
#ifndef FAKE_RT_WORKLOAD_H
#define FAKE_RT_WORKLOAD_H

#define RW_BYTES    4096 /* cudaMalloc'd, copied each way, set */
#define RW_LAUNCHES 3	 /* cudaLaunchKernel calls of the first kernel */
/* the first kernel's launch: every axis different, so a swapped or lost half shows */
#define RW_GRID_X  7
#define RW_GRID_Y  5
#define RW_GRID_Z  3
#define RW_BLOCK_X 128
#define RW_BLOCK_Y 4
#define RW_BLOCK_Z 2
#define RW_SHMEM   256
/* the second kernel, launched once with cudaLaunchKernelExC */
#define RW_EX_GRID_X  11
#define RW_EX_GRID_Y  13
#define RW_EX_GRID_Z  1
#define RW_EX_BLOCK_X 32
#define RW_EX_BLOCK_Y 8
#define RW_EX_BLOCK_Z 2
/* the kernels' names as registered (mangled) and as drawn (demangled) */
#define RW_KERNEL_A	 "_Z6scaleAPfi"
#define RW_KERNEL_A_NAME "scaleA(float*, int)"
#define RW_KERNEL_B	 "_Z4axpyfPKfPf"
#define RW_KERNEL_B_NAME "axpy(float, float const*, float*)"

#endif
