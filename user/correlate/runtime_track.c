// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The CUDA runtime (--runtime-api): kernels registered by host stub
 * (__cudaRegisterFunction), a launch's kernel name and dimensions, and the
 * correlation id a runtime call shares with the driver submit it makes and
 * the GPU work that submit runs: one id from cudaLaunchKernel to the kernel,
 * as CUPTI gives it.
 */
#include <string.h>
#include "correlate/corr_int.h"
#include "correlate/demangle.h"

/* A registered kernel: its host stub names it from now on (bounded with the kernel names). */
void ts_rt_learn(struct ts_corr *c, const struct ts_call *call)
{
	uint64_t stub;

	if (call->hook->sem != TS_SEM_RT_REGISTER || !call->str_len ||
	    !ts_call_val(call, ROLE_HOST_FUNC, &stub))
		return;
	ts_names_keep(c, &c->kernel_names, &c->rtfuncs, call->rec->hdr.pid, stub,
		      ts_dup_name(call->str, call->str_len));
}

/* A launch: its kernel (when registered) and its dimensions, as the driver launch says them. */
static void launched(struct ts_corr *c, const struct ts_call *call, struct ts_slice *s)
{
	static const enum ts_role roles[6] = { ROLE_GRID_X,  ROLE_GRID_Y,  ROLE_GRID_Z,
					       ROLE_BLOCK_X, ROLE_BLOCK_Y, ROLE_BLOCK_Z };
	uint32_t dim[6] = { 0 };
	const char *name;
	uint64_t stub, v;
	unsigned int i;

	if (ts_call_val(call, ROLE_HOST_FUNC, &stub)) {
		name = ts_hmap_get_ptr(&c->rtfuncs, call->rec->hdr.pid, stub);
		if (name)
			ts_arg_str(s, "kernel", name, strlen(name));
	}
	for (i = 0; i < 6; i++)
		if (ts_call_val(call, roles[i], &v))
			dim[i] = v;
	ts_arg_dim3(s, "grid_dim", dim);
	ts_arg_dim3(s, "block_dim", dim + 3);
}

void ts_rt_call(struct ts_corr *c, const struct ts_call *call, struct ts_thr *t, struct ts_slice *s)
{
	const struct ts_rec_api *r = call->rec;

	/* the call that began (TS_REC_API_ENTER) ends: its driver calls are drawn already */
	if (t->up_open && t->up_ts == r->hdr.ts) {
		t->up_open = false;
		ts_arg_u64(s, "correlation_id", t->up_corr);
	}
	ts_rt_learn(c, call);
	if (call->hook->sem == TS_SEM_RT_LAUNCH)
		launched(c, call, s);
}

uint64_t ts_rt_submit_corr(struct ts_corr *c, struct ts_thr *t, const struct ts_rec_api *r,
			   bool *callers)
{
	*callers = false;
	if (t->up_open && r->hdr.ts >= t->up_ts && ts_libs[t->up_lib].shares_corr &&
	    !t->up_flowed) {
		/* one submit per id: a second one inside the same call gets its own */
		t->up_flowed = true;
		*callers = true;
		return t->up_corr;
	}
	return c->next_corr++;
}
