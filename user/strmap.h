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
};

uint64_t ts_strhash(const char *s, size_t n);
/*
 * The entry for s[0..n), added with val 0 when new (*fresh is then true).
 * NULL on ENOMEM. The pointer is valid until the next insertion; ->str for
 * as long as the map.
 */
struct ts_strmap_ent *ts_strmap_get(struct ts_strmap *m, const char *s, size_t n, bool *fresh);
/* Frees the keys; values are the caller's. */
void ts_strmap_free(struct ts_strmap *m);

#endif
