// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --stacks: every launch, allocation, free and synchronize of a real CPython
 * program (Debian's python3.11, tests/pystack_app.py calling the stand-in
 * driver through ctypes, which releases the GIL) carries its Python stack,
 * frame by frame, and its native caller; a C program gets its callers and
 * no stack. Under --, under -p, and for a process that exits before the
 * tracer drains its records (the tracer is stopped meanwhile). Exact counts.
 * Root, like the other BPF tests; each test stops what it started, by pid.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <glob.h>
#include <stdbool.h>
#include "trace_json.h"
#include "tracer_run.h"
#include "workloads.h"

static const char *python = "/usr/bin/python3.11";
static char app[PATH_MAX], threading_py[PATH_MAX];
/* 3.10's code objects have no qualified name: its frames say "step", not "Model.step" */
static bool qualified = true;

static int threading_file(void);

/* The line of pystack_app.py marked "# @mark". */
static int line_of(const char *mark)
{
	char line[512], want[64];
	FILE *f = fopen(app, "r");
	int n = 0, found = 0;

	assert_non_null(f);
	snprintf(want, sizeof(want), "# @%s\n", mark);
	while (!found && fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, want))
			found = n;
	}
	fclose(f);
	assert_true(found > 0);
	return found;
}

/* "APP:LINE function" */
static char *frame(char *buf, size_t len, const char *mark, const char *func)
{
	int n = snprintf(buf, len, "%s:%d %s", app, line_of(mark), func);

	assert_true(n > 0 && (size_t)n < len);
	return buf;
}

/* Calls named name whose py_stack is exactly want (NULL: with no py_stack). */
static int count_stack(const struct trace *t, const char *name, const char *want)
{
	int i, n = 0;
	json_object *e;

	for (i = 0; (e = trace_find(t, "X", name, HOST, i)); i++) {
		const char *s = ev_arg_str(e, "py_stack");

		if (!want && !s)
			n++;
		else if (want && s && !strcmp(s, want))
			n++;
	}
	return n;
}

/* Calls named name whose py_stack starts with prefix. */
static int count_stack_prefix(const struct trace *t, const char *name, const char *prefix)
{
	int i, n = 0;
	json_object *e;

	for (i = 0; (e = trace_find(t, "X", name, HOST, i)); i++) {
		const char *s = ev_arg_str(e, "py_stack");

		if (s && !strncmp(s, prefix, strlen(prefix)))
			n++;
	}
	return n;
}

/* Every host call of the trace but the first skip has a caller starting with prefix. */
static void callers_are(const struct trace *t, const char *prefix, int skip)
{
	int i, n = 0;
	json_object *e;

	for (i = skip; (e = trace_find(t, "X", NULL, HOST, i)); i++) {
		const char *c = ev_arg_str(e, "caller");

		assert_non_null(c);
		if (strncmp(c, prefix, strlen(prefix)))
			fail_msg("caller %s of %s, not %s...", c, ev_str(e, "name"), prefix);
		n++;
	}
	assert_true(n > 0);
}

/* What pystack_app.py's calls must say, frame by frame, with exact counts. */
static void check_app(const struct trace *t, bool from_start, int skip)
{
	char a[PATH_MAX + 64], b[PATH_MAX + 64], c[PATH_MAX + 64], d[PATH_MAX + 64];
	char want[5 * (PATH_MAX + 64)];

	/* Model.step's launches: launch <- Model.step <- main <- <module> */
	snprintf(want, sizeof(want), "%s <- %s <- %s <- %s",
		 frame(a, sizeof(a), "launch", "launch"),
		 frame(b, sizeof(b), "step_launch", qualified ? "Model.step" : "step"),
		 frame(c, sizeof(c), "main_step", "main"),
		 frame(d, sizeof(d), "module", "<module>"));
	assert_int_equal(count_stack(t, "cuLaunchKernel", want), 2);
	/* the second thread's: launch <- worker <- threading.py's Thread.run, ... */
	snprintf(want, sizeof(want), "%s <- %s <- %s", frame(a, sizeof(a), "launch", "launch"),
		 frame(b, sizeof(b), "worker_launch", "worker"), threading_py);
	assert_int_equal(count_stack_prefix(t, "cuLaunchKernel", want), 3);
	assert_int_equal(trace_count(t, "X", "cuLaunchKernel", HOST), 5);
	snprintf(want, sizeof(want), "%s <- %s <- %s",
		 frame(a, sizeof(a), "alloc", qualified ? "Model.step" : "step"),
		 frame(c, sizeof(c), "main_step", "main"),
		 frame(d, sizeof(d), "module", "<module>"));
	assert_int_equal(count_stack(t, "cuMemAlloc_v2", want), 1);
	snprintf(want, sizeof(want), "%s <- %s <- %s",
		 frame(a, sizeof(a), "free", qualified ? "Model.step" : "step"),
		 frame(c, sizeof(c), "main_step", "main"),
		 frame(d, sizeof(d), "module", "<module>"));
	assert_int_equal(count_stack(t, "cuMemFree_v2", want), 1);
	snprintf(want, sizeof(want), "%s <- %s", frame(a, sizeof(a), "sync", "main"),
		 frame(d, sizeof(d), "module", "<module>"));
	assert_int_equal(count_stack(t, "cuCtxSynchronize", want), 1);
	/* not a call that submits, allocates, frees or synchronizes: no stack walked */
	assert_int_equal(count_stack(t, "cuModuleGetFunction", NULL), from_start ? 1 : 0);
	/* ctypes calls through libffi: every call's caller is there */
	callers_are(t, "libffi.so", skip);
}

/* Lines of the file at path with every one of the needles. */
static int lines_with(const char *path, const char *a, const char *b)
{
	char line[8192];
	FILE *f = fopen(path, "r");
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, a) && strstr(line, b);
	fclose(f);
	return n;
}

/*
 * The same stacks in the .pftrace (interned Callstacks on the calls and their
 * GPU work: caller, then the Python frames) and in the callsite_sum report of the capture; the
 * capture replays into the same .pftrace, byte for byte.
 */
static void check_stack_outputs(const struct trace *t, const char *pf, const char *cap)
{
	json_object *e = trace_find(t, "X", "cuLaunchKernel", HOST, 0);
	char *rep = path_in("cmd-replay.pftrace"), *csv = path_in("cmd-callsite.csv"),
	     *replay[] = { (char *)bin, "replay", (char *)cap, "-o", rep, NULL },
	     *stats[] = { (char *)bin, "stats", (char *)cap, "--report", "callsite_sum",
			  "--format",  "csv",	"-o",	     csv,	 NULL };
	char err[4096], arg[4 * PATH_MAX], cmd[2 * PATH_MAX], fr[PATH_MAX + 64],
		want[PATH_MAX + 128];
	const char *py, *caller;

	/* the main thread's first launch is Model.step's (the worker starts after it) */
	assert_non_null(e);
	py = ev_arg_str(e, "py_stack");
	caller = ev_arg_str(e, "caller");
	assert_non_null(py);
	assert_non_null(caller);
	assert_non_null(strstr(py, qualified ? " Model.step <- " : " step <- "));
	/* the two launches, and the two kernels they submitted */
	snprintf(arg, sizeof(arg), "--expect-stack '%s <- %s=4'", caller, py);
	assert_int_equal(check_pftrace(pf, arg), 0);
	assert_int_equal(run_tracer(replay, err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", pf, rep);
	assert_int_equal(system(cmd), 0);
	/* GPU work by stack: Instances, Calls, then host timing; the stacks as the args say */
	assert_int_equal(run_tracer(stats, err, sizeof(err)), 0);
	assert_int_equal(lines_with(csv, ",2,2,", py), 1);
	snprintf(want, sizeof(want), "%s <- ", frame(fr, sizeof(fr), "worker_launch", "worker"));
	assert_int_equal(lines_with(csv, ",3,3,", want), 1);
	assert_int_equal(lines_with(csv, ",host,", ""), 2);
}

/* The tracer never said what was awaited: stop it and its command (by pid), then fail. */
static void give_up(pid_t tr, const char *what)
{
	pid_t c = child_of(tr);

	if (c > 0)
		kill(c, SIGKILL);
	kill(tr, SIGKILL);
	wait_status(tr);
	fail_msg("the tracer never said %s", what);
}

/* --: found at exec or first call; the program waits to be released until it is. */
static void run_command(const char *says)
{
	char *go = path_in("go-cmd"), *out = path_in("cmd.json"), err[16384] = "";
	char *pf = path_in("cmd.pftrace"), *cap = path_in("cmd.tsbpf");
	char *argv[] = { (char *)bin, "--stacks", "-v",		  "--lib", (char *)fakecuda,
			 "-o",	      out,	  "-o",		  pf,	   "-o",
			 cap,	      "--",	  (char *)python, app,	   (char *)fakecuda,
			 go,	      NULL };
	struct trace t;
	pid_t tr;
	int fd;

	tr = start(argv, &fd);
	if (!wait_for(fd, "runs CPython 3.", err, sizeof(err), 30000))
		give_up(tr, "which CPython runs");
	close(creat(go, 0644));
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	if (says && !strstr(err, says))
		fail_msg("the tracer did not say \"%s\": %s", says, err);
	assert_int_equal(trace_load(&t, out), 0);
	check_app(&t, true, 0);
	check_stack_outputs(&t, pf, cap);
	trace_free(&t);
}

static void test_stacks_command(void **state)
{
	run_command(NULL);
}

/* CPython 3.minor here: on PATH, in /usr/bin, or pyenv's ($PYENV_ROOT or ~/.pyenv) */
static int find_python(unsigned int minor, char *out, size_t len)
{
	const char *root = getenv("PYENV_ROOT"), *home = getenv("HOME");
	char pat[PATH_MAX];
	glob_t g;
	int n;

	snprintf(pat, sizeof(pat), "/usr/bin/python3.%u", minor);
	if (!access(pat, X_OK) && realpath(pat, out))
		return 0;
	snprintf(pat, sizeof(pat), "/usr/local/bin/python3.%u", minor);
	if (!access(pat, X_OK) && realpath(pat, out))
		return 0;
	if (root)
		n = snprintf(pat, sizeof(pat), "%s/versions/3.%u.*/bin/python3.%u", root, minor,
			     minor);
	else
		n = snprintf(pat, sizeof(pat), "%s/.pyenv/versions/3.%u.*/bin/python3.%u",
			     home ? home : "/root", minor, minor);
	if (n <= 0 || (size_t)n >= sizeof(pat) || glob(pat, 0, NULL, &g))
		return -1;
	n = g.gl_pathc && (size_t)snprintf(out, len, "%s", g.gl_pathv[g.gl_pathc - 1]) < len ? 0
											     : -1;
	globfree(&g);
	return n;
}

/*
 * The same program under every other CPython from 3.10 to 3.14 found here
 * (CI has only Debian's 3.11: the others are skipped, said on stderr; the
 * layouts are checked without them by test_probe_pylayout): frame by frame,
 * and the tracer says which version it read; under -- and under -p, the
 * process gone before its records are drained.
 */
static void pid_gone_before_drain(const char *tag);

static void test_stacks_versions(void **state)
{
	const char *saved = python;
	char found[PATH_MAX], mine[PATH_MAX] = "", says[64];
	unsigned int minor;

	if (!realpath(python, mine))
		mine[0] = '\0';
	for (minor = 10; minor <= 14; minor++) {
		if (find_python(minor, found, sizeof(found))) {
			fprintf(stderr, "test_stacks_versions: no python3.%u here: skipped\n",
				minor);
			continue;
		}
		if (!strcmp(found, mine))
			continue; /* the one the other tests ran */
		fprintf(stderr, "test_stacks_versions: %s\n", found);
		python = found;
		qualified = minor >= 11;
		assert_int_equal(threading_file(), 0);
		snprintf(says, sizeof(says), "runs CPython 3.%u", minor);
		run_command(says);
		snprintf(says, sizeof(says), "go-pid-3.%u", minor);
		pid_gone_before_drain(says);
	}
	python = saved;
	qualified = true;
}

/*
 * -p on a running interpreter, and a process that exits before its records
 * are drained: the tracer is stopped while the program runs and ends; the
 * code objects were read by BPF, its mappings when it was attached. tag
 * names its files (one run per interpreter).
 */
static void pid_gone_before_drain(const char *tag)
{
	char go[256], ready[300], out[300], err[16384] = "";
	char *prog[] = { (char *)python, app, (char *)fakecuda, go, NULL };
	char pidarg[16], *argv[] = { (char *)bin, "--stacks", "-v", "--lib", (char *)fakecuda,
				     "-p",	  pidarg,     "-o", out,     NULL };
	struct trace t;
	pid_t a, tr;
	int fd;

	snprintf(go, sizeof(go), "%s", path_in(tag));
	snprintf(ready, sizeof(ready), "%s.ready", go);
	snprintf(out, sizeof(out), "%s.json", go);
	a = start(prog, NULL);
	snprintf(pidarg, sizeof(pidarg), "%d", a);
	/* it has called cuInit and waits for go; the tracer finds its interpreter at attach */
	wait_path(ready, 60000);
	tr = start(argv, &fd);
	assert_true(wait_for(fd, "tracing pid", err, sizeof(err), 30000));
	assert_non_null(strstr(err, "runs CPython 3."));
	kill(tr, SIGSTOP);
	close(creat(go, 0644));
	assert_int_equal(wait_status(a), 0);
	kill(tr, SIGCONT);
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	check_app(&t, false, 0);
	trace_free(&t);
}

static void test_stacks_pid_gone_before_drain(void **state)
{
	(void)state;
	pid_gone_before_drain("go-pid");
}

/* Read what fd says until needle comes after marker (30 s at most for each read). */
static bool wait_after(int fd, const char *marker, const char *needle, char *buf, size_t len)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t off = strlen(buf);
	const char *m;
	ssize_t r;

	while (!(m = strstr(buf, marker)) || !strstr(m, needle)) {
		if (off + 1 >= len || poll(&pfd, 1, 30000) <= 0)
			return false;
		r = read(fd, buf + off, len - 1 - off);
		if (r <= 0)
			return false;
		off += r;
		buf[off] = '\0';
	}
	return true;
}

/* An exec: the new image's interpreter is looked for anew, its stacks are right. */
static void test_stacks_exec(void **state)
{
	char *go = path_in("go-exec"), *out = path_in("exec.json"), err[16384] = "",
	     exec_py[PATH_MAX];
	char *argv[] = { (char *)bin, "--stacks", "-v",		  "--lib", (char *)fakecuda, "-o",
			 out,	      "--",	  (char *)python, exec_py, (char *)fakecuda, go,
			 NULL };
	char want[PATH_MAX + 128];
	struct trace t;
	pid_t tr;
	int fd, line = 0, n = 0;
	char buf[512];
	FILE *f;

	assert_non_null(realpath("tests/pystack_exec.py", exec_py));
	f = fopen(exec_py, "r");
	assert_non_null(f);
	while (!line && fgets(buf, sizeof(buf), f))
		if (++n && strstr(buf, "# @exec_alloc"))
			line = n;
	fclose(f);
	tr = start(argv, &fd);
	/* the image it execs: its interpreter found after the exec was seen */
	if (!wait_after(fd, "execs: its interpreter", "runs CPython 3.", err, sizeof(err)))
		give_up(tr, "which CPython runs, after the exec");
	close(creat(go, 0644));
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	snprintf(want, sizeof(want), "%s:%d <module>", exec_py, line);
	assert_int_equal(count_stack(&t, "cuMemAlloc_v2", want), 1);
	/*
	 * the first image's two calls: their callers are named only if the
	 * tracer read its mappings before it exec'd (README: Limits)
	 */
	check_app(&t, true, 2);
	trace_free(&t);
}

/* A C program: its callers are its own functions, and no call has a Python stack. */
static void test_stacks_c_program(void **state)
{
	char *out = path_in("c.json"), err[8192] = "";
	char *argv[] = { (char *)bin, "--stacks",      "--lib", (char *)fakecuda, "-o",	    out,
			 "--",	      (char *)fakeapp, "--lib", (char *)fakecuda, "triton", NULL };
	json_object *e;
	struct trace t;
	int i;

	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	assert_int_equal(count_stack(&t, "cuLaunchKernel", NULL), TRITON_N);
	assert_int_equal(count_stack(&t, "cuStreamSynchronize", NULL), 1);
	for (i = 0; (e = trace_find(&t, "X", "cuLaunchKernel", HOST, i)); i++)
		assert_string_equal(ev_arg_str(e, "caller"), "fakeapp!mode_triton+0x116");
	assert_int_equal(i, TRITON_N);
	e = trace_find(&t, "X", "cuDevicePrimaryCtxRetain", HOST, 0);
	assert_non_null(e);
	assert_non_null(ev_arg_str(e, "caller"));
	assert_int_equal(strncmp(ev_arg_str(e, "caller"), "fakeapp!init_ctx+0x", 19), 0);
	trace_free(&t);
}

/* Without --stacks nothing changes: no caller, no stack. */
static void test_stacks_off(void **state)
{
	struct trace t;
	json_object *e;
	int i;

	assert_int_equal(trace_mode(path_in("off.json"), "triton", &t), 0);
	for (i = 0; (e = trace_find(&t, "X", NULL, HOST, i)); i++) {
		assert_null(ev_arg(e, "caller"));
		assert_null(ev_arg(e, "py_stack"));
	}
	assert_true(i > 0);
	trace_free(&t);
}

/* The interpreter's threading.py: its Thread frames are the worker's outer ones. */
static int threading_file(void)
{
	char cmd[PATH_MAX + 64];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s -c 'import threading; print(threading.__file__)'", python);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(threading_py, 1, sizeof(threading_py) - 1, f);
	pclose(f);
	while (n && threading_py[n - 1] == '\n')
		n--;
	threading_py[n] = '\0';
	if (!n)
		return -1;
	strncat(threading_py, ":", sizeof(threading_py) - n - 1);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stacks_command),
		cmocka_unit_test(test_stacks_pid_gone_before_drain),
		cmocka_unit_test(test_stacks_exec),
		cmocka_unit_test(test_stacks_c_program),
		cmocka_unit_test(test_stacks_off),
		cmocka_unit_test(test_stacks_versions),
	};

	if (!tracer_root("test_run_stacks"))
		return getenv("CI") != NULL;
	if (getenv("TS_PYTHON"))
		python = getenv("TS_PYTHON");
	if (access(python, X_OK)) {
		fprintf(stderr, "test_run_stacks: no %s, skipping (set TS_PYTHON)\n", python);
		return 0;
	}
	if (threading_file()) {
		fprintf(stderr, "test_run_stacks: %s does not say where its threading.py is\n",
			python);
		return 1;
	}
	if (!realpath("tests/pystack_app.py", app)) {
		fprintf(stderr, "test_run_stacks: run from the repository root\n");
		return 1;
	}
	if (getenv("TS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("stacks", tests, tracer_setup, NULL);
}
