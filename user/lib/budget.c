// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "lib/budget.h"
#include "lib/util.h"

static const struct {
	const char *name;
	unsigned int cap;
	const char *then; /* what happens to what the cap turns away */
} tables[TS_CUT__COUNT] = {
	[TS_CUT_KERNEL_NAMES] = { "kernel_names", TS_CAP_KERNEL_NAMES,
				  "the rest are drawn as their handle (kernel@0x...)" },
	[TS_CUT_CUPTI_NAMES] = { "cupti_kernel_names", TS_CAP_CUPTI_NAMES,
				 "the rest are drawn as their id (kernel@cupti:N)" },
	[TS_CUT_STREAMS] = { "streams", TS_CAP_STREAMS,
			     "the rest share one overflow track per device" },
	[TS_CUT_ALLOCS] = { "device_allocations", TS_CAP_ALLOCS,
			    "the rest are not in the memory counter" },
	[TS_CUT_CONTEXTS] = { "contexts", TS_CAP_CONTEXTS,
			      "the work of the rest is drawn on device 0" },
	[TS_CUT_GRAPH_NODES] = { "graph_nodes", TS_CAP_GRAPH_NODES,
				 "graph launches draw the nodes kept and count the rest" },
	[TS_CUT_THREADS] = { "threads", TS_CAP_THREADS,
			     "the records of the rest go on one overflow track per process" },
	[TS_CUT_PROCS] = { "processes", TS_CAP_PROCS,
			   "the records of the rest go on one overflow process" },
	[TS_CUT_CALLSTACKS] = { "call_stacks", TS_CAP_CALLSTACKS,
				"the calls of the rest show one shared stack (their args keep "
				"theirs)" },
};

const char *ts_cut_name(enum ts_cut_table t)
{
	return tables[t].name;
}

void ts_cut(struct ts_cuts *c, enum ts_cut_table t)
{
	ts_cut_n(c, t, 1);
}

void ts_cut_n(struct ts_cuts *c, enum ts_cut_table t, uint64_t n)
{
	static bool said[TS_CUT__COUNT];

	if (!n)
		return;
	c->n[t] = c->n[t] + n < c->n[t] ? UINT64_MAX : c->n[t] + n;
	if (said[t])
		return;
	said[t] = true;
	warn("memory budget: more than %u %s (or their bytes); %s, and the trace counts them "
	     "(cut_by_memory_budget)\n",
	     tables[t].cap, tables[t].name, tables[t].then);
}

bool ts_cuts_any(const struct ts_cuts *c)
{
	unsigned int t;

	for (t = 0; t < TS_CUT__COUNT; t++)
		if (c->n[t])
			return true;
	return false;
}
