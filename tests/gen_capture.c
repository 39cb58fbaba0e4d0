// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Write a synthetic .tsbpf capture of N API events with the shape of a real
 * PyTorch training loop (the call counts of a real H200 PyTorch run):
 * start-up (cuInit, ~1300 cuGetProcAddress_v2, library loads, kernel names),
 * then steady state dominated by launches on a few streams from a few
 * threads, with memsets, async copies, pool allocations, events and syncs.
 *
 * Usage: gen_capture N OUT.tsbpf [SEED]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "canned.h"
#include "record/capture.h"
#include "probe/hooks.h"

#define PID	 4242
#define NTHREADS 4
#define NKERNELS 24
#define NSTREAMS 3

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void startup(struct canned *c, uint64_t *t, uint64_t n)
{
	char name[128];
	uint64_t v[4], i;

	canned_proc(c, PID, "python train.py --epochs 3");
	for (i = 0; i < NTHREADS; i++) {
		snprintf(name, sizeof(name), i ? "pt_autograd_%d" : "python", (int)i - 1);
		canned_thread(c, PID, PID + i, name);
	}
	v[0] = 0;
	canned_api(c, PID, PID, (*t += 1000), 90000, 0, "cuInit", v, 1, NULL);
	for (i = 0; i < 1323 && i < n / 10; i++) {
		uint64_t g[4] = { 0x7fff0000 + i, 0x7ffe0000 + i * 16, 13000, 0 };

		canned_api(c, PID, PID, (*t += 800), 300, 0, "cuGetProcAddress_v2", g, 4,
			   "cuLaunchKernel");
	}
	v[0] = 0xc0ffee;
	v[1] = 0;
	canned_api(c, PID, PID, (*t += 1000), 20000, 0, "cuDevicePrimaryCtxRetain", v, 2, NULL);
	for (i = 0; i < NKERNELS; i++) {
		uint64_t k[3] = { 0x100000 + i * 64, 0xabc000, 0x5000 };
		uint64_t f[2] = { 0x200000 + i * 64, 0x100000 + i * 64 };

		snprintf(name, sizeof(name),
			 "_ZN2at6native29vectorized_elementwise_kernelILi%dENS0_11FillFunctorIfEESt"
			 "5arrayIPcLm1EEEEviT0_T1_",
			 (int)i + 1);
		canned_api(c, PID, PID, (*t += 2000), 1500, 0, "cuLibraryGetKernel", k, 3, name);
		canned_api(c, PID, PID, (*t += 500), 300, 0, "cuKernelGetFunction", f, 2, NULL);
	}
	for (i = 0; i < NSTREAMS; i++) {
		uint64_t s[2] = { 0x300000 + i * 64, 1 };

		canned_api(c, PID, PID, (*t += 800), 3000, 0, "cuStreamCreate", s, 2, NULL);
	}
}

static void one_event(struct canned *c, uint64_t *t)
{
	uint32_t tid = PID + rnd() % NTHREADS;
	uint64_t stream = 0x300000 + (rnd() % NSTREAMS) * 64, r = rnd() % 100;
	uint64_t dur = 2000 + rnd() % 3000;
	uint64_t v[9];

	*t += 3000 + rnd() % 4000;
	if (r < 72) {
		uint64_t k[9] = { 0x200000 + (rnd() % NKERNELS) * 64,
				  1 + rnd() % 4096,
				  1,
				  1,
				  128,
				  1,
				  1,
				  (rnd() % 4) * 1024,
				  stream };

		canned_api(c, PID, tid, *t, dur, 0, "cuLaunchKernel", k, 9, NULL);
	} else if (r < 82) {
		v[0] = 0x7f0000000000 + rnd() % (1 << 20) * 256;
		v[1] = 0;
		v[2] = 1 << (10 + rnd() % 12);
		v[3] = stream;
		canned_api(c, PID, tid, *t, dur, 0, "cuMemsetD8Async", v, 4, NULL);
	} else if (r < 87) {
		v[0] = 0x55000000 + rnd() % 4096 * 4096;
		v[1] = 0x7f0000000000 + rnd() % (1 << 20) * 256;
		v[2] = 4 << (rnd() % 16);
		v[3] = stream;
		canned_api(c, PID, tid, *t, dur, 0, "cuMemcpyDtoHAsync_v2", v, 4, NULL);
	} else if (r < 92) {
		v[0] = 0x7f8000000000 + (*t & 0xffffff00);
		v[1] = 1 << (12 + rnd() % 10);
		v[2] = stream;
		canned_api(c, PID, tid, *t, dur, 0, "cuMemAllocAsync", v, 3, NULL);
		v[1] = stream;
		canned_api(c, PID, tid, *t + dur + 100, 800, 0, "cuMemFreeAsync", v, 2, NULL);
	} else if (r < 97) {
		v[0] = 0x400000 + (rnd() % 16) * 64;
		v[1] = stream;
		canned_api(c, PID, tid, *t, 900, 0, "cuEventRecord", v, 2, NULL);
	} else {
		v[0] = stream;
		canned_api(c, PID, tid, *t, 50000 + rnd() % 200000, 0, "cuStreamSynchronize", v, 1,
			   NULL);
		*t += 250000;
	}
}

int main(int argc, char **argv)
{
	struct ts_capture *cap;
	struct canned c;
	uint64_t n, i, t = 0;
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: gen_capture N OUT.tsbpf [SEED]\n");
		return 1;
	}
	n = strtoull(argv[1], NULL, 10);
	if (argc > 3)
		rng_state ^= strtoull(argv[3], NULL, 10) * 0x9e3779b97f4a7c15ull;
	err = ts_capture_create(argv[2], &cap);
	if (err) {
		fprintf(stderr, "gen_capture: %s: %s\n", argv[2], strerror(-err));
		return 1;
	}
	canned_start(&c, ts_capture_sink(cap), 0);
	startup(&c, &t, n);
	for (i = 0; i < n && !c.err; i++)
		one_event(&c, &t);
	canned_end(&c);
	err = ts_capture_close(cap);
	err = c.err ? c.err : err;
	canned_free(&c);
	if (err) {
		fprintf(stderr, "gen_capture: writing %s: %s\n", argv[2], strerror(-err));
		return 1;
	}
	return 0;
}
