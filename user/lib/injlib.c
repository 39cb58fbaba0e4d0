// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "lib/injlib.h"
#include "lib/safepath.h"
#include "lib/util.h"

/* Is name, beneath the checked folder dfd, exactly the library (in a file only we or root wrote)? */
static bool is_ours(const struct ts_injlib *l, int dfd, const char *name)
{
	char why[PATH_MAX];
	int fd = ts_safe_open(dfd, name, l->size, why, sizeof(why));
	unsigned char *buf = NULL;
	bool same = false;

	if (fd < 0)
		return false;
	if ((buf = malloc(l->size)) && pread(fd, buf, l->size, 0) == (ssize_t)l->size)
		same = !memcmp(buf, l->bytes, l->size);
	free(buf);
	close(fd);
	return same;
}

/* The library as name in the checked folder at path; l->path set. 0 or -errno. */
static int put_lib(struct ts_injlib *l, const char *path, const char *name, bool reuse)
{
	char why[PATH_MAX];
	int dfd = ts_safe_dir(path, false, why, sizeof(why)), err = 0;

	if (dfd < 0)
		return dfd;
	if (!reuse || !is_ours(l, dfd, name)) {
		err = ts_safe_write(dfd, name, l->bytes, l->size, 0644);
		if (!err && !is_ours(l, dfd, name))
			err = -EIO;
	}
	close(dfd);
	if (!err &&
	    (size_t)snprintf(l->path, sizeof(l->path), "%s/%s", path, name) >= sizeof(l->path))
		err = -ENAMETOOLONG;
	return err;
}

/*
 * In the state folder, under a name of its size and CRC, kept: only in a
 * folder no one but root (or we) can change, on a path no one else can
 * change either (the traced program opens it by path, later), and only a
 * file that is byte for byte ours (it runs inside the traced programs).
 */
static bool keep_lib(struct ts_injlib *l)
{
	int dfd = ts_state_dir_open(true);
	char name[96];

	if (dfd < 0)
		return false;
	close(dfd);
	snprintf(name, sizeof(name), "%s-%llu-%08lx.so", l->stem, (unsigned long long)l->size,
		 crc32(0, l->bytes, l->size));
	return !put_lib(l, ts_state_dir(), name, true);
}

/*
 * A folder of this run's own, made fresh in a checked folder ($TMPDIR when it
 * is one, else /run, root's): no one else can swap it or what is in it.
 */
static int private_lib(struct ts_injlib *l)
{
	const char *tmp = getenv("TMPDIR"), *places[] = { tmp && *tmp ? tmp : NULL, "/run" };
	char why[PATH_MAX] = "", last[PATH_MAX] = "", name[96];
	unsigned int i;
	int err = -EPERM, dfd;

	snprintf(name, sizeof(name), "%s.so", l->stem);
	for (i = 0; i < ARRAY_SIZE(places); i++) {
		if (!places[i])
			continue;
		dfd = ts_safe_dir(places[i], false, why, sizeof(why));
		if (dfd < 0) {
			snprintf(last, sizeof(last), "%s", why);
			continue;
		}
		close(dfd);
		/* mkdtemp: 0700, then readable by the command, which may drop privileges */
		snprintf(l->dir, sizeof(l->dir), "%s/%s-XXXXXX", places[i], l->stem + 3);
		if (!mkdtemp(l->dir) || chmod(l->dir, 0755)) {
			err = -errno;
			snprintf(last, sizeof(last), "%s: %s", l->dir, strerror(-err));
			rmdir(l->dir);
			l->dir[0] = '\0';
			continue;
		}
		err = put_lib(l, l->dir, name, false);
		if (!err)
			return 0;
		snprintf(last, sizeof(last), "%s: %s", l->dir, strerror(-err));
		ts_injlib_remove(l);
	}
	warn("%s: no safe folder for the injection library %s (%s); set TRACESMITH_STATE_DIR to "
	     "a folder whose every parent is root's and writable by no one else\n",
	     l->what, name, last);
	return err;
}

int ts_injlib_write(struct ts_injlib *l)
{
	int err = 0;

	l->dir[0] = '\0';
	if (!keep_lib(l)) {
		l->path[0] = '\0';
		err = private_lib(l);
	}
	if (!err)
		debug("%s: the injection library is %s\n", l->what, l->path);
	return err;
}

void ts_injlib_remove(struct ts_injlib *l)
{
	if (!l || !l->dir[0])
		return;
	/* a process that loaded it keeps its mapping; the uprobes keep the inode */
	if (l->path[0])
		unlink(l->path);
	rmdir(l->dir);
	l->dir[0] = l->path[0] = '\0';
}
