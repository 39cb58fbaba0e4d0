// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `top` in a real terminal (root, real BPF, the stand-in libcuda): a tmux
 * server of our own (-L, its own socket) runs it in a pane of a set size;
 * the screen is read with capture-pane and the keys sent with send-keys.
 * The workload's kernels and exact totals are on the screen; q exits 0 and
 * gives the terminal back (no alternate screen, cursor shown, echo and
 * canonical input on); so does SIGTERM; a terminal too small says so.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "tracer_run.h"
#include "workloads.h"
#include "fakenccl/nccl_workload.h"

#define SCREEN_MAX 16384
/* the end of tmux()'s arguments: a pointer, as a variadic list needs */
#define END ((char *)NULL)

/* The tmux server a test has going, ended by the teardown whatever happened. */
static struct tmux_run {
	char sock[64];
	pid_t server;
	char status[256], stty[256], go[256];
} the_run;

/* tmux -L sock ARGS..., its output in out (if not NULL): its exit status. */
static int tmux(char *out, size_t len, ...)
{
	char *argv[24] = { "tmux", "-L", the_run.sock, "-f", "/dev/null" };
	int fds[2], st, n = 5;
	size_t got = 0;
	ssize_t r;
	va_list ap;
	pid_t pid;

	va_start(ap, len);
	while (n < 23 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		/* a server it starts keeps what it is given: no pipe we read to its end */
		if (!out)
			fds[1] = open("/dev/null", O_WRONLY);
		dup2(fds[1], 1);
		close(fds[0]);
		execvp("tmux", argv);
		_exit(127);
	}
	close(fds[1]);
	while (out && got < len - 1 && (r = read(fds[0], out + got, len - 1 - got)) > 0)
		got += r;
	close(fds[0]);
	if (out)
		out[got] = '\0';
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void screen(char *buf, size_t len)
{
	assert_int_equal(tmux(buf, len, "capture-pane", "-p", END), 0);
}

/* Read the screen until needle is on it (the run's own pace, bounded for a failure only). */
static void wait_screen(const char *needle, char *buf, size_t len)
{
	int tries;

	for (tries = 0; tries < 600; tries++) {
		screen(buf, len);
		if (strstr(buf, needle))
			return;
		usleep(50000);
	}
	fail_msg("'%s' never showed on the screen:\n%s", needle, buf);
}

static int read_int_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &v), 1);
	fclose(f);
	return v;
}

/*
 * A pane of cols x lines running `top ARGS` (a shell line); when top exits
 * the shell writes its status and `stty -a` and waits, the pane kept.
 */
static void top_start(int cols, int lines, const char *args)
{
	static int runs;
	char cmd[4096], c[16], l[16], pid[32];

	/*
	 * A socket of its own for each test: kill-server and SIGKILL in the last
	 * teardown do not wait for that server to be gone, and a client that
	 * reached it while it was going says "server exited unexpectedly".
	 */
	snprintf(the_run.sock, sizeof(the_run.sock), "ts-top-test-%d-%d", getpid(), ++runs);
	snprintf(the_run.status, sizeof(the_run.status), "%s", path_in("status"));
	snprintf(the_run.stty, sizeof(the_run.stty), "%s", path_in("stty"));
	snprintf(the_run.go, sizeof(the_run.go), "%s", path_in("go"));
	unlink(the_run.status);
	unlink(the_run.stty);
	unlink(the_run.go);
	snprintf(cmd, sizeof(cmd),
		 "TRACESMITH_STATE_DIR='%s' '%s' top --lib '%s' %s; echo $? >'%s.tmp'; "
		 "stty -a >'%s'; mv '%s.tmp' '%s'; exec cat",
		 getenv("TRACESMITH_STATE_DIR"), bin, fakecuda, args, the_run.status, the_run.stty,
		 the_run.status, the_run.status);
	snprintf(c, sizeof(c), "%d", cols);
	snprintf(l, sizeof(l), "%d", lines);
	assert_int_equal(tmux(NULL, 0, "new-session", "-d", "-x", c, "-y", l, "env", "TERM=xterm",
			      "sh", "-c", cmd, END),
			 0);
	assert_int_equal(tmux(pid, sizeof(pid), "display-message", "-p", "#{pid}", END), 0);
	the_run.server = atoi(pid);
	assert_true(the_run.server > 0);
}

/* top has exited with status; the terminal is as it was. */
static void expect_exit(int status, const char *said)
{
	char buf[SCREEN_MAX], flags[64];
	FILE *f;

	wait_path(the_run.status, 30000); /* the pane's shell writes it when top has exited */
	assert_int_equal(read_int_file(the_run.status), status);
	f = fopen(the_run.stty, "r");
	assert_non_null(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	/* canonical input and echo back on */
	assert_null(strstr(buf, "-icanon"));
	assert_null(strstr(buf, "-echo "));
	assert_non_null(strstr(buf, " icanon"));
	assert_non_null(strstr(buf, " echo "));
	assert_int_equal(tmux(flags, sizeof(flags), "display-message", "-p",
			      "#{alternate_on} #{cursor_flag}", END),
			 0);
	assert_string_equal(flags, "0 1\n");
	/* what the tracer said while the screen was up, said after it */
	wait_screen(said, buf, sizeof(buf));
}

/* The number in the column after the text a line starts with (a row's first value). */
static unsigned long long row_value(const char *scr, const char *start, int col)
{
	const char *line = scr;
	unsigned long long v = 0;
	char rest[256];

	for (; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, start, strlen(start)))
			break;
	if (!line || !*line)
		fail_msg("no row for '%s' on the screen:\n%s", start, scr);
	assert_int_equal(sscanf(line + col, "%llu%255[^\n]", &v, rest), 2);
	return v;
}

/*
 * The process row of comm (of rank, if it has one): its values by column
 * (pid rank comm calls calls/s launches launches/s errors sync-s gpu% timed);
 * timed (16 bytes) as drawn: gpu, host, or - for no GPU work.
 */
static void proc_row(const char *scr, const char *comm, const char *rank, unsigned long long *l,
		     unsigned long long *e, char *timed)
{
	char r[16], cm[32], cs[16], ls[16], word[64];
	unsigned long long pid, calls;
	double sync, gpu_pct;
	const char *line, *p;

	/* the column, not the command line in the title; a rank's row by its rank */
	snprintf(word, sizeof(word), " %s ", strcmp(rank, "-") ? rank : comm);
	p = strstr(scr, word);
	assert_non_null(p);
	for (line = p; line > scr && line[-1] != '\n'; line--)
		;
	assert_int_equal(sscanf(line, "%llu %15s %31s %llu %15s %llu %15s %llu %lf %lf %15s", &pid,
				r, cm, &calls, cs, l, ls, e, &sync, &gpu_pct, timed),
			 11);
	assert_true(gpu_pct >= 0);
	assert_string_equal(cm, comm);
	assert_string_equal(r, rank);
}

static int teardown(void **state)
{
	(void)state;
	if (the_run.server > 0) {
		char sock[128];

		tmux(NULL, 0, "kill-server", END);
		kill(the_run.server, SIGKILL);
		the_run.server = 0;
		/* a server killed before it could remove its socket leaves it behind */
		snprintf(sock, sizeof(sock), "/tmp/tmux-%u/%s", (unsigned)geteuid(), the_run.sock);
		unlink(sock);
	}
	return 0;
}

/* The runtime and fail workloads to their end: every total exact; q exits 0. */
static void test_top_totals_and_quit(void **state)
{
	char scr[SCREEN_MAX], args[2048], timed[16];
	unsigned long long launches, errors;

	(void)state;
	snprintf(args, sizeof(args), "-- '%s' --lib '%s' runtime fail", fakeapp, fakecuda);
	top_start(80, 24, args);
	wait_screen("target ended", scr, sizeof(scr));
	/* the kernels, each with its launches; the column after the 38 of the name */
	assert_int_equal(row_value(scr, RT_VEC_ADD_DEMANGLED, 38), RT_ITERS);
	assert_int_equal(row_value(scr, RT_EMPTY_DEMANGLED, 38), RT_ITERS);
	proc_row(scr, "fakeapp", "-", &launches, &errors, timed);
	assert_int_equal(launches, 2 * RT_ITERS + RT_GRAPH_LAUNCHES);
	assert_int_equal(errors, 2);
	/* its GPU share from the submitting calls' times: no --gpu-time */
	assert_non_null(strstr(scr, "GPU% TIMED"));
	assert_string_equal(timed, "host");
	assert_non_null(strstr(scr, "errors 2 "));
	assert_non_null(strstr(scr, "drops 0 "));
	/* the synchronize calls the runtime workload makes, the slowest first */
	assert_non_null(strstr(scr, "SLOWEST SYNCHRONIZATIONS"));
	assert_non_null(strstr(scr, "Synchronize"));
	/* the screen fits 80 columns */
	for (char *l = strtok(scr, "\n"); l; l = strtok(NULL, "\n"))
		assert_true(strlen(l) <= 80);
	assert_int_equal(tmux(NULL, 0, "send-keys", "q", END), 0);
	expect_exit(0, "events traced (top, no file)");
}

/* 60x20: said, and drawn once the terminal grows; q still exits 0 and stops the command. */
static void test_top_too_small(void **state)
{
	char scr[SCREEN_MAX], args[2048];

	(void)state;
	snprintf(args, sizeof(args), "-- '%s' --lib '%s' --pause '%s' runtime", fakeapp, fakecuda,
		 path_in("go"));
	top_start(60, 20, args);
	wait_screen("terminal too small: top needs 80x24, this one is 60x20", scr, sizeof(scr));
	assert_int_equal(tmux(NULL, 0, "resize-window", "-x", "80", "-y", "24", END), 0);
	wait_screen("KERNEL", scr, sizeof(scr));
	assert_null(strstr(scr, "too small"));
	assert_int_equal(tmux(NULL, 0, "send-keys", "q", END), 0);
	expect_exit(0, "q pressed in top; stopped");
}

/*
 * SIGTERM to top while it draws: the run ends cleanly, the terminal given
 * back. With --gpu-time (the stand-in CUPTI): the process's GPU time measured.
 */
static void test_top_sigterm(void **state)
{
	const char *cupti = getenv("TS_FAKECUPTI");
	char scr[SCREEN_MAX], args[2048], pane[32], timed[16];
	unsigned long long launches, errors;
	pid_t sh, tracer;

	(void)state;
	assert_non_null(cupti);
	snprintf(args, sizeof(args),
		 "--gpu-time --cupti '%s' -- '%s' --lib '%s' --pause '%s' runtime", cupti, fakeapp,
		 fakecuda, path_in("go"));
	top_start(80, 24, args);
	/* the kernels' measured times came (CUPTI's periodic flush): the processes' in the same view */
	wait_screen("% gpu", scr, sizeof(scr));
	proc_row(scr, "fakeapp", "-", &launches, &errors, timed);
	assert_string_equal(timed, "gpu");
	assert_int_equal(tmux(pane, sizeof(pane), "display-message", "-p", "#{pane_pid}", END), 0);
	sh = atoi(pane);
	tracer = child_of(sh);
	assert_true(tracer > 0);
	assert_int_equal(kill(tracer, SIGTERM), 0);
	expect_exit(0, "stopped by SIGTERM");
}

/* Two NCCL ranks: each process drawn with its rank. */
static void test_top_nccl_ranks(void **state)
{
	const char *nccl = getenv("TS_FAKENCCL"), *app = getenv("TS_NCCLAPP");
	char scr[SCREEN_MAX], args[2048], timed[16];
	unsigned long long launches, errors;

	(void)state;
	if (!nccl || !app)
		skip();
	snprintf(args, sizeof(args), "-- '%s' --cuda '%s' --nccl '%s' ranks 2", app, fakecuda,
		 nccl);
	top_start(80, 24, args);
	wait_screen("target ended", scr, sizeof(scr));
	proc_row(scr, "ncclapp", "0/2", &launches, &errors, timed);
	assert_int_equal(launches, NW_KERNELS);
	assert_string_equal(timed, "host");
	proc_row(scr, "ncclapp", "1/2", &launches, &errors, timed);
	assert_int_equal(launches, NW_KERNELS);
	assert_string_equal(timed, "host");
	assert_int_equal(tmux(NULL, 0, "send-keys", "q", END), 0);
	expect_exit(0, "events traced (top, no file)");
}

/* Not a terminal: one line saying so, nothing traced. */
static void test_top_not_a_terminal(void **state)
{
	char cmd[2048];
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	(void)state;
	snprintf(cmd, sizeof(cmd), "exec '%s' top --lib '%s' -a </dev/null >/dev/null", bin,
		 fakecuda);
	expect_error(argv, "top draws on a terminal");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_top_totals_and_quit, teardown),
		cmocka_unit_test_teardown(test_top_too_small, teardown),
		cmocka_unit_test_teardown(test_top_sigterm, teardown),
		cmocka_unit_test_teardown(test_top_nccl_ranks, teardown),
		cmocka_unit_test(test_top_not_a_terminal),
	};

	if (geteuid() != 0) {
		if (getenv("CI")) {
			fprintf(stderr, "test_run_top: CI must run these as root\n");
			return 1;
		}
		fprintf(stderr, "test_run_top: not root, skipping (run: sudo make bpf-test)\n");
		return 0;
	}
	if (getenv("TS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("top", tests, tracer_setup, NULL);
}
