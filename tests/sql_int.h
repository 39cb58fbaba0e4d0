/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading a number back from a trace's SQLite export, in the root runs' checks. */
#ifndef TS_TEST_SQL_INT_H
#define TS_TEST_SQL_INT_H

#include <sqlite3.h>

/* The first column of q's first row as an integer, or -1 if q gives no row; q must prepare. */
long long sql_int(sqlite3 *db, const char *q);

#endif
