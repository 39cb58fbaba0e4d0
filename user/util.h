/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TS_UTIL_H
#define TS_UTIL_H

#include <stdint.h>
#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The one place messages to the user go: stderr, prefixed with the tool name. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Verbose diagnostics, shown with -v. */
extern int ts_verbose;
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t ts_now_ns(int clock_id);

/* Read a whole small file (procfs) into buf, NUL-terminated; bytes read or -errno. */
int ts_read_file(const char *path, char *buf, size_t size);

#endif
