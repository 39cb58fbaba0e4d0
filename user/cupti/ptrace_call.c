// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Calling a function inside another process (x86-64), as debuggers and
 * wprof do: stop one of its threads with ptrace, point it at the function
 * with the arguments in registers and a return address of 0, let it run
 * until it faults on that return, read the result, put every register back.
 *
 * The thread chosen is one blocked in a system call (the main thread first):
 * such a thread holds no allocator or loader lock, so dlopen() cannot
 * deadlock on one it holds itself. A call that does not return within
 * TS_PTRACE_CALL_MS is given up on (the registers still go back).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "probe/libfind.h"
#include "cupti/ptrace_call.h"
#include "lib/util.h"

#define TS_PTRACE_CALL_MS 3000

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

int ts_ptrace_attach(struct ts_ptrace *p, pid_t pid)
{
	int st;

	memset(p, 0, sizeof(*p));
	p->tid = pick_thread(pid);
	if (ptrace(PTRACE_SEIZE, p->tid, NULL, NULL))
		return -errno;
	if (ptrace(PTRACE_INTERRUPT, p->tid, NULL, NULL) ||
	    waitpid(p->tid, &st, __WALL) != p->tid || !WIFSTOPPED(st)) {
		int err = -errno ?: -ESRCH;

		ptrace(PTRACE_DETACH, p->tid, NULL, NULL);
		return err;
	}
	p->attached = true;
	return 0;
}

void ts_ptrace_detach(struct ts_ptrace *p)
{
	if (!p || !p->attached)
		return;
	/* a signal that came for the process while we held it goes on to it */
	ptrace(PTRACE_DETACH, p->tid, NULL, (void *)(long)p->pending_sig);
	p->attached = false;
}

/* Wait for the call to fault on its return address; other signals are kept for later. */
static int wait_return(struct ts_ptrace *p)
{
	struct timespec start, now;
	int st, sig;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t w = waitpid(p->tid, &st, __WALL | WNOHANG);

		if (w < 0)
			return -errno;
		if (w == 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((now.tv_sec - start.tv_sec) * 1000 +
				    (now.tv_nsec - start.tv_nsec) / 1000000 >
			    TS_PTRACE_CALL_MS) {
				ptrace(PTRACE_INTERRUPT, p->tid, NULL, NULL);
				waitpid(p->tid, &st, __WALL);
				return -ETIMEDOUT;
			}
			usleep(1000);
			continue;
		}
		if (!WIFSTOPPED(st))
			return -ESRCH; /* it died */
		sig = WSTOPSIG(st);
		if (sig == SIGSEGV)
			return 0;
		if (sig != SIGTRAP && sig != SIGSTOP && !p->pending_sig)
			p->pending_sig = sig;
		if (ptrace(PTRACE_CONT, p->tid, NULL, NULL))
			return -errno;
	}
}

int ts_ptrace_call(struct ts_ptrace *p, uint64_t func, const uint64_t *args, unsigned int nargs,
		   const void *data, size_t len, uint64_t *ret)
{
	struct user_regs_struct saved, r;
	struct user_fpregs_struct fp;
	uint64_t zero = 0, data_at;
	struct iovec local, remote;
	int err;

	if (nargs > 4 || len > 2048)
		return -EINVAL;
	if (ptrace(PTRACE_GETREGS, p->tid, NULL, &saved) ||
	    ptrace(PTRACE_GETFPREGS, p->tid, NULL, &fp))
		return -errno;
	r = saved;
	/* below the red zone: the data, then a stack aligned as the ABI wants, return address 0 */
	data_at = (saved.rsp - 128 - len - 64) & ~0xfull;
	r.rsp = (data_at - 256) & ~0xfull;
	r.rsp -= 8;
	local = (struct iovec){ (void *)data, len };
	remote = (struct iovec){ (void *)data_at, len };
	if (len && process_vm_writev(p->tid, &local, 1, &remote, 1, 0) != (ssize_t)len)
		return -errno;
	local = (struct iovec){ &zero, 8 };
	remote = (struct iovec){ (void *)r.rsp, 8 };
	if (process_vm_writev(p->tid, &local, 1, &remote, 1, 0) != 8)
		return -errno;
	/* an argument equal to TS_PTRACE_DATA is the address of the data */
	r.rdi = nargs > 0 ? (args[0] == TS_PTRACE_DATA ? data_at : args[0]) : 0;
	r.rsi = nargs > 1 ? (args[1] == TS_PTRACE_DATA ? data_at : args[1]) : 0;
	r.rdx = nargs > 2 ? args[2] : 0;
	r.rcx = nargs > 3 ? args[3] : 0;
	r.rax = 0;
	r.rip = func;
	r.orig_rax = -1; /* not in a syscall: no restart logic on our way in */
	if (ptrace(PTRACE_SETREGS, p->tid, NULL, &r) || ptrace(PTRACE_CONT, p->tid, NULL, NULL))
		return -errno;
	err = wait_return(p);
	if (!err && !ptrace(PTRACE_GETREGS, p->tid, NULL, &r))
		*ret = r.rax;
	/* as it was: an interrupted syscall restarts */
	if (ptrace(PTRACE_SETREGS, p->tid, NULL, &saved) ||
	    ptrace(PTRACE_SETFPREGS, p->tid, NULL, &fp))
		return err ? err : -errno;
	return err;
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
