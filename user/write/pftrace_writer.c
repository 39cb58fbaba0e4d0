// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Native Perfetto protobuf (.pftrace): a stream of TracePackets on one
 * sequence. Names, categories, annotation names and repeated string values
 * are interned; every slice is a BEGIN/END pair written as soon as the
 * correlator reports it, so no slice is ever left open, whenever the run ends.
 * Packets reach the file only whole, and only with the other events of their
 * record (a GPU slice with the call that submitted it), so a file killed at
 * any moment decodes up to its last packet and has no half flows.
 * Field numbers: Perfetto's protos/perfetto/trace/perfetto_trace.proto; the
 * part we write is tests/perfetto_subset.proto.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "encode/outbuf.h"
#include "encode/pbenc.h"
#include "lib/strmap.h"
#include "encode/utf8.h"
#include "write/writer.h"
#include "lib/hashmap.h"

/* TracePacket */
#define TP_CLOCK_SNAPSHOT	      6
#define TP_TIMESTAMP		      8
#define TP_SEQ_ID		      10
#define TP_TRACK_EVENT		      11
#define TP_INTERNED_DATA	      12
#define TP_SEQ_FLAGS		      13
#define TP_TRACK_DESCRIPTOR	      60
#define TP_FIRST_ON_SEQ		      87
#define SEQ_INCREMENTAL_STATE_CLEARED 1
#define SEQ_NEEDS_INCREMENTAL_STATE   2
/* TrackEvent */
#define TE_CATEGORY_IIDS	3
#define TE_DEBUG_ANNOTATIONS	4
#define TE_TYPE			9
#define TE_NAME_IID		10
#define TE_TRACK_UUID		11
#define TE_NAME			23
#define TE_COUNTER_VALUE	30
#define TE_FLOW_IDS		47
#define TE_TERMINATING_FLOW_IDS 48
#define TE_CALLSTACK_IID	56
#define TE_CALLSTACK_WEIGHT	57
#define TYPE_SLICE_BEGIN	1
#define TYPE_SLICE_END		2
#define TYPE_COUNTER		4
/* TrackDescriptor and friends */
#define TD_UUID		1
#define TD_NAME		2
#define TD_PROCESS	3
#define TD_THREAD	4
#define TD_PARENT_UUID	5
#define TD_COUNTER	8
#define PD_PID		1
#define PD_PROCESS_NAME 6
#define THD_PID		1
#define THD_TID		2
#define THD_THREAD_NAME 5
#define CD_UNIT		3
#define UNIT_SIZE_BYTES 3
/* DebugAnnotation */
#define DA_NAME_IID   1
#define DA_UINT	      3
#define DA_INT	      4
#define DA_STRING     6
#define DA_POINTER    7
#define DA_STRING_IID 17
/* InternedData */
#define ID_CATEGORIES	    1
#define ID_NAMES	    2
#define ID_ANNOTATION_NAMES 3
#define ID_STRING_VALUES    29
#define ID_FUNCTION_NAMES   5
#define ID_FRAMES	    6
#define ID_CALLSTACKS	    7
#define ID_SOURCE_PATHS	    18
/* Frame and Callstack (profile_common.proto) */
#define FR_IID		 1
#define FR_FUNCTION_NAME 2
#define FR_SOURCE_PATH	 5
#define FR_LINE		 6
#define FR_KIND		 7
#define KIND_NATIVE	 1
#define KIND_INTERPRETED 3
#define CSTK_IID	 1
#define CSTK_FRAME_IDS	 2
#define STACK_SEEN_FRAME 0
#define STACK_SEEN_STACK 1
#define INTERNED_IID	 1
#define INTERNED_NAME	 2
/* ClockSnapshot */
#define CS_CLOCKS	   1
#define CS_PRIMARY	   2
#define CLK_ID		   1
#define CLK_TS		   2
#define CLOCK_REALTIME_ID  1
#define CLOCK_MONOTONIC_ID 3
#define CLOCK_BOOTTIME_ID  6

#define SEQ_ID	     1
#define TRACE_PACKET 1

enum intern_kind {
	IK_NAME,
	IK_CATEGORY,
	IK_ANNOTATION,
	IK_STRING,
	IK_FUNCTION, /* --stacks: frames' function names and files */
	IK_SOURCE_PATH,
	IK__COUNT
};

static const uint32_t intern_field[IK__COUNT] = {
	ID_NAMES,	  ID_CATEGORIES,     ID_ANNOTATION_NAMES,
	ID_STRING_VALUES, ID_FUNCTION_NAMES, ID_SOURCE_PATHS
};

/* Last lookups by string address: most strings are the same literals again. */
#define INTERN_CACHE 256

struct intern_hit {
	const char *ptr;
	size_t len;
	const char *copy; /* the interned string, to confirm the content */
	uint32_t iid;
};

/* A static string's iid (writer.h: keys and categories): its address says which. */
struct static_hit {
	const char *ptr;
	uint32_t iid;
};

struct pf_writer {
	struct ts_writer base;
	struct intern_hit cache[IK__COUNT][INTERN_CACHE];
	struct static_hit scache[IK__COUNT][INTERN_CACHE];
	struct ts_out out;
	struct pb pkt;			  /* the packet being built */
	struct pb interned;		  /* InternedData for it */
	struct ts_strmap tabs[IK__COUNT]; /* string -> iid, iids from 1 */
	/* (pid, tid + 1), (pid, 0) or (pid, counter name hash) -> track uuid: a hash
	 * lookup, as a trace may have a million tracks (a list was quadratic) */
	struct ts_hmap tracks;
	/* (STACK_SEEN_*, id) -> 1: frames and callstacks defined on the sequence; their ids are
	 * the correlator's (writer.h's ts_stack), bounded by its budget */
	struct ts_hmap stacks_seen;
	uint64_t next_uuid;
	uint64_t mono_base; /* CLOCK_MONOTONIC ns of trace time 0 */
	bool started;
	char *fix; /* a string made valid UTF-8 */
	size_t fix_cap;
};

/*
 * s as valid UTF-8: itself, or a copy in p->fix with U+FFFD for the bad bytes
 * (escape: \xNN instead, keeping every byte, where no annotation can carry
 * them). *valid says which. NULL if out of memory.
 */
static const char *utf8_of(struct pf_writer *p, const char *s, size_t *n, bool escape, bool *valid)
{
	size_t need = 4 * *n + 1;

	*valid = ts_utf8_valid(s, *n);
	if (*valid)
		return s;
	if (need > p->fix_cap) {
		char *f = realloc(p->fix, need);

		if (!f)
			return NULL;
		p->fix = f;
		p->fix_cap = need;
	}
	*n = escape ? ts_utf8_escape(s, *n, p->fix) : ts_utf8_fix(s, *n, p->fix);
	return p->fix;
}

/*
 * Intern s, defining it in this packet's InternedData if it is new. A string
 * that is not valid UTF-8 is interned with U+FFFD for its bad bytes, never
 * cached, and *valid says so (NULL: the caller knows it is valid). 0 when a
 * new string would take the table past the memory budget (budget.h), or
 * without memory: the caller writes the string itself (put_inline).
 */
static uint32_t iid_of(struct pf_writer *p, enum intern_kind k, const char *s, size_t n,
		       bool *valid)
{
	struct intern_hit *h = &p->cache[k][((uintptr_t)s >> 3 ^ n) % INTERN_CACHE];
	struct ts_strmap_ent *e;
	const char *v = s;
	bool fresh, ok = true;
	uint32_t iid;

	/* an address can be reused for another string: the content decides */
	if (h->ptr == s && h->len == n && !memcmp(h->copy, s, n))
		return h->iid;
	if (valid) {
		v = utf8_of(p, s, &n, false, &ok);
		*valid = ok;
		if (!v)
			return 0;
	}
	if (ts_strmap_full(&p->tabs[k], n, TS_CAP_STRINGS)) {
		e = ts_strmap_find(&p->tabs[k], v, n);
		return e ? e->val : 0;
	}
	e = ts_strmap_get(&p->tabs[k], v, n, &fresh);
	if (!e)
		return 0;
	if (fresh)
		e->val = p->tabs[k].count;
	iid = e->val;
	if (ok) {
		h->ptr = s;
		h->len = n;
		h->copy = e->str;
		h->iid = iid;
	}
	if (fresh) {
		pb_begin(&p->interned, intern_field[k]);
		pb_varint(&p->interned, INTERNED_IID, iid);
		pb_bytes(&p->interned, INTERNED_NAME, v, n);
		pb_end(&p->interned);
	}
	return iid;
}

/* A string not interned (iid_of gave 0), as field of the packet's open message, made UTF-8. */
static void put_inline(struct pf_writer *p, uint32_t field, const char *s, size_t n)
{
	bool ok;
	const char *v = utf8_of(p, s, &n, false, &ok);

	pb_bytes(&p->pkt, field, v, v ? n : 0);
}

/* iid_of for a string of static storage, ASCII: an arg key or a category (writer.h). */
static uint32_t iid_static(struct pf_writer *p, enum intern_kind k, const char *s)
{
	struct static_hit *h = &p->scache[k][((uintptr_t)s >> 3) % INTERN_CACHE];

	if (h->ptr != s) {
		h->iid = iid_of(p, k, s, strlen(s), NULL);
		h->ptr = h->iid ? s : NULL;
	}
	return h->iid;
}

static void packet_begin(struct pf_writer *p, uint64_t rel_ts, bool has_ts)
{
	pb_reset(&p->pkt);
	pb_reset(&p->interned);
	if (has_ts)
		pb_varint(&p->pkt, TP_TIMESTAMP, p->mono_base + rel_ts);
	pb_varint(&p->pkt, TP_SEQ_ID, SEQ_ID);
}

/* Emit the packet as one Trace.packet field, InternedData first. */
static void packet_end(struct pf_writer *p, bool uses_interning)
{
	uint8_t hdr[16];
	unsigned int n;
	size_t len;

	if (uses_interning)
		pb_varint(&p->pkt, TP_SEQ_FLAGS, SEQ_NEEDS_INCREMENTAL_STATE);
	if (p->pkt.err || p->interned.err) {
		p->out.err = p->out.err ? p->out.err : -ENOMEM;
		return;
	}
	len = p->pkt.len;
	if (p->interned.len)
		len += pb_varint_size(TP_INTERNED_DATA << 3 | PB_LEN) +
		       pb_varint_size(p->interned.len) + p->interned.len;
	n = pb_put_varint(hdr, TRACE_PACKET << 3 | PB_LEN);
	n += pb_put_varint(hdr + n, len);
	ts_out_write(&p->out, hdr, n);
	if (p->interned.len) {
		n = pb_put_varint(hdr, TP_INTERNED_DATA << 3 | PB_LEN);
		n += pb_put_varint(hdr + n, p->interned.len);
		ts_out_write(&p->out, hdr, n);
		ts_out_write(&p->out, p->interned.buf, p->interned.len);
	}
	ts_out_write(&p->out, p->pkt.buf, p->pkt.len);
}

/* The uuid of track (a, b), made when new (*fresh); 0 without memory. */
static uint64_t track_uuid(struct pf_writer *p, uint64_t a, uint64_t b, bool *fresh)
{
	uint64_t *u = ts_hmap_get(&p->tracks, a, b);

	*fresh = !u;
	if (u)
		return *u;
	if (ts_hmap_put(&p->tracks, a, b, p->next_uuid + 1))
		return 0;
	return ++p->next_uuid;
}

/* uuid of a thread (or GPU stream lane) track; 0 if never described */
static uint64_t thread_uuid(struct pf_writer *p, uint32_t pid, uint32_t tid)
{
	bool fresh;

	return track_uuid(p, pid, (uint64_t)tid + 1, &fresh);
}

static uint64_t process_uuid(struct pf_writer *p, uint32_t pid)
{
	bool fresh;

	return track_uuid(p, pid, 0, &fresh);
}

static void put_clock(struct pb *pkt, uint32_t id, uint64_t ts)
{
	pb_begin(pkt, CS_CLOCKS);
	pb_varint(pkt, CLK_ID, id);
	pb_varint(pkt, CLK_TS, ts);
	pb_end(pkt);
}

static void pf_start(struct ts_writer *w, const struct ts_trace_meta *m)
{
	struct pf_writer *p = (struct pf_writer *)w;

	if (p->started)
		return;
	p->started = true;
	p->mono_base = m->clock_mono_ns;
	packet_begin(p, 0, false);
	pb_varint(&p->pkt, TP_SEQ_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
	pb_varint(&p->pkt, TP_FIRST_ON_SEQ, 1);
	pb_begin(&p->pkt, TP_CLOCK_SNAPSHOT);
	put_clock(&p->pkt, CLOCK_MONOTONIC_ID, m->clock_mono_ns);
	put_clock(&p->pkt, CLOCK_REALTIME_ID, m->clock_real_ns);
	if (m->clock_boot_ns)
		put_clock(&p->pkt, CLOCK_BOOTTIME_ID, m->clock_boot_ns);
	/* our timestamps are CLOCK_MONOTONIC: make it the trace's clock */
	pb_varint(&p->pkt, CS_PRIMARY, CLOCK_MONOTONIC_ID);
	pb_end(&p->pkt);
	packet_end(p, false);
}

static void pf_process(struct ts_writer *w, uint32_t pid, const char *name, enum ts_track_kind k)
{
	struct pf_writer *p = (struct pf_writer *)w;
	bool fresh, ok;
	uint64_t uuid = track_uuid(p, pid, 0, &fresh);
	size_t len = strlen(name);
	const char *v;

	if (!uuid)
		return;
	packet_begin(p, 0, false);
	pb_begin(&p->pkt, TP_TRACK_DESCRIPTOR);
	pb_varint(&p->pkt, TD_UUID, uuid);
	/* a descriptor has no annotations: a bad name goes out escaped, byte for byte */
	v = utf8_of(p, name, &len, true, &ok);
	if (k == TS_TRACK_GPU) {
		/* a GPU device: a plain track, its streams below it */
		pb_bytes(&p->pkt, TD_NAME, v, v ? len : 0);
	} else {
		pb_begin(&p->pkt, TD_PROCESS);
		pb_int(&p->pkt, PD_PID, pid);
		pb_bytes(&p->pkt, PD_PROCESS_NAME, v, v ? len : 0);
		pb_end(&p->pkt);
	}
	pb_end(&p->pkt);
	packet_end(p, false);
}

static void pf_thread(struct ts_writer *w, uint32_t pid, uint32_t tid, const char *name, size_t len)
{
	struct pf_writer *p = (struct pf_writer *)w;
	bool fresh, ok, gpu = pid >= TS_GPU_PID_BASE;
	uint64_t uuid = track_uuid(p, pid, (uint64_t)tid + 1, &fresh), parent;
	const char *v = utf8_of(p, name, &len, true, &ok);

	if (!uuid || !v)
		return;
	parent = process_uuid(p, pid);
	packet_begin(p, 0, false);
	pb_begin(&p->pkt, TP_TRACK_DESCRIPTOR);
	pb_varint(&p->pkt, TD_UUID, uuid);
	if (gpu) {
		pb_varint(&p->pkt, TD_PARENT_UUID, parent);
		pb_bytes(&p->pkt, TD_NAME, v, len);
	} else {
		pb_begin(&p->pkt, TD_THREAD);
		pb_int(&p->pkt, THD_PID, pid);
		pb_int(&p->pkt, THD_TID, tid);
		pb_bytes(&p->pkt, THD_THREAD_NAME, v, len);
		pb_end(&p->pkt);
	}
	pb_end(&p->pkt);
	packet_end(p, false);
}

/* "[x,y,z]" without printf: this runs for every launch */
static int fmt_dim3(char *out, const uint32_t d[3])
{
	int n = 0, i;

	out[n++] = '[';
	for (i = 0; i < 3; i++) {
		n += ts_fmt_u64(out + n, d[i]);
		out[n++] = i < 2 ? ',' : ']';
	}
	return n;
}

/* The bytes of a string that was not UTF-8, escaped (\xNN), as annotation KEY_bytes. */
static void put_bytes_annotation(struct pf_writer *p, const char *key, const char *s, size_t n)
{
	char k[64];
	int kn = snprintf(k, sizeof(k), "%s_bytes", key);
	bool ok;
	const char *v = utf8_of(p, s, &n, true, &ok);

	if (!v || kn <= 0 || kn >= (int)sizeof(k))
		return;
	pb_begin(&p->pkt, TE_DEBUG_ANNOTATIONS);
	pb_varint(&p->pkt, DA_NAME_IID, iid_of(p, IK_ANNOTATION, k, kn, NULL));
	pb_bytes(&p->pkt, DA_STRING, v, n);
	pb_end(&p->pkt);
}

/* A long string value, made valid UTF-8; false when it was not. */
static bool put_long_str(struct pf_writer *p, const char *s, size_t n)
{
	bool ok;
	const char *v = utf8_of(p, s, &n, false, &ok);

	pb_bytes(&p->pkt, DA_STRING, v, v ? n : 0);
	return ok;
}

/* false: a string value that was not UTF-8, whose bytes the caller adds */
static bool put_annotation(struct pf_writer *p, const struct ts_arg *a)
{
	uint32_t key = iid_static(p, IK_ANNOTATION, a->key), field = DA_UINT;
	uint64_t v = a->u;
	bool ok = true;
	char dim[40];
	int n;

	switch (a->type) {
	case TS_ARG_I64:
		field = DA_INT;
		break;
	case TS_ARG_HEX:
		field = DA_POINTER;
		break;
	case TS_ARG_STR:
		/* short, repeated values (track names, directions) are interned */
		if (a->str.len > 32 || !(v = iid_of(p, IK_STRING, a->str.s, a->str.len, &ok))) {
			pb_begin(&p->pkt, TE_DEBUG_ANNOTATIONS);
			pb_varint(&p->pkt, DA_NAME_IID, key);
			ok = put_long_str(p, a->str.s, a->str.len);
			pb_end(&p->pkt);
			return ok;
		}
		field = DA_STRING_IID;
		break;
	case TS_ARG_DIM3:
		/* "[x,y,z]", interned: launch shapes repeat, and take 2 bytes then */
		field = DA_STRING_IID;
		n = fmt_dim3(dim, a->dim);
		v = iid_of(p, IK_STRING, dim, n, NULL);
		if (!v) {
			pb_begin(&p->pkt, TE_DEBUG_ANNOTATIONS);
			pb_varint(&p->pkt, DA_NAME_IID, key);
			pb_bytes(&p->pkt, DA_STRING, dim, n);
			pb_end(&p->pkt);
			return true;
		}
		break;
	default:
		break;
	}
	/* { name_iid, value }: two numbers, the most frequent message of a trace */
	pb_pair(&p->pkt, TE_DEBUG_ANNOTATIONS, DA_NAME_IID, key, field, v);
	return ok;
}

/* A frame defined in this packet's InternedData, once on the sequence. */
static void put_frame(struct pf_writer *p, const struct ts_frame *f)
{
	uint32_t fn, path = 0;
	bool ok;

	if (ts_hmap_get(&p->stacks_seen, STACK_SEEN_FRAME, f->id) ||
	    ts_hmap_put(&p->stacks_seen, STACK_SEEN_FRAME, f->id, 1))
		return;
	fn = iid_of(p, IK_FUNCTION, f->func, strlen(f->func), &ok);
	if (f->file[0])
		path = iid_of(p, IK_SOURCE_PATH, f->file, strlen(f->file), &ok);
	pb_begin(&p->interned, ID_FRAMES);
	pb_varint(&p->interned, FR_IID, f->id);
	/* past the string budget a frame goes unnamed: a Frame has no inline name */
	if (fn)
		pb_varint(&p->interned, FR_FUNCTION_NAME, fn);
	if (path)
		pb_varint(&p->interned, FR_SOURCE_PATH, path);
	if (f->line >= 0)
		pb_varint(&p->interned, FR_LINE, f->line);
	pb_varint(&p->interned, FR_KIND, f->native ? KIND_NATIVE : KIND_INTERPRETED);
	pb_end(&p->interned);
}

/*
 * The call's stack as an interned Callstack (and its frames), defined once:
 * TrackEvent.callstack_iid refers to it, and the UI draws a flame graph of the
 * calls of any selected range. Perfetto lists frames outermost first.
 */
static void put_callstack(struct pf_writer *p, const struct ts_stack *st)
{
	unsigned int i;

	if (!ts_hmap_get(&p->stacks_seen, STACK_SEEN_STACK, st->id)) {
		if (ts_hmap_put(&p->stacks_seen, STACK_SEEN_STACK, st->id, 1))
			return;
		for (i = 0; i < st->nframes; i++)
			put_frame(p, st->frames[i]);
		pb_begin(&p->interned, ID_CALLSTACKS);
		pb_varint(&p->interned, CSTK_IID, st->id);
		for (i = st->nframes; i-- > 0;)
			pb_varint(&p->interned, CSTK_FRAME_IDS, st->frames[i]->id);
		pb_end(&p->interned);
	}
	pb_varint(&p->pkt, TE_CALLSTACK_IID, st->id);
}

static void pf_slice(struct ts_writer *w, const struct ts_slice *s)
{
	struct pf_writer *p = (struct pf_writer *)w;
	uint64_t uuid = thread_uuid(p, s->pid, s->tid);
	unsigned int i;
	bool ok = true;
	uint32_t name;

	packet_begin(p, s->ts, true);
	pb_begin(&p->pkt, TP_TRACK_EVENT);
	pb_varint(&p->pkt, TE_TYPE, TYPE_SLICE_BEGIN);
	pb_varint(&p->pkt, TE_TRACK_UUID, uuid);
	name = iid_of(p, IK_NAME, s->name, s->name_len, &ok);
	if (name)
		pb_varint(&p->pkt, TE_NAME_IID, name);
	else
		put_inline(p, TE_NAME, s->name, s->name_len);
	pb_varint(&p->pkt, TE_CATEGORY_IIDS, iid_static(p, IK_CATEGORY, s->cat));
	if (s->stack)
		put_callstack(p, s->stack);
	/* GPU work carries its call's stack weighted by its time: a selection of GPU tracks
	 * then draws the flame graph of who submitted the GPU time in it */
	if (s->stack && s->pid >= TS_GPU_PID_BASE)
		pb_double(&p->pkt, TE_CALLSTACK_WEIGHT, (double)s->dur);
	for (i = 0; i < s->nargs; i++)
		if (!put_annotation(p, &s->args[i]))
			put_bytes_annotation(p, s->args[i].key, s->args[i].str.s,
					     s->args[i].str.len);
	if (!ok)
		put_bytes_annotation(p, "name", s->name, s->name_len);
	if (s->flow_out)
		pb_fixed64(&p->pkt, TE_FLOW_IDS, s->flow_out);
	if (s->flow_in)
		pb_fixed64(&p->pkt, TE_TERMINATING_FLOW_IDS, s->flow_in);
	pb_end(&p->pkt);
	packet_end(p, true);

	packet_begin(p, s->ts + s->dur, true);
	pb_begin(&p->pkt, TP_TRACK_EVENT);
	pb_varint(&p->pkt, TE_TYPE, TYPE_SLICE_END);
	pb_varint(&p->pkt, TE_TRACK_UUID, uuid);
	pb_end(&p->pkt);
	packet_end(p, false);
}

static void pf_counter(struct ts_writer *w, uint32_t pid, const struct ts_counter_def *c,
		       uint64_t ts, int64_t value)
{
	struct pf_writer *p = (struct pf_writer *)w;
	bool fresh;
	uint64_t uuid =
		track_uuid(p, pid, ts_strhash(c->name, strlen(c->name)) | 1ull << 63, &fresh);

	if (!uuid)
		return;
	if (fresh) {
		uint64_t parent = process_uuid(p, pid);

		packet_begin(p, 0, false);
		pb_begin(&p->pkt, TP_TRACK_DESCRIPTOR);
		pb_varint(&p->pkt, TD_UUID, uuid);
		pb_varint(&p->pkt, TD_PARENT_UUID, parent);
		pb_string(&p->pkt, TD_NAME, c->name);
		pb_begin(&p->pkt, TD_COUNTER);
		if (c->unit == TS_UNIT_BYTES)
			pb_varint(&p->pkt, CD_UNIT, UNIT_SIZE_BYTES);
		pb_end(&p->pkt);
		pb_end(&p->pkt);
		packet_end(p, false);
	}
	packet_begin(p, ts, true);
	pb_begin(&p->pkt, TP_TRACK_EVENT);
	pb_varint(&p->pkt, TE_TYPE, TYPE_COUNTER);
	pb_varint(&p->pkt, TE_TRACK_UUID, uuid);
	pb_int(&p->pkt, TE_COUNTER_VALUE, value);
	pb_end(&p->pkt);
	packet_end(p, false);
}

static void pf_sync(struct ts_writer *w, bool force)
{
	ts_out_boundary(&((struct pf_writer *)w)->out, force);
}

static int pf_finish(struct ts_writer *w, const struct ts_trace_meta *m)
{
	struct pf_writer *p = (struct pf_writer *)w;

	/* a trace with no start record still gets its clock snapshot */
	pf_start(w, m);
	return ts_out_close(&p->out);
}

static void pf_destroy(struct ts_writer *w)
{
	struct pf_writer *p = (struct pf_writer *)w;
	int k;

	if (!p)
		return;
	ts_out_discard(&p->out);
	pb_free(&p->pkt);
	pb_free(&p->interned);
	free(p->fix);
	for (k = 0; k < IK__COUNT; k++)
		ts_strmap_free(&p->tabs[k]);
	ts_hmap_free(&p->tracks);
	ts_hmap_free(&p->stacks_seen);
	free(p);
}

static const struct ts_writer_ops pf_ops = {
	.name = "pftrace",
	.start = pf_start,
	.process = pf_process,
	.thread = pf_thread,
	.slice = pf_slice,
	.counter = pf_counter,
	.sync = pf_sync,
	.finish = pf_finish,
	.destroy = pf_destroy,
};

int ts_pftrace_writer_open(const char *path, struct ts_writer **out)
{
	struct pf_writer *p = calloc(1, sizeof(*p));
	int err;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	err = ts_out_open(&p->out, path);
	if (err) {
		free(p);
		return err;
	}
	p->base.ops = &pf_ops;
	*out = &p->base;
	return 0;
}
