// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "record/hostid.h"
#include "lib/util.h"

/* The first line of a file, without its newline; "" if unreadable. */
static void first_line(const char *path, char *out, size_t len)
{
	char *nl;

	if (ts_read_file(path, out, len) <= 0) {
		out[0] = '\0';
		return;
	}
	nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
}

/* "NVIDIA H200 0000:19:00.0; ..." from /proc/driver/nvidia/gpus/ */
static void gpus(char *out, size_t len)
{
	DIR *d = opendir("/proc/driver/nvidia/gpus");
	struct dirent *e;
	size_t off = 0;

	out[0] = '\0';
	while (d && (e = readdir(d)) && off + 1 < len) {
		char path[512], info[2048], *model;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/driver/nvidia/gpus/%.200s/information",
			 e->d_name);
		if (ts_read_file(path, info, sizeof(info)) <= 0)
			continue;
		model = strstr(info, "Model:");
		if (model) {
			model += 6;
			model += strspn(model, " \t");
			model[strcspn(model, "\n")] = '\0';
		}
		off += snprintf(out + off, len - off, "%s%s %.64s", off ? "; " : "",
				model ? model : "GPU", e->d_name);
	}
	if (d)
		closedir(d);
}

void ts_host_identity(char *host, size_t hlen, char *kv, size_t kvlen)
{
	char mid[64], boot[64], drv[256], g[512];
	struct utsname u;

	if (gethostname(host, hlen))
		snprintf(host, hlen, "unknown");
	host[hlen - 1] = '\0';
	first_line("/etc/machine-id", mid, sizeof(mid));
	first_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
	first_line("/sys/module/nvidia/version", drv, sizeof(drv));
	gpus(g, sizeof(g));
	if (uname(&u))
		u.release[0] = '\0';
	snprintf(kv, kvlen, "machine_id=%s\nboot_id=%s\nkernel=%s\nnvidia_driver=%s\ngpus=%s\n",
		 mid, boot, u.release, drv, g);
}

void ts_host_value(const char *kv, size_t len, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key), i = 0;

	out[0] = '\0';
	while (i < len) {
		const char *line = kv + i, *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;

		if (ll > kl && !memcmp(line, key, kl) && line[kl] == '=') {
			snprintf(out, outlen, "%.*s", (int)(ll - kl - 1), line + kl + 1);
			return;
		}
		i += ll + 1;
	}
}
