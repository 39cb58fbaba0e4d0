// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `tracesmith-bpf [trace]`: attach, run or follow the target, drain, write. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "run/child.h"
#include "cli.h"
#include "correlate/correlate.h"
#include "record/decode.h"
#include "probe/hooks.h"
#include "probe/libfind.h"
#include "probe/loader.h"
#include "run/outputs.h"
#include "run/live.h"
#include "run/sites.h"
#include "cupti/gputime.h"
#include "run/outname.h"
#include "lib/util.h"

#define DRAIN_INTERVAL_MS 50
/* outputs are written out at least this often: what a SIGKILL can cost */
#define SYNC_INTERVAL_NS 1000000000ull
/* -d is bounded: a year */
#define MAX_DURATION_S 31536000
/* the kernel's PID_MAX_LIMIT on 64-bit */
#define PID_MAX_LIMIT 4194304

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* "stopped by SIGHUP" */
static const char *stop_reason(void)
{
	static char why[64];
	const char *abbrev = sigabbrev_np(stop_signal);

	snprintf(why, sizeof(why), "stopped by SIG%s", abbrev ? abbrev : "?");
	return why;
}

/* Every signal a user can send to end a run ends it cleanly: the files are whole. */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned int i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ts_nstop_signals; i++)
		sigaction(ts_stop_signals[i], &sa, NULL);
}

struct trace_opts {
	pid_t pid;
	bool all;
	char *out[TS_MAX_OUTPUTS];
	unsigned int nout;
	const char *lib;
	const char *lib_under;
	double duration;
	uint32_t rb_mb;
	bool no_driver, driver_only;
	bool gpu_time;	   /* --gpu-time: CUPTI's GPU times, through the injection library */
	bool stacks;	   /* --stacks: each call's native caller and Python stack */
	const char *cupti; /* --cupti PATH */
	uint64_t start_at; /* --start-at: CLOCK_REALTIME ns to record from (0: now) */
	enum ts_kill kill;
	char **cmd;
};

static void usage(void)
{
	printf("Usage: tracesmith-bpf [trace] [OPTIONS] -- COMMAND [ARGS...]\n"
	       "       tracesmith-bpf [trace] [OPTIONS] -p PID\n"
	       "       tracesmith-bpf [trace] [OPTIONS] -a\n"
	       "\n"
	       "Trace the CUDA driver API of a command, a running process, or every process\n"
	       "that uses libcuda, and write a trace that opens in ui.perfetto.dev.\n"
	       "\n"
	       "  -p, --pid PID         attach to a running process (and the children it forks)\n"
	       "  -a, --all             trace every process that uses libcuda\n"
	       "  -o, --output FILE     trace file; the extension picks the format:\n"
	       "                          .json     Perfetto/Chrome JSON (default: trace.json)\n"
	       "                          .pftrace  native Perfetto protobuf, 3-5x smaller\n"
	       "                          .sqlite   SQLite database (docs/sqlite-schema.md)\n"
	       "                          .tsbpf    raw capture, for `tracesmith-bpf replay`\n"
	       "                        give -o up to 4 times to write several at once; a file\n"
	       "                        already at FILE is kept as FILE.old; - is stdout;\n"
	       "                        %%h host name, %%p pid, %%t start time (UTC) in FILE\n"
	       "  -d, --duration SECS   stop after SECS seconds (up to %d)\n"
	       "      --start-at TIME   with -a or -p: attach now, record from TIME on (UTC:\n"
	       "                        HH:MM[:SS], YYYY-MM-DDTHH:MM:SS, or @EPOCH): the same\n"
	       "                        window on every node; -d counts from then\n"
	       "      --kill HOW        when -d ends a -- run: term (SIGTERM, then SIGKILL;\n"
	       "                        the default), kill, or none (leave it running)\n"
	       "  -l, --lib PATH        the libcuda.so.1 to hook (default: found automatically)\n"
	       "      --lib-under DIR   with -a: hook only the libcuda copies under DIR that\n"
	       "                        running processes have mapped (one container root)\n"
	       "      --ringbuf-mb N    ring buffer size in MiB, a power of two up to 1024\n"
	       "                        (default 16)\n"
	       "      --stats           print summary tables at the end, on stderr (as `stats`\n"
	       "                        does; -o stats:FILE writes them to a file)\n"
	       "      --no-driver       skip the kernel driver layer (NVIDIA ioctl/mmap/open)\n"
	       "      --driver-only     trace only the driver layer: no libcuda needed\n"
	       "      --gpu-time        real GPU start and end of every kernel, copy and memset\n"
	       "                        (CUPTI activity, joined to each call); with -p the\n"
	       "                        library is loaded into the process with ptrace\n"
	       "      --cupti PATH      the libcupti.so for --gpu-time (default: the one the\n"
	       "                        program has, beside its libcudart, or CUDA's)\n"
	       "      --stacks          each call's call site: its native caller (library!\n"
	       "                        symbol+0xoff) and, for calls that launch, copy, set,\n"
	       "                        allocate, free or synchronize, the Python stack of\n"
	       "                        the thread (CPython 3.11, 3.12)\n"
	       "  -v, --verbose         more messages (-vv: libbpf debug output)\n"
	       "  -h, --help            this help\n"
	       "\n"
	       "Stops when the command or process exits, on Ctrl-C, SIGTERM, SIGHUP or\n"
	       "SIGQUIT, or after -d; the trace is complete and valid in every case. The exit\n"
	       "status is the command's (128+N when signal N killed it).\n",
	       MAX_DURATION_S);
}

static int parse_kill(const char *s, enum ts_kill *k)
{
	if (!strcmp(s, "term"))
		*k = TS_KILL_TERM;
	else if (!strcmp(s, "kill"))
		*k = TS_KILL_KILL;
	else if (!strcmp(s, "none"))
		*k = TS_KILL_NONE;
	else
		return -EINVAL;
	return 0;
}

/* One option's argument; a message names the accepted range. */
static int parse_arg(struct trace_opts *o, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 'p':
		if (ts_parse_uint(arg, 1, PID_MAX_LIMIT, &v))
			break;
		o->pid = v;
		return 0;
	case 'd':
		if (ts_parse_seconds(arg, MAX_DURATION_S, &o->duration))
			break;
		return 0;
	case 'R':
		if (ts_parse_uint(arg, 1, 1024, &v) || (v & (v - 1)))
			break;
		o->rb_mb = v;
		return 0;
	case 'K':
		if (parse_kill(arg, &o->kill))
			break;
		return 0;
	}
	switch (c) {
	case 'p':
		warn("-p %s: a process id is a whole number from 1 to %d\n", arg, PID_MAX_LIMIT);
		break;
	case 'd':
		warn("-d %s: a number of seconds above 0 and up to %d\n", arg, MAX_DURATION_S);
		break;
	case 'R':
		warn("--ringbuf-mb %s: a power of two from 1 to 1024\n", arg);
		break;
	case 'K':
		warn("--kill %s: one of term, kill, none\n", arg);
		break;
	}
	return -EINVAL;
}

/* What --gpu-time can do today: a command started under the tracer. */
static int check_gpu_time(const struct trace_opts *o)
{
	if (o->cupti && !o->gpu_time) {
		warn("--cupti goes with --gpu-time\n");
		return -EINVAL;
	}
	if (!o->gpu_time)
		return 0;
	if (o->all) {
		warn("--gpu-time goes with -- COMMAND or -p PID, not -a: it loads a library into "
		     "each traced process\n");
		return -EINVAL;
	}
	if (o->driver_only) {
		warn("--gpu-time and --driver-only do not go together\n");
		return -EINVAL;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct trace_opts *o)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "kill", required_argument, NULL, 'K' },
		{ "lib", required_argument, NULL, 'l' },
		{ "lib-under", required_argument, NULL, 'U' },
		{ "ringbuf-mb", required_argument, NULL, 'R' },
		{ "no-driver", no_argument, NULL, 'N' },
		{ "stats", no_argument, NULL, 'S' },
		{ "driver-only", no_argument, NULL, 'D' },
		{ "gpu-time", no_argument, NULL, 'G' },
		{ "cupti", required_argument, NULL, 'C' },
		{ "stacks", no_argument, NULL, 'P' },
		{ "start-at", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	bool stats = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->rb_mb = 16;
	optind = 1;
	opterr = 0; /* ts_usage_error says it, through warn() */
	while ((c = getopt_long(argc, argv, "+p:ao:d:l:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
		case 'd':
		case 'R':
		case 'K':
			if (parse_arg(o, c, optarg))
				return -EINVAL;
			break;
		case 'a':
			o->all = true;
			break;
		case 'o':
			if (o->nout == TS_MAX_OUTPUTS) {
				warn("at most %d outputs (-o)\n", TS_MAX_OUTPUTS);
				return -EINVAL;
			}
			o->out[o->nout++] = optarg;
			break;
		case 'l':
			o->lib = optarg;
			break;
		case 'U':
			o->lib_under = optarg;
			break;
		case 'N':
			o->no_driver = true;
			break;
		case 'S':
			stats = true;
			break;
		case 'D':
			o->driver_only = true;
			break;
		case 'G':
			o->gpu_time = true;
			break;
		case 'C':
			o->cupti = optarg;
			break;
		case 'P':
			o->stacks = true;
			break;
		case 'T':
			if (ts_parse_wall_time(optarg, &o->start_at)) {
				warn("--start-at %s: HH:MM[:SS], YYYY-MM-DDTHH:MM:SS or @EPOCH, in "
				     "UTC\n",
				     optarg);
				return -EINVAL;
			}
			break;
		case 'v':
			ts_verbose++;
			break;
		case 'h':
			usage();
			return 1;
		default:
			ts_usage_error("trace", argv);
			return -EINVAL;
		}
	}
	if (optind < argc)
		o->cmd = &argv[optind];
	if (!o->nout)
		o->out[o->nout++] = "trace.json";
	if (stats && o->nout < TS_MAX_OUTPUTS)
		o->out[o->nout++] = TS_STATS_STDERR;
	if (o->no_driver && o->driver_only) {
		warn("--no-driver and --driver-only leave nothing to trace\n");
		return -EINVAL;
	}
	if (o->lib_under && (!o->all || o->lib)) {
		warn("--lib-under goes with -a, and not with --lib\n");
		return -EINVAL;
	}
	if (!!o->pid + o->all + !!o->cmd != 1) {
		warn("say what to trace: one of -p PID, -a, or -- COMMAND (see --help)\n");
		return -EINVAL;
	}
	if (o->start_at && o->cmd) {
		warn("--start-at goes with -a or -p: a -- command starts when the tracer does\n");
		return -EINVAL;
	}
	if (o->start_at && o->start_at + 1000000000ull < ts_now_ns(CLOCK_REALTIME)) {
		warn("--start-at: that time has passed\n");
		return -EINVAL;
	}
	return check_gpu_time(o);
}

struct trace_run;
static int expand_outputs(struct trace_run *r);

static void join_cmdline(int argc, char **argv, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < argc && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? " " : "", argv[i]);
}

/* A trace's moving parts, torn down in one place. */
struct trace_run {
	struct trace_opts o;
	struct ts_probes probes;
	struct ts_outputs outs;
	struct ts_live live;
	struct ts_child child;
	struct ts_gpu_time gpu;
	struct ts_sites sites;		/* --stacks */
	struct ts_live_sites sites_ops; /* how live reaches it */
	uint64_t *offsets;
	char lib[TS_PATH_MAX], bid[128], cmdline[1024];
	char out_names[TS_MAX_OUTPUTS][TS_PATH_MAX]; /* -o with %h, %p, %t expanded */
	uint64_t start_mono;			     /* --start-at, CLOCK_MONOTONIC; 0: now */
	uint64_t t0;				     /* when the tracer started, CLOCK_MONOTONIC */
	bool started; /* the probes are live: the outputs hold a trace */
	bool timed_out;
};

/*
 * -o names with %h, %p, %t made real; --start-at on the monotonic clock (records
 * before it are not kept: the probes are attached and warm by then).
 */
static int expand_outputs(struct trace_run *r)
{
	uint64_t real = ts_now_ns(CLOCK_REALTIME), mono = ts_now_ns(CLOCK_MONOTONIC);
	time_t t0 = (r->o.start_at ? r->o.start_at : real) / 1000000000ull;
	unsigned int i;

	if (r->o.start_at > real) {
		r->start_mono = mono + (r->o.start_at - real);
		r->live.start_ns = r->start_mono;
	}
	for (i = 0; i < r->o.nout; i++) {
		if (!strchr(r->o.out[i], '%'))
			continue;
		if (ts_outname_expand(r->o.out[i], r->out_names[i], sizeof(r->out_names[i]),
				      r->o.pid ? r->o.pid : getpid(), t0)) {
			warn("-o %s: %%h, %%p, %%t or %%%% only, within %d bytes\n", r->o.out[i],
			     TS_PATH_MAX);
			return -EINVAL;
		}
		r->o.out[i] = r->out_names[i];
	}
	return 0;
}

/* Has the target gone? A child is reaped, its status kept. */
static bool target_gone(struct trace_run *r)
{
	if (r->child.pid > 0)
		return ts_child_gone(&r->child);
	if (r->o.pid > 0)
		return kill(r->o.pid, 0) && errno == ESRCH;
	return false;
}

static int run_loop(struct trace_run *r)
{
	uint64_t now = ts_now_ns(CLOCK_MONOTONIC), next_sync = now + SYNC_INTERVAL_NS;
	uint64_t from = r->start_mono > now ? r->start_mono : now;
	uint64_t deadline = r->o.duration > 0 ? from + (uint64_t)(r->o.duration * 1e9) : 0;
	struct ring_buffer *rb = r->probes.rb;
	int err;

	while (!stop_signal) {
		err = ring_buffer__poll(rb, DRAIN_INTERVAL_MS);
		/* the probes never wake us per event: drain what the timer found */
		if (err >= 0)
			err = ring_buffer__consume(rb);
		if (err < 0 && err != -EINTR)
			return r->live.err ? r->live.err : err;
		if (target_gone(r))
			break;
		now = ts_now_ns(CLOCK_MONOTONIC);
		if (deadline && now >= deadline) {
			r->timed_out = true;
			break;
		}
		/* a kill -9 or a power cut loses at most this much of every output */
		if (now >= next_sync) {
			ts_outputs_sync(&r->outs);
			next_sync = now + SYNC_INTERVAL_NS;
		}
	}
	err = ring_buffer__consume(rb);
	return err < 0 ? (r->live.err ? r->live.err : err) : 0;
}

static int lib_offsets(const char *lib, uint64_t **offsets, char *bid, size_t bidlen)
{
	const struct ts_sym *syms;
	unsigned int n = ts_syms(&syms);
	int found;

	*offsets = calloc(n, sizeof(**offsets));
	if (!*offsets)
		return -ENOMEM;
	found = ts_lib_symbols(lib, *offsets, n, bid, bidlen);
	if (found < 0) {
		warn("%s: not a readable ELF shared library: %s\n", lib, strerror(-found));
		return found;
	}
	if (found == 0) {
		warn("%s exports none of the CUDA driver API (no cuInit, cuLaunchKernel, ...).\n"
		     "  Is it really libcuda.so.1? Point at the driver library with --lib.\n",
		     lib);
		return -ENOENT;
	}
	debug("%s: %d of %u hooked symbols exported\n", lib, found, n);
	return 0;
}

static int resolve_lib(struct trace_run *r)
{
	static char under[1][TS_PATH_MAX];
	int err;

	if (r->o.lib_under) {
		/* only what lives under DIR: the host's own library stays unhooked */
		if (ts_lib_scan_procs(under, 1, r->o.lib_under) != 1) {
			warn("no running process has a libcuda under %s mapped\n", r->o.lib_under);
			return -ENOENT;
		}
		snprintf(r->lib, sizeof(r->lib), "%s", under[0]);
	} else {
		err = ts_lib_find(r->o.all ? -1 : r->o.pid, r->o.lib, r->lib, sizeof(r->lib));
		if (err)
			return err;
	}
	return lib_offsets(r->lib, &r->offsets, r->bid, sizeof(r->bid));
}

/*
 * -a: containers bring their own copy of libcuda, a different file; hook each
 * copy that a running process has mapped, as well as the host's.
 */
static void attach_other_libs(struct ts_probes *p, const char *host_lib, const char *under)
{
	static char paths[TS_MAX_LIBS][TS_PATH_MAX];
	const struct ts_sym *syms;
	unsigned int nsyms = ts_syms(&syms);
	uint64_t *offs = calloc(nsyms, sizeof(*offs));
	struct stat host, st;
	char bid[128];
	int i, n;

	if (!offs || stat(host_lib, &host))
		goto cleanup;
	n = ts_lib_scan_procs(paths, TS_MAX_LIBS - 1, under);
	for (i = 0; i < n; i++) {
		if (stat(paths[i], &st) || (st.st_dev == host.st_dev && st.st_ino == host.st_ino))
			continue;
		if (ts_lib_symbols(paths[i], offs, nsyms, bid, sizeof(bid)) > 0 &&
		    !ts_probes_attach_lib(p, paths[i], offs))
			debug("also hooked %s\n", paths[i]);
	}
cleanup:
	free(offs);
}

static void report(const struct trace_run *r, uint64_t drops)
{
	unsigned int i;
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line), "%llu events written to",
		     (unsigned long long)r->live.records);
	for (i = 0; i < r->o.nout && n < (int)sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - n, " %s", r->o.out[i]);
	if (drops && n < (int)sizeof(line))
		snprintf(line + n, sizeof(line) - n,
			 "; %llu events DROPPED (ring buffer full: try --ringbuf-mb %u)",
			 (unsigned long long)drops, r->o.rb_mb * 4 > 1024 ? 1024 : r->o.rb_mb * 4);
	warn("%s\n", line);
}

/* Everything up to the moment the probes are live; -errno with a message. */
static int setup(struct trace_run *r, int argc, char **argv)
{
	int err;

	err = ts_probes_preflight();
	if (err)
		return err;
	if (!r->o.driver_only) {
		err = resolve_lib(r);
		if (err)
			return err;
	}
	r->live.lib = r->lib;
	r->live.build_id = r->bid;
	r->live.gpu_time = r->o.gpu_time;
	if (r->o.gpu_time) {
		err = r->o.pid ? ts_gpu_time_prepare_attach(&r->gpu)
			       : ts_gpu_time_prepare(&r->gpu, r->o.cupti);
		if (err)
			return err;
	}
	struct ts_probe_opts po = {
		.lib = r->lib,
		.offsets = r->offsets,
		.filter_pids = !r->o.all,
		.api = !r->o.driver_only,
		.driver = !r->o.no_driver,
		.gpu_lib = r->o.gpu_time ? r->gpu.lib : NULL,
		.stacks = r->o.stacks,
		.rb_bytes = r->o.rb_mb << 20,
		.on_record = ts_live_on_record,
		.ctx = &r->live,
	};
	/* records wait in the ring buffer until the first poll, after the output opens */
	err = ts_probes_open(&r->probes, &po);
	if (err)
		return err;
	err = ts_outputs_open(&r->outs, r->o.out, r->o.nout, NULL);
	if (err)
		return err;
	r->live.sink = &r->outs.base;
	if (r->o.stacks) {
		ts_sites_init(&r->sites, &r->probes);
		r->sites_ops = (struct ts_live_sites){ .proc = ts_sites_proc,
						       .look = ts_sites_look,
						       .caller = ts_sites_caller,
						       .exit = ts_sites_exit,
						       .ctx = &r->sites };
		r->live.sites = &r->sites_ops;
	}
	err = ts_live_start(&r->live, r->o.all ? TS_MODE_SYSTEM_WIDE : 0, r->start_mono, TS_VERSION,
			    r->cmdline);
	if (err)
		return err;
	if (r->o.cmd) {
		err = ts_child_spawn(&r->child, r->o.cmd);
		if (err) {
			warn("cannot start %s: %s\n", r->o.cmd[0], strerror(-err));
			return err;
		}
		join_cmdline(argc - (r->o.cmd - argv), r->o.cmd, r->cmdline, sizeof(r->cmdline));
		err = ts_live_describe(&r->live, r->child.pid, ts_now_ns(CLOCK_MONOTONIC),
				       r->cmdline, strlen(r->cmdline));
		if (err)
			return err;
	}
	/* -p: named now, while it is surely there (it may exit before its first record) */
	if (r->o.pid) {
		err = ts_live_describe_pid(&r->live, r->o.pid, ts_now_ns(CLOCK_MONOTONIC));
		if (err)
			return err;
	}
	if (r->o.all && !r->o.lib && !r->o.driver_only)
		attach_other_libs(&r->probes, r->lib, r->o.lib_under);
	if ((r->child.pid || r->o.pid) &&
	    ts_probes_trace_pid(&r->probes, r->child.pid ? r->child.pid : r->o.pid)) {
		err = -errno;
		warn("cannot add pid to the BPF filter: %s\n", strerror(-err));
		return err;
	}
	/* -p: its interpreter is running already: found before its next call */
	if (r->o.pid && r->o.stacks)
		ts_sites_proc(&r->sites, r->o.pid);
	return 0;
}

/* Let the traced command run, or say what is traced. */
static int go(struct trace_run *r)
{
	debug("attached %u symbols in %s (%s), %.1f ms after start\n", r->probes.nsyms_attached,
	      r->lib,
	      r->probes.session ? "uprobe session"
	      : r->probes.multi ? "uprobe_multi"
				: "perf-event uprobes",
	      (ts_now_ns(CLOCK_MONOTONIC) - r->t0) / 1e6);
	if (r->child.pid)
		return ts_child_release(&r->child);
	/* the probes are live: what the library hands over from now on is traced */
	/* a failed injection said why: no second line guessing at the program ("no cuInit") */
	if (r->o.pid && r->o.gpu_time && ts_gpu_time_inject(&r->gpu, r->o.pid, r->o.cupti))
		r->live.gpu_time = false;
	if (r->start_mono)
		warn("attached; recording from --start-at on (%.1f s from now)\n",
		     (r->start_mono - ts_now_ns(CLOCK_MONOTONIC)) / 1e9);
	if (r->o.pid)
		warn("tracing pid %d; Ctrl-C to stop\n", r->o.pid);
	else
		warn("tracing every process using %s; Ctrl-C to stop\n",
		     r->o.driver_only ? "the NVIDIA driver" : r->lib);
	return 0;
}

/* Close the trace: the outputs are put in place. 0, or 1 if one could not be written. */
static int finish(struct trace_run *r, bool failed)
{
	uint64_t drops = ts_probes_drops(&r->probes);
	int ret = 0;

	/* what a command that was just stopped said last */
	ring_buffer__consume(r->probes.rb);
	if (!r->live.err)
		ts_live_end(&r->live, drops);
	/* the files first: detaching can take seconds, and nothing more is read */
	if (ts_outputs_close(&r->outs, failed || stop_signal))
		ret = 1;
	else
		report(r, drops);
	ts_probes_close(&r->probes);
	if (!r->live.api_calls && !r->o.driver_only)
		warn("no CUDA calls captured (hooked %s): did the program use this libcuda? "
		     "Point at the one it loads with --lib.\n",
		     r->lib);
	return ret;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_run *r = calloc(1, sizeof(*r));
	int err, ret = 1;

	if (!r) {
		warn("out of memory\n");
		return 1;
	}
	r->t0 = ts_now_ns(CLOCK_MONOTONIC);
	catch_signals();
	err = parse_opts(argc, argv, &r->o);
	if (err) {
		ret = err > 0 ? 0 : 1;
		goto cleanup;
	}
	join_cmdline(argc, argv, r->cmdline, sizeof(r->cmdline));
	if (expand_outputs(r))
		goto cleanup;
	if (r->o.pid > 0 && kill(r->o.pid, 0) && errno == ESRCH) {
		warn("no process with pid %d (has it exited?)\n", r->o.pid);
		goto cleanup;
	}
	if (setup(r, argc, argv))
		goto cleanup;
	err = go(r);
	if (err) {
		/* nothing ran: every path stays as it was; 127/126 as a shell says */
		ret = err == -ENOENT ? 127 : 126;
		goto cleanup;
	}
	r->started = true;
	err = run_loop(r);
	if (err)
		warn("stopped early: %s (the trace is kept, as far as it got)\n", strerror(-err));
	/* --gpu-time: CUPTI off in a process that outlives the trace, its last records in */
	if (r->o.gpu_time && (r->o.pid ? r->gpu.injected : !ts_child_gone(&r->child))) {
		ts_gpu_time_eject(&r->gpu, r->o.pid ? r->o.pid : r->child.pid);
		ring_buffer__consume(r->probes.rb);
	}
	if (r->timed_out)
		ts_child_stop(&r->child, r->o.kill, "-d reached");
	else if (stop_signal)
		ts_child_stop(&r->child, TS_KILL_TERM, stop_reason());
	ret = finish(r, err != 0);
	if (!ret && err)
		ret = 1;
	if (!ret)
		ret = ts_child_result(&r->child);
cleanup:
	if (!r->started) {
		ts_outputs_discard(&r->outs);
		ts_probes_close(&r->probes);
	}
	ts_child_free(&r->child);
	ts_gpu_time_cleanup(&r->gpu);
	ts_live_free(&r->live);
	if (r->o.stacks)
		ts_sites_free(&r->sites);
	free(r->offsets);
	free(r);
	return ret;
}
