// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The flight recorder (--flight-recorder SECS) on the stand-in driver: exact
 * windows (phase A, a pause longer than the window, phase B, a trigger: the
 * snapshot holds phase B's launches, none of A's, and names the kernel from
 * before the window), each trigger (SIGUSR2, error, exit, hang), the rate
 * limit, the memory bound under a storm (peak RSS of the tracer), a
 * snapshot to an unwritable folder or a full disk, and SIGUSR2 while a
 * snapshot is being written. The workload itself gives the trigger
 * (workloads.h: flight), so the window is the workload's, not a timer's.
 * Root, like the other BPF tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "trace_json.h"
#include "tracer_run.h"
#include "workloads.h"
#include "fakenccl/nccl_workload.h"

#define MAX_ARGS 48

/* argv from a space-separated line (the test's paths have no spaces) */
static void split(char *line, char **argv)
{
	int n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(line, " ", &save); tok && n < MAX_ARGS - 1;
	     tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
}

/* Start the command line fmt makes (its stderr on *fd, if fd is not NULL). */
static pid_t start_fmt(int *fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static pid_t start_fmt(int *fd, const char *fmt, ...)
{
	static char line[2048];
	static char *argv[MAX_ARGS];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	split(line, argv);
	return start(argv, fd);
}

/* Start `tracesmith-bpf --lib FAKE TRACER_ARGS -- fakeapp --lib FAKE APP_ARGS`; stderr on *fd. */
static pid_t start_flight(int *fd, const char *tracer_args, const char *app_args)
{
	return start_fmt(fd, "%s --lib %s %s -- %s --lib %s %s", bin, fakecuda, tracer_args,
			 fakeapp, fakecuda, app_args);
}

/* Run it to the end: its exit status, its stderr in err. */
static int run_flight(char *err, size_t len, const char *tracer_args, const char *app_args)
{
	int fd;
	pid_t pid = start_flight(&fd, tracer_args, app_args);

	err[0] = '\0';
	return collect(pid, fd, err, len);
}

/* How often needle is in s. */
static int occurrences(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s += strlen(needle))
		n++;
	return n;
}

/* The snapshot's otherData.flight_recorder member key, as a number. */
static long long flight_num(const struct trace *t, const char *key)
{
	return ev_int(trace_other(t, "flight_recorder"), key);
}

static const char *flight_str(const struct trace *t, const char *key)
{
	return ev_str(trace_other(t, "flight_recorder"), key);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/*
 * The window is exact: phase A (20 launches of A), 3 s of nothing (more than
 * the 2 s window), phase B (15 of B), a failing allocation. The snapshot
 * holds the 15 B launches and none of A, B still named (cuModuleGetFunction
 * came before phase A), the process named, the trigger said; one file only.
 */
static void test_window_exact_on_error(void **state)
{
	char err[8192], args[512];
	struct trace t;

	snprintf(args, sizeof(args), "--flight-recorder 2 --snapshot-on error -o %s -o %s",
		 path_in("w.json"), path_in("w.sqlite"));
	assert_int_equal(run_flight(err, sizeof(err), args, "flight 20 3000 15 fail"), 0);
	assert_non_null(strstr(err, "snapshot 1 (error: cuMemAlloc_v2 returned "
				    "CUDA_ERROR_OUT_OF_MEMORY"));
	assert_false(exists(path_in("w.json")));
	assert_false(exists(path_in("w.2.json")));
	assert_true(exists(path_in("w.1.sqlite")));
	assert_int_equal(trace_load(&t, path_in("w.1.json")), 0);
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_B, GPU), 15);
	assert_int_equal(trace_count(&t, "X", "cuLaunchKernel", HOST), 15);
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_A, ANY), 0);
	assert_int_equal(trace_count(&t, "X", "cuMemAlloc_v2", HOST), 1);
	/* the definitions are learned from, not drawn */
	assert_int_equal(trace_count(&t, "X", "cuModuleGetFunction", HOST), 0);
	assert_non_null(trace_find(&t, "M", "process_name", HOST, 0));
	assert_string_equal(flight_str(&t, "trigger"), "error");
	assert_int_equal(flight_num(&t, "snapshot"), 1);
	assert_int_equal(flight_num(&t, "window_seconds"), 2);
	assert_int_equal(flight_num(&t, "window_end_ns") - flight_num(&t, "window_start_ns"),
			 2000000000ll);
	assert_int_equal(trace_partial_overlaps(&t), 0);
	trace_free(&t);
}

/*
 * SIGUSR2 (sent by the workload to its parent, the tracer, after phase B):
 * a snapshot in every format given, the .tsbpf one replaying to the same
 * trace; the run goes on and ends with no other file.
 */
static void test_sigusr2_snapshot(void **state)
{
	char err[8192] = "", args[512], app[256];
	char *replay[] = { (char *)bin, "replay",	   path_in("s.1.tsbpf"),
			   "-o",	path_in("r.json"), NULL };
	struct trace t;
	pid_t tr;
	int fd;

	snprintf(args, sizeof(args), "--flight-recorder 30 -o %s -o %s", path_in("s.json"),
		 path_in("s.tsbpf"));
	snprintf(app, sizeof(app), "--linger %s flight 5 0 7 signal", path_in("s.go"));
	tr = start_flight(&fd, args, app);
	assert_true(wait_for(fd, "snapshot 1 (signal", err, sizeof(err), 60000));
	close(open(path_in("s.go"), O_CREAT | O_WRONLY, 0644));
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "1 snapshots written"));
	assert_false(exists(path_in("s.2.json")));
	assert_int_equal(trace_load(&t, path_in("s.1.json")), 0);
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_A, GPU), 5);
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_B, GPU), 7);
	assert_string_equal(flight_str(&t, "trigger"), "signal");
	trace_free(&t);
	assert_int_equal(run_tracer(replay, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, path_in("r.json")), 0);
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_B, GPU), 7);
	assert_string_equal(flight_str(&t, "trigger"), "signal");
	trace_free(&t);
}

/* A process that exits with status 3: a snapshot, %n in the name; the tracer exits 3. */
static void test_exit_trigger(void **state)
{
	char err[8192], args[512];
	struct trace t;

	snprintf(args, sizeof(args), "--flight-recorder 30 --snapshot-on exit -o %s",
		 path_in("e-%n.json"));
	assert_int_equal(run_flight(err, sizeof(err), args, "flight 10 0 4 exit"),
			 FLIGHT_EXIT_STATUS);
	assert_int_equal(trace_load(&t, path_in("e-1.json")), 0);
	assert_int_equal(trace_count(&t, "X", "cuLaunchKernel", HOST), 14);
	assert_string_equal(flight_str(&t, "trigger"), "exit");
	assert_non_null(strstr(flight_str(&t, "detail"), "exited with status 3"));
	trace_free(&t);
	assert_false(exists(path_in("e-2.json")));
}

/* A call that may block waits past hang=1: snapshot taken while it waits, drawn unfinished. */
static void test_hang_trigger(void **state)
{
	char err[8192], args[512];
	json_object *sync;
	struct trace t;

	setenv("FAKECUDA_SYNC_US", "4000000", 1);
	snprintf(args, sizeof(args), "--flight-recorder 30 --snapshot-on hang=1 -o %s",
		 path_in("h.json"));
	assert_int_equal(run_flight(err, sizeof(err), args, "flight 0 0 3 hang"), 0);
	unsetenv("FAKECUDA_SYNC_US");
	assert_int_equal(trace_load(&t, path_in("h.1.json")), 0);
	assert_string_equal(flight_str(&t, "trigger"), "hang");
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_B, GPU), 3);
	sync = trace_find(&t, "X", "cuCtxSynchronize", HOST, 0);
	assert_non_null(sync);
	assert_int_equal(ev_arg_int(sync, "unfinished"), 1);
	trace_free(&t);
	assert_false(exists(path_in("h.2.json")));
}

/* A storm of 50 failing calls within the interval: one file, the rest counted and said once. */
static void test_rate_limit(void **state)
{
	char err[8192], args[512];

	snprintf(args, sizeof(args),
		 "--flight-recorder 30 --snapshot-on error --snapshot-interval 3600 -o %s",
		 path_in("rl.json"));
	assert_int_equal(run_flight(err, sizeof(err), args, "flight 0 0 2 fail 50"), 0);
	assert_true(exists(path_in("rl.1.json")));
	assert_false(exists(path_in("rl.2.json")));
	assert_int_equal(occurrences(err, "triggers come faster"), 1);
	assert_non_null(strstr(err, "triggers not taken"));
}

/* Run to the end, reaped with wait4: the tracer's peak RSS in KiB. */
static long run_rss(char *err, size_t len, const char *tracer_args, const char *app_args)
{
	struct rusage ru;
	int fd, st;
	pid_t pid = start_flight(&fd, tracer_args, app_args);
	ssize_t n;
	size_t off = 0;

	while (off < len - 1 && (n = read(fd, err + off, len - 1 - off)) > 0)
		off += n;
	err[off] = '\0';
	close(fd);
	assert_int_equal(wait4(pid, &st, 0, &ru), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return ru.ru_maxrss;
}

/*
 * A storm well over the memory bound (4 MiB; 200k and 600k launches of
 * ~120-byte records): the oldest records are cut and counted, the snapshot
 * holds the rest, and the tracer's peak RSS does not grow with the storm:
 * it stays within the bound of a plain recording's (to a .tsbpf).
 */
static void test_memory_bound(void **state)
{
	static const char *fmt = "--flight-recorder 600 --flight-recorder-mb 4 --snapshot-on stop "
				 "-o %s";
	char err[8192], args[512];
	long rss0, rss1, rss3, cut1, cut3, kept, dropped;
	struct trace t;

	/* runs first: a child's peak RSS counts what it shared with this process before exec */
	snprintf(args, sizeof(args), "-o %s", path_in("m0.tsbpf"));
	rss0 = run_rss(err, sizeof(err), args, "storm 200000");
	snprintf(args, sizeof(args), fmt, path_in("m1.json"));
	rss1 = run_rss(err, sizeof(err), args, "storm 200000");
	snprintf(args, sizeof(args), fmt, path_in("m3.json"));
	rss3 = run_rss(err, sizeof(err), args, "storm 600000");
	fprintf(stderr,
		"peak RSS: %ld KiB recording 200k launches to .tsbpf; flight recorder "
		"(4 MiB): %ld KiB (200k), %ld KiB (600k)\n",
		rss0, rss1, rss3);
	/* the bound over a plain recording's, and three times the records in the same memory */
	assert_true(rss1 < rss0 + 4096 + 2048);
	assert_true(rss3 < rss1 + 2048);

	assert_int_equal(trace_load(&t, path_in("m1.1.json")), 0);
	cut1 = flight_num(&t, "records_cut");
	kept = trace_count(&t, "X", "cuLaunchKernel", HOST);
	dropped = json_object_get_int64(trace_other(&t, "dropped_events"));
	trace_free(&t);
	assert_true(cut1 > 0);
	assert_true(kept < 200000);
	/* every launch is in the snapshot, cut and counted, or dropped by BPF (said) */
	assert_true(kept + cut1 + dropped >= 200000 && kept + cut1 <= 200000 + 8);
	assert_int_equal(trace_load(&t, path_in("m3.1.json")), 0);
	cut3 = flight_num(&t, "records_cut");
	trace_free(&t);
	assert_true(cut3 > cut1 + 350000);
}

/*
 * The snapshot's folder is gone (a file in its place) when SIGUSR2 comes:
 * said, recording goes on, and the next snapshot, once the folder is back,
 * is written whole.
 */
static void test_unwritable_folder(void **state)
{
	char err[8192] = "", args[512], app[256], *sub = strdup(path_in("sub"));
	struct trace t;
	pid_t tr;
	int fd;

	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(args, sizeof(args), "--flight-recorder 60 -o %s/u.json", sub);
	snprintf(app, sizeof(app), "--wait-file %s --linger %s flight 3 0 4 signal",
		 path_in("u.go"), path_in("u.end"));
	tr = start_flight(&fd, args, app);
	/* the folder was there at the start (the command runs: the check is past); now a file */
	assert_true(child_of(tr) > 0);
	assert_int_equal(rmdir(sub), 0);
	close(open(sub, O_CREAT | O_WRONLY, 0644));
	close(open(path_in("u.go"), O_CREAT | O_WRONLY, 0644));
	assert_true(wait_for(fd, "recording goes on", err, sizeof(err), 60000));
	snprintf(args, sizeof(args), "snapshot 1 not written: %s/u.1.json: Not a directory;", sub);
	assert_non_null(strstr(err, args));
	assert_int_equal(unlink(sub), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	kill(tr, SIGUSR2);
	assert_true(wait_for(fd, "snapshot 2 (signal", err, sizeof(err), 60000));
	close(open(path_in("u.end"), O_CREAT | O_WRONLY, 0644));
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_int_equal(occurrences(err, "snapshot 1 "), 1);
	snprintf(args, sizeof(args), "%s/u.2.json", sub);
	assert_int_equal(trace_load(&t, args), 0);
	assert_int_equal(trace_count(&t, "X", "cuLaunchKernel", HOST), 7);
	trace_free(&t);
	free(sub);
}

/*
 * -p: a running program attached to, then a failing call: the snapshot is
 * taken while it still runs, holds its launches, and names it.
 */
static void test_attach_pid(void **state)
{
	char err[8192] = "", want[1024], *go = strdup(path_in("p.go")),
	     *end = strdup(path_in("p.end"));
	struct trace t;
	pid_t a, tr;
	int fd, n;

	(void)state;
	snprintf(want, sizeof(want), "%s --lib %s --wait-file %s --linger %s flight 0 0 6 fail",
		 fakeapp, fakecuda, go, end);
	a = start_fmt(NULL, "%s", want);
	tr = start_fmt(&fd, "%s --lib %s --flight-recorder 30 --snapshot-on error -p %d -o %s", bin,
		       fakecuda, a, path_in("p.json"));
	assert_true(wait_for(fd, "tracing pid", err, sizeof(err), 30000));
	close(creat(go, 0644));
	assert_true(wait_for(fd, "snapshot 1 (error: cuMemAlloc_v2", err, sizeof(err), 60000));
	assert_true(pid_alive(a));
	close(creat(end, 0644));
	assert_int_equal(wait_status(a), 0);
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, path_in("p.1.json")), 0);
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_B, GPU), 6);
	assert_string_equal(trace_last_process_name(&t, a, &n), want);
	trace_free(&t);
	assert_false(exists(path_in("p.2.json")));
	free(go);
	free(end);
}

/* -a: a program started after the tracer exits with status 3: its snapshot; the tracer goes on. */
static void test_all_exit(void **state)
{
	char err[8192] = "";
	struct trace t;
	pid_t a, tr;
	int fd;

	(void)state;
	tr = start_fmt(&fd, "%s --lib %s --flight-recorder 30 --snapshot-on exit -a -o %s", bin,
		       fakecuda, path_in("a.json"));
	assert_true(wait_for(fd, "tracing every process", err, sizeof(err), 30000));
	a = start_fmt(NULL, "%s --lib %s flight 0 0 5 exit", fakeapp, fakecuda);
	assert_int_equal(wait_status(a), FLIGHT_EXIT_STATUS);
	assert_true(wait_for(fd, "snapshot 1 (exit: pid", err, sizeof(err), 60000));
	assert_true(pid_alive(tr));
	assert_int_equal(kill(tr, SIGINT), 0);
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, path_in("a.1.json")), 0);
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_B, GPU), 5);
	assert_string_equal(flight_str(&t, "trigger"), "exit");
	trace_free(&t);
	assert_false(exists(path_in("a.2.json")));
}

/* `tracesmith-bpf --lib FAKE TRACER_ARGS -- ncclapp ... MODE` to its end: status, stderr. */
static int run_nccl_flight(char *err, size_t len, const char *tracer_args, const char *mode)
{
	const char *nccl = getenv("TS_FAKENCCL"), *app = getenv("TS_NCCLAPP");
	int fd;
	pid_t pid;

	if (!nccl || !app)
		fail_msg("set TS_FAKENCCL and TS_NCCLAPP (make bpf-test does)");
	pid = start_fmt(&fd, "%s --lib %s %s -- %s --cuda %s --nccl %s %s", bin, fakecuda,
			tracer_args, app, fakecuda, nccl, mode);
	err[0] = '\0';
	return collect(pid, fd, err, len);
}

/*
 * An NCCL call that fails is a trigger, said in NCCL's words (ncclInvalidUsage,
 * not the CUresult of the same number); the all-reduces before it are in the
 * snapshot; nothing else triggered.
 */
static void test_nccl_error_trigger(void **state)
{
	char err[8192], args[512];
	struct trace t;

	(void)state;
	snprintf(args, sizeof(args), "--flight-recorder 30 --snapshot-on error -o %s",
		 path_in("ne.json"));
	assert_int_equal(run_nccl_flight(err, sizeof(err), args, "flight"), 0);
	assert_non_null(
		strstr(err, "snapshot 1 (error: ncclGroupEnd returned ncclInvalidUsage (5)"));
	assert_int_equal(trace_load(&t, path_in("ne.1.json")), 0);
	assert_string_equal(flight_str(&t, "trigger"), "error");
	assert_int_equal(trace_count(&t, "X", "ncclAllReduce", HOST), NW_FLIGHT_ALLREDUCE);
	trace_free(&t);
	assert_false(exists(path_in("ne.2.json")));
	assert_non_null(strstr(err, "1 snapshots written"));
}

/* An NCCL group end that hangs (a peer never comes): taken while it waits, drawn unfinished. */
static void test_nccl_hang_trigger(void **state)
{
	char err[8192], args[512];
	json_object *end;
	struct trace t;
	int i, unfinished = 0;

	(void)state;
	setenv("FAKENCCL_GROUP_END_US", "4000000", 1);
	snprintf(args, sizeof(args), "--flight-recorder 30 --snapshot-on hang=1 -o %s",
		 path_in("nh.json"));
	assert_int_equal(run_nccl_flight(err, sizeof(err), args, "flight"), 0);
	unsetenv("FAKENCCL_GROUP_END_US");
	assert_non_null(strstr(err, "(hang: ncclGroupEnd has waited"));
	assert_int_equal(trace_load(&t, path_in("nh.1.json")), 0);
	assert_string_equal(flight_str(&t, "trigger"), "hang");
	assert_int_equal(trace_count(&t, "X", "ncclAllReduce", HOST), NW_FLIGHT_ALLREDUCE);
	/* the failed one returned; the group's end still waits */
	for (i = 0; (end = trace_find(&t, "X", "ncclGroupEnd", HOST, i)); i++)
		unfinished += ev_arg_int(end, "unfinished") == 1;
	assert_int_equal(i, 2);
	assert_int_equal(unfinished, 1);
	trace_free(&t);
	assert_false(exists(path_in("nh.2.json")));
}

/* -o with %r: each snapshot is one file per NCCL rank, each with its rank's work. */
static void test_nccl_rank_files(void **state)
{
	char err[8192], args[512], name[64];
	struct trace t;
	int r;

	(void)state;
	snprintf(args, sizeof(args), "--flight-recorder 30 --snapshot-on stop -o %s",
		 path_in("nr-%r.json"));
	assert_int_equal(run_nccl_flight(err, sizeof(err), args, "ranks 2"), 0);
	for (r = 0; r < 2; r++) {
		snprintf(name, sizeof(name), "nr-%d.1.json", r);
		assert_int_equal(trace_load(&t, path_in(name)), 0);
		assert_int_equal(trace_count(&t, "X", "ncclAllReduce", HOST), NW_ALLREDUCE_N);
		assert_int_equal(ev_int(trace_other(&t, "flight_recorder"), "snapshot"), 1);
		trace_free(&t);
	}
	assert_false(exists(path_in("nr-2.1.json")));
	assert_false(exists(path_in("nr-0.2.json")));
}

/* What a test below left if it failed: the tracer (and its command), the file system it mounted. */
static pid_t running;
static char *small_fs;
static int fifo_fd = -1; /* its reader gone, a snapshot's writer blocked on it ends */

static int stop_running(void **state)
{
	pid_t app = running > 0 ? child_of(running) : 0;

	if (app > 0)
		kill(app, SIGKILL);
	if (running > 0) {
		kill(running, SIGKILL);
		waitpid(running, NULL, 0);
	}
	running = 0;
	if (fifo_fd >= 0)
		close(fifo_fd);
	fifo_fd = -1;
	if (small_fs) {
		umount2(small_fs, MNT_DETACH);
		free(small_fs);
		small_fs = NULL;
	}
	return 0;
}

/* Fill the file system path is on: write until it is full (ENOSPC). */
static void fill_up(const char *path)
{
	static char block[4096];
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) > 0)
		;
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

/* Files in folder whose name holds part. */
static int files_with(const char *folder, const char *part)
{
	DIR *d = opendir(folder);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strstr(e->d_name, part) != NULL;
	closedir(d);
	return n;
}

/*
 * A snapshot to a full disk (a 1 MiB tmpfs, filled): one line says which
 * snapshot, which file and why, no partial file is left to keep the disk
 * full, and recording goes on; once there is room, the next snapshot is
 * written whole, with every launch of the window.
 */
static void test_full_disk(void **state)
{
	char err[16384] = "", args[512], app[256], fill[512], line[768];
	struct trace t;
	pid_t tr;
	int fd;

	small_fs = strdup(path_in("full"));
	assert_int_equal(mkdir(small_fs, 0755), 0);
	assert_int_equal(mount("tmpfs", small_fs, "tmpfs", 0, "size=1m"), 0);
	snprintf(fill, sizeof(fill), "%s/filler", small_fs);
	fill_up(fill);
	snprintf(args, sizeof(args), "--flight-recorder 60 -o %s/f.json -o %s/f.pftrace", small_fs,
		 small_fs);
	snprintf(app, sizeof(app), "--linger %s flight 3 0 4 signal", path_in("f.end"));
	running = tr = start_flight(&fd, args, app);
	assert_true(wait_for(fd, "recording goes on", err, sizeof(err), 60000));
	snprintf(line, sizeof(line),
		 "flight recorder: snapshot 1 not written: %s/f.1.json: No space left on device; "
		 "recording goes on (free space and send SIGUSR2 for another)\n",
		 small_fs);
	assert_non_null(strstr(err, line));
	assert_int_equal(files_with(small_fs, ".partial."), 0);
	assert_int_equal(files_with(small_fs, "f."), 0);
	assert_true(pid_alive(tr));
	assert_int_equal(unlink(fill), 0);
	kill(tr, SIGUSR2);
	assert_true(wait_for(fd, "snapshot 2 (signal", err, sizeof(err), 60000));
	close(open(path_in("f.end"), O_CREAT | O_WRONLY, 0644));
	running = 0;
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	/* that one line only: nothing from the writers, nothing more from the recorder */
	assert_int_equal(occurrences(err, "snapshot 1 "), 1);
	assert_int_equal(occurrences(err, "f.1."), 1);
	assert_int_equal(occurrences(err, "partial"), 0);
	assert_non_null(strstr(err, "1 snapshots written"));
	assert_int_equal(files_with(small_fs, ".partial."), 0);
	snprintf(line, sizeof(line), "%s/f.2.json", small_fs);
	assert_int_equal(trace_load(&t, line), 0);
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_A, GPU), 3);
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_B, GPU), 4);
	assert_int_equal(trace_count(&t, "X", "cuLaunchKernel", HOST), 7);
	assert_int_equal(flight_num(&t, "snapshot"), 2);
	trace_free(&t);
	snprintf(line, sizeof(line), "%s/f.2.pftrace", small_fs);
	assert_true(exists(line));
	assert_int_equal(files_with(small_fs, "f."), 2);
}

static void on_alarm(int sig)
{
	(void)sig; /* only to cut a blocking open or read short */
}

/*
 * SIGUSR2 while snapshot 1 is being written queues snapshot 2. Snapshot 1
 * goes into a FIFO: its writer blocks until this test reads, so the second
 * SIGUSR2 surely comes while it is under way (the open returns once the
 * writer has opened the FIFO; the trigger was taken before that). Both
 * snapshots whole, with exact counts; no third.
 */
static void test_sigusr2_during_snapshot(void **state)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART: a hang fails */
	char err[8192] = "", args[512], app[256], buf[65536], *fifo = strdup(path_in("q.1.json"));
	struct trace t;
	ssize_t n, total = 0;
	int fd, out;
	pid_t tr;

	assert_int_equal(mkfifo(fifo, 0644), 0);
	snprintf(args, sizeof(args), "--flight-recorder 60 -o %s", path_in("q.json"));
	snprintf(app, sizeof(app), "--linger %s flight 600 0 400 signal", path_in("q.end"));
	running = tr = start_flight(&fd, args, app);
	sigaction(SIGALRM, &sa, NULL);
	alarm(120);
	fifo_fd = open(fifo, O_RDONLY | O_CLOEXEC);
	assert_true(fifo_fd >= 0);
	/* a small pipe: the writer cannot finish before it is read (EBUSY if it holds more) */
	fcntl(fifo_fd, F_SETPIPE_SZ, 4096);
	kill(tr, SIGUSR2);
	out = open(path_in("q1.json"), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(out >= 0);
	while ((n = read(fifo_fd, buf, sizeof(buf))) > 0) {
		assert_int_equal(write(out, buf, n), n);
		total += n;
	}
	assert_int_equal(n, 0);
	alarm(0);
	close(fifo_fd);
	fifo_fd = -1;
	close(out);
	/* more than the pipe held at most (64 KiB unless shrunk): the writer waited for us */
	assert_true(total > 65536);
	assert_true(wait_for(fd, "snapshot 2 (signal", err, sizeof(err), 60000));
	close(open(path_in("q.end"), O_CREAT | O_WRONLY, 0644));
	running = 0;
	assert_int_equal(collect(tr, fd, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "flight recorder: 2 snapshots written\n"));
	assert_int_equal(trace_load(&t, path_in("q1.json")), 0);
	assert_int_equal(flight_num(&t, "snapshot"), 1);
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_A, GPU), 600);
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_B, GPU), 400);
	trace_free(&t);
	assert_int_equal(trace_load(&t, path_in("q.2.json")), 0);
	assert_int_equal(flight_num(&t, "snapshot"), 2);
	assert_string_equal(flight_str(&t, "trigger"), "signal");
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_A, GPU), 600);
	assert_int_equal(trace_count(&t, "X", FLIGHT_KERNEL_B, GPU), 400);
	trace_free(&t);
	assert_false(exists(path_in("q.3.json")));
	free(fifo);
}

/* Bad options: one line each, exit 1. */
static void test_bad_options(void **state)
{
	char *no_window[] = { (char *)bin, "--snapshot-on", "error", "-a", NULL };
	char *bad_on[] = { (char *)bin, "--flight-recorder", "5", "--snapshot-on", "oops", "-a",
			   NULL };
	char *to_stdout[] = { (char *)bin, "--flight-recorder", "5", "-o", "-", "-a", NULL };
	char *no_folder[] = { (char *)bin, "--flight-recorder",	  "5",
			      "-o",	   "/nonexistent/t.json", "-a",
			      NULL };

	expect_error(no_window, "go with --flight-recorder SECS");
	expect_error(bad_on, "--snapshot-on oops");
	expect_error(to_stdout, "-o - cannot be one");
	expect_error(no_folder, "no folder /nonexistent");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_exact_on_error),
		cmocka_unit_test(test_sigusr2_snapshot),
		cmocka_unit_test(test_exit_trigger),
		cmocka_unit_test(test_hang_trigger),
		cmocka_unit_test(test_nccl_error_trigger),
		cmocka_unit_test(test_nccl_rank_files),
		cmocka_unit_test(test_attach_pid),
		cmocka_unit_test(test_all_exit),
		cmocka_unit_test(test_nccl_hang_trigger),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_memory_bound),
		cmocka_unit_test(test_unwritable_folder),
		cmocka_unit_test_teardown(test_full_disk, stop_running),
		cmocka_unit_test_teardown(test_sigusr2_during_snapshot, stop_running),
		cmocka_unit_test(test_bad_options),
	};

	if (!tracer_root("test_run_flight"))
		return getenv("CI") != NULL;
	if (getenv("TS_TEST_FILTER")) /* run some: TS_TEST_FILTER='test_hang*' */
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("flight", tests, tracer_setup, NULL);
}
