/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Summary statistics, built as one more writer: it sees the same slices and
 * counters as the trace formats, keeps fixed-size aggregates, and prints
 * tables (or JSON) when the trace finishes.
 */
#ifndef TS_STATS_H
#define TS_STATS_H

#include <stdint.h>
#include "lib/hist.h"
#include "write/writer.h"

/* path "-" prints to stdout; json selects JSON over aligned text. */
int ts_stats_writer_open(const char *path, bool json, struct ts_writer **out);

#endif
