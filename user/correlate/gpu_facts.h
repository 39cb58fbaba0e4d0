/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --gpu-time: what CUPTI says of each kernel beyond its times (registers,
 * shared and local memory) and the occupancy they imply on its device.
 */
#ifndef TS_GPU_FACTS_H
#define TS_GPU_FACTS_H

#include <stdint.h>

/* A device's limits, from CUPTI's device record (TS_GPUI_DEVICE). */
struct ts_gpu_limits {
	uint32_t sms, max_warps, max_blocks, max_regs, max_shmem;
	uint32_t cc; /* compute capability, major << 8 | minor */
};

/* What one kernel asked of an SM. */
struct ts_kernel_use {
	uint32_t grid[3], block[3];
	uint32_t regs, static_shmem, dyn_shmem;
};

/*
 * The occupancy Kineto writes ("est. achieved occupancy %"): the blocks an
 * SM holds at once, at most the grid's blocks per SM, times the block's
 * threads, over the SM's threads; in percent, rounded. -1 when unknown (no
 * registers said, an empty block, a device without limits).
 */
int ts_occupancy_pct(const struct ts_gpu_limits *d, const struct ts_kernel_use *k);

#endif
