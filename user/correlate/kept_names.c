// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel names kept by the correlator, within the memory budget (budget.h):
 * the handle -> name maps (fnames, knames; gnames for CUPTI's ids) count
 * their entries and bytes against a shared allowance. A name turned away is
 * counted in the trace; its kernels are drawn as their handle.
 */
#include <stdlib.h>
#include <string.h>
#include "correlate/corr_int.h"

static size_t cost(const char *name)
{
	return name ? strlen(name) + 1 : 0;
}

bool ts_names_room(struct ts_corr *c, struct ts_name_budget *b, unsigned int n, size_t bytes)
{
	if (b->count + n <= b->max_count && b->bytes + bytes <= b->max_bytes)
		return true;
	ts_cut(&c->cuts, b->table);
	return false;
}

bool ts_names_keep(struct ts_corr *c, struct ts_name_budget *b, struct ts_hmap *m, uint32_t pid,
		   uint64_t key, char *name)
{
	const char *old = ts_hmap_get_ptr(m, pid, key);
	size_t had = cost(old), need = cost(name);

	if (!name)
		return false;
	/* a new name for a handle kept already replaces it: only the bytes may pass */
	if (!(old ? b->bytes - had + need <= b->max_bytes : ts_names_room(c, b, 1, need))) {
		if (old)
			ts_cut(&c->cuts, b->table);
		free(name);
		return false;
	}
	if (ts_hmap_put_owned(m, pid, key, name))
		return false;
	b->count += !old;
	b->bytes += need - had;
	return true;
}

void ts_names_forget(struct ts_name_budget *b, struct ts_hmap *m, bool all, uint32_t pid)
{
	struct ts_hent *e;

	ts_hmap_for_each (m, e) {
		if (all || e->key.a == pid) {
			b->count--;
			b->bytes -= cost((const char *)(uintptr_t)e->val);
		}
	}
	ts_hmap_free_owned(m, all, pid);
}
