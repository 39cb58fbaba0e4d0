/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A fresh temporary folder per test program, paths in it, and reading a file back. */
#ifndef TS_TMPDIR_H
#define TS_TMPDIR_H

/* Make /tmp/PREFIX-XXXXXX; 0 or -1. */
int test_dir_init(const char *prefix);
const char *test_dir(void);
/* DIR/name, in one of 16 rotating buffers. */
char *test_path(const char *name);
/* The file's first 1 MiB as a string, in one static buffer (empty if unreadable). */
char *test_slurp(const char *path);

#endif
