/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A string-keyed open-addressing map: the protobuf writer's interning tables
 * and the stats' named aggregates. Keys are copied; values are a u64 each.
 */
#ifndef TS_STRMAP_H
#define TS_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ts_strmap_ent {
	uint64_t hash;
	char *str; /* NUL-terminated copy of the key; NULL in an empty slot */
	uint32_t len;
	uint64_t val;
};

struct ts_strmap {
	struct ts_strmap_ent *ents;
	size_t cap, count;
	size_t bytes; /* of the keys */
};

uint64_t ts_strhash(const char *s, size_t n);
/*
 * The entry for s[0..n), added with val 0 when new (*fresh is then true).
 * NULL on ENOMEM. The pointer is valid until the next insertion; ->str for
 * as long as the map.
 */
struct ts_strmap_ent *ts_strmap_get(struct ts_strmap *m, const char *s, size_t n, bool *fresh);
/* The entry for s[0..n) if there is one; never adds. */
struct ts_strmap_ent *ts_strmap_find(const struct ts_strmap *m, const char *s, size_t n);
/* Would adding an n-byte key take the map past max_count keys or TS_CAP_STRING_BYTES? */
bool ts_strmap_full(const struct ts_strmap *m, size_t n, size_t max_count);
/* Frees the keys; values are the caller's. */
void ts_strmap_free(struct ts_strmap *m);

/*
 * Named aggregates: a strmap whose values are calloc'd structs of the
 * caller's choosing. get: the struct for name (made, zeroed, when new), NULL
 * on ENOMEM. free: frees the structs and the map. sorted: the entries that
 * hold one, in cmp's order, NULL-terminated, for printing; the caller frees
 * the array.
 */
#define ts_named   ts_strmap
#define ENT_VAL(e) ((void *)(uintptr_t)(e)->val)

/* Where the names past the memory budget (budget.h) are summed: one entry for them all. */
#define TS_NAMED_OTHERS "(others, past the memory budget)"
void *ts_named_get(struct ts_strmap *t, const char *name, size_t len, size_t size);
void ts_named_free(struct ts_strmap *t);
struct ts_strmap_ent **ts_named_sorted(const struct ts_strmap *t,
				       int (*cmp)(const void *, const void *));

#endif
