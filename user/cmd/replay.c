// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `tracesmith-bpf replay`: a capture file through the same decode path as
 * live, into any outputs; --info describes it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record/capture.h"
#include "cli.h"
#include "run/outputs.h"
#include "record/decode.h"
#include "lib/util.h"
#include "record/validate.h"

static void usage(void)
{
	printf("Usage: tracesmith-bpf replay FILE.tsbpf -o TRACE.json|.pftrace [-o ...] [--salvage]\n"
	       "       tracesmith-bpf replay FILE.tsbpf --info\n"
	       "\n"
	       "Turn a capture recorded with `-o FILE.tsbpf` into a trace, on any machine:\n"
	       "no root, BPF or GPU needed.\n"
	       "\n"
	       "  -o, --output FILE   the trace to write: .json, .pftrace (up to 4 -o)\n"
	       "  -i, --info          describe the capture instead: header, processes,\n"
	       "                      record counts, drops, time span\n"
	       "  -s, --salvage       on corrupt or truncated data, keep what came before it\n"
	       "                      and exit 0\n"
	       "  -h, --help          this help\n");
}

struct info {
	uint64_t kinds[256];
	uint64_t first_ts, last_ts, drops;
	uint64_t base;	  /* META_START's clock base, 0 before it */
	uint64_t invalid; /* records a replay drops (validate.h): not in the span */
	bool ended;
};

static int info_rec(void *ctx, const void *rec)
{
	const struct ts_rec_hdr *h = rec;
	struct info *in = ctx;
	size_t len;
	const char *s;

	in->kinds[h->kind]++;
	if (ts_rec_validate(rec, in->base) != TS_VALID) {
		in->invalid++;
		return 0;
	}
	if (h->kind == TS_REC_META_START && !in->base) {
		in->base = h->ts;
	} else if (h->kind == TS_REC_META_PROC) {
		s = ts_meta_str(rec, 0, &len);
		printf("process  %u: %.*s", h->pid, (int)len, s);
		s = ts_meta_str(rec, 1, &len);
		printf(len ? " [cgroup %.*s]\n" : "\n", (int)len, s);
	} else if (h->kind == TS_REC_META_LIB) {
		s = ts_meta_str(rec, 0, &len);
		printf("libcuda  %.*s", (int)len, s);
		s = ts_meta_str(rec, 1, &len);
		printf(" (build id %.*s), NVIDIA driver %llu\n", len ? (int)len : 1, len ? s : "?",
		       (unsigned long long)((const struct ts_rec_meta *)rec)->v[0]);
	} else if (h->kind == TS_REC_META_DROPS) {
		in->drops = ((const struct ts_rec_meta *)rec)->v[0];
	} else if (h->kind == TS_REC_META_END) {
		in->ended = true;
	} else if (h->kind < TS_REC_META_START) {
		if (!in->first_ts || h->ts < in->first_ts)
			in->first_ts = h->ts;
		if (h->ts > in->last_ts)
			in->last_ts = h->ts;
	}
	return 0;
}

static int print_info(struct ts_cap_reader *r, const char *path)
{
	struct info *in = calloc(1, sizeof(*in));
	int err, i;

	if (!in)
		return -ENOMEM;
	printf("file     %s\nformat   version %u\nhost     %s (kernel %s, boot %s)\n"
	       "tool     tracesmith-bpf %s\nclock    monotonic %llu = realtime %llu\n",
	       path, r->hdr.version, r->hdr.hostname, r->hdr.kernel, r->hdr.boot_id,
	       r->hdr.tool_version, (unsigned long long)r->hdr.clock_mono_ns,
	       (unsigned long long)r->hdr.clock_real_ns);
	err = ts_cap_read(r, info_rec, in);
	printf("records  %llu\n", (unsigned long long)r->records);
	for (i = 0; i < 256; i++)
		if (in->kinds[i])
			printf("  %-8s %llu\n", ts_rec_kind_name(i),
			       (unsigned long long)in->kinds[i]);
	if (in->invalid)
		printf("invalid  %llu (times or counts that cannot be drawn: a replay drops them)\n",
		       (unsigned long long)in->invalid);
	printf("drops    %llu\nspan     %.6f s\ncomplete %s\n", (unsigned long long)in->drops,
	       in->last_ts > in->first_ts ? (in->last_ts - in->first_ts) / 1e9 : 0.0,
	       (r->hdr.flags & TS_CAP_F_INCOMPLETE) || !in->ended || err ? "no" : "yes");
	free(in);
	return err;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "info", no_argument, NULL, 'i' },
		{ "salvage", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char *out[TS_MAX_OUTPUTS];
	unsigned int nout = 0;
	bool info = false, salvage = false;
	struct ts_cap_reader r = { .fd = -1 };
	int c, err;

	optind = 1;
	opterr = 0; /* ts_usage_error says it, through warn() */
	while ((c = getopt_long(argc, argv, "o:ish", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (nout == TS_MAX_OUTPUTS) {
				warn("at most %d outputs (-o)\n", TS_MAX_OUTPUTS);
				return 1;
			}
			out[nout++] = optarg;
			break;
		case 'i':
			info = true;
			break;
		case 's':
			salvage = true;
			break;
		case 'h':
			usage();
			return 0;
		default:
			ts_usage_error("replay", argv);
			return 1;
		}
	}
	if (optind != argc - 1 || (!nout && !info)) {
		warn("replay: which capture, and which output (-o) or --info? see `tracesmith-bpf "
		     "replay --help`\n");
		return 1;
	}
	if (!info)
		return ts_replay_file(argv[optind], out, nout, salvage);
	err = ts_cap_open(&r, argv[optind]);
	if (!err)
		err = print_info(&r, argv[optind]);
	if (err)
		warn("%s: %s\n", argv[optind], r.err[0] ? r.err : strerror(-err));
	ts_cap_close(&r);
	return err ? 1 : 0;
}
