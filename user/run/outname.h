/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Output names for many nodes (trace-%h-%t.tsbpf): %h the host name, %p the
 * traced pid (-p; the tracer's own otherwise), %t the start time (UTC,
 * 20261127T083000Z), %% a percent sign; %n a flight-recorder snapshot's number;
 * %r is kept as it is: a JSON writer makes one file per NCCL rank of it.
 * And --start-at's time.
 */
#ifndef TS_OUTNAME_H
#define TS_OUTNAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/*
 * Expand the templates of in into out; -ENAMETOOLONG, or -EINVAL for an
 * unknown %x. snap: a flight-recorder snapshot's number for %n (0: none,
 * and %n is unknown).
 */
int ts_outname_expand(const char *in, char *out, size_t len, pid_t pid, time_t start,
		      unsigned int snap);
/*
 * A flight-recorder snapshot's name: %n its number, %t its time; a name with
 * neither gets .N before its format's extension (trace.json: trace.1.json).
 */
int ts_outname_snapshot(const char *in, char *out, size_t len, pid_t pid, time_t when,
			unsigned int snap);

/*
 * A wall-clock time: "@SECONDS" (since the epoch), "YYYY-MM-DDTHH:MM:SS[Z]"
 * (UTC), or "HH:MM[:SS]" (UTC, the next such time). CLOCK_REALTIME ns in *ns.
 */
int ts_parse_wall_time(const char *s, uint64_t *ns);

#endif
