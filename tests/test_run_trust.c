// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * No code of another user, ever (user/safepath.h): the --gpu-time library a
 * traced program loads reaches it through a path no other user can change.
 * Tried as an attacker would: a folder on the way belongs to another user
 * (nobody, through setpriv), who swaps folders between the tracer's check
 * and the program's load, putting a library of theirs under the name the
 * program will open. That library must never run: it leaves a marker file if
 * it does. Root, like the other BPF tests; each test stops what it started.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "trace_json.h"
#include "tracer_run.h"

#define NOBODY 65534

static const char *fakecupti, *planted;

/*
 * The traced command: the attacker first (as if racing, but at the worst
 * moment every time: after the tracer's check, before the load), then the
 * CUDA program. As nobody, the folder that holds $CUDA_INJECTION64_PATH is
 * swapped for one with the planted library under the same name; where that
 * folder's parent is not theirs, the swap fails and changes nothing.
 */
static const char swap[] =
	"d=$(dirname \"$CUDA_INJECTION64_PATH\"); n=$(basename \"$CUDA_INJECTION64_PATH\"); "
	"setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'mkdir \"$0.new\" && "
	"cp \"$1\" \"$0.new/$2\" && mv \"$0\" \"$0.old\" && mv \"$0.new\" \"$0\"' "
	"\"$d\" \"$TS_PLANTED\" \"$n\" 2>/dev/null; ";

/* --gpu-time -- sh -c "SWAP; fakeapp runtime", state folder and $TMPDIR as given: exit status */
static int trace_attacked(const char *state, const char *tmpdir, const char *out, char *err,
			  size_t len)
{
	char script[2048];
	char *argv[] = { (char *)bin,  "--lib",	    (char *)fakecuda,
			 "--gpu-time", "--cupti",   (char *)fakecupti,
			 "-o",	       (char *)out, "--",
			 "/bin/sh",    "-c",	    script,
			 NULL };
	int st;

	snprintf(script, sizeof(script), "%sexec %s --lib %s runtime", swap, fakeapp, fakecuda);
	setenv("TRACESMITH_STATE_DIR", state, 1);
	if (tmpdir)
		setenv("TMPDIR", tmpdir, 1);
	st = run_tracer(argv, err, len);
	unsetenv("TMPDIR");
	setenv("TRACESMITH_STATE_DIR", safe_path("state"), 1);
	return st;
}

/* A folder of nobody's (in a folder of root's). */
static char *nobody_dir(const char *name)
{
	char *d = safe_path(name);

	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(chown(d, NOBODY, NOBODY), 0);
	return d;
}

/* The run kept GPU times (our library ran) and the planted one never did. */
static void assert_ours_ran(const char *out, const char *marker, const char *err)
{
	struct trace t;

	assert_int_equal(access(marker, F_OK), -1);
	assert_int_equal(trace_load(&t, out), 0);
	assert_non_null(trace_other(&t, "gpu_slices_measured"));
	assert_true(json_object_get_int64(trace_other(&t, "gpu_slices_measured")) > 0);
	trace_free(&t);
	assert_null(strstr(err, "never started"));
}

/*
 * The state folder is root's, but its parent is nobody's: checked by its
 * last folder alone it passed, and nobody swapped it before the program
 * loaded the library. Now the tracer says why it is not used and puts the
 * library in a fresh folder of its own in /run.
 */
static void test_state_parent_of_other_user(void **state)
{
	char *evil = nobody_dir("evil"), st[512], err[8192], *marker = safe_path("marker-a");

	snprintf(st, sizeof(st), "%s/state", evil);
	assert_int_equal(mkdir(st, 0755), 0);
	setenv("TS_PLANTED_MARKER", marker, 1);
	assert_int_equal(trace_attacked(st, NULL, path_in("trust-a.json"), err, sizeof(err)), 0);
	assert_ours_ran(path_in("trust-a.json"), marker, err);
	assert_non_null(strstr(err, "not used: "));
	assert_non_null(strstr(err, "is owned by uid 65534"));
	unsetenv("TS_PLANTED_MARKER");
}

/*
 * The state folder is nobody's, so not used, and $TMPDIR is nobody's too:
 * the run's own folder was made there, and swapped. A folder of the run's
 * own goes only in a folder no one else can change.
 */
static void test_private_folder_of_other_user(void **state)
{
	char *evil = nobody_dir("evil-tmp"), *marker = safe_path("marker-b"), err[8192];
	char *st = nobody_dir("evil-state");

	setenv("TS_PLANTED_MARKER", marker, 1);
	assert_int_equal(trace_attacked(st, evil, path_in("trust-b.json"), err, sizeof(err)), 0);
	assert_ours_ran(path_in("trust-b.json"), marker, err);
	assert_non_null(strstr(err, "is owned by uid 65534"));
	unsetenv("TS_PLANTED_MARKER");
}

/*
 * -p whose injection fails (a process in another mount namespace): one line
 * says why, and no second one blames the program ("made no cuInit").
 */
static void test_failed_injection_said_once(void **state)
{
	char pidstr[16], err[8192];
	char *app[] = { "/usr/bin/unshare", "--mount", "--propagation",	 "private",
			(char *)fakeapp,    "--lib",   (char *)fakecuda, "--forever",
			"threads",	    NULL };
	char *argv[] = {
		(char *)bin, "--lib", (char *)fakecuda,		"--gpu-time", "-p", pidstr, "-d",
		"1",	     "-o",    path_in("trust-ns.json"), NULL
	};
	pid_t p = start(app, NULL);

	usleep(300000); /* unshare has exec'd fakeapp, which calls the driver */
	snprintf(pidstr, sizeof(pidstr), "%d", p);
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 1); /* refused, said once */
	kill(p, SIGKILL);
	wait_status(p);
	assert_non_null(strstr(err, "lives in another mount namespace"));
	assert_null(strstr(err, "made no cuInit"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_parent_of_other_user),
		cmocka_unit_test(test_private_folder_of_other_user),
		cmocka_unit_test(test_failed_injection_said_once),
	};

	if (!tracer_root("test_run_trust"))
		return getenv("CI") != NULL;
	fakecupti = getenv("TS_FAKECUPTI");
	planted = getenv("TS_PLANTED");
	if (!fakecupti || !planted) {
		fprintf(stderr, "set TS_FAKECUPTI and TS_PLANTED (make bpf-test does)\n");
		return 1;
	}
	if (getenv("TS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("trust", tests, tracer_setup, NULL);
}
