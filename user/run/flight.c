// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "encode/outfile.h"
#include "lib/util.h"
#include "probe/hooks.h"
#include "record/decode.h"
#include "run/flight.h"
#include "run/outname.h"

/* the opening's bound: a start, a host, a library and ~300 symbols take ~30 KiB */
#define HEAD_BYTES (2 * TS_RECQ_CHUNK)
#define NAME_LEN   256
/* definitions remembered (keep_definition): a thread's context key, and the most */
#define TS_DEF_THREAD (1ull << 63)
#define TS_DEF_MAX    (1u << 20)

/* A call that may block, under way on a thread (its TS_REC_API_ENTER). */
struct ts_open_call {
	uint64_t ts;
	uint32_t sym;
	bool fired; /* its hang trigger went off */
};

/* When a record's event ends: a call's return, a GPU op's end. */
static uint64_t rec_end(const struct ts_rec_hdr *h)
{
	switch (h->kind) {
	case TS_REC_API:
		return h->ts + ((const struct ts_rec_api *)h)->dur;
	case TS_REC_DRIVER:
		return h->ts + ((const struct ts_rec_driver *)h)->dur;
	case TS_REC_GPU:
		return ((const struct ts_rec_gpu *)h)->end;
	default:
		return h->ts;
	}
}

static const char *sym_name(uint32_t sym)
{
	const struct ts_sym *syms;
	unsigned int n = ts_syms(&syms);

	return sym < n ? syms[sym].name : "?";
}

static const struct ts_hook *sym_hook(uint32_t sym)
{
	const struct ts_sym *syms;
	unsigned int n = ts_syms(&syms);

	return sym < n ? &ts_hooks[syms[sym].hook] : NULL;
}

/* Said once: triggers come faster than snapshots are taken. */
static void too_fast(struct ts_flight *f)
{
	f->skipped++;
	if (!f->said_interval)
		warn("flight recorder: triggers come faster than one snapshot per %llu s "
		     "(--snapshot-interval) or one at a time: the others are counted, not written\n",
		     (unsigned long long)(f->o.interval_ns / 1000000000ull));
	f->said_interval = true;
}

/*
 * A trigger: taken at the next tick. One waits at most (SIGUSR2 during a
 * snapshot queues one more); a trigger while one waits is counted, and an
 * asked-for one makes the waiting one asked for.
 */
static void trigger(struct ts_flight *f, const char *why, bool asked, const char *fmt, ...)
{
	va_list ap;

	if (f->want) {
		f->want_asked |= asked;
		too_fast(f);
		return;
	}
	f->want = true;
	f->want_asked = asked;
	snprintf(f->trigger, sizeof(f->trigger), "%s", why);
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

void ts_flight_ask(struct ts_flight *f, const char *why)
{
	trigger(f, why, true, "%s", why);
}

/*
 * Calls that define what later calls refer to: kernel names, contexts,
 * streams. A copy is kept with the names (flagged TS_API_F_CONTEXT) so that
 * a snapshot knows them however long ago they were made.
 */
static bool defines(const struct ts_rec_api *r)
{
	const struct ts_hook *h = sym_hook(r->hdr.aux);

	/* a call without a status (void: __cudaRegisterFunction) leaves anything in rax */
	if (!h || (r->ret && !(h->flags & TS_HF_NO_RESULT)))
		return false;
	switch (h->sem) {
	case TS_SEM_RT_REGISTER:
	case TS_SEM_NAME_FUNC:
	case TS_SEM_NAME_KERNEL:
	case TS_SEM_KERNEL_TO_FUNC:
	case TS_SEM_GET_NAME:
	case TS_SEM_STREAM_CREATE:
	case TS_SEM_CTX_CREATE:
	case TS_SEM_CTX_RETAIN:
	case TS_SEM_CTX_SET:
		return true;
	default:
		return false;
	}
}

/* FNV-1a: which definition a call makes (its symbol, values and string) */
static uint64_t def_hash(const struct ts_rec_api *r)
{
	const unsigned char *p = (const void *)r->vals;
	size_t n = r->nvals * 8 + r->str_len, i;
	uint64_t h = 14695981039346656037ull ^ r->hdr.aux;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h & ~TS_DEF_THREAD;
}

/* A process that exited before the window began: nothing in a snapshot needs its names. */
static bool gone_before_window(const struct ts_flight *f, uint64_t exited)
{
	return exited < f->newest && f->newest - exited > f->o.window_ns; /* UINT64_MAX: never */
}

/* Names kept unless they are of a process gone before the window (and not of a later one). */
static bool name_needed(void *ctx, const void *rec)
{
	const struct ts_flight *f = ctx;
	const struct ts_rec_hdr *h = rec;
	const uint64_t *exited = ts_hmap_get(&f->dead, h->pid, 0);

	return !exited || h->ts > *exited || !gone_before_window(f, *exited);
}

/* The processes still to be pruned: those that exited within the window. */
static int dead_keep_recent(struct ts_flight *f)
{
	struct ts_hmap recent = { 0 };
	uint64_t first = UINT64_MAX;
	struct ts_hent *e;

	ts_hmap_for_each (&f->dead, e) {
		if (gone_before_window(f, e->val))
			continue;
		if (ts_hmap_put(&recent, e->key.a, 0, e->val)) {
			ts_hmap_free(&recent);
			return -ENOMEM;
		}
		if (e->val < first)
			first = e->val;
	}
	ts_hmap_free(&f->dead);
	f->dead = recent;
	f->dead_first = first;
	return 0;
}

/*
 * The names are kept oldest first within their bound; when it is reached,
 * the names of processes that exited before the window go first (a
 * long-running recorder sees processes come and go), so those of the living
 * are not cut for them. One sweep per batch of such exits.
 */
static int meta_push(struct ts_flight *f, const void *rec)
{
	/* the earliest exit decides whether any is prunable: no walk of dead per record */
	if (ts_recq_full(&f->meta) && f->dead.count && gone_before_window(f, f->dead_first)) {
		f->pruned += ts_recq_sweep(&f->meta, name_needed, f);
		if (dead_keep_recent(f))
			return -ENOMEM;
	}
	return ts_recq_push(&f->meta, rec);
}

/*
 * Kept once each: the CUDA runtime asks for a lazily loaded kernel's
 * function before every launch, and a program may set its context as often;
 * kept each time they would crowd the names out. A thread's current context
 * is kept when it changes.
 */
static int keep_definition(struct ts_flight *f, const struct ts_rec_api *r)
{
	static struct ts_rec_api copy;
	uint64_t key = def_hash(r), val = 1, *was;

	if (sym_hook(r->hdr.aux)->sem == TS_SEM_CTX_SET) {
		key = TS_DEF_THREAD | r->hdr.tid;
		val = r->vals[0];
	}
	was = ts_hmap_get(&f->defs, r->hdr.pid, key);
	if (was && *was == val)
		return 0;
	/* bounded: past it, definitions are kept again as they come */
	if (f->defs.count >= TS_DEF_MAX)
		ts_hmap_free(&f->defs);
	if (ts_hmap_put(&f->defs, r->hdr.pid, key, val))
		return -ENOMEM;
	memcpy(&copy, r, r->hdr.size);
	copy.hdr.flags |= TS_API_F_CONTEXT;
	return meta_push(f, &copy);
}

static void api_seen(struct ts_flight *f, const struct ts_rec_api *r)
{
	const struct ts_hook *h = sym_hook(r->hdr.aux);
	char buf[32];
	uint64_t v;

	/* the blocking call on this thread returned */
	if (ts_hmap_del(&f->open, r->hdr.pid, r->hdr.tid, &v))
		free((void *)(uintptr_t)v);
	if ((f->o.on & TS_SNAP_ERROR) && ts_hook_failed(h, r->ret))
		trigger(f, "error", false, "%s returned %s (%d) in pid %u thread %u",
			sym_name(r->hdr.aux), ts_hook_result_name(h, r->ret, buf, sizeof(buf)),
			r->ret, r->hdr.pid, r->hdr.tid);
}

static void call_began(struct ts_flight *f, const struct ts_rec_hdr *h)
{
	struct ts_open_call *c = calloc(1, sizeof(*c));

	if (!c)
		return;
	c->ts = h->ts;
	c->sym = h->aux;
	ts_hmap_put_owned(&f->open, h->pid, h->tid, c);
}

static void exit_seen(struct ts_flight *f, const struct ts_rec_hdr *h)
{
	uint64_t v;

	if (h->flags & TS_EXIT_F_THREAD) {
		if (ts_hmap_del(&f->open, h->pid, h->tid, &v))
			free((void *)(uintptr_t)v);
		return;
	}
	ts_hmap_free_owned(&f->open, false, h->pid);
	ts_hmap_del_all(&f->defs, h->pid);
	/* bounded: past it, names go oldest first as before */
	if (f->dead.count < TS_DEF_MAX && !ts_hmap_put(&f->dead, h->pid, 0, h->ts) &&
	    h->ts < f->dead_first)
		f->dead_first = h->ts;
	/* aux: the kernel's exit_code, a wait status */
	if (!(f->o.on & TS_SNAP_EXIT) || !h->aux)
		return;
	if (WIFSIGNALED(h->aux))
		trigger(f, "exit", false, "pid %u was killed by signal %d", h->pid,
			WTERMSIG(h->aux));
	else
		trigger(f, "exit", false, "pid %u exited with status %d", h->pid,
			WEXITSTATUS(h->aux));
}

/* Records past the window go; those of a snapshot being written live on in its copy. */
static int window_put(struct ts_flight *f, const struct ts_rec_hdr *h)
{
	const struct ts_rec_hdr *old;
	uint64_t end = rec_end(h);

	if (end > f->newest)
		f->newest = end;
	while ((old = ts_recq_peek(&f->win)) && rec_end(old) + f->o.window_ns < f->newest)
		ts_recq_pop(&f->win);
	return ts_recq_push(&f->win, h);
}

static int flight_keep(struct ts_flight *f, const void *rec)
{
	const struct ts_rec_hdr *h = rec;
	int err;

	switch (h->kind) {
	case TS_REC_META_START:
	case TS_REC_META_HOST:
	case TS_REC_META_LIB:
	case TS_REC_META_SYM:
		return ts_recq_push(&f->head, rec);
	case TS_REC_META_PROC:
	case TS_REC_META_NAME:
	case TS_REC_META_CALLER: /* --stacks: what names the stacks and callers of the window */
	case TS_REC_PYCODE:
	case TS_REC_THREAD:
	case TS_REC_GPU_NAME:
		return meta_push(f, rec);
	case TS_REC_GPU_INFO:
		/* a process's CUPTI started (or could not): its GPU records join its calls */
		if (h->flags == TS_GPUI_STARTED || h->flags == TS_GPUI_FAILED)
			return meta_push(f, rec);
		break;
	case TS_REC_META_DROPS:
		f->drops = ((const struct ts_rec_meta *)rec)->v[0];
		f->bad = ((const struct ts_rec_meta *)rec)->v[1];
		return 0;
	case TS_REC_META_END:
		return 0;
	case TS_REC_API:
		api_seen(f, rec);
		if (defines(rec)) {
			err = keep_definition(f, rec);
			if (err)
				return err;
		}
		break;
	case TS_REC_API_ENTER:
		call_began(f, h);
		break;
	case TS_REC_EXIT:
		exit_seen(f, h);
		break;
	default:
		break;
	}
	return window_put(f, h);
}

static int flight_put(struct ts_sink *s, const void *rec)
{
	struct ts_flight *f = (struct ts_flight *)s;
	int err;

	if (f->also) {
		err = f->also->put(f->also, rec);
		if (err)
			return err;
	}
	return flight_keep(f, rec);
}

int ts_flight_parse_on(const char *list, struct ts_flight_opts *o)
{
	char buf[256], *tok, *save = NULL;
	double secs;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "error"))
			o->on |= TS_SNAP_ERROR;
		else if (!strcmp(tok, "exit"))
			o->on |= TS_SNAP_EXIT;
		else if (!strcmp(tok, "stop"))
			o->on |= TS_SNAP_STOP;
		else if (!strncmp(tok, "hang=", 5) && !ts_parse_seconds(tok + 5, 86400, &secs)) {
			o->on |= TS_SNAP_HANG;
			o->hang_ns = (uint64_t)(secs * 1e9);
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

/* Snapshot n's file names, from -o as given. */
static int snapshot_names(const struct ts_flight_opts *o, unsigned int n, time_t when,
			  char names[][NAME_LEN], char **paths)
{
	unsigned int i;

	for (i = 0; i < o->nout; i++) {
		if (ts_outname_snapshot(o->out[i], names[i], NAME_LEN, o->pid, when, n)) {
			warn("-o %s: %%h, %%p, %%t, %%n or %%%% only, within %d bytes\n", o->out[i],
			     NAME_LEN);
			return -EINVAL;
		}
		paths[i] = names[i];
	}
	return 0;
}

/* The folder a snapshot goes in must be there now: a typo is said at the start, not in an hour. */
int ts_flight_check(const struct ts_flight_opts *o)
{
	char names[TS_MAX_OUTPUTS][NAME_LEN], *paths[TS_MAX_OUTPUTS], *slash;
	struct stat st;
	unsigned int i;
	int err;

	err = snapshot_names(o, 1, time(NULL), names, paths);
	for (i = 0; !err && i < o->nout; i++) {
		slash = strrchr(names[i], '/');
		if (!slash)
			continue;
		*slash = '\0';
		if (names[i][0] && (stat(names[i], &st) || !S_ISDIR(st.st_mode))) {
			warn("-o %s: no folder %s to write snapshots in\n", o->out[i], names[i]);
			err = -ENOENT;
		}
	}
	return err;
}

int ts_flight_init(struct ts_flight *f, const struct ts_flight_opts *o)
{
	size_t bound = (size_t)o->mb << 20, meta = bound / 8;

	memset(f, 0, sizeof(*f));
	f->base.put = flight_put;
	f->o = *o;
	if (meta < TS_RECQ_CHUNK)
		meta = TS_RECQ_CHUNK;
	f->dead_first = UINT64_MAX;
	/* the bound holds all three: the opening, the names, the window */
	ts_recq_init(&f->head, HEAD_BYTES);
	ts_recq_init(&f->meta, meta);
	ts_recq_init(&f->win, bound - meta - HEAD_BYTES);
	return 0;
}

struct snap_feed {
	struct ts_sink *out;
	uint64_t from;
};

static int feed_all(void *ctx, const void *rec)
{
	struct snap_feed *sf = ctx;

	return sf->out->put(sf->out, rec);
}

/* The window's records: those that end inside it (a call begun before is whole). */
static int feed_window(void *ctx, const void *rec)
{
	struct snap_feed *sf = ctx;

	return rec_end(rec) < sf->from ? 0 : sf->out->put(sf->out, rec);
}

static int put_meta(struct ts_sink *out, enum ts_kind kind, uint32_t aux, uint64_t ts, uint64_t v0,
		    uint64_t v1, const char *s0, const char *s1)
{
	static char buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));

	ts_meta_build(buf, kind, 0, ts, aux, v0, v1, s0, strlen(s0), s1, strlen(s1));
	return out->put(out, buf);
}

/* Calls under way that began before the window: their start, so they are drawn unfinished. */
static int feed_open_calls(const struct ts_flight *f, struct ts_sink *out, uint64_t from)
{
	struct ts_rec_hdr h = { .size = sizeof(h), .kind = TS_REC_API_ENTER };
	const struct ts_open_call *c;
	struct ts_hent *e;
	int err;

	ts_hmap_for_each (&f->open, e) {
		c = (const void *)(uintptr_t)e->val;
		if (c->ts >= from)
			continue; /* its start is in the window */
		h.pid = e->key.a;
		h.tid = e->key.b;
		h.ts = c->ts;
		h.aux = c->sym;
		err = out->put(out, &h);
		if (err)
			return err;
	}
	return 0;
}

/* Snapshot n through the outputs: the opening, the names, the window, the end. */
static int snapshot_feed(const struct ts_flight *f, struct ts_sink *out, unsigned int n,
			 uint64_t now)
{
	struct snap_feed sf = { .out = out,
				.from = now > f->o.window_ns ? now - f->o.window_ns : 0 };
	char kv[640];
	int err;

	snprintf(kv, sizeof(kv),
		 "detail=%s\nwindow_seconds=%llu\nmemory_bound_mb=%u\nrecords_cut=%llu\n"
		 "names_cut=%llu\nnames_of_exited_pruned=%llu\ntriggers_skipped=%llu\n",
		 f->detail, (unsigned long long)(f->o.window_ns / 1000000000ull), f->o.mb,
		 (unsigned long long)f->win.cut, (unsigned long long)f->meta.cut,
		 (unsigned long long)f->pruned, (unsigned long long)f->skipped);
	err = ts_recq_each(&f->head, feed_all, &sf);
	if (!err)
		err = ts_recq_each(&f->meta, feed_all, &sf);
	if (!err)
		err = put_meta(out, TS_REC_META_SNAP, n, now, sf.from, now, f->trigger, kv);
	if (!err)
		err = feed_open_calls(f, out, sf.from);
	if (!err)
		err = ts_recq_each(&f->win, feed_window, &sf);
	if (!err)
		err = put_meta(out, TS_REC_META_DROPS, 0, now, f->drops, f->bad, "", "");
	if (!err)
		err = put_meta(out, TS_REC_META_END, 0, now, 0, 0, "", "");
	return err;
}

/* Snapshot n failed (its file is gone, or was never made): one line, and how to get another. */
static void not_written(unsigned int n, const struct ts_outputs *outs, int err)
{
	const char *path = outs->failed ? outs->failed : "";
	bool full;

	if (outs->failed)
		err = outs->failed_err;
	full = err == -ENOSPC || err == -EDQUOT;
	warn("flight recorder: snapshot %u not written: %s%s%s; recording goes on "
	     "(%s and send SIGUSR2 for another)\n",
	     n, path, *path ? ": " : "", strerror(-err), full ? "free space" : "fix that");
}

/*
 * Write snapshot n now; 0, or 1 with what went wrong said in one line. Whole
 * or nothing: a file that cannot be finished is removed (the window is still
 * in memory, and a full disk is not kept full by partial snapshots).
 */
static int snapshot_write(struct ts_flight *f, unsigned int n, uint64_t now)
{
	char names[TS_MAX_OUTPUTS][NAME_LEN], *paths[TS_MAX_OUTPUTS], list[TS_MAX_OUTPUTS * 260];
	struct ts_outputs outs = { 0 };
	bool was = ts_outfile_set_whole(true);
	unsigned int i;
	size_t len = 0;
	int err, ret = 1;

	if (snapshot_names(&f->o, n, time(NULL), names, paths))
		goto cleanup;
	err = ts_outputs_open(&outs, paths, f->o.nout, NULL);
	if (!err)
		err = snapshot_feed(f, &outs.base, n, now);
	if (!err)
		err = ts_outputs_close(&outs, false);
	if (err) {
		not_written(n, &outs, err);
		goto cleanup;
	}
	for (i = 0; i < f->o.nout; i++)
		len += snprintf(list + len, sizeof(list) - len, " %s", names[i]);
	warn("flight recorder: snapshot %u (%s: %s) written to%s\n", n, f->trigger, f->detail,
	     list);
	ret = 0;
cleanup:
	ts_outputs_discard(&outs);
	ts_outfile_set_whole(was);
	return ret;
}

/* Said once each: why a trigger was not taken. */
static bool limited(struct ts_flight *f, uint64_t now)
{
	if (f->taken >= f->o.max_snaps) {
		f->skipped++;
		if (!f->said_max)
			warn("flight recorder: %u snapshots, the most for a run (--snapshot-max): "
			     "later triggers are counted, not written\n",
			     f->taken);
		f->said_max = true;
		return true;
	}
	if (!f->want_asked && f->taken && now - f->last_ns < f->o.interval_ns) {
		too_fast(f);
		return true;
	}
	return false;
}

/* Take the trigger waiting: in a forked copy while recording goes on, or here at the end. */
static void take(struct ts_flight *f, uint64_t now, bool here)
{
	pid_t pid;

	if (limited(f, now)) {
		f->want = false;
		return;
	}
	f->want = false;
	f->taken++;
	f->last_ns = now;
	pid = here ? -1 : fork();
	if (pid == 0)
		_exit(snapshot_write(f, f->taken, now));
	if (pid > 0) {
		f->writer = pid;
		f->writing = f->taken;
		return;
	}
	if (!here)
		warn("flight recorder: cannot fork to write snapshot %u (%s): writing it here\n",
		     f->taken, strerror(errno));
	if (!snapshot_write(f, f->taken, now))
		f->written++;
}

/*
 * The writer's end: its status says whether the files are in place. Exit 1:
 * it said why not; killed (or any other end): said here.
 */
static void reap(struct ts_flight *f, bool block)
{
	int st;

	if (f->writer <= 0 || waitpid(f->writer, &st, block ? 0 : WNOHANG) != f->writer)
		return;
	if (WIFEXITED(st) && !WEXITSTATUS(st))
		f->written++;
	else if (WIFSIGNALED(st))
		warn("flight recorder: snapshot %u not written: its writer was killed by signal "
		     "%d; recording goes on\n",
		     f->writing, WTERMSIG(st));
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 1)
		warn("flight recorder: snapshot %u not written (its writer exited with %d); "
		     "recording goes on\n",
		     f->writing, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	f->writer = 0;
}

static void hang_check(struct ts_flight *f, uint64_t now)
{
	struct ts_open_call *c;
	struct ts_hent *e;

	if (!(f->o.on & TS_SNAP_HANG))
		return;
	ts_hmap_for_each (&f->open, e) {
		c = (void *)(uintptr_t)e->val;
		if (c->fired || c->ts + f->o.hang_ns > now)
			continue;
		c->fired = true;
		trigger(f, "hang", false, "%s has waited %.1f s in pid %llu thread %llu",
			sym_name(c->sym), (now - c->ts) / 1e9, (unsigned long long)e->key.a,
			(unsigned long long)e->key.b);
	}
}

void ts_flight_tick(struct ts_flight *f, uint64_t now)
{
	reap(f, false);
	hang_check(f, now);
	if (f->want && !f->writer)
		take(f, now, false);
}

void ts_flight_finish(struct ts_flight *f)
{
	uint64_t now = ts_now_ns(CLOCK_MONOTONIC);

	reap(f, true);
	if (f->want)
		take(f, now, true);
	if (f->o.on & TS_SNAP_STOP) {
		ts_flight_ask(f, "stop");
		take(f, now, true);
	}
	if (f->skipped)
		warn("flight recorder: %u snapshots written; %llu triggers not taken "
		     "(--snapshot-interval, --snapshot-max)\n",
		     f->written, (unsigned long long)f->skipped);
	else
		warn("flight recorder: %u snapshots written\n", f->written);
}

void ts_flight_free(struct ts_flight *f)
{
	if (!f)
		return;
	if (f->writer > 0)
		reap(f, true);
	ts_recq_free(&f->head);
	ts_recq_free(&f->meta);
	ts_recq_free(&f->win);
	ts_hmap_free_owned(&f->open, true, 0);
	ts_hmap_free(&f->defs);
	ts_hmap_free(&f->dead);
}
