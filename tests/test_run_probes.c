// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How the probes are attached, and what it costs the processes around: with
 * uprobe sessions (6.13+) a process the trace does not follow pays the entry
 * probe of its calls only, never a return probe; the entry/return pair
 * (TRACESMITH_NO_UPROBE_SESSION, and kernels before 6.13) gives the same
 * trace. Counted by the kernel, exactly: the programs' run counts, read from
 * the tracer's own descriptors while this test holds BPF_ENABLE_STATS.
 * Root, like the other BPF tests; each test stops what it started, by pid.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <cmocka.h>
#include "trace_json.h"
#include "tracer_run.h"
#include "workloads.h"

/* How many times the tracer's program called name has run (its fdinfo), -1 if it has none. */
static long long prog_runs(pid_t tracer, const char *name)
{
	char path[300], line[256];
	long long runs = -1;
	struct dirent *d;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", tracer);
	fds = opendir(path);
	assert_non_null(fds);
	while (runs < 0 && (d = readdir(fds))) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		long long id = -1, cnt = -1;
		FILE *f;
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", tracer, d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "prog_id: %lld", &id);
			sscanf(line, "run_cnt: %lld", &cnt);
		}
		fclose(f);
		if (id < 0 || (fd = bpf_prog_get_fd_by_id(id)) < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, name))
			runs = cnt;
		close(fd);
	}
	closedir(fds);
	return runs;
}

/* A process the tracer leaves alone: n launches, untraced. */
static void bystander(long n)
{
	char count[24];
	char *app[] = { (char *)fakeapp, "--lib", (char *)fakecuda, "storm", count, NULL };

	snprintf(count, sizeof(count), "%ld", n);
	assert_int_equal(wait_status(start(app, NULL)), 0);
}

/*
 * -p follows one process; another calls the same libcuda 1000 and then 3000
 * times. The session program runs once per call of the other (its entry,
 * which returns 1): the two runs differ by exactly 2000 runs, where a pair
 * would differ by 4000. The followed process's own calls are all there.
 */
static void test_session_bystander(void **state)
{
	char *go = path_in("go-byst"), *out = path_in("byst.json"), pidstr[16], err[4096] = "";
	char *app[] = { (char *)fakeapp, "--lib", (char *)fakecuda, "--preload",
			"--wait-file",	 go,	  "runtime",	    NULL };
	char *argv[] = { (char *)bin, "-v", "-p", pidstr, "-o", out, NULL };
	int stats = bpf_enable_stats(BPF_STATS_RUN_TIME), fd;
	long long r0, r1, r2;
	pid_t app_pid, tr;
	struct trace t;
	bool up;

	assert_true(stats >= 0);
	app_pid = start(app, NULL);
	usleep(200000); /* let it dlopen */
	snprintf(pidstr, sizeof(pidstr), "%d", app_pid);
	tr = start(argv, &fd);
	up = wait_for(fd, "tracing pid", err, sizeof(err), 30000);
	if (!up || !strstr(err, "(uprobe session)")) {
		/* not started, or a kernel before 6.13 (the pair is the only way): ours end first */
		kill(app_pid, SIGKILL);
		wait_status(app_pid);
		kill(tr, SIGINT);
		collect(tr, fd, err, sizeof(err));
		close(stats);
		assert_true(up);
		skip();
	}
	r0 = prog_runs(tr, "ts_api_session");
	bystander(1000);
	r1 = prog_runs(tr, "ts_api_session");
	bystander(3000);
	r2 = prog_runs(tr, "ts_api_session");
	close(stats);
	/* what it started ends first, whatever the counts say */
	close(creat(go, 0644));
	assert_int_equal(wait_status(app_pid), 0);
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_true(r0 >= 0);
	assert_int_equal((r2 - r1) - (r1 - r0), 2000);
	assert_int_equal(trace_load(&t, out), 0);
	/* only the followed process: its 100 vec_add launches, no storm's */
	assert_int_equal(trace_count(&t, "X", RT_VEC_ADD_DEMANGLED, GPU), RT_ITERS);
	assert_int_equal(trace_count(&t, "X", "empty_kernel", GPU), 0);
	trace_free(&t);
}

/*
 * The same command traced through a session and through the entry/return
 * pair: the same calls, nested ones included (the session skips their return).
 */
static void test_session_and_pair_agree(void **state)
{
	char *outs[2] = { path_in("sess.json"), path_in("pair.json") };
	struct trace t[2];
	int i, n[2];

	for (i = 0; i < 2; i++) {
		if (i)
			setenv("TRACESMITH_NO_UPROBE_SESSION", "1", 1);
		assert_int_equal(trace_mode(outs[i], "runtime", &t[i]), 0);
		unsetenv("TRACESMITH_NO_UPROBE_SESSION");
		n[i] = trace_count(&t[i], "X", NULL, HOST);
	}
	assert_true(n[0] > 0);
	assert_int_equal(n[0], n[1]);
	for (i = 0; i < 2; i++) {
		assert_int_equal(trace_count(&t[i], "X", RT_VEC_ADD_DEMANGLED, GPU), RT_ITERS);
		/* the cuLaunchKernel inside each cuLaunchKernel_ptsz is not a launch of its own */
		assert_int_equal(trace_count(&t[i], "X", "cuLaunchKernel_ptsz", HOST),
				 2 * RT_ITERS);
		assert_int_equal(trace_count(&t[i], "X", "cuLaunchKernel", HOST), 0);
		trace_free(&t[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_bystander),
		cmocka_unit_test(test_session_and_pair_agree),
	};

	return cmocka_run_group_tests(tests, tracer_setup, NULL);
}
