// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "encode/utf8.h"
#include "write/prom_text.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

size_t ts_prom_label(const char *s, size_t n, char *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, k;

	while (i < n) {
		if (i >= TS_PROM_LABEL_IN) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		k = u[i] < 0x80 ? 1 : ts_utf8_seq(u + i, n - i);
		/* a character that would cross the bound is cut: never half of one */
		if (k > 1 && i + k > TS_PROM_LABEL_IN) {
			i = TS_PROM_LABEL_IN;
			continue;
		}
		if (k > 1) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		if (u[i] == '\\' || u[i] == '"') {
			out[o++] = '\\';
			out[o++] = u[i];
		} else if (u[i] == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (k == 0 || u[i] < 0x20 || u[i] == 0x7f) {
			memcpy(out + o, replacement, 3);
			o += 3;
		} else {
			out[o++] = u[i];
		}
		i++;
	}
	out[o] = '\0';
	return o;
}

int ts_prom_page_init(struct ts_prom_page *p, size_t cap)
{
	memset(p, 0, sizeof(*p));
	p->buf = malloc(cap);
	if (!p->buf)
		return -ENOMEM;
	p->cap = cap;
	return 0;
}

void ts_prom_page_free(struct ts_prom_page *p)
{
	if (!p)
		return;
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

/* A whole line, or nothing: a page never ends inside one. */
static void line(struct ts_prom_page *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(p->buf + p->len, p->cap - p->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= p->cap - p->len) {
		p->full = true;
		p->buf[p->len] = '\0';
		return;
	}
	p->len += n;
}

void ts_prom_family(struct ts_prom_page *p, const char *name, const char *type, const char *help)
{
	line(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *open_brace(const char *labels)
{
	return labels && labels[0] ? "{" : "";
}

static const char *close_brace(const char *labels)
{
	return labels && labels[0] ? "}" : "";
}

void ts_prom_u64(struct ts_prom_page *p, const char *name, const char *labels, uint64_t v)
{
	line(p, "%s%s%s%s %llu\n", name, open_brace(labels), labels ? labels : "",
	     close_brace(labels), (unsigned long long)v);
}

void ts_prom_seconds(struct ts_prom_page *p, const char *name, const char *labels, uint64_t ns)
{
	line(p, "%s%s%s%s %llu.%09llu\n", name, open_brace(labels), labels ? labels : "",
	     close_brace(labels), (unsigned long long)(ns / 1000000000ull),
	     (unsigned long long)(ns % 1000000000ull));
}

void ts_prom_double(struct ts_prom_page *p, const char *name, const char *labels, double v)
{
	line(p, "%s%s%s%s %.6f\n", name, open_brace(labels), labels ? labels : "",
	     close_brace(labels), v);
}
