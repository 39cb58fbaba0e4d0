// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel occupancy as Kineto computes it (DeviceProperties.cpp's
 * kernelOccupancy: cudaOccMaxActiveBlocksPerMultiprocessor of the kernel's
 * registers and shared memory, capped by the grid's blocks per SM, over the
 * SM's threads), with the occupancy calculator's rules written out for the
 * GPUs CUPTI 12+ supports (compute capability 7.0 and later). Assumed, where
 * the CUPTI device record does not say: 32 threads a warp; registers
 * allocated per warp in units of 256 from 4 sub-partitions, each a quarter
 * of the SM's; shared memory in units of 128 bytes, 1 KiB more reserved per
 * block from compute capability 8.0; the whole of the SM's shared memory as
 * the carveout (the driver's default for a kernel that asks for it).
 */
#include "correlate/gpu_facts.h"

#define WARP	     32
#define REG_UNIT     256
#define SUBPARTS     4
#define SHMEM_UNIT   128
#define SHMEM_RESERV 1024

static uint64_t round_up(uint64_t v, uint64_t unit)
{
	return (v + unit - 1) / unit * unit;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Blocks one SM holds at once: the least of its warp, block, register and shared limits. */
static uint64_t active_blocks(const struct ts_gpu_limits *d, const struct ts_kernel_use *k,
			      uint64_t threads)
{
	uint64_t warps = (threads + WARP - 1) / WARP, n, per_warp, smem;

	n = min_u64(d->max_warps / warps, d->max_blocks);
	per_warp = round_up((uint64_t)k->regs * WARP, REG_UNIT);
	n = min_u64(n, (d->max_regs / SUBPARTS / per_warp) * SUBPARTS / warps);
	smem = (uint64_t)k->static_shmem + k->dyn_shmem;
	if (d->cc >= 0x800)
		smem += SHMEM_RESERV;
	smem = round_up(smem, SHMEM_UNIT);
	if (smem)
		n = min_u64(n, d->max_shmem / smem);
	return n;
}

int ts_occupancy_pct(const struct ts_gpu_limits *d, const struct ts_kernel_use *k)
{
	uint64_t threads = (uint64_t)k->block[0] * k->block[1] * k->block[2];
	uint64_t blocks = (uint64_t)k->grid[0] * k->grid[1] * k->grid[2];
	double per_sm, active;

	if (!d || !d->sms || !d->max_warps || !k->regs || !threads || !blocks)
		return -1;
	per_sm = (double)blocks / d->sms;
	active = (double)active_blocks(d, k, threads);
	if (active > per_sm)
		active = per_sm;
	return (int)(0.5 + 100.0 * active * (double)threads / ((double)d->max_warps * WARP));
}
