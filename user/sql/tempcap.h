/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* SQLite's temporary files under a cap in bytes (sql_tempcap.c). */
#ifndef TS_SQL_TEMPCAP_H
#define TS_SQL_TEMPCAP_H

#include <sqlite3.h>
#include <stdint.h>

#define TS_SQL_TEMPCAP_VFS "tracesmith-tempcap"

/*
 * Register the VFS (once; a later call only sets the cap): a connection opened
 * with it gets SQLITE_FULL when its temporary files would hold more than
 * max_bytes together. 0 or -errno.
 */
int ts_sql_tempcap_register(uint64_t max_bytes);
/* The most bytes the temporary files held at once, so far. */
uint64_t ts_sql_tempcap_peak(void);

#endif
