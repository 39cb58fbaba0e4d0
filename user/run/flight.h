/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The flight recorder (--flight-recorder SECS): the record stream is kept in
 * bounded memory, the last SECS seconds of it, and written only when a
 * trigger asks (SIGUSR2, --snapshot-on error|exit|stop|hang=SECS). Each
 * snapshot is a trace of its own: the stream's opening and every record
 * that names something (a process, a thread, a kernel, a stream, the host)
 * are kept apart from the window and replayed first, so names from before
 * the window are in it.
 *
 * A snapshot is written by a forked copy of the tracer, which sees the
 * window as it was at the trigger (copy on write) while this process goes on
 * draining the ring buffer: recording never waits for a disk.
 */
#ifndef TS_FLIGHT_H
#define TS_FLIGHT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "lib/hashmap.h"
#include "record/sink.h"
#include "run/outputs.h"
#include "run/recq.h"

#define TS_FLIGHT_DEFAULT_MB 256
#define TS_FLIGHT_MIN_MB     2

/* --snapshot-on */
enum ts_snap_on {
	TS_SNAP_ERROR = 0x1, /* a CUDA or NCCL call failed (ts_hook_failed: not "not ready") */
	TS_SNAP_EXIT = 0x2,  /* a traced process ended with a non-zero status or a signal */
	TS_SNAP_STOP = 0x4,  /* the run ends */
	TS_SNAP_HANG = 0x8,  /* a call that may block has waited hang_ns */
};

struct ts_flight_opts {
	uint64_t window_ns;
	unsigned int mb;	/* the memory bound, MiB */
	unsigned int on;	/* enum ts_snap_on bits */
	uint64_t hang_ns;	/* TS_SNAP_HANG */
	uint64_t interval_ns;	/* at most one triggered snapshot per interval */
	unsigned int max_snaps; /* at most this many per run */
	char *const *out;	/* -o as given: %n, %t are each snapshot's */
	unsigned int nout;
	pid_t pid; /* for %p */
};

struct ts_flight {
	struct ts_sink base;
	struct ts_sink *also; /* fed every record as it comes, before the window keeps it */
	struct ts_flight_opts o;
	struct ts_recq head; /* the stream's opening: start, host, library, symbols */
	struct ts_recq meta; /* what names things: processes, threads, kernels, streams */
	struct ts_recq win;  /* the rest: the window */
	struct ts_hmap open; /* (pid, tid) -> struct ts_open_call *: blocking calls under way */
	struct ts_hmap defs; /* (pid, definition) of the calls kept with the names */
	struct ts_hmap dead; /* (pid, 0) -> when it exited: its names go first when room is short */
	uint64_t dead_first; /* the earliest exit in dead (UINT64_MAX: none) */
	uint64_t pruned;     /* names of processes gone let go that way */
	uint64_t newest;     /* the latest time a record ends at */
	uint64_t drops, bad; /* the last META_DROPS */
	/* a trigger waiting to be taken: the first one's reason */
	bool want, want_asked; /* asked: SIGUSR2 or stop, not held to the interval */
	char trigger[16], detail[256];
	unsigned int taken, written;
	uint64_t skipped, last_ns;
	bool said_interval, said_max;
	pid_t writer; /* the forked copy writing snapshot `writing` */
	unsigned int writing;
};

/* --snapshot-on LIST: error, exit, stop, hang=SECS, comma-separated; 0 or -EINVAL. */
int ts_flight_parse_on(const char *list, struct ts_flight_opts *o);
/* -o checks, as at the start of any run: 0 or -errno with a message. */
int ts_flight_check(const struct ts_flight_opts *o);
int ts_flight_init(struct ts_flight *f, const struct ts_flight_opts *o);
/* SIGUSR2: a snapshot, queued behind one being written. */
void ts_flight_ask(struct ts_flight *f, const char *trigger);
/* Between drains: a finished writer reaped, hangs looked for, a snapshot started. */
void ts_flight_tick(struct ts_flight *f, uint64_t now);
/* The run ends: the snapshots owed written, and the one being written waited for. */
void ts_flight_finish(struct ts_flight *f);
void ts_flight_free(struct ts_flight *f);

#endif
