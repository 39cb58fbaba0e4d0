/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Inside the correlator (user/correlate/): dispatch.c takes each record and
 * calls down into the GPU side (gpu_track.c) and the driver side
 * (driver_track.c); both call up only into the state (state.c).
 */
#ifndef TS_CORR_INT_H
#define TS_CORR_INT_H

#include "correlate/correlate.h"
#include "record/decode.h"
#include "lib/hashmap.h"
#include "lib/budget.h"
#include "lib/strmap.h"
#include "correlate/gpu_facts.h"

#define TS_MAX_DEVICES	 256 /* slots: TS_MERGE_MAX_HOSTS hosts of TS_DEVS_PER_HOST */
#define TS_DEVS_PER_HOST 8
#define TS_MAX_LANES	 8
#define TS_CTX_STACK	 8

#define TS_MAX_PENDING 64

struct ts_proc {
	int64_t dev_mem;  /* device bytes allocated and not yet freed */
	bool gpu_time;	  /* its CUPTI injection started: GPU records will come */
	uint32_t ngraphs; /* graphs, execs and captures kept (TS_GRAPH_MAX_PER_PROC) */
	/* driver calls in the current one-second bucket of trace time */
	uint64_t drv_bucket, drv_calls, drv_ns;
	bool drv_seen;
	char name[256];	      /* its command, as META_PROC said */
	uint32_t ncomms;      /* NCCL communicators kept (TS_NCCL_MAX_COMMS) */
	int64_t label_nranks; /* the size of the communicator its name shows a rank of */
};

struct ts_thr {
	uint64_t ctx[TS_CTX_STACK]; /* ctx[depth - 1] is current */
	unsigned int depth;
	/* driver events inside the hooked call in flight, until its record comes */
	struct ts_rec_driver *pending[TS_MAX_PENDING];
	unsigned int npending;
	/* a call that may block, seen to begin and not yet to end */
	bool open;
	uint32_t open_sym;
	uint64_t open_ts;
	/* an upper library's call (NCCL) in flight: the driver calls inside it join it */
	bool up_open, up_flowed;
	uint32_t up_sym;
	uint64_t up_ts, up_corr;
	uint8_t up_lib;		   /* its library: enum ts_lib_id */
	uint32_t nccl_group_depth; /* inside ncclGroupStart .. End */
	uint64_t nccl_group;	   /* the group's id */
};

struct ts_lane {
	uint32_t tid;
	uint64_t end; /* latest end of any slice on this lane */
};

struct ts_lanes {
	unsigned int n;
	struct ts_lane lanes[TS_MAX_LANES];
};

/* What a GPU slice's times are: the submitting call's, or measured on the GPU (CUPTI). */
enum ts_timing { TS_TIMING_HOST, TS_TIMING_GPU };

struct ts_stream {
	uint32_t dev;
	/* its small id in Kineto's JSON: ours (1, 2, ...), CUPTI's once a measured record names it */
	uint32_t id;
	struct ts_lanes sub, gpu; /* host-submit tracks, measured tracks */
	char name[80];
};

/* What a table of names may still hold (kept_names.c). */
struct ts_name_budget {
	size_t count, bytes;
	size_t max_count, max_bytes;
	enum ts_cut_table table;
};

struct ts_device {
	bool announced;
	uint32_t next_tid;
};

/* stacks.c: the call stacks of --stacks, interned for the trace (writer.h's ts_stack) */
struct ts_stacks {
	struct ts_strmap frames; /* native, line, func, file -> struct ts_frame * */
	struct ts_strmap stacks; /* cut, frame ids -> struct ts_stack * */
	uint32_t nframe_ids, nstack_ids;
	struct ts_frame *over_frame; /* the shared stack past the budget, made when needed */
	struct ts_stack *over;
};
#define TS_GPU_DEVS_MAX 64 /* devices' limits kept, all processes together */

struct ts_corr {
	struct ts_writer *w;
	const char *version;
	struct ts_symtab syms;
	struct ts_corr_stats stats;
	struct ts_trace_meta meta;
	char *tracer_cmdline;
	bool have_base;
	bool merged;   /* captures of several hosts: devices are per host (ts_dev_slot) */
	uint64_t base; /* CLOCK_MONOTONIC ns of trace time 0 */
	uint64_t last_ts;
	uint64_t stop_ts;	   /* when the tracer stopped (META_END), 0 if unknown */
	unsigned int driver_major; /* NVIDIA driver version at capture, 0 if unknown */
	uint64_t next_corr;
	uint32_t next_stream_id;
	struct ts_hmap procs;	/* (pid, 0) -> struct ts_proc * */
	struct ts_hmap threads; /* (pid, tid) -> struct ts_thr * */
	struct ts_hmap ctxdev;	/* (pid, context) -> device */
	struct ts_hmap streams; /* (pid, stream key) -> struct ts_stream * */
	struct ts_hmap fnames;	/* (pid, CUfunction or CUkernel) -> char * */
	struct ts_hmap knames;	/* (pid, CUkernel) -> char * */
	struct ts_hmap rtfuncs; /* (pid, host stub) -> char *: the runtime's registered kernels */
	struct ts_hmap
		recovered;     /* (pid, handle) -> 1: its fnames entry was read from its object */
	struct ts_hmap allocs; /* (pid, device pointer) -> bytes */
	struct ts_name_budget kernel_names; /* fnames, knames and rtfuncs together */
	struct ts_name_budget cupti_names;  /* gnames */
	struct ts_cuts cuts;		    /* what the memory budget turned away */
	uint64_t graph_nodes;		    /* kept, all graphs (TS_CAP_GRAPH_NODES) */
	void *tid_copy;			    /* a record moved to an overflow thread (65536 B) */
	/* CUDA graphs (graph_track.c); struct ts_graph * values */
	struct ts_hmap graphs;	  /* (pid, CUgraph) */
	struct ts_hmap execs;	  /* (pid, CUgraphExec): what it runs */
	struct ts_hmap captures;  /* (pid, capture id): being captured */
	struct ts_hmap capturing; /* (pid, stream) -> capture id */
	struct ts_hmap events;	  /* (pid, event) -> capture id it was recorded in */
	/* --gpu-time (gpu_time.c) */
	struct ts_hmap gpending; /* (pid, tid) -> struct ts_pring *: submits awaiting GPU records */
	struct ts_hmap gnames;	 /* (pid, CUPTI name id) -> demangled kernel name */
	uint64_t npending;	 /* submits held in all gpending rings */
	struct ts_hmap gearly;	 /* (pid, tid) -> struct ts_early *: records before their call */
	uint64_t nearly;	 /* records held in all gearly lists */
	uint64_t gpu_time_failed; /* processes whose CUPTI injection said it failed */
	uint64_t clock_err_ns;	  /* the largest CUPTI clock calibration error seen */
	/* devices' limits from CUPTI (occupancy); a bounded few, more are not kept */
	struct ts_gpu_dev {
		uint32_t pid, dev;
		struct ts_gpu_limits lim;
	} gdevs[TS_GPU_DEVS_MAX];
	unsigned int ngdevs;
	/* NVTX (nvtx_track.c), each keyed (pid, ...), malloc'd values */
	struct ts_hmap nvtx_procs;  /* (pid, 0): what the process holds, against the bounds */
	struct ts_hmap nvtx_names;  /* (pid, kind | domain | id): domain, string, category names */
	struct ts_hmap nvtx_stacks; /* (pid, domain << 32 | tid): push/pop ranges open */
	struct ts_hmap nvtx_open;   /* (pid, range id): start/end ranges open */
	struct ts_hmap nvtx_lanes;  /* (pid, domain): its start/end track */
	char *hosts[TS_MAX_HOSTS];  /* META_HOST names, in order, distinct */
	unsigned int nhosts;
	char *host_identity;
	char *trigger, *window_kv; /* META_SNAP's strings (a flight-recorder snapshot) */
	uint64_t next_capture;
	struct ts_hmap ncomms; /* (pid, ncclComm_t) -> struct ts_ncomm * */
	uint64_t next_nccl_group;
	struct ts_device devs[TS_MAX_DEVICES];
	/* --stacks (callsite.c) */
	struct ts_hmap pycodes; /* (pid, code object) -> its names and line table */
	struct ts_hmap callers; /* (pid, return address) -> "lib!symbol+0xoff" */
	struct ts_hmap sites;	/* (pid, tid) -> the stack awaiting its call */
	uint64_t npycodes, pycodes_over;
	struct ts_stacks stacks;
};

static inline uint64_t ts_rel(struct ts_corr *c, uint64_t ts)
{
	return ts > c->base ? ts - c->base : 0;
}

/* callsite.c: --stacks records, and the args they give the call that follows */
void ts_site_record(struct ts_corr *c, const void *rec);
void ts_site_args(struct ts_corr *c, const struct ts_rec_api *r, struct ts_slice *s);
/* the call's stack (interned, NULL: none), for the GPU work it submits */
const struct ts_stack *ts_site_stack(struct ts_corr *c, const struct ts_rec_api *r);
/* forget a thread's pending stack, or (process) everything of pid */
void ts_site_forget(struct ts_corr *c, uint32_t pid, uint32_t tid, bool process);
void ts_site_free(struct ts_corr *c);
/*
 * stacks.c: a frame, interned (NULL past TS_CAP_STACK_FRAMES or without
 * memory); the stack of n frames, innermost first, interned: past the
 * budget (or a NULL frame) the one shared stack, counted; NULL without memory.
 */
const struct ts_frame *ts_stack_frame(struct ts_corr *c, const char *func, const char *file,
				      int32_t line, bool native);
const struct ts_stack *ts_stack_intern(struct ts_corr *c, const struct ts_frame **frames,
				       unsigned int n, bool cut);
void ts_stacks_free(struct ts_stacks *s);

/* state.c: lookups (NULL, 0 when unknown), and adds that announce new tracks to the writer. */
struct ts_proc *ts_proc_find(struct ts_corr *c, uint32_t pid);
/* Add without announcing: a META_PROC names the process itself. */
struct ts_proc *ts_proc_add(struct ts_corr *c, uint32_t pid);
struct ts_proc *ts_proc_find_or_announce(struct ts_corr *c, uint32_t pid);
struct ts_thr *ts_thread_find(struct ts_corr *c, uint32_t pid, uint32_t tid);
/* Add without naming the thread (a TS_REC_THREAD names it); its process is announced if new. */
struct ts_thr *ts_thread_add(struct ts_corr *c, uint32_t pid, uint32_t tid, bool *created);
struct ts_thr *ts_thread_find_or_announce(struct ts_corr *c, uint32_t pid, uint32_t tid);
/*
 * The thread the memory budget has room for: rec itself; past TS_CAP_THREADS,
 * for a thread not kept yet, a copy (in c) drawn on its process's overflow
 * thread; NULL for what would only name or end that shared thread.
 */
#define TS_TID_OVERFLOW 0xffffffffu
/*
 * The process that stands for every process past TS_CAP_PROCS: below the GPU
 * tracks' pids and above every merged pid (TS_MERGE_MAX_HOSTS spans).
 */
#define TS_PID_OVERFLOW 0x7ffefffeu
/*
 * rec as the memory budget draws it: as it is, moved to its process's
 * overflow thread or to the overflow process (a copy, valid until the next
 * call), or NULL when it only names or ends what the budget turned away.
 */
const void *ts_rec_bound(struct ts_corr *c, const void *rec);
/* The device slot (a GPU track process) of device ordinal dev in pid's host. */
uint32_t ts_dev_slot(const struct ts_corr *c, uint32_t pid, uint64_t dev);
/* The device of the thread's current context; 0 if it was made current before we looked. */
uint32_t ts_thread_dev(struct ts_corr *c, uint32_t pid, uint32_t tid);
/* The thread's current CUcontext, 0 if it was made current before we looked. */
uint64_t ts_thread_ctx(struct ts_corr *c, uint32_t pid, uint32_t tid);
/* Free the threads of pid (all of them with all), with the driver events they hold. */
void ts_state_free_threads(struct ts_corr *c, bool all, uint32_t pid);

/*
 * kept_names.c: names within the budget b. keep: store name (malloc'd, now
 * the map's) under (pid, key), or free it and count the cut; true if kept.
 * room: may n more names of bytes in all be kept (else counted as one cut)?
 * forget: drop pid's names (all: every name) from m.
 */
bool ts_names_keep(struct ts_corr *c, struct ts_name_budget *b, struct ts_hmap *m, uint32_t pid,
		   uint64_t key, char *name);
bool ts_names_room(struct ts_corr *c, struct ts_name_budget *b, unsigned int n, size_t bytes);
void ts_names_forget(struct ts_name_budget *b, struct ts_hmap *m, bool all, uint32_t pid);

/* ops.c: a GPU operation, from the call that asks for it, and the slice that draws it */
enum ts_op_kind { TS_OP_KIND_KERNEL = 1, TS_OP_KIND_COPY, TS_OP_KIND_MEMSET };

struct ts_gpu_op {
	uint8_t kind; /* enum ts_op_kind */
	uint8_t dir;  /* enum ts_dir, copies */
	struct ts_launch launch;
	uint64_t bytes, src, dst, value;
};

/* Does a call of this kind put work on a stream now (a graph's node calls only describe it)? */
bool ts_gpu_op_submits(enum ts_sem sem);
/* Decode a launch, copy or memset (or a graph node's params); false for anything else. */
bool ts_gpu_op_of_call(const struct ts_call *call, struct ts_gpu_op *op, uint64_t *stream);
/* Name, category and args of op's slice; buf holds a name made up for it. */
void ts_gpu_op_slice(struct ts_corr *c, uint32_t pid, const struct ts_gpu_op *op,
		     struct ts_slice *s, char *buf, size_t buflen);

/* A call that put work on a stream, as the GPU side needs it. */
struct ts_submit {
	uint32_t pid, tid;
	uint64_t ts, dur; /* the call: CLOCK_MONOTONIC ns */
	uint64_t stream;  /* the CUstream handle passed */
	bool per_thread;  /* a per-thread-default-stream variant */
	bool graph;	  /* a graph launch of exec, else op */
	uint64_t exec;
	struct ts_gpu_op op;
	uint32_t dev;
	uint64_t ctx;
	uint64_t flow;		      /* correlation id: the host slice's flow out */
	uint32_t matched;	      /* GPU records joined to it (gpu_time.c) */
	uint32_t expect;	      /* GPU records it makes: 1, or its graph's nodes */
	const struct ts_stack *stack; /* --stacks: the call's (callsite.c), NULL: none */
};

/* gpu_track.c: false if the call submitted nothing (failed, or not a submit). */
bool ts_gpu_describe(struct ts_corr *c, const struct ts_call *call, struct ts_submit *sub);
/* Draw sub on its stream's "(submitted)" track, with the call's times. */
void ts_gpu_draw_host(struct ts_corr *c, const struct ts_submit *sub);
/* The stream sub went to, created on first use; NULL without memory. */
struct ts_stream *ts_gpu_stream(struct ts_corr *c, const struct ts_submit *sub);
struct ts_stream *ts_gpu_stream_by_key(struct ts_corr *c, uint32_t pid, uint64_t key, uint32_t dev,
				       const char *label);
/* The track for [ts, end) on the stream: the first lane of that timing free then. */
uint32_t ts_gpu_lane(struct ts_corr *c, struct ts_stream *s, enum ts_timing timing, uint64_t ts,
		     uint64_t end);
void ts_gpu_common_args(struct ts_slice *s, const struct ts_submit *sub, uint32_t dev);
/* A GPU slice's stream id (Kineto's integer stream) and the process whose work it is. */
void ts_gpu_stream_id(struct ts_slice *s, const struct ts_stream *st, uint32_t owner);

/*
 * gpu_time.c: --gpu-time. A submit of a process whose CUPTI injection runs
 * is held until its GPU records come, then drawn with their times; one that
 * never gets them is drawn host-timed when evicted, at exit or at the end.
 */
void ts_gpu_time_hold(struct ts_corr *c, const struct ts_submit *sub);
void ts_gpu_time_record(struct ts_corr *c, const struct ts_rec_gpu *r);
void ts_gpu_time_name(struct ts_corr *c, const struct ts_rec_gpu_name *r);
void ts_gpu_time_info(struct ts_corr *c, const struct ts_rec_gpu_info *r);
/* Draw host-timed what pid's submits still wait for (every pid's with all), and forget it. */
void ts_gpu_time_forget(struct ts_corr *c, uint32_t pid, bool all);
void ts_gpu_stream_created(struct ts_corr *c, const struct ts_call *call, uint64_t stream);
void ts_gpu_stream_destroyed(struct ts_corr *c, uint32_t pid, uint64_t stream);

/*
 * graph_track.c: CUDA graphs. What a capture or the node API puts in a graph,
 * what an instantiated graph (an exec) runs, so each graph launch draws the
 * kernels, copies and memsets it runs. Memory is bounded: nodes past
 * TS_GRAPH_MAX_NODES and graphs past TS_GRAPH_MAX_PER_PROC are counted, not kept.
 */
#define TS_GRAPH_MAX_NODES    4096
#define TS_GRAPH_MAX_PER_PROC 1024

struct ts_gnode {
	uint64_t handle; /* CUgraphNode; 0 for a captured one */
	struct ts_gpu_op op;
};

struct ts_graph {
	struct ts_gnode *nodes;
	uint32_t n, cap;
	uint64_t cut; /* nodes not kept */
	bool partial; /* built (in part) before the trace began */
};

/*
 * A launch, copy or memset on a stream that is being captured: it goes into
 * the capture, not to the GPU. Returns the capture id, 0 if not captured.
 */
uint64_t ts_graph_capture(struct ts_corr *c, const struct ts_call *call);
/* The graph calls (capture, create, add, instantiate, update, destroy) and event joins. */
void ts_graph_call(struct ts_corr *c, const struct ts_call *call, struct ts_slice *host);
/* What exec runs, NULL if the tracer never saw it instantiated. */
const struct ts_graph *ts_graph_exec(struct ts_corr *c, uint32_t pid, uint64_t exec);
/* Drop the graphs of pid (all with all). */
void ts_graph_forget(struct ts_corr *c, uint32_t pid, bool all);

/*
 * nvtx_track.c: NVTX ranges, marks and names, bounded per process by these
 * (what a process's NVTX says beyond them is counted, not kept).
 */
#define TS_NVTX_MAX_NAMES  65536 /* domains, registered strings, categories, thread names */
#define TS_NVTX_MAX_STACKS 4096	 /* push/pop stacks: threads x domains */
#define TS_NVTX_MAX_DEPTH  128	 /* push/pop ranges open on one stack */
#define TS_NVTX_MAX_OPEN   65536 /* start/end ranges open */
#define TS_NVTX_MAX_TRACKS 256	 /* domains with start/end ranges drawn */
#define TS_NVTX_LANES	   8
/* start/end tracks' thread ids: above any real tid (PID_MAX_LIMIT is 4M) */
#define TS_NVTX_TID_BASE 0x40000000u
void ts_nvtx_record(struct ts_corr *c, const struct ts_rec_nvtx *r);
/* Drop pid's NVTX state (every pid's with all); ranges still open are counted. */
void ts_nvtx_forget(struct ts_corr *c, uint32_t pid, bool all);

/* The driver layer (driver_track.c). */
void ts_drv_record(struct ts_corr *c, const struct ts_rec_driver *r);
/* Does the thread hold driver events from inside the call that began at api_ts? */
bool ts_drv_pending(const struct ts_thr *t, uint64_t api_ts);
/* Emit the thread's held driver events, joined to that call by corr. */
void ts_drv_flush(struct ts_corr *c, struct ts_thr *t, uint64_t api_ts, uint64_t corr,
		  const char *api_sym);
/* Emit everything held for pid (all pids when all), and its last counters. */
void ts_drv_forget(struct ts_corr *c, uint32_t pid, bool all);

/*
 * nccl_track.c: NCCL communicators (bounded per process: past the bound,
 * counted in stats.nccl_comms_cut), groups, an operation's values in NCCL's
 * words, and the driver calls made inside an NCCL call.
 */
#define TS_NCCL_MAX_COMMS 256
struct ts_ncomm {
	uint64_t id; /* the unique id's hash: the same in every rank */
	int64_t rank, nranks;
};
/* An NCCL call's record: its args in s, its communicators and groups kept. */
void ts_nccl_call(struct ts_corr *c, const struct ts_call *call, struct ts_thr *t,
		  struct ts_slice *s);
/* A call began (TS_REC_API_ENTER): true if an upper library's, now in flight on t. */
bool ts_nccl_began(struct ts_corr *c, struct ts_thr *t, const struct ts_rec_hdr *h);
/* A driver call that submitted GPU work: tied to the NCCL call in flight on t, if any. */
void ts_nccl_inner(struct ts_thr *t, const struct ts_rec_api *r, struct ts_slice *s);
void ts_nccl_forget(struct ts_corr *c, uint32_t pid, bool all);

/*
 * runtime_track.c: the CUDA runtime (--runtime-api). Kernels registered by
 * host stub (bounded with the kernel names), a launch's kernel and
 * dimensions, and one correlation id for a runtime call, the driver submit
 * inside it and the GPU work.
 */
void ts_rt_call(struct ts_corr *c, const struct ts_call *call, struct ts_thr *t,
		struct ts_slice *s);
/* What a runtime call defines (a registered kernel), from a call drawn or a context one. */
void ts_rt_learn(struct ts_corr *c, const struct ts_call *call);
/* The correlation id of a submit made on t now: its runtime call's (the first), or a new one. */
uint64_t ts_rt_submit_corr(struct ts_corr *c, struct ts_thr *t, const struct ts_rec_api *r,
			   bool *callers);

#endif
