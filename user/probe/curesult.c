// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include "probe/curesult.h"
#include "probe/curesult_table.h"

const char *ts_cu_result_name(int res, char *buf, size_t len)
{
	switch (res) {
#define X(code, name)                                                                              \
	case code:                                                                                 \
		return name;
		TS_CURESULTS
#undef X
	default:
		snprintf(buf, len, "CUresult %d", res);
		return buf;
	}
}
