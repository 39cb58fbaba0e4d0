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

/*
 * x86-64, from each version's Include/cpython and Include/internal headers.
 * 3.11: offsetof() compiled against Debian's python3.11-dev headers, and
 * checked live (the BPF test walks 3.11's frames with it). 3.12: counted
 * from the v3.12 headers (PyThreadState lost four ints, _PyCFrame its
 * use_tracing, _PyInterpreterFrame starts with f_code, PyASCIIObject its
 * wstr), checked live with pyenv's 3.12.1 (libpython3.12.so: the BPF test
 * passes with TS_PYTHON set to it); _PyRuntime.interpreters.head is also
 * checked in each process against two candidates (see verify()).
 */
static const struct ts_py_offsets py_table[] = {
	{
		.minor = 11,
		.rt_interp_head = 40,
		.interp_threads = 16,
		.ts_next = 8,
		.ts_thread_id = 152,
		.ts_cframe = 56,
		.cf_current = 8,
		.fr_code = 32,
		.fr_previous = 48,
		.fr_instr = 56,
		.fr_owner = 69,
		.co_firstlineno = 72,
		.co_filename = 112,
		.co_qualname = 128,
		.co_linetable = 136,
		.co_code = 184,
		.str_ascii = 48,
		.str_compact = 72,
		.owner_cstack = 0xff, /* 3.11 has no shim frames */
	},
	{
		.minor = 12,
		.rt_interp_head = 48, /* after 3.12's _finalizing_id */
		.interp_threads = 72,
		.ts_next = 8,
		.ts_thread_id = 136,
		.ts_cframe = 56,
		.cf_current = 0,
		.fr_code = 0,
		.fr_previous = 8,
		.fr_instr = 56,
		.fr_owner = 70,
		.co_firstlineno = 68,
		.co_filename = 112,
		.co_qualname = 128,
		.co_linetable = 136,
		.co_code = 192,
		.str_ascii = 40,
		.str_compact = 56,
		.owner_cstack = 3, /* FRAME_OWNED_BY_CSTACK */
	},
};

#define TSTATE_INTERP 16 /* PyThreadState.interp, 3.11 and 3.12 */

const struct ts_py_offsets *ts_py_offsets(unsigned int minor)
{
	size_t i;

	for (i = 0; i < sizeof(py_table) / sizeof(py_table[0]); i++)
		if (py_table[i].minor == minor)
			return &py_table[i];
	return NULL;
}

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
	if (!ver) {
		err = -ENOTSUP; /* 3.10 or older: no Py_Version */
		goto cleanup;
	}
	/*
	 * Unreadable, or not a 3.x version: ld.so is still mapping the library
	 * (this runs as the program starts): looked at again later.
	 */
	if (peek_u64(pid, bias + ver->addr, &v) || (v >> 24) != 3) {
		err = -EAGAIN;
		goto cleanup;
	}
	*minor = (v >> 16) & 0xff;
	o = ts_py_offsets(*minor);
	if (!o) {
		err = -ENOTSUP;
		goto cleanup;
	}
	out->runtime = bias + rt->addr;
	out->code_type = bias + ct->addr;
	out->o = *o;
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
