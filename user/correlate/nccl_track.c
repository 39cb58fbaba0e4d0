// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * NCCL: communicators (the unique id's hash, rank and size, per process),
 * groups, the values of an operation in NCCL's words (datatype, bytes,
 * reduction), a process labelled with its rank, and the driver calls an NCCL
 * call makes (its kernels' launches) tied to it by correlation and flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "correlate/corr_int.h"

/* ncclDataType_t: its name and its element size */
static const struct {
	const char *name;
	uint8_t bytes;
} dtypes[] = {
	{ "int8", 1 },	  { "uint8", 1 },    { "int32", 4 },	  { "uint32", 4 },
	{ "int64", 8 },	  { "uint64", 8 },   { "float16", 2 },	  { "float32", 4 },
	{ "float64", 8 }, { "bfloat16", 2 }, { "float8e4m3", 1 }, { "float8e5m2", 1 },
};

/* ncclRedOp_t; from ncclNumOps up, ops made by ncclRedOpCreatePreMulSum */
static const char *const redops[] = { "sum", "prod", "max", "min", "avg" };

static bool val(const struct ts_call *call, enum ts_role role, uint64_t *v)
{
	return ts_call_val(call, role, v);
}

/* A communicator made: kept (bounded per process), and the process labelled with its rank. */
static void comm_made(struct ts_corr *c, const struct ts_call *call, uint64_t comm, uint64_t id,
		      int64_t rank, int64_t nranks)
{
	uint32_t pid = call->rec->hdr.pid;
	struct ts_proc *p = ts_proc_find_or_announce(c, pid);
	struct ts_ncomm *nc;
	char label[sizeof(p->name) + 48];

	if (!p)
		return;
	if (!ts_hmap_get_ptr(&c->ncomms, pid, comm) && p->ncomms >= TS_NCCL_MAX_COMMS) {
		c->stats.nccl_comms_cut++;
		return;
	}
	nc = malloc(sizeof(*nc));
	if (!nc)
		return;
	*nc = (struct ts_ncomm){ id, rank, nranks };
	if (ts_hmap_get_ptr(&c->ncomms, pid, comm) == NULL)
		p->ncomms++;
	if (ts_hmap_put_owned(&c->ncomms, pid, comm, nc))
		return;
	/* the widest communicator names the process: its rank in the job */
	if (nranks <= p->label_nranks)
		return;
	p->label_nranks = nranks;
	if (c->w->ops->rank)
		c->w->ops->rank(c->w, pid, rank, nranks);
	snprintf(label, sizeof(label), "%s [rank %lld of %lld]", p->name[0] ? p->name : "?",
		 (long long)rank, (long long)nranks);
	c->w->ops->process(c->w, pid, label, TS_TRACK_HOST);
}

static void track_comm(struct ts_corr *c, const struct ts_call *call, struct ts_slice *s)
{
	uint64_t comm = 0, id = 0, rank = 0, nranks = 0;

	switch (call->hook->sem) {
	case TS_SEM_NCCL_INIT:
		if (val(call, ROLE_OUT_COMM, &comm) && val(call, ROLE_ID_HASH, &id) &&
		    val(call, ROLE_RANK, &rank) && val(call, ROLE_NRANKS, &nranks)) {
			ts_arg_hex(s, "communicator", id);
			if (!call->rec->ret)
				comm_made(c, call, comm, id, (int64_t)rank, (int64_t)nranks);
		}
		break;
	case TS_SEM_NCCL_DESTROY:
		if (!call->rec->ret && val(call, ROLE_COMM, &comm)) {
			struct ts_proc *p = ts_proc_find(c, call->rec->hdr.pid);

			uint64_t v;

			if (ts_hmap_del(&c->ncomms, call->rec->hdr.pid, comm, &v)) {
				free((void *)(uintptr_t)v);
				if (p && p->ncomms)
					p->ncomms--;
			}
		}
		break;
	default:
		break;
	}
}

/* An operation's values in NCCL's words, and its communicator's. */
static void op_args(struct ts_corr *c, const struct ts_call *call, struct ts_thr *t,
		    struct ts_slice *s)
{
	uint64_t dt = 0, count = 0, op = 0, comm = 0;
	const struct ts_ncomm *nc;

	if (val(call, ROLE_DTYPE, &dt) && dt < sizeof(dtypes) / sizeof(dtypes[0])) {
		ts_arg_str(s, "datatype_name", dtypes[dt].name, strlen(dtypes[dt].name));
		if (val(call, ROLE_COUNT, &count))
			ts_arg_u64(s, "size_bytes", count * dtypes[dt].bytes);
	}
	if (val(call, ROLE_REDOP, &op))
		ts_arg_str(s, "redop_name", op < 5 ? redops[op] : "custom",
			   strlen(op < 5 ? redops[op] : "custom"));
	if (val(call, ROLE_COMM, &comm)) {
		nc = ts_hmap_get_ptr(&c->ncomms, call->rec->hdr.pid, comm);
		if (nc) {
			ts_arg_hex(s, "communicator", nc->id);
			ts_arg_i64(s, "comm_rank", nc->rank);
			ts_arg_i64(s, "comm_nranks", nc->nranks);
		}
	}
	if (t->nccl_group_depth)
		ts_arg_u64(s, "nccl_group", t->nccl_group);
}

void ts_nccl_call(struct ts_corr *c, const struct ts_call *call, struct ts_thr *t,
		  struct ts_slice *s)
{
	const struct ts_rec_api *r = call->rec;

	/* the call that began (TS_REC_API_ENTER) ends: its driver calls are drawn already */
	if (t->up_open && t->up_ts == r->hdr.ts) {
		t->up_open = false;
		ts_arg_u64(s, "correlation_id", t->up_corr);
		if (t->up_flowed)
			s->flow_out = t->up_corr;
	}
	switch (call->hook->sem) {
	case TS_SEM_NCCL_GROUP_START:
		if (!r->ret && !t->nccl_group_depth++)
			t->nccl_group = ++c->next_nccl_group;
		if (t->nccl_group_depth)
			ts_arg_u64(s, "nccl_group", t->nccl_group);
		break;
	case TS_SEM_NCCL_GROUP_END:
		if (t->nccl_group_depth)
			ts_arg_u64(s, "nccl_group", t->nccl_group);
		if (!r->ret && t->nccl_group_depth)
			t->nccl_group_depth--;
		break;
	case TS_SEM_NCCL_COLL:
	case TS_SEM_NCCL_P2P:
		op_args(c, call, t, s);
		break;
	default:
		track_comm(c, call, s);
		break;
	}
}

bool ts_nccl_began(struct ts_corr *c, struct ts_thr *t, const struct ts_rec_hdr *h)
{
	const struct ts_hook *hook = h->aux < c->syms.n ? c->syms.hooks[h->aux] : NULL;

	if (!hook || hook->lib >= TS_LIB__COUNT || !ts_libs[hook->lib].upper)
		return false;
	t->up_open = true;
	t->up_sym = h->aux;
	t->up_lib = hook->lib;
	t->up_ts = h->ts;
	t->up_corr = c->next_corr++;
	t->up_flowed = false;
	return true;
}

void ts_nccl_inner(struct ts_thr *t, const struct ts_rec_api *r, struct ts_slice *s)
{
	/* a library whose calls share their submits' id (the runtime) says nothing more */
	if (!t->up_open || r->hdr.ts < t->up_ts || ts_libs[t->up_lib].shares_corr)
		return;
	ts_arg_u64(s, "nccl_correlation_id", t->up_corr);
	/* one flow per id: from the NCCL call to the first launch it made */
	if (!t->up_flowed && !s->flow_in) {
		s->flow_in = t->up_corr;
		t->up_flowed = true;
	}
}

void ts_nccl_forget(struct ts_corr *c, uint32_t pid, bool all)
{
	ts_hmap_free_owned(&c->ncomms, all, pid);
}
