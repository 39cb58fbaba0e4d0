/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Raw records -> checked, typed views. Works the same on ring-buffer records
 * and on records read back from a capture file, so nothing here trusts the
 * bytes it is given.
 */
#ifndef TS_DECODE_H
#define TS_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tracesmith.h"
#include "probe/hooks.h"

/* Records written by user space (TS_REC_META_*): two numbers, two strings. */
struct ts_rec_meta {
	struct ts_rec_hdr hdr;
	uint64_t v[2];
	uint16_t len[2];
	uint32_t pad;
	char data[]; /* string 0, then string 1; no NULs */
};
#define TS_META_BASE_SIZE 48
#define TS_META_MAX_STR	  4096

/* TS_REC_META_START hdr.aux bits (v[0] is CLOCK_REALTIME, v[1] CLOCK_BOOTTIME) */
#define TS_MODE_SYSTEM_WIDE 0x1
/*
 * A merge of captures of several hosts (merge.c): the records of input i have
 * pid + i * TS_MERGE_PID_SPAN (above PID_MAX_LIMIT: never a real pid), and
 * its META_HOST is the i-th.
 */
#define TS_MODE_MERGED	   0x2
#define TS_MERGE_PID_SPAN  4194304u
#define TS_MERGE_MAX_HOSTS 32

/* Why a record was refused; ts_rec_check returns one of these. */
enum ts_rec_err {
	TS_REC_OK = 0,
	TS_REC_SHORT,	 /* fewer bytes than a header, or than its size says */
	TS_REC_BAD_SIZE, /* size smaller than its kind needs, or not 8-aligned */
	TS_REC_BAD_KIND,
	TS_REC_BAD_FIELD, /* a count or length out of range */
};
const char *ts_rec_err_str(enum ts_rec_err err);

/* A record kind's name ("api", "gpu", ...), "?" for one this build does not know. */
const char *ts_rec_kind_name(unsigned int kind);

/* Check a record of at most avail bytes: size, kind, inner lengths. */
enum ts_rec_err ts_rec_check(const void *rec, size_t avail);

/*
 * The events of a checked TS_REC_NVTX batch, in order: the one at *off (0
 * first), *off moved past it; NULL after the last.
 */
const struct ts_nvtx_ev *ts_nvtx_next(const struct ts_rec_nvtx *r, size_t *off);
/* An NVTX event's message bytes (msg_len of them, no NUL). */
static inline const char *ts_nvtx_msg(const struct ts_nvtx_ev *e)
{
	return (const char *)e + TS_NVTX_EV_SIZE;
}

/* Symbol ids seen in META_SYM records: the stream says what each id means. */
struct ts_symtab {
	char **names;
	const struct ts_hook **hooks;
	bool *per_thread; /* ts_sym_per_thread of each name */
	unsigned int n;
};
void ts_symtab_free(struct ts_symtab *st);
int ts_symtab_add(struct ts_symtab *st, const struct ts_rec_meta *m);

/*
 * One hooked call, decoded. Pointers point into the record or the symtab.
 * Read its values from vals, never from rec->vals: each is at its C type's
 * width there (ts_ctype_value), the one place dirty upper bits are dropped.
 */
struct ts_call {
	const struct ts_rec_api *rec;
	const struct ts_hook *hook;
	const char *sym;
	bool per_thread; /* the symbol is a per-thread-default-stream variant */
	const char *str;
	size_t str_len;
	uint64_t vals[TS_MAX_VALS]; /* rec->vals at their C widths (as captured without a hook) */
};

/* The view of rec as a call of hook (NULL: unknown, or its value count changed): c->sym unset. */
void ts_call_init(struct ts_call *c, const struct ts_rec_api *rec, const struct ts_hook *hook);

/* -ENOENT for a symbol id the stream never defined. */
int ts_decode_call(const struct ts_symtab *st, const struct ts_rec_api *rec, struct ts_call *c);

/* The value with this role, or false if the hook has none. */
bool ts_call_val(const struct ts_call *c, enum ts_role role, uint64_t *v);

struct ts_launch {
	uint64_t func, stream;
	uint32_t grid[3], block[3], cluster[3];
	uint32_t shmem;
};
bool ts_call_launch(const struct ts_call *c, struct ts_launch *l);

/* Meta string i of a checked meta record. */
static inline const char *ts_meta_str(const struct ts_rec_meta *m, int i, size_t *len)
{
	*len = m->len[i];
	return m->data + (i ? m->len[0] : 0);
}

/*
 * Build a meta record in buf (at least TS_META_BASE_SIZE + 2 * TS_META_MAX_STR
 * + 8 bytes). Strings longer than TS_META_MAX_STR are cut. Returns its size.
 */
size_t ts_meta_build(void *buf, enum ts_kind kind, uint32_t pid, uint64_t ts, uint32_t aux,
		     uint64_t v0, uint64_t v1, const char *s0, size_t l0, const char *s1,
		     size_t l1);
#define TS_META_BUF_SIZE (TS_META_BASE_SIZE + 2 * TS_META_MAX_STR + 8)

#endif
