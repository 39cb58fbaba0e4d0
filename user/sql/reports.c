// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "sql/reports.h"

/* reports_blob.S: each reports/NAME.sql, NUL-terminated */
extern const char ts_report_cuda_api_sum[], ts_report_cuda_gpu_kern_sum[],
	ts_report_cuda_gpu_mem_time_sum[], ts_report_cuda_gpu_mem_size_sum[],
	ts_report_nvidia_driver_sum[], ts_report_sync_sum[], ts_report_gpu_stream_sum[],
	ts_report_process_sum[], ts_report_host_sum[], ts_report_nccl_sum[],
	ts_report_callsite_sum[];

const struct ts_report ts_reports[] = {
	{ "cuda_api_sum", "CUDA driver API calls by function", ts_report_cuda_api_sum },
	{ "cuda_gpu_kern_sum", "GPU kernels by name", ts_report_cuda_gpu_kern_sum },
	{ "cuda_gpu_mem_time_sum", "GPU copies and memsets by time",
	  ts_report_cuda_gpu_mem_time_sum },
	{ "cuda_gpu_mem_size_sum", "GPU copies and memsets by size",
	  ts_report_cuda_gpu_mem_size_sum },
	{ "nvidia_driver_sum", "NVIDIA kernel driver calls (ioctl, mmap) by operation",
	  ts_report_nvidia_driver_sum },
	{ "sync_sum", "synchronize calls: where the host waited", ts_report_sync_sum },
	{ "gpu_stream_sum", "each GPU stream: ops, busy time, busy %", ts_report_gpu_stream_sum },
	{ "process_sum", "each process: calls, kernels, device memory", ts_report_process_sum },
	{ "host_sum", "each host (several after merge): processes, calls, kernels",
	  ts_report_host_sum },
	{ "nccl_sum", "NCCL operations by communicator: calls, bytes, time, algbw, busbw",
	  ts_report_nccl_sum },
	{ "callsite_sum", "GPU work by the call stack that submitted it (--stacks)",
	  ts_report_callsite_sum },
};
const unsigned int ts_nreports = sizeof(ts_reports) / sizeof(ts_reports[0]);

const struct ts_report *ts_report_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ts_nreports; i++)
		if (!strcmp(ts_reports[i].name, name))
			return &ts_reports[i];
	return NULL;
}
