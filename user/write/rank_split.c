// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * "%r" in a JSON output's name: one file per NCCL rank, as Kineto writes a
 * job (one trace per rank, each with its distributedInfo), so Holistic Trace
 * Analysis reads the folder as the job's ranks.
 *
 * A process's rank is known only once it makes its first communicator, after
 * its first calls, so each traced process is written to a file of its own
 * from its first event (named with "p<pid>" for %r while it is written), and
 * at the end each file is put in place under its rank: "%r" becomes the rank,
 * "<rank>-p<pid>" when two processes say the same rank, "norank-p<pid>" for
 * a process that joined no communicator. GPU work goes to the file of the
 * process that submitted it, with the device's and stream's names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/hashmap.h"
#include "lib/util.h"
#include "write/writer.h"

/* Files at most, all processes together; past it they share one, named "others" for %r */
#define SPLIT_MAX_PARTS 256

struct part {
	uint32_t pid; /* 0: the shared file of processes past the bound */
	struct ts_writer *w;
	int64_t rank;
	bool ranked;
};

struct split {
	struct ts_writer base;
	char *pattern;	      /* the -o name, "%r" in its file name */
	struct ts_hmap parts; /* (pid, 0) -> struct part * */
	unsigned int nparts;
	struct ts_hmap gpu_names; /* (GPU pid, tid; 0 for the device) -> char * */
	struct ts_hmap shown;	  /* (owner pid, GPU pid << 32 | tid) -> 1: named in its file */
	int err;		  /* the first file that could not be opened */
};

static struct split *split_of(struct ts_writer *w)
{
	return (struct split *)w;
}

/* The pattern with %r made what (the first %r; the name was checked to hold one). */
static int name_for(const struct split *s, const char *what, char *out, size_t len)
{
	const char *r = strstr(s->pattern, "%r");
	int n = snprintf(out, len, "%.*s%s%s", (int)(r - s->pattern), s->pattern, what, r + 2);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The file of process pid, opened at its first event; NULL if none could be (counted). */
static struct part *part_of(struct split *s, uint32_t pid)
{
	struct part *p = ts_hmap_get_ptr(&s->parts, pid, 0);
	struct ts_writer *w = NULL;
	char what[32], path[4096];
	int err;

	if (p)
		return p;
	if (s->nparts >= SPLIT_MAX_PARTS) {
		pid = 0; /* past the bound: the shared file */
		p = ts_hmap_get_ptr(&s->parts, 0, 0);
		if (p)
			return p;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	if (pid)
		snprintf(what, sizeof(what), "p%u", pid);
	else
		snprintf(what, sizeof(what), "others");
	path[0] = '\0';
	err = name_for(s, what, path, sizeof(path));
	if (!err)
		err = ts_json_writer_open(path, &w);
	p->w = w;
	/* the map frees p if it cannot keep it */
	if (err || (err = ts_hmap_put_owned(&s->parts, pid, 0, p))) {
		if (!s->err)
			warn("cannot write %s: %s\n", path, strerror(-err));
		s->err = s->err ? s->err : err;
		if (!w)
			free(p);
		ts_writer_destroy(w);
		return NULL;
	}
	s->nparts++;
	return p;
}

static void split_process(struct ts_writer *w, uint32_t pid, const char *name, enum ts_track_kind k)
{
	struct split *s = split_of(w);
	struct part *p;
	char *copy;

	if (k == TS_TRACK_GPU) {
		/* named in each file when its first work is written there */
		copy = strdup(name);
		if (copy)
			ts_hmap_put_owned(&s->gpu_names, pid, 0, copy);
		return;
	}
	p = part_of(s, pid);
	if (p)
		p->w->ops->process(p->w, pid, name, k);
}

static void split_process_exit(struct ts_writer *w, uint32_t pid)
{
	struct part *p = ts_hmap_get_ptr(&split_of(w)->parts, pid, 0);

	if (p && p->w->ops->process_exit)
		p->w->ops->process_exit(p->w, pid);
}

static void split_thread(struct ts_writer *w, uint32_t pid, uint32_t tid, const char *name,
			 size_t len)
{
	struct split *s = split_of(w);
	struct part *p;
	char *copy;

	if (pid >= TS_GPU_PID_BASE) {
		copy = strndup(name, len);
		if (copy)
			ts_hmap_put_owned(&s->gpu_names, pid, tid, copy);
		return;
	}
	p = part_of(s, pid);
	if (p)
		p->w->ops->thread(p->w, pid, tid, name, len);
}

/* The device and the stream lane of a GPU slice, named in p's file before its first slice. */
static void show_gpu_track(struct split *s, struct part *p, uint32_t gpid, uint32_t tid)
{
	const char *dev = ts_hmap_get_ptr(&s->gpu_names, gpid, 0);
	const char *lane = ts_hmap_get_ptr(&s->gpu_names, gpid, tid);

	if (!ts_hmap_get(&s->shown, p->pid, (uint64_t)gpid << 32)) {
		p->w->ops->process(p->w, gpid, dev ? dev : "GPU", TS_TRACK_GPU);
		ts_hmap_put(&s->shown, p->pid, (uint64_t)gpid << 32, 1);
	}
	if (!ts_hmap_get(&s->shown, p->pid, (uint64_t)gpid << 32 | tid)) {
		if (lane)
			p->w->ops->thread(p->w, gpid, tid, lane, strlen(lane));
		ts_hmap_put(&s->shown, p->pid, (uint64_t)gpid << 32 | tid, 1);
	}
}

static void split_slice(struct ts_writer *w, const struct ts_slice *sl)
{
	struct split *s = split_of(w);
	bool gpu = sl->pid >= TS_GPU_PID_BASE;
	struct part *p = part_of(s, gpu ? sl->owner_pid : sl->pid);

	if (!p)
		return;
	if (gpu)
		show_gpu_track(s, p, sl->pid, sl->tid);
	p->w->ops->slice(p->w, sl);
}

static void split_counter(struct ts_writer *w, uint32_t pid, const struct ts_counter_def *c,
			  uint64_t ts, int64_t value)
{
	struct part *p = part_of(split_of(w), pid);

	if (p)
		p->w->ops->counter(p->w, pid, c, ts, value);
}

static void split_rank(struct ts_writer *w, uint32_t pid, int64_t rank, int64_t nranks)
{
	struct part *p = part_of(split_of(w), pid);

	if (!p)
		return;
	if (p->pid) { /* the shared file is no one rank's */
		p->rank = rank;
		p->ranked = true;
	}
	if (p->w->ops->rank)
		p->w->ops->rank(p->w, pid, rank, nranks);
}

static void split_sync(struct ts_writer *w, bool force)
{
	struct split *s = split_of(w);
	struct ts_hent *e;

	ts_hmap_for_each (&s->parts, e) {
		struct part *p = (struct part *)(uintptr_t)e->val;

		if (p->w->ops->sync)
			p->w->ops->sync(p->w, force);
	}
}

/* Another process already holds this rank: the pid says which file is whose. */
static bool rank_taken(struct split *s, const struct part *me)
{
	struct ts_hent *e;

	ts_hmap_for_each (&s->parts, e) {
		const struct part *p = (const struct part *)(uintptr_t)e->val;

		if (p != me && p->ranked && p->rank == me->rank && p->pid < me->pid)
			return true;
	}
	return false;
}

static int finish_part(struct split *s, struct part *p, const struct ts_trace_meta *m)
{
	char what[48], path[4096] = "";
	int err;

	if (!p->pid)
		snprintf(what, sizeof(what), "others");
	else if (!p->ranked)
		snprintf(what, sizeof(what), "norank-p%u", p->pid);
	else if (rank_taken(s, p))
		snprintf(what, sizeof(what), "%lld-p%u", (long long)p->rank, p->pid);
	else
		snprintf(what, sizeof(what), "%lld", (long long)p->rank);
	err = name_for(s, what, path, sizeof(path));
	if (!err)
		err = ts_json_writer_retarget(p->w, path);
	if (err) {
		warn("cannot name the trace of pid %u %s: %s\n", p->pid, path, strerror(-err));
		return err;
	}
	return p->w->ops->finish(p->w, m);
}

static int split_finish(struct ts_writer *w, const struct ts_trace_meta *m)
{
	struct split *s = split_of(w);
	struct ts_hent *e;
	int err = s->err, e2;

	if (!s->nparts && !err)
		warn("%s: no process was traced: no file written\n", s->pattern);
	ts_hmap_for_each (&s->parts, e) {
		e2 = finish_part(s, (struct part *)(uintptr_t)e->val, m);
		err = err ? err : e2;
	}
	return err;
}

static void split_destroy(struct ts_writer *w)
{
	struct split *s = split_of(w);
	struct ts_hent *e;

	if (!s)
		return;
	ts_hmap_for_each (&s->parts, e)
		ts_writer_destroy(((struct part *)(uintptr_t)e->val)->w);
	ts_hmap_free_owned(&s->parts, true, 0);
	ts_hmap_free_owned(&s->gpu_names, true, 0);
	ts_hmap_free(&s->shown);
	free(s->pattern);
	free(s);
}

static const struct ts_writer_ops split_ops = {
	.name = "json",
	.process = split_process,
	.process_exit = split_process_exit,
	.thread = split_thread,
	.slice = split_slice,
	.counter = split_counter,
	.rank = split_rank,
	.sync = split_sync,
	.finish = split_finish,
	.destroy = split_destroy,
};

int ts_rank_split_open(const char *pattern, struct ts_writer **out)
{
	const char *r = strstr(pattern, "%r"), *slash = strrchr(pattern, '/');
	struct split *s;

	*out = NULL;
	/* each file is written beside its final name: the rank names a file, not a folder */
	if (!r || (slash && slash > r) || strstr(r + 2, "%r")) {
		warn("%s: %%r goes once in the file name (not a folder's): trace-%%r.json\n",
		     pattern);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->pattern = strdup(pattern);
	if (!s->pattern) {
		free(s);
		return -ENOMEM;
	}
	s->base.ops = &split_ops;
	*out = &s->base;
	return 0;
}
