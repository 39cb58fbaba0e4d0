/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TS_DEMANGLE_H
#define TS_DEMANGLE_H

/*
 * Demangled names are bounded: a few hundred bytes of mangled name can
 * demangle to gigabytes (each back-reference doubling the last), and the
 * name comes from a traced process or a capture.
 */
#define TS_DEMANGLE_MAX 4096

/* What a name over the bound is shown as: the mangled name, marked. */
#define TS_DEMANGLE_MARK " [not demangled: over 4096 bytes]"

/*
 * A malloc'd demangled C++ name; a copy of name when it is not mangled or not
 * valid; name + TS_DEMANGLE_MARK when the result would pass TS_DEMANGLE_MAX.
 * Time and memory are bounded by the bound: nothing larger is ever built.
 */
char *ts_demangle(const char *name);
/* A malloc'd demangled copy of the len bytes of a kernel name at s (not 0-terminated). */
char *ts_dup_name(const char *s, size_t len);

#endif
