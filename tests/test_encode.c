// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The encoders: numbers, JSON strings, the output buffer on a full disk, protobuf.
 * No root, no BPF, no GPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "canned.h"
#include "pipe.h"
#include "tmpdir.h"
#include "record/capture.h"
#include "correlate/corr_int.h"
#include "record/decode.h"
#include "probe/hooks.h"
#include "correlate/nvdecode.h"
#include "encode/outbuf.h"
#include "encode/pbenc.h"
#include "write/stats_writer.h"
#include "trace_json.h"
#include "lib/util.h"
#include "workloads.h"
#include "fakecuda/cuda_types.h"

/* ---- output formatting ------------------------------------------------- */

static char *format(void (*fn)(struct ts_out *, int64_t), int64_t v)
{
	struct ts_out o;

	assert_int_equal(ts_out_open(&o, test_path("fmt")), 0);
	fn(&o, v);
	assert_int_equal(ts_out_close(&o), 0);
	return test_slurp(test_path("fmt"));
}

static void test_usec_exact(void **state)
{
	assert_string_equal(format(ts_out_usec, 0), "0.000");
	assert_string_equal(format(ts_out_usec, 1), "0.001");
	assert_string_equal(format(ts_out_usec, 1234567), "1234.567");
	assert_string_equal(format(ts_out_usec, 10000000000123ll), "10000000000.123");
	assert_string_equal(format(ts_out_usec, -1500), "-1.500");
	assert_string_equal(format(ts_out_i64, -42), "-42");
}

static void test_json_escape(void **state)
{
	static const char raw[] = "q\"b\\n\nt\tc\x01 del\x7f bad\xff ok\xc3\xa9";
	json_object *o;
	struct ts_out out;

	assert_int_equal(ts_out_open(&out, test_path("esc.json")), 0);
	ts_out_json_str(&out, raw, sizeof(raw) - 1);
	assert_int_equal(ts_out_close(&out), 0);
	o = json_object_from_file(test_path("esc.json"));
	assert_non_null(o);
	assert_string_equal(json_object_get_string(o),
			    "q\"b\\n\nt\tc\x01 del\x7f bad\xef\xbf\xbd ok\xc3\xa9");
	json_object_put(o);
}

/* The escaping, byte by byte, as RFC 8259 and ts_out_json_str's contract say */
static size_t ref_escape(char *out, const unsigned char *s, size_t n)
{
	size_t i, k = 0;

	out[k++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			k += sprintf(out + k, "\\%c", c);
		else if (c == '\n')
			k += sprintf(out + k, "\\n");
		else if (c == '\t')
			k += sprintf(out + k, "\\t");
		else if (c < 0x20 || c == 0x7f)
			k += sprintf(out + k, "\\u%04x", c);
		else if (c >= 0x80) /* alone among ASCII: never UTF-8 */
			k += sprintf(out + k, "\\ufffd");
		else
			out[k++] = c;
	}
	out[k++] = '"';
	return k;
}

/*
 * The escaper skips eight plain bytes at a time: every byte value at every
 * place of a word (and across the word boundary) must come out as the plain
 * byte-by-byte rules say; numbers around each power of ten as printf has them.
 */
static void test_json_escape_words(void **state)
{
	static char want[1 << 20];
	unsigned char s[24];
	struct ts_out out;
	size_t k = 0, len;
	unsigned int b, at, e;
	uint64_t v;
	char *got;

	assert_int_equal(ts_out_open(&out, test_path("words.json")), 0);
	for (b = 0; b < 256; b++)
		for (at = 0; at < sizeof(s); at++) {
			memcpy(s, "abcdefghijklmnopqrstuvwx", sizeof(s));
			s[at] = b;
			len = at % 3 ? sizeof(s) : at + 1; /* some end right after it */
			ts_out_json_str(&out, (const char *)s, len);
			k += ref_escape(want + k, s, len);
			ts_out_putc(&out, '\n');
			want[k++] = '\n';
		}
	for (e = 0, v = 1; e < 20; e++, v *= 10) {
		uint64_t near[] = { v - 1, v, v + 1, v * 9 + 9 };
		unsigned int j;

		for (j = 0; j < 4; j++) {
			ts_out_u64(&out, near[j]);
			k += sprintf(want + k, "%llu", (unsigned long long)near[j]);
			ts_out_putc(&out, ' ');
			want[k++] = ' ';
		}
	}
	want[k] = '\0';
	assert_int_equal(ts_out_close(&out), 0);
	got = test_slurp(test_path("words.json"));
	assert_string_equal(got, want);
}

static void test_out_full_disk(void **state)
{
	struct ts_out o;
	int i;

	if (access("/dev/full", W_OK))
		skip();
	assert_int_equal(ts_out_open(&o, "/dev/full"), 0);
	for (i = 0; i < 100000; i++)
		ts_out_puts(&o, "0123456789abcdef0123456789abcdef");
	assert_int_equal(ts_out_close(&o), -ENOSPC);
}

/* ---- the protobuf encoder and the .pftrace writer ---------------------- */

static void test_pb_varints(void **state)
{
	struct pb p = { 0 };
	static const uint8_t neg1[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t f64[] = { 0x11, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
	uint8_t b[10];

	assert_int_equal(pb_put_varint(b, 0), 1);
	assert_int_equal(pb_put_varint(b, 127), 1);
	assert_int_equal(pb_put_varint(b, 128), 2);
	assert_true(b[0] == 0x80 && b[1] == 0x01);
	assert_int_equal(pb_put_varint(b, UINT64_MAX), 10);
	/* int64 -1: ten bytes, as protobuf encodes negative int32/int64 */
	pb_int(&p, 1, -1);
	assert_int_equal(p.len, sizeof(neg1));
	assert_memory_equal(p.buf, neg1, sizeof(neg1));
	/* fixed64 flow ids: little-endian, wire type 1 */
	pb_reset(&p);
	pb_fixed64(&p, 2, 0x0102030405060708ull);
	assert_int_equal(p.len, sizeof(f64));
	assert_memory_equal(p.buf, f64, sizeof(f64));
	pb_free(&p);
}

/* pb_pair writes the bytes of begin, two varints, end: at every size of field and value */
static void test_pb_pair(void **state)
{
	static const uint64_t vals[] = { 0, 1, 127, 128, 16383, 16384, 1ull << 35, UINT64_MAX };
	static const uint32_t fields[] = { 1, 15, 16, 2047, 2048, 536870911 };
	struct pb a = { 0 }, b = { 0 };
	unsigned int f, g, i, j;

	for (f = 0; f < ARRAY_SIZE(fields); f++)
		for (g = 0; g < ARRAY_SIZE(fields); g++)
			for (i = 0; i < ARRAY_SIZE(vals); i++)
				for (j = 0; j < ARRAY_SIZE(vals); j++) {
					pb_reset(&a);
					pb_reset(&b);
					pb_begin(&a, fields[f]);
					pb_varint(&a, fields[g], vals[i]);
					pb_varint(&a, fields[f], vals[j]);
					pb_end(&a);
					pb_pair(&b, fields[f], fields[g], vals[i], fields[f],
						vals[j]);
					assert_int_equal(a.err, 0);
					assert_int_equal(b.err, 0);
					assert_int_equal(a.len, b.len);
					assert_memory_equal(a.buf, b.buf, a.len);
				}
	pb_free(&a);
	pb_free(&b);
}

static void test_pb_nested(void **state)
{
	struct pb p = { 0 };
	char big[300];

	memset(big, 'x', sizeof(big));
	pb_begin(&p, 1);
	pb_begin(&p, 2);
	pb_bytes(&p, 3, big, sizeof(big)); /* 3 + 300 bytes: a 2-byte length */
	pb_end(&p);
	pb_varint(&p, 4, 5);
	pb_end(&p);
	assert_int_equal(p.err, 0);
	/*
	 * 1:{ 2:{ 3:"x"*300 } 4:5 }: field 3 is 1 + 2 + 300 = 303 bytes, message 2 is
	 * 1 + 2 + 303 = 306, message 1 holds 306 + 2 = 308: lengths of two bytes each.
	 */
	assert_int_equal(p.buf[0], 0x0a);
	assert_int_equal((p.buf[1] & 0x7f) | p.buf[2] << 7, 308);
	assert_int_equal(p.buf[3], 0x12);
	assert_int_equal((p.buf[4] & 0x7f) | p.buf[5] << 7, 303);
	assert_int_equal(p.buf[6], 0x1a);
	assert_int_equal((p.buf[7] & 0x7f) | p.buf[8] << 7, 300);
	assert_int_equal(p.len, 311);
	assert_int_equal(p.buf[p.len - 2], 0x20);
	assert_int_equal(p.buf[p.len - 1], 5);
	pb_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usec_exact),	  cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_escape_words), cmocka_unit_test(test_out_full_disk),
		cmocka_unit_test(test_pb_varints),	  cmocka_unit_test(test_pb_pair),
		cmocka_unit_test(test_pb_nested),
	};

	if (test_dir_init("ts-encode"))
		return 1;
	return cmocka_run_group_tests_name("encode", tests, NULL, NULL);
}
