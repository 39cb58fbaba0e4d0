/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which machine a capture comes from (TS_REC_META_HOST): its host name, and
 * key=value lines for machine-id, boot id, kernel release, NVIDIA driver
 * version and GPUs, so captures of many nodes can be told apart and merged.
 */
#ifndef TS_HOSTID_H
#define TS_HOSTID_H

#include <stddef.h>

/* The host name into host, the identity lines into kv; each NUL-terminated. */
void ts_host_identity(char *host, size_t hlen, char *kv, size_t kvlen);
/* The value of key in identity lines kv[0..len), into out ("" if none). */
void ts_host_value(const char *kv, size_t len, const char *key, char *out, size_t outlen);

#endif
