/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An ELF file's symbols (.symtab, else .dynsym) and load segments, for
 * naming addresses in a traced process (a call's native caller) and for
 * finding an interpreter's globals (pyfind.c).
 */
#ifndef TS_ELFSYMS_H
#define TS_ELFSYMS_H

#include <stddef.h>
#include <stdint.h>

#define TS_ELF_MAX_SEGS 16

struct ts_elfsym {
	uint64_t addr, size;
	uint32_t name; /* offset in strs */
};

struct ts_elfsyms {
	struct ts_elfsym *v; /* by address */
	size_t n, cap;
	char *strs;
	size_t strs_len, strs_cap;
	struct {
		uint64_t off, vaddr, filesz;
	} segs[TS_ELF_MAX_SEGS];
	unsigned int nsegs;
};

/* Load path's symbols (functions and objects). 0 or -errno. */
int ts_elfsyms_load(struct ts_elfsyms *s, const char *path);
/* The symbol containing vaddr (else the nearest before it, within 64 KiB), or NULL. */
const struct ts_elfsym *ts_elfsyms_at(const struct ts_elfsyms *s, uint64_t vaddr);
/* A symbol by name, or NULL. */
const struct ts_elfsym *ts_elfsyms_find(const struct ts_elfsyms *s, const char *name);
/* The link-time address of a file offset (in a load segment), or UINT64_MAX. */
uint64_t ts_elfsyms_vaddr(const struct ts_elfsyms *s, uint64_t off);
static inline const char *ts_elfsym_name(const struct ts_elfsyms *s, const struct ts_elfsym *e)
{
	return s->strs + e->name;
}
void ts_elfsyms_free(struct ts_elfsyms *s);

#endif
