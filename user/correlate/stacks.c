// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --stacks: the call stacks of a trace, interned. A frame (function, file,
 * line, native or not) and a stack (its frames' ids, cut or not) are kept
 * once, for the whole trace, and numbered from 1 in the order they are first
 * met: the writers define each once (.pftrace interned frames and callstacks,
 * SQLite rows) and refer to it by id, and a replay numbers them as the live
 * run did. Both tables are bounded (budget.h): past them a call shows one
 * shared stack, and the calls are counted (cut_by_memory_budget.call_stacks).
 */
#include <stdlib.h>
#include <string.h>
#include "correlate/corr_int.h"
#include "lib/util.h"

#define OVER_NAME "(call stacks past the memory budget)"

static struct ts_frame *frame_new(uint32_t id, const char *func, size_t fl, const char *file,
				  size_t il, int32_t line, bool native)
{
	struct ts_frame *f = malloc(sizeof(*f) + fl + 1 + il + 1);
	char *q;

	if (!f)
		return NULL;
	q = (char *)(f + 1);
	f->id = id;
	f->line = line;
	f->native = native;
	f->func = memcpy(q, func, fl);
	q[fl] = '\0';
	f->file = memcpy(q + fl + 1, file, il);
	q[fl + 1 + il] = '\0';
	return f;
}

const struct ts_frame *ts_stack_frame(struct ts_corr *c, const char *func, const char *file,
				      int32_t line, bool native)
{
	struct ts_stacks *s = &c->stacks;
	size_t fl = strlen(func), il = strlen(file), n = 5 + fl + 1 + il;
	struct ts_strmap_ent *e;
	struct ts_frame *f;
	char *key = malloc(n);
	bool fresh;

	if (!key)
		return NULL;
	/* the key: native, line, func NUL file (names may hold anything but NUL) */
	key[0] = native;
	memcpy(key + 1, &line, 4);
	memcpy(key + 5, func, fl + 1);
	memcpy(key + 6 + fl, file, il);
	e = ts_strmap_find(&s->frames, key, n);
	if (!e && !ts_strmap_full(&s->frames, n, TS_CAP_STACK_FRAMES))
		e = ts_strmap_get(&s->frames, key, n, &fresh);
	free(key);
	if (!e)
		return NULL;
	if (e->val)
		return ENT_VAL(e);
	f = frame_new(++s->nframe_ids, func, fl, file, il, line, native);
	e->val = (uintptr_t)f;
	return f;
}

static struct ts_stack *stack_new(struct ts_stacks *s, const struct ts_frame **frames,
				  unsigned int n, bool cut)
{
	struct ts_stack *st = malloc(sizeof(*st) + n * sizeof(frames[0]));

	if (!st)
		return NULL;
	st->id = ++s->nstack_ids;
	st->cut = cut;
	st->nframes = n;
	st->frames = (const struct ts_frame **)(st + 1);
	memcpy(st->frames, frames, n * sizeof(frames[0]));
	return st;
}

/* The one stack of the calls past the budget, made at its first use. */
static const struct ts_stack *over_stack(struct ts_corr *c)
{
	struct ts_stacks *s = &c->stacks;
	const struct ts_frame *f;

	ts_cut(&c->cuts, TS_CUT_CALLSTACKS);
	if (s->over)
		return s->over;
	s->over_frame = frame_new(++s->nframe_ids, OVER_NAME, strlen(OVER_NAME), "", 0, -1, false);
	if (!s->over_frame)
		return NULL;
	f = s->over_frame;
	s->over = stack_new(s, &f, 1, false);
	return s->over;
}

const struct ts_stack *ts_stack_intern(struct ts_corr *c, const struct ts_frame **frames,
				       unsigned int n, bool cut)
{
	struct ts_stacks *s = &c->stacks;
	uint32_t key[1 + TS_PY_MAX_FRAMES + 1];
	struct ts_strmap_ent *e;
	unsigned int i;
	bool fresh;

	if (!n || n > TS_PY_MAX_FRAMES + 1)
		return NULL;
	key[0] = cut;
	for (i = 0; i < n; i++) {
		if (!frames[i]) /* a frame past its table's bound */
			return over_stack(c);
		key[1 + i] = frames[i]->id;
	}
	e = ts_strmap_find(&s->stacks, (const char *)key, 4 * (n + 1));
	if (!e) {
		if (ts_strmap_full(&s->stacks, 4 * (n + 1), TS_CAP_CALLSTACKS))
			return over_stack(c);
		e = ts_strmap_get(&s->stacks, (const char *)key, 4 * (n + 1), &fresh);
		if (!e)
			return NULL;
	}
	if (!e->val)
		e->val = (uintptr_t)stack_new(s, frames, n, cut);
	return ENT_VAL(e);
}

void ts_stacks_free(struct ts_stacks *s)
{
	ts_named_free(&s->frames);
	ts_named_free(&s->stacks);
	free(s->over_frame);
	free((void *)s->over);
	memset(s, 0, sizeof(*s));
}
