// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "lib/util.h"

static int cmd_help(int argc, char **argv);

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("tracesmith-bpf %s\n", TS_VERSION);
	return 0;
}

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "trace", cmd_trace, "trace a command, a process or the system (the default)" },
	{ "top", cmd_top, "a live view: calls, launches, kernels, per process, every second" },
	{ "replay", cmd_replay, "turn a .tsbpf capture into a trace" },
	{ "stats", cmd_stats, "summary tables of a .tsbpf capture (--report: nsys's reports)" },
	{ "query", cmd_query, "SQL over a .sqlite export or a .tsbpf capture" },
	{ "merge", cmd_merge, "captures of several hosts into one trace, one timeline" },
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "this list" },
};

static int cmd_help(int argc, char **argv)
{
	unsigned int i;

	(void)argc;
	(void)argv;
	printf("Usage: tracesmith-bpf [COMMAND] [OPTIONS]\n\n"
	       "An eBPF tracer for the CUDA driver: no code change, no restart; CUPTI only\n"
	       "when asked for measured GPU times (--gpu-time).\n\n"
	       "Commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %-8s %s\n", cmds[i].name, cmds[i].help);
	printf("\nWithout a command, `trace` is run: tracesmith-bpf -o trace.json -- ./app\n"
	       "  -p PID | -a | -- COMMAND   what to trace\n"
	       "  -o FILE                    .json, .pftrace, .tsbpf (several -o at once)\n"
	       "  --gpu-time                 real GPU start/end of kernels, copies, memsets\n"
	       "`tracesmith-bpf COMMAND --help` describes each command.\n");
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc < 2) {
		cmd_help(argc, argv);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc, argv);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(argc, argv);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		return cmd_trace(argc, argv);
	warn("unknown command '%s'; see tracesmith-bpf help\n", argv[1]);
	return 1;
}
