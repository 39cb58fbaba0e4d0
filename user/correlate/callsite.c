// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --stacks, decoding side: TS_REC_PYCODE describes code objects, META_CALLER
 * names return addresses, and a TS_REC_STACK becomes two args of the API call
 * that follows it on its thread: "py_stack" (file:line function, innermost
 * first, " <- " between) and "caller" (library!symbol+0xoff). Everything is
 * read from the records, so a replay says what the live run said.
 *
 * Lines come from the code object's line table (CPython 3.11+'s format,
 * Objects/locations.md): the entry holding the frame's last instruction;
 * 3.10's older format in pyline310.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "correlate/corr_int.h"
#include "correlate/pyline310.h"
#include "encode/utf8.h"
#include "lib/util.h"

/*
 * code objects kept at once (at most ~3 KiB each, their names and line table):
 * past it, frames of new ones show as "?", counted and said once
 */
#define MAX_PYCODES 16384u

struct pycode {
	int32_t firstlineno;
	uint8_t minor; /* CPython 3.minor: 3.10's frames and line tables differ */
	uint32_t table_len, table_full;
	uint64_t code_start;
	char *qual, *file; /* UTF-8, NUL-ended, inside this block */
	uint8_t *table;
};

/* a stack waiting for its call, per thread: the strings its args point at */
struct pending {
	uint64_t ts;
	uint32_t aux;
	uint32_t py_len;	      /* 0: the call has no Python frames */
	const struct ts_stack *stack; /* the same, interned (stacks.c); NULL: none */
	size_t cap;		      /* bytes of py */
	char caller[1024];
	char py[];
};

/* A str's characters (1, 2 or 4 bytes each, as CPython keeps them) as UTF-8 into out. */
static size_t str_utf8(const char *raw, size_t len, uint8_t kind, char *out)
{
	unsigned int w = kind & 7;
	size_t i, n = 0;

	if (w != 1 && w != 2 && w != 4)
		return 0;
	for (i = 0; i + w <= len; i += w) {
		uint32_t cp = 0;

		memcpy(&cp, raw + i, w); /* little-endian, as x86-64 wrote it */
		/* an "ASCII" string with a byte over 0x7f is not what it says: not shown as is */
		if ((kind & TS_PY_STR_ASCII) && cp > 0x7f)
			cp = 0xfffd;
		n += ts_utf8_put(cp, out + n);
	}
	out[n] = '\0';
	return n;
}

static void pycode_record(struct ts_corr *c, const struct ts_rec_pycode *r)
{
	/* each character at most 4 UTF-8 bytes */
	static char qual[4 * TS_PY_NAME + 1], file[4 * TS_PY_NAME + 1];
	size_t ql = str_utf8(r->qual, r->qual_len, r->qual_kind, qual),
	       fl = str_utf8(r->file, r->file_len, r->file_kind, file);
	bool known = ts_hmap_get_ptr(&c->pycodes, r->hdr.pid, r->code);
	struct pycode *p;
	char *q;

	if (!known && c->npycodes >= MAX_PYCODES) {
		if (!c->pycodes_over++)
			warn("--stacks: more than %u Python code objects: frames of later ones "
			     "show as ?\n",
			     MAX_PYCODES);
		return;
	}
	p = malloc(sizeof(*p) + r->table_len + ql + 1 + fl + 1);
	if (!p)
		return;
	p->firstlineno = r->firstlineno;
	p->minor = r->hdr.aux;
	p->code_start = r->code_start;
	p->table_len = r->table_len;
	p->table_full = r->table_full;
	q = (char *)(p + 1);
	p->table = (uint8_t *)q;
	memcpy(p->table, r->table, r->table_len);
	q += r->table_len;
	p->qual = memcpy(q, qual, ql + 1);
	p->file = memcpy(q + ql + 1, file, fl + 1);
	if (ts_hmap_put_owned(&c->pycodes, r->hdr.pid, r->code, p))
		return;
	if (!known)
		c->npycodes++;
}

static void caller_record(struct ts_corr *c, const struct ts_rec_meta *m)
{
	size_t len;
	const char *s = ts_meta_str(m, 0, &len);
	char *name = malloc(len + 1);

	if (!name)
		return;
	memcpy(name, s, len);
	name[len] = '\0';
	ts_hmap_put_owned(&c->callers, m->hdr.pid, m->v[0], name);
}

/* varint of the line table: 6 bits a byte, bit 6 says another byte follows */
static const uint8_t *varint(const uint8_t *p, const uint8_t *end, uint32_t *v)
{
	unsigned int shift = 0;

	*v = 0;
	while (p < end && shift < 32) {
		uint8_t b = *p++;

		*v |= (uint32_t)(b & 63) << shift;
		shift += 6;
		if (!(b & 64))
			return p;
	}
	return NULL;
}

static const uint8_t *svarint(const uint8_t *p, const uint8_t *end, int32_t *v)
{
	uint32_t u;

	p = varint(p, end, &u);
	*v = (u & 1) ? -(int32_t)(u >> 1) : (int32_t)(u >> 1);
	return p;
}

/*
 * The line of the code unit at index unit, from the line table: -1 when the
 * instruction has no line, -2 when the table kept does not reach it.
 */
static int64_t addr2line(const struct pycode *pc, uint64_t unit)
{
	const uint8_t *p = pc->table, *end = pc->table + pc->table_len;
	int64_t line = pc->firstlineno;
	uint64_t at = 0;

	while (p && p < end) {
		uint8_t b = *p++;
		unsigned int code = (b >> 3) & 15, len = (b & 7) + 1;
		int32_t delta = 0;
		uint32_t skip;

		if (!(b & 0x80))
			return -2; /* not the start of an entry: a table we cannot read */
		if (code == 15) {
			delta = 0;
		} else if (code == 14) { /* long form: line delta, end line, columns */
			p = svarint(p, end, &delta);
			p = p ? varint(p, end, &skip) : NULL;
			p = p ? varint(p, end, &skip) : NULL;
			p = p ? varint(p, end, &skip) : NULL;
		} else if (code == 13) { /* no columns */
			p = svarint(p, end, &delta);
		} else if (code >= 10) { /* one line: delta 0..2, two column bytes */
			delta = code - 10;
			p = p + 2 <= end ? p + 2 : NULL;
		} else { /* short form: one column byte */
			p = p + 1 <= end ? p + 1 : NULL;
		}
		line += delta;
		if (unit < at + len)
			return p ? (code == 15 ? -1 : line) : -2;
		at += len;
	}
	return -2;
}

/*
 * One frame as "file:line function" appended to buf, and interned in *out;
 * false for a frame not shown.
 */
static bool put_frame(struct ts_corr *c, uint32_t pid, const struct ts_py_frame *f, char *buf,
		      size_t cap, size_t *n, const struct ts_frame **out)
{
	const struct pycode *pc = ts_hmap_get_ptr(&c->pycodes, pid, f->code);
	char line[24];
	int64_t l = -1;
	int w;

	if (!pc) {
		w = snprintf(buf + *n, cap - *n, "%s?", *n ? " <- " : "");
		*out = ts_stack_frame(c, "?", "", -1, false);
	} else {
		/* a frame not started yet (its last instruction before its first) is not shown */
		if (pc->minor == 10 ? (int32_t)f->instr < 0 : f->instr < pc->code_start)
			return false;
		if (pc->minor == 10) /* f_lasti: an index of 2-byte code units, an int */
			l = ts_py310_line(pc->table, pc->table_len, pc->firstlineno,
					  (uint64_t)(int32_t)f->instr * 2);
		else
			l = addr2line(pc, (f->instr - pc->code_start) / 2);
		if (l >= 0)
			snprintf(line, sizeof(line), "%" PRId64, l);
		else
			snprintf(line, sizeof(line), "?");
		w = snprintf(buf + *n, cap - *n, "%s%s:%s %s", *n ? " <- " : "", pc->file, line,
			     pc->qual);
		*out = ts_stack_frame(c, pc->qual, pc->file, l >= 0 && l <= INT32_MAX ? l : -1,
				      false);
	}
	if (w > 0)
		*n = (size_t)w < cap - *n ? *n + w : cap - 1;
	return true;
}

/* the longest py_stack: every frame two names of 4 * TS_PY_NAME bytes, a line, a separator */
#define PY_TEXT_MAX (TS_PY_MAX_FRAMES * (8 * TS_PY_NAME + 48) + 64)

/* The call's frames interned as one stack: its native caller (when it has one), then Python's. */
static const struct ts_stack *intern_stack(struct ts_corr *c, const struct ts_rec_stack *r,
					   const char *caller, const struct ts_frame **frames,
					   unsigned int n)
{
	if (caller[0])
		frames[0] = ts_stack_frame(c, caller, "", -1, true);
	else
		frames++;
	n += !!caller[0];
	return n ? ts_stack_intern(c, frames, n, r->hdr.flags & TS_STACK_F_CUT) : NULL;
}

static void stack_record(struct ts_corr *c, const struct ts_rec_stack *r)
{
	static char text[PY_TEXT_MAX];
	struct pending *p = ts_hmap_get_ptr(&c->sites, r->hdr.pid, r->hdr.tid);
	const struct ts_frame *frames[1 + TS_PY_MAX_FRAMES];
	unsigned int i, nf = 0;
	const char *name;
	size_t n = 0;

	text[0] = '\0';
	for (i = 0; i < r->nframes && i < TS_PY_MAX_FRAMES; i++)
		nf += put_frame(c, r->hdr.pid, &r->frames[i], text, sizeof(text), &n,
				&frames[1 + nf]);
	if (n && (r->hdr.flags & TS_STACK_F_CUT))
		n += snprintf(text + n, sizeof(text) - n, " <- ...");
	/* the thread's block is reused while its text fits */
	if (!p || p->cap < n + 1) {
		p = malloc(sizeof(*p) + n + 1);
		if (!p || ts_hmap_put_owned(&c->sites, r->hdr.pid, r->hdr.tid, p))
			return;
		p->cap = n + 1;
	}
	p->ts = r->hdr.ts;
	p->aux = r->hdr.aux;
	p->py_len = n;
	memcpy(p->py, text, n + 1);
	p->caller[0] = '\0';
	name = ts_hmap_get_ptr(&c->callers, r->hdr.pid, r->caller);
	if (name)
		snprintf(p->caller, sizeof(p->caller), "%s", name);
	else if (r->caller)
		snprintf(p->caller, sizeof(p->caller), "0x%" PRIx64, (uint64_t)r->caller);
	p->stack = intern_stack(c, r, p->caller, frames, nf);
}

void ts_site_record(struct ts_corr *c, const void *rec)
{
	const struct ts_rec_hdr *h = rec;

	switch (h->kind) {
	case TS_REC_PYCODE:
		pycode_record(c, rec);
		break;
	case TS_REC_META_CALLER:
		caller_record(c, rec);
		break;
	case TS_REC_STACK:
		stack_record(c, rec);
		break;
	default:
		break;
	}
}

/* The stack sent right before this call: same thread, same entry time, same symbol. */
static const struct pending *pending_of(struct ts_corr *c, const struct ts_rec_api *r)
{
	const struct pending *p = ts_hmap_get_ptr(&c->sites, r->hdr.pid, r->hdr.tid);

	return p && p->ts == r->hdr.ts && p->aux == r->hdr.aux ? p : NULL;
}

const struct ts_stack *ts_site_stack(struct ts_corr *c, const struct ts_rec_api *r)
{
	const struct pending *p = pending_of(c, r);

	return p ? p->stack : NULL;
}

void ts_site_args(struct ts_corr *c, const struct ts_rec_api *r, struct ts_slice *s)
{
	const struct pending *p = pending_of(c, r);

	if (!p)
		return;
	if (p->py_len)
		ts_arg_str(s, "py_stack", p->py, p->py_len);
	if (p->caller[0])
		ts_arg_str(s, "caller", p->caller, strlen(p->caller));
	s->stack = p->stack;
}

void ts_site_forget(struct ts_corr *c, uint32_t pid, uint32_t tid, bool process)
{
	size_t n;
	void *p;

	if (!process) {
		p = ts_hmap_get_ptr(&c->sites, pid, tid);
		if (p && ts_hmap_del(&c->sites, pid, tid, NULL))
			free(p);
		return;
	}
	n = c->pycodes.count;
	ts_hmap_free_owned(&c->pycodes, false, pid);
	c->npycodes -= n - c->pycodes.count;
	ts_hmap_free_owned(&c->callers, false, pid);
	ts_hmap_free_owned(&c->sites, false, pid);
}

void ts_site_free(struct ts_corr *c)
{
	ts_hmap_free_owned(&c->pycodes, true, 0);
	ts_hmap_free_owned(&c->callers, true, 0);
	ts_hmap_free_owned(&c->sites, true, 0);
	ts_stacks_free(&c->stacks);
}
