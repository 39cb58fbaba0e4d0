/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The NVTX injection library, carried inside the tracer (nvtxlib.c writes it out). */
	.section .rodata
	.balign 16
	.globl ts_nvtx_lib, ts_nvtx_lib_size
ts_nvtx_lib:
	.incbin "libtracesmith-nvtx.so"
ts_nvtx_lib_end:
	.balign 8
ts_nvtx_lib_size:
	.quad ts_nvtx_lib_end - ts_nvtx_lib
	.section .note.GNU-stack, "", @progbits
