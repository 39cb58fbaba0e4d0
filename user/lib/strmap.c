// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "lib/strmap.h"

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

struct ts_strmap_ent *ts_strmap_get(struct ts_strmap *m, const char *s, size_t n, bool *fresh)
{
	uint64_t h = ts_strhash(s, n);
	struct ts_strmap_ent *e;
	size_t i;

	*fresh = false;
	if ((m->count + 1) * 2 > m->cap && grow(m))
		return NULL;
	for (i = h & (m->cap - 1); m->ents[i].str; i = (i + 1) & (m->cap - 1)) {
		e = &m->ents[i];
		if (e->hash == h && e->len == n && !memcmp(e->str, s, n))
			return e;
	}
	e = &m->ents[i];
	e->str = malloc(n + 1);
	if (!e->str)
		return NULL;
	memcpy(e->str, s, n);
	e->str[n] = '\0';
	e->hash = h;
	e->len = n;
	e->val = 0;
	m->count++;
	*fresh = true;
	return e;
}

struct ts_strmap_ent *ts_strmap_find(const struct ts_strmap *m, const char *s, size_t n)
{
	uint64_t h;
	size_t i;

	if (!m->cap)
		return NULL;
	h = ts_strhash(s, n);
	for (i = h & (m->cap - 1); m->ents[i].str; i = (i + 1) & (m->cap - 1))
		if (m->ents[i].hash == h && m->ents[i].len == n && !memcmp(m->ents[i].str, s, n))
			return &m->ents[i];
	return NULL;
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
	struct ts_strmap_ent *e = ts_strmap_get(t, name, len, &fresh);

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
