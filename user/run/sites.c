// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "correlate/demangle.h"
#include "lib/util.h"
#include "probe/loader.h"
#include "probe/pyfind.h"
#include "run/sites.h"

/* (pid, 0) in procs: a count of looks, or one of these once it is settled */
#define PROC_FOUND  1000
#define PROC_NOT_PY 1001 /* no interpreter we can read: no more looks */

void ts_sites_init(struct ts_sites *s, struct ts_probes *probes)
{
	memset(s, 0, sizeof(*s));
	s->probes = probes;
}

void ts_sites_proc(void *ctx, uint32_t pid)
{
	struct ts_sites *s = ctx;
	uint64_t *st = ts_hmap_get(&s->procs, pid, 0), looks = st ? *st : 0;
	struct ts_py_proc pp;
	unsigned int minor;
	char path[4096];
	int err;

	if (looks >= TS_SITES_RETRIES)
		return; /* found, settled, or looked for often enough */
	err = ts_py_find(pid, &pp, &minor, path, sizeof(path));
	if (!err && ts_probes_py_proc(s->probes, pid, &pp))
		err = -ENOMEM;
	if (!err) {
		debug("--stacks: pid %u runs CPython 3.%u (%s)\n", pid, pp.o.minor, path);
		ts_hmap_put(&s->procs, pid, 0, PROC_FOUND);
		return;
	}
	if (err == -ENOTSUP) {
		warn("--stacks: pid %u runs CPython 3.%u (%s), whose frames this version cannot "
		     "read (3.11 and 3.12 it can): its calls get their native callers only\n",
		     pid, minor, path);
		ts_hmap_put(&s->procs, pid, 0, PROC_NOT_PY);
		return;
	}
	/*
	 * Found but not started yet (at exec): BPF gets the table's offsets now,
	 * before the program's first call, and they are checked again at its next
	 * calls. Offsets that turn out wrong make no wrong stack: BPF checks each
	 * code object's type. Not found (libpython not loaded yet): looked for
	 * again at its next calls.
	 */
	if (err == -EAGAIN && pp.runtime)
		ts_probes_py_proc(s->probes, pid, &pp);
	ts_hmap_put(&s->procs, pid, 0, looks + 1);
}

/* The symbols of a mapped file, loaded once and kept (TS_SITES_FILES at most). */
static const struct ts_elfsyms *file_syms(struct ts_sites *s, uint32_t pid, const char *file)
{
	char path[4096 + 32];
	unsigned int i;

	for (i = 0; i < TS_SITES_FILES; i++)
		if (s->files[i].used && !strcmp(s->files[i].path, file))
			return &s->files[i].syms;
	i = s->next_file++ % TS_SITES_FILES;
	ts_elfsyms_free(&s->files[i].syms);
	s->files[i].used = false;
	snprintf(path, sizeof(path), "/proc/%u/root%s", pid, file);
	if (ts_elfsyms_load(&s->files[i].syms, path))
		return NULL;
	snprintf(s->files[i].path, sizeof(s->files[i].path), "%s", file);
	s->files[i].used = true;
	return &s->files[i].syms;
}

/* The mapping of pid holding addr: its file and addr's offset in it. */
static bool find_mapping(uint32_t pid, uint64_t addr, char *file, size_t len, uint64_t *fileoff)
{
	char maps[64], line[4096 + 128], name[4096];
	uint64_t start, end, off;
	bool found = false;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%u/maps", pid);
	f = fopen(maps, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %*u %4095s", &start,
			   &end, &off, name) != 4 ||
		    addr < start || addr >= end || name[0] != '/')
			continue;
		snprintf(file, len, "%s", name);
		*fileoff = addr - start + off;
		found = true;
	}
	fclose(f);
	return found;
}

/* "libfoo.so!symbol+0x1c", "libfoo.so+0x1234" without a symbol, "0x7f..." without a file */
static void name_caller(struct ts_sites *s, uint32_t pid, uint64_t addr, char *out, size_t len)
{
	const struct ts_elfsyms *syms;
	const struct ts_elfsym *e = NULL;
	char file[4096], *sym;
	const char *base;
	uint64_t off, vaddr = UINT64_MAX;

	if (!find_mapping(pid, addr, file, sizeof(file), &off)) {
		snprintf(out, len, "0x%" PRIx64, addr);
		return;
	}
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	syms = file_syms(s, pid, file);
	if (syms)
		vaddr = ts_elfsyms_vaddr(syms, off);
	if (vaddr != UINT64_MAX)
		e = ts_elfsyms_at(syms, vaddr);
	if (!e) {
		snprintf(out, len, "%s+0x%" PRIx64, base, off);
		return;
	}
	sym = ts_demangle(ts_elfsym_name(syms, e));
	snprintf(out, len, "%s!%s+0x%" PRIx64, base, sym ? sym : ts_elfsym_name(syms, e),
		 vaddr - e->addr);
	free(sym);
}

bool ts_sites_caller(void *ctx, uint32_t pid, uint64_t addr, char *out, size_t len)
{
	struct ts_sites *s = ctx;

	if (!addr || ts_hmap_get(&s->callers, pid, addr))
		return false;
	if (s->ncallers >= TS_SITES_MAX_CALLERS) {
		s->unnamed++; /* shown as its address */
		return false;
	}
	if (ts_hmap_put(&s->callers, pid, addr, 1))
		return false;
	s->ncallers++;
	name_caller(s, pid, addr, out, len);
	return true;
}

void ts_sites_exit(void *ctx, uint32_t pid)
{
	struct ts_sites *s = ctx;
	uint64_t *st = ts_hmap_get(&s->procs, pid, 0);
	size_t before = s->callers.count;

	if (st && *st == PROC_FOUND)
		ts_probes_py_proc(s->probes, pid, NULL);
	ts_hmap_del(&s->procs, pid, 0, NULL);
	ts_hmap_del_all(&s->callers, pid);
	s->ncallers -= before - s->callers.count;
}

void ts_sites_free(struct ts_sites *s)
{
	unsigned int i;

	if (!s)
		return;
	if (s->unnamed)
		warn("--stacks: %" PRIu64 " native callers were over the bound of %u names: "
		     "shown as addresses\n",
		     s->unnamed, TS_SITES_MAX_CALLERS);
	ts_hmap_free(&s->procs);
	ts_hmap_free(&s->callers);
	for (i = 0; i < TS_SITES_FILES; i++)
		ts_elfsyms_free(&s->files[i].syms);
}
