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
#include "cli.h"
#include "correlate.h"
#include "decode.h"
#include "hooks.h"
#include "libfind.h"
#include "loader.h"
#include "outputs.h"
#include "sink.h"
#include "util.h"

#define DRAIN_INTERVAL_MS 50

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

struct trace_opts {
	pid_t pid;
	bool all;
	char *out[TS_MAX_OUTPUTS];
	unsigned int nout;
	const char *lib;
	double duration;
	uint32_t rb_mb;
	bool no_driver, driver_only;
	char **cmd;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tracesmith-bpf [trace] [OPTIONS] -- COMMAND [ARGS...]\n"
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
		"                          .tsbpf    raw capture, for `tracesmith-bpf replay`\n"
		"                        give -o up to 4 times to write several at once\n"
		"  -d, --duration SECS   stop after SECS seconds\n"
		"  -l, --lib PATH        the libcuda.so.1 to hook (default: found automatically)\n"
		"      --ringbuf-mb N    ring buffer size in MiB, a power of two (default 16)\n"
		"      --stats           print summary tables at the end (as `stats` does)\n"
		"      --no-driver       skip the kernel driver layer (NVIDIA ioctl/mmap/open)\n"
		"      --driver-only     trace only the driver layer: no libcuda needed\n"
		"  -v, --verbose         more messages (-vv: libbpf debug output)\n"
		"  -h, --help            this help\n"
		"\n"
		"Stops when the command or process exits, on Ctrl-C or SIGTERM, or after -d.\n"
		"The trace is complete and valid in every case.\n");
}

static int parse_opts(int argc, char **argv, struct trace_opts *o)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "lib", required_argument, NULL, 'l' },
		{ "ringbuf-mb", required_argument, NULL, 'R' },
		{ "no-driver", no_argument, NULL, 'N' },
		{ "stats", no_argument, NULL, 'S' },
		{ "driver-only", no_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	bool stats = false;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->rb_mb = 16;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:ao:d:l:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->pid = strtol(optarg, &end, 10);
			if (*end || o->pid <= 0) {
				warn("-p %s: not a process id\n", optarg);
				return -EINVAL;
			}
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
		case 'd':
			o->duration = strtod(optarg, &end);
			if (*end || o->duration <= 0) {
				warn("-d %s: not a positive number of seconds\n", optarg);
				return -EINVAL;
			}
			break;
		case 'l':
			o->lib = optarg;
			break;
		case 'R':
			o->rb_mb = strtoul(optarg, &end, 10);
			if (*end || !o->rb_mb || (o->rb_mb & (o->rb_mb - 1)) || o->rb_mb > 1024) {
				warn("--ringbuf-mb %s: must be a power of two up to 1024\n",
				     optarg);
				return -EINVAL;
			}
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
		case 'v':
			ts_verbose++;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc)
		o->cmd = &argv[optind];
	if (!o->nout)
		o->out[o->nout++] = "trace.json";
	if (stats && o->nout < TS_MAX_OUTPUTS)
		o->out[o->nout++] = TS_STATS_STDOUT;
	if (o->no_driver && o->driver_only) {
		warn("--no-driver and --driver-only leave nothing to trace\n");
		return -EINVAL;
	}
	if (!!o->pid + o->all + !!o->cmd != 1) {
		warn("say what to trace: one of -p PID, -a, or -- COMMAND (see --help)\n");
		return -EINVAL;
	}
	return 0;
}

/* Fork the command, held before exec until the probes are in place. */
static pid_t spawn_held(char **cmd, int *go_fd)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(p[1]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (read(p[0], &c, 1) != 1)
			_exit(127); /* the tracer gave up */
		execvp(cmd[0], cmd);
		fprintf(stderr, "tracesmith-bpf: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	close(p[0]);
	*go_fd = p[1];
	return pid;
}

static void join_cmdline(int argc, char **argv, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < argc && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? " " : "", argv[i]);
}

/* Has the target gone? For a child, reap it and keep its status. */
static bool target_gone(const struct trace_opts *o, pid_t child, int *status)
{
	if (child > 0)
		return waitpid(child, status, WNOHANG) == child;
	if (o->pid > 0)
		return kill(o->pid, 0) && errno == ESRCH;
	return false;
}

static int run_loop(const struct trace_opts *o, struct ts_probes *p, struct ts_live *live,
		    pid_t child, int *status)
{
	uint64_t deadline =
		o->duration > 0 ? ts_now_ns(CLOCK_MONOTONIC) + (uint64_t)(o->duration * 1e9) : 0;
	int err;

	while (!exiting) {
		err = ring_buffer__poll(p->rb, DRAIN_INTERVAL_MS);
		/* the probes never wake us per event: drain what the timer found */
		if (err >= 0)
			err = ring_buffer__consume(p->rb);
		if (err < 0 && err != -EINTR)
			return live->err ? live->err : err;
		if (target_gone(o, child, status))
			break;
		if (deadline && ts_now_ns(CLOCK_MONOTONIC) >= deadline)
			break;
	}
	err = ring_buffer__consume(p->rb);
	return err < 0 ? (live->err ? live->err : err) : 0;
}

static int resolve_lib(const struct trace_opts *o, char *lib, uint64_t **offsets, char *bid,
		       size_t bidlen)
{
	const struct ts_sym *syms;
	unsigned int n = ts_syms(&syms);
	int found, err;

	err = ts_lib_find(o->all ? -1 : o->pid, o->lib, lib, TS_PATH_MAX);
	if (err)
		return err;
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

/*
 * -a: containers bring their own copy of libcuda, a different file; hook each
 * copy that a running process has mapped, as well as the host's.
 */
static void attach_other_libs(struct ts_probes *p, const char *host_lib)
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
	n = ts_lib_scan_procs(paths, TS_MAX_LIBS - 1);
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

static void report(const struct trace_opts *o, const struct ts_live *live, uint64_t drops)
{
	unsigned int i;

	fprintf(stderr, "tracesmith-bpf: %llu events written to",
		(unsigned long long)live->records);
	for (i = 0; i < o->nout; i++)
		fprintf(stderr, " %s", o->out[i]);
	if (drops)
		fprintf(stderr, "; %llu events DROPPED (ring buffer full: try --ringbuf-mb %u)",
			(unsigned long long)drops, o->rb_mb * 4 > 1024 ? 1024 : o->rb_mb * 4);
	fputc('\n', stderr);
}

/* Stopped by a signal while our command still runs: it goes too. */
static void stop_child(pid_t child)
{
	int i;

	if (child <= 0 || waitpid(child, NULL, WNOHANG) == child)
		return;
	kill(child, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(child, NULL, WNOHANG) == child)
			return;
		usleep(20000);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

int cmd_trace(int argc, char **argv)
{
	struct ts_probes probes = {};
	struct trace_opts o;
	struct ts_outputs outs = {};
	struct ts_live live = {};
	uint64_t *offsets = NULL, drops = 0;
	char lib[TS_PATH_MAX], bid[128], cmdline[1024];
	int err, go_fd = -1, status = 0, ret = 1;
	pid_t child = 0;
	bool started = false;

	uint64_t t_start = ts_now_ns(CLOCK_MONOTONIC);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	err = parse_opts(argc, argv, &o);
	if (err)
		return err > 0 ? 0 : 1;
	join_cmdline(argc, argv, cmdline, sizeof(cmdline));
	if (o.pid > 0 && kill(o.pid, 0) && errno == ESRCH) {
		warn("no process with pid %d (has it exited?)\n", o.pid);
		return 1;
	}
	lib[0] = bid[0] = '\0';
	if (ts_probes_preflight() ||
	    (!o.driver_only && resolve_lib(&o, lib, &offsets, bid, sizeof(bid))))
		goto cleanup;
	live.lib = lib;
	live.build_id = bid;
	struct ts_probe_opts po = {
		.lib = lib,
		.offsets = offsets,
		.filter_pids = !o.all,
		.api = !o.driver_only,
		.driver = !o.no_driver,
		.rb_bytes = o.rb_mb << 20,
		.on_record = ts_live_on_record,
		.ctx = &live,
	};
	/* records wait in the ring buffer until the first poll, after the output opens */
	if (ts_probes_open(&probes, &po))
		goto cleanup;
	if (ts_outputs_open(&outs, o.out, o.nout))
		goto cleanup;
	live.sink = &outs.base;
	if (ts_live_start(&live, o.all ? TS_MODE_SYSTEM_WIDE : 0, 0, TS_VERSION, cmdline))
		goto cleanup;
	if (o.cmd) {
		child = spawn_held(o.cmd, &go_fd);
		if (child < 0) {
			warn("cannot start %s: %s\n", o.cmd[0], strerror(-child));
			goto cleanup;
		}
		join_cmdline(argc - (o.cmd - argv), o.cmd, cmdline, sizeof(cmdline));
		if (ts_live_describe(&live, child, ts_now_ns(CLOCK_MONOTONIC), cmdline,
				     strlen(cmdline)))
			goto cleanup;
	}
	if (o.all && !o.lib && !o.driver_only)
		attach_other_libs(&probes, lib);
	if ((child || o.pid) && ts_probes_trace_pid(&probes, child ? child : o.pid)) {
		warn("cannot add pid to the BPF filter: %s\n", strerror(errno));
		goto cleanup;
	}
	debug("attached %u symbols in %s (%s), %.1f ms after start\n", probes.nsyms_attached, lib,
	      probes.multi ? "uprobe_multi" : "perf-event uprobes",
	      (ts_now_ns(CLOCK_MONOTONIC) - t_start) / 1e6);
	if (child) {
		if (write(go_fd, "g", 1) != 1)
			goto cleanup;
		close(go_fd);
		go_fd = -1;
	} else if (o.pid) {
		fprintf(stderr, "tracesmith-bpf: tracing pid %d; Ctrl-C to stop\n", o.pid);
	} else {
		fprintf(stderr, "tracesmith-bpf: tracing every process using %s; Ctrl-C to stop\n",
			o.driver_only ? "the NVIDIA driver" : lib);
	}
	started = true;
	err = run_loop(&o, &probes, &live, child, &status);
	if (err)
		warn("stopped early: %s (the trace is kept, as far as it got)\n", strerror(-err));
	drops = ts_probes_drops(&probes);
	ret = err ? 1 : 0;
	/* 127: the command never ran (the child said why); the trace is still written */
	if (child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		ret = 1;
cleanup:
	if (go_fd >= 0)
		close(go_fd); /* an unreleased child exits without running the command */
	if (started && !live.err)
		ts_live_end(&live, drops);
	ts_probes_close(&probes);
	if (started && ts_outputs_close(&outs, ret != 0))
		ret = 1;
	else if (started)
		report(&o, &live, drops);
	ts_outputs_close(&outs, true);
	if (child > 0 && !started)
		waitpid(child, NULL, 0);
	else if (exiting)
		stop_child(child);
	ts_live_free(&live);
	free(offsets);
	return ret;
}
