// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CUDA graphs. A stream being captured records work instead of running it:
 * its launches, copies and memsets go into the capture (and so does the work
 * of a stream that joins it by waiting on an event recorded in it), and end
 * up in the graph cuStreamEndCapture returns. The node API builds graphs one
 * node at a time. Instantiation copies a graph into an exec, which updates
 * change; each cuGraphLaunch of the exec then draws what it runs.
 */
#include <stdlib.h>
#include <string.h>
#include "correlate/corr_int.h"

static void graph_free(struct ts_corr *c, struct ts_graph *g)
{
	if (g) {
		c->graph_nodes -= g->n;
		free(g->nodes);
	}
	free(g);
}

/* Take a place for a graph of pid: NULL (counted) once the process has too many. */
static struct ts_graph *graph_new(struct ts_corr *c, uint32_t pid)
{
	struct ts_proc *p = ts_proc_find_or_announce(c, pid);
	struct ts_graph *g;

	if (!p || p->ngraphs >= TS_GRAPH_MAX_PER_PROC) {
		c->stats.graphs_cut++;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (g)
		p->ngraphs++;
	return g;
}

static struct ts_graph *graph_copy(struct ts_corr *c, uint32_t pid, const struct ts_graph *from)
{
	struct ts_graph *g = graph_new(c, pid);
	uint32_t keep;

	if (!g || !from)
		return g;
	/* the copy holds what the memory budget has room for; the rest is counted */
	keep = c->graph_nodes + from->n > TS_CAP_GRAPH_NODES ? TS_CAP_GRAPH_NODES - c->graph_nodes
							     : from->n;
	g->nodes = malloc((size_t)keep * sizeof(*g->nodes));
	if (keep && !g->nodes) {
		free(g);
		return NULL;
	}
	if (keep)
		memcpy(g->nodes, from->nodes, (size_t)keep * sizeof(*g->nodes));
	g->n = g->cap = keep;
	c->graph_nodes += keep;
	g->cut = from->cut + (from->n - keep);
	ts_cut_n(&c->cuts, TS_CUT_GRAPH_NODES, from->n - keep);
	g->partial = from->partial;
	return g;
}

/* Drop (pid, key) from map m, whose values are graphs. */
static void graph_drop(struct ts_corr *c, struct ts_hmap *m, uint32_t pid, uint64_t key)
{
	struct ts_proc *p = ts_proc_find(c, pid);
	uint64_t v;

	if (!ts_hmap_del(m, pid, key, &v))
		return;
	graph_free(c, (struct ts_graph *)(uintptr_t)v);
	if (p && p->ngraphs)
		p->ngraphs--;
}

/* Keep g at (pid, key) of m, in place of what was there. */
static void graph_put(struct ts_corr *c, struct ts_hmap *m, uint32_t pid, uint64_t key,
		      struct ts_graph *g)
{
	graph_drop(c, m, pid, key);
	if (g && ts_hmap_put(m, pid, key, (uintptr_t)g))
		graph_free(c, g);
}

static void add_node(struct ts_corr *c, struct ts_graph *g, uint64_t handle,
		     const struct ts_gpu_op *op)
{
	struct ts_gnode *n;

	if (g->n == TS_GRAPH_MAX_NODES) {
		g->cut++;
		return;
	}
	if (c->graph_nodes >= TS_CAP_GRAPH_NODES) {
		g->cut++;
		ts_cut(&c->cuts, TS_CUT_GRAPH_NODES);
		return;
	}
	if (g->n == g->cap) {
		uint32_t cap = g->cap ? g->cap * 2 : 16;

		n = realloc(g->nodes, cap * sizeof(*n));
		if (!n) {
			g->cut++;
			return;
		}
		g->nodes = n;
		g->cap = cap;
	}
	g->nodes[g->n++] = (struct ts_gnode){ handle, *op };
	c->graph_nodes++;
}

uint64_t ts_graph_capture(struct ts_corr *c, const struct ts_call *call)
{
	uint32_t pid = call->rec->hdr.pid;
	struct ts_gpu_op op;
	struct ts_graph *g;
	uint64_t stream, *id;

	if (!c->capturing.count || !ts_gpu_op_submits(call->hook->sem) ||
	    !ts_gpu_op_of_call(call, &op, &stream))
		return 0;
	id = ts_hmap_get(&c->capturing, pid, stream);
	if (!id)
		return 0;
	g = ts_hmap_get_ptr(&c->captures, pid, *id);
	if (g)
		add_node(c, g, 0, &op);
	return *id;
}

const struct ts_graph *ts_graph_exec(struct ts_corr *c, uint32_t pid, uint64_t exec)
{
	return ts_hmap_get_ptr(&c->execs, pid, exec);
}

static void capture_begin(struct ts_corr *c, const struct ts_call *call, struct ts_slice *host)
{
	uint32_t pid = call->rec->hdr.pid;
	uint64_t stream = 0, graph = 0, id = ++c->next_capture;
	struct ts_graph *g;

	ts_call_val(call, ROLE_STREAM, &stream);
	/* capture into an existing graph (cuStreamBeginCaptureToGraph) adds to it */
	if (ts_call_val(call, ROLE_GRAPH, &graph) && graph)
		g = graph_copy(c, pid, ts_hmap_get_ptr(&c->graphs, pid, graph));
	else
		g = graph_new(c, pid);
	graph_put(c, &c->captures, pid, id, g);
	ts_hmap_put(&c->capturing, pid, stream, id);
	ts_arg_u64(host, "capture_id", id);
}

/* Every stream of pid in capture id leaves it. */
static void capture_release(struct ts_corr *c, uint32_t pid, uint64_t id)
{
	uint64_t streams[64];
	unsigned int n = 0, i;
	struct ts_hent *e;

	do {
		n = 0;
		ts_hmap_for_each (&c->capturing, e)
			if (e->key.a == pid && e->val == id && n < 64)
				streams[n++] = e->key.b;
		for (i = 0; i < n; i++)
			ts_hmap_del(&c->capturing, pid, streams[i], NULL);
	} while (n == 64);
}

static void capture_end(struct ts_corr *c, const struct ts_call *call, struct ts_slice *host)
{
	uint32_t pid = call->rec->hdr.pid;
	uint64_t stream = 0, graph = 0, *id, v;

	ts_call_val(call, ROLE_STREAM, &stream);
	id = ts_hmap_get(&c->capturing, pid, stream);
	if (!id)
		return; /* begun before the trace: its content was not seen */
	v = *id;
	ts_arg_u64(host, "capture_id", v);
	capture_release(c, pid, v);
	if (call->rec->ret || !ts_call_val(call, ROLE_OUT_GRAPH, &graph)) {
		graph_drop(c, &c->captures, pid, v); /* a failed capture makes no graph */
		return;
	}
	/* the capture becomes the graph */
	if (ts_hmap_del(&c->captures, pid, v, &v))
		graph_put(c, &c->graphs, pid, graph, (struct ts_graph *)(uintptr_t)v);
}

/* An event recorded in a capture makes a stream that waits on it join the capture. */
static void event_call(struct ts_corr *c, const struct ts_call *call)
{
	uint32_t pid = call->rec->hdr.pid;
	uint64_t stream = 0, event = 0, *id;

	ts_call_val(call, ROLE_STREAM, &stream);
	ts_call_val(call, ROLE_EVENT, &event);
	if (call->hook->sem == TS_SEM_EVENT_RECORD) {
		id = ts_hmap_get(&c->capturing, pid, stream);
		if (id)
			ts_hmap_put(&c->events, pid, event, *id);
		else
			ts_hmap_del(&c->events, pid, event, NULL);
		return;
	}
	id = ts_hmap_get(&c->events, pid, event);
	if (id && ts_hmap_get_ptr(&c->captures, pid, *id) &&
	    !ts_hmap_get(&c->capturing, pid, stream))
		ts_hmap_put(&c->capturing, pid, stream, *id);
}

/* A node added to a graph; a graph made before the trace began is only part seen. */
static void add_node_call(struct ts_corr *c, const struct ts_call *call)
{
	uint32_t pid = call->rec->hdr.pid;
	uint64_t graph = 0, node = 0, stream;
	struct ts_graph *g;
	struct ts_gpu_op op;

	if (!ts_call_val(call, ROLE_GRAPH, &graph) || !ts_call_val(call, ROLE_OUT_NODE, &node) ||
	    !ts_gpu_op_of_call(call, &op, &stream))
		return;
	g = ts_hmap_get_ptr(&c->graphs, pid, graph);
	if (!g) {
		g = graph_new(c, pid);
		if (!g)
			return;
		g->partial = true;
		graph_put(c, &c->graphs, pid, graph, g);
		g = ts_hmap_get_ptr(&c->graphs, pid, graph);
		if (!g)
			return;
	}
	add_node(c, g, node, &op);
}

/* New kernel parameters for one node of an exec. */
static void exec_kernel_call(struct ts_corr *c, const struct ts_call *call)
{
	uint32_t pid = call->rec->hdr.pid, i;
	uint64_t exec = 0, node = 0, stream;
	struct ts_graph *g;
	struct ts_gpu_op op;

	ts_call_val(call, ROLE_GRAPH_EXEC, &exec);
	ts_call_val(call, ROLE_NODE, &node);
	g = ts_hmap_get_ptr(&c->execs, pid, exec);
	if (!g || !ts_gpu_op_of_call(call, &op, &stream))
		return;
	for (i = 0; i < g->n; i++)
		if (g->nodes[i].handle == node)
			g->nodes[i].op = op;
}

static void graph_handle_call(struct ts_corr *c, const struct ts_call *call)
{
	uint32_t pid = call->rec->hdr.pid;
	uint64_t graph = 0, exec = 0;
	const struct ts_graph *g;

	ts_call_val(call, ROLE_GRAPH, &graph);
	ts_call_val(call, ROLE_GRAPH_EXEC, &exec);
	g = ts_hmap_get_ptr(&c->graphs, pid, graph);
	switch (call->hook->sem) {
	case TS_SEM_GRAPH_CREATE:
		if (ts_call_val(call, ROLE_OUT_GRAPH, &graph))
			graph_put(c, &c->graphs, pid, graph, graph_new(c, pid));
		break;
	case TS_SEM_GRAPH_DESTROY:
		graph_drop(c, &c->graphs, pid, graph);
		break;
	case TS_SEM_GRAPH_INSTANTIATE:
		/* an exec of a graph never seen stays unknown: its launches say so */
		if (g && ts_call_val(call, ROLE_OUT_EXEC, &exec))
			graph_put(c, &c->execs, pid, exec, graph_copy(c, pid, g));
		break;
	case TS_SEM_GRAPH_EXEC_UPDATE:
		if (g)
			graph_put(c, &c->execs, pid, exec, graph_copy(c, pid, g));
		break;
	case TS_SEM_GRAPH_EXEC_DESTROY:
		graph_drop(c, &c->execs, pid, exec);
		break;
	default:
		break;
	}
}

void ts_graph_call(struct ts_corr *c, const struct ts_call *call, struct ts_slice *host)
{
	switch (call->hook->sem) {
	case TS_SEM_CAPTURE_BEGIN:
		if (!call->rec->ret)
			capture_begin(c, call, host);
		break;
	case TS_SEM_CAPTURE_END:
		capture_end(c, call, host);
		break;
	case TS_SEM_EVENT_RECORD:
	case TS_SEM_STREAM_WAIT_EVENT:
		if (!call->rec->ret)
			event_call(c, call);
		break;
	case TS_SEM_GRAPH_ADD_KERNEL:
	case TS_SEM_GRAPH_ADD_MEMCPY:
	case TS_SEM_GRAPH_ADD_MEMSET:
		if (!call->rec->ret)
			add_node_call(c, call);
		break;
	case TS_SEM_GRAPH_EXEC_KERNEL:
		if (!call->rec->ret)
			exec_kernel_call(c, call);
		break;
	default:
		if (!call->rec->ret)
			graph_handle_call(c, call);
		break;
	}
}

static void free_graphs(struct ts_corr *c, struct ts_hmap *m, bool all, uint32_t pid)
{
	struct ts_hent *e;

	ts_hmap_for_each (m, e)
		if (all || e->key.a == pid)
			graph_free(c, (struct ts_graph *)(uintptr_t)e->val);
	if (all)
		ts_hmap_free(m);
	else
		ts_hmap_del_all(m, pid);
}

void ts_graph_forget(struct ts_corr *c, uint32_t pid, bool all)
{
	free_graphs(c, &c->graphs, all, pid);
	free_graphs(c, &c->execs, all, pid);
	free_graphs(c, &c->captures, all, pid);
	if (all) {
		ts_hmap_free(&c->capturing);
		ts_hmap_free(&c->events);
	} else {
		ts_hmap_del_all(&c->capturing, pid);
		ts_hmap_del_all(&c->events, pid);
	}
}
