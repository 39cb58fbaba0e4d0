// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "encode/utf8.h"

size_t ts_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0; /* overlong below U+0800 */
		else if (s[0] == 0xed)
			hi = 0x9f; /* surrogates U+D800..U+DFFF */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90; /* overlong below U+10000 */
		else if (s[0] == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0; /* a continuation byte, C0/C1 (overlong ASCII), F5..FF */
	}
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

bool ts_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		k = ts_utf8_seq(u + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

size_t ts_utf8_fix(const char *s, size_t n, char *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, k;

	while (i < n) {
		k = u[i] < 0x80 ? 1 : ts_utf8_seq(u + i, n - i);
		if (k) {
			while (k--)
				out[o++] = s[i++];
			continue;
		}
		out[o++] = (char)0xef; /* U+FFFD */
		out[o++] = (char)0xbf;
		out[o++] = (char)0xbd;
		i++;
	}
	return o;
}

size_t ts_utf8_escape(const char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, k;

	while (i < n) {
		k = u[i] < 0x80 ? (u[i] >= 0x20 && u[i] != 0x7f && u[i] != '\\')
				: ts_utf8_seq(u + i, n - i);
		if (k) {
			while (k--)
				out[o++] = s[i++];
			continue;
		}
		out[o++] = '\\';
		if (u[i] == '\\') {
			out[o++] = '\\';
		} else {
			out[o++] = 'x';
			out[o++] = hex[u[i] >> 4];
			out[o++] = hex[u[i] & 15];
		}
		i++;
	}
	return o;
}

size_t ts_utf8_put(uint32_t cp, char *out)
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
		cp = 0xfffd;
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12;
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | cp >> 18;
	out[1] = 0x80 | ((cp >> 12) & 0x3f);
	out[2] = 0x80 | ((cp >> 6) & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}
