// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --metrics on the real tracer (root, real BPF, the stand-in libcuda): the
 * page fetched over loopback while the workload pauses, read strictly as
 * Prometheus text, its counts exactly the workload's; the kernel bound with
 * "other" exact; hostile kernel names escaped; a port in use stops the run
 * before anything is traced.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "prom_parse.h"
#include "tracer_run.h"
#include "workloads.h"
#include "fakecuda/cuda_types.h"
#include "fakecupti/fake_prof.h"

struct metrics_run {
	pid_t tracer;
	int err_fd, port;
	bool flight; /* with --flight-recorder: metrics go on, files only on a trigger */
	char go[256];
	struct prom_page page;
};

/*
 * The run a test has going, outside the test's stack (a failed assertion
 * jumps out of it): the teardown ends what a failed test left running.
 */
static struct metrics_run the_run, *running;

/*
 * The tracer serving metrics on a free port, tracing fakeapp's modes (up to 3), which pause;
 * with flight, as a flight recorder too (snapshots to fr.json, none asked for); with gpu,
 * --gpu-time with the stand-in CUPTI.
 */
static void metrics_start_as(struct metrics_run *m, bool flight, bool gpu, const char *m1,
			     const char *m2, const char *m3)
{
	char addr[64];
	char *argv[32];
	unsigned int n = 0;

	memset(m, 0, sizeof(*m));
	m->flight = flight;
	argv[n++] = (char *)bin;
	argv[n++] = "--lib";
	argv[n++] = (char *)fakecuda;
	argv[n++] = "--metrics";
	argv[n++] = addr;
	if (flight) {
		argv[n++] = "--flight-recorder";
		argv[n++] = "60";
		argv[n++] = "-o";
		argv[n++] = path_in("fr.json");
	}
	if (gpu) {
		assert_non_null(getenv("TS_FAKECUPTI"));
		argv[n++] = "--gpu-time";
		argv[n++] = "--cupti";
		argv[n++] = getenv("TS_FAKECUPTI");
	}
	argv[n++] = "--";
	argv[n++] = (char *)fakeapp;
	argv[n++] = "--lib";
	argv[n++] = (char *)fakecuda;
	argv[n++] = "--pause";
	argv[n++] = m->go;
	argv[n++] = (char *)m1; /* the modes given: a NULL ends argv */
	argv[n++] = (char *)m2;
	argv[n++] = (char *)m3;
	argv[n] = NULL;
	m->port = free_port();
	assert_true(m->port > 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", m->port);
	snprintf(m->go, sizeof(m->go), "%s", path_in("go"));
	unlink(m->go);
	m->tracer = start(argv, &m->err_fd);
	assert_true(m->tracer > 0);
	running = m;
}

static void metrics_start(struct metrics_run *m, const char *m1, const char *m2, const char *m3)
{
	metrics_start_as(m, false, false, m1, m2, m3);
}

/* One scrape into m->page, parsed strictly: false if the page was not served. */
static bool metrics_scrape(struct metrics_run *m)
{
	char *body = NULL;
	bool ok = http_request(m->port, "GET", "/metrics", &body) == 200;

	if (ok) {
		prom_free(&m->page);
		if (prom_parse(body, &m->page))
			fail_msg("not Prometheus text: %s", m->page.err);
	}
	free(body);
	return ok;
}

/*
 * Scrape until the workload's mark call shows (everything before it has
 * been read then: one ring, in order), then parse that page strictly.
 */
static void metrics_wait(struct metrics_run *m)
{
	int tries;

	for (tries = 0; tries < 1200; tries++) {
		if (metrics_scrape(m) && prom_get(&m->page, "tracesmith_api_calls_total",
						  PROM_LABELS("function", PAUSE_MARK)) == 1)
			return;
		usleep(50000);
	}
	fail_msg("the mark call never showed in /metrics");
}

/* Let the workload end; the tracer exits 0 with it. */
static void metrics_end(struct metrics_run *m)
{
	char err[8192] = "";
	FILE *f = fopen(m->go, "w");

	assert_non_null(f);
	fclose(f);
	running = NULL;
	assert_int_equal(collect(m->tracer, m->err_fd, err, sizeof(err)), 0);
	if (!m->flight)
		assert_non_null(strstr(err, "traced (--metrics only, no file)"));
	prom_free(&m->page);
}

static double get_proc(const struct prom_page *p, const char *name, pid_t pid)
{
	char ps[16];

	snprintf(ps, sizeof(ps), "%d", pid);
	return prom_get(p, name, PROM_LABELS("pid", ps, "comm", "fakeapp"));
}

static double get_proc_timed(const struct prom_page *p, const char *name, pid_t pid,
			     const char *timing)
{
	char ps[16];

	snprintf(ps, sizeof(ps), "%d", pid);
	return prom_get(p, name, PROM_LABELS("pid", ps, "comm", "fakeapp", "timing", timing));
}

/* The runtime, fail and labels workloads: every count exactly theirs. */
static void test_metrics_counts(void **state)
{
	static const char *const hostile[] = { LABELS_INJECT, LABELS_BACKSLASH };
	struct metrics_run *m = &the_run;
	const struct prom_page *p = &m->page;
	pid_t app;
	char *body;
	unsigned int i;

	metrics_start(m, "runtime", "fail", "labels");
	metrics_wait(m);
	app = child_of(m->tracer);
	assert_true(app > 0);

	assert_true(prom_get(p, "tracesmith_kernel_launches_total",
			     PROM_LABELS("kernel", RT_VEC_ADD_DEMANGLED)) == RT_ITERS);
	assert_true(prom_get(p, "tracesmith_kernel_launches_total",
			     PROM_LABELS("kernel", RT_EMPTY_DEMANGLED)) == RT_ITERS);
	for (i = 0; i < 2; i++)
		assert_true(prom_get(p, "tracesmith_kernel_launches_total",
				     PROM_LABELS("kernel", hostile[i])) == LABELS_N);
	/* control characters come out as U+FFFD; nothing a name holds becomes a metric */
	assert_true(prom_get(p, "tracesmith_kernel_launches_total",
			     PROM_LABELS("kernel", "tab\xef\xbf\xbdhere\xef\xbf\xbd"
						   "cr")) == LABELS_N);
	assert_int_equal(prom_count(p, "injected_metric"), 0);
	assert_int_equal(prom_count(p, "tracesmith_kernel_launches_total"), 5);
	assert_true(prom_get(p, "tracesmith_kernel_seconds_total",
			     PROM_LABELS("kernel", RT_VEC_ADD_DEMANGLED, "timing", "host")) > 0);

	assert_true(prom_get(p, "tracesmith_memcpy_bytes_total",
			     PROM_LABELS("direction", "HtoD")) == 2.0 * RT_BYTES);
	assert_true(prom_get(p, "tracesmith_memcpy_bytes_total",
			     PROM_LABELS("direction", "DtoD")) == RT_BYTES);
	assert_true(prom_get(p, "tracesmith_memcpy_bytes_total",
			     PROM_LABELS("direction", "DtoH")) == 2.0 * RT_BYTES);
	assert_true(prom_get(p, "tracesmith_memcpy_total", PROM_LABELS("direction", "DtoH")) == 2);

	assert_true(prom_get(p, "tracesmith_api_errors_by_code_total",
			     PROM_LABELS("code", "CUDA_ERROR_OUT_OF_MEMORY")) == 1);
	assert_true(prom_get(p, "tracesmith_api_errors_by_code_total",
			     PROM_LABELS("code", "CUDA_ERROR_NOT_FOUND")) == 1);
	assert_int_equal(prom_count(p, "tracesmith_api_errors_by_code_total"), 2);
	assert_true(prom_get(p, "tracesmith_api_calls_total",
			     PROM_LABELS("function", "cuLaunchKernel")) ==
		    2 * RT_ITERS + 3 * LABELS_N);
	assert_true(prom_get(p, "tracesmith_api_calls_total",
			     PROM_LABELS("function", "cuGraphLaunch")) == RT_GRAPH_LAUNCHES);

	/* per process: the one we started, named as its comm */
	assert_true(get_proc(p, "tracesmith_process_launches_total", app) ==
		    2 * RT_ITERS + RT_GRAPH_LAUNCHES + 3 * LABELS_N);
	assert_true(get_proc(p, "tracesmith_process_api_errors_total", app) == 2);
	assert_true(get_proc(p, "tracesmith_process_sync_wait_seconds_total", app) >=
		    FAKE_SYNC_US / 1e6);
	assert_int_equal(prom_count(p, "tracesmith_process_api_calls_total"), 1);
	/* all the GPU time there is, host-timed (no --gpu-time), is this process's work */
	assert_true(get_proc_timed(p, "tracesmith_process_gpu_seconds_total", app, "host") > 0);
	assert_true(get_proc_timed(p, "tracesmith_process_gpu_seconds_total", app, "host") ==
		    prom_get(p, "tracesmith_gpu_seconds_total", PROM_LABELS("timing", "host")));

	assert_true(prom_get(p, "tracesmith_dropped_records_total", NULL) == 0);
	assert_true(prom_get(p, "tracesmith_ringbuf_size_bytes", NULL) == 16 << 20);
	assert_true(prom_get(p, "tracesmith_records_total", NULL) > 0);

	/* GET /metrics only */
	assert_int_equal(http_request(m->port, "GET", "/", &body), 404);
	free(body);
	assert_int_equal(http_request(m->port, "GET", "/etc/passwd", &body), 404);
	free(body);
	assert_int_equal(http_request(m->port, "POST", "/metrics", &body), 405);
	free(body);
	assert_int_equal(http_request(m->port, "DELETE", "/metrics", &body), 405);
	free(body);
	metrics_end(m);
}

/*
 * --gpu-time: the process's GPU time is the stand-in CUPTI's durations of
 * the runtime workload's kernels, copies and memsets, exactly; and all the
 * GPU time there is (one process), in the same scrape. The empty graphs'
 * launches ran nothing: no host-timed GPU time.
 */
static void test_metrics_process_gpu_time(void **state)
{
	const double want =
		(RT_ITERS * (FAKE_KERNEL_NS(RT_VEC_GRID, RT_VEC_BLOCK) + FAKE_KERNEL_NS(1, 1)) +
		 5 * FAKE_COPY_NS(RT_BYTES) + FAKE_MEMSET_NS(RT_BYTES)) /
		1e9;
	const char *name = "tracesmith_process_gpu_seconds_total";
	struct metrics_run *m = &the_run;
	const struct prom_page *p = &m->page;
	int tries;
	pid_t app;

	metrics_start_as(m, false, true, "runtime", NULL, NULL);
	metrics_wait(m);
	app = child_of(m->tracer);
	assert_true(app > 0);
	/* the records come with CUPTI's periodic flush, after the calls: until they all did */
	for (tries = 0; tries < 1200 && get_proc_timed(p, name, app, "gpu") < want; tries++) {
		usleep(50000);
		metrics_scrape(m);
	}
	assert_true(get_proc_timed(p, name, app, "gpu") == want);
	assert_true(get_proc_timed(p, name, app, "gpu") ==
		    prom_get(p, "tracesmith_gpu_seconds_total", PROM_LABELS("timing", "gpu")));
	assert_true(get_proc_timed(p, name, app, "host") == -1);
	assert_int_equal(prom_count(p, name), 1);
	metrics_end(m);
}

/* More kernels than get their own series: the first ones named, "other" exact. */
static void test_metrics_kernel_bound(void **state)
{
	struct metrics_run *m = &the_run;
	char name[32];
	double other = 0;
	int i;

	metrics_start(m, "kernels", NULL, NULL);
	metrics_wait(m);
	for (i = 0; i < KERNELS_N; i++) {
		snprintf(name, sizeof(name), KERNELS_FMT, i);
		if (i < 50)
			assert_true(prom_get(&m->page, "tracesmith_kernel_launches_total",
					     PROM_LABELS("kernel", name)) == KERNELS_LAUNCHES(i));
		else
			other += KERNELS_LAUNCHES(i);
	}
	assert_true(prom_get(&m->page, "tracesmith_kernel_launches_total",
			     PROM_LABELS("kernel", "other")) == other);
	assert_int_equal(prom_count(&m->page, "tracesmith_kernel_launches_total"), 51);
	metrics_end(m);
}

/* A port in use: one line, exit 1, and nothing ran, nothing was written. */
/* --metrics with --flight-recorder: every record counted, no file until a trigger. */
static void test_metrics_flight(void **state)
{
	struct metrics_run *m = &the_run;

	unlink(path_in("fr.json"));
	metrics_start_as(m, true, false, "runtime", NULL, NULL);
	metrics_wait(m);
	assert_true(prom_get(&m->page, "tracesmith_kernel_launches_total",
			     PROM_LABELS("kernel", RT_VEC_ADD_DEMANGLED)) == RT_ITERS);
	assert_true(prom_get(&m->page, "tracesmith_memcpy_bytes_total",
			     PROM_LABELS("direction", "DtoD")) == RT_BYTES);
	metrics_end(m);
	assert_int_not_equal(access(path_in("fr.json"), F_OK), 0);
}

static void test_metrics_port_in_use(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char addr[64], ran[256], touch[300];
	char *argv[] = {
		(char *)bin,	       "--lib", (char *)fakecuda, "--metrics", addr,  "-o",
		path_in("inuse.json"), "--",	"/bin/sh",	  "-c",	       touch, NULL
	};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(a.sin_port));
	snprintf(ran, sizeof(ran), "%s", path_in("ran"));
	snprintf(touch, sizeof(touch), "touch %s", ran);
	expect_error(argv, "the port is in use");
	close(fd);
	assert_int_not_equal(access(ran, F_OK), 0);
	assert_int_not_equal(access(path_in("inuse.json"), F_OK), 0);
	assert_null(find_partial("inuse"));
}

static void test_metrics_bad_address(void **state)
{
	static const char *const bad[] = { "localhost:9400",  "127.0.0.1", "127.0.0.1:0",
					   "127.0.0.1:65536", "::1:9400",  "[::1]",
					   "[::1]9400",	      "1.2.3:80",  "127.0.0.1:9400x" };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = {
			(char *)bin, "--metrics", (char *)bad[i], "--", "/bin/true", NULL
		};

		expect_error(argv, "give IPV4:PORT or [IPV6]:PORT");
	}
}

/* A test that failed mid-run: its workload let go, its tracer stopped (by pid). */
static int teardown(void **state)
{
	char err[8192] = "";
	FILE *f;

	if (!running || running->tracer <= 0)
		return 0;
	f = fopen(running->go, "w");
	if (f)
		fclose(f);
	kill(running->tracer, SIGINT);
	collect(running->tracer, running->err_fd, err, sizeof(err));
	prom_free(&running->page);
	running = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_metrics_counts, teardown),
		cmocka_unit_test_teardown(test_metrics_kernel_bound, teardown),
		cmocka_unit_test_teardown(test_metrics_flight, teardown),
		cmocka_unit_test_teardown(test_metrics_process_gpu_time, teardown),
		cmocka_unit_test(test_metrics_port_in_use),
		cmocka_unit_test(test_metrics_bad_address),
	};

	if (!tracer_root("test_run_metrics"))
		return getenv("CI") != NULL;
	if (getenv("TS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("metrics", tests, tracer_setup, NULL);
}
