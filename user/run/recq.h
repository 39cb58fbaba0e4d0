/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A queue of records in a bounded amount of memory (the flight recorder's
 * window and its kept metadata): records are copied in at the tail, in
 * chunks of TS_RECQ_CHUNK bytes mapped as needed and given back as they
 * empty, so memory follows what is held. At the bound, the oldest whole
 * chunk goes: its records are counted in cut.
 */
#ifndef TS_RECQ_H
#define TS_RECQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_RECQ_CHUNK (256u << 10)

struct ts_recq_chunk;

struct ts_recq {
	struct ts_recq_chunk *first, *last, *spare;
	size_t nchunks, max_chunks; /* chunks mapped (the spare included), and the bound */
	uint64_t records;	    /* held now */
	uint64_t cut;		    /* records let go to stay within the bound */
};

/* A queue of at most max_bytes (at least one chunk); nothing is mapped yet. */
void ts_recq_init(struct ts_recq *q, size_t max_bytes);
/* Copy rec (a checked record, hdr.size bytes) in at the tail; 0 or -ENOMEM. */
int ts_recq_push(struct ts_recq *q, const void *rec);
/* The oldest record, or NULL when empty. */
const void *ts_recq_peek(const struct ts_recq *q);
/* Let the oldest record go. */
void ts_recq_pop(struct ts_recq *q);
/* Each record, oldest first, while fn returns 0; fn's first non-zero return. */
int ts_recq_each(const struct ts_recq *q, int (*fn)(void *ctx, const void *rec), void *ctx);
/*
 * Keep only the records keep says yes to, in their order, packed into the
 * chunks they were in (emptied chunks go); the records dropped, not counted
 * in cut. O(records held): run it when it frees much, not per record.
 */
uint64_t ts_recq_sweep(struct ts_recq *q, bool (*keep)(void *ctx, const void *rec), void *ctx);
/* true when the next chunk filled would let the oldest go. */
bool ts_recq_full(const struct ts_recq *q);
/* Bytes mapped now. */
size_t ts_recq_bytes(const struct ts_recq *q);
/* Unmap everything; the queue is empty (and can be used again). NULL-safe. */
void ts_recq_free(struct ts_recq *q);

#endif
