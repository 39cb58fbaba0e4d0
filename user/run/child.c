// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "run/child.h"
#include "lib/util.h"

/* SIGTERM, then SIGKILL if it is still there after this long */
#define TERM_GRACE_MS 3000

/* SIGXFSZ: a file size limit; the write then fails with EFBIG, and the run stops cleanly */
const int ts_stop_signals[] = { SIGHUP,	 SIGINT,  SIGQUIT, SIGTERM, SIGPIPE,
				SIGUSR1, SIGUSR2, SIGALRM, SIGXCPU, SIGXFSZ };
const unsigned int ts_nstop_signals = sizeof(ts_stop_signals) / sizeof(ts_stop_signals[0]);

/*
 * `top` draws on the terminal: what the command would read from it or write
 * to it goes to /dev/null instead (a file or pipe it was given stays).
 */
static void off_tty(void)
{
	int fd, i;

	for (i = 0; i <= 2; i++) {
		if (!isatty(i))
			continue;
		fd = open("/dev/null", i ? O_WRONLY : O_RDONLY);
		if (fd < 0)
			_exit(127);
		if (fd != i) {
			dup2(fd, i);
			close(fd);
		}
	}
}

static void child_main(int go, int ex, char **cmd, bool quiet)
{
	unsigned int i;
	int err;
	char c;

	/* the tracer's handlers (and an ignored SIGPIPE) are not the command's */
	for (i = 0; i < ts_nstop_signals; i++)
		signal(ts_stop_signals[i], SIG_DFL);
	if (read(go, &c, 1) != 1)
		_exit(127); /* the tracer gave up */
	if (quiet)
		off_tty();
	execvp(cmd[0], cmd);
	err = errno;
	if (write(ex, &err, sizeof(err)) != sizeof(err))
		_exit(127);
	_exit(127);
}

int ts_child_spawn(struct ts_child *c, char **cmd, bool off_terminal)
{
	int go[2], ex[2];

	memset(c, 0, sizeof(*c));
	c->go_fd = c->exec_fd = -1;
	c->name = cmd[0];
	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(ex, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	c->pid = fork();
	if (c->pid == 0)
		child_main(go[0], ex[1], cmd, off_terminal);
	close(go[0]);
	close(ex[1]);
	c->go_fd = go[1];
	c->exec_fd = ex[0];
	if (c->pid < 0) {
		int err = -errno;

		ts_child_free(c);
		return err;
	}
	return 0;
}

int ts_child_release(struct ts_child *c)
{
	int err = 0;
	ssize_t n;

	if (write(c->go_fd, "g", 1) != 1)
		return -errno;
	c->released = true;
	close(c->go_fd);
	c->go_fd = -1;
	do
		n = read(c->exec_fd, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(c->exec_fd);
	c->exec_fd = -1;
	if (n != sizeof(err))
		return 0; /* EOF: exec closed the pipe, the command runs */
	warn("cannot run %s: %s\n", c->name, strerror(err));
	waitpid(c->pid, &c->status, 0);
	c->reaped = true;
	return -err;
}

bool ts_child_gone(struct ts_child *c)
{
	if (c->pid <= 0 || c->reaped)
		return true;
	if (waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->reaped = true;
	return c->reaped;
}

static bool wait_gone(struct ts_child *c, int ms)
{
	for (; ms > 0; ms -= 20) {
		if (ts_child_gone(c))
			return true;
		usleep(20000);
	}
	return ts_child_gone(c);
}

void ts_child_stop(struct ts_child *c, enum ts_kill how, const char *why)
{
	if (ts_child_gone(c))
		return;
	c->stopped = true;
	if (how == TS_KILL_NONE) {
		warn("%s; %s (pid %d) goes on running, untraced (--kill none)\n", why, c->name,
		     c->pid);
		return;
	}
	if (how == TS_KILL_TERM) {
		kill(c->pid, SIGTERM);
		if (wait_gone(c, TERM_GRACE_MS)) {
			warn("%s; stopped %s (pid %d) with SIGTERM\n", why, c->name, c->pid);
			return;
		}
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &c->status, 0);
	c->reaped = true;
	warn("%s; killed %s (pid %d) with SIGKILL\n", why, c->name, c->pid);
}

int ts_child_result(const struct ts_child *c)
{
	int code;

	if (c->pid <= 0 || c->stopped || !c->reaped)
		return 0;
	if (WIFEXITED(c->status)) {
		code = WEXITSTATUS(c->status);
		if (code)
			warn("%s exited with status %d\n", c->name, code);
		return code;
	}
	if (WIFSIGNALED(c->status)) {
		code = WTERMSIG(c->status);
		warn("%s was killed by signal %d (%s)\n", c->name, code, strsignal(code));
		return 128 + code;
	}
	return 0;
}

void ts_child_free(struct ts_child *c)
{
	if (!c)
		return;
	if (c->go_fd >= 0)
		close(c->go_fd); /* an unreleased child exits without running the command */
	if (c->exec_fd >= 0)
		close(c->exec_fd);
	c->go_fd = c->exec_fd = -1;
	if (c->pid > 0 && !c->released && !c->reaped) {
		/* never released: it is on its way out */
		waitpid(c->pid, &c->status, 0);
		c->reaped = true;
	}
}
