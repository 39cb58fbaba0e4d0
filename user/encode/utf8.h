/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF, no truncated sequences. Names from a traced process are bytes;
 * every string a writer emits must be valid, and the bytes recoverable.
 */
#ifndef TS_UTF8_H
#define TS_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length of the valid sequence at s[0..n) that starts with a byte >= 0x80, or 0. */
size_t ts_utf8_seq(const unsigned char *s, size_t n);
bool ts_utf8_valid(const char *s, size_t n);
/*
 * s with each byte that is not part of a valid sequence replaced by U+FFFD;
 * out needs 3 * n bytes. Returns the length written.
 */
size_t ts_utf8_fix(const char *s, size_t n, char *out);
/*
 * s as valid UTF-8 that keeps every byte: the bad ones as \xNN, a backslash as
 * \\; out needs 4 * n bytes. Returns the length written.
 */
size_t ts_utf8_escape(const char *s, size_t n, char *out);
/*
 * Code point cp as UTF-8 into out (4 bytes at most); a surrogate or a value
 * past U+10FFFF as U+FFFD. Returns the length written. (Also compiled into
 * the NVTX injection library: nothing here may need more than libc.)
 */
size_t ts_utf8_put(uint32_t cp, char *out);

#endif
