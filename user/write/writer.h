/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The interface between the correlator and the output formats. The
 * correlator says what happened, in trace terms (tracks, slices, counters,
 * flows); a writer says it in its format. Times are ns since the trace start.
 */
#ifndef TS_WRITER_H
#define TS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "encode/outfile.h"
#include "record/validate.h"
#include "lib/budget.h"

enum ts_arg_type {
	TS_ARG_U64,
	TS_ARG_I64,
	TS_ARG_HEX, /* written as a "0x..." string */
	TS_ARG_STR,
	TS_ARG_DIM3,
};

struct ts_arg {
	const char *key; /* static storage (a literal, a table's): writers may keep the pointer */
	uint8_t type;
	union {
		uint64_t u;
		int64_t i;
		struct {
			const char *s;
			uint32_t len;
		} str;
		uint32_t dim[3];
	};
};

#define TS_MAX_ARGS  24
#define TS_MAX_HOSTS 64 /* machines named in one (merged) trace */
#define TS_META_GPUS 16 /* devices whose CUPTI limits the trace keeps */

/* GPU devices are drawn as processes with these pids: above PID_MAX_LIMIT (4M), never real. */
#define TS_GPU_PID_BASE 0x7fff0000u

/* What kind of call a host slice is, from the hook table: the stats act on it. */
enum ts_slice_kind {
	TS_SK_BLOCKS = 0x1,	 /* may block on the GPU (a synchronize, a synchronous copy) */
	TS_SK_SYNCHRONIZE = 0x2, /* a synchronize call */
	TS_SK_DEV_ALLOC = 0x4,	 /* allocates device memory: args ptr, size_bytes */
	TS_SK_DEV_FREE = 0x8,	 /* frees device memory: arg ptr */
	TS_SK_FAILED = 0x10, /* returned an error (not its library's "not ready"): ts_hook_failed */
};

/* A counter track: its name, and the unit of its values. */
enum ts_unit { TS_UNIT_NONE, TS_UNIT_BYTES };
struct ts_counter_def {
	const char *name;
	enum ts_unit unit;
};

/*
 * --stacks: a call's stack, interned by the correlator (correlate/stacks.c) for
 * the whole trace: the same frames, the same pointer and id. Ids count from 1 in
 * the order of first use, so a replay numbers them as the live run did.
 */
struct ts_frame {
	uint32_t id;
	int32_t line;	  /* -1: not known */
	bool native;	  /* the native caller: func is "library!symbol+0xoff", no file */
	const char *func; /* UTF-8, NUL-ended; "?" for a code object never described */
	const char *file; /* UTF-8, NUL-ended; "" for a native frame */
};

struct ts_stack {
	uint32_t id;
	bool cut;	      /* more Python frames than were walked: the outermost are missing */
	unsigned int nframes; /* the native caller (when named) first, then Python's */
	const struct ts_frame **frames; /* innermost first */
};

struct ts_slice {
	uint32_t pid, tid; /* the track: a host thread, or a GPU device's stream lane */
	uint64_t ts, dur;
	const char *name;
	size_t name_len;
	const char *cat;   /* static storage, like arg keys */
	const char *api;   /* host calls: the function's base name (cuMemAlloc of cuMemAlloc_v2) */
	uint8_t kind;	   /* enum ts_slice_kind bits; 0 for GPU and driver slices */
	uint64_t flow_out; /* a flow starts here (0: none) */
	uint64_t flow_in;  /* a flow ends here (0: none) */
	const struct ts_stack *stack; /* host calls with --stacks: who made it (NULL: not known) */
	/*
	 * Kineto's view, for the JSON writer (the other formats keep cat): the
	 * category Kineto gives this slice (cuda_driver, kernel, gpu_memcpy, ...;
	 * NULL: not one of Kineto's events), and on GPU work its stream's small
	 * integer id (CUPTI's when measured) and the process whose work it is.
	 */
	const char *kineto_cat;
	/*
	 * Its correlation id is the runtime call's it was made in (--runtime-api):
	 * Kineto's "correlation" is that call's alone, one host call per id.
	 */
	bool corr_is_callers;
	bool has_stream_id;
	uint32_t stream_id;
	uint32_t owner_pid;
	unsigned int nargs;
	struct ts_arg args[TS_MAX_ARGS];
};

/* What the trace says about itself: written once, at the end. */
struct ts_trace_meta {
	const char *version;
	const char *tracer_cmdline;
	uint64_t clock_mono_ns; /* CLOCK_MONOTONIC at trace time 0 */
	uint64_t clock_real_ns; /* CLOCK_REALTIME read with it */
	uint64_t clock_boot_ns; /* CLOCK_BOOTTIME read with it, 0 if unknown */
	uint64_t drops;
	uint64_t records;
	uint64_t end_ns;  /* the last time in the trace */
	bool system_wide; /* -a: every process, not one process tree */
	/* what GPU slices' times are: "host-submit", "gpu" or "mixed" (NULL: none) */
	const char *gpu_timing;
	/* --gpu-time: slices with measured and with host-submit times, measured ones no
	 * traced call submitted, records CUPTI dropped, the clock mapping's error bound */
	uint64_t gpu_measured, gpu_host_timed, gpu_unjoined, cupti_dropped, gpu_clock_err_ns;
	/* NVTX: ranges and marks drawn, events not kept (bounds), unmatched, left open */
	uint64_t nvtx_ranges, nvtx_marks, nvtx_cut, nvtx_unmatched, nvtx_unclosed;
	bool incomplete; /* the input ended early (signal, salvage) */
	/* records dropped for times or counts that cannot be drawn, by enum ts_invalid */
	uint64_t invalid[TS_INV__COUNT];
	/* the machines the trace comes from (META_HOST): one, or several when merged */
	const char *hosts[TS_MAX_HOSTS];
	unsigned int nhosts;
	/* --gpu-time: each device's limits as CUPTI said them (the first TS_META_GPUS) */
	struct ts_meta_gpu {
		uint32_t id, sms, max_warps, max_blocks, max_regs, max_shmem;
		uint32_t cc; /* compute capability, major << 8 | minor */
		char name[72];
	} gpus[TS_META_GPUS];
	unsigned int ngpus;
	const char *host_identity; /* the first host's identity lines */
	/*
	 * A flight-recorder snapshot (META_SNAP; snapshot 0: not one): its
	 * number, its trigger, its window in trace times, and key=value lines
	 * (what set it off, what the memory bound cut).
	 */
	uint32_t snapshot;
	const char *trigger;
	uint64_t window_start_ns, window_end_ns;
	const char *window_kv;
	struct ts_cuts cuts; /* what the memory budget turned away (budget.h) */
};

enum ts_track_kind { TS_TRACK_HOST, TS_TRACK_GPU };

struct ts_writer;

struct ts_writer_ops {
	const char *name;
	/* Optional: the clock base (m->clock_*), before any event. */
	void (*start)(struct ts_writer *w, const struct ts_trace_meta *m);
	void (*process)(struct ts_writer *w, uint32_t pid, const char *name, enum ts_track_kind k);
	/* Optional: the process ended (its pid may come back as a new process). */
	void (*process_exit)(struct ts_writer *w, uint32_t pid);
	void (*thread)(struct ts_writer *w, uint32_t pid, uint32_t tid, const char *name,
		       size_t len);
	void (*slice)(struct ts_writer *w, const struct ts_slice *s);
	void (*counter)(struct ts_writer *w, uint32_t pid, const struct ts_counter_def *c,
			uint64_t ts, int64_t value);
	/* Optional: process pid is rank `rank` of an NCCL job of nranks (its widest communicator). */
	void (*rank)(struct ts_writer *w, uint32_t pid, int64_t rank, int64_t nranks);
	/*
	 * Optional: what was written so far ends whole events (the correlator
	 * calls it after each record); write them out when due, now with force.
	 * A file killed at any moment then ends on an event boundary.
	 */
	void (*sync)(struct ts_writer *w, bool force);
	/* Write the trailer, close, put the file in place; 0 or -errno (full disk, ...). */
	int (*finish)(struct ts_writer *w, const struct ts_trace_meta *m);
	/* Free; a writer never finished removes its file (the run never started). */
	void (*destroy)(struct ts_writer *w);
};

struct ts_writer {
	const struct ts_writer_ops *ops;
};

/* "stats:PATH" and "stats-json:PATH" force the stats report ("-": stdout). */
#define TS_STATS_PREFIX	     "stats:"
#define TS_STATS_JSON_PREFIX "stats-json:"
#define TS_STATS_STDOUT	     "stats:-"
/* --stats of a live run: on stderr, never in the traced program's stdout */
#define TS_STATS_STDERR	     "stats:" TS_STDERR_PATH
#define TS_STATS_JSON_STDOUT "stats-json:-"

/* NULL-safe. (The writer for a path is picked where outputs are opened: run/outputs.c.) */
static inline void ts_writer_destroy(struct ts_writer *w)
{
	if (w)
		w->ops->destroy(w);
}

int ts_json_writer_open(const char *path, struct ts_writer **out);
/* A JSON writer not finished yet is put in place at path instead (same folder); 0 or -ENOMEM. */
int ts_json_writer_retarget(struct ts_writer *w, const char *path);
/* "%r" in a .json name: one JSON file per NCCL rank (rank_split.c); -EINVAL said if misplaced. */
int ts_rank_split_open(const char *pattern, struct ts_writer **out);
int ts_pftrace_writer_open(const char *path, struct ts_writer **out);
int ts_sqlite_writer_open(const char *path, struct ts_writer **out);

/*
 * The next key=value line of *kv (a snapshot's window_kv): false at the end.
 * Lines without '=' or with an empty key are skipped.
 */
static inline bool ts_kv_next(const char **kv, const char **key, size_t *klen, const char **val,
			      size_t *vlen)
{
	while (**kv) {
		const char *line = *kv, *nl = line, *eq = NULL;

		while (*nl && *nl != '\n') {
			if (*nl == '=' && !eq)
				eq = nl;
			nl++;
		}
		*kv = *nl ? nl + 1 : nl;
		if (!eq || eq == line)
			continue;
		*key = line;
		*klen = eq - line;
		*val = eq + 1;
		*vlen = nl - eq - 1;
		return true;
	}
	return false;
}

/* The arg with this key, or NULL. */
static inline const struct ts_arg *ts_slice_arg(const struct ts_slice *s, const char *key)
{
	unsigned int i;

	for (i = 0; i < s->nargs; i++)
		if (!__builtin_strcmp(s->args[i].key, key))
			return &s->args[i];
	return NULL;
}

/* Remove the arg with this key, if there is one (the others keep their order). */
static inline void ts_slice_drop_arg(struct ts_slice *s, const char *key)
{
	unsigned int i;

	for (i = 0; i < s->nargs; i++)
		if (!__builtin_strcmp(s->args[i].key, key)) {
			__builtin_memmove(&s->args[i], &s->args[i + 1],
					  (s->nargs - i - 1) * sizeof(s->args[0]));
			s->nargs--;
			return;
		}
}

/* Helpers to fill slice args. */
static inline void ts_arg_u64(struct ts_slice *s, const char *k, uint64_t v)
{
	if (s->nargs < TS_MAX_ARGS)
		s->args[s->nargs++] = (struct ts_arg){ .key = k, .type = TS_ARG_U64, .u = v };
}
static inline void ts_arg_i64(struct ts_slice *s, const char *k, int64_t v)
{
	if (s->nargs < TS_MAX_ARGS)
		s->args[s->nargs++] = (struct ts_arg){ .key = k, .type = TS_ARG_I64, .i = v };
}
static inline void ts_arg_hex(struct ts_slice *s, const char *k, uint64_t v)
{
	if (s->nargs < TS_MAX_ARGS)
		s->args[s->nargs++] = (struct ts_arg){ .key = k, .type = TS_ARG_HEX, .u = v };
}
static inline void ts_arg_str(struct ts_slice *s, const char *k, const char *v, size_t len)
{
	if (s->nargs < TS_MAX_ARGS)
		s->args[s->nargs++] = (struct ts_arg){ .key = k,
						       .type = TS_ARG_STR,
						       .str = { v, (uint32_t)len } };
}
static inline void ts_arg_dim3(struct ts_slice *s, const char *k, const uint32_t d[3])
{
	if (s->nargs < TS_MAX_ARGS)
		s->args[s->nargs++] = (struct ts_arg){ .key = k,
						       .type = TS_ARG_DIM3,
						       .dim = { d[0], d[1], d[2] } };
}

#endif
