// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "correlate/pyline310.h"

/*
 * Pairs of (bytes the entry covers, signed line delta); a delta of -128 says
 * the entry's instructions have no line and leaves the line as it was. An
 * entry of 0 bytes only moves the line (PyLineTable_NextAddressRange skips
 * it the same way).
 */
int64_t ts_py310_line(const uint8_t *table, size_t len, int32_t firstlineno, uint64_t addr)
{
	int64_t line = firstlineno;
	uint64_t end = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		uint64_t start = end;
		int8_t delta = (int8_t)table[i + 1];

		end += table[i];
		if (delta != -128)
			line += delta;
		if (addr >= start && addr < end)
			return delta == -128 ? -1 : line;
	}
	return -2;
}
