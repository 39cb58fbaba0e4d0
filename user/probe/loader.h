/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Loading the BPF programs and attaching them to libcuda and the scheduler. */
#ifndef TS_LOADER_H
#define TS_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <bpf/libbpf.h>

struct tracesmith_bpf;

/* distinct libcuda files hooked at once (-a: one per container image) */
#define TS_MAX_LIBS 16

struct ts_probes {
	struct tracesmith_bpf *skel;
	bool multi;   /* attached with uprobe_multi links (fds), else perf links */
	bool session; /* one uprobe session link per library (6.13+), not an entry/return pair */
	int fds[2 * TS_MAX_LIBS];
	unsigned int nfds;
	struct bpf_link **links;
	unsigned int nlinks;
	unsigned int nsyms_attached;
	bool nvtx_hooked; /* the NVTX library's hand-off is hooked */
	bool watching;	  /* upper libraries are noticed as they are mapped (TS_REC_LIB_MAP) */
	struct ring_buffer *rb;
	/* the ring's consumer and producer positions, mapped read-only (ts_probes_ring_fill) */
	const volatile unsigned long *rb_cons, *rb_prod;
	uint64_t rb_size;
};

struct ts_probe_opts {
	const char *lib;	 /* libcuda to hook */
	const uint64_t *offsets; /* per ts_syms entry; 0 = not exported */
	bool filter_pids;	 /* only processes added with ts_probes_trace_pid */
	bool api;		 /* hook libcuda */
	bool driver;		 /* trace syscalls on NVIDIA device files */
	bool watch_libs;	 /* say when an upper library (NCCL) is mapped: TS_REC_LIB_MAP */
	bool opt_in_libs;	 /* and the ones hooked only when asked (--runtime-api) */
	bool stacks;		 /* --stacks: call sites (native caller, Python frames) */
	const char *gpu_lib;	 /* --gpu-time: the injection library, its hand-off hooked */
	const char *nvtx_lib;	 /* NVTX: the injection library, its hand-off hooked */
	uint32_t rb_bytes;	 /* ring buffer size, a power of two */
	ring_buffer_sample_fn on_record;
	void *ctx;
};

/* Can this process load BPF at all? Prints what to do and returns -errno if not. */
int ts_probes_preflight(void);

int ts_probes_open(struct ts_probes *p, const struct ts_probe_opts *o);
int ts_probes_trace_pid(struct ts_probes *p, pid_t pid);
/* Hook one more copy of libcuda (another container's); offsets per ts_syms. */
int ts_probes_attach_lib(struct ts_probes *p, const char *lib, const uint64_t *offsets);
/* --stacks: where pid's interpreter keeps things (NULL: forget pid). 0 or -errno. */
struct ts_py_proc;
int ts_probes_py_proc(struct ts_probes *p, uint32_t pid, const struct ts_py_proc *pp);
uint64_t ts_probes_drops(const struct ts_probes *p);
/* Bytes written to the ring buffer and not yet read; its size in *size (0: unknown). */
uint64_t ts_probes_ring_fill(struct ts_probes *p, uint64_t *size);
/* From now on a library mapped is reported, but its process is not stopped: the run ends. */
void ts_probes_no_more_stops(struct ts_probes *p);
void ts_probes_close(struct ts_probes *p);

#endif
