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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record/hostid.h"
#include "encode/jsonw.h"
#include "encode/outbuf.h"
#include "encode/utf8.h"
#include "write/writer.h"

/* The correlator's device slots (corr_int.h TS_MAX_DEVICES): GPU pids base + 0..255 */
#define JSON_MAX_DEVICES 256

struct json_writer {
	struct ts_writer base;
	struct ts_out out;
	struct ts_jw jw;
	uint64_t devices[JSON_MAX_DEVICES / 64]; /* the GPU devices drawn: deviceProperties */
	/* NCCL: the rank of the traced process(es), distributedInfo when there is one */
	int64_t rank, world_size;
	uint32_t rank_pid;   /* the process it is of */
	unsigned int nranks; /* processes with a rank (2: more than one) */
};

static struct ts_jw *jw_of(struct ts_writer *w)
{
	return &((struct json_writer *)w)->jw;
}

/*
 * A string that was not valid UTF-8 went out with U+FFFD in it; its bytes go
 * out too, escaped (\xNN), as "KEY_bytes", so nothing is lost.
 */
static void put_bytes(struct ts_jw *jw, const char *key, const char *s, size_t n)
{
	char *esc = malloc(4 * n + 1), k[64];

	snprintf(k, sizeof(k), "%s_bytes", key);
	ts_jw_key(jw, k);
	if (!esc) {
		ts_jw_str(jw, "", 0);
		return;
	}
	ts_jw_str(jw, esc, ts_utf8_escape(s, n, esc));
	free(esc);
}

/* A string member; its bytes beside it when it was not UTF-8. */
static void put_str(struct ts_jw *jw, const char *key, const char *s, size_t n)
{
	ts_jw_key(jw, key);
	if (!ts_jw_str(jw, s, n))
		put_bytes(jw, key, s, n);
}

/* A metadata event: {"ph":"M","name":WHAT,"pid":P[,"tid":T],"args":{ARG:...}} */
static void meta_begin(struct ts_jw *jw, const char *what, uint32_t pid)
{
	ts_jw_obj_open(jw);
	TS_JW_LIT(jw, "ph", "M");
	ts_jw_cstr_field(jw, "name", what);
	TS_JW_U64(jw, "pid", pid);
}

static void json_process(struct ts_writer *w, uint32_t pid, const char *name, enum ts_track_kind k)
{
	struct json_writer *j = (struct json_writer *)w;
	struct ts_jw *jw = jw_of(w);
	uint32_t dev = pid - TS_GPU_PID_BASE;

	if (k == TS_TRACK_GPU && pid >= TS_GPU_PID_BASE && dev < JSON_MAX_DEVICES)
		j->devices[dev / 64] |= 1ull << (dev % 64);

	meta_begin(jw, "process_name", pid);
	TS_JW_KEY(jw, "args");
	ts_jw_obj_open(jw);
	put_str(jw, "name", name, strlen(name));
	ts_jw_obj_close(jw);
	ts_jw_obj_close(jw);
	/* host processes first, GPU devices after them */
	meta_begin(jw, "process_sort_index", pid);
	TS_JW_KEY(jw, "args");
	ts_jw_obj_open(jw);
	ts_jw_u64_field(jw, "sort_index",
			k == TS_TRACK_GPU ? 1000000 + (pid - TS_GPU_PID_BASE) : 0);
	ts_jw_obj_close(jw);
	ts_jw_obj_close(jw);
}

static void json_thread(struct ts_writer *w, uint32_t pid, uint32_t tid, const char *name,
			size_t len)
{
	struct ts_jw *jw = jw_of(w);

	meta_begin(jw, "thread_name", pid);
	TS_JW_U64(jw, "tid", tid);
	TS_JW_KEY(jw, "args");
	ts_jw_obj_open(jw);
	put_str(jw, "name", name, len);
	ts_jw_obj_close(jw);
	ts_jw_obj_close(jw);
}

static void put_arg(struct ts_jw *jw, const struct ts_arg *a)
{
	switch (a->type) {
	case TS_ARG_U64:
		ts_jw_u64_field(jw, a->key, a->u);
		break;
	case TS_ARG_I64:
		ts_jw_i64_field(jw, a->key, a->i);
		break;
	case TS_ARG_HEX:
		ts_jw_key(jw, a->key);
		ts_jw_hex(jw, a->u);
		break;
	case TS_ARG_STR:
		put_str(jw, a->key, a->str.s, a->str.len);
		break;
	case TS_ARG_DIM3:
		ts_jw_key(jw, a->key);
		ts_jw_arr_open(jw);
		ts_jw_u64(jw, a->dim[0]);
		ts_jw_u64(jw, a->dim[1]);
		ts_jw_u64(jw, a->dim[2]);
		ts_jw_arr_close(jw);
		break;
	}
}

/*
 * Kineto's names beside ours, on the slices that are Kineto's events: the
 * stream handle of GPU work as "stream_handle" (its integer id is "stream",
 * written before the args), and "correlation" beside "correlation_id".
 * Host calls keep "stream" as the handle, a string: HTA takes an event with
 * an integer stream for GPU work. False: an arg like any other.
 */
static bool put_kineto_arg(struct ts_jw *jw, const struct ts_slice *s, const struct ts_arg *a)
{
	if (!s->kineto_cat)
		return false;
	if (s->has_stream_id && a->type == TS_ARG_HEX && !strcmp(a->key, "stream")) {
		ts_jw_key(jw, "stream_handle");
		ts_jw_hex(jw, a->u);
		return true;
	}
	if (a->type == TS_ARG_U64 && !strcmp(a->key, "correlation_id")) {
		put_arg(jw, a);
		if (!s->corr_is_callers)
			ts_jw_u64_field(jw, "correlation", a->u);
		return true;
	}
	return false;
}

/*
 * What Kineto puts on a copy or memset: "bytes", and with measured times
 * "memory bandwidth (GB/s)" (bytes per ns are GB/s); host-submit times say
 * nothing of the copy's speed, so those have none.
 */
static void put_kineto_bytes(struct ts_jw *jw, const struct ts_slice *s)
{
	const struct ts_arg *b = ts_slice_arg(s, "size_bytes"), *t = ts_slice_arg(s, "timing");
	char bw[48];

	if (!b || b->type != TS_ARG_U64)
		return;
	ts_jw_u64_field(jw, "bytes", b->u);
	if (!t || t->type != TS_ARG_STR || t->str.len != 3 || memcmp(t->str.s, "gpu", 3) || !s->dur)
		return;
	snprintf(bw, sizeof(bw), "%.3f", (double)b->u / (double)s->dur);
	ts_jw_key(jw, "memory bandwidth (GB/s)");
	ts_jw_raw(jw, bw);
}

static void put_track(struct ts_jw *jw, uint32_t pid, uint32_t tid)
{
	TS_JW_U64(jw, "pid", pid);
	TS_JW_U64(jw, "tid", tid);
}

/*
 * A v1 flow event at the slice's midpoint, which binds it to that slice.
 * From a call to the GPU work it submitted it is Kineto's "ac2g" (Perfetto
 * pairs the two ends by id, cat and name, so both ends say the same): it
 * starts at a Kineto host call, ends on a GPU track. Others (an NCCL call to
 * the launch it made) are "submit" flows.
 */
static void put_flow(struct ts_jw *jw, const struct ts_slice *s, bool start, uint64_t id)
{
	bool ac2g = start ? s->kineto_cat && s->pid < TS_GPU_PID_BASE : s->pid >= TS_GPU_PID_BASE;

	ts_jw_obj_open(jw);
	if (start)
		TS_JW_LIT(jw, "ph", "s");
	else
		TS_JW_LIT(jw, "ph", "f");
	if (!start)
		TS_JW_LIT(jw, "bp", "e");
	if (ac2g) {
		TS_JW_LIT(jw, "cat", "ac2g");
		TS_JW_LIT(jw, "name", "ac2g");
	} else {
		TS_JW_LIT(jw, "cat", "flow");
		TS_JW_LIT(jw, "name", "submit");
	}
	TS_JW_U64(jw, "id", id);
	put_track(jw, s->pid, s->tid);
	TS_JW_KEY(jw, "ts");
	ts_jw_usec(jw, s->ts + s->dur / 2);
	ts_jw_obj_close(jw);
}

static void json_slice(struct ts_writer *w, const struct ts_slice *s)
{
	struct ts_jw *jw = jw_of(w);
	unsigned int i;
	bool name_ok;

	ts_jw_obj_open(jw);
	TS_JW_LIT(jw, "ph", "X");
	TS_JW_KEY(jw, "cat");
	/* Kineto's category where it has one (HTA reads it); ours is then an arg of host calls */
	ts_jw_ident(jw, s->kineto_cat ? s->kineto_cat : s->cat);
	TS_JW_KEY(jw, "name");
	name_ok = ts_jw_str(jw, s->name, s->name_len);
	put_track(jw, s->pid, s->tid);
	TS_JW_KEY(jw, "ts");
	ts_jw_usec(jw, s->ts);
	TS_JW_KEY(jw, "dur");
	ts_jw_usec(jw, s->dur);
	if (s->nargs || !name_ok || s->kineto_cat) {
		TS_JW_KEY(jw, "args");
		ts_jw_obj_open(jw);
		if (s->kineto_cat && s->has_stream_id)
			ts_jw_u64_field(jw, "stream", s->stream_id);
		if (s->kineto_cat && s->pid < TS_GPU_PID_BASE)
			ts_jw_cstr_field(jw, "call_category", s->cat);
		for (i = 0; i < s->nargs; i++)
			if (!put_kineto_arg(jw, s, &s->args[i]))
				put_arg(jw, &s->args[i]);
		if (s->kineto_cat && s->pid >= TS_GPU_PID_BASE)
			put_kineto_bytes(jw, s);
		/* the original bytes of a name that was not UTF-8 */
		if (!name_ok)
			put_bytes(jw, "name", s->name, s->name_len);
		ts_jw_obj_close(jw);
	}
	ts_jw_obj_close(jw);
	if (s->flow_out)
		put_flow(jw, s, true, s->flow_out);
	if (s->flow_in)
		put_flow(jw, s, false, s->flow_in);
}

static void json_counter(struct ts_writer *w, uint32_t pid, const struct ts_counter_def *c,
			 uint64_t ts, int64_t value)
{
	struct ts_jw *jw = jw_of(w);

	ts_jw_obj_open(jw);
	TS_JW_LIT(jw, "ph", "C");
	ts_jw_cstr_field(jw, "name", c->name);
	TS_JW_U64(jw, "pid", pid);
	TS_JW_KEY(jw, "ts");
	ts_jw_usec(jw, ts);
	TS_JW_KEY(jw, "args");
	ts_jw_obj_open(jw);
	ts_jw_i64_field(jw, "value", value);
	ts_jw_obj_close(jw);
	ts_jw_obj_close(jw);
}

static void json_sync(struct ts_writer *w, bool force)
{
	ts_out_boundary(&((struct json_writer *)w)->out, force);
}

/* "host" and its identity; "hosts" for a merged trace */
static void json_hosts(struct ts_jw *jw, const struct ts_trace_meta *m)
{
	static const char *const keys[] = { "machine_id", "boot_id", "kernel", "nvidia_driver",
					    "gpus" };
	const char *kv = m->host_identity;
	char v[512];
	unsigned int i;

	if (m->nhosts == 1) {
		ts_jw_cstr_field(jw, "host", m->hosts[0]);
		for (i = 0; kv && i < sizeof(keys) / sizeof(keys[0]); i++) {
			ts_host_value(kv, strlen(kv), keys[i], v, sizeof(v));
			if (v[0])
				ts_jw_cstr_field(jw, keys[i], v);
		}
	} else if (m->nhosts > 1) {
		ts_jw_key(jw, "hosts");
		ts_jw_arr_open(jw);
		for (i = 0; i < m->nhosts; i++)
			ts_jw_cstr(jw, m->hosts[i]);
		ts_jw_arr_close(jw);
	}
}

/* Records whose times or counts cannot be drawn (validate.h): how many were dropped, and why. */
static void put_invalid(struct ts_jw *jw, const struct ts_trace_meta *m)
{
	unsigned int i;

	if (!ts_invalid_total(m->invalid))
		return;
	TS_JW_U64(jw, "invalid_records_dropped", ts_invalid_total(m->invalid));
	TS_JW_KEY(jw, "invalid_records");
	ts_jw_obj_open(jw);
	for (i = 1; i < TS_INV__COUNT; i++)
		if (m->invalid[i])
			ts_jw_u64_field(jw, ts_invalid_name(i), m->invalid[i]);
	ts_jw_obj_close(jw);
}

/* A flight-recorder snapshot: "flight_recorder": its number, trigger, window and counts. */
static void json_window(struct ts_jw *jw, const struct ts_trace_meta *m)
{
	const char *kv = m->window_kv ? m->window_kv : "", *key, *val;
	size_t klen, vlen;
	char name[64];

	ts_jw_key(jw, "flight_recorder");
	ts_jw_obj_open(jw);
	TS_JW_U64(jw, "snapshot", m->snapshot);
	ts_jw_cstr_field(jw, "trigger", m->trigger ? m->trigger : "");
	TS_JW_U64(jw, "window_start_ns", m->window_start_ns);
	TS_JW_U64(jw, "window_end_ns", m->window_end_ns);
	/* key=value lines: whole numbers as numbers, the rest as strings */
	while (ts_kv_next(&kv, &key, &klen, &val, &vlen)) {
		snprintf(name, sizeof(name), "%.*s", (int)klen, key);
		ts_jw_key(jw, name);
		if (vlen && vlen < 20 && strspn(val, "0123456789") >= vlen)
			ts_jw_u64(jw, strtoull(val, NULL, 10));
		else
			ts_jw_str(jw, val, vlen);
	}
	ts_jw_obj_close(jw);
}

static void put_other_data(struct ts_jw *jw, const struct ts_trace_meta *m)
{
	TS_JW_KEY(jw, "otherData");
	ts_jw_obj_open(jw);
	ts_jw_cstr_field(jw, "tool", "tracesmith-bpf");
	ts_jw_cstr_field(jw, "version", m->version);
	ts_jw_cstr_field(jw, "command_line", m->tracer_cmdline);
	/* a merge of several hosts is on their shared wall clock */
	if (m->nhosts > 1)
		TS_JW_LIT(jw, "clock", "CLOCK_REALTIME");
	else
		TS_JW_LIT(jw, "clock", "CLOCK_MONOTONIC");
	TS_JW_U64(jw, "clock_base_monotonic_ns", m->clock_mono_ns);
	TS_JW_U64(jw, "clock_base_realtime_ns", m->clock_real_ns);
	TS_JW_U64(jw, "clock_base_boottime_ns", m->clock_boot_ns);
	TS_JW_KEY(jw, "system_wide");
	ts_jw_bool(jw, m->system_wide);
	TS_JW_U64(jw, "records", m->records);
	TS_JW_U64(jw, "dropped_events", m->drops);
	TS_JW_KEY(jw, "incomplete");
	ts_jw_bool(jw, m->incomplete);
	if (m->gpu_timing)
		ts_jw_cstr_field(jw, "gpu_timing", m->gpu_timing);
	json_hosts(jw, m);
	/* --gpu-time ran: how many slices have which times, and how far to trust them */
	if (m->gpu_measured || m->cupti_dropped) {
		TS_JW_U64(jw, "gpu_slices_measured", m->gpu_measured);
		TS_JW_U64(jw, "gpu_slices_host_timed", m->gpu_host_timed);
		TS_JW_U64(jw, "gpu_slices_not_joined", m->gpu_unjoined);
		TS_JW_U64(jw, "cupti_dropped_records", m->cupti_dropped);
		TS_JW_U64(jw, "gpu_clock_error_bound_ns", m->gpu_clock_err_ns);
	}
	/* NVTX: what was drawn, and what was not (bounds, unmatched, left open) */
	if (m->nvtx_ranges || m->nvtx_marks || m->nvtx_cut || m->nvtx_unmatched ||
	    m->nvtx_unclosed) {
		TS_JW_KEY(jw, "nvtx");
		ts_jw_obj_open(jw);
		TS_JW_U64(jw, "ranges", m->nvtx_ranges);
		TS_JW_U64(jw, "marks", m->nvtx_marks);
		TS_JW_U64(jw, "events_cut", m->nvtx_cut);
		TS_JW_U64(jw, "unmatched", m->nvtx_unmatched);
		TS_JW_U64(jw, "unclosed", m->nvtx_unclosed);
		ts_jw_obj_close(jw);
	}
	put_invalid(jw, m);
	if (m->snapshot)
		json_window(jw, m);
	if (ts_cuts_any(&m->cuts)) {
		unsigned int t;

		TS_JW_KEY(jw, "cut_by_memory_budget");
		ts_jw_obj_open(jw);
		for (t = 0; t < TS_CUT__COUNT; t++)
			ts_jw_u64_field(jw, ts_cut_name(t), m->cuts.n[t]);
		ts_jw_obj_close(jw);
	}
	ts_jw_obj_close(jw);
}

/* A process's rank (again when a wider communicator names it anew). */
static void json_rank(struct ts_writer *w, uint32_t pid, int64_t rank, int64_t nranks)
{
	struct json_writer *j = (struct json_writer *)w;

	if (j->nranks && j->rank_pid != pid) {
		j->nranks = 2; /* several ranks in one file: none is the file's */
		return;
	}
	j->nranks = 1;
	j->rank_pid = pid;
	j->rank = rank;
	j->world_size = nranks;
}

/*
 * The model of the host's GPUs when they are all one model ("NVIDIA H200
 * 0000:19:00.0; NVIDIA H200 0000:1a:00.0": each a model and its bus id).
 * CUDA's device order need not be /proc's, so a mixed host names none.
 */
static bool one_model(const char *gpus, char *model, size_t len)
{
	const char *e = gpus;
	size_t n = 0;

	model[0] = '\0';
	while (*e) {
		size_t elen = strcspn(e, ";"), mlen = elen;

		while (mlen && e[mlen - 1] != ' ')
			mlen--; /* the bus id goes */
		mlen = mlen ? mlen - 1 : 0;
		if (!mlen || mlen >= len ||
		    (n && (strlen(model) != mlen || memcmp(model, e, mlen))))
			return false;
		memcpy(model, e, mlen);
		model[mlen] = '\0';
		n++;
		e += elen;
		e += strspn(e, "; ");
	}
	return n > 0;
}

/*
 * Kineto's trace-level keys, which HTA reads: schemaVersion,
 * baseTimeNanoseconds (the Unix time of ts 0), deviceProperties (the devices
 * drawn; their model when the host has one), and distributedInfo when the
 * trace is one NCCL rank's. "rank": N is written with a space after the
 * colon, as Kineto does: HTA finds a folder's ranks by that text.
 */
static void put_kineto_meta(struct json_writer *j, const struct ts_trace_meta *m)
{
	char model[128] = "", gpus[512] = "", line[96];
	struct ts_jw *jw = &j->jw;
	unsigned int d;

	TS_JW_U64(jw, "schemaVersion", 1);
	TS_JW_U64(jw, "baseTimeNanoseconds", m->clock_real_ns);
	if (m->nhosts == 1 && m->host_identity)
		ts_host_value(m->host_identity, strlen(m->host_identity), "gpus", gpus,
			      sizeof(gpus));
	one_model(gpus, model, sizeof(model));
	TS_JW_KEY(jw, "deviceProperties");
	ts_jw_arr_open(jw);
	for (d = 0; d < JSON_MAX_DEVICES; d++) {
		if (!(j->devices[d / 64] & (1ull << (d % 64))))
			continue;
		ts_jw_obj_open(jw);
		TS_JW_U64(jw, "id", d);
		if (model[0])
			ts_jw_cstr_field(jw, "name", model);
		ts_jw_obj_close(jw);
	}
	ts_jw_arr_close(jw);
	if (j->nranks != 1)
		return;
	TS_JW_KEY(jw, "distributedInfo");
	snprintf(line, sizeof(line),
		 "{\"backend\": \"nccl\", \"rank\": %lld, \"world_size\": %lld}",
		 (long long)j->rank, (long long)j->world_size);
	ts_jw_raw(jw, line);
}

static int json_finish(struct ts_writer *w, const struct ts_trace_meta *m)
{
	struct json_writer *j = (struct json_writer *)w;

	ts_jw_arr_close(&j->jw); /* traceEvents */
	ts_jw_cstr_field(&j->jw, "displayTimeUnit", "ns");
	put_kineto_meta(j, m);
	put_other_data(&j->jw, m);
	ts_jw_obj_close(&j->jw);
	ts_out_putc(&j->out, '\n');
	return ts_out_close(&j->out);
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
	.rank = json_rank,
	.sync = json_sync,
	.finish = json_finish,
	.destroy = json_destroy,
};

int ts_json_writer_open(const char *path, struct ts_writer **out)
{
	struct json_writer *j = calloc(1, sizeof(*j));
	int err;

	*out = NULL;
	if (!j)
		return -ENOMEM;
	err = ts_out_open(&j->out, path);
	if (err) {
		free(j);
		return err;
	}
	j->base.ops = &json_ops;
	ts_jw_init(&j->jw, &j->out);
	ts_jw_obj_open_lines(&j->jw);
	ts_jw_key(&j->jw, "traceEvents");
	ts_jw_arr_open_lines(&j->jw);
	*out = &j->base;
	return 0;
}

int ts_json_writer_retarget(struct ts_writer *w, const char *path)
{
	struct json_writer *j = (struct json_writer *)w;
	char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	free(j->out.file.path);
	j->out.file.path = p;
	return 0;
}
