// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: hostile names and values straight into every writer,
 * as a traced process could make them reach it (kernel names, thread names,
 * command lines, string args: any bytes; numbers: any value). Nothing may
 * crash, leak or read out of bounds, and the JSON written must be strict
 * JSON and strict UTF-8 whatever went in (json-c checks it, independently).
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "write/stats_writer.h"
#include "write/writer.h"

#define NWRITERS 3

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes-- && in->n) {
		v = v << 8 | *in->p++;
		in->n--;
	}
	return v;
}

/* A length-prefixed run of bytes: any bytes at all. */
static const char *take_str(struct input *in, size_t *len)
{
	const char *s = (const char *)in->p;

	*len = take(in, 1);
	if (*len > in->n)
		*len = in->n;
	in->p += *len;
	in->n -= *len;
	return s;
}

static const char *const keys[] = { "name", "track_name", "direction", "function", "stream" };

static void take_args(struct input *in, struct ts_slice *s)
{
	unsigned int i, n = take(in, 1) % (TS_MAX_ARGS + 1);
	uint32_t d[3];
	size_t len;

	for (i = 0; i < n && in->n; i++) {
		const char *k = keys[take(in, 1) % 5];

		switch (take(in, 1) % 5) {
		case 0:
			ts_arg_u64(s, k, take(in, 8));
			break;
		case 1:
			ts_arg_i64(s, k, (int64_t)take(in, 8));
			break;
		case 2:
			ts_arg_hex(s, k, take(in, 8));
			break;
		case 3:
			d[0] = take(in, 4);
			d[1] = take(in, 4);
			d[2] = take(in, 4);
			ts_arg_dim3(s, k, d);
			break;
		default: {
			const char *v = take_str(in, &len);

			ts_arg_str(s, k, v, len);
		}
		}
	}
}

static void one_call(struct input *in, struct ts_writer **w)
{
	struct ts_slice s = { 0 };
	char name[257];
	const char *str;
	uint32_t pid;
	size_t len;
	int i;

	switch (take(in, 1) % 5) {
	case 0:
		pid = take(in, 4);
		str = take_str(in, &len);
		memcpy(name, str, len);
		name[len] = '\0'; /* process names are C strings */
		for (i = 0; i < NWRITERS; i++)
			w[i]->ops->process(w[i], pid, name, pid & 1 ? TS_TRACK_GPU : TS_TRACK_HOST);
		break;
	case 1:
		pid = take(in, 4);
		s.tid = take(in, 4);
		str = take_str(in, &len);
		for (i = 0; i < NWRITERS; i++)
			w[i]->ops->thread(w[i], pid, s.tid, str, len);
		break;
	case 2:
		s.pid = take(in, 4);
		s.tid = take(in, 4);
		s.ts = take(in, 8);
		s.dur = take(in, 8);
		s.flow_out = take(in, 1) ? take(in, 8) : 0;
		s.flow_in = take(in, 1) ? take(in, 8) : 0;
		s.cat = "kernel";
		s.name = take_str(in, &s.name_len);
		take_args(in, &s);
		for (i = 0; i < NWRITERS; i++)
			w[i]->ops->slice(w[i], &s);
		break;
	case 3: {
		static const struct ts_counter_def defs[2] = { { "memory (bytes)", TS_UNIT_BYTES },
							       { "calls/s", TS_UNIT_NONE } };
		const struct ts_counter_def *def = &defs[take(in, 1) & 1];

		pid = take(in, 4);
		for (i = 0; i < NWRITERS; i++)
			w[i]->ops->counter(w[i], pid, def, take(in, 8), (int64_t)take(in, 8));
		break;
	}
	default:
		for (i = 0; i < NWRITERS; i++)
			if (w[i]->ops->sync)
				w[i]->ops->sync(w[i], take(in, 1) & 1);
	}
}

/* What the JSON writer left: strict JSON, strict UTF-8; abort otherwise. */
static void check_json(const char *path)
{
	struct json_tokener *tok = json_tokener_new();
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, len;
	json_object *o;

	if (!f || !tok)
		abort();
	len = getdelim(&buf, &cap, '\0', f); /* the whole file: it holds no NUL */
	fclose(f);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		fprintf(stderr, "invalid JSON: %s\n",
			json_tokener_error_desc(json_tokener_get_error(tok)));
		abort();
	}
	json_object_put(o);
	json_tokener_free(tok);
	free(buf);
}

static char dir[] = "/dev/shm/ts-fuzz-XXXXXX";

/* The folder is made once per run: it goes at exit with what the writers left (a crash keeps it). */
static void remove_dir(void)
{
	static const char *const names[] = { "t.json", "t.json.old", "t.pftrace", "t.pftrace.old" };
	char path[64];
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ts_trace_meta meta = { .version = "fuzz", .tracer_cmdline = "fuzz" };
	struct input in = { data, size };
	struct ts_writer *w[NWRITERS];
	char json[64], pf[64];
	int err, i;

	if (dir[strlen(dir) - 1] == 'X') {
		if (!mkdtemp(dir))
			return 0;
		atexit(remove_dir);
	}
	snprintf(json, sizeof(json), "%s/t.json", dir);
	snprintf(pf, sizeof(pf), "%s/t.pftrace", dir);
	err = ts_json_writer_open(json, &w[0]);
	err = ts_pftrace_writer_open(pf, &w[1]);
	err = ts_stats_writer_open("/dev/null", true, &w[2]);
	if (!w[0] || !w[1] || !w[2])
		abort();
	w[1]->ops->start(w[1], &meta);
	while (in.n)
		one_call(&in, w);
	for (i = 0; i < NWRITERS; i++)
		if (w[i]->ops->finish(w[i], &meta))
			abort();
	for (i = 0; i < NWRITERS; i++)
		ts_writer_destroy(w[i]);
	check_json(json);
	return 0;
}
