// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "../bpf/tracesmith.h"
#include "budget.h"
#include "names.h"
#include "util.h"

#define OBJ_BYTES   256 /* how much of a driver object is searched for its name */
#define NAME_BYTES  TS_MAX_STR
#define KNOWN_NAMED 1
#define KNOWN_NONE  2

/* Read len bytes of pid's memory at addr; the bytes read. */
static size_t peek(uint32_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (addr < 4096 || addr >= (1ull << 47))
		return 0; /* never a user-space object */
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	return n > 0 ? (size_t)n : 0;
}

/* A kernel name as the driver keeps them: an identifier or a mangled name, NUL-ended. */
static bool plausible(const char *s, size_t cap)
{
	size_t i;

	if (!cap || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (i = 1; i < cap && s[i]; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '$'))
			return false;
	}
	return i < cap; /* NUL-ended within the bound */
}

/* The name the layout reads at handle, into out; false if none valid. */
static bool read_name(const struct ts_names *n, uint32_t pid, uint64_t handle, char *out,
		      size_t len)
{
	uint64_t at = handle + n->off, ptr;

	if (len > NAME_BYTES)
		len = NAME_BYTES;
	if (n->layout == TS_LAYOUT_POINTER) {
		if (peek(pid, at, &ptr, sizeof(ptr)) != sizeof(ptr))
			return false;
		at = ptr;
	} else if (n->layout != TS_LAYOUT_INLINE) {
		return false;
	}
	memset(out, 0, len);
	/* a short read is fine (the string may end near a page end): it must end in it */
	if (!peek(pid, at, out, len - 1))
		return false;
	return plausible(out, len);
}

/* Where in obj (OBJ_BYTES of it) is name: inline, or behind a pointer? */
static bool learn(struct ts_names *n, uint32_t pid, const uint8_t *obj, size_t got,
		  const char *name, size_t len)
{
	char buf[NAME_BYTES];
	size_t o;
	uint64_t p;

	for (o = 0; o + len < got; o++)
		if (!memcmp(obj + o, name, len) && !obj[o + len]) {
			n->layout = TS_LAYOUT_INLINE;
			n->off = o;
			return true;
		}
	for (o = 0; o + 8 <= got && len < sizeof(buf); o += 8) {
		memcpy(&p, obj + o, 8);
		if (peek(pid, p, buf, len + 1) == len + 1 && !memcmp(buf, name, len) && !buf[len]) {
			n->layout = TS_LAYOUT_POINTER;
			n->off = o;
			return true;
		}
	}
	return false;
}

/*
 * Remember what became of a handle. Past the memory budget a handle not seen
 * yet is not remembered, nor read (ts_names_recover_function): by then the
 * correlator's names (TS_CAP_KERNEL_NAMES, fewer) are past theirs too.
 */
static void known_put(struct ts_names *n, uint32_t pid, uint64_t handle, uint64_t v)
{
	if (n->known.count >= TS_CAP_KNOWN_HANDLES && !ts_hmap_get(&n->known, pid, handle))
		return;
	ts_hmap_put(&n->known, pid, handle, v);
}

void ts_names_seen(struct ts_names *n, uint32_t pid, uint64_t handle, const char *name, size_t len)
{
	uint8_t obj[OBJ_BYTES];
	char got[NAME_BYTES];
	size_t have;

	known_put(n, pid, handle, KNOWN_NAMED);
	if (!len || len >= NAME_BYTES)
		return;
	if (n->layout != TS_LAYOUT_UNKNOWN) {
		/* check what was learned on every name seen; wrong more often than right: relearn */
		if (read_name(n, pid, handle, got, sizeof(got)) && strlen(got) == len &&
		    !memcmp(got, name, len)) {
			n->agree++;
			n->learned = true;
			return;
		}
		if (++n->disagree <= n->agree)
			return;
		n->layout = TS_LAYOUT_UNKNOWN;
		n->agree = n->disagree = 0;
	}
	have = peek(pid, handle, obj, sizeof(obj));
	if (have && learn(n, pid, obj, have, name, len)) {
		n->agree = 1;
		n->learned = true;
		debug("kernel names: %s at offset %u of the driver's objects\n",
		      n->layout == TS_LAYOUT_INLINE ? "inline" : "a pointer", n->off);
	}
}

bool ts_names_is_named(const struct ts_names *n, uint32_t pid, uint64_t handle)
{
	uint64_t *v = handle ? ts_hmap_get(&n->known, pid, handle) : NULL;

	return v && *v == KNOWN_NAMED;
}

void ts_names_known(struct ts_names *n, uint32_t pid, uint64_t handle)
{
	known_put(n, pid, handle, KNOWN_NAMED);
}

bool ts_names_recover(struct ts_names *n, uint32_t pid, uint64_t handle, char *out, size_t len)
{
	return ts_names_recover_function(n, pid, handle, 0, out, len);
}

bool ts_names_recover_function(struct ts_names *n, uint32_t pid, uint64_t func, uint64_t kernel,
			       char *out, size_t len)
{
	bool ok;

	/* past the memory budget nothing is read: the trace could not keep the name anyway */
	if (!func || ts_hmap_get(&n->known, pid, func) || n->known.count >= TS_CAP_KNOWN_HANDLES)
		return false;
	ok = read_name(n, pid, func, out, len) || (kernel && read_name(n, pid, kernel, out, len));
	known_put(n, pid, func, ok ? KNOWN_NAMED : KNOWN_NONE);
	if (kernel)
		known_put(n, pid, kernel, ok ? KNOWN_NAMED : KNOWN_NONE);
	if (!ok)
		n->unnamed++;
	return ok;
}

/* The state file for a build id: a name that cannot reach outside the state dir. */
static void state_path(struct ts_names *n, const char *build_id)
{
	const char *dir = ts_state_dir();
	size_t i;

	n->state[0] = '\0';
	if (!build_id || !build_id[0] || strlen(build_id) > 128)
		return;
	for (i = 0; build_id[i]; i++)
		if (!((build_id[i] >= '0' && build_id[i] <= '9') ||
		      (build_id[i] >= 'a' && build_id[i] <= 'f')))
			return;
	snprintf(n->state, sizeof(n->state), "%s/name-layout-%s", dir, build_id);
}

void ts_names_init(struct ts_names *n, const char *build_id)
{
	char buf[64], kind[16];
	unsigned int off;
	int fd;
	ssize_t got;

	memset(n, 0, sizeof(*n));
	state_path(n, build_id);
	if (!n->state[0])
		return;
	fd = open(n->state, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return;
	buf[got] = '\0';
	if (sscanf(buf, "%15s %u", kind, &off) != 2 || off >= OBJ_BYTES)
		return;
	if (!strcmp(kind, "inline"))
		n->layout = TS_LAYOUT_INLINE;
	else if (!strcmp(kind, "pointer"))
		n->layout = TS_LAYOUT_POINTER;
	n->off = off;
	debug("kernel names: %s at offset %u, as learned before (%s)\n", kind, off, n->state);
}

/* Write the layout: a new file beside the old one, renamed over it; never through a link. */
static void save(const struct ts_names *n)
{
	char tmp[sizeof(n->state) + 16], dir[sizeof(n->state)], *slash;
	int fd, len;

	snprintf(dir, sizeof(dir), "%s", n->state);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST)
		return;
	snprintf(tmp, sizeof(tmp), "%s.%d", n->state, getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	len = dprintf(fd, "%s %u\n", n->layout == TS_LAYOUT_INLINE ? "inline" : "pointer", n->off);
	if (close(fd) || len <= 0 || rename(tmp, n->state))
		unlink(tmp);
}

void ts_names_finish(struct ts_names *n)
{
	if (n->learned && n->layout != TS_LAYOUT_UNKNOWN && n->state[0])
		save(n);
	if (n->unnamed)
		warn("%llu kernels were loaded before the trace began and stay unnamed "
		     "(kernel@0x...): trace the program from its start (--) to name them\n",
		     (unsigned long long)n->unnamed);
}

void ts_names_free(struct ts_names *n)
{
	if (n)
		ts_hmap_free(&n->known);
}
