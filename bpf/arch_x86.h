/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The x86-64 SysV calling convention at a uprobe on a function's first
 * instruction, for tracesmith.bpf.c (the arm64 one is arch_arm64.h; the user
 * side's twin, which places each argument, is user/probe/abi_x86.c).
 *
 * Arguments 0..5 are in rdi, rsi, rdx, rcx, r8, r9; [rsp] is the return
 * address the call pushed, the stack arguments follow it. ret pops it: the
 * call returns with rsp 8 above where it entered.
 */
#ifndef TS_ARCH_X86_H
#define TS_ARCH_X86_H

#define TS_ARG_REGS 6

static __always_inline void ts_arch_reg_args(const struct pt_regs *ctx, __u64 *args)
{
	args[0] = PT_REGS_PARM1(ctx);
	args[1] = PT_REGS_PARM2(ctx);
	args[2] = PT_REGS_PARM3(ctx);
	args[3] = PT_REGS_PARM4(ctx);
	args[4] = PT_REGS_PARM5(ctx);
	args[5] = ctx->r9; /* libbpf 1.1 has no PT_REGS_PARM6 */
}

/* where the first stack argument is, at entry */
static __always_inline __u64 ts_arch_stack_args(__u64 sp)
{
	return sp + 8;
}

/* the call's return address (--stacks' call site), one read at [rsp]; 0 if unreadable */
static __always_inline __u64 ts_arch_caller(const struct pt_regs *ctx, __u64 sp)
{
	__u64 ip;

	return bpf_probe_read_user(&ip, sizeof(ip), (void *)sp) ? 0 : ip;
}

/* the stack pointer at the return of the call that entered with sp */
static __always_inline __u64 ts_arch_return_sp(__u64 sp)
{
	return sp + 8;
}

/* a struct passed by value in memory (an ncclUniqueId): its copy is in stack slot arg */
static __always_inline __u64 ts_arch_byval_addr(const __u64 *args, __u64 sp, __u32 arg)
{
	return ts_arch_stack_args(sp) + (arg - TS_ARG_REGS) * 8;
}

/* pthread_self() of the thread (--stacks' Python thread match): the TCB, at fsbase */
static __always_inline __u64 ts_arch_thread_self(struct task_struct *task)
{
	return BPF_CORE_READ(task, thread.fsbase);
}

#endif
