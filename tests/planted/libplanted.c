// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Another user's library, planted where the tracer might keep its own: if a
 * traced program ever loads it, its constructor leaves a marker file (the
 * path in $TS_PLANTED_MARKER) naming the uid it ran as. Tests assert the
 * marker never appears.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void planted(void)
{
	const char *marker = getenv("TS_PLANTED_MARKER");
	char line[64];
	int fd, n;

	if (!marker)
		return;
	fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "loaded as uid %d\n", (int)geteuid());
	if (write(fd, line, n) != n)
		n = 0;
	close(fd);
}
