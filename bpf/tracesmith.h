/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the BPF programs and user space.
 *
 * Every record in the ring buffer (and in a .tsbpf capture, which stores the
 * records byte for byte) starts with struct ts_rec_hdr: size, kind, timestamp.
 * Enum values are part of the capture format: never renumber them, only add.
 */
#ifndef TRACESMITH_H
#define TRACESMITH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TS_MAX_VALS   10   /* values captured per API call */
#define TS_MAX_STR    512  /* longest kernel/symbol name captured */
#define TS_MAX_HOOKS  256  /* rows of the hook table (the attach cookie holds 8 bits) */
#define TS_MAX_TRACED 8192 /* processes followed in pid-filter mode */
#define TS_COMM_LEN   16

/* Record kinds. Values are fixed by the capture format. */
enum ts_kind {
	TS_REC_API = 1,	      /* a hooked CUDA driver call, emitted at return */
	TS_REC_THREAD = 2,    /* first sight of a thread: its comm */
	TS_REC_EXIT = 3,      /* a traced process exited */
	TS_REC_DRIVER = 4,    /* an ioctl/mmap on an NVIDIA device file */
	TS_REC_API_ENTER = 5, /* a call that may block began (hdr only, aux = symbol) */
	TS_REC_PROC = 6,      /* a process's identity from the kernel: comm and argv */
	TS_REC_GPU = 7,	      /* a kernel, copy or memset as the GPU ran it (--gpu-time) */
	TS_REC_GPU_NAME = 8,  /* a kernel name of GPU records (--gpu-time) */
	TS_REC_GPU_INFO = 9,  /* the --gpu-time library's state: started, clock, drops, failure */
	TS_REC_NVTX = 10,     /* a batch of one thread's NVTX events (ranges, marks, names) */
	TS_REC_LIB_MAP = 11,  /* a hooked library mapped for the first time (never in a capture) */
	TS_REC_STACK = 12,    /* --stacks: the call site of the API record that follows */
	TS_REC_PYCODE = 13,   /* --stacks: a Python code object, at its first sight in a process */
	/* 64 and up are written by user space, never by BPF */
	TS_REC_META_START = 64,	 /* clock base and tool version */
	TS_REC_META_SYM = 65,	 /* symbol id -> hooked function name */
	TS_REC_META_PROC = 66,	 /* pid -> command line */
	TS_REC_META_DROPS = 67,	 /* events lost in the ring buffer */
	TS_REC_META_END = 68,	 /* clean end of the stream */
	TS_REC_META_LIB = 69,	 /* the libcuda hooked, its build id, the driver version */
	TS_REC_META_NAME = 70,	 /* a kernel name read from the driver's object (names.h) */
	TS_REC_META_HOST = 71,	 /* which machine: host name, identity lines (hostid.h) */
	TS_REC_META_SNAP = 72,	 /* a flight-recorder snapshot: its window and trigger */
	TS_REC_META_CALLER = 73, /* a native return address -> "library!symbol+0xoff" */
};

/* Header common to every record. 24 bytes, 8-byte aligned. */
struct ts_rec_hdr {
	__u16 size; /* whole record, header included */
	__u8 kind;  /* enum ts_kind */
	__u8 flags; /* kind-specific */
	__u32 pid;  /* tgid, as the host sees it */
	__u64 ts;   /* CLOCK_MONOTONIC ns */
	__u32 tid;
	__u32 aux; /* kind-specific: symbol id for TS_REC_API */
};

/*
 * TS_REC_PROC: who a process is, read by BPF from the task itself, so a
 * process is named after its command however short it lives. Sent when a
 * thread of it is first seen (flags 0), when a traced process forks (FORK:
 * the child, with the parent's argv) and when it calls exec (EXEC: it is
 * renamed). argv is the first argv_len bytes of the NUL-separated argument
 * strings (mm->arg_start). User space turns these into TS_REC_META_PROC: a
 * capture never holds one.
 */
#define TS_MAX_ARGV	  256
#define TS_PROC_F_FORK	  0x1
#define TS_PROC_F_EXEC	  0x2
#define TS_PROC_BASE_SIZE 48 /* offsetof(struct ts_rec_proc, argv) */

struct ts_rec_proc {
	struct ts_rec_hdr hdr;
	char comm[TS_COMM_LEN];
	__u16 argv_len;
	__u16 pad[3];
	char argv[TS_MAX_ARGV];
};

/*
 * TS_REC_LIB_MAP: a process mapped, executable, a file whose name is a
 * watched library's soname (lib_names[hdr.aux]), the first time that file
 * (device, inode) was seen. With TS_LIBMAP_F_STOPPED the process was sent
 * SIGSTOP as it did: user space hooks the file through /proc/PID/fd/FD
 * (still open: the process is stopped right after the mmap returns) and
 * sends SIGCONT, so the library's first call is traced. User space consumes
 * it: a capture never holds one.
 */
#define TS_MAX_WATCHED	    4  /* libraries watched for by name */
#define TS_LIB_NAME	    24 /* longest soname watched, NUL included */
#define TS_LIBMAP_F_STOPPED 0x1

struct ts_rec_lib_map {
	struct ts_rec_hdr hdr;
	__s32 fd;
	__u32 pad;
	__u64 dev;
	__u64 ino;
};

struct ts_lib_name {
	char name[TS_LIB_NAME];
	__u8 len; /* 0: an unused slot */
	__u8 pad[7];
};

/* TS_REC_EXIT flags: only a thread ended, not its process */
#define TS_EXIT_F_THREAD 0x1

/* ts_rec_api.flags */
#define TS_API_F_STR_TRUNC 0x1 /* the string did not fit TS_MAX_STR */
#define TS_API_F_READ_ERR  0x2 /* a user-memory read failed */
/*
 * Set by user space only (the flight recorder): a call from before a
 * snapshot's window, kept for the names and handles it defines. The
 * correlator learns from it and draws nothing.
 */
#define TS_API_F_CONTEXT 0x80

/*
 * One hooked call: entry time in hdr.ts, values per the hook's spec, then an
 * optional NUL-less string of str_len bytes right after vals[nvals].
 */
struct ts_rec_api {
	struct ts_rec_hdr hdr;
	__u64 dur; /* ns from entry to return */
	__s32 ret; /* CUresult */
	__u8 nvals;
	__u8 pad;
	__u16 str_len;
	__u64 vals[TS_MAX_VALS];
	char str[TS_MAX_STR];
};
#define TS_API_BASE_SIZE 40 /* offsetof(struct ts_rec_api, vals) */

struct ts_rec_thread {
	struct ts_rec_hdr hdr;
	char comm[TS_COMM_LEN];
};

/* TS_REC_DRIVER: what happened (hdr.aux) */
enum ts_drv_op {
	TS_DRV_IOCTL = 1,
	TS_DRV_MMAP = 2,
	TS_DRV_OPEN = 3,
	TS_DRV_CLOSE = 4,
};

/* Which NVIDIA device file (hdr.flags of TS_REC_DRIVER) */
enum ts_drv_dev {
	TS_DEV_OTHER = 0, /* another /dev/nvidia* name: caps, modeset, ... */
	TS_DEV_CTL = 1,	  /* nvidiactl */
	TS_DEV_GPU = 2,	  /* nvidiaN */
	TS_DEV_UVM = 3,	  /* nvidia-uvm */
	TS_DEV_UVM_TOOLS = 4,
};

#define TS_DRV_DATA 96
#define TS_DEV_NAME 16

/*
 * A syscall on an NVIDIA device file, emitted at syscall exit. For an ioctl,
 * nr and size are those of the RM call after unwrapping IOCTL_XFER_CMD, and
 * data holds the first bytes of its argument struct read at exit (inputs,
 * outputs and the status field). api_ts/api_sym identify the hooked CUDA call
 * in flight on the thread (0 when none). For open, data is the path.
 */
struct ts_rec_driver {
	struct ts_rec_hdr hdr;
	__u64 dur;
	__s64 ret;    /* syscall return value */
	__u64 cmd;    /* ioctl request; mmap length; open flags */
	__u64 arg;    /* ioctl argument; mmap prot << 32 | flags */
	__u64 api_ts; /* entry time of the enclosing API call */
	__u32 api_sym;
	__s32 fd;
	__u32 nr;   /* RM escape / UVM ioctl number */
	__u16 size; /* argument struct size */
	__u16 data_len;
	char dev[TS_DEV_NAME];
	__u8 data[TS_DRV_DATA];
};
#define TS_DRV_BASE_SIZE 96 /* offsetof(struct ts_rec_driver, data) */

/*
 * How a value is captured. An argument index is a slot: the registers first
 * (x86-64 rdi, rsi, rdx, rcx, r8, r9: 0..5; arm64 x0-x7: 0..7), then the
 * stack slots (bpf/arch_*.h, user/probe/abi_*.c).
 * Pointer reads happen at return, from the argument saved at entry: the
 * argument registers are gone by then, the memory is not.
 */
enum ts_val_op {
	TS_OP_NONE = 0,
	TS_OP_ARG = 1,	      /* the argument itself */
	TS_OP_DEREF_U32 = 2,  /* u32 at arg + off, read at return */
	TS_OP_DEREF_U64 = 3,  /* u64 at arg + off, read at return */
	TS_OP_OUT = 4,	      /* u64 the callee stored through the arg pointer */
	TS_OP_LAUNCH_CFG = 5, /* CUlaunchConfig: fills 6 values, see below */
	TS_OP_STR = 6,	      /* arg is a char *: copy the string */
	TS_OP_OUT_STR = 7,    /* arg is a const char **: copy *arg as string */
	TS_OP_HASH_ARG = 8,   /* a TS_ID_BYTES struct passed by value from stack slot arg: hashed */
	TS_OP_OUT_HASH = 9,   /* the TS_ID_BYTES the callee wrote at the arg pointer: hashed */
};

/* an ncclUniqueId: hashed (FNV-1a over its 16 words) into a communicator id */
#define TS_ID_BYTES 128

/*
 * TS_OP_LAUNCH_CFG values: [0] gridX | gridY << 32, [1] gridZ | blockX << 32,
 * [2] blockY | blockZ << 32, [3] sharedMemBytes, [4] hStream,
 * [5] cluster x | y << 16 | z << 32 (0 when no cluster attribute).
 */
#define TS_LAUNCH_CFG_NVALS 6

struct ts_val_spec {
	__u8 op;  /* enum ts_val_op */
	__u8 arg; /* argument index */
	__u16 off;
};

#define TS_MAX_STACK_ARGS 4 /* stack slots captured: the first four (x86-64: args 7th to 10th) */

/* ts_hook_spec.flags */
#define TS_SPEC_F_ENTER 0x1 /* may block: also say when it began */
#define TS_SPEC_F_STR	0x2 /* a value is a string to copy (TS_OP_STR, TS_OP_OUT_STR) */
#define TS_SPEC_F_READS 0x4 /* a value is read from memory at return (not only arguments) */
#define TS_SPEC_F_ARGS	0x8 /* value i is argument i, for every i: nothing to look up */
/* a call of a library above the driver (NCCL): its own slot, the driver calls inside it traced */
#define TS_SPEC_F_UPPER 0x10
#define TS_SPEC_F_STACK 0x20 /* submits, allocates, frees or synchronizes: --stacks walks it */

struct ts_hook_spec {
	__u8 nvals;
	__u8 nstack; /* stack slots to read at entry, in one read */
	__u8 flags;
	__u8 pad;
	struct ts_val_spec vals[TS_MAX_VALS];
};

/*
 * --gpu-time: the injection library (user/cupti/inject.c) runs inside the
 * traced process, takes CUPTI's activity records and hands them over in
 * batches of fixed-size slots: ts_cupti_deliver(slots, n) with n <= TS_GPU_BATCH,
 * each slot a struct ts_rec_gpu or a struct ts_rec_gpu_info (hdr.kind says
 * which). A uprobe on that function copies each slot into the ring buffer as
 * it is, setting only hdr.size and hdr.pid (the kernel's tgid): nothing the
 * process wrote is trusted further (decode.c checks every field it uses).
 * Kernel names come once per name through ts_cupti_name(id, name).
 */
#define TS_GPU_BATCH	 64
#define TS_GPU_SLOT_SIZE 120

/* TS_REC_GPU hdr.flags: what ran */
enum ts_gpu_kind {
	TS_GPU_KERNEL = 1,
	TS_GPU_COPY = 2,
	TS_GPU_MEMSET = 3,
};

/*
 * TS_REC_GPU: hdr.ts is the GPU start and end the GPU end, both CLOCK_MONOTONIC
 * ns (mapped from CUPTI's clock by the latest TS_GPUI_CLOCK calibration);
 * hdr.tid the thread whose call submitted it and api_ts a CLOCK_MONOTONIC
 * time inside that call (both 0 when unknown); hdr.aux CUPTI's correlationId.
 */
struct ts_rec_gpu {
	struct ts_rec_hdr hdr;
	__u64 end;
	__u64 api_ts;
	/*
	 * Fields a kernel does not use carry its CUPTI facts (added later in
	 * the same slot: a capture from before has 0 there, "not said").
	 */
	union {
		__u64 bytes; /* copies and memsets */
		struct {
			__u32 dyn_shmem; /* kernels: of shmem, the dynamic part */
			__u32 local_mem; /* kernels: localMemoryPerThread, bytes */
		};
	};
	__u64 name_id;	  /* kernels: the id of a TS_REC_GPU_NAME (0: none) */
	__u64 graph_node; /* CUPTI graphNodeId (0: not from a graph) */
	__u32 device, context, stream, graph_id;
	__u32 grid[3], block[3];
	__u32 shmem; /* kernels: static + dynamic shared memory bytes */
	__u8 copy_kind, src_kind, dst_kind, pad;
	union {
		__u32 value;	       /* memsets */
		__u32 local_mem_total; /* kernels: localMemoryTotal, bytes */
	};
	__u16 regs; /* kernels: registersPerThread (0: not said) */
	__u16 pad2;
};

/* TS_REC_GPU_INFO hdr.flags */
enum ts_gpu_info {
	TS_GPUI_STARTED = 1, /* v[0] CUPTI API version; msg: the libcupti loaded */
	TS_GPUI_CLOCK = 2,   /* v[0] CUPTI ns, v[1] CLOCK_MONOTONIC ns, v[2] error bound ns */
	TS_GPUI_DROPPED = 3, /* v[0] activity records CUPTI dropped (a full buffer) */
	TS_GPUI_FAILED = 4,  /* aux: enum ts_gpu_fail, v[0] CUptiResult; msg: detail */
	TS_GPUI_FLUSHED = 5, /* the process is exiting: every record was handed over */
	/*
	 * A CUPTI device record (CUpti_ActivityDevice5): aux its device id;
	 * v[0] multiprocessors | max warps per SM << 32, v[1] max registers per
	 * SM | max shared memory per SM << 32, v[2] max blocks per SM |
	 * compute capability (major << 8 | minor) << 32; msg its name.
	 */
	TS_GPUI_DEVICE = 6,
};

enum ts_gpu_fail {
	TS_GPUF_NO_CUPTI = 1,	/* libcupti not found: msg names where we looked */
	TS_GPUF_VERSION = 2,	/* a CUPTI too old (v[0] its version) or a symbol missing */
	TS_GPUF_SUBSCRIBER = 3, /* another CUPTI subscriber holds the only slot */
	TS_GPUF_ENABLE = 4,	/* activity enable or callback registration failed */
	TS_GPUF_NOT_CUPTI = 5,	/* the library found is not a working libcupti */
	TS_GPUF_OPEN = 6,	/* the libcupti named (--cupti) would not load: msg dlerror */
};

#define TS_GPU_MSG 72
struct ts_rec_gpu_info {
	struct ts_rec_hdr hdr;
	__u64 v[3];
	char msg[TS_GPU_MSG]; /* NUL-padded */
};

/* TS_REC_GPU_NAME: name_len bytes (no NUL) of the kernel name with id */
struct ts_rec_gpu_name {
	struct ts_rec_hdr hdr;
	__u64 id;
	__u16 name_len;
	__u16 pad[3];
	char name[TS_MAX_STR];
};
#define TS_GPU_NAME_BASE_SIZE 40 /* offsetof(struct ts_rec_gpu_name, name) */

/*
 * NVTX (user/nvtx/inject.c): the injection library the program's NVTX calls
 * reach (NVTX_INJECTION64_PATH) appends each event to its thread's batch, a
 * struct ts_rec_nvtx, and hands a batch over when it is full, when its first
 * event is TS_NVTX_FLUSH_NS old, at thread exit and at process exit:
 * ts_nvtx_deliver(rec, size). A uprobe copies the size bytes into the ring
 * buffer as they are, setting only hdr.size and hdr.pid: nothing the process
 * wrote is trusted further (decode.c walks the events within their bounds,
 * the correlator bounds what they make it keep). hdr.tid is the thread whose
 * events they are, hdr.ts when the batch was handed over.
 */
#define TS_NVTX_DATA	 16384 /* event bytes per batch: one uprobe trap per ~300 events */
#define TS_NVTX_MSG_MAX	 256   /* longest message or name carried; longer ones are cut */
#define TS_NVTX_FLUSH_NS 100000000ull

/* ts_nvtx_ev.type */
enum ts_nvtx_type {
	TS_NVTX_PUSH = 1,	 /* a push/pop range begins on the thread */
	TS_NVTX_POP = 2,	 /* the innermost range of the domain ends */
	TS_NVTX_START = 3,	 /* a start/end range begins; id: its range id */
	TS_NVTX_END = 4,	 /* id: the range id given by its START (any thread) */
	TS_NVTX_MARK = 5,	 /* an instant */
	TS_NVTX_DOMAIN = 6,	 /* domain created: domain its id, msg its name */
	TS_NVTX_STRING = 7,	 /* a registered string: domain, id, msg */
	TS_NVTX_CATEGORY = 8,	 /* a category named: domain, category, msg */
	TS_NVTX_THREAD_NAME = 9, /* nvtxNameOsThread: id the thread id, msg its name */
	TS_NVTX_DOMAIN_DESTROY = 10,
};

/* ts_nvtx_ev.flags */
#define TS_NVTX_F_COLOR	     0x1 /* color holds an ARGB color */
#define TS_NVTX_F_REGISTERED 0x2 /* the message is registered string msg_id of the domain */
#define TS_NVTX_F_CUT	     0x4 /* the message was longer than TS_NVTX_MSG_MAX: cut */
#define TS_NVTX_F_WIDE	     0x8 /* the message was a wide string (made UTF-8) */

/*
 * One event: 48 bytes, then msg_len bytes of message (no NUL), padded to a
 * multiple of 8 (size). payload_type is NVTX's nvtxPayloadType_t, payload
 * its 8 bytes as given.
 */
struct ts_nvtx_ev {
	__u64 ts; /* CLOCK_MONOTONIC ns */
	__u64 id; /* START/END: range id; STRING: string id; THREAD_NAME: the tid */
	__u64 payload;
	__u32 domain; /* 0: the default domain */
	__u32 category;
	__u32 color;
	__u8 type; /* enum ts_nvtx_type */
	__u8 flags;
	__u8 payload_type;
	__u8 pad;
	__u16 size; /* the whole event, a multiple of 8 */
	__u16 msg_len;
	__u32 msg_id; /* TS_NVTX_F_REGISTERED: the string's id */
};
#define TS_NVTX_EV_SIZE 48

struct ts_rec_nvtx {
	struct ts_rec_hdr hdr;
	__u8 data[TS_NVTX_DATA]; /* events, hdr.size - 24 bytes of them */
};

/*
 * The attach cookie: the symbol id in the high half; in the low half the hook
 * row and what the entry needs of its spec (nvals, nstack, flags), so that a
 * call whose values are its arguments (a launch) reads no spec at all: one
 * cache line fewer per call, cold after the probe's trap.
 */
#define TS_COOKIE(sym, hook, spec)                                                                 \
	(((__u64)(sym) << 32) | (__u32)(spec)->flags << 24 | (__u32)(spec)->nstack << 16 |         \
	 (__u32)(spec)->nvals << 8 | (hook))
#define TS_COOKIE_SYM(c)    ((__u32)((c) >> 32))
#define TS_COOKIE_HOOK(c)   ((__u32)(c)&0xff)
#define TS_COOKIE_NVALS(c)  ((__u32)((c) >> 8) & 0xff)
#define TS_COOKIE_NSTACK(c) ((__u32)((c) >> 16) & 0xff)
#define TS_COOKIE_FLAGS(c)  ((__u32)((c) >> 24) & 0xff)

/*
 * --stacks (user/probe/pyfind.c, user/correlate/callsite.c). Every traced call
 * gets a TS_REC_STACK right before its TS_REC_API (same pid, tid, ts and aux):
 * the native return address at entry, and for the calls that submit,
 * allocate, free or synchronize (TS_SPEC_F_STACK) the CPython frames of the
 * thread, innermost first: (code object, last instruction) pairs. A code
 * object is described once per process by a TS_REC_PYCODE before the first
 * stack naming it (again if it changed at that address): its names and line
 * table are read by BPF, so a process that exits before the drain is named.
 */
#define TS_PY_MAX_FRAMES   64
#define TS_STACK_F_CUT	   0x1 /* more frames than TS_PY_MAX_FRAMES: the outermost are cut */
#define TS_STACK_F_BAD	   0x2 /* the walk met something not a frame: it ends there */
#define TS_STACK_F_PY	   0x4 /* the thread runs Python (0 frames is then an empty stack) */
#define TS_STACK_BASE_SIZE 40  /* offsetof(struct ts_rec_stack, frames) */

struct ts_py_frame {
	__u64 code;  /* the code object's address */
	__u64 instr; /* the frame's last instruction's address (prev_instr) */
};

struct ts_rec_stack {
	struct ts_rec_hdr hdr; /* flags TS_STACK_F_*, aux the symbol id */
	__u64 caller;	       /* return address of the call; 0 if unreadable */
	__u16 nframes;
	__u16 pad[3];
	struct ts_py_frame frames[TS_PY_MAX_FRAMES];
};

#define TS_PY_NAME  256	 /* bytes of a qualified name or a file name kept */
#define TS_PY_TABLE 1024 /* bytes of a line table kept */

/* ts_rec_pycode string kinds: bytes per character, and ASCII or Latin-1 for 1 */
#define TS_PY_STR_ASCII	    0x80
#define TS_PYCODE_BASE_SIZE 64 /* offsetof(struct ts_rec_pycode, qual) */

struct ts_rec_pycode {
	struct ts_rec_hdr hdr; /* aux: the interpreter's minor version (11, 12, ...) */
	__u64 code;	       /* the code object's address */
	__u64 code_start;      /* address of its first instruction (co_code_adaptive) */
	__s32 firstlineno;
	__u16 qual_len, file_len, table_len; /* bytes kept of each */
	__u8 qual_kind, file_kind;	     /* 1, 2 or 4 | TS_PY_STR_ASCII; 0: unreadable */
	__u32 table_full;		     /* the line table's full length */
	__u32 pad[2];
	char qual[TS_PY_NAME];
	char file[TS_PY_NAME];
	__u8 table[TS_PY_TABLE];
};

/*
 * Where to find things in one interpreter (pyfind.c fills it per process:
 * user/probe/pylayout.c's table for 3.10-3.12, the interpreter's own
 * _Py_DebugOffsets for 3.13 and later). All offsets in bytes.
 */
struct ts_py_offsets {
	__u16 rt_interp_head; /* _PyRuntime.interpreters.head */
	__u16 interp_threads; /* PyInterpreterState.threads.head (3.10: tstate_head) */
	__u16 ts_next;	      /* PyThreadState.next */
	__u16 ts_thread_id;   /* PyThreadState.thread_id: pthread_self(), the TCB */
	__u16 ts_cframe;      /* PyThreadState.cframe; with TS_PY_F_TSTATE_FRAME the frame */
	__u16 cf_current;     /* _PyCFrame.current_frame */
	__u16 fr_code;	      /* _PyInterpreterFrame.f_code / f_executable; 3.10 f_code */
	__u16 fr_previous;    /* _PyInterpreterFrame.previous; 3.10 PyFrameObject.f_back */
	__u16 fr_instr;	      /* prev_instr / instr_ptr; 3.10 f_lasti (an int: an index) */
	__u16 fr_owner;	      /* _PyInterpreterFrame.owner (a char); 0xff: none */
	__u16 co_firstlineno; /* PyCodeObject */
	__u16 co_filename;
	__u16 co_qualname; /* 3.10: co_name (no qualified name in its code objects) */
	__u16 co_linetable;
	__u16 co_code;	   /* co_code_adaptive; 3.10: 0 */
	__u16 str_ascii;   /* sizeof(PyASCIIObject): a compact ASCII string's data */
	__u16 str_compact; /* sizeof(PyCompactUnicodeObject): other compact strings' */
	__u8 owner_cstack; /* owners from this up are not Python code (shims); 0xff: none */
	__u8 minor;	   /* 10, 11, ... */
	__u8 flags;	   /* TS_PY_F_* */
	__u8 pad[3];
};

/* bytes BPF reads of a frame and of a code object: every field it uses must be inside */
#define TS_PY_FRAME_WIN 104
#define TS_PY_CODE_WIN	160

/* PyThreadState holds the current frame itself (3.10 frame, 3.13+ current_frame), no cframe */
#define TS_PY_F_TSTATE_FRAME 0x1

struct ts_py_proc {
	__u64 runtime;	 /* &_PyRuntime in the process */
	__u64 code_type; /* &PyCode_Type in the process */
	struct ts_py_offsets o;
};

#endif /* TRACESMITH_H */
