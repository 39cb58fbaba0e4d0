// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `tracesmith-bpf stats`: a capture replayed into the stats writer. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include "cli.h"
#include "util.h"
#include "writer.h"

int cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "salvage", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char *out = NULL, path[4096];
	bool json = false, salvage = false;
	int c;

	optind = 1;
	opterr = 0; /* ts_usage_error says it, through warn() */
	while ((c = getopt_long(argc, argv, "jo:sh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 's':
			salvage = true;
			break;
		case 'h':
			printf("Usage: tracesmith-bpf stats FILE.tsbpf [--json] [-o FILE] [--salvage]\n"
			       "\n"
			       "Summarize a capture: top kernels, CUDA API latency percentiles, copies\n"
			       "by direction, device memory and leaks, synchronization, driver calls,\n"
			       "processes and streams. Live runs print the same with --stats.\n"
			       "\n"
			       "  -j, --json      JSON instead of aligned text\n"
			       "  -o, --output    write to FILE instead of stdout\n"
			       "  -s, --salvage   summarize what a damaged capture holds\n");
			return 0;
		default:
			ts_usage_error("stats", argv);
			return 1;
		}
	}
	if (optind != argc - 1) {
		warn("stats: which capture? (see stats --help)\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s%s", json ? TS_STATS_JSON_PREFIX : TS_STATS_PREFIX,
		 out ? out : "-");
	out = path;
	return ts_replay_file(argv[optind], &out, 1, salvage);
}
