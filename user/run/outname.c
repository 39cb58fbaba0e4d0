// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "run/outname.h"
#include "lib/util.h"

/* A host name fit for a file name: no slashes, no dots leading */
static void safe_host(char *h, size_t len)
{
	size_t i;

	if (gethostname(h, len) || !h[0])
		snprintf(h, len, "unknown");
	h[len - 1] = '\0';
	for (i = 0; h[i]; i++)
		if (h[i] == '/' || (i == 0 && h[i] == '.'))
			h[i] = '_';
}

int ts_outname_expand(const char *in, char *out, size_t len, pid_t pid, time_t start,
		      unsigned int snap)
{
	char host[256], piece[64];
	size_t o = 0;
	struct tm tm;

	for (; *in; in++) {
		const char *add = piece;

		if (*in != '%') {
			piece[0] = *in;
			piece[1] = '\0';
		} else if (*++in == 'h') {
			safe_host(host, sizeof(host));
			add = host;
		} else if (*in == 'p') {
			snprintf(piece, sizeof(piece), "%d", (int)pid);
		} else if (*in == 't') {
			gmtime_r(&start, &tm);
			strftime(piece, sizeof(piece), "%Y%m%dT%H%M%SZ", &tm);
		} else if (*in == 'n' && snap) {
			snprintf(piece, sizeof(piece), "%u", snap);
		} else if (*in == '%') {
			strcpy(piece, "%");
		} else if (*in == 'r') {
			strcpy(piece,
			       "%r"); /* the NCCL rank: the writer names each file (rank_split.c) */
		} else {
			return -EINVAL;
		}
		if (o + strlen(add) >= len)
			return -ENAMETOOLONG;
		memcpy(out + o, add, strlen(add));
		o += strlen(add);
	}
	out[o] = '\0';
	return 0;
}

/* The format suffixes, longest first where one ends another: where .N goes. */
static const char *const exts[] = { ".stats.txt", ".stats.json", ".perfetto-trace",
				    ".pftrace",	  ".json",	 ".sqlite",
				    ".db",	  ".tsbpf" };

int ts_outname_snapshot(const char *in, char *out, size_t len, pid_t pid, time_t when,
			unsigned int snap)
{
	char tail[32];
	size_t n, e, i;
	int err;

	err = ts_outname_expand(in, out, len, pid, when, snap);
	if (err || strstr(in, "%n") || strstr(in, "%t"))
		return err;
	n = strlen(out);
	snprintf(tail, sizeof(tail), ".%u", snap);
	for (i = 0; i < ARRAY_SIZE(exts); i++) {
		e = strlen(exts[i]);
		if (n > e && !strcmp(out + n - e, exts[i]))
			break;
	}
	e = i < ARRAY_SIZE(exts) ? strlen(exts[i]) : 0;
	if (n + strlen(tail) >= len)
		return -ENAMETOOLONG;
	memmove(out + n - e + strlen(tail), out + n - e, e + 1);
	memcpy(out + n - e, tail, strlen(tail));
	return 0;
}

int ts_parse_wall_time(const char *s, uint64_t *ns)
{
	struct tm tm = { 0 };
	time_t now = time(NULL), t;
	char *end;
	uint64_t v;

	if (s[0] == '@') {
		if (ts_parse_uint(s + 1, 1, 32503680000ull, &v))
			return -EINVAL;
		*ns = v * 1000000000ull;
		return 0;
	}
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end && (!*end || !strcmp(end, "Z"))) {
		t = timegm(&tm);
	} else {
		gmtime_r(&now, &tm);
		end = strptime(s, "%H:%M:%S", &tm);
		if (!end || *end) {
			tm.tm_sec = 0;
			end = strptime(s, "%H:%M", &tm);
		}
		if (!end || *end)
			return -EINVAL;
		t = timegm(&tm);
		if (t < now)
			t += 86400; /* the next one */
	}
	if (t == (time_t)-1)
		return -EINVAL;
	*ns = (uint64_t)t * 1000000000ull;
	return 0;
}
