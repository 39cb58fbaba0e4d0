// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The floor the kernel imposes: an empty uprobe + uretprobe pair. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("uprobe")
int floor_entry(void *ctx)
{
	return 0;
}

SEC("uretprobe")
int floor_return(void *ctx)
{
	return 0;
}
