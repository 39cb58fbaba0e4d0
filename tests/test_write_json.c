// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The JSON writer's strings, checked strictly: json-c parses raw control
 * bytes inside strings without a word (even in its strict mode), Perfetto and
 * Python's json refuse the file. Every byte value, alone and inside a name
 * the trace carries (kernel, thread, process), must come out escaped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "encode/outbuf.h"
#include "pipe.h"
#include "tmpdir.h"
#include "trace_json.h"

static char *slurp(const char *path, size_t *n)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");

	*n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[*n] = '\0';
	return buf;
}

/* A string of every byte 0x01..0xff, each alone and between plain letters. */
static void test_json_str_strict(void **state)
{
	char why[512] = "", s[4];
	json_object *o;
	struct ts_out out;
	unsigned int b;
	size_t n;
	char *got;

	for (b = 0; b < 256; b++) {
		assert_int_equal(ts_out_open(&out, test_path("strict.json")), 0);
		s[0] = 'a';
		s[1] = b;
		s[2] = 'z';
		ts_out_putc(&out, '[');
		ts_out_json_str(&out, s + 1, 1);
		ts_out_putc(&out, ',');
		ts_out_json_str(&out, s, 3);
		ts_out_putc(&out, ']');
		assert_int_equal(ts_out_close(&out), 0);
		got = slurp(test_path("strict.json"), &n);
		o = json_parse_strict(got, n, why, sizeof(why));
		if (!o)
			fail_msg("ts_out_json_str of byte 0x%02x wrote %s: %s", b, got, why);
		/* and what it says is the byte itself (or U+FFFD for a byte alone above 0x7f) */
		if (b < 0x80 &&
		    (json_object_get_string_len(json_object_array_get_idx(o, 0)) != 1 ||
		     json_object_get_string(json_object_array_get_idx(o, 0))[0] != (char)b))
			fail_msg("ts_out_json_str of byte 0x%02x wrote %s: it reads back as \"%s\"",
				 b, got, json_object_get_string(json_object_array_get_idx(o, 0)));
		json_object_put(o);
	}
}

/* The checker itself: a raw tab is named, with where it is. */
static void test_strict_checker(void **state)
{
	static const char tab[] = "{\"name\":\"a\tb\"}", esc[] = "{\"name\":\"a\\tb\\\"\"}";
	char why[512] = "";

	assert_int_equal(json_raw_control(tab, strlen(tab), why, sizeof(why)), -1);
	assert_non_null(strstr(why, "raw control byte 0x09"));
	assert_non_null(strstr(why, "at byte 10"));
	assert_null(json_parse_strict(tab, strlen(tab), why, sizeof(why)));
	assert_int_equal(json_raw_control(esc, strlen(esc), why, sizeof(why)), 0);
	json_object_put(json_parse_strict(esc, strlen(esc), why, sizeof(why)));
	assert_null(json_parse_strict("{}x", 3, why, sizeof(why)));
	assert_non_null(strstr(why, "at byte 2"));
	assert_null(json_parse_strict("[\"\xff\"]", 5, why, sizeof(why)));
}

/*
 * Names with every control byte, through the correlator and the trace
 * writer: trace_load (json_load_strict) refuses the file if one came out raw,
 * saying which byte and where.
 */
static void test_trace_names_strict(void **state)
{
	static const char kernel[] = "k\ttab\nnl\rcr\x01\x1f\x7f\"q\\b";
	char name[40];
	uint64_t v[9] = { 0x42, 1, 1, 1, 32, 1, 1, 0, 0 }, g[3] = { 0x42, 0x1, 0x2 };
	struct pipe p;
	unsigned int b;

	pipe_open(&p, test_path("names-strict.json"), 0);
	for (b = 1; b < 0x20; b++) {
		snprintf(name, sizeof(name), "thr%cead", b);
		canned_thread(&p.c, 100, 1000 + b, name);
		snprintf(name, sizeof(name), "python %c arg", b);
		canned_proc(&p.c, 200 + b, name);
		canned_thread(&p.c, 200 + b, 200 + b, "w");
		canned_api(&p.c, 200 + b, 200 + b, 10, 5, 0, "cuInit", g, 1, NULL);
	}
	canned_api(&p.c, 100, 100, 20, 5, 0, "cuModuleGetFunction", g, 3, kernel);
	canned_api(&p.c, 100, 100, 30, 5, 0, "cuLaunchKernel", v, 9, NULL);
	for (b = 1; b < 0x20; b++)
		canned_api(&p.c, 100, 1000 + b, 40, 5, 0, "cuLaunchKernel", v, 9, NULL);
	pipe_close(&p); /* fails here, with the message, if any byte came out raw */
	assert_int_equal(trace_count(&p.t, "X", kernel, GPU), 0x20);
	assert_string_equal(trace_thread_name(&p.t, 100, 1000 + '\t'), "thr\tead");
	pipe_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strict_checker),
		cmocka_unit_test(test_json_str_strict),
		cmocka_unit_test(test_trace_names_strict),
	};

	if (test_dir_init("ts-write-json"))
		return 1;
	return cmocka_run_group_tests_name("write_json", tests, NULL, NULL);
}
