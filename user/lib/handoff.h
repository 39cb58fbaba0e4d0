/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The hand-offs of the injected libraries (CUPTI's records, NVTX's batches):
 * empty functions whose arguments a uprobe of the tracer copies into the
 * ring buffer. On x86-64 each is `nop; ret`, written in assembly so that no
 * compiler flag (-fcf-protection's endbr64, a frame) puts anything before
 * the nop: the kernel emulates a nop under a uprobe, while any other
 * instruction there (the plain `ret` the C version compiled to) is
 * single-stepped out of line, a second trap (#DB) that costs more than the
 * breakpoint itself in a virtual machine: 35-48 us per hand-off against
 * 17 us on the development VM (BENCHMARKS.md). Elsewhere a C function that
 * no clone may take the call of (noipa).
 */
#ifndef TS_HANDOFF_H
#define TS_HANDOFF_H

#if defined(__x86_64__)
#define TS_HANDOFF_NOP_RET(name)                                                                   \
	__asm__(".pushsection .text\n"                                                             \
		".globl " #name "\n"                                                               \
		".type " #name ", @function\n" #name ":\n"                                         \
		"\tnop\n"                                                                          \
		"\tret\n"                                                                          \
		".size " #name ", .-" #name "\n"                                                   \
		".popsection\n");
#endif

#define TS_HANDOFF_C __attribute__((visibility("default"), noipa, used))

#endif
