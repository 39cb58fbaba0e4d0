/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Prometheus' text exposition format (version 0.0.4), the pieces the metrics
 * writer needs: a bounded in-memory page, metric families (# HELP, # TYPE),
 * sample lines, and label values made safe from bytes a traced process chose.
 */
#ifndef TS_PROM_TEXT_H
#define TS_PROM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A label value from untrusted bytes is cut to this many bytes of input (at a
 * character boundary, "..." then marks the cut), so an escaped value is at
 * most 3 * TS_PROM_LABEL_IN + 3 bytes (TS_PROM_LABEL_MAX with its NUL).
 */
#define TS_PROM_LABEL_IN  128
#define TS_PROM_LABEL_MAX (3 * TS_PROM_LABEL_IN + 4)

/*
 * s[0..n) as a label value, escaped, in out (TS_PROM_LABEL_MAX bytes,
 * NUL-terminated): \ " and newline escaped as the format says; bytes that are
 * not valid UTF-8, and other control characters, as U+FFFD. Returns its length.
 */
size_t ts_prom_label(const char *s, size_t n, char *out);

/* A page being written: bounded, and full (nothing more added) past cap. */
struct ts_prom_page {
	char *buf;
	size_t len, cap;
	bool full; /* something did not fit: the page is cut and must not be served */
};

/* 0 or -ENOMEM. */
int ts_prom_page_init(struct ts_prom_page *p, size_t cap);
void ts_prom_page_free(struct ts_prom_page *p);
/* # HELP and # TYPE ("counter" or "gauge") of a family. */
void ts_prom_family(struct ts_prom_page *p, const char *name, const char *type, const char *help);
/*
 * One sample: name{labels} value. labels is the text between the braces,
 * already escaped (NULL or "": none).
 */
void ts_prom_u64(struct ts_prom_page *p, const char *name, const char *labels, uint64_t v);
/* A number of seconds from nanoseconds, exact to the nanosecond. */
void ts_prom_seconds(struct ts_prom_page *p, const char *name, const char *labels, uint64_t ns);
/* A ratio in [0, 1], or any double. */
void ts_prom_double(struct ts_prom_page *p, const char *name, const char *labels, double v);

#endif
