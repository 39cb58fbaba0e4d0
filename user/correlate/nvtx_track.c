// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * NVTX ranges into slices. A push/pop range is a slice on its thread, so
 * the calls made inside it nest under it; a start/end range may end on
 * another thread, and is drawn on its domain's own track in the process
 * ("NVTX <domain>", lanes where ranges overlap); a mark is an instant (a
 * slice of no length). Domains, registered strings and categories name
 * what refers to them by id.
 *
 * The traced process writes every event: nothing it says may make us grow
 * without limit. Per process at most TS_NVTX_MAX_NAMES names,
 * TS_NVTX_MAX_STACKS push/pop stacks (thread x domain), TS_NVTX_MAX_DEPTH
 * ranges open on one stack and TS_NVTX_MAX_OPEN start/end ranges open; what
 * does not fit is counted (nvtx_cut), a pop or end that matches nothing too
 * (nvtx_unmatched: an end whose start never came counts when its process
 * exits), and ranges still open when their process exits (nvtx_unclosed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "correlate/corr_int.h"

/* name keys: kind in the top byte, then the domain, then the id */
enum { NK_DOMAIN = 1, NK_STRING = 2, NK_CATEGORY = 3 };
#define NAME_KEY(kind, dom, id) ((uint64_t)(kind) << 56 | (uint64_t)((dom)&0xffffff) << 32 | (id))

struct nvtx_name {
	uint16_t len;
	char s[];
};

/* A range begun and not yet ended. */
struct nvtx_open {
	uint64_t ts, payload, id;
	uint32_t tid, domain, category, color, msg_id;
	uint8_t flags, payload_type, type;
	uint16_t len;
	char msg[TS_NVTX_MSG_MAX];
};

struct nvtx_stack {
	unsigned int depth, over; /* over: pushes past TS_NVTX_MAX_DEPTH, popped uncounted */
	struct nvtx_open *open[TS_NVTX_MAX_DEPTH];
};

/* A domain's start/end track: its lanes' latest ends. */
struct nvtx_lanes {
	uint32_t idx; /* the domain's tracks are TS_NVTX_TID_BASE + idx * TS_NVTX_LANES + lane */
	unsigned int n;
	uint64_t end[TS_NVTX_LANES];
};

struct nvtx_proc {
	uint32_t names, stacks, open, tracks;
};

static void count(uint64_t *n)
{
	*n = ts_sat_add(*n, 1);
}

static struct nvtx_proc *nproc(struct ts_corr *c, uint32_t pid)
{
	struct nvtx_proc *p = ts_hmap_get_ptr(&c->nvtx_procs, pid, 0);

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (p && ts_hmap_put_owned(&c->nvtx_procs, pid, 0, p))
		return NULL;
	return p;
}

static const struct nvtx_name *name_of(struct ts_corr *c, uint32_t pid, uint64_t key)
{
	return ts_hmap_get_ptr(&c->nvtx_names, pid, key);
}

static void name_put(struct ts_corr *c, struct nvtx_proc *p, uint32_t pid, uint64_t key,
		     const struct ts_nvtx_ev *e)
{
	bool fresh = !name_of(c, pid, key);
	struct nvtx_name *n;

	if (fresh && p->names >= TS_NVTX_MAX_NAMES) {
		count(&c->stats.nvtx_cut);
		return;
	}
	n = malloc(sizeof(*n) + e->msg_len);
	if (!n)
		return;
	n->len = e->msg_len;
	memcpy(n->s, ts_nvtx_msg(e), e->msg_len);
	if (!ts_hmap_put_owned(&c->nvtx_names, pid, key, n) && fresh)
		p->names++;
}

/* ---- names -------------------------------------------------------------------- */

static void named(struct ts_corr *c, uint32_t pid, const struct ts_nvtx_ev *e)
{
	struct nvtx_proc *p = nproc(c, pid);

	if (!p)
		return;
	switch (e->type) {
	case TS_NVTX_DOMAIN:
		name_put(c, p, pid, NAME_KEY(NK_DOMAIN, e->domain, 0), e);
		break;
	case TS_NVTX_STRING:
		if (e->id > UINT32_MAX) {
			count(&c->stats.nvtx_cut);
			return;
		}
		name_put(c, p, pid, NAME_KEY(NK_STRING, e->domain, e->id), e);
		break;
	case TS_NVTX_CATEGORY:
		name_put(c, p, pid, NAME_KEY(NK_CATEGORY, e->domain, e->category), e);
		break;
	case TS_NVTX_THREAD_NAME:
		/* a thread of this process, by its word: one more name, bounded as the others */
		if (e->id && e->id <= UINT32_MAX && p->names < TS_NVTX_MAX_NAMES) {
			p->names++;
			c->w->ops->thread(c->w, pid, e->id, ts_nvtx_msg(e), e->msg_len);
		} else {
			count(&c->stats.nvtx_cut);
		}
		break;
	default:
		break;
	}
}

/* ---- slices ------------------------------------------------------------------- */

static const char *const type_names[] = {
	[TS_NVTX_PUSH] = "push_pop",
	[TS_NVTX_START] = "start_end",
	[TS_NVTX_MARK] = "mark",
};

static void slice_args(struct ts_corr *c, uint32_t pid, const struct nvtx_open *o,
		       struct ts_slice *s, char *buf, size_t len)
{
	const struct nvtx_name *n;

	ts_arg_str(s, "nvtx", type_names[o->type], strlen(type_names[o->type]));
	if (o->domain) {
		n = name_of(c, pid, NAME_KEY(NK_DOMAIN, o->domain, 0));
		ts_arg_u64(s, "domain_id", o->domain);
		if (n)
			ts_arg_str(s, "domain", n->s, n->len);
	}
	if (o->category) {
		n = name_of(c, pid, NAME_KEY(NK_CATEGORY, o->domain, o->category));
		ts_arg_u64(s, "category", o->category);
		if (n)
			ts_arg_str(s, "category_name", n->s, n->len);
	}
	if (o->flags & TS_NVTX_F_COLOR)
		ts_arg_hex(s, "color", o->color);
	switch (o->payload_type) {
	case 1: /* NVTX_PAYLOAD_TYPE_UNSIGNED_INT64 */
		ts_arg_u64(s, "payload", o->payload);
		break;
	case 2: /* INT64 */
		ts_arg_i64(s, "payload", (int64_t)o->payload);
		break;
	case 3:	  /* DOUBLE */
	case 6: { /* FLOAT */
		double d;
		float f;
		uint32_t u = o->payload;

		memcpy(&d, &o->payload, sizeof(d));
		if (o->payload_type == 6) {
			memcpy(&f, &u, sizeof(f));
			d = f;
		}
		ts_arg_str(s, "payload", buf, snprintf(buf, len, "%.17g", d));
		break;
	}
	case 4: /* UNSIGNED_INT32 */
		ts_arg_u64(s, "payload", (uint32_t)o->payload);
		break;
	case 5: /* INT32 */
		ts_arg_i64(s, "payload", (int32_t)o->payload);
		break;
	default:
		break;
	}
	if (o->flags & TS_NVTX_F_CUT)
		ts_arg_u64(s, "name_cut", 1);
}

/* Draw o as [o->ts, end] on track (pid, tid); end_tid: the thread that ended it. */
static void draw(struct ts_corr *c, uint32_t pid, uint32_t tid, const struct nvtx_open *o,
		 uint64_t end, uint32_t end_tid)
{
	struct ts_slice s = { .pid = pid, .tid = tid, .cat = "nvtx" };
	const struct nvtx_name *n = NULL;
	enum ts_invalid why;
	char buf[40];

	why = end < o->ts ? TS_INV_END_BEFORE_START
			  : ts_interval_validate(o->ts, end - o->ts, c->have_base ? c->base : 0);
	if (why != TS_VALID) {
		c->stats.invalid[why] = ts_sat_add(c->stats.invalid[why], 1);
		return;
	}
	if (o->flags & TS_NVTX_F_REGISTERED)
		n = name_of(c, pid, NAME_KEY(NK_STRING, o->domain, o->msg_id));
	s.name = n ? n->s : o->msg;
	s.name_len = n ? n->len : o->len;
	s.ts = ts_rel(c, o->ts);
	s.dur = end - o->ts;
	slice_args(c, pid, o, &s, buf, sizeof(buf));
	if (o->type == TS_NVTX_START) {
		ts_arg_u64(&s, "tid", o->tid);
		ts_arg_u64(&s, "end_tid", end_tid);
	}
	if (end > c->last_ts)
		c->last_ts = end;
	c->w->ops->slice(c->w, &s);
	count(o->type == TS_NVTX_MARK ? &c->stats.nvtx_marks : &c->stats.nvtx_ranges);
}

static void fill_open(struct nvtx_open *o, uint32_t tid, const struct ts_nvtx_ev *e)
{
	o->ts = e->ts;
	o->id = e->id;
	o->tid = tid;
	o->type = e->type;
	o->domain = e->domain;
	o->category = e->category;
	o->color = e->color;
	o->flags = e->flags;
	o->payload_type = e->payload_type;
	o->payload = e->payload;
	o->msg_id = e->msg_id;
	o->len = e->msg_len;
	memcpy(o->msg, ts_nvtx_msg(e), e->msg_len);
}

/* ---- push and pop: a stack per thread and domain -------------------------------- */

static struct nvtx_stack *stack_of(struct ts_corr *c, uint32_t pid, uint32_t tid, uint32_t dom,
				   bool create)
{
	uint64_t key = (uint64_t)dom << 32 | tid;
	struct nvtx_stack *st = ts_hmap_get_ptr(&c->nvtx_stacks, pid, key);
	struct nvtx_proc *p;

	if (st || !create || !(p = nproc(c, pid)))
		return st;
	if (p->stacks >= TS_NVTX_MAX_STACKS)
		return NULL;
	st = calloc(1, sizeof(*st));
	if (!st || ts_hmap_put_owned(&c->nvtx_stacks, pid, key, st))
		return NULL;
	p->stacks++;
	return st;
}

static void pushed(struct ts_corr *c, uint32_t pid, uint32_t tid, const struct ts_nvtx_ev *e)
{
	struct nvtx_stack *st = stack_of(c, pid, tid, e->domain, true);
	struct nvtx_open *o;

	if (!st || st->depth >= TS_NVTX_MAX_DEPTH || !(o = malloc(sizeof(*o)))) {
		count(&c->stats.nvtx_cut);
		if (st)
			st->over++;
		return;
	}
	fill_open(o, tid, e);
	st->open[st->depth++] = o;
}

static void popped(struct ts_corr *c, uint32_t pid, uint32_t tid, const struct ts_nvtx_ev *e)
{
	struct nvtx_stack *st = stack_of(c, pid, tid, e->domain, false);
	struct nvtx_open *o;

	if (st && st->over) {
		st->over--; /* the pop of a push not kept */
		return;
	}
	if (!st || !st->depth) {
		count(&c->stats.nvtx_unmatched);
		return;
	}
	o = st->open[--st->depth];
	draw(c, pid, tid, o, e->ts, tid);
	free(o);
}

/* ---- start and end: open by range id, drawn on the domain's track -------------- */

/*
 * Batches are per thread: a range ended on another thread may come before
 * the batch of its start. Its end waits, as an open entry of type END, for
 * the start to come (bounded with the starts).
 */
static bool open_put(struct ts_corr *c, uint32_t pid, uint32_t tid, const struct ts_nvtx_ev *e)
{
	struct nvtx_proc *p = nproc(c, pid);
	struct nvtx_open *o;

	if (!p || p->open >= TS_NVTX_MAX_OPEN || !(o = malloc(sizeof(*o))))
		return false;
	fill_open(o, tid, e);
	if (ts_hmap_put_owned(&c->nvtx_open, pid, e->id, o))
		return false;
	p->open++;
	return true;
}

static void open_del(struct ts_corr *c, uint32_t pid, uint64_t id)
{
	struct nvtx_proc *p = nproc(c, pid);
	uint64_t v;

	if (ts_hmap_del(&c->nvtx_open, pid, id, &v)) {
		free((void *)(uintptr_t)v);
		if (p && p->open)
			p->open--;
	}
}

static void draw_async(struct ts_corr *c, uint32_t pid, const struct nvtx_open *o, uint64_t end,
		       uint32_t end_tid);

static void started(struct ts_corr *c, uint32_t pid, uint32_t tid, const struct ts_nvtx_ev *e)
{
	struct nvtx_open *o = ts_hmap_get_ptr(&c->nvtx_open, pid, e->id), s;

	if (o && o->type == TS_NVTX_END && o->domain == e->domain) {
		/* its end came first, from another thread's batch */
		fill_open(&s, tid, e);
		draw_async(c, pid, &s, o->ts, o->tid);
		open_del(c, pid, e->id);
		return;
	}
	if (o || !open_put(c, pid, tid, e))
		count(&c->stats.nvtx_cut);
}

/* The lane for [ts, end] on the domain's start/end track, announced on first use; 0: none. */
static uint32_t async_track(struct ts_corr *c, uint32_t pid, const struct nvtx_open *o,
			    uint64_t end)
{
	struct nvtx_lanes *l = ts_hmap_get_ptr(&c->nvtx_lanes, pid, o->domain);
	struct nvtx_proc *p = nproc(c, pid);
	const struct nvtx_name *n;
	char name[TS_NVTX_MSG_MAX + 32];
	unsigned int i;
	uint32_t tid;
	int len;

	if (!l) {
		if (!p || p->tracks >= TS_NVTX_MAX_TRACKS || !(l = calloc(1, sizeof(*l))) ||
		    ts_hmap_put_owned(&c->nvtx_lanes, pid, o->domain, l))
			return 0;
		l->idx = p->tracks++;
	}
	/* the first lane free at its start; past the last, the last (drawn overlapping) */
	for (i = 0; i < l->n && l->end[i] > o->ts; i++)
		;
	if (i == TS_NVTX_LANES)
		i = TS_NVTX_LANES - 1;
	tid = TS_NVTX_TID_BASE + l->idx * TS_NVTX_LANES + i;
	if (i == l->n) {
		n = o->domain ? name_of(c, pid, NAME_KEY(NK_DOMAIN, o->domain, 0)) : NULL;
		len = snprintf(name, sizeof(name), "NVTX %.*s%s", n ? (int)n->len : 7,
			       n ? n->s : "default", i ? " (overlap)" : "");
		c->w->ops->thread(c->w, pid, tid, name, len);
		l->n++;
	}
	if (end > l->end[i])
		l->end[i] = end;
	return tid;
}

static void draw_async(struct ts_corr *c, uint32_t pid, const struct nvtx_open *o, uint64_t end,
		       uint32_t end_tid)
{
	uint32_t track = async_track(c, pid, o, end);

	if (track)
		draw(c, pid, track, o, end, end_tid);
	else
		count(&c->stats.nvtx_cut);
}

static void ended(struct ts_corr *c, uint32_t pid, uint32_t tid, const struct ts_nvtx_ev *e)
{
	struct nvtx_open *o = ts_hmap_get_ptr(&c->nvtx_open, pid, e->id);

	if (!o) {
		if (!open_put(c, pid, tid, e)) /* the start may be in a batch still to come */
			count(&c->stats.nvtx_cut);
		return;
	}
	if (o->type != TS_NVTX_START || o->domain != e->domain) {
		count(&c->stats.nvtx_unmatched);
		return;
	}
	draw_async(c, pid, o, e->ts, tid);
	open_del(c, pid, e->id);
}

static void marked(struct ts_corr *c, uint32_t pid, uint32_t tid, const struct ts_nvtx_ev *e)
{
	struct nvtx_open o;

	fill_open(&o, tid, e);
	draw(c, pid, tid, &o, e->ts, tid);
}

void ts_nvtx_record(struct ts_corr *c, const struct ts_rec_nvtx *r)
{
	uint32_t pid = r->hdr.pid, tid = r->hdr.tid;
	const struct ts_nvtx_ev *e;
	size_t off = 0;

	if (!ts_thread_find_or_announce(c, pid, tid))
		return;
	while ((e = ts_nvtx_next(r, &off))) {
		switch (e->type) {
		case TS_NVTX_PUSH:
			pushed(c, pid, tid, e);
			break;
		case TS_NVTX_POP:
			popped(c, pid, tid, e);
			break;
		case TS_NVTX_START:
			started(c, pid, tid, e);
			break;
		case TS_NVTX_END:
			ended(c, pid, tid, e);
			break;
		case TS_NVTX_MARK:
			marked(c, pid, tid, e);
			break;
		default: /* names; a type a later version adds is skipped */
			named(c, pid, e);
			break;
		}
	}
}

/* Free what a map of struct nvtx_stack * holds for pid (all: every pid), counting what was open. */
static void free_stacks(struct ts_corr *c, bool all, uint32_t pid)
{
	struct ts_hent *e;
	unsigned int i;

	ts_hmap_for_each (&c->nvtx_stacks, e) {
		struct nvtx_stack *st = (struct nvtx_stack *)(uintptr_t)e->val;

		if (!all && e->key.a != pid)
			continue;
		for (i = 0; i < st->depth; i++)
			free(st->open[i]);
		c->stats.nvtx_unclosed = ts_sat_add(c->stats.nvtx_unclosed, st->depth);
		st->depth = 0;
	}
	ts_hmap_free_owned(&c->nvtx_stacks, all, pid);
}

void ts_nvtx_forget(struct ts_corr *c, uint32_t pid, bool all)
{
	struct ts_hent *e;

	free_stacks(c, all, pid);
	ts_hmap_for_each (&c->nvtx_open, e)
		if (all || e->key.a == pid)
			count(((struct nvtx_open *)(uintptr_t)e->val)->type == TS_NVTX_END
				      ? &c->stats.nvtx_unmatched
				      : &c->stats.nvtx_unclosed);
	ts_hmap_free_owned(&c->nvtx_open, all, pid);
	ts_hmap_free_owned(&c->nvtx_names, all, pid);
	ts_hmap_free_owned(&c->nvtx_lanes, all, pid);
	ts_hmap_free_owned(&c->nvtx_procs, all, pid);
}
