// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A canned record stream through the correlator into a JSON trace, loaded back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "pipe.h"

void pipe_open(struct pipe *p, const char *path, uint64_t mode)
{
	struct ts_writer *w;

	assert_int_equal(ts_json_writer_open(path, &w), 0);
	pipe_open_writer(p, path, mode, w);
}

void pipe_open_writer(struct pipe *p, const char *path, uint64_t mode, struct ts_writer *w)
{
	memset(p, 0, sizeof(*p));
	p->path = path;
	p->w = w;
	p->corr = ts_corr_new(p->w, "test");
	ts_corr_sink_init(&p->cs, p->corr);
	canned_start(&p->c, &p->cs.base, mode);
	canned_proc(&p->c, 100, "python train.py --lr \"0.1\"");
	canned_thread(&p->c, 100, 100, "python");
}

void pipe_close(struct pipe *p)
{
	canned_end(&p->c);
	assert_int_equal(p->c.err, 0);
	assert_int_equal(ts_corr_finish(p->corr, false), 0);
	if (strlen(p->path) > 5 && !strcmp(p->path + strlen(p->path) - 5, ".json"))
		assert_int_equal(trace_load(&p->t, p->path), 0);
}

void pipe_free(struct pipe *p)
{
	trace_free(&p->t);
	canned_free(&p->c);
	ts_corr_free(p->corr);
	ts_writer_destroy(p->w);
}
