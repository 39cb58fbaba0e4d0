/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The table of hooked CUDA driver functions. It is the one description of
 * what is traced: the loader derives the BPF capture specs and the symbols to
 * attach from it, and the decoder derives the meaning of each value.
 */
#ifndef TS_HOOKS_H
#define TS_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tracesmith.h"

enum ts_cat {
	TS_CAT_INIT,
	TS_CAT_LAUNCH,
	TS_CAT_MEMCPY,
	TS_CAT_MEMSET,
	TS_CAT_MEMORY,
	TS_CAT_SYNC,
	TS_CAT_STREAM,
	TS_CAT_CONTEXT,
	TS_CAT_MODULE,
	TS_CAT_GRAPH,
	TS_CAT_NCCL,
	TS_CAT_RUNTIME, /* the CUDA runtime (libcudart), above the driver */
	TS_CAT__COUNT,
};

/*
 * The libraries hooked, each found by its soname (and checked by its
 * symbols): a hook row says which one it belongs to. Values are indexes of
 * ts_libs[], never renumbered.
 */
enum ts_lib_id {
	TS_LIB_CUDA = 0,   /* the driver, libcuda.so.1 */
	TS_LIB_NCCL = 1,   /* libnccl.so.2 */
	TS_LIB_CUDART = 2, /* the CUDA runtime, libcudart.so.12, .13, ... */
	TS_LIB__COUNT,
};

struct ts_lib_def {
	const char *name;   /* as -v and the trace say it */
	const char *soname; /* the file name a process maps */
	/* above the driver: calls into the driver made inside one of its calls are traced */
	bool upper;
	/* its result codes' names, indexed by the return value (NULL: CUresult's) */
	const char *const *results;
	unsigned int nresults;
	/* hooked only when asked (--runtime-api): it costs a second probe pair per call */
	bool opt_in;
	/*
	 * Its call and the GPU work it submits share one correlation id (CUPTI's
	 * runtime/driver model): the first submit made inside it takes the call's
	 * id. Otherwise (NCCL) the submits keep their own and say the call's.
	 */
	bool shares_corr;
	/*
	 * The result that says "not yet", not "failed": CUDA_ERROR_NOT_READY of a
	 * query, ncclInProgress of a non-blocking communicator. Polled in loops
	 * (PyTorch queries its events), so counted as an error it would drown
	 * the real ones and fire --snapshot-on error at every poll.
	 */
	int not_ready;
};

extern const struct ts_lib_def ts_libs[TS_LIB__COUNT];

/* Is lib one found as it is mapped (above the driver), given whether opt-in ones were asked for? */
bool ts_lib_watched(unsigned int lib, bool opt_in);

/* What the correlator does with a call beyond drawing its slice. */
enum ts_sem {
	TS_SEM_NONE,
	TS_SEM_LAUNCH,	     /* kernel on a stream */
	TS_SEM_GRAPH_LAUNCH, /* graph on a stream */
	TS_SEM_COPY,	     /* copy on a stream; direction in ts_hook.dir */
	TS_SEM_COPY_2D,	     /* CUDA_MEMCPY2D / 3D: direction from the struct */
	TS_SEM_MEMSET,	     /* memset of count * elem bytes */
	TS_SEM_ALLOC,	     /* device memory allocated: ROLE_OUT_PTR, ROLE_SIZE */
	TS_SEM_FREE,	     /* device memory freed: ROLE_PTR */
	TS_SEM_STREAM_CREATE,
	TS_SEM_STREAM_DESTROY,
	TS_SEM_CTX_CREATE, /* out context for ROLE_DEVICE, made current */
	TS_SEM_CTX_RETAIN, /* out context for ROLE_DEVICE, not made current */
	TS_SEM_CTX_SET,
	TS_SEM_CTX_PUSH,
	TS_SEM_CTX_POP,
	TS_SEM_NAME_FUNC,      /* ROLE_OUT_HANDLE is a CUfunction named ROLE_NAME */
	TS_SEM_NAME_KERNEL,    /* ROLE_OUT_HANDLE is a CUkernel named ROLE_NAME */
	TS_SEM_KERNEL_TO_FUNC, /* ROLE_OUT_HANDLE is the CUfunction of ROLE_KERNEL */
	TS_SEM_GET_NAME,       /* ROLE_NAME is the name of ROLE_FUNC */
	/* CUDA graphs: what is captured or added, instantiated, and launched */
	TS_SEM_EVENT_RECORD,	   /* ROLE_EVENT recorded on ROLE_STREAM */
	TS_SEM_STREAM_WAIT_EVENT,  /* ROLE_STREAM waits for ROLE_EVENT: may join a capture */
	TS_SEM_CAPTURE_BEGIN,	   /* ROLE_STREAM starts capturing (into ROLE_GRAPH, if any) */
	TS_SEM_CAPTURE_END,	   /* ROLE_STREAM's capture ends: ROLE_OUT_GRAPH holds it */
	TS_SEM_GRAPH_CREATE,	   /* ROLE_OUT_GRAPH: an empty graph */
	TS_SEM_GRAPH_DESTROY,	   /* ROLE_GRAPH */
	TS_SEM_GRAPH_INSTANTIATE,  /* ROLE_OUT_EXEC runs what ROLE_GRAPH holds now */
	TS_SEM_GRAPH_EXEC_DESTROY, /* ROLE_GRAPH_EXEC */
	TS_SEM_GRAPH_EXEC_UPDATE,  /* ROLE_GRAPH_EXEC now runs what ROLE_GRAPH holds */
	TS_SEM_GRAPH_ADD_KERNEL,   /* ROLE_OUT_NODE: a kernel node added to ROLE_GRAPH */
	TS_SEM_GRAPH_ADD_MEMCPY,   /* ROLE_OUT_NODE: a copy node (CUDA_MEMCPY3D values) */
	TS_SEM_GRAPH_ADD_MEMSET,   /* ROLE_OUT_NODE: a memset node */
	TS_SEM_GRAPH_EXEC_KERNEL,  /* ROLE_NODE of ROLE_GRAPH_EXEC gets new kernel params */
	/* NCCL: communicators, groups, and the operations on them */
	TS_SEM_NCCL_UNIQUE_ID, /* ROLE_ID_HASH: an ncclUniqueId made (its hash) */
	TS_SEM_NCCL_INIT,      /* ROLE_OUT_COMM joins ROLE_ID_HASH as ROLE_RANK of ROLE_NRANKS */
	TS_SEM_NCCL_INIT_ALL,  /* ROLE_NRANKS communicators in one process */
	TS_SEM_NCCL_SPLIT,     /* ROLE_OUT_COMM split from ROLE_COMM */
	TS_SEM_NCCL_DESTROY,   /* ROLE_COMM ends */
	TS_SEM_NCCL_COLL,      /* a collective on ROLE_COMM: kernels on ROLE_STREAM */
	TS_SEM_NCCL_P2P,       /* a send or receive with ROLE_PEER */
	TS_SEM_NCCL_GROUP_START,
	TS_SEM_NCCL_GROUP_END, /* the grouped operations launch here */
	/* the CUDA runtime */
	TS_SEM_RT_REGISTER, /* ROLE_HOST_FUNC (a host stub) names the kernel ROLE_NAME */
	TS_SEM_RT_LAUNCH,   /* the kernel of ROLE_HOST_FUNC, ROLE_GRID_* x ROLE_BLOCK_* */
};

enum ts_dir {
	TS_DIR_NONE,
	TS_DIR_HTOD,
	TS_DIR_DTOH,
	TS_DIR_DTOD,
	TS_DIR_HTOH,
	TS_DIR_PEER,
	TS_DIR_DEFAULT, /* unified addressing: the driver decides */
};

/* What a captured value means; the role also gives its key in the trace. */
enum ts_role {
	ROLE_NONE,
	ROLE_FUNC,
	ROLE_GRID_X,
	ROLE_GRID_Y,
	ROLE_GRID_Z,
	ROLE_BLOCK_X,
	ROLE_BLOCK_Y,
	ROLE_BLOCK_Z,
	ROLE_SHMEM,
	ROLE_STREAM,
	ROLE_LAUNCH_CFG, /* TS_OP_LAUNCH_CFG, six values */
	ROLE_DST,
	ROLE_SRC,
	ROLE_BYTES,
	ROLE_COUNT,
	ROLE_VALUE,
	ROLE_OUT_PTR,
	ROLE_SIZE,
	ROLE_PTR,
	ROLE_OUT_HANDLE,
	ROLE_HANDLE,
	ROLE_CTX,
	ROLE_DST_CTX,
	ROLE_SRC_CTX,
	ROLE_DEVICE,
	ROLE_NAME,
	ROLE_KERNEL,
	ROLE_EVENT,
	ROLE_GRAPH_EXEC,
	ROLE_FLAGS,
	ROLE_PRIORITY,
	ROLE_VERSION,
	ROLE_POOL,
	ROLE_MODULE,
	ROLE_LIBRARY,
	ROLE_IMAGE,
	ROLE_OUT_FUNC_PTR,
	ROLE_SRC_TYPE, /* CUmemorytype in a CUDA_MEMCPY2D/3D */
	ROLE_DST_TYPE,
	ROLE_SRC_HOST,
	ROLE_SRC_DEVICE,
	ROLE_DST_HOST,
	ROLE_DST_DEVICE,
	ROLE_WIDTH,
	ROLE_HEIGHT,
	ROLE_DEPTH,
	ROLE_GRAPH,
	ROLE_OUT_GRAPH,
	ROLE_OUT_EXEC,
	ROLE_NODE,
	ROLE_OUT_NODE,
	ROLE_ELEM_SIZE,
	/* NCCL */
	ROLE_SENDBUF,
	ROLE_RECVBUF,
	ROLE_DTYPE, /* ncclDataType_t */
	ROLE_REDOP, /* ncclRedOp_t */
	ROLE_ROOT,
	ROLE_PEER,
	ROLE_COMM,
	ROLE_OUT_COMM,
	ROLE_NRANKS,
	ROLE_RANK,
	ROLE_ID_HASH, /* an ncclUniqueId, hashed (TS_OP_HASH_ARG, TS_OP_OUT_HASH) */
	ROLE_COLOR,
	ROLE_KEY,
	ROLE_CONFIG,
	/* the CUDA runtime */
	ROLE_HOST_FUNC, /* a kernel's host stub, as __cudaRegisterFunction named it */
	ROLE_COPY_KIND, /* cudaMemcpyKind */
	ROLE__COUNT,
};

enum ts_fmt { TS_FMT_DEC, TS_FMT_HEX, TS_FMT_HIDDEN };

struct ts_role_info {
	const char *key; /* the arg name in traces */
	enum ts_fmt fmt;
};

/*
 * A value's C type, by width and sign. BPF captures every argument as 64 bits
 * (a register or a stack slot), but the SysV ABI leaves the upper half of a
 * 32-bit argument undefined, and callers (ctypes, compilers) leave it dirty,
 * most often in stack slots: the decoder keeps only the C type's bits
 * (ts_ctype_value). 0, the default, is a 64-bit value: pointers, handles, size_t.
 */
enum ts_ctype {
	TS_T_U64 = 0,
	TS_T_U32, /* unsigned int, and the enums and flags of that width */
	TS_T_I32, /* int: CUdevice, priorities, versions */
	TS_T_U16, /* unsigned short: cuMemsetD16's value */
	TS_T_U8,  /* unsigned char: cuMemsetD8's value */
	/*
	 * The upper half of a 64-bit slot: the second unsigned int of a small
	 * struct passed by value. SysV classifies a dim3 (12 bytes) INTEGER,
	 * INTEGER: x | y << 32 in one register, z in the low half of the next.
	 */
	TS_T_HI32,
};

struct ts_val_def {
	uint8_t op; /* enum ts_val_op */
	uint8_t arg;
	uint16_t off;
	uint8_t role; /* enum ts_role */
	uint8_t type; /* enum ts_ctype */
};

/* Facts about a call that the correlator, the stats and BPF act on. */
enum ts_hook_flag {
	TS_HF_BLOCKS = 0x1,	 /* may block the thread on the GPU: its start is recorded too */
	TS_HF_SYNCHRONIZE = 0x2, /* waits for work to finish (a synchronize call) */
	TS_HF_NO_RESULT = 0x4,	 /* returns no status (void, or a pointer): no result arg */
};

struct ts_hook {
	const char *name;    /* the API's base name */
	const char *symbols; /* every exported variant, space separated */
	enum ts_cat cat;
	enum ts_sem sem;
	uint8_t flags; /* enum ts_hook_flag */
	uint8_t dir;   /* enum ts_dir, for TS_SEM_COPY */
	uint8_t elem;  /* bytes per element, for TS_SEM_MEMSET */
	uint8_t lib;   /* enum ts_lib_id: the library that exports it */
	uint8_t nvals;
	struct ts_val_def vals[TS_MAX_VALS];
};

extern const struct ts_hook ts_hooks[];
extern const unsigned int ts_nhooks;
extern const struct ts_role_info ts_roles[ROLE__COUNT];

const char *ts_cat_name(enum ts_cat cat);
/* The name of a call's result: CUresult's, or its library's (buf for one without a name). */
const char *ts_hook_result_name(const struct ts_hook *h, int ret, char *buf, size_t len);
/* Did the call fail: a status other than success and its library's "not yet" (void: never). */
bool ts_hook_failed(const struct ts_hook *h, int ret);

const char *ts_dir_name(enum ts_dir dir);

/* The BPF capture spec for a hook row. */
void ts_hook_spec(const struct ts_hook *h, struct ts_hook_spec *spec);

/* Synchronize calls and synchronous copies (TS_HF_BLOCKS): their start is recorded too. */
bool ts_hook_may_block(const struct ts_hook *h);

/*
 * Does --stacks walk the Python stack at this call? Those that submit work
 * (launches, copies, memsets, graph launches), allocate or free device memory,
 * or synchronize: by category and meaning, never by name.
 */
bool ts_hook_wants_stack(const struct ts_hook *h);

/* A captured value at its C type's width: masked, or sign-extended for a signed type. */
uint64_t ts_ctype_value(enum ts_ctype type, uint64_t v);
/* Is it a signed type (written as a signed number)? */
bool ts_ctype_signed(enum ts_ctype type);

/* Index of the value with this role, or -1. */
int ts_hook_role(const struct ts_hook *h, enum ts_role role);

const struct ts_hook *ts_hook_by_name(const char *name);

/*
 * Every (symbol, hook) pair, in a stable order: the symbol id is the index.
 * The list is built once and lives for the program.
 */
struct ts_sym {
	const char *name;
	unsigned int hook;
	bool per_thread; /* a _ptsz/_ptds variant: stream 0 is the per-thread default stream */
};
unsigned int ts_syms(const struct ts_sym **out);
/* Is this exported name a per-thread-default-stream variant? */
bool ts_sym_per_thread(const char *name);

#endif /* TS_HOOKS_H */
