/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a hooked call's arguments are, on the architecture built for: one
 * file per architecture (abi_x86.c, abi_arm64.c; the Makefile's ARCH picks
 * it). The BPF side reads registers and stack by the slot numbers these give
 * (bpf/arch_x86.h, bpf/arch_arm64.h).
 */
#ifndef TS_ABI_H
#define TS_ABI_H

#include "probe/hooks.h"

/* Arguments passed in registers: slots 0..n-1; slot n is the first stack slot. */
extern const unsigned int ts_abi_arg_regs;
/* Debian's multiarch library folder, and how `ldconfig -p` tags this architecture's libraries */
extern const char ts_abi_libdir[];
extern const char ts_abi_ldconfig[];

/*
 * The slot of value i of hook h, from its C parameter position. A
 * TS_OP_HASH_ARG value is a struct passed by value in memory; every other
 * parameter a hooked function has, captured or not, is an integer or a
 * pointer, or a small struct counted as the registers it takes: a dim3 by
 * value (cudaLaunchKernel) is two positions, x|y then z, on x86-64 and arm64
 * alike (the table reads its halves with TS_T_HI32). The by-value structs
 * before a value must be in the row (every one is captured), as they move
 * what follows.
 */
unsigned int ts_abi_slot(const struct ts_hook *h, unsigned int i);

#endif
