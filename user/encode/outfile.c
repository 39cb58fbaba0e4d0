// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "encode/outfile.h"
#include "lib/util.h"

#define TMP_TRIES 64

static bool whole_only; /* ts_outfile_set_whole */

bool ts_outfile_set_whole(bool on)
{
	bool was = whole_only;

	whole_only = on;
	return was;
}

bool ts_outfile_whole(void)
{
	return whole_only;
}

/* A new file whose writing failed: removed when whole or nothing (true), else kept. */
static bool drop_tmp(const struct ts_outfile *f)
{
	if (whole_only)
		unlink(f->tmp);
	return whole_only;
}

static void outfile_reset(struct ts_outfile *f)
{
	free(f->path);
	free(f->tmp);
	f->path = f->tmp = NULL;
	f->fd = -1;
}

/* Six random name characters; *seed advances. */
static void random_suffix(uint64_t *seed, char sfx[7])
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	int k;

	for (k = 0; k < 6; k++) {
		*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
		sfx[k] = set[(*seed >> 33) % (sizeof(set) - 1)];
	}
	sfx[6] = '\0';
}

static uint64_t random_seed(void)
{
	return ts_now_ns(CLOCK_MONOTONIC) ^ ((uint64_t)getpid() << 32);
}

/* A fresh PATH.partial.XXXXXX: O_EXCL, so neither a planted file nor a link is ever reused. */
static int create_tmp(struct ts_outfile *f)
{
	uint64_t seed = random_seed();
	size_t n = strlen(f->path) + sizeof(".partial.XXXXXX");
	int i;

	f->tmp = malloc(n);
	if (!f->tmp)
		return -ENOMEM;
	for (i = 0; i < TMP_TRIES; i++) {
		char sfx[7];

		random_suffix(&seed, sfx);
		snprintf(f->tmp, n, "%s.partial.%s", f->path, sfx);
		f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f->fd >= 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/*
 * FILE.old is a directory (planted, say, by another user in a sticky /tmp):
 * rename cannot replace it and nothing should go into it, so the earlier FILE
 * goes to a fresh FILE.old.XXXXXX instead (RENAME_NOREPLACE: never over
 * anything), said once. 0 or -errno.
 */
static int keep_aside(const char *path, const char *old)
{
	uint64_t seed = random_seed();
	char *alt = NULL;
	int i, err = -EEXIST;

	if (asprintf(&alt, "%s.XXXXXX", old) < 0)
		return -ENOMEM;
	for (i = 0; i < TMP_TRIES && err == -EEXIST; i++) {
		random_suffix(&seed, alt + strlen(old) + 1);
		err = renameat2(AT_FDCWD, path, AT_FDCWD, alt, RENAME_NOREPLACE) ? -errno : 0;
	}
	if (!err)
		warn("%s is not a file; the previous %s is kept as %s\n", old, path, alt);
	free(alt);
	return err;
}

int ts_outfile_create(struct ts_outfile *f, const char *path)
{
	struct stat st;
	bool exists;
	int err;

	f->fd = -1;
	f->tmp = NULL;
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	exists = !lstat(path, &st);
	if (!strcmp(path, "-") || !strcmp(path, TS_STDERR_PATH)) {
		f->fd = dup(strcmp(path, "-") ? STDERR_FILENO : STDOUT_FILENO);
		err = f->fd < 0 ? -errno : 0;
	} else if (exists && S_ISDIR(st.st_mode)) {
		err = -EISDIR;
	} else if (exists && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		/* a FIFO or a device: streamed into, never replaced */
		f->fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		err = f->fd < 0 ? -errno : 0;
	} else {
		err = create_tmp(f);
	}
	if (err)
		outfile_reset(f);
	return err;
}

int ts_outfile_commit(struct ts_outfile *f)
{
	char *old = NULL;
	struct stat st;
	int err = 0;

	if (f->fd < 0)
		return 0;
	if (f->tmp && fsync(f->fd) && errno != EINVAL)
		err = -errno;
	if (close(f->fd) && !err)
		err = -errno;
	f->fd = -1;
	if (err || !f->tmp)
		goto cleanup;
	if (!lstat(f->path, &st)) {
		if (asprintf(&old, "%s.old", f->path) < 0) {
			old = NULL;
			err = -ENOMEM;
			goto cleanup;
		}
		/* rename moves a symlink itself: its target is never touched */
		err = rename(f->path, old) ? -errno : 0;
		if (err == -EISDIR || err == -ENOTEMPTY || err == -EEXIST)
			err = keep_aside(f->path, old);
		if (err)
			goto cleanup;
		debug("kept the previous %s as %s\n", f->path, old);
	}
	if (rename(f->tmp, f->path))
		err = -errno;
cleanup:
	if (err && f->tmp && !drop_tmp(f))
		warn("%s: %s; what was written is in %s\n", f->path, strerror(-err), f->tmp);
	free(old);
	outfile_reset(f);
	return err;
}

int ts_outfile_keep(struct ts_outfile *f)
{
	int err = 0;

	if (f->fd >= 0 && close(f->fd))
		err = -errno;
	if (f->tmp && !drop_tmp(f))
		warn("%s was left as it was; what was written is in %s\n", f->path, f->tmp);
	outfile_reset(f);
	return err;
}

void ts_outfile_discard(struct ts_outfile *f)
{
	if (!f || !f->path)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		unlink(f->tmp);
	outfile_reset(f);
}

/* The directory's real path plus the last name: equal keys are one file, existing or not. */
static char *path_key(const char *path)
{
	char *a = strdup(path), *b = strdup(path), *key = NULL;
	char real[PATH_MAX];

	if (a && b && realpath(dirname(a), real) &&
	    asprintf(&key, "%s/%s", strcmp(real, "/") ? real : "", basename(b)) < 0)
		key = NULL;
	free(a);
	free(b);
	return key;
}

static bool same_inode(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool same_file(const char *a, const char *b)
{
	char *ka = path_key(a), *kb = path_key(b);
	bool same = (ka && kb && !strcmp(ka, kb)) || same_inode(a, b);

	free(ka);
	free(kb);
	return same;
}

/* The output's target or the PATH.old it will push aside is the input. */
static bool clobbers(const char *out, const char *in)
{
	char old[PATH_MAX];

	if (same_file(out, in))
		return true;
	snprintf(old, sizeof(old), "%s.old", out);
	return same_file(old, in);
}

int ts_outfile_check(const char *const *outs, unsigned int nout, const char *const *ins,
		     unsigned int nin)
{
	unsigned int i, j;
	struct stat st;

	for (i = 0; i < nout; i++) {
		if (!outs[i] || !strcmp(outs[i], "-"))
			continue;
		if (!lstat(outs[i], &st) && S_ISDIR(st.st_mode)) {
			warn("-o %s: is a directory; name a file in it\n", outs[i]);
			return -EINVAL;
		}
		for (j = 0; j < nin; j++)
			if (ins[j] && clobbers(outs[i], ins[j])) {
				warn("-o %s would overwrite the input %s; write to another file\n",
				     outs[i], ins[j]);
				return -EINVAL;
			}
		for (j = 0; j < i; j++)
			if (outs[j] && strcmp(outs[j], "-") && same_file(outs[i], outs[j])) {
				warn("-o %s and -o %s are the same file; give each output its own\n",
				     outs[j], outs[i]);
				return -EINVAL;
			}
	}
	return 0;
}
