// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "probe/hooks.h"
#include "probe/libfind.h"
#include "run/libwatch.h"
#include "lib/util.h"

/* Was the file hooked already? If not, it is now counted as hooked (true: go on). */
static bool first_sight(struct ts_libwatch *w, const struct stat *st)
{
	unsigned int i;

	for (i = 0; i < w->n; i++)
		if (w->hooked[i].dev == st->st_dev && w->hooked[i].ino == st->st_ino)
			return false;
	if (w->n == ARRAY_SIZE(w->hooked)) {
		if (!w->cut++)
			warn("more than %u hooked library files: the others are not traced\n",
			     (unsigned int)ARRAY_SIZE(w->hooked));
		return false;
	}
	w->hooked[w->n].dev = st->st_dev;
	w->hooked[w->n++].ino = st->st_ino;
	return true;
}

/* Hook library lib in the file at path (shown as where); pid is who mapped it. */
static void hook_file(struct ts_libwatch *w, enum ts_lib_id lib, const char *path,
		      const char *where, pid_t pid)
{
	const struct ts_sym *syms;
	unsigned int nsyms = ts_syms(&syms);
	uint64_t *offs = calloc(nsyms, sizeof(*offs));
	struct stat st;
	char bid[128];
	int found;

	if (!offs || stat(path, &st) || !first_sight(w, &st))
		goto cleanup;
	found = ts_lib_symbols(path, lib, offs, nsyms, bid, sizeof(bid));
	if (found <= 0) {
		debug("%s (mapped by pid %d) exports none of %s's hooked functions\n", where, pid,
		      ts_libs[lib].name);
		goto cleanup;
	}
	if (!ts_probes_attach_lib(w->probes, path, offs))
		debug("hooked %s: %s (%d functions; mapped by pid %d)\n", ts_libs[lib].name, where,
		      found, pid);
cleanup:
	free(offs);
}

static void scan_pid(struct ts_libwatch *w, pid_t pid)
{
	static char paths[4][TS_PATH_MAX];
	unsigned int lib;
	int i, n;

	for (lib = 0; lib < TS_LIB__COUNT; lib++) {
		if (!ts_lib_watched(lib, w->opt_in))
			continue;
		n = ts_lib_maps(pid, ts_libs[lib].soname, paths, ARRAY_SIZE(paths));
		for (i = 0; i < n; i++)
			hook_file(w, lib, paths[i], paths[i], pid);
	}
}

void ts_libwatch_scan(struct ts_libwatch *w, pid_t pid)
{
	struct dirent *de;
	DIR *d;

	if (pid > 0) {
		scan_pid(w, pid);
		return;
	}
	d = opendir("/proc");
	while (d && (de = readdir(d)))
		if (atoi(de->d_name) > 0)
			scan_pid(w, atoi(de->d_name));
	if (d)
		closedir(d);
}

void ts_libwatch_on_map(void *ctx, const struct ts_rec_lib_map *r)
{
	struct ts_libwatch *w = ctx;
	char path[64], where[TS_PATH_MAX];
	ssize_t n;

	/* the fd the process maps from: its file, in whatever mount namespace it lives */
	snprintf(path, sizeof(path), "/proc/%u/fd/%d", r->hdr.pid, r->fd);
	n = readlink(path, where, sizeof(where) - 1);
	where[n > 0 ? n : 0] = '\0';
	if (ts_lib_watched(r->hdr.aux, w->opt_in))
		hook_file(w, r->hdr.aux, path, n > 0 ? where : path, r->hdr.pid);
	/* always, hooked or not: a process we stopped must never stay stopped */
	if ((r->hdr.flags & TS_LIBMAP_F_STOPPED) && kill(r->hdr.pid, SIGCONT) && errno != ESRCH)
		warn("cannot resume pid %u (kill SIGCONT): %s\n", r->hdr.pid, strerror(errno));
}
