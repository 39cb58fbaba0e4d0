// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "record/decode.h"
#include "run/recq.h"

struct ts_recq_chunk {
	struct ts_recq_chunk *next;
	size_t head; /* offset of the oldest record still held */
	size_t used; /* bytes filled */
	uint64_t nrec;
	unsigned char data[];
};

#define CHUNK_DATA (TS_RECQ_CHUNK - sizeof(struct ts_recq_chunk))

/* a record always fits a chunk: its size is a u16 */
_Static_assert(UINT16_MAX < CHUNK_DATA, "a chunk holds any record");

void ts_recq_init(struct ts_recq *q, size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	q->max_chunks = max_bytes / TS_RECQ_CHUNK;
	if (q->max_chunks < 1)
		q->max_chunks = 1;
}

/*
 * Chunks are mapped, not malloc'd: an unmapped chunk goes back to the
 * system at once (malloc's heap may keep it), so the memory bound is what
 * the process holds.
 */
static struct ts_recq_chunk *chunk_new(void)
{
	void *p = mmap(NULL, TS_RECQ_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);

	return p == MAP_FAILED ? NULL : p;
}

/* The emptied chunk c is kept as the spare (one), or unmapped. */
static void chunk_release(struct ts_recq *q, struct ts_recq_chunk *c)
{
	if (!q->spare && q->nchunks <= q->max_chunks) {
		c->next = NULL;
		c->head = c->used = 0;
		c->nrec = 0;
		q->spare = c;
		return;
	}
	munmap(c, TS_RECQ_CHUNK);
	q->nchunks--;
}

/* The oldest chunk goes, with what it holds: counted as cut. */
static void cut_first(struct ts_recq *q)
{
	struct ts_recq_chunk *c = q->first;

	q->cut += c->nrec;
	q->records -= c->nrec;
	q->first = c->next;
	if (!q->first)
		q->last = NULL;
	chunk_release(q, c);
}

/* A chunk to fill: the spare, a new one, or the oldest one's place at the bound. */
static struct ts_recq_chunk *chunk_get(struct ts_recq *q)
{
	struct ts_recq_chunk *c;

	while (q->first && q->nchunks >= q->max_chunks && !q->spare)
		cut_first(q);
	if (q->spare) {
		c = q->spare;
		q->spare = NULL;
		return c;
	}
	c = chunk_new();
	if (c)
		q->nchunks++;
	return c;
}

int ts_recq_push(struct ts_recq *q, const void *rec)
{
	const struct ts_rec_hdr *h = rec;
	struct ts_recq_chunk *c = q->last;

	if (!c || c->used + h->size > CHUNK_DATA) {
		c = chunk_get(q);
		if (!c)
			return -ENOMEM;
		if (q->last)
			q->last->next = c;
		else
			q->first = c;
		q->last = c;
	}
	memcpy(c->data + c->used, rec, h->size);
	c->used += h->size;
	c->nrec++;
	q->records++;
	return 0;
}

const void *ts_recq_peek(const struct ts_recq *q)
{
	const struct ts_recq_chunk *c = q->first;

	return c && c->head < c->used ? c->data + c->head : NULL;
}

void ts_recq_pop(struct ts_recq *q)
{
	struct ts_recq_chunk *c = q->first;
	const struct ts_rec_hdr *h;

	if (!c || c->head >= c->used)
		return;
	h = (const void *)(c->data + c->head);
	c->head += h->size;
	c->nrec--;
	q->records--;
	if (c->head < c->used)
		return;
	if (c == q->last) {
		c->head = c->used = 0; /* the one being filled: start it again */
		return;
	}
	q->first = c->next;
	chunk_release(q, c);
}

int ts_recq_each(const struct ts_recq *q, int (*fn)(void *ctx, const void *rec), void *ctx)
{
	const struct ts_recq_chunk *c;
	size_t off;
	int err;

	for (c = q->first; c; c = c->next)
		for (off = c->head; off < c->used;
		     off += ((const struct ts_rec_hdr *)(c->data + off))->size) {
			err = fn(ctx, c->data + off);
			if (err)
				return err;
		}
	return 0;
}

/* Where the sweep writes: the chunk, its offset and how many records it holds now. */
struct sweep_at {
	struct ts_recq_chunk *c;
	size_t off;
	uint64_t nrec;
};

static void sweep_close(struct sweep_at *w)
{
	w->c->head = 0;
	w->c->used = w->off;
	w->c->nrec = w->nrec;
}

/*
 * Records kept move only towards the front: packed the same way, a subset
 * of them never lands after where it was, so a chunk is rewritten only
 * over what was read from it already.
 */
static void sweep_put(struct sweep_at *w, const struct ts_rec_hdr *h, uint16_t size)
{
	if (w->off + size > CHUNK_DATA) {
		sweep_close(w);
		w->c = w->c->next;
		w->off = 0;
		w->nrec = 0;
	}
	/* h may be overwritten by its own move: its size was read before */
	memmove(w->c->data + w->off, h, size);
	w->off += size;
	w->nrec++;
}

/* The chunks after the one written last are empty now: they go. */
static void sweep_trim(struct ts_recq *q, struct sweep_at *w)
{
	struct ts_recq_chunk *c, *next;

	sweep_close(w);
	c = w->c->next;
	w->c->next = NULL;
	q->last = w->c;
	for (; c; c = next) {
		next = c->next;
		chunk_release(q, c);
	}
}

uint64_t ts_recq_sweep(struct ts_recq *q, bool (*keep)(void *ctx, const void *rec), void *ctx)
{
	struct sweep_at w = { .c = q->first };
	struct ts_recq_chunk *c, *next;
	uint64_t dropped = 0;
	size_t off, used;

	for (c = q->first; c; c = next) {
		next = c->next; /* read before the chunk is rewritten */
		used = c->used;
		for (off = c->head; off < used;) {
			const struct ts_rec_hdr *h = (const void *)(c->data + off);
			uint16_t size = h->size;

			if (keep(ctx, h))
				sweep_put(&w, h, size);
			else
				dropped++;
			off += size;
		}
	}
	if (w.c)
		sweep_trim(q, &w);
	q->records -= dropped;
	return dropped;
}

bool ts_recq_full(const struct ts_recq *q)
{
	return q->nchunks >= q->max_chunks && !q->spare;
}

size_t ts_recq_bytes(const struct ts_recq *q)
{
	return q->nchunks * (size_t)TS_RECQ_CHUNK;
}

void ts_recq_free(struct ts_recq *q)
{
	struct ts_recq_chunk *c, *next;
	size_t max;

	if (!q)
		return;
	for (c = q->first; c; c = next) {
		next = c->next;
		munmap(c, TS_RECQ_CHUNK);
	}
	if (q->spare)
		munmap(q->spare, TS_RECQ_CHUNK);
	max = q->max_chunks;
	memset(q, 0, sizeof(*q));
	q->max_chunks = max;
}
