/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TS_UTIL_H
#define TS_UTIL_H

#include <stdint.h>
#include <sys/types.h>
#include <stdarg.h>
#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Errors, everywhere in the project:
 *  - a function that can fail returns 0 or a negative errno (-ENOMEM, -EINVAL,
 *    ...), and hands back what it made through an out pointer
 *    (int ts_capture_create(path, &cap)); one that only allocates may
 *    return the object, NULL meaning -ENOMEM;
 *  - it says what went wrong with warn() where it knows best, once; callers
 *    pass the -errno up without a second message;
 *  - streams (struct ts_out, struct pb) keep their first -errno and the
 *    close reports it, as ferror() does; readers of untrusted bytes add
 *    where the data went bad (ts_cap_reader.err) to the -errno;
 *  - a command returns its exit status: 0, 1, or the traced command's;
 *  - cleanup happens once, at a `cleanup:` label, with NULL-safe destructors.
 */

/* The one place messages to the user go: stderr, prefixed with the tool name. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vwarn(const char *fmt, va_list ap);
/* A bad option or a missing argument: one line that points at --help. */
void ts_usage_error(const char *cmd, char **argv);

/* Verbose diagnostics, shown with -v. */
extern int ts_verbose;
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t ts_now_ns(int clock_id);

/* Read a whole small file (procfs) into buf, NUL-terminated; bytes read or -errno. */
int ts_read_file(const char *path, char *buf, size_t size);
/* Where the tracer keeps what outlives a run: $TRACESMITH_STATE_DIR, else /var/lib/tracesmith-bpf */
const char *ts_state_dir(void);
/* Write all n bytes (at off, or at the file offset when off < 0); 0 or -errno. */
int ts_write_all(int fd, const void *p, size_t n, off_t off);

/*
 * Numbers from the command line, whole strings only: a decimal integer in
 * [min, max] (no sign, no wrap-around), or a finite number of seconds in
 * (0, max]. 0, or -EINVAL (not a number) / -ERANGE (outside the range).
 */
int ts_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int ts_parse_seconds(const char *s, double max, double *out);

/* Which build: the Makefile defines it from `git describe`. */
#ifndef TS_VERSION
#define TS_VERSION "0.1.0"
#endif

#endif
