// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A strict Prometheus text reader and an HTTP client for the tests: see prom_parse.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "prom_parse.h"

static bool name_char(char c, bool first, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

/* A metric (colon: true) or label name at *s; its length, 0 if none. */
static size_t name_len(const char *s, bool colon)
{
	size_t n = 0;

	while (name_char(s[n], n == 0, colon))
		n++;
	return n;
}

/* Strict UTF-8: no overlong forms, surrogates, or code points above U+10FFFF. */
static bool utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, j;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : s[i] >= 0xc0 ? 2 : 0;
		if (!k || s[i] > 0xf4 || i + k > n)
			return false;
		cp = s[i] & (0x7f >> k);
		for (j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += k;
	}
	return true;
}

static int fail(struct prom_page *p, int line, const char *what)
{
	snprintf(p->err, sizeof(p->err), "line %d: %s", line, what);
	return -1;
}

/* "value": unescaped into a malloc'd string; *s moves past the closing quote. */
static char *label_value(const char **s)
{
	const char *c = *s;
	char *out = malloc(strlen(c) + 1);
	size_t o = 0;

	if (!out || *c != '"') {
		free(out);
		return NULL;
	}
	for (c++; *c && *c != '"'; c++) {
		if (*c == '\n') {
			free(out);
			return NULL;
		}
		if (*c != '\\') {
			out[o++] = *c;
			continue;
		}
		c++;
		if (*c == 'n')
			out[o++] = '\n';
		else if (*c == '\\' || *c == '"')
			out[o++] = *c;
		else {
			free(out);
			return NULL; /* no other escapes exist */
		}
	}
	if (*c != '"' || !utf8_ok((unsigned char *)out, o)) {
		free(out);
		return NULL;
	}
	out[o] = '\0';
	*s = c + 1;
	return out;
}

static int parse_labels(const char **s, struct prom_sample *m, struct prom_page *p, int line)
{
	const char *c = *s + 1;
	size_t n;

	while (*c != '}') {
		if (m->nlabels == PROM_MAX_LABELS)
			return fail(p, line, "too many labels");
		n = name_len(c, false);
		if (!n || c[n] != '=')
			return fail(p, line, "bad label name");
		m->key[m->nlabels] = strndup(c, n);
		c += n + 1;
		m->val[m->nlabels] = label_value(&c);
		if (!m->val[m->nlabels++])
			return fail(p, line, "bad label value (quote, escape or UTF-8)");
		if (*c == ',')
			c++;
		else if (*c != '}')
			return fail(p, line, "labels not closed");
	}
	*s = c + 1;
	return 0;
}

static char types[512][128];
static size_t ntypes;

static bool typed(const char *name)
{
	size_t i;

	for (i = 0; i < ntypes; i++)
		if (!strcmp(types[i], name))
			return true;
	return false;
}

static int comment(const char *l, struct prom_page *p, int line)
{
	char name[128], type[32];
	size_t n;

	if (!strncmp(l, "# HELP ", 7)) {
		n = name_len(l + 7, true);
		return n && l[7 + n] == ' ' ? 0 : fail(p, line, "bad HELP");
	}
	if (strncmp(l, "# TYPE ", 7))
		return fail(p, line, "a comment that is neither HELP nor TYPE");
	if (sscanf(l + 7, "%127s %31s", name, type) != 2 || name_len(name, true) != strlen(name))
		return fail(p, line, "bad TYPE");
	if (strcmp(type, "counter") && strcmp(type, "gauge"))
		return fail(p, line, "a type other than counter or gauge");
	n = strlen(name);
	if (!strcmp(type, "counter") && (n < 6 || strcmp(name + n - 6, "_total")))
		return fail(p, line, "a counter not named _total");
	if (typed(name) || ntypes == 512)
		return fail(p, line, "a family typed twice");
	snprintf(types[ntypes++], sizeof(types[0]), "%s", name);
	return 0;
}

static bool same_series(const struct prom_sample *a, const struct prom_sample *b)
{
	unsigned int i;

	if (strcmp(a->name, b->name) || a->nlabels != b->nlabels)
		return false;
	for (i = 0; i < a->nlabels; i++)
		if (strcmp(a->key[i], b->key[i]) || strcmp(a->val[i], b->val[i]))
			return false;
	return true;
}

static int sample(const char *l, struct prom_page *p, int line)
{
	struct prom_sample *m, *grown;
	size_t n = name_len(l, true), i;
	char *end;

	grown = realloc(p->s, (p->n + 1) * sizeof(*p->s));
	if (!grown)
		return fail(p, line, "out of memory");
	p->s = grown;
	m = &p->s[p->n++];
	memset(m, 0, sizeof(*m));
	if (!n)
		return fail(p, line, "bad metric name");
	m->name = strndup(l, n);
	if (!typed(m->name))
		return fail(p, line, "a sample before its family's TYPE");
	l += n;
	if (*l == '{' && parse_labels(&l, m, p, line))
		return -1;
	if (*l != ' ')
		return fail(p, line, "no space before the value");
	m->value = strtod(l + 1, &end);
	if (end == l + 1 || *end)
		return fail(p, line, "bad value (or a timestamp, which we never write)");
	for (i = 0; i + 1 < p->n; i++)
		if (same_series(&p->s[i], m))
			return fail(p, line, "the same series twice");
	return 0;
}

int prom_parse(const char *text, struct prom_page *p)
{
	const char *l = text, *nl;
	char buf[8192];
	int line = 0, err;

	memset(p, 0, sizeof(*p));
	ntypes = 0;
	for (; *l; l = nl + 1) {
		line++;
		nl = strchr(l, '\n');
		if (!nl)
			return fail(p, line, "the last line has no newline");
		if ((size_t)(nl - l) >= sizeof(buf))
			return fail(p, line, "a line too long");
		memcpy(buf, l, nl - l);
		buf[nl - l] = '\0';
		if (strlen(buf) != (size_t)(nl - l))
			return fail(p, line, "a NUL byte");
		err = buf[0] == '#' ? comment(buf, p, line) : sample(buf, p, line);
		if (err)
			return err;
	}
	return 0;
}

void prom_free(struct prom_page *p)
{
	size_t i;
	unsigned int k;

	for (i = 0; i < p->n; i++) {
		free(p->s[i].name);
		for (k = 0; k < p->s[i].nlabels; k++) {
			free(p->s[i].key[k]);
			free(p->s[i].val[k]);
		}
	}
	free(p->s);
	memset(p, 0, sizeof(*p));
}

double prom_get(const struct prom_page *p, const char *name, const char *const *kv)
{
	const char *k[PROM_MAX_LABELS + 1], *v[PROM_MAX_LABELS + 1];
	unsigned int nl = 0, i, j;
	size_t s;

	while (kv && nl <= PROM_MAX_LABELS && kv[2 * nl]) {
		k[nl] = kv[2 * nl];
		v[nl] = kv[2 * nl + 1];
		nl++;
	}
	for (s = 0; s < p->n; s++) {
		const struct prom_sample *m = &p->s[s];

		if (strcmp(m->name, name) || m->nlabels != nl)
			continue;
		for (i = 0; i < nl; i++) {
			for (j = 0; j < nl; j++)
				if (!strcmp(m->key[j], k[i]) && !strcmp(m->val[j], v[i]))
					break;
			if (j == nl)
				break;
		}
		if (i == nl)
			return m->value;
	}
	return -1;
}

size_t prom_count(const struct prom_page *p, const char *name)
{
	size_t s, n = 0;

	for (s = 0; s < p->n; s++)
		n += !strcmp(p->s[s].name, name);
	return n;
}

int http_request(int port, const char *method, const char *path, char **body)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap + 1), req[512], *hdr_end;
	int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
	ssize_t n;

	*body = NULL;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || !buf || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		goto cleanup;
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", method, path);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto cleanup;
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len == cap) {
			char *g = realloc(buf, 2 * cap + 1);

			if (!g)
				goto cleanup;
			buf = g;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	hdr_end = strstr(buf, "\r\n\r\n");
	if (!hdr_end || sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		goto cleanup;
	*body = strdup(hdr_end + 4);
cleanup:
	if (fd >= 0)
		close(fd);
	free(buf);
	return *body ? status : -1;
}

int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}
