// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * make bench: the cost of one NVTX push or pop to the program that makes it.
 * Built against the CUDA toolkit's own NVTX v3 headers (where installed), so
 * it calls NVTX as real programs do. Prints ns_per_op= (push and pop each
 * count one) over N pairs, after a warm-up pair that loads the injection
 * library.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/resource.h>
#include <nvtx3/nvToolsExt.h>

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* CPU time of this process (user + system): its own cost, whatever else runs */
static double cpu_ns(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e9 +
	       (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e3;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000, i;
	double t0, c0;

	nvtxRangePushA("warm-up");
	nvtxRangePop();
	t0 = now_ns();
	c0 = cpu_ns();
	for (i = 0; i < n; i++) {
		nvtxRangePushA("step");
		nvtxRangePop();
	}
	printf("ns_per_op=%.1f cpu_ns_per_op=%.1f\n", (now_ns() - t0) / (2.0 * n),
	       (cpu_ns() - c0) / (2.0 * n));
	return 0;
}
