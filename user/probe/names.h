/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel names loaded before the trace began. The driver resolves a name
 * once (cuModuleGetFunction, cuLibraryGetKernel) and keeps it in the object
 * it hands back; a launch passes only the object. When the tracer sees a name
 * resolved, it reads that object in the target's memory and learns where the
 * name sits: inline, or behind a pointer, at which offset. A launch of an
 * object it never saw named is then named by reading it the same way, each
 * result checked (printable, an identifier or a mangled name) before use.
 * Live only: the names found go into the stream as META_NAME records, so a
 * replay has them. What was learned is kept per libcuda build id, so a
 * process attached after it resolved all its names is named too.
 */
#ifndef TS_NAMES_H
#define TS_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/hashmap.h"

enum ts_name_layout { TS_LAYOUT_UNKNOWN, TS_LAYOUT_INLINE, TS_LAYOUT_POINTER };

/*
 * A traced process controls its own memory, so it can teach a wrong layout
 * (a name copied where the layout would look): a layout names nothing, and
 * is not kept, until names read through it agreed with names seen resolved
 * TS_NAMES_TRUST_AGREE times, in TS_NAMES_TRUST_PIDS processes or more; one
 * disagreement drops it, from memory and from the state folder.
 */
#define TS_NAMES_TRUST_AGREE 4
#define TS_NAMES_TRUST_PIDS  2

struct ts_names {
	enum ts_name_layout layout;
	uint32_t off;			    /* where in the object: the name, or a pointer to it */
	uint32_t agree;			    /* resolutions seen that the layout read right */
	uint32_t pids[TS_NAMES_TRUST_PIDS]; /* distinct processes they were seen in */
	uint32_t npids;
	bool trusted;	      /* confirmed (or loaded): it names kernels */
	bool on_disk;	      /* the state file holds it */
	bool from_file;	      /* loaded from the state file (-v says so) */
	bool said_use;	      /* -v said which layout names kernels */
	struct ts_hmap known; /* (pid, handle) -> 1 named, 2 could not be named */
	uint64_t unnamed;     /* distinct handles launched that stayed unnamed */
	char file[160];	      /* the state file's name in the state folder; "" for none */
};

/* Load what an earlier run learned for the libcuda with this build id ("" none). */
void ts_names_init(struct ts_names *n, const char *build_id);
/* A name seen resolved in pid: learn from its object, or check what was learned. */
void ts_names_seen(struct ts_names *n, uint32_t pid, uint64_t handle, const char *name, size_t len);
/* Was the handle seen named (or named from its object)? */
bool ts_names_is_named(const struct ts_names *n, uint32_t pid, uint64_t handle);
/* A handle named some other way (cuKernelGetFunction of a named kernel). */
void ts_names_known(struct ts_names *n, uint32_t pid, uint64_t handle);
/*
 * A handle seen launched: its name into out (NUL-terminated), if it was never
 * seen named and the learned layout reads a valid one. True then, once per
 * handle.
 */
bool ts_names_recover(struct ts_names *n, uint32_t pid, uint64_t handle, char *out, size_t len);
/* The same for a function made from a kernel: the function's object, else the kernel's (0: none). */
bool ts_names_recover_function(struct ts_names *n, uint32_t pid, uint64_t func, uint64_t kernel,
			       char *out, size_t len);
/* Keep what was learned; say how many kernels stayed unnamed. */
void ts_names_finish(struct ts_names *n);
void ts_names_free(struct ts_names *n);

#endif
