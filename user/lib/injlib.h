/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A library of ours that traced programs load (the --gpu-time CUPTI
 * injection, the NVTX injection), written out where only root (or we) can
 * change it or any folder above it (safepath.h): kept in the state folder
 * under a name of its size and CRC, so a process the command leaves behind
 * can still load it after the tracer is gone, else in a folder of this
 * run's own.
 */
#ifndef TS_INJLIB_H
#define TS_INJLIB_H

#include <stddef.h>
#include <stdint.h>

struct ts_injlib {
	const unsigned char *bytes; /* the library, carried in the tracer */
	uint64_t size;
	const char *stem; /* file name without ".so": "libtracesmith-cupti" */
	const char *what; /* the option it serves, for messages: "--gpu-time" */
	char dir[256];	  /* a private folder made for it (removed at the end), or "" */
	char path[320];	  /* where it is */
};

/* Write l's library out; l->path set. 0, or -errno with one line said. */
int ts_injlib_write(struct ts_injlib *l);
/* Remove what ts_injlib_write made in a private folder (a kept one stays). NULL-safe. */
void ts_injlib_remove(struct ts_injlib *l);

#endif
