// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cupti/gputime.h"
#include "cupti/ptrace_call.h"
#include "lib/util.h"
#include "lib/injlib.h"

/* libtracesmith-cupti.so's bytes (cupti_blob.S) */
extern const unsigned char ts_cupti_lib[];
extern const uint64_t ts_cupti_lib_size;

/* The library written where the traced programs may load it (injlib.h); g->lib, g->dir set. */
static int write_lib(struct ts_gpu_time *g)
{
	struct ts_injlib l = { .bytes = ts_cupti_lib,
			       .size = ts_cupti_lib_size,
			       .stem = "libtracesmith-cupti",
			       .what = "--gpu-time" };
	int err = ts_injlib_write(&l);

	if (err)
		return err;
	snprintf(g->dir, sizeof(g->dir), "%s", l.dir);
	snprintf(g->lib, sizeof(g->lib), "%s", l.path);
	return 0;
}

int ts_gpu_time_prepare(struct ts_gpu_time *g, const char *cupti)
{
	const char *other = getenv("CUDA_INJECTION64_PATH");
	char abs[PATH_MAX];
	int err;

	memset(g, 0, sizeof(*g));
	if (other && *other) {
		warn("--gpu-time: CUDA_INJECTION64_PATH is already set (%s): another tool injects "
		     "into CUDA; unset it, or trace without --gpu-time\n",
		     other);
		return -EBUSY;
	}
	if (cupti && !realpath(cupti, abs)) {
		err = -errno;
		warn("--cupti %s: %s\n", cupti, strerror(-err));
		return err;
	}
	err = write_lib(g);
	if (err)
		return err;
	if (setenv("CUDA_INJECTION64_PATH", g->lib, 1) ||
	    (cupti && setenv("TRACESMITH_CUPTI", abs, 1))) {
		err = -errno;
		ts_gpu_time_cleanup(g);
		return err;
	}
	return 0;
}

int ts_gpu_time_prepare_attach(struct ts_gpu_time *g)
{
	memset(g, 0, sizeof(*g));
	return write_lib(g);
}

#define RTLD_NOW_ 2

/* One call into the stopped process: func from lib, with a string argument (or none). */
static int remote_call(struct ts_ptrace *p, pid_t pid, const char *lib, const char *func,
		       const char *str, uint64_t arg1, uint64_t *ret)
{
	uint64_t addr, args[2] = { str ? TS_PTRACE_DATA : 0, arg1 };
	int err = ts_proc_func_addr(pid, lib, func, &addr);

	if (err)
		return err;
	return ts_ptrace_call(p, addr, args, 2, str, str ? strlen(str) + 1 : 0, ret);
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

/*
 * Does pid see the files we see (the same mount namespace, the same root)?
 * The library's path means what we checked only there: in a chroot it
 * names whatever the chroot's owner put at it.
 */
static bool same_mounts(pid_t pid)
{
	char ns[64], root[64];

	snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", pid);
	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	return same_file("/proc/self/ns/mnt", ns) && same_file("/", root);
}

/* pid cannot take the call safely (ts_ptrace_unsafe's err and why): said, with what to do */
static void say_unsafe(pid_t pid, int err, const char *why)
{
	if (err == -EPERM)
		warn("--gpu-time: pid %d %s: a call injected into it could be refused or kill it; "
		     "start the program under the tracer with -- instead, or trace it without "
		     "--gpu-time\n",
		     pid, why);
	else if (err == -EAGAIN)
		warn("--gpu-time: pid %d %s: continue it first (kill -CONT %d), or trace it without "
		     "--gpu-time\n",
		     pid, why, pid);
	else
		warn("--gpu-time: pid %d: %s\n", pid, strerror(-err));
}

int ts_gpu_time_check_pid(pid_t pid)
{
	char why[96];
	int err;

	if (!same_mounts(pid)) {
		warn("--gpu-time: pid %d lives in another mount namespace or under another root "
		     "(a container, a chroot): it cannot load the library from here; run the "
		     "tracer inside it, start the program under the tracer with --, or trace it "
		     "without --gpu-time\n",
		     pid);
		return -EXDEV;
	}
	err = ts_ptrace_unsafe(pid, why, sizeof(why));
	if (err)
		say_unsafe(pid, err, why);
	return err;
}

/*
 * Why the call into pid failed, said once with its real cause: doing is what
 * was under way, then is what follows for the trace.
 */
static void say_failed(const struct ts_ptrace *p, pid_t pid, int err, const char *doing,
		       const char *then)
{
	int st = p->end_status;

	if (err == -ESRCH && p->ended && WIFEXITED(st))
		warn("--gpu-time: pid %d exited with status %d while %s; %s\n", pid,
		     WEXITSTATUS(st), doing, then);
	else if (err == -ESRCH && p->ended)
		warn("--gpu-time: pid %d was killed by signal %d (SIG%s) while %s; %s\n", pid,
		     WTERMSIG(st), sigabbrev_np(WTERMSIG(st)) ?: "?", doing, then);
	else if (err == -EAGAIN)
		warn("--gpu-time: pid %d is stopped (by SIG%s; kill -CONT %d continues it), so "
		     "nothing was done in it; %s\n",
		     pid, sigabbrev_np(p->stop_sig) ?: "?", pid, then);
	else
		warn("--gpu-time: pid %d: %s while %s; %s\n", pid,
		     err == -ENOEXEC ? "dlopen failed" : strerror(-err), doing, then);
}

int ts_gpu_time_inject(struct ts_gpu_time *g, pid_t pid, const char *cupti)
{
	struct ts_ptrace p;
	char abs[PATH_MAX], why[96];
	uint64_t ret = 0;
	int err;

	g->failed = true; /* until it is in */
	if (cupti && !realpath(cupti, abs)) {
		err = -errno;
		warn("--cupti %s: %s\n", cupti, strerror(-err));
		return err;
	}
	warn("--gpu-time: loading %s into pid %d with ptrace (the process pauses for a moment)\n",
	     g->lib, pid);
	err = ts_ptrace_attach(&p, pid);
	if (err == -EPERM) {
		warn("--gpu-time: cannot stop pid %d with ptrace: %s (Yama ptrace_scope, or a "
		     "debugger already attached?); tracing without GPU times\n",
		     pid, strerror(-err));
		return err;
	}
	/* a filter set since ts_gpu_time_check_pid looked, now that it cannot change */
	if (!err && (err = ts_ptrace_unsafe(pid, why, sizeof(why))) == -EPERM) {
		ts_ptrace_detach(&p);
		say_unsafe(pid, err, why);
		return err;
	}
	/* glibc 2.34+ exports dlopen from libc itself */
	if (!err)
		err = remote_call(&p, pid, "libc.so.6", "dlopen", g->lib, RTLD_NOW_, &ret);
	if (!err && !ret)
		err = -ENOEXEC;
	if (!err)
		err = remote_call(&p, pid, g->lib, "ts_cupti_attach", cupti ? abs : NULL, 0, &ret);
	ts_ptrace_detach(&p);
	if (err) {
		say_failed(&p, pid, err, "the library was loading into it",
			   "tracing without GPU times");
		return err;
	}
	g->injected = true;
	g->failed = false;
	return 0;
}

void ts_gpu_time_eject(struct ts_gpu_time *g, pid_t pid)
{
	struct ts_ptrace p;
	uint64_t ret;
	int err;

	if (!g->lib[0] || pid <= 0 || kill(pid, 0))
		return;
	g->injected = false;
	/* CUPTI off again: the process runs on as it was before the trace */
	err = ts_ptrace_attach(&p, pid);
	if (!err)
		err = remote_call(&p, pid, g->lib, "ts_cupti_detach", NULL, 0, &ret);
	ts_ptrace_detach(&p);
	if (err && !(err == -ESRCH && !p.ended))
		say_failed(&p, pid, err, "CUPTI was stopping in it",
			   "its last GPU records are not in the trace");
}

void ts_gpu_time_cleanup(struct ts_gpu_time *g)
{
	if (!g || !g->dir[0])
		return;
	/* a process that loaded it keeps its mapping; the uprobes keep the inode */
	if (g->lib[0])
		unlink(g->lib);
	rmdir(g->dir);
	g->dir[0] = g->lib[0] = '\0';
}
