// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "trace_json.h"

/* the bytes before offset at, control bytes shown as '.', for a message */
static const char *context_before(const char *buf, size_t at)
{
	static char ctx[41];
	size_t from = at > sizeof(ctx) - 1 ? at - (sizeof(ctx) - 1) : 0, k = 0;

	for (; from < at; from++)
		ctx[k++] = (unsigned char)buf[from] < 0x20 ? '.' : buf[from];
	ctx[k] = '\0';
	return ctx;
}

int json_raw_control(const char *buf, size_t n, char *why, size_t len)
{
	bool in_str = false;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = buf[i];

		if (!in_str) {
			in_str = c == '"';
			continue;
		}
		if (c == '\\') {
			i++; /* the escaped byte, whatever it is */
			continue;
		}
		if (c == '"') {
			in_str = false;
		} else if (c < 0x20) {
			snprintf(why, len,
				 "raw control byte 0x%02x inside a JSON string at byte %zu, after "
				 "\"%s\" (RFC 8259: it must be escaped, as \\u%04x%s)",
				 c, i, context_before(buf, i), c,
				 c == '\t'   ? " or \\t"
				 : c == '\n' ? " or \\n"
					     : "");
			return -1;
		}
	}
	return 0;
}

json_object *json_parse_strict(const char *buf, size_t n, char *why, size_t len)
{
	json_tokener *tok;
	json_object *o = NULL;
	enum json_tokener_error err;
	size_t end;

	if (json_raw_control(buf, n, why, len))
		return NULL;
	tok = json_tokener_new();
	if (!tok) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)n);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	while (o && end < n && buf[end] && strchr(" \t\r\n", buf[end]))
		end++;
	if (!o || err != json_tokener_success || end < n) {
		snprintf(why, len, "not strict JSON at byte %zu, after \"%s\": %s", end,
			 context_before(buf, end),
			 o ? "more after the value" : json_tokener_error_desc(err));
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

json_object *json_load_strict(const char *path)
{
	char why[512] = "";
	json_object *o = NULL;
	struct stat st;
	char *buf = NULL;
	FILE *f = fopen(path, "r");

	if (!f || fstat(fileno(f), &st) || !(buf = malloc(st.st_size + 1)) ||
	    fread(buf, 1, st.st_size, f) != (size_t)st.st_size)
		snprintf(why, sizeof(why), "cannot read it: %s", strerror(errno));
	else
		o = json_parse_strict(buf, st.st_size, why, sizeof(why));
	if (!o)
		fprintf(stderr, "%s: %s\n", path, why);
	free(buf);
	if (f)
		fclose(f);
	return o;
}

int trace_load(struct trace *t, const char *path)
{
	memset(t, 0, sizeof(*t));
	t->root = json_load_strict(path);
	if (!t->root || !json_object_object_get_ex(t->root, "traceEvents", &t->events) ||
	    !json_object_is_type(t->events, json_type_array))
		return -1;
	t->n = json_object_array_length(t->events);
	return 0;
}

void trace_free(struct trace *t)
{
	if (t->root)
		json_object_put(t->root);
	memset(t, 0, sizeof(*t));
}

json_object *trace_event(const struct trace *t, size_t i)
{
	return json_object_array_get_idx(t->events, i);
}

const char *ev_str(json_object *e, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(e, key, &v) ? json_object_get_string(v) : NULL;
}

long long ev_int(json_object *e, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(e, key, &v) ? json_object_get_int64(v) : -1;
}

double ev_num(json_object *e, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(e, key, &v) ? json_object_get_double(v) : -1;
}

json_object *ev_field(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

json_object *ev_arg(json_object *e, const char *key)
{
	json_object *args, *v;

	if (!json_object_object_get_ex(e, "args", &args) ||
	    !json_object_object_get_ex(args, key, &v))
		return NULL;
	return v;
}

const char *ev_arg_str(json_object *e, const char *key)
{
	json_object *v = ev_arg(e, key);

	return v ? json_object_get_string(v) : NULL;
}

long long ev_arg_int(json_object *e, const char *key)
{
	json_object *v = ev_arg(e, key);

	return v ? json_object_get_int64(v) : -1;
}

bool ev_arg_dim3(json_object *e, const char *key, long long x, long long y, long long z)
{
	json_object *v = ev_arg(e, key);

	return v && json_object_is_type(v, json_type_array) && json_object_array_length(v) == 3 &&
	       json_object_get_int64(json_object_array_get_idx(v, 0)) == x &&
	       json_object_get_int64(json_object_array_get_idx(v, 1)) == y &&
	       json_object_get_int64(json_object_array_get_idx(v, 2)) == z;
}

const char *ev_arg_dim3_diff(json_object *e, const char *key, const long long want[3])
{
	static char why[160];
	static const char axis[] = "xyz";
	json_object *v = ev_arg(e, key);
	long long got[3];
	int i, k = 0;

	if (!v || !json_object_is_type(v, json_type_array) || json_object_array_length(v) != 3) {
		snprintf(why, sizeof(why), "%s is %s, not [%lld,%lld,%lld]", key,
			 v ? json_object_to_json_string(v) : "missing", want[0], want[1], want[2]);
		return why;
	}
	for (i = 0; i < 3; i++)
		got[i] = json_object_get_int64(json_object_array_get_idx(v, i));
	if (!memcmp(got, want, sizeof(got)))
		return NULL;
	k = snprintf(why, sizeof(why), "%s is [%lld,%lld,%lld], not [%lld,%lld,%lld]:", key, got[0],
		     got[1], got[2], want[0], want[1], want[2]);
	for (i = 0; i < 3; i++)
		if (got[i] != want[i] && k < (int)sizeof(why))
			k += snprintf(why + k, sizeof(why) - k, "%s %c is %lld, not %lld",
				      k && why[k - 1] != ':' ? ";" : "", axis[i], got[i], want[i]);
	return why;
}

static bool matches(json_object *e, const char *ph, const char *name, enum where w)
{
	const char *p = ev_str(e, "ph"), *n = ev_str(e, "name");
	long long pid = ev_int(e, "pid");

	if (ph && (!p || strcmp(p, ph)))
		return false;
	if (name && (!n || strcmp(n, name)))
		return false;
	if (w == GPU && pid < GPU_PID_BASE)
		return false;
	if (w == HOST && pid >= GPU_PID_BASE)
		return false;
	return true;
}

int trace_count(const struct trace *t, const char *ph, const char *name, enum where w)
{
	size_t i;
	int n = 0;

	for (i = 0; i < t->n; i++)
		n += matches(trace_event(t, i), ph, name, w);
	return n;
}

json_object *trace_find(const struct trace *t, const char *ph, const char *name, enum where w,
			int nth)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (matches(trace_event(t, i), ph, name, w) && nth-- == 0)
			return trace_event(t, i);
	return NULL;
}

static const char *meta_name(const struct trace *t, const char *kind, long long pid, long long tid)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		json_object *e = trace_event(t, i);

		if (matches(e, "M", kind, ANY) && ev_int(e, "pid") == pid &&
		    (tid < 0 || ev_int(e, "tid") == tid))
			return ev_arg_str(e, "name");
	}
	return NULL;
}

const char *trace_thread_name(const struct trace *t, long long pid, long long tid)
{
	return meta_name(t, "thread_name", pid, tid);
}

const char *trace_process_name(const struct trace *t, long long pid)
{
	return meta_name(t, "process_name", pid, -1);
}

const char *trace_last_process_name(const struct trace *t, long long pid, int *count)
{
	const char *last = NULL;
	size_t i;

	*count = 0;
	for (i = 0; i < t->n; i++) {
		json_object *e = trace_event(t, i);

		if (matches(e, "M", "process_name", ANY) && ev_int(e, "pid") == pid) {
			last = ev_arg_str(e, "name");
			(*count)++;
		}
	}
	return last;
}

json_object *trace_other(const struct trace *t, const char *key)
{
	json_object *o, *v;

	if (!json_object_object_get_ex(t->root, "otherData", &o) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

struct span {
	long long pid, tid;
	long long ts, end; /* ns */
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;
}

/* µs with three decimals, read back as exact ns */
static long long ns_of(json_object *e, const char *key)
{
	return (long long)(ev_num(e, key) * 1000.0 + 0.5);
}

int trace_partial_overlaps(const struct trace *t)
{
	struct span *s = calloc(t->n + 1, sizeof(*s)), stack[64];
	size_t i, n = 0;
	int bad = 0, depth = 0;

	for (i = 0; i < t->n; i++) {
		json_object *e = trace_event(t, i);

		if (!matches(e, "X", NULL, ANY))
			continue;
		s[n].pid = ev_int(e, "pid");
		s[n].tid = ev_int(e, "tid");
		s[n].ts = ns_of(e, "ts");
		s[n].end = s[n].ts + ns_of(e, "dur");
		n++;
	}
	qsort(s, n, sizeof(*s), cmp_span);
	for (i = 0; i < n; i++) {
		while (depth &&
		       (stack[depth - 1].pid != s[i].pid || stack[depth - 1].tid != s[i].tid ||
			stack[depth - 1].end <= s[i].ts))
			depth--;
		if (depth && s[i].end > stack[depth - 1].end)
			bad++;
		else if (depth < 64)
			stack[depth++] = s[i];
	}
	free(s);
	return bad;
}

int trace_unmatched_flows(const struct trace *t)
{
	size_t i, j;
	int bad = 0;

	for (i = 0; i < t->n; i++) {
		json_object *e = trace_event(t, i);
		bool found = false;

		if (!matches(e, "s", NULL, ANY))
			continue;
		for (j = 0; j < t->n && !found; j++) {
			json_object *f = trace_event(t, j);

			found = matches(f, "f", NULL, GPU) && ev_int(f, "id") == ev_int(e, "id");
		}
		bad += !found;
	}
	return bad;
}
