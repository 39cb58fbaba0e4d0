// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Calling a function inside another process, as debuggers and wprof do:
 * stop one of its threads with ptrace, point it at the function with the
 * arguments in registers and a return address of 0, let it run until it
 * faults on that return, read the result, put every register and every byte
 * we wrote back. The registers are the architecture's (ptrace_x86.c,
 * ptrace_arm64.c).
 *
 * The thread chosen is one blocked in a system call (the main thread first):
 * such a thread holds no allocator or loader lock, so dlopen() cannot
 * deadlock on one it holds itself. A call is never given up on: once it
 * runs it may hold the loader lock (in a library constructor), and a thread
 * taken away from it there would leave the lock held for good, every other
 * thread of the process waiting on it. So we wait until it returns or the
 * process dies, saying so after a moment; the tracer's stop signals take
 * effect after that. (SIGKILL of the tracer cannot be caught: the kernel
 * then lets the thread go on, and it faults on the return address.)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "probe/libfind.h"
#include "cupti/ptrace_call.h"
#include "cupti/ptrace_arch.h"
#include "lib/util.h"

/* How long a call runs before we say what we wait for */
#define TS_PTRACE_SAY_NS 1500000000ull
/* Below the stack's red zone: at most the data, 64 + 16 bytes of alignment, 256 + 8 for the frame */
#define TS_PTRACE_MAX_DATA 2048
#define TS_PTRACE_SPAN	   (TS_PTRACE_MAX_DATA + 64 + 16 + 256 + 16 + 8)

/* Is the thread inside a system call (not running user code)? */
static bool in_syscall(pid_t pid, pid_t tid)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	if (ts_read_file(path, buf, sizeof(buf)) <= 0)
		return false;
	return strncmp(buf, "running", 7) && strncmp(buf, "-1", 2);
}

/* The main thread if it waits in a syscall, else another that does, else the main one. */
static pid_t pick_thread(pid_t pid)
{
	char path[64];
	struct dirent *d;
	pid_t tid = pid;
	DIR *dir;

	if (in_syscall(pid, pid))
		return pid;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	while (dir && (d = readdir(dir))) {
		pid_t t = atoi(d->d_name);

		if (t > 0 && in_syscall(pid, t)) {
			tid = t;
			break;
		}
	}
	if (dir)
		closedir(dir);
	return tid;
}

/* The value after "key:" in a /proc status file (its first character in *c), or -1. */
static long status_field(const char *path, const char *key, char *c)
{
	char buf[4096], *at;
	size_t n = strlen(key);

	if (ts_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	for (at = buf; at; at = strchr(at, '\n') ? strchr(at, '\n') + 1 : NULL) {
		if (strncmp(at, key, n) || at[n] != ':')
			continue;
		at += n + 1 + strspn(at + n + 1, " \t");
		if (c)
			*c = *at;
		return strtol(at, NULL, 10);
	}
	return -1;
}

int ts_ptrace_unsafe(pid_t pid, char *why, size_t len)
{
	char path[64], state = 0;
	struct dirent *d;
	int err = 0;
	long mode;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	/*
	 * A filter belongs to a thread, and the call runs in one of them: whether
	 * what dlopen and a library's constructor do (openat, mmap, threads,
	 * ioctls) passes a filter cannot be known in advance, and a filter may
	 * kill the whole process on the first refused call.
	 */
	while (!err && (d = readdir(dir))) {
		pid_t t = atoi(d->d_name);

		if (t <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, t);
		mode = status_field(path, "Seccomp", NULL);
		if (mode > 0) {
			snprintf(why, len, "runs under %s (thread %d)",
				 mode == 1 ? "seccomp strict mode" : "a seccomp filter", t);
			err = -EPERM;
		}
	}
	closedir(dir);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	/* stopped, its other threads may hold a lock the call needs until it is continued */
	if (!err && status_field(path, "State", &state) >= 0 && state == 'T') {
		snprintf(why, len, "is stopped");
		err = -EAGAIN;
	}
	return err;
}

/* The thread ended (the process with it): how, for the caller to say. */
static int ended(struct ts_ptrace *p, int st)
{
	p->attached = false;
	p->ended = true;
	p->end_status = st;
	return -ESRCH;
}

/* A signal that came for the thread while we held it: kept, given back at detach. */
static int keep_signal(struct ts_ptrace *p, int sig)
{
	if (sig > 0 && sig <= 64)
		p->pending |= 1ull << (sig - 1);
	return ptrace(PTRACE_CONT, p->tid, NULL, NULL) ? -errno : 0;
}

/*
 * After PTRACE_INTERRUPT: 0 once the thread is in our stop, -EAGAIN if a
 * signal holds the process stopped (stop_sig), -ESRCH if it ended.
 */
static int wait_interrupted(struct ts_ptrace *p)
{
	int st, err;

	for (;;) {
		if (waitpid(p->tid, &st, __WALL) != p->tid) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!WIFSTOPPED(st))
			return ended(p, st);
		if (st >> 16 == PTRACE_EVENT_STOP) {
			if (WSTOPSIG(st) == SIGTRAP)
				return 0;
			/* a group stop: the stop signal's number, not our interrupt's SIGTRAP */
			p->stop_sig = WSTOPSIG(st);
			return -EAGAIN;
		}
		err = keep_signal(p, WSTOPSIG(st));
		if (err)
			return err;
	}
}

int ts_ptrace_attach(struct ts_ptrace *p, pid_t pid)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->tid = pick_thread(pid);
	if (ptrace(PTRACE_SEIZE, p->tid, NULL, NULL))
		return -errno;
	p->attached = true;
	err = ptrace(PTRACE_INTERRUPT, p->tid, NULL, NULL) ? -errno : wait_interrupted(p);
	if (err)
		ts_ptrace_detach(p);
	return err;
}

void ts_ptrace_detach(struct ts_ptrace *p)
{
	int sig;

	if (!p || !p->attached)
		return;
	/* a process that was stopped stops again: the kernel keeps its group stop */
	ptrace(PTRACE_DETACH, p->tid, NULL, NULL);
	p->attached = false;
	/* the signals it would have had, to the thread that took them (their sender is lost) */
	for (sig = 1; sig <= 64; sig++)
		if (p->pending & (1ull << (sig - 1)))
			syscall(SYS_tgkill, p->pid, p->tid, sig);
	p->pending = 0;
}

/* A fault of the call's own (not our return, not a signal someone sent): it is delivered now. */
static bool own_fault(pid_t tid, int sig)
{
	siginfo_t si;

	if (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGFPE && sig != SIGTRAP)
		return false;
	return !ptrace(PTRACE_GETSIGINFO, tid, NULL, &si) && si.si_code > 0;
}

/* Has the call returned: stopped on the fault of jumping to our return address 0? */
static bool returned(pid_t tid, int sig)
{
	struct ts_arch_regs r;

	return sig == SIGSEGV && !ts_arch_regs_get(tid, &r) && ts_arch_regs_returned(&r);
}

/* One stop during the call: the thread let go on as it should. 1: the call returned. */
static int on_stop(struct ts_ptrace *p, int st, bool *said_stop)
{
	int sig = WSTOPSIG(st);

	if (st >> 16 == PTRACE_EVENT_STOP) {
		if (sig == SIGTRAP) /* continued after a group stop */
			return ptrace(PTRACE_CONT, p->tid, NULL, NULL) ? -errno : 0;
		/* stopped by a signal mid-call: it stays stopped until continued */
		if (!*said_stop)
			warn("pid %d was stopped (SIG%s) during the call injected into it: waiting "
			     "for it to be continued (kill -CONT %d)\n",
			     p->pid, sigabbrev_np(sig) ?: "?", p->pid);
		*said_stop = true;
		return ptrace(PTRACE_LISTEN, p->tid, NULL, NULL) ? -errno : 0;
	}
	if (returned(p->tid, sig))
		return 1;
	/* a crash of the library's own: as any crash of the program, its handler or its end */
	if (own_fault(p->tid, sig))
		return ptrace(PTRACE_CONT, p->tid, NULL, (void *)(long)sig) ? -errno : 0;
	return keep_signal(p, sig);
}

/*
 * Wait for the call to return (0) or the process to end (-ESRCH); never
 * given up on (see the top of the file). Polled, to say after a moment what
 * we wait for; the tracer's signals interrupt the naps, never the wait.
 */
static int wait_return(struct ts_ptrace *p)
{
	uint64_t t0 = ts_now_ns(CLOCK_MONOTONIC);
	bool said = false, said_stop = false;
	unsigned int nap_us = 100;
	int st, err;

	for (;;) {
		pid_t w = waitpid(p->tid, &st, __WALL | WNOHANG);

		if (w < 0 && errno != EINTR)
			return -errno;
		if (w <= 0) {
			if (!said && ts_now_ns(CLOCK_MONOTONIC) - t0 > TS_PTRACE_SAY_NS) {
				warn("waiting for the call injected into pid %d to return (a library "
				     "constructor is running); it is put back as it was once the call "
				     "returns, and Ctrl-C takes effect only then\n",
				     p->pid);
				said = true;
			}
			usleep(nap_us);
			nap_us = nap_us < 20000 ? nap_us * 2 : nap_us;
			continue;
		}
		if (!WIFSTOPPED(st))
			return ended(p, st);
		err = on_stop(p, st, &said_stop);
		if (err)
			return err > 0 ? 0 : err;
	}
}

/* Copy len bytes between us and the process at addr (write: to it). 0 or -errno. */
static int proc_mem(pid_t tid, void *buf, uint64_t addr, size_t len, bool write)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	ssize_t n = write ? process_vm_writev(tid, &local, 1, &remote, 1, 0)
			  : process_vm_readv(tid, &local, 1, &remote, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : -EIO;
}

int ts_ptrace_call(struct ts_ptrace *p, uint64_t func, const uint64_t *args, unsigned int nargs,
		   const void *data, size_t len, uint64_t *ret)
{
	static unsigned char below[TS_PTRACE_SPAN];
	static struct ts_arch_regs saved, r;
	uint64_t zero = 0, data_at, low, sp, ret_slot, argv[4];
	unsigned int i;
	size_t span;
	int err, back;

	if (nargs > 4 || len > TS_PTRACE_MAX_DATA)
		return -EINVAL;
	err = ts_arch_regs_get(p->tid, &saved);
	if (err)
		return err;
	r = saved;
	/* below the red zone: the data, then a stack aligned as the ABI wants, return address 0 */
	data_at = (ts_arch_regs_sp(&saved) - 128 - len - 64) & ~0xfull;
	sp = (data_at - 256) & ~0xfull;
	/* an argument equal to TS_PTRACE_DATA is the address of the data */
	for (i = 0; i < nargs; i++)
		argv[i] = args[i] == TS_PTRACE_DATA ? data_at : args[i];
	ret_slot = ts_arch_regs_call(&r, func, sp, argv, nargs);
	/* what was there goes back after the call (the stack below it is free by the ABI) */
	low = ret_slot ? ret_slot : sp;
	span = data_at + len - low;
	err = proc_mem(p->tid, below, low, span, false);
	if (!err && len)
		err = proc_mem(p->tid, (void *)data, data_at, len, true);
	if (!err && ret_slot)
		err = proc_mem(p->tid, &zero, ret_slot, 8, true);
	if (err)
		return err;
	err = ts_arch_regs_set(p->tid, &r);
	if (!err && ptrace(PTRACE_CONT, p->tid, NULL, NULL))
		err = -errno;
	if (!err)
		err = wait_return(p);
	if (p->ended)
		return err;
	if (!err && !ts_arch_regs_get(p->tid, &r))
		*ret = ts_arch_regs_ret(&r);
	/* as it was: an interrupted syscall restarts */
	back = proc_mem(p->tid, below, low, span, true);
	if (!back)
		back = ts_arch_regs_set(p->tid, &saved);
	return err ? err : back;
}

/* A /proc/PID/maps line whose file name ends with lib: its range, offset, path. */
struct map_line {
	uint64_t start, end, off;
	char perms[8];
	char path[4096];
};

static bool next_map(FILE *f, const char *lib, struct map_line *m)
{
	char line[4352];
	size_t n = strlen(lib), pn;

	while (fgets(line, sizeof(line), f)) {
		m->path[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %4095[^\n]", &m->start, &m->end, m->perms,
			   &m->off, m->path) < 4)
			continue;
		pn = strlen(m->path);
		if (pn >= n && !strcmp(m->path + pn - n, lib) &&
		    (pn == n || m->path[pn - n - 1] == '/' || lib[0] == '/'))
			return true;
	}
	return false;
}

int ts_proc_func_addr(pid_t pid, const char *lib, const char *func, uint64_t *addr)
{
	char maps[64], file[128];
	struct map_line m;
	uint64_t off = 0;
	FILE *f;
	int err = -ENOENT;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	f = fopen(maps, "re");
	if (!f)
		return -errno;
	while (next_map(f, lib, &m)) {
		/* the file as the process mapped it, whatever its mount namespace */
		if (!off) {
			snprintf(file, sizeof(file), "/proc/%d/map_files/%lx-%lx", pid, m.start,
				 m.end);
			if (ts_elf_func_offset(file, func, &off) || !off)
				break;
		}
		if (strchr(m.perms, 'x') && off >= m.off && off < m.off + (m.end - m.start)) {
			*addr = m.start + (off - m.off);
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}
