// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Output files (outfile.c): what was at FILE is kept as FILE.old, whatever
 * it held. An empty FILE is a file too: a run cut short, a placeholder the
 * user made; it is kept, never dropped (README "Output files"). A file
 * whose writing failed is kept beside its target, or, whole or nothing (the
 * flight recorder's snapshots), removed.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "encode/outfile.h"
#include "tmpdir.h"

static void write_via_outfile(const char *path, const char *text)
{
	struct ts_outfile f;

	assert_int_equal(ts_outfile_create(&f, path), 0);
	assert_int_equal(write(f.fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(ts_outfile_commit(&f), 0);
}

static void expect_size(const char *path, off_t size, const char *what)
{
	struct stat st;

	if (lstat(path, &st))
		fail_msg("%s: %s is missing", what, path);
	if (!S_ISREG(st.st_mode) || st.st_size != size)
		fail_msg("%s: %s is %s of %lld bytes, not a file of %lld", what, path,
			 S_ISREG(st.st_mode) ? "a file" : "not a file", (long long)st.st_size,
			 (long long)size);
}

/* An empty FILE is kept as FILE.old: the very file (same inode), an older .old replaced. */
static void test_empty_file_kept_as_old(void **state)
{
	const char *out = test_path("empty.json"), *old = test_path("empty.json.old");
	struct stat before, after;
	int fd;

	write_via_outfile(old, "an older .old");
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(out, &before), 0);
	write_via_outfile(out, "new trace");
	expect_size(out, strlen("new trace"), "the new trace");
	expect_size(old, 0, "the empty file that was at FILE, kept as FILE.old");
	assert_int_equal(stat(old, &after), 0);
	if (after.st_ino != before.st_ino)
		fail_msg("FILE.old is not the empty file that was at FILE (inode %llu, was %llu)",
			 (unsigned long long)after.st_ino, (unsigned long long)before.st_ino);
}

/* A write failed: the new file is kept (data is sacred) or, whole or nothing, removed. */
static void test_failed_file_kept_or_removed(void **state)
{
	const char *out = test_path("failed.json");
	struct ts_outfile f;
	char tmp[512];

	write_via_outfile(out, "the earlier trace");
	assert_int_equal(ts_outfile_create(&f, out), 0);
	snprintf(tmp, sizeof(tmp), "%s", f.tmp);
	assert_int_equal(ts_outfile_keep(&f), 0);
	expect_size(tmp, 0, "what was written, kept");
	unlink(tmp);
	assert_false(ts_outfile_set_whole(true));
	assert_int_equal(ts_outfile_create(&f, out), 0);
	snprintf(tmp, sizeof(tmp), "%s", f.tmp);
	assert_int_equal(ts_outfile_keep(&f), 0);
	assert_true(ts_outfile_set_whole(false));
	assert_int_equal(access(tmp, F_OK), -1);
	expect_size(out, strlen("the earlier trace"), "the file at the path, untouched");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_file_kept_as_old),
		cmocka_unit_test(test_failed_file_kept_or_removed),
	};

	if (test_dir_init("ts-outfile"))
		return 1;
	return cmocka_run_group_tests_name("outfile", tests, NULL, NULL);
}
