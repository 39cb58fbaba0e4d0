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
#include "tracesmith.h"
#include "probe/names.h"
#include "lib/util.h"
#include "lib/safepath.h"
#include "lib/budget.h"

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

static const char *layout_name(enum ts_name_layout l)
{
	return l == TS_LAYOUT_INLINE ? "inline" : "pointer";
}

/* The layout read this name right, in pid: trusted once enough agree across processes. */
static void agreed(struct ts_names *n, uint32_t pid)
{
	uint32_t i;

	n->agree++;
	for (i = 0; i < n->npids && n->pids[i] != pid; i++)
		;
	if (i == n->npids && n->npids < TS_NAMES_TRUST_PIDS)
		n->pids[n->npids++] = pid;
	if (!n->trusted && n->agree >= TS_NAMES_TRUST_AGREE && n->npids >= TS_NAMES_TRUST_PIDS) {
		n->trusted = true;
		debug("kernel names: %s at offset %u confirmed by %u names in %u processes\n",
		      layout_name(n->layout), n->off, n->agree, n->npids);
	}
}

static void drop_file(struct ts_names *n);

/* The layout read a name wrong: it names nothing more, and is kept nowhere. */
static void disagreed(struct ts_names *n, uint32_t pid)
{
	debug("kernel names: %s at offset %u read a wrong name in pid %u: dropped\n",
	      layout_name(n->layout), n->off, pid);
	if (n->on_disk)
		drop_file(n);
	n->layout = TS_LAYOUT_UNKNOWN;
	n->trusted = n->from_file = false;
	n->agree = n->npids = 0;
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
	/* a process gone before its record was drained proves nothing either way */
	have = peek(pid, handle, obj, sizeof(obj));
	if (!have)
		return;
	if (n->layout != TS_LAYOUT_UNKNOWN) {
		/* every name seen checks what was learned */
		if (read_name(n, pid, handle, got, sizeof(got)) && strlen(got) == len &&
		    !memcmp(got, name, len)) {
			agreed(n, pid);
			return;
		}
		disagreed(n, pid);
	}
	if (learn(n, pid, obj, have, name, len)) {
		debug("kernel names: %s at offset %u of the driver's objects, from pid %u "
		      "(used once confirmed)\n",
		      layout_name(n->layout), n->off, pid);
		agreed(n, pid);
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

/* -v: which layout names kernels, and where it comes from (once). */
static void say_use(struct ts_names *n, const char *name)
{
	n->said_use = true;
	if (n->from_file)
		debug("kernel names: %s named by the layout %s at offset %u, kept in %s/%s\n", name,
		      layout_name(n->layout), n->off, ts_state_dir(), n->file);
	else
		debug("kernel names: %s named by the layout %s at offset %u, confirmed in this "
		      "run\n",
		      name, layout_name(n->layout), n->off);
}

bool ts_names_recover_function(struct ts_names *n, uint32_t pid, uint64_t func, uint64_t kernel,
			       char *out, size_t len)
{
	bool ok;

	/* past the memory budget nothing is read: the trace could not keep the name anyway */
	if (!func || ts_hmap_get(&n->known, pid, func) || n->known.count >= TS_CAP_KNOWN_HANDLES)
		return false;
	/* a layout not yet confirmed names nothing: it may have been taught wrong */
	ok = n->trusted &&
	     (read_name(n, pid, func, out, len) || (kernel && read_name(n, pid, kernel, out, len)));
	known_put(n, pid, func, ok ? KNOWN_NAMED : KNOWN_NONE);
	if (kernel)
		known_put(n, pid, kernel, ok ? KNOWN_NAMED : KNOWN_NONE);
	if (!ok)
		n->unnamed++;
	else if (!n->said_use)
		say_use(n, out);
	return ok;
}

/* The state file's name for a build id: a name that cannot reach outside the state folder. */
static void state_name(struct ts_names *n, const char *build_id)
{
	size_t i;

	n->file[0] = '\0';
	if (!build_id || !build_id[0] || strlen(build_id) > 128)
		return;
	for (i = 0; build_id[i]; i++)
		if (!((build_id[i] >= '0' && build_id[i] <= '9') ||
		      (build_id[i] >= 'a' && build_id[i] <= 'f')))
			return;
	snprintf(n->file, sizeof(n->file), "name-layout-%s", build_id);
}

/* "inline 28" or "pointer 8": the layout, or false. */
static bool parse(struct ts_names *n, const char *buf)
{
	char kind[16];
	unsigned int off;

	if (sscanf(buf, "%15s %u", kind, &off) != 2 || off >= OBJ_BYTES)
		return false;
	if (!strcmp(kind, "inline"))
		n->layout = TS_LAYOUT_INLINE;
	else if (!strcmp(kind, "pointer"))
		n->layout = TS_LAYOUT_POINTER;
	else
		return false;
	n->off = off;
	return true;
}

/* The state file, read only beneath a checked state folder, only if ours (safepath.h). */
void ts_names_init(struct ts_names *n, const char *build_id)
{
	char buf[64], why[256];
	int dfd, fd = -1;
	ssize_t got;

	memset(n, 0, sizeof(*n));
	state_name(n, build_id);
	if (!n->file[0] || (dfd = ts_state_dir_open(false)) < 0)
		return;
	fd = ts_safe_open(dfd, n->file, sizeof(buf) - 1, why, sizeof(why));
	close(dfd);
	if (fd < 0) {
		if (fd != -ENOENT)
			warn("kernel names: %s/%s not used: %s\n", ts_state_dir(), n->file, why);
		return;
	}
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[got > 0 ? got : 0] = '\0';
	if (!parse(n, buf))
		return;
	n->trusted = n->on_disk = n->from_file = true;
	debug("kernel names: %s at offset %u, as learned before (%s/%s)\n", layout_name(n->layout),
	      n->off, ts_state_dir(), n->file);
}

/* Write the layout: a new file beside the old one, renamed over it; never through a link. */
static void save(struct ts_names *n)
{
	int dfd = ts_state_dir_open(true);
	char line[32];
	int len;

	if (dfd < 0)
		return;
	len = snprintf(line, sizeof(line), "%s %u\n", layout_name(n->layout), n->off);
	if (!ts_safe_write(dfd, n->file, line, len, 0644)) {
		n->on_disk = true;
		debug("kernel names: kept in %s/%s\n", ts_state_dir(), n->file);
	}
	close(dfd);
}

static void drop_file(struct ts_names *n)
{
	int dfd = ts_state_dir_open(false);

	if (dfd < 0)
		return;
	if (!unlinkat(dfd, n->file, 0))
		debug("kernel names: %s/%s removed\n", ts_state_dir(), n->file);
	n->on_disk = false;
	close(dfd);
}

void ts_names_finish(struct ts_names *n)
{
	if (n->trusted && !n->on_disk && n->file[0])
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
