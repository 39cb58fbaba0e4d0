/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The arm64 calling convention (AAPCS64, as Linux uses it) at a uprobe on a
 * function's first instruction, for tracesmith.bpf.c (the x86-64 one is
 * arch_x86.h; the user side's twin, which places each argument, is
 * user/probe/abi_arm64.c).
 *
 * Arguments 0..7 are in x0-x7, the rest in 8-byte slots from sp up: bl puts
 * the return address in x30 and pushes nothing, so the call returns with the
 * sp it entered with. A struct over 16 bytes passed by value (an
 * ncclUniqueId) is copied by the caller and passed as a pointer to the copy.
 */
#ifndef TS_ARCH_ARM64_H
#define TS_ARCH_ARM64_H

#define TS_ARG_REGS 8

static __always_inline void ts_arch_reg_args(const struct pt_regs *ctx, __u64 *args)
{
	const struct user_pt_regs *r = (const struct user_pt_regs *)ctx;

	args[0] = r->regs[0];
	args[1] = r->regs[1];
	args[2] = r->regs[2];
	args[3] = r->regs[3];
	args[4] = r->regs[4];
	args[5] = r->regs[5];
	args[6] = r->regs[6];
	args[7] = r->regs[7];
}

static __always_inline __u64 ts_arch_stack_args(__u64 sp)
{
	return sp;
}

/* the return address is in x30 (the link register) at entry: no read */
static __always_inline __u64 ts_arch_caller(const struct pt_regs *ctx, __u64 sp)
{
	return ((const struct user_pt_regs *)ctx)->regs[30];
}

static __always_inline __u64 ts_arch_return_sp(__u64 sp)
{
	return sp;
}

/* the by-value struct's copy is where its argument points */
static __always_inline __u64 ts_arch_byval_addr(const __u64 *args, __u64 sp, __u32 arg)
{
	return arg < TS_ARG_REGS + TS_MAX_STACK_ARGS ? args[arg] : 0;
}

/*
 * pthread_self() of the thread (--stacks' Python thread match). glibc on
 * arm64 keeps struct pthread just below the thread pointer (TPIDR_EL0), so
 * pthread_self() is the thread pointer less sizeof(struct pthread), which
 * varies with glibc: TS_ARM64_PTHREAD_SIZE is glibc 2.36's (Debian 12), measured
 * there (__builtin_thread_pointer() - pthread_self(), main thread and others).
 */
#ifndef TS_ARM64_PTHREAD_SIZE
#define TS_ARM64_PTHREAD_SIZE 0x740
#endif
static __always_inline __u64 ts_arch_thread_self(struct task_struct *task)
{
	return BPF_CORE_READ(task, thread.uw.tp_value) - TS_ARM64_PTHREAD_SIZE;
}

#endif
