// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Real runs of the tracer against what users and attackers do: symlinks
 * planted at an output path, a rerun over an earlier trace, every signal that
 * can stop a run (SIGKILL included), a command that fails or never starts, -d
 * over a command that would run on, hostile kernel names. Each test starts
 * its own processes and stops them by pid. Root, like the other BPF tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "trace_json.h"
#include "tracer_run.h"
#include "workloads.h"

static bool same_content(const char *path, const char *want)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n >= 0 && !strcmp(buf, want);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* The capture replays to a JSON trace; its stderr in err. */
static int replay_to(const char *cap, const char *json, char *err, size_t len)
{
	char *argv[] = { (char *)bin, "replay", (char *)cap, "-o", (char *)json, NULL };

	return run_tracer(argv, err, len);
}

/* tracer -o json -o pftrace -o tsbpf -- fakeapp --forever MODE, stderr on *fd */
static pid_t start_forever(const char *base, const char *mode, int *fd)
{
	static char j[256], p[256], c[256];
	char *argv[] = { (char *)bin,
			 "--lib",
			 (char *)fakecuda,
			 "-o",
			 j,
			 "-o",
			 p,
			 "-o",
			 c,
			 "--",
			 (char *)fakeapp,
			 "--lib",
			 (char *)fakecuda,
			 "--forever",
			 (char *)mode,
			 NULL };

	snprintf(j, sizeof(j), "%s/%s.json", dir, base);
	snprintf(p, sizeof(p), "%s/%s.pftrace", dir, base);
	snprintf(c, sizeof(c), "%s/%s.tsbpf", dir, base);
	return start(argv, fd);
}

/*
 * SIGKILL: nothing is renamed into place, but each output's new file holds
 * whole events: the capture replays, the .pftrace decodes with whole slices
 * and flows, the JSON is what Perfetto's importer takes.
 */
static void test_sigkill_every_output(void **state)
{
	char err[4096] = "", *f;
	pid_t tr, app;
	struct trace t;
	int fd;

	tr = start_forever("killed", "threads", &fd);
	app = child_of(tr);
	assert_true(app > 0);
	usleep(2500000); /* outputs are written out at least once a second */
	kill(tr, SIGKILL);
	/* ours, and the tracer can no longer stop it; it holds the tracer's stderr open */
	kill(app, SIGKILL);
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 128 + SIGKILL);
	assert_int_equal(access(path_in("killed.json"), F_OK), -1);

	f = find_partial("killed.json.partial.");
	assert_non_null(f);
	assert_int_equal(check_json(f, true, NULL), 0);
	f = find_partial("killed.pftrace.partial.");
	assert_non_null(f);
	assert_int_equal(check_pftrace(f, NULL), 0);
	f = find_partial("killed.tsbpf.partial.");
	assert_non_null(f);
	assert_int_equal(replay_to(f, path_in("killed-replay.json"), err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not closed cleanly"));
	assert_int_equal(trace_load(&t, path_in("killed-replay.json")), 0);
	assert_true(trace_count(&t, "X", THREADS_KERNEL, GPU) >= THREADS_LAUNCHES);
	assert_int_equal(trace_partial_overlaps(&t), 0);
	trace_free(&t);
}

/* One signal: exit 0, three whole outputs, the command stopped. */
static void stop_with(int sig, const char *base)
{
	char err[4096] = "", json[256], pf[256], cap[256], rep[256];
	pid_t tr, app;
	struct trace t;
	int fd;

	snprintf(json, sizeof(json), "%s/%s.json", dir, base);
	snprintf(pf, sizeof(pf), "%s/%s.pftrace", dir, base);
	snprintf(cap, sizeof(cap), "%s/%s.tsbpf", dir, base);
	snprintf(rep, sizeof(rep), "%s/%s-replay.json", dir, base);
	tr = start_forever(base, "triton", &fd);
	app = child_of(tr);
	assert_true(app > 0);
	usleep(1200000);
	kill(tr, sig);
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "with SIGTERM"));
	assert_false(pid_alive(app));
	assert_int_equal(check_json(json, false, NULL), 0);
	assert_int_equal(trace_load(&t, json), 0);
	assert_true(trace_count(&t, "X", TRITON_KERNEL, GPU) >= TRITON_N);
	trace_free(&t);
	assert_int_equal(check_pftrace(pf, NULL), 0);
	assert_int_equal(replay_to(cap, rep, err, sizeof(err)), 0);
	assert_null(strstr(err, "not closed cleanly"));
}

/* A dropped ssh session, Ctrl-\, kill: each stops the run cleanly. */
static void test_stop_signals(void **state)
{
	stop_with(SIGHUP, "hup");
	stop_with(SIGQUIT, "quit");
	stop_with(SIGTERM, "term");
}

/* -o - into a pipe whose reader goes away: the run stops, the file beside it is whole. */
static void test_sigpipe_stdout(void **state)
{
	char *json = path_in("beside-pipe.json"), buf[4096];
	char *argv[] = {
		(char *)bin,	 "--lib", (char *)fakecuda, "-o",	 "-",	   "-o", json, "--",
		(char *)fakeapp, "--lib", (char *)fakecuda, "--forever", "triton", NULL
	};
	int out[2];
	pid_t tr;

	assert_int_equal(pipe(out), 0);
	tr = fork();
	if (tr == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	assert_true(read(out[0], buf, sizeof(buf)) > 0); /* it streams */
	close(out[0]);
	/* the streamed copy was cut by its reader: said, and exit 1; the file is whole */
	assert_int_equal(wait_status(tr), 1);
	assert_int_equal(check_json(json, false, NULL), 0);
}

/* The tracer's exit status is the command's, and it says when the command failed. */
static void test_exit_status(void **state)
{
	char err[4096], *out = path_in("status.json");
	char *seven[] = { (char *)bin, "--lib", (char *)fakecuda, "-o", out, "--",
			  "sh",	       "-c",	"exit 7",	  NULL };
	char *killed[] = { (char *)bin, "--lib", (char *)fakecuda, "-o", out, "--",
			   "sh",	"-c",	 "kill -9 $$",	   NULL };
	char *fine[] = { (char *)bin, "--lib", (char *)fakecuda, "-o", out, "--", "true", NULL };

	assert_int_equal(run_tracer(seven, err, sizeof(err)), 7);
	assert_non_null(strstr(err, "sh exited with status 7"));
	assert_int_equal(check_json(out, false, NULL), 0);
	assert_int_equal(run_tracer(killed, err, sizeof(err)), 128 + SIGKILL);
	assert_non_null(strstr(err, "killed by signal 9"));
	assert_int_equal(run_tracer(fine, err, sizeof(err)), 0);
	assert_null(strstr(err, "exited with"));
}

/* Start `tracer -d 1 [--kill HOW] -- fakeapp --forever triton`; its exit status. */
static int run_for_a_second(const char *how, pid_t *app, char *err, size_t len)
{
	char *out = path_in("window.json");
	char *argv[] = { (char *)bin,
			 "--lib",
			 (char *)fakecuda,
			 "-d",
			 "1",
			 "-o",
			 out,
			 "--kill",
			 (char *)how,
			 "--",
			 (char *)fakeapp,
			 "--lib",
			 (char *)fakecuda,
			 "--forever",
			 "triton",
			 NULL };
	int fd, st;
	pid_t tr = start(argv, &fd);

	*app = child_of(tr);
	err[0] = '\0';
	st = collect(tr, fd, err, len);
	if (st == 0)
		assert_int_equal(check_json(out, false, NULL), 0);
	return st;
}

/* -d ends a -- run: the command is stopped as --kill says, and the tracer says so. */
static void test_duration_stops_command(void **state)
{
	char err[4096];
	pid_t app;

	assert_int_equal(run_for_a_second("term", &app, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "stopped"));
	assert_non_null(strstr(err, "with SIGTERM"));
	assert_false(pid_alive(app));
	assert_int_equal(run_for_a_second("kill", &app, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "with SIGKILL"));
	assert_false(pid_alive(app));
	assert_int_equal(run_for_a_second("none", &app, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "goes on running"));
	assert_true(pid_alive(app));
	kill(app, SIGKILL); /* ours */
}

/*
 * Another user plants a symlink at the output path, in a sticky world-writable
 * folder (/tmp): root's run never writes through it. The trace lands at the
 * path, the link is kept aside as PATH.old, its target is untouched.
 */
static void test_planted_symlinks(void **state)
{
	static const char *const names[] = { "t.json", "t.pftrace", "t.tsbpf", "t.stats.json" };
	char sticky[256], victim[256], link[512], old[600], cmd[2048], err[4096];
	char *argv[] = { (char *)bin,	  "--lib", (char *)fakecuda, "-o",     NULL, "--",
			 (char *)fakeapp, "--lib", (char *)fakecuda, "triton", NULL };
	struct stat st;
	unsigned int i;

	snprintf(sticky, sizeof(sticky), "%s/sticky", dir);
	assert_int_equal(chmod(dir, 0755), 0); /* nobody reaches the sticky folder */
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	assert_int_equal(mkdir(sticky, 01777), 0);
	assert_int_equal(chmod(sticky, 01777), 0);
	write_file(victim, "precious");
	for (i = 0; i < 4; i++) {
		snprintf(link, sizeof(link), "%s/%s", sticky, names[i]);
		snprintf(old, sizeof(old), "%s.old", link);
		/* planted by nobody, as an attacker in /tmp would */
		snprintf(cmd, sizeof(cmd),
			 "setpriv --reuid=65534 --regid=65534 --clear-groups "
			 "ln -s %s %s",
			 victim, link);
		if (system(cmd))
			skip(); /* no setpriv */
		argv[4] = link;
		assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
		assert_true(same_content(victim, "precious"));
		assert_int_equal(lstat(link, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_true(st.st_size > 0);
		assert_int_equal(lstat(old, &st), 0);
		assert_true(S_ISLNK(st.st_mode));
	}
}

/* A run that never starts touches no file; a rerun keeps the earlier trace as .old. */
static void test_earlier_trace_kept(void **state)
{
	char *keep = path_in("keep.json"), *old = path_in("keep.json.old"), err[4096];
	char *typo[] = { (char *)bin, "--lib", (char *)fakecuda, "-o", keep, "--", "./typo", NULL };
	char *nolib[] = { (char *)bin, "--lib", "/nonexistent/libcuda.so.1", "-o", keep, "--",
			  "true",      NULL };
	char *ok[] = { (char *)bin, "--lib", (char *)fakecuda, "-o", keep, "--", "true", NULL };

	write_file(keep, "earlier trace");
	assert_int_equal(run_tracer(typo, err, sizeof(err)), 127);
	assert_non_null(strstr(err, "cannot run ./typo"));
	assert_true(same_content(keep, "earlier trace"));
	assert_int_equal(run_tracer(nolib, err, sizeof(err)), 1);
	assert_true(same_content(keep, "earlier trace"));
	assert_null(find_partial("keep.json.")); /* no .old, no leftover new file */
	assert_int_equal(run_tracer(ok, err, sizeof(err)), 0);
	assert_true(same_content(old, "earlier trace"));
	assert_int_equal(check_json(keep, false, NULL), 0);
}

/* An output that is the input, or two outputs that are one file: refused, nothing touched. */
static void test_same_file_refused(void **state)
{
	char *cap = path_in("in.tsbpf"), *js = path_in("twice.json"), err[4096], rel[300];
	char *rec[] = { (char *)bin, "--lib", (char *)fakecuda, "-o", cap, "--", "true", NULL };
	char *over[] = { (char *)bin, "replay", cap, "-o", cap, NULL };
	char *twice[] = { (char *)bin, "--lib", (char *)fakecuda, "-o", js, "-o",
			  rel,	       "--",	"true",		  NULL };
	struct stat a, b;

	snprintf(rel, sizeof(rel), "%s/../%s/twice.json", dir, strrchr(dir, '/') + 1);
	assert_int_equal(run_tracer(rec, err, sizeof(err)), 0);
	assert_int_equal(stat(cap, &a), 0);
	assert_int_equal(run_tracer(over, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "would overwrite the input"));
	assert_int_equal(stat(cap, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_size == b.st_size);
	assert_int_equal(run_tracer(twice, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "are the same file"));
	assert_int_equal(access(js, F_OK), -1);
}

/* U+FFFD for each bad byte in the name; its bytes, escaped, in name_bytes */
#define FFFD "\xef\xbf\xbd"
#define HOSTILE_EXPECT                                                                             \
	"--expect 'bad_" FFFD FFFD "_overlong=2' "                                                 \
	"--expect-arg 'bad_" FFFD FFFD "_overlong:name_bytes=bad_\\xc0\\xaf_overlong' "            \
	"--expect 'bad_" FFFD FFFD FFFD "_surrogate=2' "                                           \
	"--expect 'bad_" FFFD FFFD FFFD FFFD "_above=2' "                                          \
	"--expect-arg 'bad_cut_" FFFD FFFD ":name_bytes=bad_cut_\\xe2\\x82' "                      \
	"--expect-arg 'bad_" FFFD "_stray:name_bytes=bad_\\xff_stray' "                            \
	"--expect '" HOSTILE_VALID "=2'"

/* Names a traced process can use against the tracer: a demangling bomb, bad UTF-8. */
static void check_hostile(const char *json, const char *pf)
{
	struct trace t;
	json_object *e;
	const char *n;
	int i, bombs = 0;

	assert_int_equal(check_json(json, false, HOSTILE_EXPECT), 0);
	assert_int_equal(check_pftrace(pf, HOSTILE_EXPECT), 0);
	assert_int_equal(trace_load(&t, json), 0);
	for (i = 0; (e = trace_find(&t, "X", NULL, GPU, i)); i++) {
		n = ev_str(e, "name");
		if (!strncmp(n, "_Z1fI1AIiiE", 11)) {
			/* the mangled name, marked: never the gigabytes it demangles to */
			assert_int_equal(strlen(n), HOSTILE_BOMB_LEN + strlen(" [not demangled: "
									      "over 4096 bytes]"));
			assert_non_null(strstr(n, "[not demangled"));
			bombs++;
		}
	}
	assert_int_equal(bombs, HOSTILE_N);
	trace_free(&t);
}

static void test_hostile_names(void **state)
{
	char *json = path_in("hostile.json"), *pf = path_in("hostile.pftrace"), err[4096];
	char *cap = path_in("hostile.tsbpf");
	char *argv[] = { (char *)bin,
			 "--lib",
			 (char *)fakecuda,
			 "-o",
			 json,
			 "-o",
			 pf,
			 "-o",
			 cap,
			 "--",
			 (char *)fakeapp,
			 "--lib",
			 (char *)fakecuda,
			 "hostile",
			 NULL };
	char *replay[] = { (char *)bin,
			   "replay",
			   cap,
			   "-o",
			   path_in("hostile-r.json"),
			   "-o",
			   path_in("hostile-r.pftrace"),
			   NULL };

	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	check_hostile(json, pf);
	assert_int_equal(run_tracer(replay, err, sizeof(err)), 0);
	check_hostile(path_in("hostile-r.json"), path_in("hostile-r.pftrace"));
}

/*
 * CAP_BPF + CAP_PERFMON without root: the CUDA API is traced; the driver
 * layer, whose tracepoints live in root-only tracefs, is left out with the
 * right reason.
 */
static void test_capabilities_only(void **state)
{
	char sub[300], out[400], err[4096], tbin[400], tlib[400], tapp[400], cmd[4096];
	char *argv[] = { "/usr/bin/setpriv",
			 "--reuid=65534",
			 "--regid=65534",
			 "--clear-groups",
			 "--inh-caps=+bpf,+perfmon",
			 "--ambient-caps=+bpf,+perfmon",
			 tbin,
			 "--lib",
			 tlib,
			 "-o",
			 out,
			 "--",
			 tapp,
			 "--lib",
			 tlib,
			 "triton",
			 NULL };
	struct trace t;

	if (access(argv[0], X_OK))
		skip();
	snprintf(sub, sizeof(sub), "%s/nobody", dir);
	snprintf(out, sizeof(out), "%s/caps.json", sub);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(mkdir(sub, 0777), 0);
	assert_int_equal(chmod(sub, 0777), 0);
	/* copies nobody can reach, wherever this clone lives */
	snprintf(tbin, sizeof(tbin), "%s/tracesmith-bpf", sub);
	snprintf(tlib, sizeof(tlib), "%s/libcuda.so.1", sub);
	snprintf(tapp, sizeof(tapp), "%s/fakeapp", sub);
	snprintf(cmd, sizeof(cmd), "cp %s %s && cp %s %s && cp %s %s && chmod 755 %s %s %s", bin,
		 tbin, fakecuda, tlib, fakeapp, tapp, tbin, tlib, tapp);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "tracing without the driver layer"));
	assert_true(strstr(err, "cannot read tracefs") || strstr(err, "tracefs is not mounted"));
	assert_int_equal(trace_load(&t, out), 0);
	assert_int_equal(trace_count(&t, "X", TRITON_KERNEL, GPU), TRITON_N);
	trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigkill_every_output),
		cmocka_unit_test(test_stop_signals),
		cmocka_unit_test(test_sigpipe_stdout),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_duration_stops_command),
		cmocka_unit_test(test_planted_symlinks),
		cmocka_unit_test(test_earlier_trace_kept),
		cmocka_unit_test(test_same_file_refused),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_capabilities_only),
	};

	if (!tracer_root("test_run_safety"))
		return getenv("CI") != NULL;
	if (getenv("TS_TEST_FILTER")) /* run some: TS_TEST_FILTER='test_sig*' */
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("safety", tests, tracer_setup, NULL);
}
