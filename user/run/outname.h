/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Output names for many nodes (trace-%h-%t.tsbpf): %h the host name, %p the
 * traced pid (-p; the tracer's own otherwise), %t the start time (UTC,
 * 20261127T083000Z), %% a percent sign. And --start-at's time.
 */
#ifndef TS_OUTNAME_H
#define TS_OUTNAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Expand the templates of in into out; -ENAMETOOLONG, or -EINVAL for an unknown %x. */
int ts_outname_expand(const char *in, char *out, size_t len, pid_t pid, time_t start);

/*
 * A wall-clock time: "@SECONDS" (since the epoch), "YYYY-MM-DDTHH:MM:SS[Z]"
 * (UTC), or "HH:MM[:SS]" (UTC, the next such time). CLOCK_REALTIME ns in *ns.
 */
int ts_parse_wall_time(const char *s, uint64_t *ns);

#endif
