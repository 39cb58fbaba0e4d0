/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What each fakeapp workload does, in numbers: fakeapp does exactly this,
 * and the tests assert exactly this in the traces.
 */
#ifndef TS_WORKLOADS_H
#define TS_WORKLOADS_H

/* runtime: like the CUDA runtime, entry points from cuGetProcAddress_v2 */
#define RT_BYTES	     (1u << 20)
#define RT_ITERS	     100
#define RT_GRAPH_LAUNCHES    5
#define RT_VEC_ADD	     "_Z7vec_addPfPKfi"
#define RT_VEC_ADD_DEMANGLED "vec_add(float*, float const*, int)"
#define RT_EMPTY	     "_Z12empty_kernelv"
#define RT_EMPTY_DEMANGLED   "empty_kernel()"
#define RT_VEC_GRID	     4096
#define RT_VEC_BLOCK	     256

/* torch: cuLibraryGetKernel -> cuKernelGetFunction -> cuLaunchKernel */
#define TORCH_FILL                                                                                 \
	"_ZN2at6native29vectorized_elementwise_kernelILi4ENS0_11FillFunctorIfEESt5arrayIPcLm1EEEEviT0_T1_"
#define TORCH_FILL_DEMANGLED                                                                       \
	"void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>, "       \
	"std::array<char*, 1ul> >(int, at::native::FillFunctor<float>, std::array<char*, 1ul>)"
#define TORCH_FILL_N	       10
#define TORCH_REDUCE	       "_ZN2at6native13reduce_kernelILi512ELi1EEEvv"
#define TORCH_REDUCE_DEMANGLED "void at::native::reduce_kernel<512, 1>()"
#define TORCH_REDUCE_N	       5
#define TORCH_REDUCE_SHMEM     2048
/* launched by its CUkernel handle, never turned into a CUfunction */
#define TORCH_GEMM   "ampere_sgemm_128x64_nn"
#define TORCH_GEMM_N 3

/* triton: cuModuleGetFunction -> cuLaunchKernel on a created stream */
#define TRITON_KERNEL "triton_poi_fused_add_0"
#define TRITON_N      7

/* cudart: a lazily loaded kernel, cuKernelGetFunction before each launch, as the runtime does */
#define CUDART_KERNEL		"_Z10lazy_scalePfi"
#define CUDART_KERNEL_DEMANGLED "lazy_scale(float*, int)"
#define CUDART_N		6
#define TRITON_GRID		64
#define TRITON_BLOCK		128

/* launchex: cuLaunchKernelEx with a cooperative and a cluster attribute */
#define LAUNCHEX_KERNEL "cluster_kernel"
#define LAUNCHEX_N	3
#define LAUNCHEX_SHMEM	4096

/*
 * cluster (not part of "all"): cuLaunchKernelEx with every dimension of the
 * grid, block and cluster distinct, so that no dimension can stand in for another
 */
#define CLUSTER_KERNEL "cluster3d_kernel"
#define CLUSTER_N      2
#define CLUSTER_GRID   16, 9, 8
#define CLUSTER_BLOCK  32, 5, 6
#define CLUSTER_DIM    2, 3, 4
#define CLUSTER_SHMEM  2048

/*
 * getname (not part of "all"): a function and a kernel found by enumerating
 * a module and a library (cuModuleEnumerateFunctions, cuLibraryEnumerateKernels,
 * which the tracer does not hook), named by cuFuncGetName and cuKernelGetName
 * alone, each launched GETNAME_N times; the stand-in's modules and libraries
 * each hold one kernel of these names.
 */
#define GETNAME_FUNC   "enumerated_function_kernel"
#define GETNAME_KERNEL "enumerated_library_kernel"
#define GETNAME_N      3

/* threads: each thread its own stream, threads alternate between 2 devices */
#define THREADS_N	   4
#define THREADS_LAUNCHES   25
#define THREADS_KERNEL	   "worker_kernel"
#define THREADS_COPY_BYTES 4096

/*
 * hostile (not part of "all"): kernel names a traced process could use
 * against the tracer, each launched HOSTILE_N times. The bomb is 344 bytes
 * whose demangling doubles at each of its HOSTILE_BOMB_LEVELS template
 * levels (each a back-reference to the last, twice); the others are not
 * UTF-8: an overlong form, a surrogate, a code point above U+10FFFF, a
 * sequence cut short, a stray byte. The last is valid UTF-8 and stays as it is.
 */
#define HOSTILE_N	    2
#define HOSTILE_BOMB_LEVELS 33
#define HOSTILE_BOMB_LEN    344
#define HOSTILE_OVERLONG    "bad_\xc0\xaf_overlong"
#define HOSTILE_SURROGATE   "bad_\xed\xa0\x80_surrogate"
#define HOSTILE_ABOVE	    "bad_\xf4\x90\x80\x80_above"
#define HOSTILE_CUT	    "bad_cut_\xe2\x82"
#define HOSTILE_STRAY	    "bad_\xff_stray"
#define HOSTILE_VALID	    "ok_caf\xc3\xa9"

/*
 * graphs (not part of "all"): what inference servers and torch.compile do.
 * 1. Capture on s1: GRAPH_A_N launches of A, a memset, then s2 joins (an
 *    event recorded on s1, waited on by s2) and launches B once, s1 waits
 *    for s2 and copies host to device; end, instantiate, launch
 *    GRAPH_LAUNCHES times on s1. After the capture, s2 launches C once: run.
 * 2. The node API: kernel A (grid GRAPH_NODE_GRID), a memset node, a copy
 *    node, kernel B; instantiated as e2, launched; A's node gets grid
 *    GRAPH_NODE_GRID2 (cuGraphExecKernelNodeSetParams), launched again.
 * 3. Capture GRAPH_C_N launches of C into g3; cuGraphExecUpdate(e2, g3);
 *    e2 launched once more: it runs only those.
 */
#define GRAPH_A		    "graph_kernel_a"
#define GRAPH_B		    "graph_kernel_b"
#define GRAPH_C		    "graph_kernel_c"
#define GRAPH_A_N	    3
#define GRAPH_C_N	    2
#define GRAPH_LAUNCHES	    4
#define GRAPH_GRID	    64
#define GRAPH_BLOCK	    128
#define GRAPH_MEMSET_BYTES  4096
#define GRAPH_COPY_BYTES    8192
#define GRAPH_NODE_GRID	    8
#define GRAPH_NODE_GRID2    16
#define GRAPH_NODE_MEMSET_W 256 /* elements of 4 bytes */
#define GRAPH_NODE_COPY_W   1024
/* kernels that reach the GPU */
#define GRAPH_A_RUN (GRAPH_A_N * GRAPH_LAUNCHES + 2)
#define GRAPH_B_RUN (GRAPH_LAUNCHES + 2)
#define GRAPH_C_RUN (1 + GRAPH_C_N)

/*
 * kernels (not part of "all"): KERNELS_N distinct kernels, more than --metrics
 * gives their own series; kernel i (named KERNELS_FMT) launched KERNELS_LAUNCHES(i) times.
 */
#define KERNELS_N	    60
#define KERNELS_FMT	    "many_kernel_%02d"
#define KERNELS_LAUNCHES(i) ((i) % 3 + 1)

/*
 * labels (not part of "all"): kernel names that would break a text format
 * unescaped (a quote that ends the label, a newline that starts a metric of
 * its own, a trailing backslash, control characters), LABELS_N launches each.
 */
#define LABELS_N	 3
#define LABELS_INJECT	 "evil\"} 1\ninjected_metric 42\n# x"
#define LABELS_BACKSLASH "back\\slash\\"
#define LABELS_CONTROL	 "tab\there\rcr"

/*
 * --pause F: after the modes, one call no mode makes (the mark: a test that
 * sees it knows the tracer has read everything before it), then wait for F.
 */
#define PAUSE_MARK     "cuDevicePrimaryCtxRelease" /* the function, in traces and metrics */
#define PAUSE_MARK_SYM "cuDevicePrimaryCtxRelease_v2"

/* fail: an allocation too big, and an unknown kernel name */
#define FAIL_ALLOC_BYTES (1ull << 41)

/*
 * dirtyargs (not part of "all"): cuLaunchKernel called as ctypes does, its
 * 32-bit arguments passed in 64-bit slots whose upper half is DIRTY_BITS
 * (registers and stack slots alike). The trace shows the 32-bit values.
 */
#define DIRTY_N	     3
#define DIRTY_KERNEL "dirty_kernel"
#define DIRTY_BITS   0xdeadbeef00000000ull
#define DIRTY_GRID   40
#define DIRTY_BLOCK  96
#define DIRTY_SHMEM  0 /* read as 64 bits: 16045690981097406464 */

/*
 * forge (not part of "all", with --gpu-time): after cuInit, the program calls
 * the injection library's hand-off itself with FORGE_RECORDS slots that
 * cannot be drawn: a GPU kernel ending at 2^64-1, one ending before it
 * starts, and CUPTI drop counts of 2^64-1 (twice: a sum that wraps).
 */
#define FORGE_RECORDS 4

/*
 * flight N1 MS N2 END [K] (the flight recorder's tests): both kernels named
 * first, N1 launches of A, a pause of MS ms, N2 launches of B, then END:
 * fail (K failing cuMemAlloc_v2, default 1), exit (exit status
 * FLIGHT_EXIT_STATUS), hang (cuCtxSynchronize: FAKECUDA_SYNC_US long),
 * signal (SIGUSR2 to the parent, the tracer), none.
 */
#define FLIGHT_KERNEL_A	   "flight_phase_a"
#define FLIGHT_KERNEL_B	   "flight_phase_b"
#define FLIGHT_EXIT_STATUS 3

/*
 * nvtx: NVTX ranges through the injection protocol (tests/fakenvtx.h). The
 * main thread, named NVTX_THREAD_NAME: push NVTX_OUTER (category
 * NVTX_CATEGORY named NVTX_CATEGORY_NAME, color NVTX_COLOR, payload
 * NVTX_PAYLOAD) > push NVTX_INNER > NVTX_INNER_LAUNCHES cuLaunchKernel;
 * a mark NVTX_MARK; in domain NVTX_DOMAIN a push of the registered string
 * NVTX_DOM_RANGE; a start/end range NVTX_ASYNC started here, ended on a
 * second thread; a wide-string push NVTX_WIDE_UTF8; each hostile name pushed
 * and popped; then the storm: NVTX_STORM_DEPTH nested pushes (more than the
 * tracer keeps open on one thread), all popped, NVTX_STORM_UNMATCHED pops of
 * nothing, NVTX_STORM_STARTS start/end ranges never ended.
 */
#define NVTX_THREAD_NAME     "nvtx-main"
#define NVTX_OUTER	     "outer"
#define NVTX_INNER	     "inner"
#define NVTX_INNER_LAUNCHES  3
#define NVTX_CATEGORY	     7
#define NVTX_CATEGORY_NAME   "phase"
#define NVTX_COLOR	     0xff00ff00u
#define NVTX_PAYLOAD	     42
#define NVTX_MARK	     "checkpoint"
#define NVTX_DOMAIN	     "mydomain"
#define NVTX_DOM_RANGE	     "dom-range"
#define NVTX_ASYNC	     "async-io"
#define NVTX_WIDE_UTF8	     "wide-\xc3\xa9\xe2\x82\xac"
#define NVTX_STORM_DEPTH     200
#define NVTX_STORM_KEPT	     128 /* TS_NVTX_MAX_DEPTH */
#define NVTX_STORM_UNMATCHED 5
#define NVTX_STORM_STARTS    3

#endif
