// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `tracesmith-bpf trace`'s options: parsed, checked against each other, each error said once. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd/trace_opts.h"
#include "lib/util.h"
#include "run/metrics_http.h"
#include "run/outname.h"

/* the kernel's PID_MAX_LIMIT on 64-bit */
#define PID_MAX_LIMIT 4194304

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
	       "      --metrics ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics\n"
	       "                        while tracing (IPV4:PORT or [IPV6]:PORT); with no -o,\n"
	       "                        metrics only, no trace file\n"
	       "      --flight-recorder SECS  keep only the last SECS seconds in memory and\n"
	       "                        write them on a trigger: SIGUSR2 or --snapshot-on;\n"
	       "                        each snapshot a new file (%%n its number in FILE,\n"
	       "                        else FILE.N.json)\n"
	       "      --flight-recorder-mb MB  its memory bound (default %d)\n"
	       "      --snapshot-on WHAT  error (a call failed), exit (a process failed),\n"
	       "                        stop (the run ends), hang=SECS (a blocking call waits\n"
	       "                        that long); comma-separated, or given again\n"
	       "      --snapshot-interval SECS  at most one triggered snapshot per SECS (10)\n"
	       "      --snapshot-max N  at most N snapshots per run (default 16)\n"
	       "      --stacks          each call's call site: its native caller (library!\n"
	       "                        symbol+0xoff) and, for calls that launch, copy, set,\n"
	       "                        allocate, free or synchronize, the Python stack of\n"
	       "                        the thread (CPython 3.11, 3.12)\n"
	       "      --no-nvtx         leave the command's NVTX ranges out (by default a --\n"
	       "                        command's NVTX ranges, marks and names are traced)\n"
	       "      --runtime-api     also the CUDA runtime's calls (libcudart, from any\n"
	       "                        folder), each holding the driver calls it makes; a\n"
	       "                        second probe pair per call, so off by default\n"
	       "  -v, --verbose         more messages (-vv: libbpf debug output)\n"
	       "  -h, --help            this help\n"
	       "\n"
	       "Stops when the command or process exits, on Ctrl-C, SIGTERM, SIGHUP or\n"
	       "SIGQUIT, or after -d; the trace is complete and valid in every case. The exit\n"
	       "status is the command's (128+N when signal N killed it).\n",
	       MAX_DURATION_S, TS_FLIGHT_DEFAULT_MB);
}

static void top_usage(void)
{
	printf("Usage: tracesmith-bpf top [OPTIONS] -- COMMAND [ARGS...]\n"
	       "       tracesmith-bpf top [OPTIONS] -p PID\n"
	       "       tracesmith-bpf top [OPTIONS] -a\n"
	       "\n"
	       "A live view of what is traced, redrawn every second: per process (with its\n"
	       "NCCL rank) and per kernel, calls and launches per second, time shares, the\n"
	       "slowest synchronizations, errors and drops. Needs a terminal of 80x24 or more.\n"
	       "Keys: c calls/s, l launches/s, t totals, g time, e errors, n name (sort);\n"
	       "q quit. A command's output to the terminal goes to /dev/null while it runs.\n"
	       "\n"
	       "Takes `trace`'s options (see `tracesmith-bpf trace --help`) except those\n"
	       "that write files: -o, --stats, --flight-recorder. The exit status is the\n"
	       "command's; 0 after q.\n");
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
	double secs;
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
	case 'F':
		if (ts_parse_seconds(arg, MAX_DURATION_S, &secs))
			break;
		o->flight = true;
		o->fl.window_ns = (uint64_t)(secs * 1e9);
		return 0;
	case 'B':
		if (ts_parse_uint(arg, TS_FLIGHT_MIN_MB, 1u << 20, &v))
			break;
		o->fl.mb = v;
		return 0;
	case 'O':
		if (ts_flight_parse_on(arg, &o->fl))
			break;
		return 0;
	case 'I':
		if (ts_parse_uint(arg, 0, MAX_DURATION_S, &v))
			break;
		o->fl.interval_ns = v * 1000000000ull;
		return 0;
	case 'X':
		if (ts_parse_uint(arg, 1, 100000, &v))
			break;
		o->fl.max_snaps = v;
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
	case 'F':
		warn("--flight-recorder %s: a number of seconds above 0 and up to %d\n", arg,
		     MAX_DURATION_S);
		break;
	case 'B':
		warn("--flight-recorder-mb %s: a whole number of MiB from %d\n", arg,
		     TS_FLIGHT_MIN_MB);
		break;
	case 'O':
		warn("--snapshot-on %s: error, exit, stop or hang=SECS, comma-separated\n", arg);
		break;
	case 'I':
		warn("--snapshot-interval %s: whole seconds, 0 to %d\n", arg, MAX_DURATION_S);
		break;
	case 'X':
		warn("--snapshot-max %s: a whole number from 1 to 100000\n", arg);
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

/* --flight-recorder's options go with it; its snapshots are files. */
static int check_flight(struct trace_opts *o)
{
	unsigned int i;

	for (i = 0; i < o->nout; i++) {
		if (!strcmp(o->out[i], "-") || !strcmp(o->out[i], TS_STATS_STDOUT) ||
		    !strcmp(o->out[i], TS_STATS_JSON_STDOUT)) {
			warn("--flight-recorder writes each snapshot to a file: -o %s cannot be "
			     "one\n",
			     o->out[i]);
			return -EINVAL;
		}
	}
	o->fl.out = o->out;
	o->fl.nout = o->nout;
	o->fl.pid = o->pid ? o->pid : getpid();
	return check_gpu_time(o);
}

static int parse_opts(int argc, char **argv, struct trace_opts *o, bool top)
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
		{ "no-nvtx", no_argument, NULL, 'Y' },
		{ "runtime-api", no_argument, NULL, 'A' },
		{ "stacks", no_argument, NULL, 'P' },
		{ "start-at", required_argument, NULL, 'T' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "flight-recorder", required_argument, NULL, 'F' },
		{ "flight-recorder-mb", required_argument, NULL, 'B' },
		{ "snapshot-on", required_argument, NULL, 'O' },
		{ "snapshot-interval", required_argument, NULL, 'I' },
		{ "snapshot-max", required_argument, NULL, 'X' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	bool stats = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->top = top;
	o->rb_mb = 16;
	o->fl.mb = TS_FLIGHT_DEFAULT_MB;
	o->fl.interval_ns = 10 * 1000000000ull;
	o->fl.max_snaps = 16;
	optind = 1;
	opterr = 0; /* ts_usage_error says it, through warn() */
	while ((c = getopt_long(argc, argv, "+p:ao:d:l:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
		case 'd':
		case 'R':
		case 'K':
		case 'F':
		case 'B':
		case 'O':
		case 'I':
		case 'X':
			if (parse_arg(o, c, optarg))
				return -EINVAL;
			o->fl_opts |= strchr("BOIX", c) != NULL;
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
		case 'Y':
			o->no_nvtx = true;
			break;
		case 'A':
			o->runtime_api = true;
			break;
		case 'T':
			if (ts_parse_wall_time(optarg, &o->start_at)) {
				warn("--start-at %s: HH:MM[:SS], YYYY-MM-DDTHH:MM:SS or @EPOCH, in "
				     "UTC\n",
				     optarg);
				return -EINVAL;
			}
			break;
		case 'M': {
			struct sockaddr_storage sa;
			socklen_t len;

			if (ts_metrics_parse_addr(optarg, &sa, &len))
				return -EINVAL;
			o->metrics = optarg;
			break;
		}
		case 'v':
			ts_verbose++;
			break;
		case 'h':
			if (top)
				top_usage();
			else
				usage();
			return 1;
		default:
			ts_usage_error(top ? "top" : "trace", argv);
			return -EINVAL;
		}
	}
	if (optind < argc)
		o->cmd = &argv[optind];
	if (top && (o->nout || stats || o->flight || o->fl_opts)) {
		warn("top: -o, --stats and --flight-recorder write files: they go with `trace`\n");
		return -EINVAL;
	}
	/* --metrics alone writes no file */
	if (!o->nout && !top && (!o->metrics || o->flight))
		o->out[o->nout++] = "trace.json";
	if (o->fl_opts && !o->flight) {
		warn("--flight-recorder-mb, --snapshot-on, --snapshot-interval and --snapshot-max "
		     "go with --flight-recorder SECS\n");
		return -EINVAL;
	}
	if (stats && o->flight) {
		warn("--stats and --flight-recorder do not go together: snapshots are files "
		     "(-o stats:FILE)\n");
		return -EINVAL;
	}
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
	return o->flight ? check_flight(o) : check_gpu_time(o);
}

int ts_trace_parse_opts(int argc, char **argv, struct trace_opts *o)
{
	return parse_opts(argc, argv, o, false);
}

int ts_top_parse_opts(int argc, char **argv, struct trace_opts *o)
{
	return parse_opts(argc, argv, o, true);
}
