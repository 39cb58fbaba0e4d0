/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The demangling bomb of tests/workloads.h's hostile workload, built the same everywhere. */
#ifndef TS_HOSTILE_H
#define TS_HOSTILE_H

#include <stdio.h>
#include "workloads.h"

/* A back-reference in the Itanium ABI: S_, S0_, S1_, ... S9_, SA_, ... */
static inline int hostile_seq_id(char *out, int i)
{
	static const char d[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

	if (i == 0)
		return sprintf(out, "S_");
	i--;
	if (i < 36)
		return sprintf(out, "S%c_", d[i]);
	return sprintf(out, "S%c%c_", d[i / 36 % 36], d[i % 36]);
}

/* f<A<int,int>, X1, X2, ...>() where each Xk is S_<Xk-1, Xk-1>: text that doubles */
static inline void hostile_bomb(char out[HOSTILE_BOMB_LEN + 1])
{
	char ref[8];
	int n = sprintf(out, "_Z1fI1AIiiE"), k;

	for (k = 0; k < HOSTILE_BOMB_LEVELS; k++) {
		hostile_seq_id(ref, k + 1);
		n += sprintf(out + n, "S_I%s%sE", ref, ref);
	}
	sprintf(out + n, "Evv");
}

#endif
