// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "lib/util.h"

int ts_verbose;

void vwarn(const char *fmt, va_list ap)
{
	fputs("tracesmith-bpf: ", stderr);
	vfprintf(stderr, fmt, ap);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void ts_usage_error(const char *cmd, char **argv)
{
	/* getopt left optind past the option it refused (opterr is 0: it says nothing) */
	warn("%s: %s: unknown option, or its argument is missing; see `tracesmith-bpf %s "
	     "--help`\n",
	     cmd, optind > 0 ? argv[optind - 1] : "?", cmd);
}

void debug(const char *fmt, ...)
{
	va_list ap;

	if (!ts_verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

uint64_t ts_now_ns(int clock_id)
{
	struct timespec ts;

	clock_gettime(clock_id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int ts_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull takes "-1" as 2^64-1 and skips blanks: only digits here */
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int ts_parse_seconds(const char *s, double max, double *out)
{
	double v;
	char *end;

	if ((*s < '0' || *s > '9') && *s != '.')
		return -EINVAL; /* no sign, and no "inf", "nan" or hex */
	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s || strpbrk(s, "xXpP"))
		return -EINVAL;
	if (errno == ERANGE || !isfinite(v) || v <= 0 || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int ts_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd, err = 0;

	if (!size)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return err ? err : (int)total;
}

int ts_write_all(int fd, const void *p, size_t n, off_t off)
{
	const char *s = p;

	while (n) {
		ssize_t w = off >= 0 ? pwrite(fd, s, n, off) : write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		s += w;
		n -= w;
		if (off >= 0)
			off += w;
	}
	return 0;
}

const char *ts_state_dir(void)
{
	const char *dir = getenv("TRACESMITH_STATE_DIR");

	return dir && *dir ? dir : "/var/lib/tracesmith-bpf";
}
