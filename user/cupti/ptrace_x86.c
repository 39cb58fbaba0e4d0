// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * x86-64's half of an injected call (ptrace_call.c): the arguments in rdi,
 * rsi, rdx, rcx, the return address 0 pushed on the stack, the result in rax.
 * orig_rax -1: the thread is not in a syscall on our way in, so the kernel
 * restarts nothing then; the saved registers put back after the call restart
 * an interrupted syscall as if nothing happened.
 */
#include <sys/ptrace.h>
#include <sys/user.h>
#include <errno.h>
#include <stddef.h>
#include "cupti/ptrace_arch.h"

struct x86_regs {
	struct user_regs_struct gp;
	struct user_fpregs_struct fp;
};
_Static_assert(sizeof(struct x86_regs) <= sizeof(struct ts_arch_regs), "the registers fit");

#define X86(r)	((struct x86_regs *)(r)->raw)
#define X86C(r) ((const struct x86_regs *)(r)->raw)

int ts_arch_regs_get(pid_t tid, struct ts_arch_regs *r)
{
	if (ptrace(PTRACE_GETREGS, tid, NULL, &X86(r)->gp) ||
	    ptrace(PTRACE_GETFPREGS, tid, NULL, &X86(r)->fp))
		return -errno;
	return 0;
}

int ts_arch_regs_set(pid_t tid, const struct ts_arch_regs *r)
{
	if (ptrace(PTRACE_SETREGS, tid, NULL, &X86C(r)->gp) ||
	    ptrace(PTRACE_SETFPREGS, tid, NULL, &X86C(r)->fp))
		return -errno;
	return 0;
}

uint64_t ts_arch_regs_sp(const struct ts_arch_regs *r)
{
	return X86C(r)->gp.rsp;
}

uint64_t ts_arch_regs_call(struct ts_arch_regs *r, uint64_t func, uint64_t sp, const uint64_t *args,
			   unsigned int nargs)
{
	struct user_regs_struct *gp = &X86(r)->gp;

	/* as after a call instruction: the return address at [rsp], rsp + 8 16-byte aligned */
	gp->rsp = sp - 8;
	gp->rdi = nargs > 0 ? args[0] : 0;
	gp->rsi = nargs > 1 ? args[1] : 0;
	gp->rdx = nargs > 2 ? args[2] : 0;
	gp->rcx = nargs > 3 ? args[3] : 0;
	gp->rax = 0;
	gp->rip = func;
	gp->orig_rax = -1; /* not in a syscall: no restart logic on our way in */
	return gp->rsp;
}

bool ts_arch_regs_returned(const struct ts_arch_regs *r)
{
	return X86C(r)->gp.rip == 0;
}

uint64_t ts_arch_regs_ret(const struct ts_arch_regs *r)
{
	return X86C(r)->gp.rax;
}
