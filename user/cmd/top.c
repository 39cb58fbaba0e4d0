// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `tracesmith-bpf top`: `trace`'s run (cmd/trace_run.h) with no files, its
 * metrics writer's tables (write/metrics_writer.h) drawn with ncurses every
 * second. The counting is the writer's; this file only reads its view,
 * takes rates between two views, sorts and draws.
 *
 * The terminal is given back on every path out of the run: the tracer's
 * signal handlers only set a flag (cmd/trace.c), so a SIGTERM or Ctrl-C
 * ends the loop and the run's one exit path calls end(). What the tracer says
 * on stderr while the screen is up is kept in memory and said after it.
 */
#define _GNU_SOURCE
#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <term.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "cmd/trace_run.h"
#include "lib/util.h"
#include "write/metrics_writer.h"

#define REFRESH_NS 1000000000ull
/* what the screen needs: an ssh session's default terminal */
#define MIN_COLS  80
#define MIN_LINES 24
/* at most this many rows of processes and of slow synchronizations */
#define MAX_PROC_ROWS 6
#define MAX_SYNC_ROWS 3

enum sort_key { SORT_CALLS, SORT_LAUNCHES, SORT_TOTAL, SORT_TIME, SORT_ERRORS, SORT_NAME };

static const struct {
	int key;
	const char *what;
} sort_keys[] = {
	[SORT_CALLS] = { 'c', "calls/s" }, [SORT_LAUNCHES] = { 'l', "launches/s" },
	[SORT_TOTAL] = { 't', "total" },   [SORT_TIME] = { 'g', "time" },
	[SORT_ERRORS] = { 'e', "errors" }, [SORT_NAME] = { 'n', "name" },
};

/* a row as drawn: the view's, and its rates since the last view */
struct row {
	const struct ts_metrics_proc_row *p;
	const struct ts_metrics_kernel_row *k;
	double calls_s, launches_s;
	double gpu_pct; /* processes: the GPU time of its work, a share of the interval's wall time */
};

struct top {
	SCREEN *scr;
	int saved_err; /* the terminal's stderr while ours goes to mem_err */
	int mem_err;
	char what[128];
	struct ts_writer *w;
	struct ts_metrics_view *views;	    /* two: */
	struct ts_metrics_view *cur, *prev; /* this second's and the last one's (NULL: none) */
	uint64_t t_start, t_cur, t_prev, next_draw;
	enum sort_key sort;
	bool gone;
	struct row rows[TS_METRICS_PROCS + TS_METRICS_KERNELS + 2];
};

/* ---- numbers in columns ------------------------------------------------ */

/* v in at most width characters: exact while it fits, else 12.3k, 45.6M, ... */
static const char *num(char *buf, size_t len, int width, double v)
{
	static const char suffix[] = " kMGTPE";
	unsigned int i = 0;

	if (snprintf(buf, len, "%.0f", v) <= width)
		return buf;
	while (v >= 999.95 && i < sizeof(suffix) - 2) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, "%.1f%c", v, suffix[i]);
	return buf;
}

/* v with the most decimals (up to prec) that fit in width; past that, as num() has it. */
static const char *fit(char *buf, size_t len, int width, int prec, double v)
{
	for (; prec >= 0; prec--)
		if (snprintf(buf, len, "%.*f", prec, v) <= width)
			return buf;
	return num(buf, len, width, v);
}

/* How many bytes of s fit in max without cutting a UTF-8 character. */
static int utf8_cut(const char *s, int max)
{
	int n = (int)strnlen(s, max + 1);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* ---- rates and order --------------------------------------------------- */

static double rate(uint64_t now, uint64_t before, double secs)
{
	return secs > 0 && now >= before ? (now - before) / secs : 0;
}

static const struct ts_metrics_proc_row *prev_proc(const struct top *t,
						   const struct ts_metrics_proc_row *p)
{
	unsigned int i;

	for (i = 0; t->prev && i < t->prev->nprocs; i++)
		if (t->prev->procs[i].other == p->other && t->prev->procs[i].pid == p->pid)
			return &t->prev->procs[i];
	return NULL;
}

static enum sort_key sort_now;

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0; /* the largest first */
}

static int cmp_double(double a, double b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = 0;

	switch (sort_now) {
	case SORT_CALLS:
		c = cmp_double(x->calls_s, y->calls_s);
		break;
	case SORT_LAUNCHES:
		c = cmp_double(x->launches_s, y->launches_s);
		break;
	case SORT_TIME:
		c = cmp_double(x->gpu_pct, y->gpu_pct);
		if (!c)
			c = cmp_u64(x->p->gpu_ns, y->p->gpu_ns);
		if (!c)
			c = cmp_u64(x->p->sync_ns, y->p->sync_ns);
		break;
	case SORT_ERRORS:
		c = cmp_u64(x->p->errors, y->p->errors);
		break;
	case SORT_NAME:
		c = -strcmp(y->p->comm, x->p->comm);
		break;
	case SORT_TOTAL:
		break;
	}
	if (!c)
		c = cmp_u64(x->p->calls, y->p->calls);
	return c ? c : (x->p->pid > y->p->pid) - (x->p->pid < y->p->pid);
}

static int cmp_kernel(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = 0;

	switch (sort_now) {
	case SORT_CALLS:
	case SORT_LAUNCHES:
		c = cmp_double(x->launches_s, y->launches_s);
		break;
	case SORT_TIME:
		c = cmp_u64(x->k->ns, y->k->ns);
		break;
	case SORT_NAME:
		c = -strcmp(y->k->name, x->k->name);
		break;
	case SORT_TOTAL:
	case SORT_ERRORS:
		break;
	}
	if (!c)
		c = cmp_u64(x->k->n, y->k->n);
	return c ? c : strcmp(x->k->name, y->k->name);
}

/* The processes' rows, sorted: their number. */
static unsigned int proc_rows(struct top *t, struct row *rows, double secs)
{
	const struct ts_metrics_proc_row *p, *b;
	unsigned int i;

	for (i = 0; i < t->cur->nprocs; i++) {
		p = &t->cur->procs[i];
		b = prev_proc(t, p);
		rows[i] = (struct row){
			.p = p,
			.calls_s = b ? rate(p->calls, b->calls, secs) : 0,
			.launches_s = b ? rate(p->launches, b->launches, secs) : 0,
			/* GPU ns per wall ns, as nvidia-smi's and nvtop's per-process GPU% */
			.gpu_pct = b ? rate(p->gpu_ns, b->gpu_ns, secs) / 1e7 : 0,
		};
	}
	sort_now = t->sort;
	qsort(rows, i, sizeof(rows[0]), cmp_proc);
	return i;
}

/* The kernels' rows, sorted (kernels keep their row: the last view's is the same one). */
static unsigned int kernel_rows(struct top *t, struct row *rows, double secs)
{
	const struct ts_metrics_kernel_row *k;
	unsigned int i;

	for (i = 0; i < t->cur->nkernels; i++) {
		k = &t->cur->kernels[i];
		rows[i] = (struct row){ .k = k };
		if (t->prev && i < t->prev->nkernels && t->prev->kernels[i].other == k->other)
			rows[i].launches_s = rate(k->n, t->prev->kernels[i].n, secs);
	}
	sort_now = t->sort;
	qsort(rows, i, sizeof(rows[0]), cmp_kernel);
	return i;
}

/* ---- the screen -------------------------------------------------------- */

static void draw_header(struct top *t, int y)
{
	const struct ts_metrics_view *v = t->cur;
	char b[5][32];
	unsigned int fill = v->ring_size ? (unsigned int)(100 * v->ring_fill / v->ring_size) : 0;

	attron(A_BOLD);
	mvprintw(y, 0, "tracesmith-bpf top: %.*s", utf8_cut(t->what, 50), t->what);
	attroff(A_BOLD);
	mvprintw(y, MIN_COLS - 14, "%8llus up",
		 (unsigned long long)((t->t_cur - t->t_start) / 1000000000ull));
	mvprintw(y + 1, 0, "calls %s  errors %s  records %s  drops %s  ring %u%%",
		 num(b[0], 32, 10, v->calls), num(b[1], 32, 7, v->errors),
		 num(b[2], 32, 10, v->records), num(b[3], 32, 7, v->drops), fill);
	if (t->gone) {
		attron(A_REVERSE);
		mvprintw(y + 1, MIN_COLS - 14, " target ended ");
		attroff(A_REVERSE);
	}
}

static void draw_procs(struct top *t, int y, int max, double secs)
{
	struct row *rows = t->rows;
	unsigned int n = proc_rows(t, rows, secs), i;
	char b[8][32], rank[16];

	/* 80 columns exactly: the test reads the columns by position */
	attron(A_REVERSE);
	mvprintw(y, 0, "%7s %-5s %-12s %7s %6s %7s %6s %4s %6s %5s %-5s", "PID", "RANK", "COMMAND",
		 "CALLS", "CALL/s", "LAUNCH", "LNCH/s", "ERR", "SYNC s", "GPU%", "TIMED");
	attroff(A_REVERSE);
	for (i = 0; i < n && (int)i < max; i++) {
		const struct ts_metrics_proc_row *p = rows[i].p;

		if (p->nranks)
			snprintf(rank, sizeof(rank), "%lld/%lld", (long long)p->rank,
				 (long long)p->nranks);
		else
			snprintf(rank, sizeof(rank), "-");
		snprintf(b[0], sizeof(b[0]), "%u", p->pid);
		if (p->exited)
			attron(A_DIM);
		mvprintw(y + 1 + i, 0, "%7s %-5.5s %-12.*s %7s %6s %7s %6s %4s %6s %5s %-5s",
			 p->other ? "other" : b[0], rank, utf8_cut(p->comm, 12), p->comm,
			 num(b[1], 32, 7, p->calls), num(b[2], 32, 6, rows[i].calls_s),
			 num(b[3], 32, 7, p->launches), num(b[4], 32, 6, rows[i].launches_s),
			 num(b[5], 32, 4, p->errors), fit(b[6], 32, 6, 2, p->sync_ns / 1e9),
			 fit(b[7], 32, 5, 1, rows[i].gpu_pct),
			 !p->gpu_ops ? "-"
			 : p->gpu    ? "gpu"
				     : "host");
		attroff(A_DIM);
	}
}

static void draw_kernels(struct top *t, int y, int max, double secs)
{
	struct row *rows = t->rows;
	unsigned int n = kernel_rows(t, rows, secs), i;
	uint64_t total = 0;
	char b[2][32];

	for (i = 0; i < n; i++)
		total += rows[i].k->ns;
	attron(A_REVERSE);
	mvprintw(y, 0, "%-38s %9s %7s %9s %6s %-5s", "KERNEL", "LAUNCHES", "/s", "TIME s", "SHARE",
		 "TIMED");
	attroff(A_REVERSE);
	for (i = 0; i < n && (int)i < max; i++) {
		const struct ts_metrics_kernel_row *k = rows[i].k;

		mvprintw(y + 1 + i, 0, "%-38.*s %9s %7s %9.3f %5.1f%% %-5s", utf8_cut(k->name, 38),
			 k->name, num(b[0], 32, 9, k->n), num(b[1], 32, 7, rows[i].launches_s),
			 k->ns / 1e9, total ? 100.0 * k->ns / total : 0.0, k->gpu ? "gpu" : "host");
	}
	if (!n)
		mvprintw(y + 1, 0, "(no kernel has run yet)");
}

static void draw_syncs(struct top *t, int y, int max)
{
	const struct ts_metrics_view *v = t->cur;
	unsigned int i;

	attron(A_REVERSE);
	mvprintw(y, 0, "%7s %-48s %22s ", "PID", "SLOWEST SYNCHRONIZATIONS", "WAITED ms");
	attroff(A_REVERSE);
	for (i = 0; i < v->nslow && (int)i < max; i++)
		mvprintw(y + 1 + i, 0, "%7u %-48.48s %22.3f", v->slowest[i].pid, v->slowest[i].call,
			 v->slowest[i].dur / 1e6);
}

static void draw_keys(struct top *t, int y)
{
	unsigned int i;

	move(y, 0);
	printw("q quit  sort:");
	for (i = 0; i < sizeof(sort_keys) / sizeof(sort_keys[0]); i++) {
		if (i == t->sort)
			attron(A_REVERSE);
		printw(" %c %s", sort_keys[i].key, sort_keys[i].what);
		attroff(A_REVERSE);
	}
}

static void draw(struct top *t)
{
	double secs = t->prev ? (t->t_cur - t->t_prev) / 1e9 : 0;
	int nproc, nsync, y;

	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		mvprintw(0, 0, "terminal too small: top needs %dx%d, this one is %dx%d", MIN_COLS,
			 MIN_LINES, COLS, LINES);
		mvprintw(1, 0, "(q quits)");
		refresh();
		return;
	}
	nproc = t->cur->nprocs < MAX_PROC_ROWS ? (int)t->cur->nprocs : MAX_PROC_ROWS;
	nsync = t->cur->nslow < MAX_SYNC_ROWS ? (int)t->cur->nslow : MAX_SYNC_ROWS;
	draw_header(t, 0);
	draw_procs(t, 3, nproc, secs);
	y = 3 + 1 + (nproc ? nproc : 1) + 1;
	/* the kernels get the lines the others leave */
	draw_kernels(t, y, LINES - y - 1 - (1 + MAX_SYNC_ROWS + 1) - 1, secs);
	draw_syncs(t, LINES - 2 - MAX_SYNC_ROWS - 1, nsync);
	draw_keys(t, LINES - 1);
	refresh();
}

/* A new view: rates are over the time since the last one. */
static void take_view(struct top *t, uint64_t now)
{
	bool first = !t->cur;

	t->prev = first ? NULL : t->cur; /* the first view: no rates yet */
	t->t_prev = t->t_cur;
	t->cur = t->cur == &t->views[0] ? &t->views[1] : &t->views[0];
	ts_metrics_view(t->w, t->cur);
	t->t_cur = now;
}

/* ---- the run's view callbacks ------------------------------------------ */

static int top_check(void *ctx)
{
	int err;

	(void)ctx;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		warn("top draws on a terminal: run it with its input and output a terminal "
		     "(for a file, use `trace -o FILE`)\n");
		return -ENOTTY;
	}
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		warn("top: the terminal type $TERM ('%s') is unknown here; set TERM (e.g. "
		     "TERM=xterm)\n",
		     getenv("TERM") ? getenv("TERM") : "");
		return -ENOTTY;
	}
	del_curterm(cur_term);
	return 0;
}

/* Our stderr into memory while the screen is up (said after it, in order). */
static int hold_stderr(struct top *t)
{
	t->mem_err = memfd_create("tracesmith-top-stderr", MFD_CLOEXEC);
	if (t->mem_err < 0)
		return -errno;
	fflush(stderr);
	t->saved_err = dup(STDERR_FILENO);
	if (t->saved_err < 0 || dup2(t->mem_err, STDERR_FILENO) < 0)
		return -errno;
	return 0;
}

static void release_stderr(struct top *t)
{
	char buf[4096];
	ssize_t n;

	fflush(stderr);
	if (t->saved_err >= 0)
		dup2(t->saved_err, STDERR_FILENO);
	if (t->mem_err >= 0 && lseek(t->mem_err, 0, SEEK_SET) == 0)
		while ((n = read(t->mem_err, buf, sizeof(buf))) > 0)
			if (ts_write_all(STDERR_FILENO, buf, n, -1))
				break;
	if (t->saved_err >= 0)
		close(t->saved_err);
	if (t->mem_err >= 0)
		close(t->mem_err);
	t->saved_err = t->mem_err = -1;
}

static int top_start(void *ctx, struct ts_writer *w, const char *what)
{
	struct top *t = ctx;
	int err;

	t->w = w;
	snprintf(t->what, sizeof(t->what), "%s", what);
	setlocale(LC_CTYPE, ""); /* names are UTF-8 */
	t->scr = newterm(NULL, stdout, stdin);
	if (!t->scr) {
		warn("top: cannot draw on this terminal\n");
		return -ENOTTY;
	}
	cbreak(); /* Ctrl-C still a signal: the run ends cleanly on it */
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	err = hold_stderr(t);
	if (err) {
		warn("top: %s\n", strerror(-err));
		return err;
	}
	t->t_start = ts_now_ns(CLOCK_MONOTONIC);
	take_view(t, t->t_start);
	t->next_draw = t->t_start + REFRESH_NS;
	draw(t);
	return 0;
}

/* The keys pressed since the last tick: true on q. */
static bool keys(struct top *t, bool *redraw)
{
	unsigned int i;
	int c;

	while ((c = getch()) != ERR) {
		if (c == 'q' || c == 'Q')
			return true;
		if (c == KEY_RESIZE)
			*redraw = true;
		for (i = 0; i < sizeof(sort_keys) / sizeof(sort_keys[0]); i++)
			if (c == sort_keys[i].key) {
				t->sort = i;
				*redraw = true;
			}
	}
	return false;
}

static bool top_tick(void *ctx, uint64_t now, bool gone)
{
	struct top *t = ctx;
	bool redraw = false;

	if (keys(t, &redraw))
		return true;
	/* the target's end: its last counts now, not a second later */
	if (now >= t->next_draw || gone != t->gone) {
		take_view(t, now);
		t->next_draw = now + REFRESH_NS;
		redraw = true;
	}
	t->gone = gone;
	if (redraw)
		draw(t);
	return false;
}

static void top_end(void *ctx)
{
	struct top *t = ctx;

	if (t->scr) {
		curs_set(1);
		endwin();
		delscreen(t->scr);
		t->scr = NULL;
	}
	release_stderr(t);
}

int cmd_top(int argc, char **argv)
{
	struct top *t = calloc(1, sizeof(*t));
	struct ts_metrics_view *views = calloc(2, sizeof(*views));

	struct ts_trace_view v = {
		.check = top_check, .start = top_start, .tick = top_tick, .end = top_end, .ctx = t
	};
	int ret = 1;

	if (!t || !views) {
		warn("out of memory\n");
		goto cleanup;
	}
	t->saved_err = t->mem_err = -1;
	t->sort = SORT_TIME;
	t->views = views;
	ret = ts_trace_run(argc, argv, &v);
cleanup:
	free(views);
	free(t);
	return ret;
}
