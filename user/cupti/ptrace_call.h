/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Calling a function inside another process with ptrace (x86-64); see ptrace_call.c. */
#ifndef TS_PTRACE_CALL_H
#define TS_PTRACE_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ts_ptrace {
	pid_t tid; /* the thread that makes the calls */
	bool attached;
	int pending_sig; /* a signal for the process that came while we held it */
};

/* An argument that stands for the address of the call's data in the process */
#define TS_PTRACE_DATA 0x7e57da7a7e57da7aull

/* Stop a thread of pid (one waiting in a syscall when there is one). 0 or -errno. */
int ts_ptrace_attach(struct ts_ptrace *p, pid_t pid);
/* Let it go on as if nothing happened. NULL-safe. */
void ts_ptrace_detach(struct ts_ptrace *p);
/*
 * func(args...) in the process, with len bytes of data copied below its
 * stack (TS_PTRACE_DATA in args is their address); its return value in ret.
 * 0, -ETIMEDOUT if it did not return in time, -ESRCH if the process died.
 */
int ts_ptrace_call(struct ts_ptrace *p, uint64_t func, const uint64_t *args, unsigned int nargs,
		   const void *data, size_t len, uint64_t *ret);
/*
 * The address of an exported function in pid, in the first mapped file whose
 * name ends with lib (a base name such as "libc.so.6", or a full path).
 * 0 or -ENOENT.
 */
int ts_proc_func_addr(pid_t pid, const char *lib, const char *func, uint64_t *addr);

#endif
