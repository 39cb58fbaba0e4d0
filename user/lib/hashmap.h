/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Open-addressing hash map from a (u64, u64) key to a u64 value: the
 * correlator's handle maps, keyed by (pid, handle). Deletion shifts entries
 * back, so there are no tombstones and memory follows the live entry count.
 */
#ifndef TS_HASHMAP_H
#define TS_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ts_hkey {
	uint64_t a, b;
};

struct ts_hent {
	struct ts_hkey key;
	uint64_t val;
	bool used;
};

struct ts_hmap {
	struct ts_hent *ents;
	size_t cap, count;
};

void ts_hmap_free(struct ts_hmap *m);
/* Pointer to the value, or NULL. Valid until the next insert or delete. */
uint64_t *ts_hmap_get(const struct ts_hmap *m, uint64_t a, uint64_t b);
/* Insert or overwrite; -ENOMEM on failure. */
int ts_hmap_put(struct ts_hmap *m, uint64_t a, uint64_t b, uint64_t val);
/* true if the key was there; its value goes to *val when val is set. */
bool ts_hmap_del(struct ts_hmap *m, uint64_t a, uint64_t b, uint64_t *val);
/* Remove every entry whose key.a == a (a process that exited). */
void ts_hmap_del_all(struct ts_hmap *m, uint64_t a);

/* Each used entry e (a struct ts_hent *); the body must not insert or delete. */
#define ts_hmap_for_each(m, e)                                                                     \
	for ((e) = (m)->ents; (e) && (e) < (m)->ents + (m)->cap; (e)++)                            \
		if (!(e)->used) {                                                                  \
		} else

/*
 * Maps whose values are malloc'd pointers. get: the pointer or NULL. put:
 * store p, freeing the one it replaces (-ENOMEM, p freed, if it can't).
 * free: free the pointers whose key.a is a, and drop those entries; with
 * all, every pointer, and the map is left empty (as after ts_hmap_free).
 */
void *ts_hmap_get_ptr(const struct ts_hmap *m, uint64_t a, uint64_t b);
int ts_hmap_put_owned(struct ts_hmap *m, uint64_t a, uint64_t b, void *p);
void ts_hmap_free_owned(struct ts_hmap *m, bool all, uint64_t a);

#endif
