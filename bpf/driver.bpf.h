/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Part of tracesmith.bpf.c (included there: one BPF object, one ring buffer,
 * the same pid filter): the kernel driver layer, syscall tracepoints on
 * NVIDIA device files.
 */
#ifndef TS_DRIVER_BPF_H
#define TS_DRIVER_BPF_H

/* ---- the kernel driver: syscalls on NVIDIA device files ----------------- */

/* syscalls:sys_enter_* / sys_exit_* records (tracefs format files) */
struct sys_enter_ctx {
	__u64 common;
	__s32 nr;
	__s32 pad;
	__u64 args[6];
};

struct sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__s32 pad;
	__s64 ret;
};

#define NV_ESC_IOCTL_XFER_CMD 0xd3
#define TS_DRV_INFLIGHT	      4096

/* A driver syscall between enter and exit, per thread id. */
struct drv_call {
	__u64 ts;
	__u64 cmd;
	__u64 arg;
	__u64 ptr; /* the RM/UVM struct (unwrapped) */
	__s32 fd;
	__u32 nr;
	__u16 size;
	__u8 op;
	__u8 dev;
	char name[TS_DEV_NAME];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TS_DRV_INFLIGHT);
	__type(key, __u32);
	__type(value, struct drv_call);
} drv_inflight SEC(".maps");

/* Scratch for building a driver record (too big for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_rec_driver);
} drv_scratch SEC(".maps");

static __always_inline bool has_prefix(const char *s, const char *p, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (s[i] != p[i])
			return false;
	return true;
}

/* Classify a dentry name: -1 if it is not an NVIDIA device file. */
static __always_inline int nv_dev_kind(const char *n)
{
	if (!has_prefix(n, "nvidia", 6))
		return -1;
	if (has_prefix(n + 6, "ctl", 4))
		return TS_DEV_CTL;
	if (has_prefix(n + 6, "-uvm-tools", 11))
		return TS_DEV_UVM_TOOLS;
	if (has_prefix(n + 6, "-uvm", 5))
		return TS_DEV_UVM;
	if (n[6] >= '0' && n[6] <= '9')
		return TS_DEV_GPU;
	return TS_DEV_OTHER;
}

/* The file behind one of the current task's fds, or NULL. */
static __always_inline struct file *task_fd_file(int fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct file **fds, *f = NULL;

	if (fd < 0 || fd >= BPF_CORE_READ(t, files, fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(t, files, fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return f;
}

#define TS_S_IFMT  0170000
#define TS_S_IFCHR 0020000

/*
 * A device node: only root (CAP_MKNOD) makes one, so a traced process cannot
 * pass a file of its own (/tmp/nvidia-notes) for an NVIDIA device. Checked at
 * open, ioctl, mmap and close of nvidia-named files only, not on launches.
 */
static __always_inline bool file_is_chrdev(struct file *f)
{
	return (BPF_CORE_READ(f, f_inode, i_mode) & TS_S_IFMT) == TS_S_IFCHR;
}

/*
 * The NVIDIA device kind of one of the current task's fds: a character device
 * whose name says which (the test stand-in is a copy of /dev/zero named so).
 */
static __always_inline int fd_dev_kind(int fd, char *name)
{
	struct file *f = task_fd_file(fd);
	const unsigned char *dname;

	if (!f || !file_is_chrdev(f))
		return -1;
	dname = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	if (bpf_probe_read_kernel_str(name, TS_DEV_NAME, dname) <= 0)
		return -1;
	return nv_dev_kind(name);
}

static __always_inline bool drv_traced(__u32 *pid, __u32 *tid)
{
	__u64 id = bpf_get_current_pid_tgid();

	*pid = id >> 32;
	*tid = (__u32)id;
	return trace_driver && is_traced(*pid);
}

/* Start a driver call on fd if it is an NVIDIA device file of a traced process. */
static __always_inline bool drv_begin(struct drv_call *c, int fd, __u8 op, __u32 *tid)
{
	__u32 pid;
	int kind;

	if (!drv_traced(&pid, tid))
		return false;
	kind = fd_dev_kind(fd, c->name);
	if (kind < 0)
		return false;
	c->fd = fd;
	c->op = op;
	c->dev = kind;
	return true;
}

/* Hold it until the syscall exits: user memory is read then. */
static __always_inline int drv_hold(struct drv_call *c, __u32 tid)
{
	c->ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&drv_inflight, &tid, c, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_ioctl")
int ts_ioctl_enter(struct sys_enter_ctx *ctx)
{
	struct drv_call c = {};
	__u32 tid, xfer[4];
	int kind;

	if (!drv_begin(&c, ctx->args[0], TS_DRV_IOCTL, &tid))
		return 0;
	kind = c.dev;
	c.cmd = ctx->args[1];
	c.arg = c.ptr = ctx->args[2];
	if (kind == TS_DEV_UVM || kind == TS_DEV_UVM_TOOLS) {
		/* UVM numbers are plain integers, not _IOC encoded */
		c.nr = c.cmd;
	} else {
		c.nr = c.cmd & 0xff;
		c.size = (c.cmd >> 16) & 0x3fff;
		if (c.nr == NV_ESC_IOCTL_XFER_CMD &&
		    !bpf_probe_read_user(xfer, sizeof(xfer), (void *)c.arg)) {
			/* { u32 cmd; u32 size; u64 ptr }: the real call is inside */
			c.nr = xfer[0] & 0xff;
			c.size = xfer[1];
			c.ptr = xfer[2] | (__u64)xfer[3] << 32;
		}
	}
	return drv_hold(&c, tid);
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int ts_mmap_enter(struct sys_enter_ctx *ctx)
{
	struct drv_call c = {};
	__u32 tid;

	if (!drv_begin(&c, ctx->args[4], TS_DRV_MMAP, &tid))
		return 0;
	c.cmd = ctx->args[1];			   /* length */
	c.arg = ctx->args[2] << 32 | ctx->args[3]; /* prot, flags */
	return drv_hold(&c, tid);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int ts_openat_enter(struct sys_enter_ctx *ctx)
{
	struct drv_call c = {};
	__u32 pid, tid;
	char path[16];

	if (!drv_traced(&pid, &tid))
		return 0;
	if (bpf_probe_read_user_str(path, sizeof(path), (void *)ctx->args[1]) <= 0 ||
	    !has_prefix(path, "/dev/nvidia", 11))
		return 0;
	c.op = TS_DRV_OPEN;
	c.dev = nv_dev_kind(path + 5);
	c.cmd = ctx->args[2]; /* flags */
	c.ptr = ctx->args[1];
	c.fd = -1;
	bpf_probe_read_kernel_str(c.name, sizeof(c.name), path + 5);
	return drv_hold(&c, tid);
}

/* Emit the record for the driver call that just returned on this thread. */
static __always_inline int drv_exit(__s64 ret)
{
	__u64 now = bpf_ktime_get_ns();
	struct ts_rec_driver *r;
	struct ts_task *tk;
	struct ts_thread *t;
	struct drv_call *c;
	__u32 pid, tid, zero = 0, len = 0;
	__u64 size, flags;

	if (!drv_traced(&pid, &tid))
		return 0;
	c = bpf_map_lookup_elem(&drv_inflight, &tid);
	if (!c)
		return 0;
	if (c->op == TS_DRV_OPEN && ret >= 0) {
		/* opened: a /dev/nvidia* name that is a regular file is no device */
		struct file *f = task_fd_file(ret);

		if (!f || !file_is_chrdev(f))
			goto out;
	}
	r = bpf_map_lookup_elem(&drv_scratch, &zero);
	if (!r)
		goto out;
	r->hdr.kind = TS_REC_DRIVER;
	r->hdr.flags = c->dev;
	r->hdr.pid = pid;
	r->hdr.tid = tid;
	r->hdr.ts = c->ts;
	r->hdr.aux = c->op;
	r->dur = now - c->ts;
	r->ret = ret;
	r->cmd = c->cmd;
	r->arg = c->arg;
	r->fd = c->op == TS_DRV_OPEN ? ret : c->fd;
	r->nr = c->nr;
	r->size = c->size;
	__builtin_memcpy(r->dev, c->name, sizeof(r->dev));
	/* the hooked CUDA call this syscall happens inside, if any */
	tk = bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0, 0);
	t = tk ? &tk->call[0] : NULL;
	r->api_ts = t && t->sp ? t->rec.hdr.ts : 0;
	r->api_sym = t && t->sp ? t->rec.hdr.aux : 0;
	if (c->op == TS_DRV_IOCTL || c->op == TS_DRV_OPEN) {
		/* user memory is readable only now: status fields, outputs, the path */
		len = c->size;
		if (!len || len > TS_DRV_DATA)
			len = TS_DRV_DATA;
		if (c->op == TS_DRV_OPEN) {
			long n = bpf_probe_read_user_str(r->data, TS_DRV_DATA, (void *)c->ptr);

			len = n > 0 ? n - 1 : 0;
		} else if (bpf_probe_read_user(r->data, len, (void *)c->ptr)) {
			/* a UVM struct shorter than we guessed: try the common sizes */
			len = bpf_probe_read_user(r->data, 40, (void *)c->ptr) ? 16 : 40;
			if (len == 16 && bpf_probe_read_user(r->data, 16, (void *)c->ptr))
				len = 0;
		}
	}
	r->data_len = len;
	size = (TS_DRV_BASE_SIZE + len + 7) & ~7ull;
	r->hdr.size = size;
	flags = rb_flags();
	barrier_var(size);
	if (size > sizeof(*r))
		goto out;
	if (bpf_ringbuf_output(&rb, r, size, flags))
		count_drop();
out:
	bpf_map_delete_elem(&drv_inflight, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int ts_ioctl_exit(struct sys_exit_ctx *ctx)
{
	return drv_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int ts_mmap_exit(struct sys_exit_ctx *ctx)
{
	return drv_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int ts_openat_exit(struct sys_exit_ctx *ctx)
{
	return drv_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_close")
int ts_close_enter(struct sys_enter_ctx *ctx)
{
	struct drv_call c = {};
	__u32 tid;

	if (!drv_begin(&c, ctx->args[0], TS_DRV_CLOSE, &tid))
		return 0;
	return drv_hold(&c, tid);
}

SEC("tracepoint/syscalls/sys_exit_close")
int ts_close_exit(struct sys_exit_ctx *ctx)
{
	return drv_exit(ctx->ret);
}

#endif
