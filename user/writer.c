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
		err = ts_stats_writer_open(path + strlen(TS_STATS_PREFIX), false, out);
	else if (!strncmp(path, TS_STATS_JSON_PREFIX, strlen(TS_STATS_JSON_PREFIX)))
		err = ts_stats_writer_open(path + strlen(TS_STATS_JSON_PREFIX), true, out);
	else if (has_ext(path, ".stats.txt"))
		err = ts_stats_writer_open(path, false, out);
	else if (has_ext(path, ".stats.json"))
		err = ts_stats_writer_open(path, true, out);
	else if (has_ext(path, ".json") || !strcmp(path, "-"))
		err = ts_json_writer_open(path, out);
	else if (has_ext(path, ".pftrace") || has_ext(path, ".perfetto-trace"))
		err = ts_pftrace_writer_open(path, out);
	else if (has_ext(path, ".sqlite") || has_ext(path, ".db"))
		err = ts_sqlite_writer_open(path, out);
	else
		warn("%s: unknown output format; use .json, .pftrace, .sqlite or .tsbpf\n", path);
	return err;
}

void ts_writer_destroy(struct ts_writer *w)
{
	if (w)
		w->ops->destroy(w);
}
