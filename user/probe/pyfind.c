// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "lib/util.h"
#include "probe/elfsyms.h"
#include "probe/pyfind.h"
#include "probe/pylayout.h"

#define TSTATE_INTERP 16 /* PyThreadState.interp, 3.10 to 3.14 */

static int peek_u64(uint32_t pid, uint64_t addr, uint64_t *v)
{
	struct iovec local = { v, sizeof(*v) }, remote = { (void *)(uintptr_t)addr, sizeof(*v) };

	if (addr < 4096 || addr >= (1ull << 47))
		return -EFAULT;
	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == sizeof(*v) ? 0 : -EFAULT;
}

/*
 * The first interpreter and its first thread state must point at each other
 * (tstate->interp): the table's offsets read this process right. For 3.12,
 * interpreters.head is at 48 if _finalizing_id is there, else 40.
 */
static int verify(uint32_t pid, struct ts_py_proc *p)
{
	static const uint16_t heads[] = { 0, 40, 48 };
	uint64_t interp, tstate, back;
	size_t i;

	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		uint16_t off = i ? heads[i] : p->o.rt_interp_head;

		if (peek_u64(pid, p->runtime + off, &interp) || !interp)
			continue;
		if (peek_u64(pid, interp + p->o.interp_threads, &tstate) || !tstate)
			continue;
		if (!peek_u64(pid, tstate + TSTATE_INTERP, &back) && back == interp) {
			p->o.rt_interp_head = off;
			return 0;
		}
	}
	return -EAGAIN;
}

/* 3.13+: the offsets from _Py_DebugOffsets; -ENOENT where there is none (before 3.13). */
static int debug_offsets(uint32_t pid, struct ts_py_proc *p, unsigned int *minor)
{
	uint8_t buf[TS_PY_DEBUG_BYTES];
	struct iovec local = { buf, sizeof(buf) },
		     remote = { (void *)(uintptr_t)p->runtime, sizeof(buf) };

	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != sizeof(buf))
		return -EAGAIN;
	return ts_py_debug_offsets(buf, sizeof(buf), &p->o, minor);
}

/* Is this mapped file worth opening? Those named like an interpreter. */
static int python_named(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "python3", 7) || !strncmp(base, "libpython3", 10);
}

/* Try one mapped file: 0 when it is the interpreter. */
static int try_file(uint32_t pid, const char *mapped, uint64_t start, uint64_t off,
		    struct ts_py_proc *out, unsigned int *minor)
{
	const struct ts_elfsym *rt, *ct, *ver;
	const struct ts_py_offsets *o;
	struct ts_elfsyms s;
	char path[4096 + 32];
	uint64_t bias, vaddr, v = 0;
	int err;

	snprintf(path, sizeof(path), "/proc/%u/root%s", pid, mapped);
	if (ts_elfsyms_load(&s, path))
		return -ENOENT;
	err = -ENOENT;
	rt = ts_elfsyms_find(&s, "_PyRuntime");
	ct = ts_elfsyms_find(&s, "PyCode_Type");
	ver = ts_elfsyms_find(&s, "Py_Version"); /* 3.11 and up */
	vaddr = ts_elfsyms_vaddr(&s, off);
	if (!rt || !ct || vaddr == UINT64_MAX)
		goto cleanup;
	bias = start - vaddr;
	out->runtime = bias + rt->addr;
	out->code_type = bias + ct->addr;
	/* 3.13 and later: _PyRuntime starts with the interpreter's own offsets */
	err = debug_offsets(pid, out, minor);
	if (err != -ENOENT)
		goto verify;
	if (!ver) {
		/* 3.10 (PyModule_AddObjectRef is new in it) or older: no Py_Version */
		err = -ENOTSUP;
		if (!ts_elfsyms_find(&s, "PyModule_AddObjectRef"))
			goto cleanup;
		v = 0x030a0000;
	} else if (peek_u64(pid, bias + ver->addr, &v) || (v >> 24) != 3) {
		/*
		 * Unreadable, or not a 3.x version: ld.so is still mapping the
		 * library (this runs as the program starts): looked at again later.
		 */
		err = -EAGAIN;
		goto cleanup;
	}
	*minor = (v >> 16) & 0xff;
	o = ts_py_offsets(*minor);
	if (!o) {
		err = -ENOTSUP;
		goto cleanup;
	}
	out->o = *o;
	err = 0;
verify:
	if (!err)
		err = verify(pid, out);
cleanup:
	ts_elfsyms_free(&s);
	return err;
}

int ts_py_find(uint32_t pid, struct ts_py_proc *out, unsigned int *minor, char *path,
	       size_t path_len)
{
	char maps[64], line[4096 + 128], file[4096], last[4096] = "";
	uint64_t start, end, off;
	int err = -ENOENT, n;
	FILE *f;

	memset(out, 0, sizeof(*out));
	*minor = 0;
	snprintf(maps, sizeof(maps), "/proc/%u/maps", pid);
	f = fopen(maps, "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		n = sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %*u %4095s", &start,
			   &end, &off, file);
		/* each file once: at its first (lowest) mapping */
		if (n != 4 || file[0] != '/' || !strcmp(file, last) || !python_named(file))
			continue;
		snprintf(last, sizeof(last), "%s", file);
		err = try_file(pid, file, start, off, out, minor);
		if (err != -ENOENT)
			break;
	}
	fclose(f);
	if (err != -ENOENT)
		snprintf(path, path_len, "%s", last);
	return err;
}
