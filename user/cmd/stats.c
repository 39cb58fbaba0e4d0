// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `tracesmith-bpf stats`: a capture replayed into the stats writer, or, with
 * --report, the nsys-style reports: SQL (reports/) over its SQLite export.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "sql/reports.h"
#include "sql/sqlquery.h"
#include "lib/util.h"
#include "run/outputs.h"
#include "write/writer.h"

#define MAX_REPORTS 16

struct stats_opts {
	char *out;
	bool json, salvage, have_fmt;
	enum ts_sql_fmt fmt;
	const struct ts_report *reports[MAX_REPORTS];
	unsigned int nreports;
};

static void usage(void)
{
	unsigned int i;

	printf("Usage: tracesmith-bpf stats FILE [--json] [-o FILE] [--salvage]\n"
	       "       tracesmith-bpf stats FILE --report NAME|all [--format table|csv|json]\n"
	       "\n"
	       "Summarize a capture (.tsbpf; --report also takes a .sqlite export): top\n"
	       "kernels, CUDA API latency percentiles, copies by direction, device memory\n"
	       "and leaks, synchronization, driver calls, processes and streams. Live runs\n"
	       "print the same with --stats.\n"
	       "\n"
	       "  -j, --json        JSON instead of aligned text\n"
	       "  -o, --output      write to FILE instead of stdout\n"
	       "  -s, --salvage     (the default here) a damaged capture: what it holds\n"
	       "  -r, --report NAME a report as `nsys stats` has it (repeat, or all); SQL in\n"
	       "                    reports/NAME.sql, to copy and adapt with `query`:\n");
	for (i = 0; i < ts_nreports; i++)
		printf("                      %-22s %s\n", ts_reports[i].name, ts_reports[i].what);
	printf("  -f, --format F    of the reports: table (units per column), csv, json (ns)\n");
}

static int add_report(struct stats_opts *o, const char *name)
{
	const struct ts_report *r = ts_report_find(name);
	unsigned int i;

	if (!strcmp(name, "all")) {
		for (i = 0; i < ts_nreports && o->nreports < MAX_REPORTS; i++)
			o->reports[o->nreports++] = &ts_reports[i];
		return 0;
	}
	if (!r) {
		warn("--report %s: no such report (see stats --help)\n", name);
		return -1;
	}
	if (o->nreports < MAX_REPORTS)
		o->reports[o->nreports++] = r;
	return 0;
}

/* 1: exit 0 (help), -1: exit 1, 0: go on */
static int parse(int argc, char **argv, struct stats_opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "salvage", no_argument, NULL, 's' },
		{ "report", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	optind = 1;
	opterr = 0; /* ts_usage_error says it, through warn() */
	while ((c = getopt_long(argc, argv, "jo:sr:f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 's':
			o->salvage = true;
			break;
		case 'r':
			if (add_report(o, optarg))
				return -1;
			break;
		case 'f':
			o->have_fmt = true;
			if (ts_sql_format(optarg, &o->fmt))
				return -1;
			break;
		case 'h':
			usage();
			return 1;
		default:
			ts_usage_error("stats", argv);
			return -1;
		}
	}
	if (optind != argc - 1) {
		warn("stats: which capture? (see stats --help)\n");
		return -1;
	}
	if (o->have_fmt && !o->nreports)
		return add_report(o, "all");
	return 0;
}

/* The reports, one after the other; several in JSON are one object by name. */
static int run_reports(const struct stats_opts *o, const char *in_path)
{
	struct ts_sql_input in = { 0 };
	bool obj = o->fmt == TS_SQL_JSON && o->nreports > 1;
	struct ts_out out;
	unsigned int i;
	int err;

	err = ts_out_open(&out, o->out ? o->out : "-");
	if (err) {
		warn("%s: cannot write: %s\n", o->out, strerror(-err));
		return 1;
	}
	err = ts_sql_open_input(&in, in_path, o->salvage);
	if (obj)
		ts_out_puts(&out, "{");
	for (i = 0; !err && i < o->nreports; i++) {
		if (obj)
			ts_out_printf(&out, "%s\"%s\":", i ? "," : "", o->reports[i]->name);
		else if (o->fmt == TS_SQL_TABLE)
			ts_out_printf(&out, "%s%s: %s\n", i ? "\n" : "", o->reports[i]->name,
				      o->reports[i]->what);
		else if (o->fmt == TS_SQL_CSV && o->nreports > 1)
			ts_out_printf(&out, "%s# %s\n", i ? "\n" : "", o->reports[i]->name);
		err = ts_sql_run(&in, o->reports[i]->sql, o->fmt, &out);
	}
	if (obj && !err)
		ts_out_puts(&out, "}\n");
	ts_sql_close_input(&in);
	if (err) {
		ts_out_discard(&out);
		return 1;
	}
	return ts_out_close(&out) ? 1 : 0;
}

int cmd_stats(int argc, char **argv)
{
	/* a summary of a cut or damaged capture covers what it holds, and says so */
	struct stats_opts o = { .salvage = true };
	char path[4096], *out;
	int err = parse(argc, argv, &o);

	if (err)
		return err > 0 ? 0 : 1;
	if (o.nreports)
		return run_reports(&o, argv[optind]);
	snprintf(path, sizeof(path), "%s%s", o.json ? TS_STATS_JSON_PREFIX : TS_STATS_PREFIX,
		 o.out ? o.out : "-");
	out = path;
	return ts_replay_file(argv[optind], &out, 1, o.salvage);
}
