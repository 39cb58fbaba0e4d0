/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Finding libcuda.so.1 and the file offsets of the hooked symbols in it. */
#ifndef TS_LIBFIND_H
#define TS_LIBFIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TS_PATH_MAX 4096

/*
 * Where libcuda is, by the first that works: override; for pid > 0 the file
 * mapped in /proc/PID/maps (through /proc/PID/root when the process lives in
 * another mount namespace); LD_LIBRARY_PATH; the ld.so cache; standard paths;
 * for pid < 0 (system-wide), last, a copy some running process has mapped.
 * Returns 0, or -ENOENT with a message already printed.
 */
int ts_lib_find(pid_t pid, const char *override, char *path, size_t len);

/*
 * Every distinct libcuda file (by device and inode) that a running process
 * has mapped, as paths seen from here (through /proc/PID/root for
 * containers), only those under the folder `under` when it is not NULL.
 * Returns how many went into paths[0..max).
 */
int ts_lib_scan_procs(char (*paths)[TS_PATH_MAX], unsigned int max, const char *under);

/*
 * File offsets of the hooked symbols of library lib (an enum ts_lib_id) in
 * the file (ts_syms order; 0 = not exported, or another library's) and the
 * GNU build id as hex (empty if none). Returns how many were found, or
 * -errno if the file is not a readable ELF.
 */
int ts_lib_symbols(const char *path, int lib, uint64_t *offsets, unsigned int nsyms, char *build_id,
		   size_t build_id_len);

/* Is base (a file's name) the soname, or the soname and a version (libnccl.so.2.28.9)? */
bool ts_lib_name_is(const char *base, const char *soname);

/*
 * The files pid has mapped whose name is the soname, as paths seen from here
 * (through /proc/PID/root for another mount namespace). How many went into
 * paths[0..max).
 */
int ts_lib_maps(pid_t pid, const char *soname, char (*paths)[TS_PATH_MAX], unsigned int max);

/* The file offset of the exported function name in the ELF file at path. 0 or -errno/-ENOENT. */
int ts_elf_func_offset(const char *path, const char *name, uint64_t *off);

#endif
