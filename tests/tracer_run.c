// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Running the tracer and the test programs from the BPF tests: see tracer_run.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <libgen.h>
#include <ftw.h>
#include <sys/stat.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "trace_json.h"
#include "tmpdir.h"
#include "tracer_run.h"

const char *bin, *fakecuda, *fakeapp;
char dir[256];
static char safe_dir[64];

char *path_in(const char *name)
{
	return test_path(name);
}

char *safe_path(const char *name)
{
	static char p[16][512];
	static int k;

	k = (k + 1) % 16;
	snprintf(p[k], sizeof(p[k]), "%s/%s", safe_dir, name);
	return p[k];
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void remove_safe_dir(void)
{
	if (safe_dir[0])
		nftw(safe_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Start argv with stderr on a pipe (when err_fd is set); returns the pid. */
pid_t start(char **argv, int *err_fd)
{
	int p[2] = { -1, -1 };
	pid_t pid;

	if (err_fd && pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (err_fd) {
			dup2(p[1], 2);
			close(p[0]);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (err_fd) {
		close(p[1]);
		*err_fd = p[0];
	}
	return pid;
}

int wait_status(pid_t pid)
{
	int st = 0;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Read fd until needle shows up; collects what it read into buf. */
bool wait_for(int fd, const char *needle, char *buf, size_t len, int timeout_ms)
{
	size_t off = strlen(buf);
	struct pollfd pfd = { fd, POLLIN, 0 };

	while (!strstr(buf, needle)) {
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return false;
		n = read(fd, buf + off, len - 1 - off);
		if (n <= 0)
			return false;
		off += n;
		buf[off] = '\0';
	}
	return true;
}

/*
 * Read pid's stderr into err until it ends or pid exits (a command it left
 * running may hold the pipe open), then reap it: its exit status. Up to 2
 * minutes: detaching perf-event uprobes takes ~25 s alone.
 */
int collect(pid_t pid, int fd, char *err, size_t len)
{
	size_t off = strlen(err);
	struct pollfd pfd = { fd, POLLIN, 0 };
	bool gone = false, eof = false;
	int st = 0, rounds;
	ssize_t n;

	for (rounds = 0; rounds < 600 && !eof; rounds++) {
		if (!gone && waitpid(pid, &st, WNOHANG) == pid)
			gone = true;
		/* once it is gone, only what is already in the pipe */
		if (poll(&pfd, 1, gone ? 0 : 200) <= 0) {
			if (gone)
				break;
			continue;
		}
		n = read(fd, err + off, len - 1 - off);
		if (n <= 0) {
			eof = true;
			break;
		}
		off += n;
		err[off] = '\0';
	}
	close(fd);
	if (!gone)
		return wait_status(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Ctrl-C the tracer, check it exits 0, and load what it wrote. */
void interrupt_and_load(pid_t tr, int fd, const char *out, struct trace *t)
{
	char err[4096] = "";

	kill(tr, SIGINT);
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_int_equal(trace_load(t, out), 0);
}

/* Run the tracer to completion; returns its exit status, its stderr in err. */
int run_tracer(char **argv, char *err, size_t len)
{
	int fd, st;
	pid_t pid = start(argv, &fd);

	err[0] = '\0';
	st = collect(pid, fd, err, len);
	if (st)
		fprintf(stderr, "tracer exited %d: %s\n", st, err);
	return st;
}

/* tracesmith-bpf --lib fake -o out -- fakeapp --lib fake MODE */
int trace_mode(const char *out, const char *mode, struct trace *t)
{
	char *argv[] = {
		(char *)bin,	 "--lib", (char *)fakecuda, "-o",	  (char *)out, "--",
		(char *)fakeapp, "--lib", (char *)fakecuda, (char *)mode, NULL
	};
	char err[4096];
	int st = run_tracer(argv, err, sizeof(err));

	if (st)
		return st;
	if (!strstr(err, "events written to"))
		return -2;
	return t ? trace_load(t, out) : 0;
}

void expect_error(char **argv, const char *msg)
{
	char err[4096];
	int fd, st;
	pid_t pid = start(argv, &fd);

	err[0] = '\0';
	st = collect(pid, fd, err, sizeof(err));
	if (st != 1 || !strstr(err, msg))
		fprintf(stderr, "expected exit 1 with '%s', got %d: %s\n", msg, st, err);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, msg));
}

int tracer_setup(void **state)
{
	bin = getenv("TS_BIN");
	fakecuda = getenv("TS_FAKECUDA");
	fakeapp = getenv("TS_FAKEAPP");
	if (!bin || !fakecuda || !fakeapp) {
		fprintf(stderr, "set TS_BIN, TS_FAKECUDA and TS_FAKEAPP (make bpf-test does)\n");
		return -1;
	}
	if (test_dir_init("ts-bpf-test"))
		return -1;
	snprintf(dir, sizeof(dir), "%s", test_dir());
	snprintf(safe_dir, sizeof(safe_dir), "/run/ts-bpf-test-XXXXXX");
	if (!mkdtemp(safe_dir) || chmod(safe_dir, 0755))
		return -1;
	atexit(remove_safe_dir);
	/* what the tracer learns and keeps (names.h) stays in the test's folder */
	setenv("TRACESMITH_STATE_DIR", safe_path("state"), 1);
	return 0;
}

pid_t child_of(pid_t parent)
{
	int tries;

	for (tries = 0; tries < 50; tries++) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		pid_t found = 0;

		while (d && (de = readdir(d)) && !found) {
			char path[300], buf[512], *rp;
			int ppid = 0;
			FILE *f;

			if (atoi(de->d_name) <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			/* the comm may hold spaces: the fields after it follow the last ')' */
			if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) &&
			    sscanf(rp + 2, "%*c %d", &ppid) == 1 && ppid == parent)
				found = atoi(de->d_name);
			fclose(f);
		}
		if (d)
			closedir(d);
		if (found)
			return found;
		usleep(20000);
	}
	return 0;
}

bool pid_alive(pid_t pid)
{
	char path[64], buf[512], *rp;
	bool alive = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	/* a zombie has exited: it only waits for its parent */
	if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')))
		alive = rp[2] != 'Z';
	fclose(f);
	return alive;
}

static int run_checker(const char *script, const char *path, const char *args)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "tests/%s %s %s >/dev/null", script, path, args);
	return system(cmd) ? 1 : 0;
}

int check_pftrace(const char *path, const char *extra)
{
	const char *full = getenv("TS_PERFETTO_PROTO");
	char args[2048];

	if (run_checker("check_pftrace.py", path, extra ? extra : ""))
		return 1;
	/* Perfetto's whole schema, where a developer has it: a second opinion */
	if (!full || access(full, R_OK))
		return 0;
	snprintf(args, sizeof(args), "--proto %s %s", full, extra ? extra : "");
	return run_checker("check_pftrace.py", path, args);
}

int check_json(const char *path, bool cut, const char *extra)
{
	char args[2048];

	snprintf(args, sizeof(args), "%s %s", cut ? "--cut" : "", extra ? extra : "");
	return run_checker("check_json.py", path, args);
}

char *find_partial(const char *prefix)
{
	static char found[1024];
	size_t n = strlen(prefix);
	struct dirent *de;
	DIR *d = opendir(dir);
	int hits = 0;

	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, prefix, n)) {
			snprintf(found, sizeof(found), "%s/%s", dir, de->d_name);
			hits++;
		}
	if (d)
		closedir(d);
	return hits == 1 ? found : NULL;
}

bool tracer_root(const char *suite)
{
	if (geteuid() == 0)
		return true;
	if (getenv("CI"))
		fprintf(stderr, "%s: CI must run these as root\n", suite);
	else
		fprintf(stderr, "%s: not root, skipping (run: sudo make bpf-test)\n", suite);
	return false;
}

int handoff_first_byte(const char *lib, const char *sym)
{
	char path[4096], *copy = strdup(bin);
	const unsigned char *fn;
	void *h;
	int b;

	assert_non_null(copy);
	snprintf(path, sizeof(path), "%s/%s", dirname(copy), lib);
	free(copy);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fail_msg("%s: %s", path, dlerror());
	fn = dlsym(h, sym);
	if (!fn)
		fail_msg("%s: no %s", path, sym);
	b = fn[0];
	dlclose(h);
	return b;
}

void wait_path(const char *path, int timeout_ms)
{
	int waited;

	for (waited = 0; waited < timeout_ms && access(path, F_OK); waited += 10)
		usleep(10000);
	if (access(path, F_OK))
		fail_msg("%s never came (%d ms)", path, timeout_ms);
}
