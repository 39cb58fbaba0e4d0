/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Calling a function inside another process with ptrace (x86-64, arm64); see ptrace_call.c. */
#ifndef TS_PTRACE_CALL_H
#define TS_PTRACE_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ts_ptrace {
	pid_t pid; /* the process */
	pid_t tid; /* the thread that makes the calls */
	bool attached;
	uint64_t pending; /* signals (bit sig - 1) that came while we held it: sent at detach */
	int stop_sig;	  /* -EAGAIN: the signal that holds the process stopped */
	bool ended;	  /* -ESRCH: it ended while we held it, */
	int end_status;	  /* with this wait status */
};

/* An argument that stands for the address of the call's data in the process */
#define TS_PTRACE_DATA 0x7e57da7a7e57da7aull

/*
 * Could a call injected into pid harm it, as far as can be known before
 * stopping it? 0 if not; -EPERM: a thread runs under seccomp (a filter may
 * refuse or kill on what dlopen does); -EAGAIN: it is stopped (job control,
 * SIGSTOP). why: the reason, said as "pid N <why>".
 */
int ts_ptrace_unsafe(pid_t pid, char *why, size_t len);
/*
 * Stop a thread of pid (one waiting in a syscall when there is one). 0 or
 * -errno: -EAGAIN if a signal holds the process stopped (stop_sig), -ESRCH
 * if it ended (ended, end_status); it is let go again.
 */
int ts_ptrace_attach(struct ts_ptrace *p, pid_t pid);
/* Let it go on as if nothing happened, with the signals it got meanwhile. NULL-safe. */
void ts_ptrace_detach(struct ts_ptrace *p);
/*
 * func(args...) in the process, with len bytes of data copied below its
 * stack (TS_PTRACE_DATA in args is their address); its return value in ret.
 * Waits for the call however long it takes (a warn() after 1.5 s says so):
 * 0, or -ESRCH if the process ended meanwhile (ended, end_status).
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
