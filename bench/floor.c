// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Benchmark helper: attach the empty floor pair to FUNC in LIB, run the
 * command, detach. Usage: floor LIB FUNC -- COMMAND...
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_uprobe_opts, entry);
	LIBBPF_OPTS(bpf_uprobe_opts, ret, .retprobe = true);
	struct floor_bpf *skel;
	struct bpf_link *l1 = NULL, *l2 = NULL;
	int st = 1;
	pid_t pid;

	if (argc < 5 || strcmp(argv[3], "--")) {
		fprintf(stderr, "usage: floor LIB FUNC -- COMMAND...\n");
		return 1;
	}
	skel = floor_bpf__open_and_load();
	if (!skel)
		return 1;
	entry.func_name = argv[2];
	ret.func_name = argv[2];
	l1 = bpf_program__attach_uprobe_opts(skel->progs.floor_entry, -1, argv[1], 0, &entry);
	l2 = bpf_program__attach_uprobe_opts(skel->progs.floor_return, -1, argv[1], 0, &ret);
	if (!l1 || !l2) {
		fprintf(stderr, "floor: cannot attach to %s in %s\n", argv[2], argv[1]);
		goto cleanup;
	}
	pid = fork();
	if (pid == 0) {
		execvp(argv[4], argv + 4);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
cleanup:
	bpf_link__destroy(l1);
	bpf_link__destroy(l2);
	floor_bpf__destroy(skel);
	return st;
}
