/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The stats reports: SQL over the SQLite export's schema, kept as readable
 * files in reports/ (copy and adapt them with `tracesmith-bpf query`), built
 * into the binary.
 */
#ifndef TS_REPORTS_H
#define TS_REPORTS_H

struct ts_report {
	const char *name; /* nsys stats' name where it has one */
	const char *what;
	const char *sql;
};

extern const struct ts_report ts_reports[];
extern const unsigned int ts_nreports;

/* The report called name, or NULL. */
const struct ts_report *ts_report_find(const char *name);

#endif
