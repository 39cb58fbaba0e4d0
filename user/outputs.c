// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include "cli.h"
#include "outfile.h"
#include "outputs.h"
#include "util.h"

static int tee_put(struct ts_sink *s, const void *rec)
{
	struct ts_outputs *outs = (struct ts_outputs *)s;
	unsigned int i;
	int err;

	for (i = 0; i < outs->n; i++) {
		err = outs->o[i].sink->put(outs->o[i].sink, rec);
		if (err)
			return err;
	}
	return 0;
}

static int output_open(struct ts_output *out, const char *path)
{
	int err;

	out->path = path;
	if (ts_capture_path(path)) {
		err = ts_capture_create(path, &out->cap);
		if (err)
			return err;
		out->sink = ts_capture_sink(out->cap);
		return 0;
	}
	err = ts_writer_open(path, &out->w);
	if (err)
		return err;
	out->corr = ts_corr_new(out->w, TS_VERSION);
	if (!out->corr)
		return -ENOMEM;
	ts_corr_sink_init(&out->cs, out->corr);
	out->sink = &out->cs.base;
	return 0;
}

static int output_close(struct ts_output *out, bool incomplete)
{
	int err = 0;

	if (out->corr)
		err = ts_corr_finish(out->corr, incomplete);
	else if (out->cap)
		err = ts_capture_close(out->cap);
	if (err == -EPIPE && !strcmp(out->path, "-"))
		warn("the reader of stdout went away: the trace streamed there is cut short\n");
	else if (err)
		warn("writing %s failed: %s; the file is incomplete\n", out->path, strerror(-err));
	ts_corr_free(out->corr);
	ts_writer_destroy(out->w);
	memset(out, 0, sizeof(*out));
	return err;
}

/* The file behind an output spec ("stats:PATH" is PATH), NULL for stdout. */
static const char *file_of(const char *spec)
{
	const char *p = spec;

	if (!strncmp(p, TS_STATS_PREFIX, strlen(TS_STATS_PREFIX)))
		p += strlen(TS_STATS_PREFIX);
	else if (!strncmp(p, TS_STATS_JSON_PREFIX, strlen(TS_STATS_JSON_PREFIX)))
		p += strlen(TS_STATS_JSON_PREFIX);
	return strcmp(p, "-") && strcmp(p, TS_STDERR_PATH) ? p : NULL;
}

int ts_outputs_open(struct ts_outputs *outs, char *const *paths, unsigned int n, const char *input)
{
	const char *files[TS_MAX_OUTPUTS] = { 0 };
	unsigned int i;
	int err;

	memset(outs, 0, sizeof(*outs));
	outs->base.put = tee_put;
	if (n > TS_MAX_OUTPUTS)
		n = TS_MAX_OUTPUTS;
	for (i = 0; i < n; i++)
		files[i] = file_of(paths[i]);
	err = ts_outfile_check(files, n, &input, input ? 1 : 0);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		err = output_open(&outs->o[i], paths[i]);
		outs->n = i + 1;
		if (err) {
			warn("cannot write %s: %s\n", paths[i], strerror(-err));
			ts_outputs_discard(outs);
			return err;
		}
	}
	return 0;
}

void ts_outputs_sync(struct ts_outputs *outs)
{
	unsigned int i;

	for (i = 0; i < outs->n; i++) {
		if (outs->o[i].corr)
			ts_corr_sync(outs->o[i].corr);
		else if (outs->o[i].cap)
			ts_capture_flush(outs->o[i].cap);
	}
}

void ts_outputs_discard(struct ts_outputs *outs)
{
	unsigned int i;

	if (!outs)
		return;
	for (i = 0; i < outs->n; i++) {
		struct ts_output *out = &outs->o[i];

		ts_capture_discard(out->cap);
		ts_corr_free(out->corr);
		ts_writer_destroy(out->w);
		memset(out, 0, sizeof(*out));
	}
	outs->n = 0;
}

int ts_outputs_close(struct ts_outputs *outs, bool incomplete)
{
	unsigned int i;
	int err = 0, e;

	if (!outs)
		return 0;
	for (i = 0; i < outs->n; i++) {
		e = output_close(&outs->o[i], incomplete);
		if (e && !err)
			err = e;
	}
	outs->n = 0;
	return err;
}
