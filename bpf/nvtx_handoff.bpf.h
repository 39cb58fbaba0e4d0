/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Part of tracesmith.bpf.c (included there: one BPF object, one ring buffer,
 * the same pid filter): the uprobe on the NVTX injection library's hand-off.
 */
#ifndef TS_NVTX_HANDOFF_BPF_H
#define TS_NVTX_HANDOFF_BPF_H

/*
 * ts_nvtx_deliver(rec, size): one thread's batch of NVTX events, copied as
 * it is. One probe per batch (up to TS_NVTX_DATA bytes of events), never one
 * per push or pop. The batch is the process's memory: only its kind and
 * size are checked here, the events by the decoder.
 */
SEC("uprobe")
int ts_nvtx_batch(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 size = PT_REGS_PARM2(ctx);
	struct ts_rec_hdr *r;

	if (!is_traced(pid))
		return 0;
	if (size <= sizeof(struct ts_rec_hdr) || size > sizeof(struct ts_rec_nvtx) || size % 8)
		return 0;
	r = bpf_ringbuf_reserve(&rb, sizeof(struct ts_rec_nvtx), 0);
	if (!r) {
		count_drop();
		return 0;
	}
	if (bpf_probe_read_user(r, size, (const void *)PT_REGS_PARM1(ctx)) ||
	    r->kind != TS_REC_NVTX) {
		bpf_ringbuf_discard(r, 0);
		return 0;
	}
	r->size = size;
	r->pid = pid;
	bpf_ringbuf_submit(r, rb_flags());
	return 0;
}

#endif
