/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --stacks, live side: finds each traced process's interpreter for BPF
 * (pyfind.h) and names native callers (library!symbol+0xoff, from
 * /proc/PID/maps and the library's symbols) at their first sight, for
 * META_CALLER records. Bounded: TS_SITES_MAX_CALLERS names in all, symbols of
 * TS_SITES_FILES files kept at once.
 */
#ifndef TS_SITES_H
#define TS_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/hashmap.h"
#include "probe/elfsyms.h"

#define TS_SITES_MAX_CALLERS 65536
#define TS_SITES_FILES	     16
#define TS_SITES_RETRIES     16		/* looks for an interpreter not there yet, per process */
#define TS_SITES_MAPS_MAX    (4u << 20) /* bytes of /proc/PID/maps kept per process */

struct ts_probes;

struct ts_sites {
	struct ts_probes *probes;
	struct ts_hmap procs;	/* (pid, 0) -> enum in sites.c */
	struct ts_hmap callers; /* (pid, address) -> 1: named */
	/*
	 * (pid, 0) -> struct ts_sites_maps *: the process's mappings and root, as
	 * last read, so that a process gone before its records are drained still
	 * has its callers named
	 */
	struct ts_hmap maps;
	uint64_t ncallers, unnamed;
	struct {
		uint64_t dev, ino; /* the file, whatever its path in whichever root */
		struct ts_elfsyms syms;
		bool used;
	} files[TS_SITES_FILES];
	unsigned int next_file;
};

void ts_sites_init(struct ts_sites *s, struct ts_probes *probes);
/* A process seen (an exec, a thread's first call): read its mappings, look for its interpreter. */
void ts_sites_proc(void *s, uint32_t pid);
/* Look for its interpreter again, unless found or looked for enough (cheap then). */
void ts_sites_look(void *s, uint32_t pid);
/* The name of a caller seen for the first time in pid into out: true then. */
bool ts_sites_caller(void *s, uint32_t pid, uint64_t addr, char *out, size_t len);
/* A process ended: forget it. */
void ts_sites_exit(void *s, uint32_t pid);
void ts_sites_free(struct ts_sites *s);

#endif
