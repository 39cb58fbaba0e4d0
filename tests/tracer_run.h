/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Running the tracer and the test programs from the BPF tests: every process
 * a test starts is its own, stopped by pid; files go in a fresh temp folder.
 */
#ifndef TS_TRACER_RUN_H
#define TS_TRACER_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "trace_json.h"

/* TS_BIN, TS_FAKECUDA, TS_FAKEAPP, and the test's temp folder */
extern const char *bin, *fakecuda, *fakeapp;
extern char dir[];

/* name inside the temp folder (16 rotating buffers, tmpdir.h) */
char *path_in(const char *name);
/*
 * name inside a folder of root's in /run (16 rotating buffers): the tracer
 * keeps state only on a path no other user can change (user/safepath.h), and
 * /tmp, writable by all, is not one. Removed when the test program exits.
 */
char *safe_path(const char *name);
/* Start argv with stderr on a pipe (when err_fd is set); returns the pid. */
pid_t start(char **argv, int *err_fd);
/* Reap pid: its exit code, or 128 + the signal that killed it. */
int wait_status(pid_t pid);
/* Read fd until needle shows up; collects what it read into buf. */
bool wait_for(int fd, const char *needle, char *buf, size_t len, int timeout_ms);
/* Read the rest of pid's stderr into err, then reap it: its exit status. */
int collect(pid_t pid, int fd, char *err, size_t len);
/* Ctrl-C the tracer, check it exits 0, and load what it wrote. */
void interrupt_and_load(pid_t tr, int fd, const char *out, struct trace *t);
/* Run the tracer to completion; returns its exit status, its stderr in err. */
int run_tracer(char **argv, char *err, size_t len);
/* tracesmith-bpf --lib fake -o out -- fakeapp --lib fake MODE */
int trace_mode(const char *out, const char *mode, struct trace *t);
/* The tracer exits 1 with msg on stderr. */
void expect_error(char **argv, const char *msg);
/* A child of parent (the tracer's command), 0 if none within a second. */
pid_t child_of(pid_t parent);
bool pid_alive(pid_t pid);
/* tests/check_pftrace.py on path with extra arguments; its exit status. */
int check_pftrace(const char *path, const char *extra);
/* tests/check_json.py on path (cut: a file killed mid-run); its exit status. */
int check_json(const char *path, bool cut, const char *extra);
/* The one file matching DIR/prefix* (a run's partial output), or NULL. */
char *find_partial(const char *prefix);

int tracer_setup(void **state);
/*
 * Whether these run as root (the BPF tests need it); if not, says so for
 * suite: a skip, or under CI (which runs as root: a skip there would hide a
 * broken tracer) a failure, main's status being getenv("CI") != NULL.
 */
bool tracer_root(const char *suite);
/*
 * The first byte of an injected library's hand-off (lib beside the tracer,
 * e.g. libtracesmith-nvtx.so): 0x90, a nop the kernel emulates under a
 * uprobe, on x86-64 (lib/handoff.h). The test fails if it cannot be read.
 */
int handoff_first_byte(const char *lib, const char *sym);
/* Until path exists (a program's sign that it has come so far); fails after timeout_ms. */
void wait_path(const char *path, int timeout_ms);

#endif
