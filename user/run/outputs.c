// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include "encode/outfile.h"
#include "run/outputs.h"
#include "lib/util.h"
#include "write/stats_writer.h"

/* The first failure, kept for the caller; err passed on. */
static int failed(struct ts_outputs *outs, const char *path, int err)
{
	if (err && !outs->failed) {
		outs->failed = path;
		outs->failed_err = err;
	}
	return err;
}

static int tee_put(struct ts_sink *s, const void *rec)
{
	struct ts_outputs *outs = (struct ts_outputs *)s;
	unsigned int i;
	int err;

	for (i = 0; i < outs->n; i++) {
		err = outs->o[i].sink->put(outs->o[i].sink, rec);
		if (err)
			return failed(outs, outs->o[i].path, err);
	}
	return 0;
}

static bool has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), e = strlen(ext);

	return n > e && !strcmp(path + n - e, ext);
}

/*
 * The writer for a path: the extension picks the format (.json, .pftrace,
 * .perfetto-trace, .sqlite, .stats.txt, .stats.json); -EINVAL if unknown.
 */
static int writer_open(const char *path, struct ts_writer **out)
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
	else if (has_ext(path, ".json") && strstr(path, "%r"))
		err = ts_rank_split_open(path, out);
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

static int output_open(struct ts_output *out, const char *path)
{
	int err;

	out->path = path;
	/* only the JSON writer splits by rank: elsewhere %r would be a literal file name */
	if (strstr(path, "%r") && !has_ext(path, ".json")) {
		warn("%s: %%r (one file per NCCL rank) is for .json outputs\n", path);
		return -EINVAL;
	}
	if (ts_capture_path(path)) {
		err = ts_capture_create(path, &out->cap);
		if (err)
			return err;
		out->sink = ts_capture_sink(out->cap);
		return 0;
	}
	err = writer_open(path, &out->w);
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
	else if (err && !ts_outfile_whole()) /* whole or nothing: the caller says it */
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
		if (failed(outs, paths[i], err)) {
			if (!ts_outfile_whole())
				warn("cannot write %s: %s\n", paths[i], strerror(-err));
			ts_outputs_discard(outs);
			return err;
		}
	}
	return 0;
}

int ts_outputs_add_writer(struct ts_outputs *outs, const char *name, struct ts_writer *w)
{
	struct ts_output *out;

	if (outs->n == TS_MAX_OUTPUTS + 1)
		return -E2BIG;
	out = &outs->o[outs->n];
	out->corr = ts_corr_new(w, TS_VERSION);
	if (!out->corr)
		return -ENOMEM;
	out->path = name;
	out->w = w;
	ts_corr_sink_init(&out->cs, out->corr);
	out->sink = &out->cs.base;
	outs->n++;
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
		const char *path = outs->o[i].path; /* output_close clears it */

		e = failed(outs, path, output_close(&outs->o[i], incomplete));
		if (e && !err)
			err = e;
	}
	outs->n = 0;
	return err;
}

static int feed(void *ctx, const void *rec)
{
	struct ts_sink *s = ctx;

	return s->put(s, rec);
}

/* A capture through the same record path as live tracing, into outs. */
int ts_replay_file(const char *in, char **out, unsigned int nout, bool salvage)
{
	struct ts_cap_reader r = { .fd = -1 };
	struct ts_outputs outs = { 0 };
	bool incomplete;
	int err, ret = 1;

	err = ts_cap_open(&r, in);
	if (err) {
		warn("%s: %s\n", in, r.err);
		goto cleanup;
	}
	r.salvage = salvage;
	if (ts_outputs_open(&outs, out, nout, in))
		goto cleanup;
	err = ts_cap_read(&r, feed, &outs.base);
	if (err)
		warn("%s: %s%s\n", in, r.err[0] ? r.err : strerror(-err),
		     salvage ? "; kept the records before it (--salvage)"
			     : "; use --salvage to keep the records before it");
	incomplete = err || (r.hdr.flags & TS_CAP_F_INCOMPLETE);
	if (!err && (r.hdr.flags & TS_CAP_F_INCOMPLETE))
		warn("%s: the capture was not closed cleanly (the tracer was killed?); "
		     "replayed everything up to its last block\n",
		     in);
	/* a failed replay leaves every output path as it was */
	if (err && !salvage)
		goto cleanup;
	if (ts_outputs_close(&outs, incomplete))
		goto cleanup;
	ret = 0;
cleanup:
	ts_outputs_discard(&outs);
	ts_cap_close(&r);
	return ret;
}
