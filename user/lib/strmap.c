// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "lib/strmap.h"
#include "lib/budget.h"

/* 8 bytes a step: kernel names are long, and every slice has a few strings */
uint64_t ts_strhash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	while (n--)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h ^ h >> 32;
}

static int grow(struct ts_strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64, i, j;
	struct ts_strmap_ent *ents = calloc(cap, sizeof(*ents));

	if (!ents)
		return -1;
	for (i = 0; i < m->cap; i++) {
		if (!m->ents[i].str)
			continue;
		for (j = m->ents[i].hash & (cap - 1); ents[j].str; j = (j + 1) & (cap - 1))
			;
		ents[j] = m->ents[i];
	}
	free(m->ents);
	m->ents = ents;
	m->cap = cap;
	return 0;
}

/* The entry of s[0..n) (hash h), or the empty slot where it would go. */
static struct ts_strmap_ent *probe(const struct ts_strmap *m, uint64_t h, const char *s, size_t n)
{
	struct ts_strmap_ent *e;
	size_t i;

	for (i = h & (m->cap - 1); m->ents[i].str; i = (i + 1) & (m->cap - 1)) {
		e = &m->ents[i];
		if (e->hash == h && e->len == n && !memcmp(e->str, s, n))
			return e;
	}
	return &m->ents[i];
}

struct ts_strmap_ent *ts_strmap_find(const struct ts_strmap *m, const char *s, size_t n)
{
	struct ts_strmap_ent *e;

	if (!m->cap)
		return NULL;
	e = probe(m, ts_strhash(s, n), s, n);
	return e->str ? e : NULL;
}

bool ts_strmap_full(const struct ts_strmap *m, size_t n, size_t max_count)
{
	return m->count >= max_count || m->bytes + n + 1 > TS_CAP_STRING_BYTES;
}

struct ts_strmap_ent *ts_strmap_get(struct ts_strmap *m, const char *s, size_t n, bool *fresh)
{
	uint64_t h = ts_strhash(s, n);
	struct ts_strmap_ent *e;

	*fresh = false;
	if ((m->count + 1) * 2 > m->cap && grow(m))
		return NULL;
	e = probe(m, h, s, n);
	if (e->str)
		return e;
	e->str = malloc(n + 1);
	if (!e->str)
		return NULL;
	memcpy(e->str, s, n);
	e->str[n] = '\0';
	e->hash = h;
	e->len = n;
	e->val = 0;
	m->count++;
	m->bytes += n + 1;
	*fresh = true;
	return e;
}

void ts_strmap_free(struct ts_strmap *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->cap; i++)
		free(m->ents[i].str);
	free(m->ents);
	memset(m, 0, sizeof(*m));
}

void *ts_named_get(struct ts_strmap *t, const char *name, size_t len, size_t size)
{
	bool fresh;
	struct ts_strmap_ent *e;

	/* past the memory budget, a name not seen yet adds to the one of TS_NAMED_OTHERS */
	if (ts_strmap_full(t, len, TS_CAP_STATS_NAMES) && !ts_strmap_find(t, name, len)) {
		name = TS_NAMED_OTHERS;
		len = strlen(name);
	}
	e = ts_strmap_get(t, name, len, &fresh);

	if (!e)
		return NULL;
	if (!e->val)
		e->val = (uintptr_t)calloc(1, size);
	return ENT_VAL(e);
}

void ts_named_free(struct ts_strmap *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(ENT_VAL(&t->ents[i]));
	ts_strmap_free(t);
}

/* Entries sorted by cmp, for printing; the caller frees the array. */
struct ts_strmap_ent **ts_named_sorted(const struct ts_strmap *t,
				       int (*cmp)(const void *, const void *))
{
	struct ts_strmap_ent **v = calloc(t->count + 1, sizeof(*v));
	size_t i, n = 0;

	if (!v)
		return NULL;
	for (i = 0; i < t->cap; i++)
		if (t->ents[i].str && t->ents[i].val)
			v[n++] = &t->ents[i];
	if (n > 1) /* qsort(NULL, 0) is undefined */
		qsort(v, n, sizeof(*v), cmp);
	return v;
}
