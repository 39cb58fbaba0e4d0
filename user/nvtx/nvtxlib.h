/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * NVTX ranges on the tracer's side: the injection library (user/nvtx/inject.c),
 * built into this binary, written out for the -- command, and the
 * environment that makes the program's NVTX load it at its first NVTX call.
 */
#ifndef TS_NVTXLIB_H
#define TS_NVTXLIB_H

#include "lib/injlib.h"

/*
 * Write the library out and set NVTX_INJECTION64_PATH for the command about
 * to start; l->path empty when NVTX is left alone (the user's own
 * NVTX_INJECTION64_PATH is kept: said once). 0, or -errno with one line said.
 */
int ts_nvtx_prepare(struct ts_injlib *l);
/* Remove what prepare wrote. NULL-safe. */
void ts_nvtx_cleanup(struct ts_injlib *l);

#endif
