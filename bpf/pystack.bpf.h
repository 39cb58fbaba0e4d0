/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --stacks: the call site of each hooked call (included by tracesmith.bpf.c).
 *
 * The native caller is the return address at entry (arch_*.h: [rsp] on x86-64, x30 on arm64).
 * The Python stack is read at return, for the calls the hook table marks
 * (TS_SPEC_F_STACK), only in processes whose interpreter user space found
 * (py_procs, filled by user/probe/pyfind.c). The thread's PyThreadState is
 * the one whose thread_id (pthread_self(), the thread's TCB) is the task's
 * fsbase: found by walking the interpreter's thread list once, then kept per
 * thread and checked with one read per call. That works for a thread that
 * released the GIL (ctypes does, for every foreign call), which the GIL
 * holder's pointer would miss. Every frame's code object must have
 * PyCode_Type as its type, or the walk ends there (TS_STACK_F_BAD): a thread
 * that is not running Python gets no frames, never wrong ones. All loops are
 * bounded (plain loops over non-inlined functions: no bpf_loop, so the object
 * still loads on kernels before 5.17; and ~10% cheaper here), every failed
 * read ends the walk.
 */

const volatile bool call_sites = false; /* read the return address of every call */
const volatile bool py_stacks = false;	/* walk the Python stack at TS_SPEC_F_STACK calls */

#define TS_PY_MAX_THREADS 256
#define TS_PY_MISS_EVERY  64 /* a power of two */
#define TS_PY_CODES	  65536

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TS_MAX_TRACED);
	__type(key, __u32);
	__type(value, struct ts_py_proc);
} py_procs SEC(".maps");

struct py_code_key {
	__u32 pid;
	__u32 pad;
	__u64 code;
};

/* code objects described to user space, with what they held then */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TS_PY_CODES);
	__type(key, struct py_code_key);
	__type(value, __u64);
} py_codes SEC(".maps");

struct py_scratch {
	__u8 fw[TS_PY_FRAME_WIN];
	__u8 cw[TS_PY_CODE_WIN];
	struct ts_rec_stack st;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct py_scratch);
} py_scratch SEC(".maps");

/* a u64 at a table offset inside a window (offsets come from user space: checked) */
#define WIN_U64(win, size, off) ((off) <= (size)-8 ? *(__u64 *)((win) + ((off)&0xff)) : 0)

struct py_walk {
	struct ts_py_offsets o;
	__u64 code_type;
	__u64 frame; /* the next frame to read */
	__u64 tcb;   /* thread walk: the TCB looked for; the tstate found */
	__u32 pid;
	__u32 n;
	__u32 flags;
};

static __always_inline struct py_scratch *scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&py_scratch, &zero);
}

/* A str object's characters (compact strings only): kind 0 when unreadable. */
static __always_inline __u16 read_pystr(const struct ts_py_offsets *o, __u64 str, char *dst,
					__u8 *kind)
{
	__u64 hdr[5]; /* ob_refcnt, ob_type, length, hash, state */
	__u32 state, k;
	__u64 len, data;

	*kind = 0;
	if (!str || bpf_probe_read_user(hdr, sizeof(hdr), (void *)str))
		return 0;
	state = (__u32)hdr[4];
	k = (state >> 2) & 7;
	if (!(state & (1 << 5)) || (k != 1 && k != 2 && k != 4))
		return 0; /* not compact: a legacy string, never a code object's */
	data = str + ((state & (1 << 6)) ? o->str_ascii : o->str_compact);
	len = hdr[2] * k;
	if (len > TS_PY_NAME)
		len = TS_PY_NAME;
	if (len && bpf_probe_read_user(dst, len & (TS_PY_NAME * 2 - 1), (void *)data))
		return 0;
	*kind = k | ((state & (1 << 6)) ? TS_PY_STR_ASCII : 0);
	return len;
}

/* Describe a code object to user space; 0 when the record went out. */
static __always_inline int emit_pycode(struct py_walk *w, __u64 code, const __u8 *cw)
{
	struct ts_rec_pycode *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	__u64 table, size = 0;
	__u32 n;

	if (!r) {
		count_drop();
		return -1;
	}
	r->hdr.size = sizeof(*r);
	r->hdr.kind = TS_REC_PYCODE;
	r->hdr.flags = 0;
	r->hdr.pid = w->pid;
	r->hdr.ts = bpf_ktime_get_ns();
	r->hdr.tid = (__u32)bpf_get_current_pid_tgid();
	r->hdr.aux = w->o.minor;
	r->code = code;
	r->code_start = code + w->o.co_code;
	r->firstlineno = (__s32)WIN_U64(cw, TS_PY_CODE_WIN, w->o.co_firstlineno);
	r->pad[0] = r->pad[1] = 0;
	r->qual_len = read_pystr(&w->o, WIN_U64(cw, TS_PY_CODE_WIN, w->o.co_qualname), r->qual,
				 &r->qual_kind);
	r->file_len = read_pystr(&w->o, WIN_U64(cw, TS_PY_CODE_WIN, w->o.co_filename), r->file,
				 &r->file_kind);
	/* the line table: a bytes object, ob_size at 16, its bytes at 32 */
	table = WIN_U64(cw, TS_PY_CODE_WIN, w->o.co_linetable);
	if (!table || bpf_probe_read_user(&size, sizeof(size), (void *)(table + 16)))
		size = 0;
	n = size > TS_PY_TABLE ? TS_PY_TABLE : size;
	if (n && bpf_probe_read_user(r->table, n & (TS_PY_TABLE * 2 - 1), (void *)(table + 32)))
		n = size = 0;
	r->table_len = n;
	r->table_full = size > 0xffffffffu ? 0xffffffffu : size;
	bpf_ringbuf_submit(r, rb_flags());
	return 0;
}

/* One frame: 0 to go on, 1 to stop. Not inlined: one copy of its code, not 65. */
static __noinline long py_frame(__u64 i, void *ctx)
{
	struct py_walk *w = ctx;
	struct py_scratch *s = scratch();
	struct py_code_key key = {};
	__u64 code, tag, *seen;
	__u8 owner;
	__u32 n = w->n;

	if (!s || !w->frame)
		return 1;
	if (n >= TS_PY_MAX_FRAMES) {
		w->flags |= TS_STACK_F_CUT;
		return 1;
	}
	if (bpf_probe_read_user(s->fw, TS_PY_FRAME_WIN, (void *)w->frame)) {
		w->flags |= TS_STACK_F_BAD;
		return 1;
	}
	w->frame = WIN_U64(s->fw, TS_PY_FRAME_WIN, w->o.fr_previous);
	owner = w->o.fr_owner < TS_PY_FRAME_WIN ? s->fw[w->o.fr_owner & 0x7f] : 0;
	if (owner >= w->o.owner_cstack)
		return 0; /* a shim the interpreter pushes for C callers: no Python code */
	/* 3.14's f_executable is a _PyStackRef: a pointer with tag bits below 8 */
	code = WIN_U64(s->fw, TS_PY_FRAME_WIN, w->o.fr_code) & ~7ull;
	if (!code || bpf_probe_read_user(s->cw, TS_PY_CODE_WIN, (void *)code) ||
	    *(__u64 *)(s->cw + 8) != w->code_type) {
		w->flags |= TS_STACK_F_BAD;
		return 1;
	}
	/* what it holds now: a code object freed and another made at its address differs */
	tag = WIN_U64(s->cw, TS_PY_CODE_WIN, w->o.co_qualname) ^
	      WIN_U64(s->cw, TS_PY_CODE_WIN, w->o.co_filename) << 1 ^
	      WIN_U64(s->cw, TS_PY_CODE_WIN, w->o.co_linetable) << 2 ^
	      (__u32)WIN_U64(s->cw, TS_PY_CODE_WIN, w->o.co_firstlineno);
	key.pid = w->pid;
	key.code = code;
	seen = bpf_map_lookup_elem(&py_codes, &key);
	if ((!seen || *seen != tag) && !emit_pycode(w, code, s->cw))
		bpf_map_update_elem(&py_codes, &key, &tag, BPF_ANY);
	s->st.frames[n & (TS_PY_MAX_FRAMES - 1)].code = code;
	s->st.frames[n & (TS_PY_MAX_FRAMES - 1)].instr =
		WIN_U64(s->fw, TS_PY_FRAME_WIN, w->o.fr_instr);
	w->n = n + 1;
	return 0;
}

/* One thread state of the list: stop at the one whose thread_id is our TCB. */
static __noinline long py_thread(__u64 i, void *ctx)
{
	struct py_walk *w = ctx;
	__u64 id = 0;

	if (!w->frame)
		return 1;
	if (bpf_probe_read_user(&id, sizeof(id), (void *)(w->frame + w->o.ts_thread_id))) {
		w->frame = 0;
		return 1;
	}
	if (id == w->tcb) {
		w->tcb = w->frame; /* found */
		w->flags = 1;
		return 1;
	}
	if (bpf_probe_read_user(&w->frame, sizeof(w->frame), (void *)(w->frame + w->o.ts_next)))
		w->frame = 0;
	return 0;
}

/* The thread's PyThreadState: the one kept, if still ours; else from the list. */
static __always_inline __u64 py_tstate(struct ts_thread *t, struct py_walk *w, __u64 runtime)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 tcb = ts_arch_thread_self(task), id = 0, interp = 0;
	__u32 i;

	if (t->py_tstate &&
	    !bpf_probe_read_user(&id, sizeof(id), (void *)(t->py_tstate + w->o.ts_thread_id)) &&
	    id == tcb)
		return t->py_tstate;
	t->py_tstate = 0;
	/*
	 * A thread the list lacked (a native thread: a PyTorch autograd worker)
	 * is looked for again every TS_PY_MISS_EVERY calls, not at each: the
	 * walk reads up to TS_PY_MAX_THREADS states.
	 */
	if (t->py_miss && (t->py_miss++ & (TS_PY_MISS_EVERY - 1)))
		return 0;
	t->py_miss = 1;
	if (bpf_probe_read_user(&interp, sizeof(interp), (void *)(runtime + w->o.rt_interp_head)) ||
	    !interp ||
	    bpf_probe_read_user(&w->frame, sizeof(w->frame),
				(void *)(interp + w->o.interp_threads)))
		return 0;
	w->tcb = tcb;
	w->flags = 0;
	for (i = 0; i < TS_PY_MAX_THREADS; i++)
		if (py_thread(i, w))
			break;
	if (!w->flags)
		return 0;
	w->flags = 0;
	t->py_miss = 0;
	t->py_tstate = w->tcb;
	return w->tcb;
}

/* The Python frames of the current thread into s->st; returns how many. */
static __always_inline __u32 py_walk(struct ts_thread *t, struct py_scratch *s, __u32 pid)
{
	struct ts_py_proc *pp = bpf_map_lookup_elem(&py_procs, &pid);
	struct py_walk w = {};
	__u64 tstate, cframe = 0;
	__u32 i;

	if (!pp)
		return 0;
	__builtin_memcpy(&w.o, &pp->o, sizeof(w.o));
	w.code_type = pp->code_type;
	w.pid = pid;
	tstate = py_tstate(t, &w, pp->runtime);
	if (!tstate)
		return 0;
	/* 3.11/3.12: tstate->cframe->current_frame; 3.10 tstate->frame, 3.13+ current_frame */
	if (bpf_probe_read_user(&cframe, sizeof(cframe), (void *)(tstate + w.o.ts_cframe)) ||
	    !cframe)
		return 0;
	if (w.o.flags & TS_PY_F_TSTATE_FRAME)
		w.frame = cframe;
	else if (bpf_probe_read_user(&w.frame, sizeof(w.frame), (void *)(cframe + w.o.cf_current)))
		return 0;
	s->st.hdr.flags |= TS_STACK_F_PY;
	for (i = 0; i < TS_PY_MAX_FRAMES + 1; i++)
		if (py_frame(i, &w))
			break;
	/* the outermost frame read was not the last: more than TS_PY_MAX_FRAMES */
	s->st.hdr.flags |= w.flags;
	return w.n;
}

/* The call site of the call returning now: right before its API record. */
static __always_inline void emit_stack(struct ts_thread *t)
{
	struct py_scratch *s = scratch();
	__u64 size;
	__u32 n = 0;

	if (!s)
		return;
	s->st.hdr.kind = TS_REC_STACK;
	s->st.hdr.flags = 0;
	s->st.hdr.pid = t->rec.hdr.pid;
	s->st.hdr.tid = t->rec.hdr.tid;
	s->st.hdr.ts = t->rec.hdr.ts;
	s->st.hdr.aux = t->rec.hdr.aux;
	s->st.caller = t->caller;
	s->st.pad[0] = s->st.pad[1] = s->st.pad[2] = 0;
	if (py_stacks && (t->sflags & TS_SPEC_F_STACK))
		n = py_walk(t, s, t->rec.hdr.pid);
	if (n > TS_PY_MAX_FRAMES)
		n = TS_PY_MAX_FRAMES;
	s->st.nframes = n;
	size = TS_STACK_BASE_SIZE + n * sizeof(struct ts_py_frame);
	s->st.hdr.size = size;
	barrier_var(size);
	if (size > sizeof(s->st))
		return;
	if (bpf_ringbuf_output(&rb, &s->st, size, rb_flags()))
		count_drop();
}
