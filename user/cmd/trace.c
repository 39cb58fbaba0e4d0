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
#include "cmd/trace_opts.h"
#include "cmd/trace_run.h"
#include "correlate/correlate.h"
#include "record/decode.h"
#include "probe/hooks.h"
#include "probe/libfind.h"
#include "probe/loader.h"
#include "run/outputs.h"
#include "run/live.h"
#include "run/metrics_http.h"
#include "write/metrics_writer.h"
#include "run/flight.h"
#include "run/libwatch.h"
#include "run/sites.h"
#include "cupti/gputime.h"
#include "nvtx/nvtx_abi.h"
#include "nvtx/nvtxlib.h"
#include "run/outname.h"
#include "lib/util.h"

#define DRAIN_INTERVAL_MS 50
/* outputs are written out at least this often: what a SIGKILL can cost */
#define SYNC_INTERVAL_NS 1000000000ull

static volatile sig_atomic_t stop_signal;
/* --flight-recorder: SIGUSR2s received, and taken */
static volatile sig_atomic_t snap_signals;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_snapshot_signal(int sig)
{
	snap_signals++;
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
	struct ts_metrics_http *http;
	struct ts_writer *metrics_own; /* --metrics' writer until the outputs own it */
	struct ts_writer *metrics;     /* the same, fed by the outputs */
	struct ts_flight flight;
	struct ts_injlib nvtx;		/* NVTX: the library the -- command loads (path "": none) */
	struct ts_libwatch libs;	/* NCCL: hooked wherever it is mapped */
	struct ts_sites sites;		/* --stacks */
	struct ts_live_sites sites_ops; /* how live reaches it */
	uint64_t *offsets;
	char lib[TS_PATH_MAX], bid[128], cmdline[1024];
	char out_names[TS_MAX_OUTPUTS][TS_PATH_MAX]; /* -o with %h, %p, %t expanded */
	uint64_t start_mono;			     /* --start-at, CLOCK_MONOTONIC; 0: now */
	uint64_t t0;				     /* when the tracer started, CLOCK_MONOTONIC */
	const struct ts_trace_view *view;	     /* `top`: NULL for `trace` */
	bool view_on;				     /* drawn: to be ended */
	bool quit;				     /* the view ended the run (q) */
	bool started;		/* the probes are live: the outputs hold a trace */
	sig_atomic_t snap_seen; /* SIGUSR2s taken */
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
	/* snapshots are named when taken: %n, %t are theirs */
	if (r->o.flight)
		return ts_flight_check(&r->o.fl);
	for (i = 0; i < r->o.nout; i++) {
		if (!strchr(r->o.out[i], '%'))
			continue;
		if (ts_outname_expand(r->o.out[i], r->out_names[i], sizeof(r->out_names[i]),
				      r->o.pid ? r->o.pid : getpid(), t0, 0)) {
			warn("-o %s: %%h, %%p, %%t, %%r or %%%% only, within %d bytes\n",
			     r->o.out[i], TS_PATH_MAX);
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

/* --metrics: the ring's state (its fill as the drain found it) and what was read */
static void metrics_ring(struct trace_run *r, uint64_t fill)
{
	if (r->metrics)
		ts_metrics_ring(r->metrics, r->live.records, ts_probes_drops(&r->probes), fill,
				r->probes.rb_size);
}

/* Between drains: SIGUSR2s asked for snapshots; the flight recorder's own triggers. */
static void flight_tick(struct trace_run *r, uint64_t now)
{
	if (snap_signals != r->snap_seen) {
		r->snap_seen = snap_signals;
		/* the signal cut the poll short: what came before it is in the snapshot */
		ring_buffer__consume(r->probes.rb);
		ts_flight_ask(&r->flight, "signal");
	}
	r->flight.drops = ts_probes_drops(&r->probes);
	ts_flight_tick(&r->flight, now);
}

static int run_loop(struct trace_run *r)
{
	uint64_t now = ts_now_ns(CLOCK_MONOTONIC), next_sync = now + SYNC_INTERVAL_NS;
	uint64_t from = r->start_mono > now ? r->start_mono : now;
	uint64_t deadline = r->o.duration > 0 ? from + (uint64_t)(r->o.duration * 1e9) : 0;
	struct ring_buffer *rb = r->probes.rb;
	uint64_t fill, size;
	bool gone, was_gone = false;
	int err;

	while (!stop_signal) {
		err = ring_buffer__poll(rb, DRAIN_INTERVAL_MS);
		fill = r->metrics ? ts_probes_ring_fill(&r->probes, &size) : 0;
		/* the probes never wake us per event: drain what the timer found */
		if (err >= 0)
			err = ring_buffer__consume(rb);
		metrics_ring(r, fill);
		if (err < 0 && err != -EINTR)
			return r->live.err ? r->live.err : err;
		/* top shows the totals of a target that has ended until it is told to quit */
		gone = target_gone(r);
		if (gone && !r->view)
			break;
		/* its last records came after the drain: in before the view's last look */
		if (gone && !was_gone)
			ring_buffer__consume(rb);
		was_gone = gone;
		now = ts_now_ns(CLOCK_MONOTONIC);
		if (deadline && now >= deadline) {
			r->timed_out = true;
			break;
		}
		if (r->o.flight)
			flight_tick(r, now);
		if (r->view && r->view->tick(r->view->ctx, now, gone)) {
			r->quit = true;
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
	found = ts_lib_symbols(lib, TS_LIB_CUDA, *offsets, n, bid, bidlen);
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
		if (ts_lib_symbols(paths[i], TS_LIB_CUDA, offs, nsyms, bid, sizeof(bid)) > 0 &&
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

	n = snprintf(line, sizeof(line), "%llu events %s", (unsigned long long)r->live.records,
		     r->o.nout	    ? "written to"
		     : r->o.metrics ? "traced (--metrics only, no file)"
				    : "traced (top, no file)");
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
	/* the port first: one in use stops the run before any file or probe */
	if (r->o.metrics || r->view) {
		err = ts_metrics_writer_open(&r->metrics_own);
		if (!err && r->o.metrics)
			err = ts_metrics_http_start(r->o.metrics, r->metrics_own, &r->http);
		if (err)
			return err;
	}
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
	/* NVTX binds at the program's first NVTX call: only a command we start can have ours */
	if (r->o.cmd && !r->o.no_nvtx && !r->o.driver_only && ts_nvtx_prepare(&r->nvtx))
		warn("tracing without NVTX ranges\n");
	struct ts_probe_opts po = {
		.lib = r->lib,
		.offsets = r->offsets,
		.filter_pids = !r->o.all,
		.api = !r->o.driver_only,
		.driver = !r->o.no_driver,
		.watch_libs = !r->o.driver_only,
		.opt_in_libs = r->o.runtime_api,
		.gpu_lib = r->o.gpu_time ? r->gpu.lib : NULL,
		.nvtx_lib = r->nvtx.path[0] ? r->nvtx.path : NULL,
		.stacks = r->o.stacks,
		.rb_bytes = r->o.rb_mb << 20,
		.on_record = ts_live_on_record,
		.ctx = &r->live,
	};
	/* records wait in the ring buffer until the first poll, after the output opens */
	err = ts_probes_open(&r->probes, &po);
	if (err)
		return err;
	if (r->nvtx.path[0] && !r->probes.nvtx_hooked) {
		/* nothing would take what the library hands over: the command runs without it */
		warn("tracing without NVTX ranges\n");
		unsetenv(NVTX_ENV_PATH);
		ts_nvtx_cleanup(&r->nvtx);
	}
	r->libs.probes = &r->probes;
	r->libs.opt_in = r->o.runtime_api;
	r->live.on_lib_map = ts_libwatch_on_map;
	r->live.lib_map_ctx = &r->libs;
	/* what is mapped already: no mmap will say so (-- starts its command below) */
	if (!r->o.driver_only && !r->o.cmd)
		ts_libwatch_scan(&r->libs, r->o.all ? -1 : r->o.pid);
	/* with --flight-recorder, -o names the snapshots: none is open while recording */
	err = ts_outputs_open(&r->outs, r->o.out, r->o.flight ? 0 : r->o.nout, NULL);
	if (err)
		return err;
	if (r->metrics_own) {
		err = ts_outputs_add_writer(&r->outs, "--metrics", r->metrics_own);
		if (err)
			return err;
		r->metrics = r->metrics_own;
		r->metrics_own = NULL;
	}
	r->live.sink = &r->outs.base;
	if (r->o.flight) {
		struct sigaction sa = { .sa_handler = on_snapshot_signal };

		ts_flight_init(&r->flight, &r->o.fl);
		/* --metrics goes on counting every record; the files are the snapshots' */
		r->flight.also = r->metrics ? &r->outs.base : NULL;
		r->live.sink = &r->flight.base;
		/* SIGUSR2 takes a snapshot (perf's signal for switching output), not the end */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR2, &sa, NULL);
	}
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
		err = ts_child_spawn(&r->child, r->o.cmd, r->view != NULL);
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
	/* a failure is said once, with its cause: no later guess at why CUPTI never started */
	if (r->o.pid && r->o.gpu_time && ts_gpu_time_inject(&r->gpu, r->o.pid, r->o.cupti))
		r->live.gpu_time = false;
	if (r->start_mono)
		warn("attached; recording from --start-at on (%.1f s from now)\n",
		     (r->start_mono - ts_now_ns(CLOCK_MONOTONIC)) / 1e9);
	if (r->view)
		return 0;
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

	/* no process may wait for us any more; what a command that was just stopped said last */
	ts_probes_no_more_stops(&r->probes);
	ring_buffer__consume(r->probes.rb);
	if (!r->live.err)
		ts_live_end(&r->live, drops);
	/* no request reads the metrics writer once the outputs close it */
	ts_metrics_http_stop(r->http);
	r->http = NULL;
	/* the files first: detaching can take seconds, and nothing more is read */
	if (r->o.flight) {
		flight_tick(r, ts_now_ns(CLOCK_MONOTONIC)); /* a SIGUSR2 as the run ended */
		ts_flight_finish(&r->flight);
		/* --metrics' writer, if any: the snapshots were the files */
		if (ts_outputs_close(&r->outs, failed || stop_signal))
			ret = 1;
	} else if (ts_outputs_close(&r->outs, failed || stop_signal))
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

/* top: the view drawn over the run, once the probes are live */
static int view_start(struct trace_run *r)
{
	char what[64] = "";

	if (r->o.pid)
		snprintf(what, sizeof(what), "pid %d", r->o.pid);
	else if (r->o.all)
		snprintf(what, sizeof(what), "all processes");
	if (r->view->start(r->view->ctx, r->metrics, r->o.cmd ? r->cmdline : what))
		return -EIO;
	r->view_on = true;
	return 0;
}

static void view_end(struct trace_run *r)
{
	if (r->view_on)
		r->view->end(r->view->ctx);
	r->view_on = false;
}

int ts_trace_run(int argc, char **argv, const struct ts_trace_view *view)
{
	struct trace_run *r = calloc(1, sizeof(*r));
	int err, ret = 1;

	if (!r) {
		warn("out of memory\n");
		return 1;
	}
	r->t0 = ts_now_ns(CLOCK_MONOTONIC);
	r->view = view;
	catch_signals();
	err = view ? ts_top_parse_opts(argc, argv, &r->o) : ts_trace_parse_opts(argc, argv, &r->o);
	if (err) {
		ret = err > 0 ? 0 : 1;
		goto cleanup;
	}
	if (view && view->check(view->ctx))
		goto cleanup;
	join_cmdline(argc, argv, r->cmdline, sizeof(r->cmdline));
	if (expand_outputs(r))
		goto cleanup;
	if (r->o.pid > 0 && kill(r->o.pid, 0) && errno == ESRCH) {
		warn("no process with pid %d (has it exited?)\n", r->o.pid);
		goto cleanup;
	}
	/* -p --gpu-time into a process it could harm: refused before anything starts */
	if (r->o.pid > 0 && r->o.gpu_time && ts_gpu_time_check_pid(r->o.pid))
		goto cleanup;
	if (setup(r, argc, argv))
		goto cleanup;
	if (view && view_start(r))
		goto cleanup;
	err = go(r);
	if (err) {
		/* nothing ran: every path stays as it was; 127/126 as a shell says */
		ret = err == -ENOENT ? 127 : 126;
		goto cleanup;
	}
	r->started = true;
	err = run_loop(r);
	view_end(r);
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
	else if (r->quit)
		ts_child_stop(&r->child, TS_KILL_TERM, "q pressed in top");
	ret = finish(r, err != 0);
	if (!ret && err)
		ret = 1;
	if (!ret)
		ret = ts_child_result(&r->child);
	/* -p --gpu-time without GPU times: the trace is written, but not what was asked */
	if (!ret && r->gpu.failed)
		ret = 1;
cleanup:
	view_end(r);
	ts_metrics_http_stop(r->http);
	ts_writer_destroy(r->metrics_own);
	if (!r->started) {
		ts_outputs_discard(&r->outs);
		ts_probes_close(&r->probes);
	}
	ts_child_free(&r->child);
	ts_gpu_time_cleanup(&r->gpu);
	ts_flight_free(&r->flight);
	ts_nvtx_cleanup(&r->nvtx);
	ts_live_free(&r->live);
	if (r->o.stacks)
		ts_sites_free(&r->sites);
	free(r->offsets);
	free(r);
	return ret;
}

int cmd_trace(int argc, char **argv)
{
	return ts_trace_run(argc, argv, NULL);
}
