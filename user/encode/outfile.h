/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Output files that never follow a symlink and never destroy a trace: each is
 * written to a new file beside its target (PATH.partial.XXXXXX, created with
 * O_EXCL|O_NOFOLLOW) and renamed into place when complete, the previous file
 * at PATH kept as PATH.old (perf's convention). A run that never started
 * discards its new file and touches nothing. "-" is stdout; an existing
 * device or FIFO is written in place (renaming /dev/null would be worse).
 */
#ifndef TS_OUTFILE_H
#define TS_OUTFILE_H

#include <stdbool.h>

struct ts_outfile {
	int fd;
	char *path; /* the target */
	char *tmp;  /* the file being written; NULL when writing in place */
};

/* The tracer's own stderr, as an output path ("-" is stdout). */
#define TS_STDERR_PATH "-stderr"

/* Open a new file for path; -errno (-EISDIR for a directory) on failure. */
int ts_outfile_create(struct ts_outfile *f, const char *path);
/*
 * Put the file in place: fsync, keep what was at path as path.old, rename.
 * Closes f either way; 0 or -errno (the new file is then left as f->tmp was).
 */
int ts_outfile_commit(struct ts_outfile *f);
/*
 * Close, leaving the new file where it is (said on stderr): a write failed.
 * Whole or nothing (ts_outfile_set_whole): the new file is removed, unsaid.
 */
int ts_outfile_keep(struct ts_outfile *f);
/* Close and remove the new file: nothing at path changes. NULL-safe, idempotent. */
void ts_outfile_discard(struct ts_outfile *f);
/*
 * Whole or nothing, in this process until set back: a file whose writing
 * failed (ts_outfile_keep, a failed ts_outfile_commit) is removed, not kept
 * beside its target, and nothing is said here: the caller says it once. For
 * the flight recorder's snapshots, whose records are still in memory (a later
 * snapshot can be asked for) and whose partial files would only keep a full
 * disk full; a run's own outputs keep what was written. Returns the mode it
 * replaces.
 */
bool ts_outfile_set_whole(bool on);
bool ts_outfile_whole(void);

/*
 * Check a run's outputs before any is opened: none is a directory, none names
 * the same file as another output or as an input (same path or same inode).
 * Paths that are NULL or "-" are skipped. 0, or -EINVAL with a message.
 */
int ts_outfile_check(const char *const *outs, unsigned int nout, const char *const *ins,
		     unsigned int nin);

#endif
