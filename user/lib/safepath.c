// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/safepath.h"
#include "lib/util.h"

/* Only root and we can have made it, and no one else can change it. */
static int check_owner_mode(const struct stat *st, const char *shown, char *why, size_t len)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(why, len, "%s is owned by uid %u", shown, (unsigned int)st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & 022) {
		snprintf(why, len, "%s is writable by %s", shown,
			 (st->st_mode & 002) ? "every user" : "its group");
		return -EPERM;
	}
	return 0;
}

static int check_dir(int fd, const char *shown, char *why, size_t len)
{
	struct stat st;

	if (fstat(fd, &st)) {
		snprintf(why, len, "%s: %s", shown, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, len, "%s is not a folder", shown);
		return -ENOTDIR;
	}
	return check_owner_mode(&st, shown, why, len);
}

/* The folder comp beneath the checked folder dfd, checked in turn: its fd, or -errno. */
static int step(int dfd, const char *comp, bool create, const char *shown, char *why, size_t len)
{
	const int flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dfd, comp, flags), err;
	struct stat st;

	if (fd < 0 && errno == ENOENT && create && (!mkdirat(dfd, comp, 0755) || errno == EEXIST))
		fd = openat(dfd, comp, flags);
	if (fd < 0) {
		err = -errno;
		if (!fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode)) {
			snprintf(why, len, "%s is a symbolic link", shown);
			return -ELOOP;
		}
		snprintf(why, len, "%s: %s", shown, strerror(-err));
		return err;
	}
	err = check_dir(fd, shown, why, len);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int ts_safe_dir(const char *path, bool create, char *why, size_t why_len)
{
	char comp[NAME_MAX + 1], shown[PATH_MAX];
	const char *p = path, *end;
	int fd, next;

	why[0] = '\0';
	if (path[0] != '/') {
		snprintf(why, why_len, "%s is not an absolute path", path);
		return -EINVAL;
	}
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	next = check_dir(fd, "/", why, why_len);
	while (!next && *p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		if (end - p > NAME_MAX || end - path >= (long)sizeof(shown)) {
			snprintf(why, why_len, "%s: %s", path, strerror(ENAMETOOLONG));
			next = -ENAMETOOLONG;
			break;
		}
		snprintf(comp, sizeof(comp), "%.*s", (int)(end - p), p);
		snprintf(shown, sizeof(shown), "%.*s", (int)(end - path), path);
		p = end;
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) { /* the checks go down only */
			snprintf(why, why_len, "%s: a \"..\" in the path", shown);
			next = -EINVAL;
			break;
		}
		next = step(fd, comp, create, shown, why, why_len);
		close(fd);
		fd = next;
		next = fd < 0 ? fd : 0;
	}
	if (next) {
		if (fd >= 0)
			close(fd);
		return next;
	}
	return fd;
}

int ts_safe_open(int dfd, const char *name, off_t max_size, char *why, size_t why_len)
{
	/* O_NONBLOCK: never wait on a FIFO; it is refused below as not a regular file */
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), err;
	struct stat st;

	why[0] = '\0';
	if (fd < 0) {
		err = -errno;
		snprintf(why, why_len, "%s: %s", name,
			 err == -ELOOP ? "a symbolic link" : strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		snprintf(why, why_len, "%s: %s", name, strerror(-err));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(why, why_len, "%s is not a regular file", name);
		err = -EINVAL;
	} else if (st.st_size > max_size) {
		snprintf(why, why_len, "%s is larger than %lld bytes", name, (long long)max_size);
		err = -EFBIG;
	} else {
		err = check_owner_mode(&st, name, why, why_len);
	}
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int ts_safe_write(int dfd, const char *name, const void *buf, size_t n, mode_t mode)
{
	char tmp[NAME_MAX + 1];
	int fd, err;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%d", name, getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlinkat(dfd, tmp, 0); /* one an earlier run with our pid left */
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0755);
	if (fd < 0)
		return -errno;
	err = ts_write_all(fd, buf, n, -1);
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(dfd, tmp, dfd, name))
		err = -errno;
	if (err)
		unlinkat(dfd, tmp, 0);
	return err;
}

int ts_state_dir_open(bool create)
{
	static bool said;
	const char *dir = ts_state_dir();
	char why[PATH_MAX + 64];
	int fd = ts_safe_dir(dir, create, why, sizeof(why));

	if (fd >= 0 || (fd == -ENOENT && !create))
		return fd;
	if (!said)
		warn("state folder %s not used: %s; nothing is kept between runs (set "
		     "TRACESMITH_STATE_DIR to a folder whose every parent is root's and "
		     "writable by no one else)\n",
		     dir, why);
	said = true;
	return fd;
}
