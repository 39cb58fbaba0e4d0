/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TS_DEMANGLE_H
#define TS_DEMANGLE_H

/* A malloc'd demangled C++ name, or a copy of name when it is not mangled. */
char *ts_demangle(const char *name);

#endif
