/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The registers of an injected call (ptrace_call.c), one file per
 * architecture: ptrace_x86.c, ptrace_arm64.c (the Makefile's ARCH picks it).
 */
#ifndef TS_PTRACE_ARCH_H
#define TS_PTRACE_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Every register a call may change, as the architecture's ptrace gives them: opaque here. */
struct ts_arch_regs {
	_Alignas(16) unsigned char raw[1536];
};

/* The thread's registers, general and floating point. 0 or -errno. */
int ts_arch_regs_get(pid_t tid, struct ts_arch_regs *r);
int ts_arch_regs_set(pid_t tid, const struct ts_arch_regs *r);
uint64_t ts_arch_regs_sp(const struct ts_arch_regs *r);
/*
 * Point r at func(args[0..nargs-1]) (at most 4) with its stack at sp (16-byte
 * aligned, free below), returning to address 0. The return address slot the
 * call needs on its stack (8 zero bytes to write there), or 0 for none.
 */
uint64_t ts_arch_regs_call(struct ts_arch_regs *r, uint64_t func, uint64_t sp, const uint64_t *args,
			   unsigned int nargs);
/* Has the call returned: is the thread at address 0 (r: its registers now)? */
bool ts_arch_regs_returned(const struct ts_arch_regs *r);
uint64_t ts_arch_regs_ret(const struct ts_arch_regs *r);

#endif
