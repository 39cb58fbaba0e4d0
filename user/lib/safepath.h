/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Folders and files no other user can change: what the tracer keeps between
 * runs and reads back (learned name layouts), and what a traced program loads
 * from us (the --gpu-time library), runs as root. A path is only as safe as
 * its least safe folder: whoever may write any folder on it can swap what
 * lies below between our check and the program's load (a rename, even an
 * atomic RENAME_EXCHANGE of two folders). So every folder from / down is
 * checked through the descriptor of the one above it (never a path looked up
 * twice), and a symbolic link anywhere is refused:
 *  - folders: owned by root or by us, writable by no group and no other (a
 *    sticky world-writable folder such as /tmp is refused too: anyone may make
 *    entries in it);
 *  - files: opened beneath a checked folder with O_NOFOLLOW, regular, owned
 *    by root or by us, writable by no group and no other, of a bounded size.
 * The path string then names the same file for anyone who opens it later,
 * as only root (or we) could change any part of it.
 */
#ifndef TS_SAFEPATH_H
#define TS_SAFEPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Open the absolute folder path as above: a descriptor (O_PATH) to use with
 * the *at calls, or -errno with why (a phrase: "/home/u is owned by uid
 * 1000") filled. Missing folders are made (0755) when create is set.
 */
int ts_safe_dir(const char *path, bool create, char *why, size_t why_len);
/*
 * A file beneath the checked folder dfd, read-only: fd, or -errno with why
 * filled (-ENOENT: there is none).
 */
int ts_safe_open(int dfd, const char *name, off_t max_size, char *why, size_t why_len);
/*
 * Write n bytes as name in dfd (mode, never group/other-writable): a new file
 * beside it, renamed over it; never through a link. 0 or -errno.
 */
int ts_safe_write(int dfd, const char *name, const void *buf, size_t n, mode_t mode);

/*
 * The state folder (ts_state_dir()) opened as above, or -errno: when it is
 * not safe, one line says why, once per run (nothing is kept or read back);
 * a quiet -ENOENT without create when it does not exist.
 */
int ts_state_dir_open(bool create);

#endif
