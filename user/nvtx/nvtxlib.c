// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "nvtx/nvtx_abi.h"
#include "nvtx/nvtxlib.h"
#include "lib/util.h"

/* libtracesmith-nvtx.so's bytes (nvtx_blob.S) */
extern const unsigned char ts_nvtx_lib[];
extern const uint64_t ts_nvtx_lib_size;

int ts_nvtx_prepare(struct ts_injlib *l)
{
	const char *other = getenv(NVTX_ENV_PATH);
	int err;

	memset(l, 0, sizeof(*l));
	l->bytes = ts_nvtx_lib;
	l->size = ts_nvtx_lib_size;
	l->stem = "libtracesmith-nvtx";
	l->what = "NVTX";
	if (other && *other) {
		/* theirs stays: one injection per process, and it is the user's choice */
		warn("NVTX: %s is already set (%s): another tool takes the program's NVTX ranges; "
		     "tracing without them (unset it to have them in the trace)\n",
		     NVTX_ENV_PATH, other);
		return 0;
	}
	err = ts_injlib_write(l);
	if (err)
		return err;
	if (setenv(NVTX_ENV_PATH, l->path, 1)) {
		err = -errno;
		ts_nvtx_cleanup(l);
		return err;
	}
	return 0;
}

void ts_nvtx_cleanup(struct ts_injlib *l)
{
	ts_injlib_remove(l);
}
