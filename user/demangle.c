// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "demangle.h"

/* The Itanium C++ ABI demangler in libstdc++ / libc++abi. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

char *ts_demangle(const char *name)
{
	int status = -1;
	char *d;

	if (strncmp(name, "_Z", 2))
		return strdup(name);
	d = __cxa_demangle(name, NULL, NULL, &status);
	if (status == 0 && d)
		return d;
	free(d);
	return strdup(name);
}
