/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The command traced with `--`: forked held, before exec, until the probes are
 * in place; its fate (exit status, signal) becomes the tracer's exit status.
 */
#ifndef TS_CHILD_H
#define TS_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

/* The signals a user can send to end a run: the tracer catches them all. */
extern const int ts_stop_signals[];
extern const unsigned int ts_nstop_signals;

/* What to do with a running command when the trace ends first (-d, a signal). */
enum ts_kill { TS_KILL_TERM, TS_KILL_KILL, TS_KILL_NONE };

struct ts_child {
	pid_t pid;	  /* 0: none */
	int go_fd;	  /* write a byte: exec */
	int exec_fd;	  /* EOF: exec'ed; an int: the errno of a failed exec */
	int status;	  /* wait status, once reaped */
	bool released;	  /* told to exec */
	bool reaped;	  /* gone, and status is its own */
	bool stopped;	  /* we ended it (or left it running) */
	const char *name; /* argv[0], for messages */
};

/*
 * Fork cmd, held before exec; 0 or -errno. off_terminal: its standard input
 * and outputs that are the terminal become /dev/null (`top` draws there).
 */
int ts_child_spawn(struct ts_child *c, char **cmd, bool off_terminal);
/*
 * Let it exec; 0 once it runs the command, or -errno when it could not
 * (said on stderr; the child has exited 127 and is reaped).
 */
int ts_child_release(struct ts_child *c);
/* Reap it if it has exited; true once it is gone. */
bool ts_child_gone(struct ts_child *c);
/* End a command that still runs, as `how` says, and say so on stderr with why. */
void ts_child_stop(struct ts_child *c, enum ts_kill how, const char *why);
/*
 * Its status as a shell gives it: the exit code, or 128 + the signal that
 * killed it; one line on stderr when it failed. 0 when we stopped it.
 */
int ts_child_result(const struct ts_child *c);
/* Close the pipes; a child never released exits without running the command. NULL-safe. */
void ts_child_free(struct ts_child *c);

#endif
