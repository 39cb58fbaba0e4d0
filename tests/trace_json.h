/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading a JSON trace back with json-c, and the checks every trace must pass. */
#ifndef TS_TRACE_JSON_H
#define TS_TRACE_JSON_H

#include <json-c/json.h>
#include <stdbool.h>

#define GPU_PID_BASE 0x7fff0000u

struct trace {
	json_object *root;
	json_object *events; /* the traceEvents array */
	size_t n;
};

enum where { ANY = -1, HOST = 0, GPU = 1 };

/*
 * 0 if the file is strict JSON (json_load_strict) with a traceEvents array;
 * what is wrong is said on stderr.
 */
int trace_load(struct trace *t, const char *path);
/*
 * Strict RFC 8259, where json-c alone is lenient: no raw control byte inside a
 * string (json-c takes them even in its strict mode), valid UTF-8, nothing
 * after the value. json_raw_control: 0, or -1 with why said in why.
 */
int json_raw_control(const char *buf, size_t n, char *why, size_t len);
/* The value in buf, or NULL with why said in why. */
json_object *json_parse_strict(const char *buf, size_t n, char *why, size_t len);
/* The value in the file at path, or NULL with why said on stderr. */
json_object *json_load_strict(const char *path);
void trace_free(struct trace *t);

json_object *trace_event(const struct trace *t, size_t i);
/* Events of phase ph (NULL: any) named name (NULL: any), on host or GPU tracks. */
int trace_count(const struct trace *t, const char *ph, const char *name, enum where w);
json_object *trace_find(const struct trace *t, const char *ph, const char *name, enum where w,
			int nth);
/* The name given to (pid, tid) by thread_name metadata, or NULL. */
const char *trace_thread_name(const struct trace *t, long long pid, long long tid);
const char *trace_process_name(const struct trace *t, long long pid);
/* The name the process had last (an exec renames it), and how many it was given. */
const char *trace_last_process_name(const struct trace *t, long long pid, int *count);

const char *ev_str(json_object *e, const char *key);
long long ev_int(json_object *e, const char *key);
double ev_num(json_object *e, const char *key);
json_object *ev_arg(json_object *e, const char *key);
/* The field key of object o (NULL-safe), or NULL. */
json_object *ev_field(json_object *o, const char *key);
const char *ev_arg_str(json_object *e, const char *key);
long long ev_arg_int(json_object *e, const char *key);
/* args[key] is [x, y, z] equal to these */
bool ev_arg_dim3(json_object *e, const char *key, long long x, long long y, long long z);
/* NULL if args[key] is [x, y, z] equal to want; else what differs, axis by axis (static) */
const char *ev_arg_dim3_diff(json_object *e, const char *key, const long long want[3]);
json_object *trace_other(const struct trace *t, const char *key);

/* Structural rules; each returns the number of violations. */
int trace_partial_overlaps(const struct trace *t);
int trace_unmatched_flows(const struct trace *t);

#endif
