// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The flight recorder's bounded record queues (run/recq.c) and what it keeps
 * in them (run/flight.c), fed canned records: no BPF, no root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "record/decode.h"
#include "run/flight.h"
#include "run/recq.h"

#define SEC 1000000000ull

static char buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));

/* A process's name record, its command padded to size bytes or so. */
static const void *proc_rec(uint32_t pid, uint64_t ts, size_t size)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "proc-%u-%0*u", pid, (int)(size > 64 ? size - 64 : 1), pid);
	ts_meta_build(buf, TS_REC_META_PROC, pid, ts, 0, 0, 0, cmd, strlen(cmd), NULL, 0);
	return buf;
}

static int collect(void *ctx, const void *rec)
{
	uint32_t **at = ctx;
	const struct ts_rec_hdr *h = rec;

	*(*at)++ = h->pid;
	return 0;
}

static bool keep_odd(void *ctx, const void *rec)
{
	(void)ctx;
	return ((const struct ts_rec_hdr *)rec)->pid & 1;
}

static bool keep_none(void *ctx, const void *rec)
{
	(void)ctx;
	(void)rec;
	return false;
}

/* Records of many sizes over several chunks: the sweep keeps the odd ones, in order. */
static void test_sweep_keeps_order(void **state)
{
	static uint32_t pids[8192];
	uint32_t *at = pids, i, n = 4000;
	struct ts_recq q;
	size_t before;

	(void)state;
	ts_recq_init(&q, 64 * TS_RECQ_CHUNK);
	for (i = 0; i < n; i++)
		assert_int_equal(ts_recq_push(&q, proc_rec(i, i, 64 + (i * 37) % 900)), 0);
	before = ts_recq_bytes(&q);
	assert_true(before > 4 * TS_RECQ_CHUNK);
	assert_int_equal(ts_recq_sweep(&q, keep_odd, NULL), n / 2);
	assert_int_equal(q.records, n / 2);
	assert_int_equal(ts_recq_each(&q, collect, &at), 0);
	assert_int_equal(at - pids, n / 2);
	for (i = 0; i < n / 2; i++)
		assert_int_equal(pids[i], 2 * i + 1);
	/* the emptied chunks went, and the queue goes on as a queue */
	assert_true(ts_recq_bytes(&q) <= before / 2 + 2 * TS_RECQ_CHUNK);
	assert_int_equal(ts_recq_push(&q, proc_rec(n + 1, n, 100)), 0);
	ts_recq_pop(&q);
	assert_int_equal(((const struct ts_rec_hdr *)ts_recq_peek(&q))->pid, 3);
	assert_int_equal(ts_recq_sweep(&q, keep_none, NULL), n / 2);
	assert_null(ts_recq_peek(&q));
	assert_int_equal(ts_recq_push(&q, proc_rec(7, n, 100)), 0);
	assert_int_equal(((const struct ts_rec_hdr *)ts_recq_peek(&q))->pid, 7);
	ts_recq_free(&q);
}

static void feed(struct ts_flight *f, const void *rec)
{
	assert_int_equal(f->base.put(&f->base, rec), 0);
}

static void feed_exit(struct ts_flight *f, uint32_t pid, uint64_t ts)
{
	struct ts_rec_hdr h = {
		.size = sizeof(h), .kind = TS_REC_EXIT, .pid = pid, .tid = pid, .ts = ts
	};

	feed(f, &h);
}

static bool has_pid(const struct ts_recq *q, uint32_t pid)
{
	static uint32_t pids[1 << 16];
	uint32_t *at = pids;
	size_t i;

	if (q->records > sizeof(pids) / sizeof(pids[0]))
		fail_msg("too many records held: %llu", (unsigned long long)q->records);
	ts_recq_each(q, collect, &at);
	for (i = 0; i < (size_t)(at - pids); i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/*
 * A long-running recorder: processes come, name themselves and exit, many
 * more than the names' bound holds. The first process, alive all along,
 * keeps its name (the exited ones' go first), and so does one that exited
 * within the window; nothing is cut.
 */
static void test_names_of_exited_go_first(void **state)
{
	struct ts_flight_opts o = { .window_ns = 10 * SEC, .mb = TS_FLIGHT_MIN_MB };
	struct ts_flight f;
	uint64_t ts = SEC;
	uint32_t pid;

	(void)state;
	assert_int_equal(ts_flight_init(&f, &o), 0);
	feed(&f, proc_rec(1, ts, 200));
	/* ~3 chunks of names of processes that exit a second after they start */
	for (pid = 100; pid < 100 + 3000; pid++, ts += SEC) {
		feed(&f, proc_rec(pid, ts, 256));
		feed_exit(&f, pid, ts + SEC / 2);
	}
	feed(&f, proc_rec(50, ts, 200));
	feed_exit(&f, 50, ts + 1);
	assert_true(has_pid(&f.meta, 1));
	assert_true(has_pid(&f.meta, 50));
	assert_false(has_pid(&f.meta, 100));
	assert_true(has_pid(&f.meta, 100 + 2999)); /* exited within the window */
	assert_int_equal(f.meta.cut, 0);
	assert_true(f.pruned > 2000);
	assert_true(ts_recq_bytes(&f.meta) <= (size_t)o.mb << 20);
	ts_flight_free(&f);
}

/* Names of the living alone past the bound: cut oldest first, as before. */
static void test_names_of_living_cut_oldest_first(void **state)
{
	struct ts_flight_opts o = { .window_ns = 10 * SEC, .mb = TS_FLIGHT_MIN_MB };
	struct ts_flight f;
	uint32_t pid;

	(void)state;
	assert_int_equal(ts_flight_init(&f, &o), 0);
	for (pid = 100; pid < 100 + 3000; pid++)
		feed(&f, proc_rec(pid, pid * SEC, 256));
	assert_true(f.meta.cut > 0);
	assert_false(has_pid(&f.meta, 100));
	assert_true(has_pid(&f.meta, 100 + 2999));
	assert_int_equal(f.pruned, 0);
	ts_flight_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep_keeps_order),
		cmocka_unit_test(test_names_of_exited_go_first),
		cmocka_unit_test(test_names_of_living_cut_oldest_first),
	};

	return cmocka_run_group_tests_name("recq", tests, NULL, NULL);
}
