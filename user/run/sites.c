// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
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

/* what is kept of a process: its maps text and its root folder (an O_PATH fd) */
struct ts_sites_maps {
	int root;
	size_t len;
	char text[];
};

static void maps_free(struct ts_sites_maps *m)
{
	if (m && m->root >= 0)
		close(m->root);
	free(m);
}

static void maps_drop(struct ts_sites *s, uint32_t pid)
{
	struct ts_sites_maps *m = ts_hmap_get_ptr(&s->maps, pid, 0);

	if (m && ts_hmap_del(&s->maps, pid, 0, NULL))
		maps_free(m);
}

/* Read pid's mappings now (kept in place of the last read); NULL when it is gone. */
static struct ts_sites_maps *maps_read(struct ts_sites *s, uint32_t pid)
{
	static char text[TS_SITES_MAPS_MAX];
	struct ts_sites_maps *m;
	char path[64];
	int n;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	n = ts_read_file(path, text, sizeof(text));
	if (n <= 0)
		return NULL;
	m = malloc(sizeof(*m) + n);
	if (!m)
		return NULL;
	memcpy(m->text, text, n);
	m->len = n;
	snprintf(path, sizeof(path), "/proc/%u/root", pid);
	m->root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (m->root < 0) {
		maps_free(m);
		return NULL;
	}
	maps_drop(s, pid);
	if (ts_hmap_put(&s->maps, pid, 0, (uintptr_t)m)) {
		maps_free(m);
		return NULL;
	}
	return m;
}

/* Is the process's executable named like an interpreter (python3.12, ...)? */
static bool python_exe(uint32_t pid)
{
	char link[64], exe[4096];
	const char *base;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	return !strncmp(base, "python", 6);
}

/*
 * A python executable whose interpreter is in a libpython that ld.so has not
 * mapped yet (we look as it execs): look again every 2 ms, up to 200 ms, so
 * that BPF knows it before the program's first call. The drain waits
 * meanwhile: the ring buffer holds what comes.
 */
static int wait_libpython(uint32_t pid, struct ts_py_proc *pp, unsigned int *minor, char *path,
			  size_t len)
{
	const struct timespec two_ms = { 0, 2000000 };
	int err = -ENOENT, i;

	for (i = 0; i < 100 && (err == -ENOENT || (err == -EAGAIN && !pp->runtime)); i++) {
		nanosleep(&two_ms, NULL);
		err = ts_py_find(pid, pp, minor, path, len);
	}
	return err;
}

void ts_sites_look(void *ctx, uint32_t pid)
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
	if (!looks && (err == -ENOENT || (err == -EAGAIN && !pp.runtime)) && python_exe(pid))
		err = wait_libpython(pid, &pp, &minor, path, sizeof(path));
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
	debug("--stacks: pid %u: no interpreter to read yet (%s)\n", pid, strerror(-err));
	if (err == -EAGAIN && pp.runtime)
		ts_probes_py_proc(s->probes, pid, &pp);
	ts_hmap_put(&s->procs, pid, 0, looks + 1);
}

void ts_sites_proc(void *ctx, uint32_t pid)
{
	/* a new thread's first call, or an exec: the mappings as they are now */
	maps_read(ctx, pid);
	ts_sites_look(ctx, pid);
}

/* The symbols of a mapped file (under the process's root), loaded once and kept. */
static const struct ts_elfsyms *file_syms(struct ts_sites *s, int root, const char *file)
{
	char path[4096 + 32];
	unsigned int i;
	struct stat st;

	if (fstatat(root, file + 1, &st, 0))
		return NULL;
	for (i = 0; i < TS_SITES_FILES; i++)
		if (s->files[i].used && s->files[i].dev == st.st_dev &&
		    s->files[i].ino == st.st_ino)
			return &s->files[i].syms;
	i = s->next_file++ % TS_SITES_FILES;
	ts_elfsyms_free(&s->files[i].syms);
	s->files[i].used = false;
	/* through the kept root: the process may be gone, its files are not */
	snprintf(path, sizeof(path), "/proc/self/fd/%d%s", root, file);
	if (ts_elfsyms_load(&s->files[i].syms, path))
		return NULL;
	s->files[i].dev = st.st_dev;
	s->files[i].ino = st.st_ino;
	s->files[i].used = true;
	return &s->files[i].syms;
}

/* The mapping holding addr in the maps kept: its file and addr's offset in it. */
static bool find_mapping(const struct ts_sites_maps *m, uint64_t addr, char *file, size_t len,
			 uint64_t *fileoff)
{
	const char *line = m->text, *end = m->text + m->len, *nl;
	char buf[4096 + 128], name[4096];
	uint64_t start, stop, off;
	size_t n;

	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', end - line);
		if (!nl)
			nl = end;
		n = (size_t)(nl - line) < sizeof(buf) - 1 ? (size_t)(nl - line) : sizeof(buf) - 1;
		memcpy(buf, line, n);
		buf[n] = '\0';
		if (sscanf(buf, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %*u %4095s", &start,
			   &stop, &off, name) != 4 ||
		    addr < start || addr >= stop || name[0] != '/')
			continue;
		snprintf(file, len, "%s", name);
		*fileoff = addr - start + off;
		return true;
	}
	return false;
}

/* "libfoo.so!symbol+0x1c", "libfoo.so+0x1234" without a symbol, "0x7f..." without a file */
static void name_caller(struct ts_sites *s, uint32_t pid, uint64_t addr, char *out, size_t len)
{
	const struct ts_elfsyms *syms;
	const struct ts_elfsym *e = NULL;
	char file[4096], *sym;
	const char *base;
	uint64_t off, vaddr = UINT64_MAX;

	struct ts_sites_maps *m = ts_hmap_get_ptr(&s->maps, pid, 0);

	/* not in the maps kept: a library loaded since, if the process is still there */
	if (!m || !find_mapping(m, addr, file, sizeof(file), &off)) {
		m = maps_read(s, pid);
		if (!m || !find_mapping(m, addr, file, sizeof(file), &off)) {
			snprintf(out, len, "0x%" PRIx64, addr);
			return;
		}
	}
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	syms = file_syms(s, m->root, file);
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
	maps_drop(s, pid);
	s->ncallers -= before - s->callers.count;
}

void ts_sites_free(struct ts_sites *s)
{
	struct ts_hent *e;
	unsigned int i;

	if (!s)
		return;
	if (s->unnamed)
		warn("--stacks: %" PRIu64 " native callers were over the bound of %u names: "
		     "shown as addresses\n",
		     s->unnamed, TS_SITES_MAX_CALLERS);
	ts_hmap_for_each (&s->maps, e)
		maps_free((struct ts_sites_maps *)(uintptr_t)e->val);
	ts_hmap_free(&s->maps);
	ts_hmap_free(&s->procs);
	ts_hmap_free(&s->callers);
	for (i = 0; i < TS_SITES_FILES; i++)
		ts_elfsyms_free(&s->files[i].syms);
}
