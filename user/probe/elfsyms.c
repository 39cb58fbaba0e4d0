// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "probe/elfsyms.h"

/* a file with more symbols than this is named by its first ones only: bounded memory */
#define MAX_SYMS    (4u << 20)
#define MAX_STRS    (256u << 20)
#define NEAR_WINDOW 65536

static int by_addr(const void *a, const void *b)
{
	const struct ts_elfsym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load_segs(struct ts_elfsyms *s, Elf *e)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(e, &n))
		return;
	for (i = 0; i < n && s->nsegs < TS_ELF_MAX_SEGS; i++) {
		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		s->segs[s->nsegs].off = ph.p_offset;
		s->segs[s->nsegs].vaddr = ph.p_vaddr;
		s->segs[s->nsegs].filesz = ph.p_filesz;
		s->nsegs++;
	}
}

/* The symbol table of one section into s (appended). */
static int load_table(struct ts_elfsyms *s, Elf *e, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t i, n = sh->sh_size / sh->sh_entsize, len;
	struct ts_elfsym *v;
	const char *name;
	GElf_Sym sym;
	char *strs;

	if (!d)
		return 0;
	for (i = 0; i < n && s->n < MAX_SYMS; i++) {
		if (!gelf_getsym(d, i, &sym) || !sym.st_value || sym.st_shndx == SHN_UNDEF ||
		    (GELF_ST_TYPE(sym.st_info) != STT_FUNC &&
		     GELF_ST_TYPE(sym.st_info) != STT_OBJECT))
			continue;
		name = elf_strptr(e, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		len = strlen(name) + 1;
		if (s->strs_len + len > MAX_STRS)
			break;
		if (s->n == s->cap) {
			v = realloc(s->v, (s->cap * 2 + 64) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			s->v = v;
			s->cap = s->cap * 2 + 64;
		}
		if (s->strs_len + len > s->strs_cap) {
			strs = realloc(s->strs, s->strs_cap * 2 + len + 4096);
			if (!strs)
				return -ENOMEM;
			s->strs = strs;
			s->strs_cap = s->strs_cap * 2 + len + 4096;
		}
		memcpy(s->strs + s->strs_len, name, len);
		s->v[s->n].addr = sym.st_value;
		s->v[s->n].size = sym.st_size;
		s->v[s->n].name = s->strs_len;
		s->strs_len += len;
		s->n++;
	}
	return 0;
}

int ts_elfsyms_load(struct ts_elfsyms *s, const char *path)
{
	Elf_Scn *scn = NULL, *dyn = NULL, *tab = NULL;
	GElf_Shdr sh, dsh, tsh;
	int fd, err = 0;
	Elf *e;

	memset(s, 0, sizeof(*s));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto cleanup;
	}
	load_segs(s, e);
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize)
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			tab = scn;
			tsh = sh;
		} else if (sh.sh_type == SHT_DYNSYM) {
			dyn = scn;
			dsh = sh;
		}
	}
	/* .symtab has the local functions too; a stripped file has .dynsym only */
	if (tab)
		err = load_table(s, e, tab, &tsh);
	if (!err && dyn && (!tab || !s->n))
		err = load_table(s, e, dyn, &dsh);
	if (!err && s->n)
		qsort(s->v, s->n, sizeof(*s->v), by_addr);
cleanup:
	if (e)
		elf_end(e);
	close(fd);
	if (err)
		ts_elfsyms_free(s);
	return err;
}

const struct ts_elfsym *ts_elfsyms_at(const struct ts_elfsyms *s, uint64_t vaddr)
{
	size_t lo = 0, hi = s->n;
	const struct ts_elfsym *e;

	/* the last symbol at or below vaddr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	e = &s->v[lo - 1];
	if (vaddr < e->addr + e->size || (!e->size && vaddr - e->addr < NEAR_WINDOW))
		return e;
	return NULL;
}

const struct ts_elfsym *ts_elfsyms_find(const struct ts_elfsyms *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->strs + s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

uint64_t ts_elfsyms_vaddr(const struct ts_elfsyms *s, uint64_t off)
{
	unsigned int i;

	for (i = 0; i < s->nsegs; i++)
		if (off >= s->segs[i].off && off - s->segs[i].off <= s->segs[i].filesz)
			return s->segs[i].vaddr + (off - s->segs[i].off);
	return UINT64_MAX;
}

void ts_elfsyms_free(struct ts_elfsyms *s)
{
	if (!s)
		return;
	free(s->v);
	free(s->strs);
	memset(s, 0, sizeof(*s));
}
