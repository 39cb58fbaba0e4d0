// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Hardening without BPF or root: output files (symlinks, .old, discard,
 * same-file refusal, whole events only), strict UTF-8, bounded demangling,
 * option ranges.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "probe/curesult.h"
#include "correlate/demangle.h"
#include "hostile.h"
#include "encode/outbuf.h"
#include "encode/outfile.h"
#include "tmpdir.h"
#include "encode/utf8.h"
#include "lib/util.h"

static void put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void assert_content(const char *path, const char *want)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf) - 1) >= 0);
	close(fd);
	assert_string_equal(buf, want);
}

/* How many entries of the temp folder start with prefix. */
static int count_prefixed(const char *prefix)
{
	char cmd[512], out[32] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls -A %s | grep -c '^%s'", test_dir(), prefix);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, sizeof(out), f));
	pclose(f);
	return atoi(out);
}

static void write_via_outfile(const char *path, const char *text)
{
	struct ts_outfile f;

	assert_int_equal(ts_outfile_create(&f, path), 0);
	assert_int_equal(write(f.fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(ts_outfile_commit(&f), 0);
}

/* A link at the path is replaced, never followed; the earlier file is kept as .old. */
static void test_outfile_symlink_and_old(void **state)
{
	char *victim = test_path("victim"), *out = test_path("out.json");
	struct stat st;

	put_file(victim, "precious");
	assert_int_equal(symlink(victim, out), 0);
	write_via_outfile(out, "trace 1");
	assert_content(victim, "precious");
	assert_content(out, "trace 1");
	assert_int_equal(lstat(test_path("out.json.old"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	write_via_outfile(out, "trace 2");
	assert_content(out, "trace 2");
	assert_content(test_path("out.json.old"), "trace 1");
	assert_int_equal(count_prefixed("out.json.partial"), 0);
}

/*
 * An empty folder planted at FILE.old (another user's, in a sticky /tmp): the
 * run still succeeds, the folder is left alone and the earlier FILE is kept
 * under a fresh FILE.old.XXXXXX.
 */
static void test_outfile_old_is_dir(void **state)
{
	char *out = test_path("d.json"), *old = test_path("d.json.old"), kept[512];
	struct stat st;
	glob_t g;

	put_file(out, "trace 1");
	assert_int_equal(mkdir(old, 0755), 0);
	write_via_outfile(out, "trace 2");
	assert_content(out, "trace 2");
	assert_int_equal(lstat(old, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(rmdir(old), 0); /* still empty */
	snprintf(kept, sizeof(kept), "%s.??????", old);
	assert_int_equal(glob(kept, 0, NULL, &g), 0);
	assert_int_equal(g.gl_pathc, 1);
	assert_content(g.gl_pathv[0], "trace 1");
	globfree(&g);
	assert_int_equal(count_prefixed("d.json.partial"), 0);
}

/* A discarded run leaves the path as it was and nothing beside it. */
static void test_outfile_discard(void **state)
{
	char *path = test_path("kept.json");
	struct ts_outfile f;

	put_file(path, "earlier");
	assert_int_equal(ts_outfile_create(&f, path), 0);
	assert_int_equal(write(f.fd, "new", 3), 3);
	ts_outfile_discard(&f);
	ts_outfile_discard(&f); /* idempotent */
	assert_content(path, "earlier");
	assert_int_equal(count_prefixed("kept.json."), 0);
	assert_int_equal(ts_outfile_create(&f, test_dir()), -EISDIR);
}

/* A planted file with the temp file's name is never reused (O_EXCL): another name is. */
static void test_outfile_exclusive(void **state)
{
	char *path = test_path("x.json");
	struct ts_outfile a, b;

	assert_int_equal(ts_outfile_create(&a, path), 0);
	assert_int_equal(ts_outfile_create(&b, path), 0);
	assert_string_not_equal(a.tmp, b.tmp);
	ts_outfile_discard(&a);
	ts_outfile_discard(&b);
}

static void test_outfile_check(void **state)
{
	char rel[300], in_path[300];
	const char *in = in_path;
	const char *same[] = { test_path("a.json"), rel };
	const char *over[] = { in };
	const char *old_over[] = { test_path("in") };
	const char *fine[] = { test_path("a.json"), test_path("a.pftrace"), "-", NULL };
	const char *dir[] = { test_dir() };

	snprintf(in_path, sizeof(in_path), "%s", test_path("in.tsbpf"));
	put_file(in, "capture");
	snprintf(rel, sizeof(rel), "%s/./a.json", test_dir());
	assert_int_equal(ts_outfile_check(same, 2, NULL, 0), -EINVAL);
	assert_int_equal(ts_outfile_check(over, 1, &in, 1), -EINVAL);
	assert_int_equal(ts_outfile_check(dir, 1, NULL, 0), -EINVAL);
	assert_int_equal(ts_outfile_check(fine, 4, &in, 1), 0);
	/* in.old would be pushed aside... only when it is in.tsbpf.old that matters */
	assert_int_equal(ts_outfile_check(old_over, 1, &in, 1), 0);
	put_file(test_path("in.tsbpf.old"), "older capture");
	{
		const char *older = test_path("in.tsbpf.old");

		/* writing in.tsbpf would push aside in.tsbpf.old, the input */
		assert_int_equal(ts_outfile_check(&in, 1, &older, 1), -EINVAL);
	}
}

/* A writer that marks boundaries never has half an event in the file. */
static void test_out_whole_events(void **state)
{
	char *path = test_path("whole.json"), name[300], buf[64], *big = malloc(3 << 20);
	struct ts_out o;
	struct stat st;
	int fd, i;

	assert_non_null(big);
	memset(big, 'x', 3 << 20);

	assert_int_equal(ts_out_open(&o, path), 0);
	snprintf(name, sizeof(name), "%s", o.file.tmp);
	for (i = 0; i < 100000; i++) {
		ts_out_puts(&o, "{\"event\":");
		ts_out_u64(&o, i);
		ts_out_puts(&o, "}");
		ts_out_boundary(&o, false);
	}
	/* an event being built, bigger than the buffer, when the run dies */
	ts_out_puts(&o, "{\"half\":\"");
	ts_out_write(&o, big, 3 << 20);
	free(big);
	/* what the file holds now: whole events only */
	assert_int_equal(stat(name, &st), 0);
	assert_true(st.st_size > 0);
	fd = open(name, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, 1, st.st_size - 1), 1);
	close(fd);
	assert_int_equal(buf[0], '}');
	assert_int_equal(ts_out_close(&o), 0);
}

static void test_utf8_strict(void **state)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{ "plain", true },
		{ "caf\xc3\xa9", true },
		{ "\xe2\x82\xac", true },      /* U+20AC */
		{ "\xf0\x9f\x98\x80", true },  /* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", true },  /* U+10FFFF, the last */
		{ "\xed\x9f\xbf", true },      /* U+D7FF, before the surrogates */
		{ "\xc0\xaf", false },	       /* overlong '/' */
		{ "\xc1\xbf", false },	       /* overlong */
		{ "\xe0\x80\xaf", false },     /* overlong, 3 bytes */
		{ "\xf0\x80\x80\xaf", false }, /* overlong, 4 bytes */
		{ "\xed\xa0\x80", false },     /* U+D800, a surrogate */
		{ "\xed\xbf\xbf", false },     /* U+DFFF */
		{ "\xf4\x90\x80\x80", false }, /* U+110000 */
		{ "\xf5\x80\x80\x80", false }, /* no such lead byte */
		{ "\xe2\x82", false },	       /* cut short */
		{ "\x80", false },	       /* a lone continuation */
		{ "\xff", false },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (ts_utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
			fail_msg("case %u: expected %s", i, cases[i].ok ? "valid" : "invalid");
}

/* One code point as UTF-8 (Python names, NVTX's wide strings): never an invalid sequence. */
static void test_utf8_put(void **state)
{
	static const struct {
		uint32_t cp;
		const char *want;
	} cases[] = {
		{ 0x41, "A" },
		{ 0xe9, "\xc3\xa9" },
		{ 0x20ac, "\xe2\x82\xac" },
		{ 0x1f600, "\xf0\x9f\x98\x80" },
		{ 0xd800, "\xef\xbf\xbd" },
		{ 0xdfff, "\xef\xbf\xbd" },
		{ 0x110000, "\xef\xbf\xbd" },
		{ 0xffffffff, "\xef\xbf\xbd" },
	};
	char out[4];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = ts_utf8_put(cases[i].cp, out);
		assert_int_equal(n, strlen(cases[i].want));
		assert_memory_equal(out, cases[i].want, n);
		assert_true(ts_utf8_valid(out, n));
	}
}

static void test_utf8_fix_escape(void **state)
{
	char out[64];
	size_t n;

	n = ts_utf8_fix("a\xed\xa0\x80z", 5, out);
	out[n] = '\0';
	assert_string_equal(out, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
	assert_true(ts_utf8_valid(out, n));
	n = ts_utf8_escape("a\\\xff\xc3\xa9\x01", 6, out);
	out[n] = '\0';
	assert_string_equal(out, "a\\\\\\xff\xc3\xa9\\x01");
	assert_true(ts_utf8_valid(out, n));
}

/* A name that demangles as usual, and one whose demangling doubles at each level. */
static void test_demangle_bounded(void **state)
{
	char bomb[HOSTILE_BOMB_LEN + 1];
	struct timespec a, b;
	char *d;

	d = ts_demangle("_Z7vec_addPfPKfi");
	assert_string_equal(d, "vec_add(float*, float const*, int)");
	free(d);
	d = ts_demangle("_Zfoo");
	assert_string_equal(d, "_Zfoo"); /* not valid: as it is */
	free(d);
	hostile_bomb(bomb);
	assert_int_equal(strlen(bomb), HOSTILE_BOMB_LEN);
	clock_gettime(CLOCK_MONOTONIC, &a);
	d = ts_demangle(bomb);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_non_null(d);
	assert_int_equal(strncmp(d, bomb, HOSTILE_BOMB_LEN), 0);
	assert_string_equal(d + HOSTILE_BOMB_LEN, TS_DEMANGLE_MARK);
	/* a figure for BENCHMARKS.md, never an assertion */
	print_message("demangling the %d-byte bomb: %ld us\n", HOSTILE_BOMB_LEN,
		      ((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec) / 1000);
	free(d);
}

/* Every CUresult of CUDA 13 by its name; anything else by number, never a wrong name. */
static void test_cu_result_names(void **state)
{
	char buf[32];

	assert_string_equal(ts_cu_result_name(0, buf, sizeof(buf)), "CUDA_SUCCESS");
	assert_string_equal(ts_cu_result_name(34, buf, sizeof(buf)), "CUDA_ERROR_STUB_LIBRARY");
	assert_string_equal(ts_cu_result_name(2, buf, sizeof(buf)), "CUDA_ERROR_OUT_OF_MEMORY");
	assert_string_equal(ts_cu_result_name(720, buf, sizeof(buf)),
			    "CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE");
	assert_string_equal(ts_cu_result_name(12345, buf, sizeof(buf)), "CUresult 12345");
	assert_string_equal(ts_cu_result_name(-1, buf, sizeof(buf)), "CUresult -1");
}

static void test_parse_ranges(void **state)
{
	uint64_t v = 0;
	double d = 0;

	assert_int_equal(ts_parse_uint("42", 1, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(ts_parse_uint("4294967297", 1, 4194304, &v), -ERANGE);
	assert_int_equal(ts_parse_uint("18446744073709551616", 1, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(ts_parse_uint("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(ts_parse_uint(" 5", 0, 10, &v), -EINVAL);
	assert_int_equal(ts_parse_uint("5x", 0, 10, &v), -EINVAL);
	assert_int_equal(ts_parse_uint("", 0, 10, &v), -EINVAL);
	assert_int_equal(ts_parse_uint("0", 1, 10, &v), -ERANGE);
	assert_int_equal(ts_parse_seconds("0.5", 100, &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(ts_parse_seconds(".25", 100, &d), 0);
	assert_int_equal(ts_parse_seconds("inf", 100, &d), -EINVAL);
	assert_int_equal(ts_parse_seconds("nan", 100, &d), -EINVAL);
	assert_int_equal(ts_parse_seconds("1e300", 100, &d), -ERANGE);
	assert_int_equal(ts_parse_seconds("1e-400", 100, &d), -ERANGE);
	assert_int_equal(ts_parse_seconds("0", 100, &d), -ERANGE);
	assert_int_equal(ts_parse_seconds("-1", 100, &d), -EINVAL);
	assert_int_equal(ts_parse_seconds("0x10", 100, &d), -EINVAL);
	assert_int_equal(ts_parse_seconds("", 100, &d), -EINVAL);
}

static int setup(void **state)
{
	return test_dir_init("ts-harden");
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir());
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outfile_symlink_and_old),
		cmocka_unit_test(test_outfile_old_is_dir),
		cmocka_unit_test(test_outfile_discard),
		cmocka_unit_test(test_outfile_exclusive),
		cmocka_unit_test(test_outfile_check),
		cmocka_unit_test(test_out_whole_events),
		cmocka_unit_test(test_utf8_strict),
		cmocka_unit_test(test_utf8_fix_escape),
		cmocka_unit_test(test_utf8_put),
		cmocka_unit_test(test_demangle_bounded),
		cmocka_unit_test(test_parse_ranges),
		cmocka_unit_test(test_cu_result_names),
	};

	return cmocka_run_group_tests_name("harden", tests, setup, teardown);
}
