// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CUDA driver API probes: one generic entry and one generic return program,
 * told apart by the attach cookie (symbol id, hook row). What to capture for
 * each hook is data (hook_specs, filled from user/hooks.c before load).
 *
 * Cost is the product: a call emits exactly one record, at return, with no
 * wakeup unless the ring buffer is filling up.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "tracesmith.h"
/* registers and stack at a function's entry and return: one header per architecture */
#if defined(__TARGET_ARCH_arm64)
#include "arch_arm64.h"
#else
#include "arch_x86.h"
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile bool filter_pids = false;
const volatile bool trace_driver = true;
const volatile struct ts_hook_spec hook_specs[TS_MAX_HOOKS] = {};
_Static_assert((TS_MAX_HOOKS & (TS_MAX_HOOKS - 1)) == 0, "a hook row is masked into the table");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Processes to trace when filter_pids is set; children join on fork. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TS_MAX_TRACED);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

/* A hooked call in flight on a thread, and the record being built. */
struct ts_thread {
	__u64 sp; /* entry sp of the outermost hooked call; 0 when none */
	__u8 hook;
	__u8 nvals;  /* of its spec, from the attach cookie */
	__u8 sflags; /* TS_SPEC_F_* */
	__u8 pad;
	__u32 seen;
	__u64 raw[TS_MAX_VALS];
	__u64 caller;	 /* --stacks: the call's return address */
	__u64 py_tstate; /* --stacks: this thread's PyThreadState, 0 until found */
	__u32 py_miss;	 /* --stacks: calls since the thread list last lacked it */
	__u32 pad2;
	struct ts_rec_api rec;
};

/*
 * One call in flight per layer: the driver's (call[0]) and an upper
 * library's (call[1], TS_SPEC_F_UPPER: NCCL). A driver call made inside an
 * NCCL call (its kernel launch) is a call of its own, traced; a call inside
 * one of the same layer (a _ptsz wrapper calling the base) is not.
 */
struct ts_task {
	struct ts_thread call[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ts_task);
} threads SEC(".maps");

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&drops, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/*
 * Wake the consumer only when the buffer is a quarter full; it drains on a
 * timer. Both from the ring's own header, which the write reads anyway: a
 * threshold in .rodata was one more cold cache line per call.
 */
static __always_inline __u64 rb_flags(void)
{
	return bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >=
			       bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE) / 4
		       ? BPF_RB_FORCE_WAKEUP
		       : BPF_RB_NO_WAKEUP;
}

#include "pystack.bpf.h"

static __always_inline bool is_traced(__u32 pid)
{
	return !filter_pids || bpf_map_lookup_elem(&traced, &pid);
}

static __always_inline void emit_thread(__u32 pid, __u32 tid)
{
	struct ts_rec_thread *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);

	if (!r) {
		count_drop();
		return;
	}
	r->hdr.size = sizeof(*r);
	r->hdr.kind = TS_REC_THREAD;
	r->hdr.flags = 0;
	r->hdr.pid = pid;
	r->hdr.ts = bpf_ktime_get_ns();
	r->hdr.tid = tid;
	r->hdr.aux = 0;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	bpf_ringbuf_submit(r, rb_flags());
}

/*
 * Who the process is, from the task: its comm and the start of its argv.
 * argv_task's memory is read (the current task: a parent at fork, the task
 * itself otherwise); a read that fails leaves argv empty, never the record.
 */
static __always_inline void emit_proc(__u32 pid, __u32 tid, __u8 flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct ts_rec_proc *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	unsigned long start, end;
	__u64 len;

	if (!r) {
		count_drop();
		return;
	}
	r->hdr.kind = TS_REC_PROC;
	r->hdr.flags = flags;
	r->hdr.pid = pid;
	r->hdr.ts = bpf_ktime_get_ns();
	r->hdr.tid = tid;
	r->hdr.aux = 0;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	start = BPF_CORE_READ(task, mm, arg_start);
	end = BPF_CORE_READ(task, mm, arg_end);
	len = end > start ? end - start : 0;
	if (len > TS_MAX_ARGV)
		len = TS_MAX_ARGV;
	/* bounded for the verifier: len is in [0, TS_MAX_ARGV] */
	if (len && bpf_probe_read_user(r->argv, len, (const void *)start))
		len = 0;
	r->argv_len = len;
	r->pad[0] = r->pad[1] = r->pad[2] = 0;
	r->hdr.size = (TS_PROC_BASE_SIZE + len + 7) & ~7u;
	/* --stacks: user space looks for the interpreter now, before the process calls on */
	bpf_ringbuf_submit(r, py_stacks ? BPF_RB_FORCE_WAKEUP : rb_flags());
}

/*
 * A call that may block (a synchronize, a synchronous copy) also says when it
 * began: if the run stops while it is still waiting, the trace shows it.
 */
static __always_inline void emit_enter(const struct ts_rec_hdr *api)
{
	struct ts_rec_hdr *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);

	if (!r) {
		count_drop();
		return;
	}
	*r = *api;
	r->size = sizeof(*r);
	r->kind = TS_REC_API_ENTER;
	r->flags = 0;
	bpf_ringbuf_submit(r, rb_flags());
}

static __always_inline __u64 read_arg(const __u64 *args, __u32 arg)
{
	return arg < TS_ARG_REGS + TS_MAX_STACK_ARGS ? args[arg] : 0;
}

/*
 * An ncclUniqueId (128 bytes) at a user address, as one 64-bit FNV-1a hash
 * of its 16 words: every rank passes the same bytes, so every rank gets the
 * same communicator id. 0 when it cannot be read.
 */
static __always_inline __u64 hash_id(__u64 addr)
{
	__u64 w[TS_ID_BYTES / 8], h = 0xcbf29ce484222325ull;
	int i;

	if (bpf_probe_read_user(w, sizeof(w), (void *)addr))
		return 0;
	for (i = 0; i < TS_ID_BYTES / 8; i++)
		h = (h ^ w[i]) * 0x100000001b3ull;
	return h;
}

/* 1 if the call is followed (its return must run), 0 if it is not ours */
static __always_inline int api_entry(struct pt_regs *ctx)
{
	__u64 id, cookie, sp = PT_REGS_SP(ctx);
	const volatile struct ts_hook_spec *spec;
	struct task_struct *task = bpf_get_current_task_btf();
	struct ts_task *tk;
	struct ts_thread *t;
	__u64 args[TS_ARG_REGS + TS_MAX_STACK_ARGS];
	__u32 hook, i, nstack, nvals, sflags;

	/* a thread seen before carries its verdict: no pid lookup per call */
	tk = bpf_task_storage_get(&threads, task, 0, 0);
	if (!tk) {
		if (!is_traced(bpf_get_current_pid_tgid() >> 32))
			return 0;
		tk = bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!tk)
			return 0;
	}
	cookie = bpf_get_attach_cookie(ctx);
	sflags = TS_COOKIE_FLAGS(cookie);
	t = &tk->call[!!(sflags & TS_SPEC_F_UPPER)];
	/*
	 * A hooked function called (or tail-called) from inside another one of
	 * its layer runs on a deeper or equal stack: it belongs to the outer call.
	 */
	if (t->sp && sp <= t->sp)
		return 0;
	if (!tk->call[0].seen) {
		id = bpf_get_current_pid_tgid();
		tk->call[0].seen = 1;
		/* who it is, once: a thread keeps its ids (ts_exec mends an exec's) */
		for (i = 0; i < 2; i++) {
			tk->call[i].rec.hdr.kind = TS_REC_API;
			tk->call[i].rec.hdr.pid = id >> 32;
			tk->call[i].rec.hdr.tid = (__u32)id;
		}
		/* the process first: its name must be there before anything of it is drained */
		emit_proc(id >> 32, (__u32)id, 0);
		emit_thread(id >> 32, (__u32)id);
	}
	hook = TS_COOKIE_HOOK(cookie);
	nvals = TS_COOKIE_NVALS(cookie);
	if (hook >= TS_MAX_HOOKS || nvals > TS_MAX_VALS)
		return 0;
	/* copied out first: the verifier refuses ctx reads at a computed offset */
	ts_arch_reg_args(ctx, args);
	/* the stack arguments, in one read */
	nstack = TS_COOKIE_NSTACK(cookie);
	if (nstack > TS_MAX_STACK_ARGS)
		nstack = TS_MAX_STACK_ARGS;
	if (nstack &&
	    bpf_probe_read_user(&args[TS_ARG_REGS], nstack * 8, (void *)ts_arch_stack_args(sp)))
		__builtin_memset(&args[TS_ARG_REGS], 0, sizeof(args) - TS_ARG_REGS * 8);
	/* a plain argument is its value: written into the record now, nothing left at return */
	if (sflags & TS_SPEC_F_ARGS) {
		for (i = 0; i < TS_MAX_VALS && i < nvals; i++)
			t->rec.vals[i] = args[i];
	} else {
		spec = &hook_specs[hook & (TS_MAX_HOOKS - 1)];
		for (i = 0; i < TS_MAX_VALS && i < nvals; i++) {
			__u8 op = spec->vals[i].op;

			if (op == TS_OP_ARG)
				t->rec.vals[i] = read_arg(args, spec->vals[i].arg);
			else if (op == TS_OP_HASH_ARG)
				t->rec.vals[i] =
					hash_id(ts_arch_byval_addr(args, sp, spec->vals[i].arg));
			else if (op != TS_OP_NONE)
				t->raw[i] = read_arg(args, spec->vals[i].arg);
		}
	}
	/* --stacks: who called, from the return address */
	if (call_sites)
		t->caller = ts_arch_caller(ctx, sp);
	t->sp = sp;
	t->hook = hook;
	t->nvals = nvals;
	t->sflags = sflags;
	t->rec.hdr.aux = TS_COOKIE_SYM(cookie);
	t->rec.hdr.ts = bpf_ktime_get_ns();
	if (sflags & TS_SPEC_F_ENTER)
		emit_enter(&t->rec.hdr);
	return 1;
}

/* CUlaunchConfig, per the CUDA 12/13 headers (56 bytes) */
struct cu_launch_cfg {
	__u32 grid[3];
	__u32 block[3];
	__u32 shmem;
	__u32 pad;
	__u64 stream;
	__u64 attrs;
	__u32 nattrs;
};

#define CU_LAUNCH_ATTR_CLUSTER_DIMENSION 4
#define CU_LAUNCH_ATTR_SIZE		 72
#define TS_MAX_LAUNCH_ATTRS		 8

static __always_inline int read_launch_cfg(__u64 *vals, __u64 ucfg)
{
	struct cu_launch_cfg cfg;
	__u32 a[4];
	int i, err;

	err = bpf_probe_read_user(&cfg, sizeof(cfg), (void *)ucfg);
	if (err)
		return err;
	vals[0] = cfg.grid[0] | (__u64)cfg.grid[1] << 32;
	vals[1] = cfg.grid[2] | (__u64)cfg.block[0] << 32;
	vals[2] = cfg.block[1] | (__u64)cfg.block[2] << 32;
	vals[3] = cfg.shmem;
	vals[4] = cfg.stream;
	vals[5] = 0;
	for (i = 0; i < TS_MAX_LAUNCH_ATTRS && i < cfg.nattrs; i++) {
		/* id@0, then the value union at 8: x, y, z as u32 */
		if (bpf_probe_read_user(a, sizeof(a),
					(void *)(cfg.attrs + i * CU_LAUNCH_ATTR_SIZE)))
			return -1;
		if (a[0] == CU_LAUNCH_ATTR_CLUSTER_DIMENSION) {
			if (bpf_probe_read_user(a, sizeof(a) - 4,
						(void *)(cfg.attrs + i * CU_LAUNCH_ATTR_SIZE + 8)))
				return -1;
			vals[5] = (a[0] & 0xffff) | (__u64)(a[1] & 0xffff) << 16 |
				  (__u64)(a[2] & 0xffff) << 32;
		}
	}
	return 0;
}

/* Copy a user string right after vals[nvals]; returns bytes stored. */
static __always_inline __u32 read_str(struct ts_thread *t, __u32 nvals, __u64 ustr)
{
	char *dst;
	long n;

	if (nvals > TS_MAX_VALS)
		return 0;
	/*
	 * And bounded in the register the offset is made from: 6.1's verifier does
	 * not carry a bound checked on one copy to the copy clang reloads from
	 * the stack (newer ones do), and refused the program.
	 */
	asm volatile("if %0 <= %1 goto +1; %0 = 0" : "+r"(nvals) : "i"(TS_MAX_VALS));
	dst = (char *)t->rec.vals + nvals * 8;
	n = bpf_probe_read_user_str(dst, TS_MAX_STR, (void *)ustr);
	if (n <= 0) {
		t->rec.hdr.flags |= TS_API_F_READ_ERR;
		return 0;
	}
	if (n == TS_MAX_STR)
		t->rec.hdr.flags |= TS_API_F_STR_TRUNC;
	return n - 1;
}

static __always_inline __u32 fill_vals(struct ts_thread *t,
				       const volatile struct ts_hook_spec *spec)
{
	__u32 i, nvals = spec->nvals, str_len = 0;
	__u64 p;

	for (i = 0; i < TS_MAX_VALS && i < nvals; i++) {
		__u64 raw = t->raw[i], v = 0;
		__u32 v32 = 0, off = spec->vals[i].off;
		long err = 0;

		switch (spec->vals[i].op) {
		case TS_OP_STR:
			v = raw;
			break;
		case TS_OP_DEREF_U32:
			err = bpf_probe_read_user(&v32, sizeof(v32), (void *)(raw + off));
			v = v32;
			break;
		case TS_OP_DEREF_U64:
		case TS_OP_OUT:
		case TS_OP_OUT_STR:
			err = bpf_probe_read_user(&v, sizeof(v), (void *)(raw + off));
			break;
		case TS_OP_OUT_HASH:
			t->rec.vals[i] = hash_id(raw);
			continue;
		case TS_OP_LAUNCH_CFG:
			if (i + TS_LAUNCH_CFG_NVALS <= TS_MAX_VALS)
				err = read_launch_cfg(&t->rec.vals[i], raw);
			continue;
		default:
			continue;
		}
		if (err)
			t->rec.hdr.flags |= TS_API_F_READ_ERR;
		t->rec.vals[i] = v;
	}
	/* At most one string per hook: the decoder finds it after the values. */
	for (i = 0; (spec->flags & TS_SPEC_F_STR) && i < TS_MAX_VALS && i < nvals; i++) {
		__u8 op = spec->vals[i].op;

		if (op != TS_OP_STR && op != TS_OP_OUT_STR)
			continue;
		p = t->rec.vals[i];
		if (p)
			str_len = read_str(t, nvals, p);
		break;
	}
	return str_len;
}

static __always_inline int api_return(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns();
	struct ts_task *tk;
	struct ts_thread *t;
	const volatile struct ts_hook_spec *spec;
	__u64 size, flags;
	__u32 hook, nvals, str_len;

	tk = bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0, 0);
	if (!tk)
		return 0;
	t = &tk->call[!!(TS_COOKIE_FLAGS(bpf_get_attach_cookie(ctx)) & TS_SPEC_F_UPPER)];
	if (!t->sp)
		return 0;
	/* the outer call's return: its sp is where the call left it (x86's ret popped 8) */
	if (PT_REGS_SP(ctx) != ts_arch_return_sp(t->sp))
		return 0;
	t->sp = 0;
	nvals = t->nvals;
	hook = t->hook;
	if (hook >= TS_MAX_HOOKS || nvals > TS_MAX_VALS)
		return 0;
	/*
	 * Read only by hooks with memory reads. Masked although checked: clang
	 * tests a u8 against 128 by its sign bit, on a copy the verifier does
	 * not connect to the index (and drops a mask it can prove idle).
	 */
	barrier_var(hook);
	spec = &hook_specs[hook & (TS_MAX_HOOKS - 1)];
	t->rec.hdr.flags = 0;
	t->rec.dur = now - t->rec.hdr.ts;
	t->rec.ret = (__s32)PT_REGS_RC(ctx);
	t->rec.nvals = nvals;
	t->rec.pad = 0;
	/* a launch's values are all arguments, in the record since entry */
	str_len = t->sflags & TS_SPEC_F_READS ? fill_vals(t, spec) : 0;
	t->rec.str_len = str_len;
	if (call_sites)
		emit_stack(t);
	size = (TS_API_BASE_SIZE + nvals * 8 + str_len + 7) & ~7ull;
	t->rec.hdr.size = size;
	flags = rb_flags();
	/* keep the bound check next to its use, where the verifier can see it */
	barrier_var(size);
	if (size > sizeof(t->rec))
		return 0;
	if (bpf_ringbuf_output(&rb, &t->rec, size, flags))
		count_drop();
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ts_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = BPF_CORE_READ(parent, tgid), cpid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (!filter_pids || ppid == cpid)
		return 0;
	if (bpf_map_lookup_elem(&traced, &ppid)) {
		bpf_map_update_elem(&traced, &cpid, &one, BPF_ANY);
		/* the child is its parent's image until it execs: named now, whatever comes */
		emit_proc(cpid, BPF_CORE_READ(child, pid), TS_PROC_F_FORK);
	}
	return 0;
}

/*
 * exec renames a process: traced ones (pid filter), or, system-wide, those
 * already seen calling the driver (their thread storage survives exec).
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(ts_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct ts_task *t = bpf_task_storage_get(&threads, p, 0, 0);

	/* a thread other than the first that execs takes the first's id: its records too */
	if (t) {
		t->call[0].rec.hdr.tid = tid;
		t->call[1].rec.hdr.tid = tid;
		/* --stacks: another image, another interpreter (or none); each layer looks anew */
		t->call[0].py_tstate = t->call[1].py_tstate = 0;
		t->call[0].py_miss = t->call[1].py_miss = 0;
	}
	if (filter_pids ? !bpf_map_lookup_elem(&traced, &pid) : !t)
		return 0;
	emit_proc(pid, tid, TS_PROC_F_EXEC);
	emit_thread(pid, tid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ts_exit, struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, tgid), tid = BPF_CORE_READ(p, pid);
	struct ts_rec_hdr *r;

	if (tid != pid) {
		/* a thread that called the driver ends: user space can drop its state */
		if (!bpf_task_storage_get(&threads, p, 0, 0))
			return 0;
	} else if (filter_pids) {
		if (bpf_map_delete_elem(&traced, &pid))
			return 0;
	} else if (!bpf_task_storage_get(&threads, p, 0, 0)) {
		return 0; /* never called the driver */
	}
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		count_drop();
		return 0;
	}
	r->size = sizeof(*r);
	r->kind = TS_REC_EXIT;
	r->flags = tid != pid ? TS_EXIT_F_THREAD : 0;
	r->pid = pid;
	r->tid = tid;
	r->aux = BPF_CORE_READ(p, exit_code);
	r->ts = bpf_ktime_get_ns();
	/* a process exit always wakes: the consumer may be waiting for exactly this */
	bpf_ringbuf_submit(r, tid != pid ? rb_flags() : BPF_RB_FORCE_WAKEUP);
	return 0;
}

/*
 * Two ways to attach the same code. The uprobe_multi pair (kernel 6.6+) puts
 * all ~200 probes behind two links, attached and detached in one step each;
 * one perf-event link per probe costs a ~0.1 s RCU wait apiece at detach.
 */
SEC("uprobe")
int ts_api_entry(struct pt_regs *ctx)
{
	api_entry(ctx);
	return 0;
}

SEC("uretprobe")
int ts_api_return(struct pt_regs *ctx)
{
	return api_return(ctx);
}

SEC("uprobe")
int ts_api_entry_multi(struct pt_regs *ctx)
{
	api_entry(ctx);
	return 0;
}

SEC("uprobe")
int ts_api_return_multi(struct pt_regs *ctx)
{
	return api_return(ctx);
}

/*
 * A uprobe session (kernel 6.13+): one program at entry and at return. What
 * it saves is the return probe itself: an entry that returns 1 (a process
 * not traced, a call inside a hooked call) makes the kernel skip the return,
 * where the pair above would trap there too, only to find nothing to do.
 * Loaded as a uprobe, its attach type set by user space (libbpf 1.1 does not
 * know the section).
 */
extern bool bpf_session_is_return(void) __ksym __weak;

SEC("uprobe")
int ts_api_session(struct pt_regs *ctx)
{
	if (bpf_session_is_return())
		return api_return(ctx);
	return !api_entry(ctx);
}

/*
 * The rest of the object, one file a part (same object, same ring buffer, the
 * same pid filter): --gpu-time's and NVTX's hand-offs, the kernel driver
 * layer, libraries above the driver noticed as they are mapped.
 */
#include "gpu_handoff.bpf.h"
#include "nvtx_handoff.bpf.h"
#include "driver.bpf.h"
#include "libwatch.bpf.h"
