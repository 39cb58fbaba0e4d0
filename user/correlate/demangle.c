// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>
#include "correlate/demangle.h"

/* The same options as libstdc++'s __cxa_demangle: the same text for every name. */
#define DEMANGLE_OPTS (DMGL_PARAMS | DMGL_TYPES)

struct dm_out {
	jmp_buf over; /* taken as soon as the output would pass the bound */
	size_t len;
	char buf[TS_DEMANGLE_MAX + 1];
};

/*
 * libiberty hands the output over in pieces as it prints. Its callback form
 * keeps all state on the stack (no malloc), so leaving with longjmp the
 * moment the bound is passed leaks nothing and stops the work there.
 */
static void dm_put(const char *s, size_t n, void *opaque)
{
	struct dm_out *o = opaque;

	if (n > TS_DEMANGLE_MAX - o->len)
		longjmp(o->over, 1);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

char *ts_demangle(const char *name)
{
	struct dm_out *o;
	char *d = NULL;

	if (strncmp(name, "_Z", 2))
		return strdup(name);
	o = malloc(sizeof(*o));
	if (!o)
		return NULL;
	o->len = 0;
	if (setjmp(o->over)) {
		if (asprintf(&d, "%s%s", name, TS_DEMANGLE_MARK) < 0)
			d = NULL;
	} else if (cplus_demangle_v3_callback(name, DEMANGLE_OPTS, dm_put, o) && o->len) {
		o->buf[o->len] = '\0';
		d = strdup(o->buf);
	} else {
		d = strdup(name); /* not a valid mangled name: shown as it is */
	}
	free(o);
	return d;
}

char *ts_dup_name(const char *s, size_t len)
{
	char *raw = strndup(s, len), *d;

	if (!raw)
		return NULL;
	d = ts_demangle(raw);
	free(raw);
	return d;
}
