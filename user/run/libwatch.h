/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The libraries above the driver (NCCL), hooked wherever they are: the
 * copies already mapped when the trace starts, and each file a traced
 * process maps later (TS_REC_LIB_MAP), from any folder.
 */
#ifndef TS_LIBWATCH_H
#define TS_LIBWATCH_H

#include <stdint.h>
#include <sys/types.h>
#include "probe/loader.h"
#include "tracesmith.h"

struct ts_libwatch {
	struct ts_probes *probes;
	struct {
		dev_t dev;
		ino_t ino;
	} hooked[TS_MAX_LIBS]; /* files hooked: each once, whoever maps it */
	unsigned int n;
	uint64_t cut; /* files not hooked: TS_MAX_LIBS reached */
	bool opt_in;  /* the libraries hooked only when asked are (--runtime-api) */
};

/* Hook the upper libraries pid has mapped now (every process's with pid < 0). */
void ts_libwatch_scan(struct ts_libwatch *w, pid_t pid);
/* A TS_REC_LIB_MAP: hook the file if new, and let the stopped process go on. */
void ts_libwatch_on_map(void *ctx, const struct ts_rec_lib_map *r);

#endif
