// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The --metrics writer and Prometheus' text format, without BPF: label values
 * escaped, cut and made valid UTF-8; every page strictly parseable; the
 * bounds on kernels and processes, with "other" exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "encode/utf8.h"
#include "probe/hooks.h"
#include "prom_parse.h"
#include "write/metrics_writer.h"
#include "write/prom_text.h"
#include "hostile.h"

static void label_is(const char *in, size_t n, const char *want)
{
	char out[TS_PROM_LABEL_MAX];
	size_t len = ts_prom_label(in, n, out);

	assert_int_equal(len, strlen(out));
	assert_string_equal(out, want);
}

static void test_label_escape(void **state)
{
	label_is("plain", 5, "plain");
	label_is("a\"b\\c\nd", 7, "a\\\"b\\\\c\\nd");
	/* the other control characters, and bytes that are not UTF-8, as U+FFFD */
	label_is("t\tr\r\x7f", 5, "t\xef\xbf\xbdr\xef\xbf\xbd\xef\xbf\xbd");
	label_is(HOSTILE_STRAY, strlen(HOSTILE_STRAY), "bad_\xef\xbf\xbd_stray");
	label_is(HOSTILE_CUT, strlen(HOSTILE_CUT), "bad_cut_\xef\xbf\xbd\xef\xbf\xbd");
	label_is(HOSTILE_VALID, strlen(HOSTILE_VALID), HOSTILE_VALID);
	label_is("nul\0x", 5, "nul\xef\xbf\xbdx");
}

static void test_label_bound(void **state)
{
	char in[1000], out[TS_PROM_LABEL_MAX], want[TS_PROM_LABEL_IN + 4];
	size_t len;

	memset(in, 'k', sizeof(in));
	memset(want, 'k', TS_PROM_LABEL_IN);
	strcpy(want + TS_PROM_LABEL_IN, "...");
	label_is(in, sizeof(in), want);
	want[TS_PROM_LABEL_IN] = '\0';
	label_is(in, TS_PROM_LABEL_IN, want); /* exactly the bound: not cut */
	/* a character across the bound is left out whole, never cut in half */
	memcpy(in + TS_PROM_LABEL_IN - 1, "\xc3\xa9", 2);
	len = ts_prom_label(in, sizeof(in), out);
	assert_true(ts_utf8_valid(out, len));
	assert_int_equal(len, TS_PROM_LABEL_IN - 1 + 3);
	/* the worst case: every byte a U+FFFD, and every one escaped, fits */
	memset(in, 0xff, sizeof(in));
	len = ts_prom_label(in, sizeof(in), out);
	assert_int_equal(len, 3 * TS_PROM_LABEL_IN + 3);
	memset(in, '"', sizeof(in));
	assert_int_equal(ts_prom_label(in, sizeof(in), out), 2 * TS_PROM_LABEL_IN + 3);
}

/* ---- the writer, fed slices as the correlator would ---------------------- */

static void host(struct ts_writer *w, uint32_t pid, const char *api, int64_t res, uint8_t kind,
		 uint64_t dur)
{
	struct ts_slice s = { .pid = pid, .tid = pid, .dur = dur, .name = api, .cat = "launch" };

	s.name_len = strlen(api);
	const struct ts_hook *h = ts_hook_by_name(api);
	char buf[48];

	s.api = api;
	s.kind = kind;
	if (strcmp(api, "cuLaunchKernel"))
		s.cat = "sync";
	/* the result as the correlator gives it: failed or not by its library, named by it */
	ts_arg_i64(&s, "result", res);
	if (res) {
		const char *n = ts_hook_result_name(h, (int)res, buf, sizeof(buf));

		ts_arg_str(&s, "result_name", n, strlen(n));
	}
	if (ts_hook_failed(h, (int)res))
		s.kind |= TS_SK_FAILED;
	w->ops->slice(w, &s);
}

static void kernel(struct ts_writer *w, const char *name, size_t len, const char *timing,
		   uint64_t dur)
{
	struct ts_slice s = { .pid = TS_GPU_PID_BASE, .dur = dur, .name = name, .name_len = len };

	s.cat = "kernel";
	ts_arg_str(&s, "timing", timing, strlen(timing));
	w->ops->slice(w, &s);
}

static void copy(struct ts_writer *w, const char *dir, uint64_t bytes)
{
	struct ts_slice s = {
		.pid = TS_GPU_PID_BASE, .dur = 10, .name = "Memcpy", .cat = "memcpy"
	};

	s.name_len = 6;
	ts_arg_str(&s, "timing", "host", 4);
	ts_arg_str(&s, "direction", dir, strlen(dir));
	ts_arg_u64(&s, "size_bytes", bytes);
	w->ops->slice(w, &s);
}

/* GPU work of cat (kernel, memcpy, memset, graph) that owner submitted, as the correlator gives it. */
static void gpu_op(struct ts_writer *w, uint32_t owner, const char *cat, const char *timing,
		   uint64_t dur)
{
	struct ts_slice s = { .pid = TS_GPU_PID_BASE + 1, .dur = dur, .name = cat, .cat = cat };

	s.name_len = strlen(cat);
	s.owner_pid = owner;
	ts_arg_str(&s, "timing", timing, strlen(timing));
	w->ops->slice(w, &s);
}

/* Render and parse strictly: a page that does not parse fails the test. */
static void page_of(struct ts_writer *w, struct prom_page *p)
{
	size_t len;
	char *text, *grown;

	assert_int_equal(ts_metrics_render(w, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	grown = realloc(text, len + 1);
	assert_non_null(grown);
	text = grown;
	text[len] = '\0';
	if (prom_parse(text, p))
		fail_msg("not Prometheus text: %s", p->err);
	free(text);
}

/*
 * Failures by library: NCCL's codes by NCCL's names; the "not yet" of each
 * library (ncclInProgress, CUDA_ERROR_NOT_READY) is no failure.
 */
static void test_failed_by_library(void **state)
{
	struct ts_writer *w;
	struct prom_page p;

	(void)state;
	assert_int_equal(ts_metrics_writer_open(&w), 0);
	w->ops->process(w, 42, "ncclapp", TS_TRACK_HOST);
	host(w, 42, "ncclGroupEnd", 5, 0, 10);
	host(w, 42, "ncclGroupEnd", 7, 0, 10);
	host(w, 42, "cuCtxSynchronize", 600, TS_SK_SYNCHRONIZE, 10);
	host(w, 42, "cuCtxSynchronize", 2, TS_SK_SYNCHRONIZE, 10);
	page_of(w, &p);
	assert_true(prom_get(&p, "tracesmith_process_api_calls_total",
			     PROM_LABELS("pid", "42", "comm", "ncclapp")) == 4);
	assert_true(prom_get(&p, "tracesmith_process_api_errors_total",
			     PROM_LABELS("pid", "42", "comm", "ncclapp")) == 2);
	assert_true(prom_get(&p, "tracesmith_api_errors_by_code_total",
			     PROM_LABELS("code", "ncclInvalidUsage")) == 1);
	assert_true(prom_get(&p, "tracesmith_api_errors_by_code_total",
			     PROM_LABELS("code", "CUDA_ERROR_OUT_OF_MEMORY")) == 1);
	assert_int_equal(prom_count(&p, "tracesmith_api_errors_by_code_total"), 2);
	prom_free(&p);
	ts_writer_destroy(w);
}

static void test_counts(void **state)
{
	struct ts_writer *w;
	struct prom_page p;
	char bomb[HOSTILE_BOMB_LEN + 1];
	int i;

	assert_int_equal(ts_metrics_writer_open(&w), 0);
	w->ops->process(w, 42, "/usr/bin/python3.11-with-a-long-name train.py --x", TS_TRACK_HOST);
	w->ops->process(w, TS_GPU_PID_BASE, "GPU 0", TS_TRACK_GPU);
	for (i = 0; i < 7; i++)
		host(w, 42, "cuLaunchKernel", 0, 0, 1000);
	host(w, 42, "cuLaunchKernel", 1, 0, 1000); /* CUDA_ERROR_INVALID_VALUE */
	host(w, 42, "cuCtxSynchronize", 0, TS_SK_SYNCHRONIZE, 2500000000ull);
	host(w, 42, "cuCtxSynchronize", 999999, TS_SK_SYNCHRONIZE, 1); /* a code no table has */
	hostile_bomb(bomb);
	kernel(w, "k\"} 1\nfake 2", 12, "host", 1500);
	kernel(w, "k\"} 1\nfake 2", 12, "gpu", 500);
	kernel(w, bomb, strlen(bomb), "gpu", 1);
	copy(w, "HtoD", 4096);
	copy(w, "HtoD", 100);
	copy(w, "DtoH", 7);
	ts_metrics_ring(w, 1234, 5, 1 << 20, 4 << 20);
	page_of(w, &p);

	assert_true(prom_get(&p, "tracesmith_process_api_calls_total",
			     PROM_LABELS("pid", "42", "comm", "python3.11-with")) == 10);
	assert_true(prom_get(&p, "tracesmith_process_launches_total",
			     PROM_LABELS("pid", "42", "comm", "python3.11-with")) == 7);
	assert_true(prom_get(&p, "tracesmith_process_api_errors_total",
			     PROM_LABELS("pid", "42", "comm", "python3.11-with")) == 2);
	assert_true(prom_get(&p, "tracesmith_process_sync_wait_seconds_total",
			     PROM_LABELS("pid", "42", "comm", "python3.11-with")) == 2.500000001);
	assert_true(prom_get(&p, "tracesmith_api_calls_total",
			     PROM_LABELS("function", "cuLaunchKernel")) == 8);
	assert_true(prom_get(&p, "tracesmith_api_errors_by_code_total",
			     PROM_LABELS("code", "CUDA_ERROR_INVALID_VALUE")) == 1);
	assert_true(prom_get(&p, "tracesmith_api_errors_by_code_total",
			     PROM_LABELS("code", "CUresult 999999")) == 1);
	/* the hostile name comes back whole once unescaped: nothing injected */
	assert_true(prom_get(&p, "tracesmith_kernel_launches_total",
			     PROM_LABELS("kernel", "k\"} 1\nfake 2")) == 2);
	assert_true(prom_get(&p, "tracesmith_kernel_seconds_total",
			     PROM_LABELS("kernel", "k\"} 1\nfake 2", "timing", "gpu")) == 500e-9);
	assert_int_equal(prom_count(&p, "fake"), 0);
	assert_true(prom_get(&p, "tracesmith_gpu_seconds_total", PROM_LABELS("timing", "host")) ==
		    1500e-9 + 30e-9);
	assert_true(prom_get(&p, "tracesmith_memcpy_bytes_total",
			     PROM_LABELS("direction", "HtoD")) == 4196);
	assert_true(prom_get(&p, "tracesmith_memcpy_total", PROM_LABELS("direction", "DtoH")) == 1);
	assert_true(prom_get(&p, "tracesmith_records_total", NULL) == 1234);
	assert_true(prom_get(&p, "tracesmith_dropped_records_total", NULL) == 5);
	assert_true(prom_get(&p, "tracesmith_ringbuf_fill_ratio", NULL) == 0.25);
	/* the bomb: cut, so its label stays small */
	assert_int_equal(prom_count(&p, "tracesmith_kernel_launches_total"), 2);
	for (i = 0; i < (int)p.n; i++)
		if (p.s[i].nlabels && !strcmp(p.s[i].key[0], "kernel"))
			assert_true(strlen(p.s[i].val[0]) <= TS_PROM_LABEL_IN + 3);
	prom_free(&p);
	ts_writer_destroy(w);
}

static double proc_gpu(const struct prom_page *p, const char *pid, const char *comm,
		       const char *timing)
{
	return prom_get(p, "tracesmith_process_gpu_seconds_total",
			PROM_LABELS("pid", pid, "comm", comm, "timing", timing));
}

/*
 * GPU time by the process that submitted it: two processes' kernels, copies
 * and memsets, each timing its own series, exact; a graph's own slice not
 * counted (its nodes are); work of no known process in the total only; of a
 * process without a row, in "other".
 */
static void test_process_gpu_time(void **state)
{
	struct ts_metrics_view *v = calloc(1, sizeof(*v));
	struct ts_writer *w;
	struct prom_page p;

	assert_non_null(v);
	assert_int_equal(ts_metrics_writer_open(&w), 0);
	w->ops->process(w, 10, "/bin/trainer", TS_TRACK_HOST);
	w->ops->process(w, 11, "/bin/eval --x", TS_TRACK_HOST);
	host(w, 10, "cuLaunchKernel", 0, 0, 1);
	host(w, 11, "cuLaunchKernel", 0, 0, 1);
	gpu_op(w, 10, "kernel", "gpu", 1000000001);
	gpu_op(w, 10, "memcpy", "gpu", 2000);
	gpu_op(w, 10, "memset", "gpu", 30);
	gpu_op(w, 10, "kernel", "host", 400);
	gpu_op(w, 10, "graph", "host", 5000000); /* spans its nodes */
	gpu_op(w, 11, "kernel", "host", 700);
	gpu_op(w, 11, "memcpy", "host", 50);
	gpu_op(w, 0, "kernel", "host", 9);
	gpu_op(w, 999, "kernel", "gpu", 3);
	page_of(w, &p);

	assert_true(proc_gpu(&p, "10", "trainer", "gpu") == 1.000002031);
	assert_true(proc_gpu(&p, "10", "trainer", "host") == 400e-9);
	assert_true(proc_gpu(&p, "11", "eval", "host") == 750e-9);
	assert_true(proc_gpu(&p, "11", "eval", "gpu") == -1); /* none measured: no series */
	assert_true(proc_gpu(&p, "other", "other", "gpu") == 3e-9);
	assert_int_equal(prom_count(&p, "tracesmith_process_gpu_seconds_total"), 4);
	assert_true(prom_get(&p, "tracesmith_gpu_seconds_total", PROM_LABELS("timing", "gpu")) ==
		    1.000002034);
	assert_true(prom_get(&p, "tracesmith_gpu_seconds_total", PROM_LABELS("timing", "host")) ==
		    1159e-9);
	prom_free(&p);

	/* top's view: each process's GPU time, all timings, and whether some was measured */
	ts_metrics_view(w, v);
	assert_int_equal(v->nprocs, 3);
	assert_int_equal(v->procs[0].pid, 10);
	assert_int_equal(v->procs[0].gpu_ops, 4);
	assert_int_equal(v->procs[0].gpu_ns, 1000002431);
	assert_true(v->procs[0].gpu);
	assert_int_equal(v->procs[1].pid, 11);
	assert_int_equal(v->procs[1].gpu_ops, 2);
	assert_int_equal(v->procs[1].gpu_ns, 750);
	assert_false(v->procs[1].gpu);
	assert_true(v->procs[2].other);
	assert_int_equal(v->procs[2].gpu_ns, 3);
	ts_writer_destroy(w);
	free(v);
}

/* An NCCL call of a communicator: comm_rank and comm_nranks, as nccl_track.c gives them. */
static void nccl_call(struct ts_writer *w, uint32_t pid, int64_t rank, int64_t nranks)
{
	struct ts_slice s = { .pid = pid, .tid = pid, .dur = 5, .name = "ncclAllReduce" };

	s.name_len = strlen(s.name);
	s.api = s.name;
	s.cat = "nccl";
	ts_arg_i64(&s, "result", 0);
	ts_arg_i64(&s, "comm_rank", rank);
	ts_arg_i64(&s, "comm_nranks", nranks);
	w->ops->slice(w, &s);
}

/* top's view: the same counts, the slowest synchronizations in order, ranks. */
static void test_view(void **state)
{
	static const uint64_t durs[] = { 30, 10, 70, 50, 20, 60, 40, 5 };
	struct ts_metrics_view *v = calloc(1, sizeof(*v));
	struct ts_writer *w;
	unsigned int i;

	assert_non_null(v);
	assert_int_equal(ts_metrics_writer_open(&w), 0);
	w->ops->process(w, 7, "/bin/trainer --rank 1", TS_TRACK_HOST);
	w->ops->process(w, 8, "/bin/other", TS_TRACK_HOST);
	for (i = 0; i < sizeof(durs) / sizeof(durs[0]); i++)
		host(w, 7 + i % 2, "cuStreamSynchronize", 0, TS_SK_SYNCHRONIZE, durs[i]);
	host(w, 7, "cuLaunchKernel", 0, 0, 1);
	host(w, 7, "cuLaunchKernel", 1, 0, 1);
	/* the widest communicator names the rank, whatever the order */
	nccl_call(w, 7, 0, 2);
	nccl_call(w, 7, 3, 8);
	nccl_call(w, 7, 1, 4);
	kernel(w, "k1", 2, "host", 300);
	kernel(w, "k2", 2, "gpu", 100);
	kernel(w, "k2", 2, "host", 100);
	ts_metrics_ring(w, 99, 3, 10, 100);
	ts_metrics_view(w, v);

	assert_int_equal(v->nprocs, 2);
	assert_int_equal(v->procs[0].pid, 7);
	assert_string_equal(v->procs[0].comm, "trainer");
	assert_int_equal(v->procs[0].rank, 3);
	assert_int_equal(v->procs[0].nranks, 8);
	assert_int_equal(v->procs[0].calls, 4 + 2 + 3);
	assert_int_equal(v->procs[0].launches, 1);
	assert_int_equal(v->procs[0].errors, 1);
	assert_int_equal(v->procs[0].sync_ns, 30 + 70 + 20 + 40);
	assert_int_equal(v->procs[1].nranks, 0);
	assert_int_equal(v->calls, 8 + 2 + 3);
	assert_int_equal(v->errors, 1);
	/* the TS_METRICS_SLOW longest, longest first */
	assert_int_equal(v->nslow, TS_METRICS_SLOW);
	for (i = 0; i < TS_METRICS_SLOW; i++) {
		assert_int_equal(v->slowest[i].dur, 70 - 10 * i);
		assert_string_equal(v->slowest[i].call, "cuStreamSynchronize");
	}
	assert_int_equal(v->slowest[0].pid, 7);
	assert_int_equal(v->slowest[1].pid, 8);
	assert_int_equal(v->nkernels, 2);
	assert_string_equal(v->kernels[0].name, "k1");
	assert_int_equal(v->kernels[0].n, 1);
	assert_false(v->kernels[0].gpu);
	assert_int_equal(v->kernels[1].n, 2);
	assert_int_equal(v->kernels[1].ns, 200);
	assert_true(v->kernels[1].gpu);
	assert_int_equal(v->records, 99);
	assert_int_equal(v->drops, 3);
	ts_writer_destroy(w);
	free(v);
}

/* More kernels than rows: the first ones named, the rest in "other", exactly. */
static void test_kernel_bound(void **state)
{
	const int n = TS_METRICS_KERNELS + 25;
	struct ts_writer *w;
	struct prom_page p;
	char name[32], big[300];
	int i, k, other = 0;

	assert_int_equal(ts_metrics_writer_open(&w), 0);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "kern_%d", i);
		for (k = 0; k <= i % 4; k++)
			kernel(w, name, strlen(name), "host", 1);
		if (i >= TS_METRICS_KERNELS)
			other += i % 4 + 1;
	}
	/* a named kernel again after the table filled: still its own row */
	kernel(w, "kern_0", 6, "host", 1);
	page_of(w, &p);
	assert_int_equal(prom_count(&p, "tracesmith_kernel_launches_total"),
			 TS_METRICS_KERNELS + 1);
	assert_true(prom_get(&p, "tracesmith_kernel_launches_total",
			     PROM_LABELS("kernel", "kern_0")) == 2);
	assert_true(prom_get(&p, "tracesmith_kernel_launches_total",
			     PROM_LABELS("kernel", "kern_49")) == 49 % 4 + 1);
	assert_true(prom_get(&p, "tracesmith_kernel_launches_total",
			     PROM_LABELS("kernel", "other")) == other);
	prom_free(&p);
	ts_writer_destroy(w);

	/* two long names cut to the same label are one series, never two */
	assert_int_equal(ts_metrics_writer_open(&w), 0);
	memset(big, 'x', sizeof(big));
	kernel(w, big, sizeof(big), "host", 1);
	big[sizeof(big) - 1] = 'y';
	kernel(w, big, sizeof(big), "host", 1);
	page_of(w, &p);
	assert_int_equal(prom_count(&p, "tracesmith_kernel_launches_total"), 1);
	prom_free(&p);
	ts_writer_destroy(w);
}

/* More processes than rows: exited ones make room; live ones past the bound are "other". */
static void test_process_bound(void **state)
{
	struct ts_writer *w;
	struct prom_page p;
	char pid[16];
	uint32_t i;

	assert_int_equal(ts_metrics_writer_open(&w), 0);
	for (i = 1; i <= TS_METRICS_PROCS; i++) {
		w->ops->process(w, i, "app", TS_TRACK_HOST);
		host(w, i, "cuInit", 0, 0, 1);
	}
	/* full: one more live process goes to "other" */
	host(w, 1000, "cuInit", 0, 0, 1);
	host(w, 1000, "cuInit", 0, 0, 1);
	gpu_op(w, 1, "kernel", "host", 77);
	/* pids 1 and 2 exit: the next two take their rows, their counts go to "other" */
	w->ops->process_exit(w, 2);
	w->ops->process_exit(w, 1);
	host(w, 2001, "cuInit", 0, 0, 1);
	host(w, 2002, "cuInit", 0, 0, 1);
	/* an exited pid that comes back is a new process */
	w->ops->process_exit(w, 3);
	w->ops->process(w, 3, "again", TS_TRACK_HOST);
	host(w, 3, "cuInit", 0, 0, 1);
	page_of(w, &p);
	assert_int_equal(prom_count(&p, "tracesmith_process_api_calls_total"),
			 TS_METRICS_PROCS + 1);
	assert_true(prom_get(&p, "tracesmith_process_api_calls_total",
			     PROM_LABELS("pid", "other", "comm", "other")) == 2 + 2 + 1);
	assert_true(prom_get(&p, "tracesmith_process_api_calls_total",
			     PROM_LABELS("pid", "1", "comm", "app")) == -1);
	assert_true(proc_gpu(&p, "other", "other", "host") == 77e-9);
	assert_int_equal(prom_count(&p, "tracesmith_process_gpu_seconds_total"), 1);
	assert_true(prom_get(&p, "tracesmith_process_api_calls_total",
			     PROM_LABELS("pid", "2001", "comm", "")) == 1);
	assert_true(prom_get(&p, "tracesmith_process_api_calls_total",
			     PROM_LABELS("pid", "3", "comm", "again")) == 1);
	snprintf(pid, sizeof(pid), "%d", TS_METRICS_PROCS);
	assert_true(prom_get(&p, "tracesmith_process_api_calls_total",
			     PROM_LABELS("pid", pid, "comm", "app")) == 1);
	prom_free(&p);
	ts_writer_destroy(w);
}

/* Every table full of the longest labels: the page still fits its bound. */
static void test_page_bound(void **state)
{
	struct ts_writer *w;
	struct prom_page p;
	char name[TS_PROM_LABEL_IN + 16];
	uint32_t i;

	assert_int_equal(ts_metrics_writer_open(&w), 0);
	for (i = 0; i < TS_METRICS_KERNELS + 10; i++) {
		memset(name, '"', sizeof(name));
		snprintf(name, 12, "%011u", i);
		name[11] = '"';
		kernel(w, name, sizeof(name), "host", 1);
		kernel(w, name, sizeof(name), "gpu", 1);
	}
	for (i = 0; i < TS_METRICS_FUNCTIONS + 10; i++) {
		memset(name, '\\', sizeof(name));
		snprintf(name, 12, "%011u", i);
		name[11] = '\\';
		host(w, 7, "x", 0, 0, 1);
		{
			struct ts_slice s = { .pid = 7, .tid = 7, .name = name, .cat = "init" };

			s.name_len = sizeof(name);
			w->ops->slice(w, &s);
		}
	}
	for (i = 0; i < TS_METRICS_CODES + 10; i++)
		host(w, 7, "y", 1000 + i, 0, 1);
	page_of(w, &p);
	assert_int_equal(prom_count(&p, "tracesmith_api_calls_total"), TS_METRICS_FUNCTIONS + 1);
	assert_int_equal(prom_count(&p, "tracesmith_api_errors_by_code_total"),
			 TS_METRICS_CODES + 1);
	prom_free(&p);
	ts_writer_destroy(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escape),	 cmocka_unit_test(test_label_bound),
		cmocka_unit_test(test_counts),		 cmocka_unit_test(test_failed_by_library),
		cmocka_unit_test(test_kernel_bound),	 cmocka_unit_test(test_process_bound),
		cmocka_unit_test(test_page_bound),	 cmocka_unit_test(test_view),
		cmocka_unit_test(test_process_gpu_time),
	};

	return cmocka_run_group_tests_name("write_metrics", tests, NULL, NULL);
}
