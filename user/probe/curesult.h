/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TS_CURESULT_H
#define TS_CURESULT_H

#include <stddef.h>

/* CUresult of the toolkit's stub libcuda: no GPU work can run with it */
#define TS_CUDA_ERROR_STUB_LIBRARY 34
/* CUresult of a query whose work is still running: an answer, not an error */
#define TS_CUDA_ERROR_NOT_READY 600

/*
 * The name of a CUresult, from CUDA 13's full table; "CUresult N" (in buf)
 * for a code the table does not have: never a wrong name.
 */
const char *ts_cu_result_name(int res, char *buf, size_t len);

#endif
