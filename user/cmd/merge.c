// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `tracesmith-bpf merge A.tsbpf B.tsbpf ... -o OUT`: captures of several hosts
 * into one trace, on one timeline.
 *
 * Each capture's records are put on CLOCK_REALTIME (its META_START gives the
 * realtime at its monotonic base; --offset HOST=+-NS corrects a host whose
 * clock is known to be off), read side by side and fed in time order, k-way,
 * one record of each in memory at a time: memory stays flat whatever their
 * size. Input i's pids become pid + i * TS_MERGE_PID_SPAN (never a real pid,
 * never colliding), its processes are named with its host, its symbol ids
 * are mapped onto one table, and the correlator draws each host's GPUs apart
 * (TS_MODE_MERGED). The result goes through the same outputs as a replay.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record/capture.h"
#include "cli.h"
#include "record/decode.h"
#include "record/hostid.h"
#include "encode/outfile.h"
#include "run/outputs.h"
#include "lib/strmap.h"
#include "lib/util.h"

#define MAX_OFFSETS 64
#define MAX_SYMS    4096 /* symbol ids per capture that can be mapped */

struct input {
	const char *path;
	struct ts_cap_reader r;
	const struct ts_rec_hdr *cur; /* the next record, NULL at the end */
	int64_t shift;		      /* monotonic ns of this capture -> realtime ns */
	char host[256];
	uint32_t *symmap; /* its symbol id -> the merged one (0: not yet defined) */
	uint64_t drops, bad;
	bool system_wide, cut;
};

struct merge {
	struct input *in;
	unsigned int n;
	struct ts_strmap syms; /* "name\0hook" -> merged id + 1 */
	uint32_t nsyms;
	struct ts_outputs outs;
	char *offsets[MAX_OFFSETS];
	unsigned int noffsets;
	uint64_t last_ts;
	uint8_t buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));
};

static void usage(void)
{
	printf("Usage: tracesmith-bpf merge A.tsbpf B.tsbpf ... -o OUT [-o OUT2 ...]\n"
	       "                            [--offset HOST=+-NS ...]\n"
	       "\n"
	       "Merge captures of several hosts into one trace on one timeline\n"
	       "(CLOCK_REALTIME), each host's processes and GPUs named with the host.\n"
	       "Any output format: .json, .pftrace, .sqlite, .tsbpf, stats:FILE.\n"
	       "\n"
	       "  -o, --output FILE      an output (up to 4)\n"
	       "      --offset HOST=NS   add NS (+ or -) to HOST's clock: one known to be off\n");
}

/* The --offset of host, in ns (0 if none). */
static int64_t host_offset(const struct merge *m, const char *host)
{
	size_t n = strlen(host);
	unsigned int i;

	for (i = 0; i < m->noffsets; i++)
		if (!strncmp(m->offsets[i], host, n) && m->offsets[i][n] == '=')
			return strtoll(m->offsets[i] + n + 1, NULL, 10);
	return 0;
}

static int advance(struct input *in)
{
	const void *rec;
	int r = ts_cap_next(&in->r, &rec);

	in->cur = r > 0 ? rec : NULL;
	if (r < 0) {
		warn("%s: %s; merged up to there\n", in->path, in->r.err);
		in->cut = true;
	}
	return r;
}

/* Open input i, read its clock base and host. */
static int open_input(struct merge *m, struct input *in)
{
	const struct ts_rec_meta *start;
	int err = ts_cap_open(&in->r, in->path);

	if (err) {
		warn("%s: %s\n", in->path, in->r.err);
		return err;
	}
	in->r.salvage = true;
	in->symmap = calloc(MAX_SYMS, sizeof(*in->symmap));
	if (!in->symmap)
		return -ENOMEM;
	snprintf(in->host, sizeof(in->host), "%.63s", in->r.hdr.hostname);
	if (advance(in) <= 0 || in->cur->kind != TS_REC_META_START) {
		warn("%s: no clock base at its start: not a capture that can be merged\n",
		     in->path);
		return -EINVAL;
	}
	start = (const struct ts_rec_meta *)in->cur;
	if (!start->v[0]) {
		warn("%s: no realtime clock base: cannot be placed on a shared timeline\n",
		     in->path);
		return -EINVAL;
	}
	in->system_wide = start->hdr.aux & TS_MODE_SYSTEM_WIDE;
	in->shift = (int64_t)(start->v[0] - start->hdr.ts) + host_offset(m, in->host);
	advance(in);
	return 0;
}

/* One host per input: the same host twice would draw two machines as one. */
static int check_hosts(const struct merge *m)
{
	unsigned int i, j;

	for (i = 0; i < m->n; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(m->in[i].host, m->in[j].host) &&
			    !strcmp(m->in[i].r.hdr.boot_id, m->in[j].r.hdr.boot_id)) {
				warn("%s and %s come from the same host (%s) and boot: merge "
				     "captures of different hosts\n",
				     m->in[j].path, m->in[i].path, m->in[i].host);
				return -EINVAL;
			}
	if (m->n > TS_MERGE_MAX_HOSTS) {
		warn("at most %d captures at once\n", TS_MERGE_MAX_HOSTS);
		return -E2BIG;
	}
	return 0;
}

static int put(struct merge *m, const void *rec)
{
	return m->outs.base.put(&m->outs.base, rec);
}

/* The merged clock base, the hosts in input order: before any record. */
static int put_header(struct merge *m, uint64_t t0, const char *cmdline)
{
	uint32_t mode = TS_MODE_MERGED;
	unsigned int i;
	int err;

	for (i = 0; i < m->n; i++)
		if (m->in[i].system_wide)
			mode |= TS_MODE_SYSTEM_WIDE;
	ts_meta_build(m->buf, TS_REC_META_START, 0, t0, mode, t0, 0, TS_VERSION, strlen(TS_VERSION),
		      cmdline, strlen(cmdline));
	err = put(m, m->buf);
	for (i = 0; !err && i < m->n; i++) {
		char kv[128];

		snprintf(kv, sizeof(kv), "boot_id=%.36s\nkernel=%.64s\n", m->in[i].r.hdr.boot_id,
			 m->in[i].r.hdr.kernel);
		ts_meta_build(m->buf, TS_REC_META_HOST, 0, t0, 0, 0, 0, m->in[i].host,
			      strlen(m->in[i].host), kv, strlen(kv));
		err = put(m, m->buf);
	}
	return err;
}

/* A symbol of input i: its merged id, defined in the output the first time. */
static int map_sym(struct merge *m, struct input *in, const struct ts_rec_meta *r)
{
	size_t l0, l1;
	const char *name = ts_meta_str(r, 0, &l0), *hook = ts_meta_str(r, 1, &l1);
	char key[2 * TS_META_MAX_STR + 2];
	struct ts_strmap_ent *e;
	bool fresh;

	if (r->hdr.aux >= MAX_SYMS)
		return 0;
	snprintf(key, sizeof(key), "%.*s%c%.*s", (int)l0, name, 0, (int)l1, hook);
	e = ts_strmap_get(&m->syms, key, l0 + 1 + l1, &fresh);
	if (!e)
		return -ENOMEM;
	if (fresh) {
		e->val = m->nsyms++;
		ts_meta_build(m->buf, TS_REC_META_SYM, 0, r->hdr.ts, e->val, 0, 0, name, l0, hook,
			      l1);
		if (put(m, m->buf))
			return -EIO;
	}
	in->symmap[r->hdr.aux] = e->val + 1;
	return 0;
}

static uint32_t sym_of(const struct input *in, uint32_t id)
{
	/* an id never defined stays undefined: the correlator counts it */
	return id < MAX_SYMS && in->symmap[id] ? in->symmap[id] - 1 : 0xffffffffu;
}

/* A process's name, with its host in front. */
static int put_proc(struct merge *m, const struct input *in, const struct ts_rec_meta *r,
		    uint32_t pid, uint64_t ts)
{
	size_t l0, l1;
	const char *cmd = ts_meta_str(r, 0, &l0), *cg = ts_meta_str(r, 1, &l1);
	char name[TS_META_MAX_STR];
	int n = snprintf(name, sizeof(name), "[%s] %.*s", in->host, (int)l0, cmd);

	ts_meta_build(m->buf, TS_REC_META_PROC, pid, ts, 0, 0, 0, name,
		      n < (int)sizeof(name) ? (size_t)n : sizeof(name) - 1, cg, l1);
	return put(m, m->buf);
}

/* Input i's record on the merged timeline: pids, times and symbol ids rewritten. */
static int emit(struct merge *m, unsigned int i)
{
	struct input *in = &m->in[i];
	const struct ts_rec_hdr *h = in->cur;
	struct ts_rec_hdr *o = (struct ts_rec_hdr *)m->buf;
	uint32_t pid = h->pid ? h->pid + i * TS_MERGE_PID_SPAN : 0;
	uint64_t ts = h->ts + in->shift;

	switch (h->kind) {
	case TS_REC_META_START:
	case TS_REC_META_END:
	case TS_REC_META_HOST:
		return 0; /* the merge says these once, for all */
	case TS_REC_META_DROPS:
		in->drops += ((const struct ts_rec_meta *)h)->v[0];
		in->bad += ((const struct ts_rec_meta *)h)->v[1];
		return 0;
	case TS_REC_META_SYM:
		return map_sym(m, in, (const struct ts_rec_meta *)h);
	case TS_REC_META_PROC:
		return put_proc(m, in, (const struct ts_rec_meta *)h, pid, ts);
	default:
		break;
	}
	if (h->size > sizeof(m->buf))
		return 0;
	memcpy(o, h, h->size);
	o->pid = pid;
	o->ts = ts;
	if (h->kind == TS_REC_API || h->kind == TS_REC_API_ENTER)
		o->aux = sym_of(in, h->aux);
	if (h->kind == TS_REC_DRIVER) {
		struct ts_rec_driver *d = (struct ts_rec_driver *)o;

		if (d->api_ts)
			d->api_ts += in->shift;
		d->api_sym = d->api_ts ? sym_of(in, d->api_sym) : 0;
	}
	if (h->kind == TS_REC_GPU) {
		struct ts_rec_gpu *g = (struct ts_rec_gpu *)o;

		g->end += in->shift;
		if (g->api_ts)
			g->api_ts += in->shift;
	}
	if (ts > m->last_ts)
		m->last_ts = ts;
	return put(m, o);
}

/* The input whose next record is earliest; -1 when all are done. */
static int earliest(const struct merge *m)
{
	uint64_t best = UINT64_MAX;
	int k = -1;
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		const struct input *in = &m->in[i];

		if (in->cur && in->cur->ts + in->shift < best) {
			best = in->cur->ts + in->shift;
			k = i;
		}
	}
	return k;
}

static int run(struct merge *m, const char *cmdline)
{
	uint64_t t0 = UINT64_MAX, drops = 0, bad = 0;
	bool cut = false;
	unsigned int i;
	int k, err;

	for (i = 0; i < m->n; i++)
		if (m->in[i].cur && m->in[i].cur->ts + m->in[i].shift < t0)
			t0 = m->in[i].cur->ts + m->in[i].shift;
	err = put_header(m, t0 == UINT64_MAX ? 0 : t0, cmdline);
	while (!err && (k = earliest(m)) >= 0) {
		err = emit(m, k);
		if (!err)
			advance(&m->in[k]);
	}
	for (i = 0; i < m->n; i++) {
		drops += m->in[i].drops;
		bad += m->in[i].bad;
		cut |= m->in[i].cut || (m->in[i].r.hdr.flags & TS_CAP_F_INCOMPLETE);
	}
	if (!err) {
		ts_meta_build(m->buf, TS_REC_META_DROPS, 0, m->last_ts, 0, drops, bad, NULL, 0,
			      NULL, 0);
		err = put(m, m->buf);
	}
	if (!err) {
		ts_meta_build(m->buf, TS_REC_META_END, 0, m->last_ts, 0, 0, 0, NULL, 0, NULL, 0);
		err = put(m, m->buf);
	}
	return err ? err : (cut ? 1 : 0);
}

static int parse(int argc, char **argv, struct merge *m, char **outs, unsigned int *nout)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "offset", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		if (c == 'o' && *nout < TS_MAX_OUTPUTS) {
			outs[(*nout)++] = optarg;
		} else if (c == 'O' && m->noffsets < MAX_OFFSETS && strchr(optarg, '=')) {
			m->offsets[m->noffsets++] = optarg;
		} else if (c == 'h') {
			usage();
			return 1;
		} else {
			if (c == 'O')
				warn("--offset %s: HOST=NS, NS in ns with a sign\n", optarg);
			else
				ts_usage_error("merge", argv);
			return -1;
		}
	}
	if (argc - optind < 2 || !*nout) {
		warn("merge: two or more captures and -o OUT (see merge --help)\n");
		return -1;
	}
	return 0;
}

int cmd_merge(int argc, char **argv)
{
	struct merge *m = calloc(1, sizeof(*m));
	char *outs[TS_MAX_OUTPUTS], cmdline[1024];
	unsigned int nout = 0, i;
	int err, ret = 1;

	if (!m)
		return 1;
	err = parse(argc, argv, m, outs, &nout);
	if (err) {
		free(m);
		return err > 0 ? 0 : 1;
	}
	m->n = argc - optind;
	m->in = calloc(m->n, sizeof(*m->in));
	for (i = 0; m->in && i < m->n; i++) {
		m->in[i].path = argv[optind + i];
		m->in[i].r.fd = -1;
	}
	for (i = 0, err = m->in ? 0 : -ENOMEM; !err && i < m->n; i++)
		err = open_input(m, &m->in[i]);
	if (!err)
		err = check_hosts(m);
	snprintf(cmdline, sizeof(cmdline), "tracesmith-bpf merge (%u captures)", m->n);
	/* no output may be one of the inputs */
	if (!err)
		err = ts_outfile_check((const char *const *)outs, nout,
				       (const char *const *)argv + optind, m->n);
	if (!err && !ts_outputs_open(&m->outs, outs, nout, NULL)) {
		err = run(m, cmdline);
		if (err < 0 || ts_outputs_close(&m->outs, err > 0))
			err = -EIO;
		else
			ret = 0;
	}
	ts_outputs_discard(&m->outs);
	for (i = 0; m->in && i < m->n; i++) {
		ts_cap_close(&m->in[i].r);
		free(m->in[i].symmap);
	}
	ts_strmap_free(&m->syms);
	free(m->in);
	free(m);
	return ret;
}
