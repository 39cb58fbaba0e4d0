/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A strict reader of Prometheus' text format (0.0.4) for the tests: every
 * line a # HELP / # TYPE comment or `name{labels} value`, names valid, label
 * values escaped and valid UTF-8, each sample's family typed before it, every
 * counter named _total, no series twice. And a plain HTTP/1.0 client.
 */
#ifndef TS_PROM_PARSE_H
#define TS_PROM_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define PROM_MAX_LABELS 4

struct prom_sample {
	char *name;
	unsigned int nlabels;
	char *key[PROM_MAX_LABELS], *val[PROM_MAX_LABELS]; /* values unescaped */
	double value;
};

struct prom_page {
	struct prom_sample *s;
	size_t n;
	char err[256]; /* why parsing failed: the line and what is wrong */
};

/* 0, or -1 with p->err said. */
int prom_parse(const char *text, struct prom_page *p);
void prom_free(struct prom_page *p);
/*
 * The value of the sample called name whose labels are exactly the pairs in
 * kv (key, value, ..., NULL; NULL: no labels); -1 if there is none.
 */
double prom_get(const struct prom_page *p, const char *name, const char *const *kv);
#define PROM_LABELS(...) ((const char *const[]){ __VA_ARGS__, NULL })
/* How many samples are called name. */
size_t prom_count(const struct prom_page *p, const char *name);

/*
 * "METHOD PATH" to 127.0.0.1:port over HTTP/1.0: the status (or -1), the
 * body in a malloc'd *body (the caller frees it).
 */
int http_request(int port, const char *method, const char *path, char **body);
/* A port nobody listens on now (the kernel's pick). */
int free_port(void);

#endif
