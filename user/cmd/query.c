// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `tracesmith-bpf query FILE SQL`: SQL over a .sqlite export or a .tsbpf capture. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "sql/sqlquery.h"
#include "lib/util.h"

static void usage(void)
{
	printf("Usage: tracesmith-bpf query FILE \"SQL\" [--format table|csv|json] [--salvage]\n"
	       "\n"
	       "Run SQL over a trace: a .sqlite export (opened read-only) or a .tsbpf\n"
	       "capture (exported to a temporary database first). The schema is in\n"
	       "docs/sqlite-schema.md; views kernels, api_calls, copies, memsets and\n"
	       "driver_calls have the names joined in. The stats reports are SQL files\n"
	       "in reports/ to start from. Only reading is allowed, and a statement\n"
	       "ends past bounds on its work and temporary files (see the README).\n"
	       "\n"
	       "  -f, --format F   table (the default; ns columns in a readable unit),\n"
	       "                   csv, or json (an array of objects per statement)\n"
	       "  -s, --salvage    (the default) a damaged capture: what it holds\n"
	       "\n"
	       "  tracesmith-bpf query run.tsbpf \"SELECT name, COUNT(*), SUM(dur) FROM kernels\n"
	       "                                 GROUP BY name ORDER BY 3 DESC\"\n");
}

int cmd_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "salvage", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct ts_sql_input in = { 0 };
	enum ts_sql_fmt fmt = TS_SQL_TABLE;
	bool salvage = true; /* a cut capture: what it holds, said on stderr */
	struct ts_out o;
	int c, ret = 1;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:sh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (ts_sql_format(optarg, &fmt))
				return 1;
			break;
		case 's':
			salvage = true;
			break;
		case 'h':
			usage();
			return 0;
		default:
			ts_usage_error("query", argv);
			return 1;
		}
	}
	if (optind != argc - 2) {
		warn("query: a file and one SQL string (see query --help)\n");
		return 1;
	}
	if (ts_out_open(&o, "-"))
		return 1;
	if (!ts_sql_open_input(&in, argv[optind], salvage) &&
	    !ts_sql_run(&in, argv[optind + 1], fmt, &o))
		ret = 0;
	if (ts_out_close(&o))
		ret = 1;
	ts_sql_close_input(&in);
	return ret;
}
