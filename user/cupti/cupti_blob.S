/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The --gpu-time injection library, carried inside the tracer (gputime.c writes it out). */
	.section .rodata
	.balign 16
	.globl ts_cupti_lib, ts_cupti_lib_size
ts_cupti_lib:
	.incbin "libtracesmith-cupti.so"
ts_cupti_lib_end:
	.balign 8
ts_cupti_lib_size:
	.quad ts_cupti_lib_end - ts_cupti_lib
	.section .note.GNU-stack, "", @progbits
