// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include "probe/hooks.h"
#include "probe/libfind.h"
#include "probe/abi.h"
#include "lib/util.h"

#define LIBCUDA "libcuda.so.1"

static const char *const std_dirs[] = {
	ts_abi_libdir,
	"/usr/lib64",
	"/usr/lib",
	"/usr/local/nvidia/lib64",
	"/usr/local/nvidia/lib",
	"/usr/lib/wsl/lib",
	"/usr/local/cuda/compat",
};

static int is_file(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISREG(st.st_mode);
}

static int same_root(pid_t pid)
{
	struct stat a, b;
	char p[64];

	snprintf(p, sizeof(p), "/proc/%d/root", pid);
	return !stat(p, &a) && !stat("/", &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The libcuda a running process has mapped, seen from our mount namespace. */
static int from_maps(pid_t pid, char *path, size_t len)
{
	char p[64], line[TS_PATH_MAX + 128];
	int found = -ENOENT;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/maps", pid);
	f = fopen(p, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *file = strchr(line, '/'), *nl;

		if (!file || !strstr(file, "/libcuda.so"))
			continue;
		nl = strchr(file, '\n');
		if (nl)
			*nl = '\0';
		if (same_root(pid))
			snprintf(path, len, "%s", file);
		else
			snprintf(path, len, "/proc/%d/root%s", pid, file);
		found = 0;
		break;
	}
	fclose(f);
	return found;
}

static int from_dirs(const char *prefix, const char *dirs, char sep, char *path, size_t len)
{
	const char *d = dirs;

	while (d && *d) {
		const char *end = strchr(d, sep);
		size_t n = end ? (size_t)(end - d) : strlen(d);

		if (n) {
			snprintf(path, len, "%s%.*s/%s", prefix, (int)n, d, LIBCUDA);
			if (is_file(path))
				return 0;
		}
		d = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

static int from_ldcache(char *path, size_t len)
{
	char line[TS_PATH_MAX + 128];
	int found = -ENOENT;
	FILE *f;

	f = popen("/sbin/ldconfig -p 2>/dev/null", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *arrow = strstr(line, "=> "), *nl;

		if (!arrow || !strstr(line, LIBCUDA " ") || !strstr(line, ts_abi_ldconfig))
			continue;
		nl = strchr(arrow, '\n');
		if (nl)
			*nl = '\0';
		snprintf(path, len, "%s", arrow + 3);
		if (is_file(path)) {
			found = 0;
			break;
		}
	}
	pclose(f);
	return found;
}

int ts_lib_find(pid_t pid, const char *override, char *path, size_t len)
{
	static char found[1][TS_PATH_MAX];
	char prefix[64] = "";
	unsigned int i;

	if (override) {
		struct stat st;

		if (!stat(override, &st) && S_ISDIR(st.st_mode)) {
			warn("--lib %s: is a directory; give the path of %s in it\n", override,
			     LIBCUDA);
			return -EISDIR;
		}
		if (!is_file(override)) {
			warn("--lib %s: no such file\n", override);
			return -ENOENT;
		}
		snprintf(path, len, "%s", override);
		return 0;
	}
	if (pid > 0) {
		if (!from_maps(pid, path, len))
			return 0;
		if (!same_root(pid))
			snprintf(prefix, sizeof(prefix), "/proc/%d/root", pid);
	}
	if (!prefix[0] && !from_dirs("", getenv("LD_LIBRARY_PATH"), ':', path, len))
		return 0;
	if (!prefix[0] && !from_ldcache(path, len))
		return 0;
	for (i = 0; i < ARRAY_SIZE(std_dirs); i++)
		if (!from_dirs(prefix, std_dirs[i], ':', path, len))
			return 0;
	/* system-wide with no driver on the host: a container's copy still counts */
	if (pid < 0 && ts_lib_scan_procs(found, 1, NULL) == 1) {
		snprintf(path, len, "%s", found[0]);
		return 0;
	}
	warn("cannot find %s (looked in %s, LD_LIBRARY_PATH, the ld.so cache and the usual "
	     "driver directories).\n  Is the NVIDIA driver installed? Point at it with --lib PATH.\n",
	     LIBCUDA, pid > 0 ? "the process's mappings" : "");
	return -ENOENT;
}

/* Is path inside the folder dir (both as given, no links resolved)? */
static bool is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && path[n] == '/';
}

bool ts_lib_name_is(const char *base, const char *soname)
{
	size_t n = strlen(soname);

	return !strncmp(base, soname, n) && (base[n] == '\0' || base[n] == '.');
}

int ts_lib_maps(pid_t pid, const char *soname, char (*paths)[TS_PATH_MAX], unsigned int max)
{
	char p[64], line[TS_PATH_MAX + 128];
	bool here = same_root(pid);
	unsigned int n = 0, i;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/maps", pid);
	f = fopen(p, "re");
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char *file = strchr(line, '/'), *nl, *base;

		if (!file)
			continue;
		nl = strchr(file, '\n');
		if (nl)
			*nl = '\0';
		base = strrchr(file, '/') + 1;
		if (!ts_lib_name_is(base, soname))
			continue;
		if (here)
			snprintf(paths[n], TS_PATH_MAX, "%s", file);
		else
			snprintf(paths[n], TS_PATH_MAX, "/proc/%d/root%s", pid, file);
		for (i = 0; i < n && strcmp(paths[i], paths[n]); i++)
			;
		n += i == n; /* each file once (its segments are several lines) */
	}
	fclose(f);
	return n;
}

int ts_lib_scan_procs(char (*paths)[TS_PATH_MAX], unsigned int max, const char *under)
{
	struct {
		dev_t dev;
		ino_t ino;
	} seen[64];
	unsigned int n = 0, nseen = 0, i;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char path[TS_PATH_MAX];
		pid_t pid = atoi(de->d_name);
		struct stat st;

		if (pid <= 0 || from_maps(pid, path, sizeof(path)) || stat(path, &st))
			continue;
		if (under && !is_under(path, under))
			continue;
		for (i = 0; i < nseen; i++)
			if (seen[i].dev == st.st_dev && seen[i].ino == st.st_ino)
				break;
		if (i < nseen || nseen == ARRAY_SIZE(seen))
			continue;
		seen[nseen].dev = st.st_dev;
		seen[nseen++].ino = st.st_ino;
		snprintf(paths[n++], TS_PATH_MAX, "%s", path);
	}
	closedir(d);
	return n;
}

static int cmp_sym(const void *a, const void *b)
{
	return strcmp(((const struct ts_sym *)a)->name, ((const struct ts_sym *)b)->name);
}

/* Symbol value -> file offset, through the PT_LOAD segment that holds it. */
static uint64_t file_offset(Elf *e, uint64_t vaddr)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(e, &n))
		return 0;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz)
			return vaddr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

static void read_build_id(Elf *e, char *out, size_t len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (len)
		out[0] = '\0';
	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			size_t i;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4)
				continue;
			for (i = 0; i < nh.n_descsz && 2 * i + 2 < len; i++)
				snprintf(out + 2 * i, 3, "%02x",
					 ((unsigned char *)d->d_buf)[doff + i]);
			return;
		}
	}
}

/* fn(name, value) for each function e defines in .dynsym, until fn returns true */
static void each_dynsym_func(Elf *e, bool (*fn)(void *ctx, const char *name, uint64_t value),
			     void *ctx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; d && i < n; i++) {
			const char *name;
			GElf_Sym s;

			if (!gelf_getsym(d, i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    s.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(e, sh.sh_link, s.st_name);
			if (name && fn(ctx, name, s.st_value))
				return;
		}
	}
}

struct scan {
	Elf *e;
	const struct ts_sym *sorted;
	const unsigned int *order;
	unsigned int nsyms;
	uint64_t *offsets;
	int found;
};

static bool scan_one(void *ctx, const char *name, uint64_t value)
{
	struct scan *sc = ctx;
	struct ts_sym key = { .name = name }, *hit;

	hit = bsearch(&key, sc->sorted, sc->nsyms, sizeof(key), cmp_sym);
	if (!hit || sc->offsets[sc->order[hit - sc->sorted]])
		return false;
	sc->offsets[sc->order[hit - sc->sorted]] = file_offset(sc->e, value);
	sc->found += !!sc->offsets[sc->order[hit - sc->sorted]];
	return false;
}

static int scan_dynsym(Elf *e, const struct ts_sym *sorted, const unsigned int *order,
		       unsigned int nsyms, uint64_t *offsets)
{
	struct scan sc = { e, sorted, order, nsyms, offsets, 0 };

	each_dynsym_func(e, scan_one, &sc);
	return sc.found;
}

int ts_lib_symbols(const char *path, int lib, uint64_t *offsets, unsigned int nsyms, char *build_id,
		   size_t build_id_len)
{
	const struct ts_sym *syms;
	struct ts_sym *sorted = NULL;
	unsigned int *order = NULL, i;
	Elf *e = NULL;
	int fd, ret;

	if (ts_syms(&syms) != nsyms)
		return -EINVAL;
	memset(offsets, 0, nsyms * sizeof(*offsets));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	sorted = malloc(nsyms * sizeof(*sorted));
	order = malloc(nsyms * sizeof(*order));
	if (!e || elf_kind(e) != ELF_K_ELF || !sorted || !order) {
		ret = e && elf_kind(e) != ELF_K_ELF ? -ENOEXEC : -ENOMEM;
		goto cleanup;
	}
	/* sort a copy by name; stash each one's original index in .hook */
	for (i = 0; i < nsyms; i++)
		sorted[i] = (struct ts_sym){ syms[i].name, i };
	qsort(sorted, nsyms, sizeof(*sorted), cmp_sym);
	for (i = 0; i < nsyms; i++)
		order[i] = sorted[i].hook;
	read_build_id(e, build_id, build_id_len);
	ret = scan_dynsym(e, sorted, order, nsyms, offsets);
	/* a hook belongs to one library (the table says which): the others' names are not it */
	for (i = 0; ret > 0 && i < nsyms; i++)
		if (offsets[i] && ts_hooks[syms[i].hook].lib != lib) {
			offsets[i] = 0;
			ret--;
		}
cleanup:
	free(sorted);
	free(order);
	if (e)
		elf_end(e);
	close(fd);
	return ret;
}

struct find {
	Elf *e;
	const char *name;
	uint64_t off;
};

static bool find_one(void *ctx, const char *name, uint64_t value)
{
	struct find *f = ctx;

	if (strcmp(name, f->name))
		return false;
	f->off = file_offset(f->e, value);
	return true;
}

int ts_elf_func_offset(const char *path, const char *name, uint64_t *off)
{
	struct find f = { .name = name };
	int fd;

	*off = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	f.e = elf_begin(fd, ELF_C_READ, NULL);
	if (f.e)
		each_dynsym_func(f.e, find_one, &f);
	if (f.e)
		elf_end(f.e);
	close(fd);
	*off = f.off;
	return f.off ? 0 : -ENOENT;
}
