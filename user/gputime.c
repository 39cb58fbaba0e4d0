// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gputime.h"
#include "util.h"

/* libtracesmith-cupti.so's bytes (cupti_blob.S) */
extern const unsigned char ts_cupti_lib[];
extern const uint64_t ts_cupti_lib_size;

/* A folder of our own (mkdtemp: 0700, then readable), the library in it. */
static int write_lib(struct ts_gpu_time *g)
{
	const char *tmp = getenv("TMPDIR");
	int fd, err;

	snprintf(g->dir, sizeof(g->dir), "%s/tracesmith-cupti-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(g->dir)) {
		err = -errno;
		g->dir[0] = '\0';
		return err;
	}
	/* the command may drop privileges before cuInit: it must still read it */
	chmod(g->dir, 0755);
	snprintf(g->lib, sizeof(g->lib), "%s/libtracesmith-cupti.so", g->dir);
	fd = open(g->lib, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	err = ts_write_all(fd, ts_cupti_lib, ts_cupti_lib_size, -1);
	if (close(fd) && !err)
		err = -errno;
	return err;
}

int ts_gpu_time_prepare(struct ts_gpu_time *g, const char *cupti)
{
	const char *other = getenv("CUDA_INJECTION64_PATH");
	char abs[PATH_MAX];
	int err;

	memset(g, 0, sizeof(*g));
	if (other && *other) {
		warn("--gpu-time: CUDA_INJECTION64_PATH is already set (%s): another tool injects "
		     "into CUDA; unset it, or trace without --gpu-time\n",
		     other);
		return -EBUSY;
	}
	if (cupti && !realpath(cupti, abs)) {
		err = -errno;
		warn("--cupti %s: %s\n", cupti, strerror(-err));
		return err;
	}
	err = write_lib(g);
	if (err) {
		warn("--gpu-time: cannot write the CUPTI injection library in %s: %s\n",
		     g->dir[0] ? g->dir : "the temporary folder ($TMPDIR or /tmp)", strerror(-err));
		ts_gpu_time_cleanup(g);
		return err;
	}
	if (setenv("CUDA_INJECTION64_PATH", g->lib, 1) ||
	    (cupti && setenv("TRACESMITH_CUPTI", abs, 1))) {
		err = -errno;
		ts_gpu_time_cleanup(g);
		return err;
	}
	return 0;
}

void ts_gpu_time_cleanup(struct ts_gpu_time *g)
{
	if (!g || !g->dir[0])
		return;
	/* a process that loaded it keeps its mapping; the uprobes keep the inode */
	if (g->lib[0])
		unlink(g->lib);
	rmdir(g->dir);
	g->dir[0] = g->lib[0] = '\0';
}
