// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Perfetto/Chrome JSON ("enhanced Perfetto JSON"). Events are streamed as
 * they come; the closing brackets and otherData are written by finish, which
 * also runs when the trace is stopped by a signal, so the file is valid JSON.
 * Killed outright (SIGKILL, power loss), the file ends after a whole event,
 * "{"traceEvents":[ ... }": an unterminated array, which Perfetto's importer
 * takes as it is.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "outbuf.h"
#include "utf8.h"
#include "writer.h"

struct json_writer {
	struct ts_writer base;
	struct ts_out out;
	bool first;
};

static void begin_event(struct json_writer *j)
{
	ts_out_puts(&j->out, j->first ? "\n" : ",\n");
	j->first = false;
}

/* Keys are the project's own identifiers: nothing in them needs escaping. */
static void put_key(struct ts_out *o, const char *key)
{
	ts_out_putc(o, '"');
	ts_out_puts(o, key);
	ts_out_write(o, "\":", 2);
}

/*
 * A string that was not valid UTF-8 went out with U+FFFD in it; its bytes go
 * out too, escaped (\xNN), as ,"KEY_bytes":"...", so nothing is lost.
 */
static void put_escaped(struct ts_out *o, const char *s, size_t n)
{
	char *esc = malloc(4 * n + 1);

	if (!esc) {
		ts_out_puts(o, "\"\"");
		return;
	}
	ts_out_json_str(o, esc, ts_utf8_escape(s, n, esc));
	free(esc);
}

static void put_bytes(struct ts_out *o, const char *key, const char *s, size_t n)
{
	ts_out_write(o, ",\"", 2);
	ts_out_puts(o, key);
	ts_out_write(o, "_bytes\":", 8);
	put_escaped(o, s, n);
}

/* "args":{"name":NAME} of a metadata event */
static void put_name_args(struct ts_out *o, const char *name, size_t len)
{
	ts_out_puts(o, ",\"args\":{\"name\":");
	if (!ts_out_json_str(o, name, len))
		put_bytes(o, "name", name, len);
	ts_out_puts(o, "}}");
}

static void put_track(struct ts_out *o, uint32_t pid, uint32_t tid)
{
	ts_out_puts(o, "\"pid\":");
	ts_out_u64(o, pid);
	ts_out_puts(o, ",\"tid\":");
	ts_out_u64(o, tid);
}

static void json_process(struct ts_writer *w, uint32_t pid, const char *name, enum ts_track_kind k)
{
	struct json_writer *j = (struct json_writer *)w;

	begin_event(j);
	ts_out_puts(&j->out, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":");
	ts_out_u64(&j->out, pid);
	put_name_args(&j->out, name, strlen(name));
	/* host processes first, GPU devices after them */
	begin_event(j);
	ts_out_puts(&j->out, "{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":");
	ts_out_u64(&j->out, pid);
	ts_out_puts(&j->out, ",\"args\":{\"sort_index\":");
	ts_out_u64(&j->out, k == TS_TRACK_GPU ? 1000000 + (pid & 0xffff) : 0);
	ts_out_puts(&j->out, "}}");
}

static void json_thread(struct ts_writer *w, uint32_t pid, uint32_t tid, const char *name,
			size_t len)
{
	struct json_writer *j = (struct json_writer *)w;

	begin_event(j);
	ts_out_puts(&j->out, "{\"ph\":\"M\",\"name\":\"thread_name\",");
	put_track(&j->out, pid, tid);
	put_name_args(&j->out, name, len);
}

static void put_arg(struct ts_out *o, const struct ts_arg *a)
{
	put_key(o, a->key);
	switch (a->type) {
	case TS_ARG_U64:
		ts_out_u64(o, a->u);
		break;
	case TS_ARG_I64:
		ts_out_i64(o, a->i);
		break;
	case TS_ARG_HEX:
		ts_out_putc(o, '"');
		ts_out_hex(o, a->u);
		ts_out_putc(o, '"');
		break;
	case TS_ARG_STR:
		if (!ts_out_json_str(o, a->str.s, a->str.len))
			put_bytes(o, a->key, a->str.s, a->str.len);
		break;
	case TS_ARG_DIM3:
		ts_out_putc(o, '[');
		ts_out_u64(o, a->dim[0]);
		ts_out_putc(o, ',');
		ts_out_u64(o, a->dim[1]);
		ts_out_putc(o, ',');
		ts_out_u64(o, a->dim[2]);
		ts_out_putc(o, ']');
		break;
	}
}

/* A v1 flow event at the slice's midpoint, which binds it to that slice. */
static void put_flow(struct json_writer *j, const struct ts_slice *s, bool start, uint64_t id)
{
	begin_event(j);
	ts_out_puts(&j->out, start ? "{\"ph\":\"s\"" : "{\"ph\":\"f\",\"bp\":\"e\"");
	ts_out_puts(&j->out, ",\"cat\":\"flow\",\"name\":\"submit\",\"id\":");
	ts_out_u64(&j->out, id);
	ts_out_putc(&j->out, ',');
	put_track(&j->out, s->pid, s->tid);
	ts_out_puts(&j->out, ",\"ts\":");
	ts_out_usec(&j->out, s->ts + s->dur / 2);
	ts_out_putc(&j->out, '}');
}

static void json_slice(struct ts_writer *w, const struct ts_slice *s)
{
	struct json_writer *j = (struct json_writer *)w;
	struct ts_out *o = &j->out;
	unsigned int i;
	bool name_ok;

	begin_event(j);
	ts_out_puts(o, "{\"ph\":\"X\",\"cat\":\"");
	ts_out_puts(o, s->cat);
	ts_out_puts(o, "\",\"name\":");
	name_ok = ts_out_json_str(o, s->name, s->name_len);
	ts_out_putc(o, ',');
	put_track(o, s->pid, s->tid);
	ts_out_puts(o, ",\"ts\":");
	ts_out_usec(o, s->ts);
	ts_out_puts(o, ",\"dur\":");
	ts_out_usec(o, s->dur);
	if (s->nargs || !name_ok) {
		ts_out_puts(o, ",\"args\":{");
		for (i = 0; i < s->nargs; i++) {
			if (i)
				ts_out_putc(o, ',');
			put_arg(o, &s->args[i]);
		}
		if (!name_ok) {
			/* the original bytes of a name that was not UTF-8 */
			ts_out_puts(o, s->nargs ? "," : "");
			ts_out_puts(o, "\"name_bytes\":");
			put_escaped(o, s->name, s->name_len);
		}
		ts_out_putc(o, '}');
	}
	ts_out_putc(o, '}');
	if (s->flow_out)
		put_flow(j, s, true, s->flow_out);
	if (s->flow_in)
		put_flow(j, s, false, s->flow_in);
}

static void json_counter(struct ts_writer *w, uint32_t pid, const struct ts_counter_def *c,
			 uint64_t ts, int64_t value)
{
	struct json_writer *j = (struct json_writer *)w;

	begin_event(j);
	ts_out_puts(&j->out, "{\"ph\":\"C\",\"name\":");
	ts_out_json_str(&j->out, c->name, strlen(c->name));
	ts_out_puts(&j->out, ",\"pid\":");
	ts_out_u64(&j->out, pid);
	ts_out_puts(&j->out, ",\"ts\":");
	ts_out_usec(&j->out, ts);
	ts_out_puts(&j->out, ",\"args\":{\"value\":");
	ts_out_i64(&j->out, value);
	ts_out_puts(&j->out, "}}");
}

static void json_sync(struct ts_writer *w, bool force)
{
	ts_out_boundary(&((struct json_writer *)w)->out, force);
}

static int json_finish(struct ts_writer *w, const struct ts_trace_meta *m)
{
	struct json_writer *j = (struct json_writer *)w;
	struct ts_out *o = &j->out;

	ts_out_puts(
		o, "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"tool\":\"tracesmith-bpf\"");
	ts_out_puts(o, ",\"version\":");
	ts_out_json_str(o, m->version, strlen(m->version));
	ts_out_puts(o, ",\"command_line\":");
	ts_out_json_str(o, m->tracer_cmdline, strlen(m->tracer_cmdline));
	ts_out_puts(o, ",\"clock\":\"CLOCK_MONOTONIC\",\"clock_base_monotonic_ns\":");
	ts_out_u64(o, m->clock_mono_ns);
	ts_out_puts(o, ",\"clock_base_realtime_ns\":");
	ts_out_u64(o, m->clock_real_ns);
	ts_out_puts(o, ",\"clock_base_boottime_ns\":");
	ts_out_u64(o, m->clock_boot_ns);
	ts_out_puts(o, ",\"system_wide\":");
	ts_out_puts(o, m->system_wide ? "true" : "false");
	ts_out_puts(o, ",\"records\":");
	ts_out_u64(o, m->records);
	ts_out_puts(o, ",\"dropped_events\":");
	ts_out_u64(o, m->drops);
	ts_out_puts(o, ",\"incomplete\":");
	ts_out_puts(o, m->incomplete ? "true" : "false");
	ts_out_puts(o, "}}\n");
	return ts_out_close(o);
}

static void json_destroy(struct ts_writer *w)
{
	struct json_writer *j = (struct json_writer *)w;

	if (!j)
		return;
	ts_out_discard(&j->out);
	free(j);
}

static const struct ts_writer_ops json_ops = {
	.name = "json",
	.process = json_process,
	.thread = json_thread,
	.slice = json_slice,
	.counter = json_counter,
	.sync = json_sync,
	.finish = json_finish,
	.destroy = json_destroy,
};

struct ts_writer *ts_json_writer_open(const char *path, int *err)
{
	struct json_writer *j = calloc(1, sizeof(*j));

	if (!j) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = ts_out_open(&j->out, path);
	if (*err) {
		free(j);
		return NULL;
	}
	j->base.ops = &json_ops;
	j->first = true;
	ts_out_puts(&j->out, "{\"traceEvents\":[");
	return &j->base;
}
