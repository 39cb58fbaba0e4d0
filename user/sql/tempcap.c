// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SQLite's temporary files under a cap: a VFS over the default one that counts
 * the bytes its temporary files (sorts, temporary tables, subjournals) hold
 * and answers SQLITE_FULL past the cap. SQLite has no such limit of its own
 * (PRAGMA max_page_count binds the temp schema, not a sort's files), and
 * keeping temporary space in memory instead makes the reports twice as slow
 * and five times as big. Database files pass straight to the default VFS.
 */
#include <errno.h>
#include <string.h>
#include "sql/tempcap.h"
#include "lib/util.h"

#define TEMP_FLAGS                                                                                 \
	(SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL | SQLITE_OPEN_TRANSIENT_DB |               \
	 SQLITE_OPEN_SUBJOURNAL)

struct temp_file {
	sqlite3_file base;
	sqlite3_int64 size; /* the bytes counted for it: its high-water end */
	sqlite3_file *real; /* the default VFS's file, just after this struct */
};

static sqlite3_vfs vfs, *deflt;
static uint64_t used, cap, peak;

static struct temp_file *tf(sqlite3_file *f)
{
	return (struct temp_file *)f;
}

/* The file's end is now n bytes: count what it grew or shrank by. */
static void account(struct temp_file *t, sqlite3_int64 n)
{
	used = used + n - t->size;
	t->size = n;
	if (used > peak)
		peak = used;
}

static int t_close(sqlite3_file *f)
{
	account(tf(f), 0);
	return tf(f)->real->pMethods->xClose(tf(f)->real);
}

static int t_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	return tf(f)->real->pMethods->xRead(tf(f)->real, p, n, off);
}

static int t_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	struct temp_file *t = tf(f);

	if (off + n > t->size) {
		if (used + (off + n - t->size) > cap)
			return SQLITE_FULL;
		account(t, off + n);
	}
	return t->real->pMethods->xWrite(t->real, p, n, off);
}

static int t_truncate(sqlite3_file *f, sqlite3_int64 n)
{
	if (n < tf(f)->size)
		account(tf(f), n);
	return tf(f)->real->pMethods->xTruncate(tf(f)->real, n);
}

static int t_sync(sqlite3_file *f, int flags)
{
	return tf(f)->real->pMethods->xSync(tf(f)->real, flags);
}

static int t_size(sqlite3_file *f, sqlite3_int64 *n)
{
	return tf(f)->real->pMethods->xFileSize(tf(f)->real, n);
}

static int t_lock(sqlite3_file *f, int l)
{
	return tf(f)->real->pMethods->xLock(tf(f)->real, l);
}

static int t_unlock(sqlite3_file *f, int l)
{
	return tf(f)->real->pMethods->xUnlock(tf(f)->real, l);
}

static int t_reserved(sqlite3_file *f, int *out)
{
	return tf(f)->real->pMethods->xCheckReservedLock(tf(f)->real, out);
}

static int t_control(sqlite3_file *f, int op, void *arg)
{
	/* a size hint may grow the file past what t_write counted: not for these */
	if (op == SQLITE_FCNTL_SIZE_HINT || op == SQLITE_FCNTL_CHUNK_SIZE)
		return SQLITE_NOTFOUND;
	return tf(f)->real->pMethods->xFileControl(tf(f)->real, op, arg);
}

static int t_sector(sqlite3_file *f)
{
	return tf(f)->real->pMethods->xSectorSize(tf(f)->real);
}

static int t_device(sqlite3_file *f)
{
	return tf(f)->real->pMethods->xDeviceCharacteristics(tf(f)->real);
}

/* Version 1: no shared memory, no memory-mapped reads (temporary files need neither). */
static const sqlite3_io_methods temp_methods = {
	.iVersion = 1,
	.xClose = t_close,
	.xRead = t_read,
	.xWrite = t_write,
	.xTruncate = t_truncate,
	.xSync = t_sync,
	.xFileSize = t_size,
	.xLock = t_lock,
	.xUnlock = t_unlock,
	.xCheckReservedLock = t_reserved,
	.xFileControl = t_control,
	.xSectorSize = t_sector,
	.xDeviceCharacteristics = t_device,
};

static int t_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct temp_file *t = tf(f);
	int rc;

	/* a database file: the default VFS's own, in place (szOsFile leaves it room) */
	if (!(flags & TEMP_FLAGS) && name)
		return deflt->xOpen(deflt, name, f, flags, out);
	memset(t, 0, sizeof(*t));
	t->real = (sqlite3_file *)(t + 1);
	rc = deflt->xOpen(deflt, name, t->real, flags, out);
	if (rc == SQLITE_OK)
		f->pMethods = &temp_methods;
	return rc;
}

int ts_sql_tempcap_register(uint64_t max_bytes)
{
	cap = max_bytes;
	if (deflt)
		return 0;
	deflt = sqlite3_vfs_find(NULL);
	if (!deflt)
		return -ENOSYS;
	vfs = *deflt;
	vfs.zName = TS_SQL_TEMPCAP_VFS;
	vfs.szOsFile = sizeof(struct temp_file) + deflt->szOsFile;
	vfs.xOpen = t_open;
	vfs.pNext = NULL;
	return sqlite3_vfs_register(&vfs, 0) == SQLITE_OK ? 0 : -EIO;
}

uint64_t ts_sql_tempcap_peak(void)
{
	return peak;
}
