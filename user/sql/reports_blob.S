/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The reports of `stats --report` (reports/*.sql), carried inside the tracer, NUL-terminated. */
	.section .rodata
	.macro report name
	.globl ts_report_\name
ts_report_\name:
	.incbin "reports/\name\().sql"
	.byte 0
	.endm
	report cuda_api_sum
	report cuda_gpu_kern_sum
	report cuda_gpu_mem_time_sum
	report cuda_gpu_mem_size_sum
	report nvidia_driver_sum
	report sync_sum
	report gpu_stream_sum
	report process_sum
	report host_sum
	report nccl_sum
	report callsite_sum
	.section .note.GNU-stack, "", @progbits
