// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include "lib/hashmap.h"

static size_t slot(const struct ts_hmap *m, uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull);

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h & (m->cap - 1);
}

void ts_hmap_free(struct ts_hmap *m)
{
	if (!m)
		return;
	free(m->ents);
	m->ents = NULL;
	m->cap = m->count = 0;
}

uint64_t *ts_hmap_get(const struct ts_hmap *m, uint64_t a, uint64_t b)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = slot(m, a, b);; i = (i + 1) & (m->cap - 1)) {
		struct ts_hent *e = &m->ents[i];

		if (!e->used)
			return NULL;
		if (e->key.a == a && e->key.b == b)
			return &e->val;
	}
}

static int grow(struct ts_hmap *m)
{
	struct ts_hmap n = { .cap = m->cap ? m->cap * 2 : 64 };
	size_t i;

	n.ents = calloc(n.cap, sizeof(*n.ents));
	if (!n.ents)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->ents[i].used)
			ts_hmap_put(&n, m->ents[i].key.a, m->ents[i].key.b, m->ents[i].val);
	free(m->ents);
	*m = n;
	return 0;
}

int ts_hmap_put(struct ts_hmap *m, uint64_t a, uint64_t b, uint64_t val)
{
	uint64_t *v = ts_hmap_get(m, a, b);
	size_t i;

	if (v) {
		*v = val;
		return 0;
	}
	if ((m->count + 1) * 10 > m->cap * 7 && grow(m))
		return -ENOMEM;
	for (i = slot(m, a, b); m->ents[i].used; i = (i + 1) & (m->cap - 1))
		;
	m->ents[i] = (struct ts_hent){ { a, b }, val, true };
	m->count++;
	return 0;
}

static void del_at(struct ts_hmap *m, size_t i)
{
	size_t j = i, k;

	m->ents[i].used = false;
	m->count--;
	/* shift later members of the probe run back into the hole */
	for (;;) {
		j = (j + 1) & (m->cap - 1);
		if (!m->ents[j].used)
			return;
		k = slot(m, m->ents[j].key.a, m->ents[j].key.b);
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			m->ents[i] = m->ents[j];
			m->ents[j].used = false;
			i = j;
		}
	}
}

bool ts_hmap_del(struct ts_hmap *m, uint64_t a, uint64_t b, uint64_t *val)
{
	uint64_t *v = ts_hmap_get(m, a, b);

	if (!v)
		return false;
	if (val)
		*val = *v;
	del_at(m, (struct ts_hent *)((char *)v - offsetof(struct ts_hent, val)) - m->ents);
	return true;
}

void ts_hmap_del_all(struct ts_hmap *m, uint64_t a)
{
	size_t i = 0;

	while (i < m->cap) {
		/* a deletion can shift an unvisited entry into slot i: look again */
		if (m->ents[i].used && m->ents[i].key.a == a)
			del_at(m, i);
		else
			i++;
	}
}

void *ts_hmap_get_ptr(const struct ts_hmap *m, uint64_t a, uint64_t b)
{
	uint64_t *v = ts_hmap_get(m, a, b);

	return v ? (void *)(uintptr_t)*v : NULL;
}

int ts_hmap_put_owned(struct ts_hmap *m, uint64_t a, uint64_t b, void *p)
{
	uint64_t *old = ts_hmap_get(m, a, b);

	if (old) {
		free((void *)(uintptr_t)*old);
		*old = (uintptr_t)p;
	} else if (ts_hmap_put(m, a, b, (uintptr_t)p)) {
		free(p);
		return -ENOMEM;
	}
	return 0;
}

void ts_hmap_free_owned(struct ts_hmap *m, bool all, uint64_t a)
{
	struct ts_hent *e;

	ts_hmap_for_each (m, e)
		if (all || e->key.a == a)
			free((void *)(uintptr_t)e->val);
	/* no entry may outlive its pointer: a whole map is emptied too */
	if (all)
		ts_hmap_free(m);
	else
		ts_hmap_del_all(m, a);
}
