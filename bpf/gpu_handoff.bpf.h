/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Part of tracesmith.bpf.c (included there: one BPF object, one ring buffer,
 * the same pid filter): the two uprobes on the --gpu-time injection
 * library's hand-off functions.
 */
#ifndef TS_GPU_HANDOFF_BPF_H
#define TS_GPU_HANDOFF_BPF_H

/* ---- --gpu-time: CUPTI activity handed over by the injection library ---- */

/*
 * ts_cupti_deliver(slots, n): copy each fixed-size slot into the ring buffer.
 * One probe per batch of up to TS_GPU_BATCH records, never one per kernel.
 * The slots are the process's memory: only the kind is checked here, the
 * rest by the decoder, and size and pid are set from what the kernel knows.
 */
SEC("uprobe")
int ts_gpu_batch(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32, i, n;
	__u64 base;

	if (!is_traced(pid))
		return 0;
	base = PT_REGS_PARM1(ctx);
	n = PT_REGS_PARM2(ctx);
	for (i = 0; i < TS_GPU_BATCH && i < n; i++) {
		struct ts_rec_hdr *r = bpf_ringbuf_reserve(&rb, TS_GPU_SLOT_SIZE, 0);

		if (!r) {
			count_drop();
			continue;
		}
		if (bpf_probe_read_user(r, TS_GPU_SLOT_SIZE,
					(const void *)(base + (__u64)i * TS_GPU_SLOT_SIZE)) ||
		    (r->kind != TS_REC_GPU && r->kind != TS_REC_GPU_INFO)) {
			bpf_ringbuf_discard(r, 0);
			continue;
		}
		r->size = TS_GPU_SLOT_SIZE;
		r->pid = pid;
		bpf_ringbuf_submit(r, rb_flags());
	}
	return 0;
}

/* ts_cupti_name(id, name): a kernel name, once per name */
SEC("uprobe")
int ts_gpu_name(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32;
	struct ts_rec_gpu_name *r;
	long n;

	if (!is_traced(pid))
		return 0;
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		count_drop();
		return 0;
	}
	r->hdr.kind = TS_REC_GPU_NAME;
	r->hdr.flags = 0;
	r->hdr.pid = pid;
	r->hdr.ts = bpf_ktime_get_ns();
	r->hdr.tid = (__u32)pid_tgid;
	r->hdr.aux = 0;
	r->id = PT_REGS_PARM1(ctx);
	r->pad[0] = r->pad[1] = r->pad[2] = 0;
	n = bpf_probe_read_user_str(r->name, TS_MAX_STR, (const void *)PT_REGS_PARM2(ctx));
	if (n <= 0) {
		bpf_ringbuf_discard(r, 0);
		return 0;
	}
	r->name_len = n - 1;
	r->hdr.size = (TS_GPU_NAME_BASE_SIZE + n - 1 + 7) & ~7u;
	bpf_ringbuf_submit(r, rb_flags());
	return 0;
}

#endif
