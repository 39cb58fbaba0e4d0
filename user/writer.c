// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include "stats.h"
#include "util.h"
#include "writer.h"

static bool has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), e = strlen(ext);

	return n > e && !strcmp(path + n - e, ext);
}

int ts_writer_open(const char *path, struct ts_writer **out)
{
	int err = -EINVAL;

	*out = NULL;
	if (!strncmp(path, TS_STATS_PREFIX, strlen(TS_STATS_PREFIX)))
		*out = ts_stats_writer_open(path + strlen(TS_STATS_PREFIX), false, &err);
	else if (!strncmp(path, TS_STATS_JSON_PREFIX, strlen(TS_STATS_JSON_PREFIX)))
		*out = ts_stats_writer_open(path + strlen(TS_STATS_JSON_PREFIX), true, &err);
	else if (has_ext(path, ".stats.txt"))
		*out = ts_stats_writer_open(path, false, &err);
	else if (has_ext(path, ".stats.json"))
		*out = ts_stats_writer_open(path, true, &err);
	else if (has_ext(path, ".json") || !strcmp(path, "-"))
		*out = ts_json_writer_open(path, &err);
	else if (has_ext(path, ".pftrace") || has_ext(path, ".perfetto-trace"))
		*out = ts_pftrace_writer_open(path, &err);
	else
		warn("%s: unknown output format; use .json, .pftrace or .tsbpf\n", path);
	return *out ? 0 : err;
}

void ts_writer_destroy(struct ts_writer *w)
{
	if (w)
		w->ops->destroy(w);
}
