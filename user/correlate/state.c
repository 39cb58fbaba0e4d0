// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The correlator's state: processes, threads and their current contexts.
 * Every call from the GPU and driver sides into the correlator lands here,
 * and nothing here calls them: lookups never emit, and the functions that do
 * say so (..._or_announce).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "correlate/corr_int.h"

void ts_state_free_threads(struct ts_corr *c, bool all, uint32_t pid)
{
	struct ts_hent *e;
	unsigned int j;

	ts_hmap_for_each (&c->threads, e) {
		struct ts_thr *t = (struct ts_thr *)(uintptr_t)e->val;

		if (!(all || e->key.a == pid))
			continue;
		for (j = 0; j < t->npending; j++)
			free(t->pending[j]);
		t->npending = 0;
	}
	ts_hmap_free_owned(&c->threads, all, pid);
}

const struct ts_corr_stats *ts_corr_stats(const struct ts_corr *c)
{
	return &c->stats;
}

struct ts_proc *ts_proc_find(struct ts_corr *c, uint32_t pid)
{
	return ts_hmap_get_ptr(&c->procs, pid, 0);
}

struct ts_proc *ts_proc_add(struct ts_corr *c, uint32_t pid)
{
	struct ts_proc *p = ts_proc_find(c, pid);

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p || ts_hmap_put(&c->procs, pid, 0, (uintptr_t)p)) {
		free(p);
		return NULL;
	}
	return p;
}

struct ts_proc *ts_proc_find_or_announce(struct ts_corr *c, uint32_t pid)
{
	struct ts_proc *p = ts_proc_find(c, pid);
	char name[32];

	if (p)
		return p;
	p = ts_proc_add(c, pid);
	if (!p)
		return NULL;
	/* no META_PROC came first (the process was gone before we looked) */
	if (pid == TS_PID_OVERFLOW)
		snprintf(name, sizeof(name), "processes past the budget");
	else
		snprintf(name, sizeof(name), "pid %u", pid);
	c->w->ops->process(c->w, pid, name, TS_TRACK_HOST);
	return p;
}

struct ts_thr *ts_thread_find(struct ts_corr *c, uint32_t pid, uint32_t tid)
{
	return ts_hmap_get_ptr(&c->threads, pid, tid);
}

struct ts_thr *ts_thread_add(struct ts_corr *c, uint32_t pid, uint32_t tid, bool *created)
{
	struct ts_thr *t = ts_thread_find(c, pid, tid);

	*created = false;
	if (t)
		return t;
	if (!ts_proc_find_or_announce(c, pid))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t || ts_hmap_put(&c->threads, pid, tid, (uintptr_t)t)) {
		free(t);
		return NULL;
	}
	*created = true;
	return t;
}

struct ts_thr *ts_thread_find_or_announce(struct ts_corr *c, uint32_t pid, uint32_t tid)
{
	bool created;
	struct ts_thr *t = ts_thread_add(c, pid, tid, &created);
	char name[32];

	if (created) {
		if (tid == TS_TID_OVERFLOW)
			snprintf(name, sizeof(name), "threads past the budget");
		else
			snprintf(name, sizeof(name), "thread %u", tid);
		c->w->ops->thread(c->w, pid, tid, name, strlen(name));
	}
	return t;
}

uint64_t ts_thread_ctx(struct ts_corr *c, uint32_t pid, uint32_t tid)
{
	struct ts_thr *t = ts_thread_find(c, pid, tid);

	return t && t->depth ? t->ctx[t->depth - 1] : 0;
}

uint32_t ts_thread_dev(struct ts_corr *c, uint32_t pid, uint32_t tid)
{
	struct ts_thr *t = ts_thread_find(c, pid, tid);
	uint64_t *dev;

	/* a context made current before we attached: assume device 0 */
	if (!t || !t->depth)
		return ts_dev_slot(c, pid, 0);
	dev = ts_hmap_get(&c->ctxdev, pid, t->ctx[t->depth - 1]);
	return dev ? *dev : ts_dev_slot(c, pid, 0);
}

uint32_t ts_dev_slot(const struct ts_corr *c, uint32_t pid, uint64_t dev)
{
	if (!c->merged)
		return dev % TS_MAX_DEVICES;
	return (pid / TS_MERGE_PID_SPAN) % TS_MERGE_MAX_HOSTS * TS_DEVS_PER_HOST +
	       dev % TS_DEVS_PER_HOST;
}

/* A record's copy with its pid and tid replaced, or NULL without memory. */
static const void *rec_moved(struct ts_corr *c, const void *rec, uint32_t pid, uint32_t tid)
{
	const struct ts_rec_hdr *h = rec;
	struct ts_rec_hdr *copy;

	if (!c->tid_copy)
		c->tid_copy = malloc(UINT16_MAX + 1); /* any record: its size is 16 bits */
	if (!c->tid_copy)
		return NULL;
	memcpy(c->tid_copy, rec, h->size);
	copy = c->tid_copy;
	copy->pid = pid;
	copy->tid = tid;
	return copy;
}

/* A record that names or ends a process or thread: the overflow keeps its own name. */
static bool names_or_ends(const struct ts_rec_hdr *h)
{
	return h->kind == TS_REC_THREAD || h->kind == TS_REC_EXIT || h->kind == TS_REC_META_PROC;
}

const void *ts_rec_bound(struct ts_corr *c, const void *rec)
{
	const struct ts_rec_hdr *h = rec;

	if (c->procs.count >= TS_CAP_PROCS && h->pid != TS_PID_OVERFLOW &&
	    (h->kind < TS_REC_META_START || h->kind == TS_REC_META_PROC) &&
	    !ts_proc_find(c, h->pid)) {
		if (names_or_ends(h))
			return NULL;
		ts_cut(&c->cuts, TS_CUT_PROCS);
		return rec_moved(c, rec, TS_PID_OVERFLOW, TS_TID_OVERFLOW);
	}
	if (h->kind >= TS_REC_META_START || c->threads.count < TS_CAP_THREADS ||
	    ts_thread_find(c, h->pid, h->tid))
		return rec;
	/* the overflow thread keeps its own name, and ends with its process */
	if (h->kind == TS_REC_THREAD || (h->kind == TS_REC_EXIT && (h->flags & TS_EXIT_F_THREAD)))
		return NULL;
	ts_cut(&c->cuts, TS_CUT_THREADS);
	return rec_moved(c, rec, h->pid, TS_TID_OVERFLOW);
}
