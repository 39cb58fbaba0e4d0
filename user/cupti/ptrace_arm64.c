// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * arm64's half of an injected call (ptrace_call.c): the registers through
 * PTRACE_GETREGSET (NT_PRSTATUS, NT_PRFPREG), the arguments in x0-x3, the
 * return address 0 in x30 (the link register: nothing on the stack), the
 * result in x0.
 *
 * Syscall restart: arm64 prepares a restart before the thread's ptrace stop
 * (pc back on the svc, x0 its first argument again, the syscall forgotten),
 * so a thread taken out of a syscall goes into our call with no restart
 * logic, and the saved registers put back after it run the svc again.
 */
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include "cupti/ptrace_arch.h"

struct arm64_regs {
	struct user_regs_struct gp;
	struct user_fpsimd_struct fp;
};
_Static_assert(sizeof(struct arm64_regs) <= sizeof(struct ts_arch_regs), "the registers fit");

#define A64(r)	((struct arm64_regs *)(r)->raw)
#define A64C(r) ((const struct arm64_regs *)(r)->raw)

static int regset(pid_t tid, int req, int type, void *buf, size_t len)
{
	struct iovec io = { buf, len };

	if (ptrace(req, tid, (void *)(long)type, &io))
		return -errno;
	return io.iov_len == len ? 0 : -EIO;
}

int ts_arch_regs_get(pid_t tid, struct ts_arch_regs *r)
{
	int err = regset(tid, PTRACE_GETREGSET, NT_PRSTATUS, &A64(r)->gp, sizeof(A64(r)->gp));

	return err ?: regset(tid, PTRACE_GETREGSET, NT_PRFPREG, &A64(r)->fp, sizeof(A64(r)->fp));
}

int ts_arch_regs_set(pid_t tid, const struct ts_arch_regs *r)
{
	/* the iovec's base is not const: the kernel only reads it for a SET */
	struct arm64_regs *w = (struct arm64_regs *)r->raw;
	int err = regset(tid, PTRACE_SETREGSET, NT_PRSTATUS, &w->gp, sizeof(w->gp));

	return err ?: regset(tid, PTRACE_SETREGSET, NT_PRFPREG, &w->fp, sizeof(w->fp));
}

uint64_t ts_arch_regs_sp(const struct ts_arch_regs *r)
{
	return A64C(r)->gp.sp;
}

uint64_t ts_arch_regs_call(struct ts_arch_regs *r, uint64_t func, uint64_t sp, const uint64_t *args,
			   unsigned int nargs)
{
	struct user_regs_struct *gp = &A64(r)->gp;
	unsigned int i;

	for (i = 0; i < 4; i++)
		gp->regs[i] = i < nargs ? args[i] : 0;
	gp->regs[30] = 0; /* the return address: the call faults there when it returns */
	gp->sp = sp;
	gp->pc = func;
	return 0;
}

bool ts_arch_regs_returned(const struct ts_arch_regs *r)
{
	return A64C(r)->gp.pc == 0;
}

uint64_t ts_arch_regs_ret(const struct ts_arch_regs *r)
{
	return A64C(r)->gp.regs[0];
}
