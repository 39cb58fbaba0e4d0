// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Identity: every traced process is named after its command, however short
 * it lives, and an exec renames it (short-lived, forking and exec'ing
 * processes under --, -p and -a); kernels whose names were resolved before
 * the tracer came are named from the driver's objects (pointer and inline
 * layouts). Exact counts.
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
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "trace_json.h"
#include "tracer_run.h"
#include "workloads.h"

/* The pid whose thread made the nth call named name. */
static long long caller(const struct trace *t, const char *name)
{
	json_object *e = trace_find(t, "X", name, HOST, 0);

	assert_non_null(e);
	return ev_int(e, "pid");
}

static void trace_cmd(char **cmd, const char *out, struct trace *t)
{
	char *argv[16] = { (char *)bin, "--lib", (char *)fakecuda, "-o", (char *)out, "--" };
	char err[4096];
	int i;

	for (i = 0; i < 9 && cmd[i]; i++)
		argv[6 + i] = cmd[i];
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	assert_int_equal(trace_load(t, out), 0);
}

/* `sh -c "app; true"`: the process that calls CUDA is the app, named as the app. */
static void test_proc_shell_wrapper(void **state)
{
	char script[1024], want[1024];
	char *cmd[] = { "/bin/sh", "-c", script, NULL };
	const char *name;
	struct trace t;
	int n;

	snprintf(script, sizeof(script), "%s --lib %s triton; true", fakeapp, fakecuda);
	snprintf(want, sizeof(want), "%s --lib %s triton", fakeapp, fakecuda);
	trace_cmd(cmd, path_in("sh.json"), &t);
	assert_int_equal(trace_count(&t, "X", TRITON_KERNEL, GPU), TRITON_N);
	name = trace_last_process_name(&t, caller(&t, "cuLaunchKernel"), &n);
	assert_non_null(name);
	assert_string_equal(name, want);
	trace_free(&t);
}

/* A child forked to do the work, gone at once: named after the command it came from. */
static void test_proc_fork(void **state)
{
	char *cmd[] = { (char *)fakeapp, "--lib", (char *)fakecuda, "--fork", "triton", NULL };
	char want[1024];
	const char *name;
	long long pid;
	struct trace t;
	int n;

	snprintf(want, sizeof(want), "%s --lib %s --fork triton", fakeapp, fakecuda);
	trace_cmd(cmd, path_in("fork.json"), &t);
	assert_int_equal(trace_count(&t, "X", TRITON_KERNEL, GPU), TRITON_N);
	pid = caller(&t, "cuLaunchKernel");
	name = trace_last_process_name(&t, pid, &n);
	assert_non_null(name);
	assert_string_equal(name, want);
	assert_int_equal(n, 1);
	trace_free(&t);
}

/* exec renames the process; its calls before and after stay on it. */
static void test_proc_exec(void **state)
{
	char *cmd[] = { (char *)fakeapp, "--lib", (char *)fakecuda, "--exec", "torch",
			"triton",	 NULL };
	char first[1024], last[1024];
	long long pid;
	struct trace t;
	int n;

	snprintf(first, sizeof(first), "%s --lib %s --exec torch triton", fakeapp, fakecuda);
	snprintf(last, sizeof(last), "fakeapp --lib %s torch", fakecuda);
	trace_cmd(cmd, path_in("exec.json"), &t);
	assert_int_equal(trace_count(&t, "X", TRITON_KERNEL, GPU), TRITON_N);
	assert_int_equal(trace_count(&t, "X", TORCH_REDUCE_DEMANGLED, GPU), TORCH_REDUCE_N);
	pid = caller(&t, "cuModuleGetFunction");
	assert_int_equal(caller(&t, "cuLibraryGetKernel"), pid);
	assert_string_equal(trace_process_name(&t, pid), first);
	assert_string_equal(trace_last_process_name(&t, pid, &n), last);
	assert_int_equal(n, 2);
	trace_free(&t);
}

/*
 * A thread other than the first execs: the kernel gives it the first
 * thread's id, and the calls of the new image are that thread's (the
 * tracer keeps a thread's ids from its first call: the exec must mend them).
 */
static void test_proc_exec_from_thread(void **state)
{
	char *cmd[] = { (char *)fakeapp, "--lib", (char *)fakecuda, "--exec-thread", "torch",
			"triton",	 NULL };
	json_object *e;
	struct trace t;
	int i, n, k;

	trace_cmd(cmd, path_in("exec-thread.json"), &t);
	assert_int_equal(trace_count(&t, "X", TRITON_KERNEL, GPU), TRITON_N);
	assert_int_equal(trace_count(&t, "X", TORCH_REDUCE_DEMANGLED, GPU), TORCH_REDUCE_N);
	n = trace_count(&t, "X", "cuLibraryGetKernel", HOST);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		e = trace_find(&t, "X", "cuLibraryGetKernel", HOST, i);
		assert_int_equal(ev_int(e, "tid"), ev_int(e, "pid"));
	}
	/* the one call the thread made before it execed is its own, under its old id */
	for (i = 0, k = 0; i < trace_count(&t, "X", "cuInit", HOST); i++) {
		e = trace_find(&t, "X", "cuInit", HOST, i);
		k += ev_int(e, "tid") != ev_int(e, "pid");
	}
	assert_int_equal(k, 1);
	trace_free(&t);
}

/* -p on a job that ends before anything is drained: named at attach. */
static void test_proc_pid_short(void **state)
{
	char *go = path_in("go-short"), *out = path_in("pshort.json"), err[4096] = "", want[1024];
	char *app[] = { (char *)fakeapp, "--lib", (char *)fakecuda, "--wait-file", go,
			"triton",	 NULL };
	char pidarg[16],
		*argv[] = { (char *)bin, "--lib", (char *)fakecuda, "-p", pidarg, "-o", out, NULL };
	struct trace t;
	pid_t a, tr;
	int fd, n;

	a = start(app, NULL);
	snprintf(pidarg, sizeof(pidarg), "%d", a);
	snprintf(want, sizeof(want), "%s --lib %s --wait-file %s triton", fakeapp, fakecuda, go);
	usleep(100000);
	tr = start(argv, &fd);
	assert_true(wait_for(fd, "tracing pid", err, sizeof(err), 30000));
	close(creat(go, 0644));
	assert_int_equal(wait_status(a), 0);
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, out), 0);
	assert_int_equal(trace_count(&t, "X", TRITON_KERNEL, GPU), TRITON_N);
	assert_string_equal(trace_last_process_name(&t, a, &n), want);
	trace_free(&t);
}

/* -a: a process started after attach and gone at once, and one that execs. */
static void test_proc_all_short(void **state)
{
	char *out = path_in("ashort.json"), err[4096] = "", want[1024], renamed[1024];
	char *argv[] = { (char *)bin, "-a", "--lib", (char *)fakecuda, "-o", out, NULL };
	char *quick[] = { (char *)fakeapp, "--lib", (char *)fakecuda, "triton", NULL };
	char *execs[] = { (char *)fakeapp, "--lib", (char *)fakecuda, "--exec", "torch",
			  "triton",	   NULL };
	struct trace t;
	pid_t tr, a1, a2;
	int fd, n;

	snprintf(want, sizeof(want), "%s --lib %s triton", fakeapp, fakecuda);
	snprintf(renamed, sizeof(renamed), "fakeapp --lib %s torch", fakecuda);
	tr = start(argv, &fd);
	assert_true(wait_for(fd, "tracing every process", err, sizeof(err), 30000));
	a1 = start(quick, NULL);
	assert_int_equal(wait_status(a1), 0);
	a2 = start(execs, NULL);
	assert_int_equal(wait_status(a2), 0);
	usleep(200000);
	interrupt_and_load(tr, fd, out, &t);
	assert_int_equal(trace_count(&t, "X", TRITON_KERNEL, GPU), 2 * TRITON_N);
	assert_string_equal(trace_last_process_name(&t, a1, &n), want);
	assert_string_equal(trace_last_process_name(&t, a2, &n), renamed);
	trace_free(&t);
}

/* Until n programs wait for file f (each made f.ready.PID: fakeapp's --wait-after-names, --linger). */
static void wait_ready(const char *f, size_t n)
{
	char pattern[512];
	size_t got = 0;
	glob_t g;
	int tries;

	snprintf(pattern, sizeof(pattern), "%s.ready.*", f);
	for (tries = 0; tries < 6000 && got < n; tries++) {
		got = glob(pattern, 0, NULL, &g) ? 0 : g.gl_pathc;
		globfree(&g);
		if (got < n)
			usleep(10000);
	}
	assert_int_equal(got, n);
}

/*
 * The tracer learns where the driver keeps names from those it sees
 * resolved, and trusts what it learned only once names from two processes
 * agree (names.h): nproc processes run at once under one trace (with
 * --poison-names: a hostile one that teaches a wrong layout). The tracer's
 * stderr goes in err.
 */
static void learn_names(const char *tag, int nproc, bool poison, char *err, size_t len)
{
	char go[256], script[2048], *p = script;
	char *argv[] = { (char *)bin, "--lib",	 (char *)fakecuda,
			 "-v",	      "-o",	 path_in("learn.json"),
			 "--",	      "/bin/sh", "-c",
			 script,      NULL };
	pid_t tr;
	int fd, i;

	snprintf(go, sizeof(go), "%s/go-learn-%s", dir, tag);
	for (i = 0; i < nproc; i++)
		p += snprintf(p, script + sizeof(script) - p,
			      "%s --lib %s %s --wait-after-names %s triton & ", fakeapp, fakecuda,
			      poison ? "--poison-names" : "", go);
	snprintf(p, script + sizeof(script) - p, "wait");
	tr = start(argv, &fd);
	/* resolved, then drained and learned while the processes wait */
	wait_ready(go, (size_t)nproc);
	usleep(1000000);
	close(creat(go, 0644));
	err[0] = '\0';
	assert_int_equal(collect(tr, fd, err, len), 0);
}

/* GPU slices named name whose name says it was read from the driver's object. */
static int count_recovered(const struct trace *t, const char *name)
{
	const char *src;
	json_object *e;
	int i, n = 0;

	for (i = 0; (e = trace_find(t, "X", name, GPU, i)); i++) {
		src = ev_arg_str(e, "name_source");
		n += src && !strcmp(src, "recovered");
	}
	return n;
}

static void learn_layout(const char *tag)
{
	char err[16384];
	struct trace t;

	learn_names(tag, 2, false, err, sizeof(err));
	/* names seen resolved are not marked */
	assert_int_equal(trace_load(&t, path_in("learn.json")), 0);
	assert_int_equal(trace_count(&t, "X", TRITON_KERNEL, GPU), 2 * TRITON_N);
	assert_int_equal(count_recovered(&t, TRITON_KERNEL), 0);
	trace_free(&t);
}

/* The state file in folder sd (the one libcuda traced has one), into out; false if none. */
static bool layout_file(const char *sd, char *out, size_t len)
{
	char pattern[512];
	glob_t g;
	bool found;

	snprintf(pattern, sizeof(pattern), "%s/name-layout-*", sd);
	found = !glob(pattern, 0, NULL, &g) && g.gl_pathc == 1;
	if (found)
		snprintf(out, len, "%s", g.gl_pathv[0]);
	globfree(&g);
	return found;
}

/*
 * -p on a process that resolved all its kernel names before the tracer came:
 * each launched kernel is named from the driver's object. Returns how many
 * were; the trace is loaded into t, the tracer's stderr is in err.
 */
static int attach_late_mode(const char *tag, const char *mode, const char *kernel, struct trace *t,
			    char *err, size_t len)
{
	char go[256], end[256], out[256], pidarg[16];
	char *app[] = { (char *)fakeapp,
			"--lib",
			(char *)fakecuda,
			"--wait-after-names",
			go,
			"--linger",
			end,
			(char *)mode,
			NULL };
	char *argv[] = {
		(char *)bin, "--lib", (char *)fakecuda, "-v", "-p", pidarg, "-o", out, NULL
	};
	pid_t a, tr;
	int fd;

	snprintf(go, sizeof(go), "%s/go-late-%s", dir, tag);
	snprintf(end, sizeof(end), "%s/end-late-%s", dir, tag);
	snprintf(out, sizeof(out), "%s/late-%s.json", dir, tag);
	a = start(app, NULL);
	snprintf(pidarg, sizeof(pidarg), "%d", a);
	wait_ready(go, 1); /* its names are resolved: it waits for go */
	tr = start(argv, &fd);
	err[0] = '\0';
	assert_true(wait_for(fd, "tracing pid", err, len, 30000));
	close(creat(go, 0644));
	wait_ready(end, 1); /* launched; then drained and named while it lingers */
	usleep(1000000);
	close(creat(end, 0644));
	assert_int_equal(wait_status(a), 0);
	assert_int_equal(collect(tr, fd, err, len), 0);
	assert_int_equal(trace_load(t, out), 0);
	return trace_count(t, "X", kernel, GPU);
}

static int attach_late(const char *tag, struct trace *t, char *err, size_t len)
{
	return attach_late_mode(tag, "triton", TRITON_KERNEL, t, err, len);
}

/* Names behind a pointer in the object (the stand-in's default layout). */
static void test_names_before_attach_pointer(void **state)
{
	char sd[300], err[16384];
	struct trace t;

	snprintf(sd, sizeof(sd), "%s", safe_path("state-pointer"));
	setenv("TRACESMITH_STATE_DIR", sd, 1);
	learn_layout("pointer");
	assert_int_equal(attach_late("pointer", &t, err, sizeof(err)), TRITON_N);
	assert_null(strstr(err, "stay unnamed"));
	/* a name read from the object says so; -v says by which layout, kept where */
	assert_int_equal(count_recovered(&t, TRITON_KERNEL), TRITON_N);
	assert_non_null(strstr(err, "named by the layout pointer at offset 16, kept in "));
	assert_non_null(strstr(err, "/state-pointer/name-layout-"));
	trace_free(&t);
	/* learned from two processes, as a run with nothing kept yet says */
	setenv("TRACESMITH_STATE_DIR", safe_path("state-confirm"), 1);
	learn_names("pointer-confirm", 2, false, err, sizeof(err));
	assert_non_null(strstr(err, "confirmed by 4 names in 2 processes"));
	/*
	 * The CUDA runtime's lazy loading: the function of a kernel resolved
	 * before the attach is asked for before each launch (cuKernelGetFunction);
	 * it is named from the driver's objects there (it once stayed unnamed on
	 * an H200: the function counted as named for the kernel's sake).
	 */
	assert_int_equal(attach_late_mode("pointer-cudart", "cudart", CUDART_KERNEL_DEMANGLED, &t,
					  err, sizeof(err)),
			 CUDART_N);
	assert_null(strstr(err, "stay unnamed"));
	trace_free(&t);
	setenv("TRACESMITH_STATE_DIR", safe_path("state"), 1);
}

/* Names inline in the object. */
static void test_names_before_attach_inline(void **state)
{
	char sd[300], err[16384];
	struct trace t;

	snprintf(sd, sizeof(sd), "%s", safe_path("state-inline"));
	setenv("TRACESMITH_STATE_DIR", sd, 1);
	setenv("FAKECUDA_NAME_LAYOUT", "inline", 1);
	learn_layout("inline");
	assert_int_equal(attach_late("inline", &t, err, sizeof(err)), TRITON_N);
	trace_free(&t);
	unsetenv("FAKECUDA_NAME_LAYOUT");
	setenv("TRACESMITH_STATE_DIR", safe_path("state"), 1);
}

/* Nothing learned yet: the kernels stay kernel@0x..., and the tracer says how many. */
static void test_names_unknown(void **state)
{
	char sd[300], err[16384];
	struct trace t;
	json_object *e;

	snprintf(sd, sizeof(sd), "%s", safe_path("state-empty"));
	setenv("TRACESMITH_STATE_DIR", sd, 1);
	assert_int_equal(attach_late("unknown", &t, err, sizeof(err)), 0);
	e = trace_find(&t, "X", NULL, GPU, 0);
	assert_non_null(e);
	assert_int_equal(strncmp(ev_str(e, "name"), "kernel@0x", 9), 0);
	assert_non_null(strstr(err, "1 kernels were loaded before the trace began"));
	trace_free(&t);
	setenv("TRACESMITH_STATE_DIR", safe_path("state"), 1);
}

/* Every GPU slice of the -p run unnamed (kernel@0x...): no wrong layout named anything. */
static void assert_unnamed(const struct trace *t)
{
	json_object *e;
	int i;

	for (i = 0; (e = trace_find(t, "X", NULL, GPU, i)); i++)
		assert_int_equal(strncmp(ev_str(e, "name"), "kernel@0x", 9), 0);
	assert_int_equal(i, TRITON_N);
}

/*
 * A hostile process copies the name it resolved to the start of its function
 * object: the tracer learns "inline at 0" from it, which would name another
 * process's kernels after whatever its objects hold there ("deman", the
 * stand-in's magic). One process is not enough to trust it: never used, never kept.
 */
static void test_names_poisoned(void **state)
{
	char *sd = safe_path("state-poison"), err[16384], file[512];
	struct trace t;

	setenv("TRACESMITH_STATE_DIR", sd, 1);
	learn_names("poison", 1, true, err, sizeof(err));
	assert_int_equal(attach_late("poison", &t, err, sizeof(err)), 0);
	assert_unnamed(&t);
	trace_free(&t);
	assert_false(layout_file(sd, file, sizeof(file)));
	setenv("TRACESMITH_STATE_DIR", safe_path("state"), 1);
}

/* One name read wrong drops a layout kept before: from memory and from the state folder. */
static void test_names_disagree_drops(void **state)
{
	char *sd = safe_path("state-drop"), err[16384], file[512];
	struct trace t;

	setenv("TRACESMITH_STATE_DIR", sd, 1);
	learn_layout("drop");
	assert_true(layout_file(sd, file, sizeof(file)));
	learn_names("drop-poison", 1, true, err, sizeof(err));
	assert_int_equal(access(file, F_OK), -1);
	assert_non_null(strstr(err, "read a wrong name"));
	assert_int_equal(attach_late("drop", &t, err, sizeof(err)), 0);
	assert_unnamed(&t);
	trace_free(&t);
	setenv("TRACESMITH_STATE_DIR", safe_path("state"), 1);
}

/*
 * A layout file another user owns, or one anyone may write, is not read; the
 * same bytes in a file of root's, written by no one else, are (the control:
 * they would have named the kernels "deman").
 */
static void test_names_file_owner(void **state)
{
	char *sd = safe_path("state-owner"), err[16384], file[512];
	struct trace t;
	FILE *f;

	setenv("TRACESMITH_STATE_DIR", sd, 1);
	learn_layout("owner");
	assert_true(layout_file(sd, file, sizeof(file)));
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("inline 0\n", f);
	fclose(f);
	assert_int_equal(chown(file, 65534, 65534), 0);
	assert_int_equal(attach_late("owner-nobody", &t, err, sizeof(err)), 0);
	assert_unnamed(&t);
	assert_non_null(strstr(err, "is owned by uid 65534"));
	trace_free(&t);
	assert_int_equal(chown(file, 0, 0), 0);
	assert_int_equal(chmod(file, 0666), 0);
	assert_int_equal(attach_late("owner-0666", &t, err, sizeof(err)), 0);
	assert_unnamed(&t);
	assert_non_null(strstr(err, "is writable by every user"));
	trace_free(&t);
	assert_int_equal(chmod(file, 0644), 0);
	assert_int_equal(attach_late_mode("owner-root", "triton", "deman", &t, err, sizeof(err)),
			 TRITON_N);
	trace_free(&t);
	setenv("TRACESMITH_STATE_DIR", safe_path("state"), 1);
}

/* A state folder that is a symbolic link is not followed: nothing is saved through it. */
static void test_names_state_symlink(void **state)
{
	char *real = safe_path("state-real"), *link = safe_path("state-link"), err[16384];
	char file[512];

	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink(real, link), 0);
	setenv("TRACESMITH_STATE_DIR", link, 1);
	learn_names("symlink", 2, false, err, sizeof(err));
	assert_false(layout_file(real, file, sizeof(file)));
	assert_non_null(strstr(err, "is a symbolic link"));
	setenv("TRACESMITH_STATE_DIR", safe_path("state"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_shell_wrapper),
		cmocka_unit_test(test_proc_fork),
		cmocka_unit_test(test_proc_exec),
		cmocka_unit_test(test_proc_exec_from_thread),
		cmocka_unit_test(test_proc_pid_short),
		cmocka_unit_test(test_proc_all_short),
		cmocka_unit_test(test_names_before_attach_pointer),
		cmocka_unit_test(test_names_before_attach_inline),
		cmocka_unit_test(test_names_unknown),
		cmocka_unit_test(test_names_poisoned),
		cmocka_unit_test(test_names_disagree_drops),
		cmocka_unit_test(test_names_file_owner),
		cmocka_unit_test(test_names_state_symlink),
	};

	if (!tracer_root("test_run_procs"))
		return getenv("CI") != NULL;
	if (getenv("TS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("procs", tests, tracer_setup, NULL);
}
