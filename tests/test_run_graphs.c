// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CUDA graphs: work on a capturing stream is recorded, not run; each graph
 * launch draws what its exec runs. A real BPF trace of the stand-in's graphs
 * workload (capture with a stream joined through an event, the node API, a
 * node's parameters changed, an exec updated, one graph launched many
 * times), with exact counts; and the memory bounds on canned records.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "correlate/corr_int.h"
#include "pipe.h"
#include "tracer_run.h"
#include "workloads.h"

static void assert_grids(const struct trace *t, const char *name, int n, long long grid)
{
	int i, seen = 0;
	json_object *e;

	for (i = 0; (e = trace_find(t, "X", name, GPU, i)); i++)
		seen += ev_arg_dim3(e, "grid_dim", grid, 1, 1);
	assert_int_equal(seen, n);
}

static void test_graphs_live(void **state)
{
	char *json = path_in("graphs.json"), *pf = path_in("graphs.pftrace"), err[4096], exp[1024];
	char *argv[] = { (char *)bin,	  "--lib", (char *)fakecuda, "-o",     json, "-o", pf, "--",
			 (char *)fakeapp, "--lib", (char *)fakecuda, "graphs", NULL };
	struct trace t;
	int i, captured = 0;
	json_object *e;

	if (geteuid())
		skip();
	assert_int_equal(run_tracer(argv, err, sizeof(err)), 0);
	assert_int_equal(trace_load(&t, json), 0);
	/* what reached the GPU: graph nodes at each launch, plus the one launch after capture */
	assert_int_equal(trace_count(&t, "X", GRAPH_A, GPU), GRAPH_A_RUN);
	assert_int_equal(trace_count(&t, "X", GRAPH_B, GPU), GRAPH_B_RUN);
	assert_int_equal(trace_count(&t, "X", GRAPH_C, GPU), GRAPH_C_RUN);
	assert_int_equal(trace_count(&t, "X", "Memset", GPU), GRAPH_LAUNCHES + 2);
	assert_int_equal(trace_count(&t, "X", "Memcpy HtoD", GPU), GRAPH_LAUNCHES + 2);
	/* the capture, launch by launch; the node API's A before and after its new params */
	assert_grids(&t, GRAPH_A, GRAPH_A_N * GRAPH_LAUNCHES, GRAPH_GRID);
	assert_grids(&t, GRAPH_A, 1, GRAPH_NODE_GRID);
	assert_grids(&t, GRAPH_A, 1, GRAPH_NODE_GRID2);
	/* captured calls: on the host, marked; never on the GPU on their own */
	for (i = 0; (e = trace_find(&t, "X", "cuLaunchKernel", HOST, i)); i++)
		captured += ev_arg_int(e, "captured") == 1;
	assert_int_equal(captured, GRAPH_A_N + 1 + GRAPH_C_N);
	assert_int_equal(trace_partial_overlaps(&t), 0);
	assert_int_equal(trace_unmatched_flows(&t), 0);
	trace_free(&t);
	snprintf(exp, sizeof(exp), "--expect '%s=%d' --expect '%s=%d' --expect '%s=%d'", GRAPH_A,
		 GRAPH_A_RUN, GRAPH_B, GRAPH_B_RUN, GRAPH_C, GRAPH_C_RUN);
	assert_int_equal(check_pftrace(pf, exp), 0);
}

/* A call with n (1 or 2) values, in its hook's order. */
static void graph_call(struct pipe *p, uint64_t ts, const char *sym, unsigned int n, uint64_t a,
		       uint64_t b)
{
	uint64_t v[2] = { a, b };

	canned_api(&p->c, 100, 100, ts, 10, 0, sym, v, n, NULL);
}

/* Past TS_GRAPH_MAX_NODES nodes, a graph keeps counting and says how many it did not keep. */
static void test_graph_node_bound(void **state)
{
	static const uint64_t stream = 0x5000, graph = 0x6000, exec = 0x7000;
	const unsigned int extra = 10;
	char path[] = "/tmp/ts-graphs-XXXXXX.json";
	uint64_t v[9] = { 0xf00, 1, 1, 1, 32, 1, 1, 0, stream };
	struct pipe p;
	json_object *e;
	unsigned int i;
	int fd = mkstemps(path, 5);

	assert_true(fd >= 0);
	close(fd);
	pipe_open(&p, path, 0);
	graph_call(&p, 1000, "cuStreamBeginCapture_v2", 1, stream, 0);
	for (i = 0; i < TS_GRAPH_MAX_NODES + extra; i++)
		canned_api(&p.c, 100, 100, 2000 + i * 10, 5, 0, "cuLaunchKernel", v, 9, NULL);
	graph_call(&p, 900000, "cuStreamEndCapture", 2, stream, graph);
	graph_call(&p, 900100, "cuGraphInstantiateWithFlags", 2, exec, graph);
	graph_call(&p, 900200, "cuGraphLaunch", 2, exec, stream);
	pipe_close(&p);
	e = trace_find(&p.t, "X", "Graph 0x7000", GPU, 0);
	assert_non_null(e);
	assert_int_equal(ev_arg_int(e, "nodes"), TS_GRAPH_MAX_NODES);
	assert_int_equal(ev_arg_int(e, "nodes_not_kept"), extra);
	assert_int_equal(trace_count(&p.t, "X", "kernel@0xf00", GPU), TS_GRAPH_MAX_NODES);
	pipe_free(&p);
	unlink(path);
}

/*
 * The memory budget: TS_CAP_GRAPH_NODES nodes for all graphs and execs
 * together. Captures fill it part way, their execs' copies the rest: the
 * execs past it keep no node, count theirs, and the trace says how many.
 */
static void test_graph_budget(void **state)
{
	static const uint64_t stream = 0x5000;
	const unsigned int ngraphs = 20, fit = TS_CAP_GRAPH_NODES / TS_GRAPH_MAX_NODES - ngraphs;
	char path[] = "/tmp/ts-graphs-XXXXXX.json";
	uint64_t v[9] = { 0xf00, 1, 1, 1, 32, 1, 1, 0, stream }, ts = 1000;
	json_object *e, *cut;
	char name[64];
	struct pipe p;
	unsigned int g, i;
	int fd = mkstemps(path, 5);

	assert_true(fd >= 0);
	close(fd);
	pipe_open(&p, path, 0);
	for (g = 0; g < ngraphs; g++) {
		graph_call(&p, ts += 10, "cuStreamBeginCapture_v2", 1, stream, 0);
		for (i = 0; i < TS_GRAPH_MAX_NODES; i++)
			canned_api(&p.c, 100, 100, ts += 10, 5, 0, "cuLaunchKernel", v, 9, NULL);
		graph_call(&p, ts += 10, "cuStreamEndCapture", 2, stream, 0x6000 + g);
	}
	for (g = 0; g < ngraphs; g++)
		graph_call(&p, ts += 10, "cuGraphInstantiateWithFlags", 2, 0x7000 + g, 0x6000 + g);
	graph_call(&p, ts += 10, "cuGraphLaunch", 2, 0x7000 + fit - 1, stream);
	graph_call(&p, ts += 10, "cuGraphLaunch", 2, 0x7000 + fit, stream);
	pipe_close(&p);
	/* the last exec that fits keeps every node; the next keeps none, and says so */
	snprintf(name, sizeof(name), "Graph 0x%x", 0x7000 + fit - 1);
	e = trace_find(&p.t, "X", name, GPU, 0);
	assert_non_null(e);
	assert_int_equal(ev_arg_int(e, "nodes"), TS_GRAPH_MAX_NODES);
	snprintf(name, sizeof(name), "Graph 0x%x", 0x7000 + fit);
	e = trace_find(&p.t, "X", name, GPU, 0);
	assert_non_null(e);
	assert_int_equal(ev_arg_int(e, "nodes_not_kept"), TS_GRAPH_MAX_NODES);
	assert_int_equal(trace_count(&p.t, "X", "kernel@0xf00", GPU), TS_GRAPH_MAX_NODES);
	cut = trace_other(&p.t, "cut_by_memory_budget");
	assert_non_null(cut);
	assert_int_equal(json_object_get_int64(json_object_object_get(cut, "graph_nodes")),
			 (uint64_t)(ngraphs - fit) * TS_GRAPH_MAX_NODES);
	pipe_free(&p);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_graph_node_bound),
		cmocka_unit_test(test_graph_budget),
		cmocka_unit_test(test_graphs_live),
	};

	if (geteuid() != 0 && getenv("CI")) {
		fprintf(stderr, "test_run_graphs: CI must run these as root\n");
		return 1;
	}
	if (getenv("TS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TS_TEST_FILTER"));
	return cmocka_run_group_tests_name("graphs", tests, tracer_setup, NULL);
}
