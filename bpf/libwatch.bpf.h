/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Part of tracesmith.bpf.c, after driver.bpf.h (its syscall contexts and fd
 * helpers): libraries above the driver (NCCL) noticed as they are mapped.
 */
#ifndef TS_LIBWATCH_BPF_H
#define TS_LIBWATCH_BPF_H

/*
 * Upper libraries (NCCL) come from anywhere (a Python wheel's folder), often
 * with dlopen long after start: they are known by their file's name when
 * mapped executable. Hooking is by file, so the first process to map a file
 * is the one that must wait for it: it is sent SIGSTOP here (delivered as the
 * mmap returns, before ld.so runs a line of the library) and user space sends
 * SIGCONT once the probes are attached. Why a stop, not a race: BPF cannot
 * attach probes, and user space attaching while the process goes on would
 * miss the calls made before (NCCL's first calls come right after dlopen).
 * Every later process that maps the same file is already hooked: no stop.
 */
const volatile struct ts_lib_name lib_names[TS_MAX_WATCHED] = {};
/* set by user space as it stops: no process may be left waiting for it */
bool lib_map_no_stop = false;

struct lib_key {
	__u64 dev, ino;
};

/* Library files seen mapped (bounded: past it, new files are not watched) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct lib_key);
	__type(value, __u8);
} lib_seen SEC(".maps");

#define TS_PROT_EXEC 0x4

/* Is the dentry name a watched soname, or the soname and a version (libnccl.so.2.28.9)? */
static __always_inline int lib_of_name(const char *n)
{
	int i, k;

	for (i = 0; i < TS_MAX_WATCHED; i++) {
		__u32 len = lib_names[i].len;

		if (!len || len >= TS_LIB_NAME)
			continue;
		for (k = 0; k < TS_LIB_NAME - 1; k++)
			if (k >= len || n[k] != lib_names[i].name[k])
				break;
		if (k == len && (n[k] == '\0' || n[k] == '.'))
			return i;
	}
	return -1;
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int ts_lib_mmap(struct sys_enter_ctx *ctx)
{
	struct ts_rec_lib_map *r;
	struct lib_key key;
	struct file *f;
	char name[TS_LIB_NAME + 1] = {};
	__u64 id = bpf_get_current_pid_tgid();
	int fd = ctx->args[4], lib;
	__u8 one = 1;

	if (!(ctx->args[2] & TS_PROT_EXEC) || fd < 0 || !is_traced(id >> 32))
		return 0;
	f = task_fd_file(fd);
	if (!f || bpf_probe_read_kernel_str(name, TS_LIB_NAME,
					    BPF_CORE_READ(f, f_path.dentry, d_name.name)) <= 0)
		return 0;
	lib = lib_of_name(name);
	if (lib < 0)
		return 0;
	key.dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(f, f_inode, i_ino);
	/* the first sight of the file only: hooked once, it is hooked in every process */
	if (bpf_map_update_elem(&lib_seen, &key, &one, BPF_NOEXIST))
		return 0;
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		count_drop();
		return 0;
	}
	r->hdr.size = sizeof(*r);
	r->hdr.kind = TS_REC_LIB_MAP;
	r->hdr.flags = 0;
	r->hdr.pid = id >> 32;
	r->hdr.tid = (__u32)id;
	r->hdr.ts = bpf_ktime_get_ns();
	r->hdr.aux = lib;
	r->fd = fd;
	r->pad = 0;
	r->dev = key.dev;
	r->ino = key.ino;
	if (!lib_map_no_stop && !bpf_send_signal(19 /* SIGSTOP */))
		r->hdr.flags |= TS_LIBMAP_F_STOPPED;
	/* user space must act now: the process waits for it */
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
	return 0;
}

#endif
