// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "probe/curesult.h"
#include "record/decode.h"
#include "probe/hooks.h"
#include "record/hostid.h"
#include "run/live.h"
#include "lib/util.h"
#include "record/validate.h"

static int put(struct ts_live *l, const void *rec)
{
	int err;

	if (l->err)
		return l->err;
	err = l->sink->put(l->sink, rec);
	if (err)
		l->err = err;
	return err;
}

/* The NVIDIA kernel driver's major version (535, 580, ...), 0 when not loaded. */
static unsigned long driver_major(void)
{
	char v[32];

	return ts_read_file("/sys/module/nvidia/version", v, sizeof(v)) > 0 ? strtoul(v, NULL, 10)
									    : 0;
}

static int describe_lib(struct ts_live *l, uint64_t ts)
{
	static char buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));
	const char *lib = l->lib ? l->lib : "", *bid = l->build_id ? l->build_id : "";

	ts_meta_build(buf, TS_REC_META_LIB, 0, ts, 0, driver_major(), 0, lib, strlen(lib), bid,
		      strlen(bid));
	return put(l, buf);
}

/* Which machine this is: merge tells captures of many nodes apart by it. */
static int describe_host(struct ts_live *l, uint64_t ts)
{
	static char buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));
	char host[256], kv[2048];

	ts_host_identity(host, sizeof(host), kv, sizeof(kv));
	ts_meta_build(buf, TS_REC_META_HOST, 0, ts, 0, 0, 0, host, strlen(host), kv, strlen(kv));
	return put(l, buf);
}

int ts_live_start(struct ts_live *l, uint64_t mode, uint64_t mono, const char *version,
		  const char *cmdline)
{
	static char buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));
	const struct ts_sym *syms;
	unsigned int i, n = ts_syms(&syms);
	uint64_t real = ts_now_ns(CLOCK_REALTIME), boot = ts_now_ns(CLOCK_BOOTTIME);
	int err;

	if (!mono)
		mono = ts_now_ns(CLOCK_MONOTONIC);
	ts_names_init(&l->names, l->build_id);

	/* the mode in aux; realtime and boottime read with the monotonic base */
	ts_meta_build(buf, TS_REC_META_START, 0, mono, mode, real, boot, version, strlen(version),
		      cmdline, strlen(cmdline));
	err = put(l, buf);
	if (!err)
		err = describe_host(l, mono);
	if (!err)
		err = describe_lib(l, mono);
	for (i = 0; i < n && !err; i++) {
		const char *hook = ts_hooks[syms[i].hook].name;

		ts_meta_build(buf, TS_REC_META_SYM, 0, mono, i, 0, 0, syms[i].name,
			      strlen(syms[i].name), hook, strlen(hook));
		err = put(l, buf);
	}
	return err;
}

/* The process's command line, NULs turned to spaces; its comm if it has none. */
static size_t proc_cmdline(uint32_t pid, char *buf, size_t len)
{
	char path[64];
	int n, i;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	n = ts_read_file(path, buf, len);
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	if (n <= 0) {
		snprintf(path, sizeof(path), "/proc/%u/comm", pid);
		n = ts_read_file(path, buf, len);
		while (n > 0 && buf[n - 1] == '\n')
			n--;
	}
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	return n > 0 ? n : 0;
}

/* The process's cgroup (v2: the "0::" line): which container it runs in. */
static size_t proc_cgroup(uint32_t pid, char *buf, size_t len)
{
	char path[64], *line, *nl;
	int n;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	n = ts_read_file(path, buf, len);
	if (n <= 0)
		return 0;
	line = strstr(buf, "0::");
	line = line ? line + 3 : buf;
	nl = strchr(line, '\n');
	if (nl)
		*nl = '\0';
	memmove(buf, line, strlen(line) + 1);
	return strlen(buf);
}

int ts_live_describe(struct ts_live *l, uint32_t pid, uint64_t ts, const char *cmd, size_t n)
{
	static char buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));
	const char *now = ts_hmap_get_ptr(&l->seen, pid, 0);
	char cg[512];
	size_t cglen;

	/*
	 * The name it has now, again or cut short (the kernel's argv is at most
	 * TS_MAX_ARGV bytes): nothing to say.
	 */
	if (now && n <= strlen(now) && !memcmp(now, cmd, n) &&
	    (n == strlen(now) || n >= TS_MAX_ARGV - 1))
		return 0;
	if (ts_hmap_put_owned(&l->seen, pid, 0, strndup(cmd, n)))
		return -ENOMEM;
	cglen = proc_cgroup(pid, cg, sizeof(cg));
	ts_meta_build(buf, TS_REC_META_PROC, pid, ts, 0, 0, 0, cmd, n, cg, cglen);
	return put(l, buf);
}

/*
 * The kernel's word on who a process is (TS_REC_PROC): its argv, NULs as
 * spaces, or its comm when the argv could not be read. The first one names
 * the process; an exec renames it.
 */
static int proc_record(struct ts_live *l, const struct ts_rec_proc *r)
{
	char cmd[TS_MAX_ARGV];
	size_t n = r->argv_len, i;

	if (!(r->hdr.flags & TS_PROC_F_EXEC) && ts_hmap_get(&l->seen, r->hdr.pid, 0))
		return 0;
	memcpy(cmd, r->argv, n);
	while (n && cmd[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	if (!n) {
		n = strnlen(r->comm, sizeof(r->comm));
		memcpy(cmd, r->comm, n);
	}
	return ts_live_describe(l, r->hdr.pid, r->hdr.ts, cmd, n);
}

int ts_live_describe_pid(struct ts_live *l, uint32_t pid, uint64_t ts)
{
	char cmd[TS_META_MAX_STR];

	if (ts_hmap_get(&l->seen, pid, 0))
		return 0;
	return ts_live_describe(l, pid, ts, cmd, proc_cmdline(pid, cmd, sizeof(cmd)));
}

/* The driver itself says it is NVIDIA's stub: say so once, and what to do. */
static void stub_check(struct ts_live *l, const struct ts_rec_api *r)
{
	if (r->ret != TS_CUDA_ERROR_STUB_LIBRARY || l->stub_seen)
		return;
	l->stub_seen = true;
	warn("%s is the CUDA toolkit's stub libcuda (a call returned CUDA_ERROR_STUB_LIBRARY): "
	     "no GPU work can run with it.\n  Run the program with the NVIDIA driver's "
	     "libcuda.so.1 first in its library path, and point --lib at that one.\n",
	     l->lib && l->lib[0] ? l->lib : "the hooked library");
}

/* The value with this role in the call, or 0. */
static uint64_t call_val(const struct ts_call *call, enum ts_role role)
{
	uint64_t v = 0;

	ts_call_val(call, role, &v);
	return v;
}

/*
 * cuKernelGetFunction: the function is named after its kernel, if the kernel's
 * name was seen. The CUDA runtime calls it before every launch of a lazily
 * loaded kernel, so a kernel loaded before the trace began shows up here
 * first: its function is named from the driver's objects now (the
 * function's, else the kernel's), said in a META_NAME.
 */
static int names_of_function(struct ts_live *l, const struct ts_rec_api *r,
			     const struct ts_call *call)
{
	static char buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));
	uint64_t func = call_val(call, ROLE_OUT_HANDLE), kernel = call_val(call, ROLE_KERNEL);
	char name[TS_MAX_STR];

	if (ts_names_is_named(&l->names, r->hdr.pid, kernel)) {
		ts_names_known(&l->names, r->hdr.pid, func);
		return 0;
	}
	if (!ts_names_recover_function(&l->names, r->hdr.pid, func, kernel, name, sizeof(name)))
		return 0;
	ts_meta_build(buf, TS_REC_META_NAME, r->hdr.pid, r->hdr.ts, 0, func, 0, name, strlen(name),
		      NULL, 0);
	return put(l, buf);
}

/*
 * Names seen resolved teach where the driver keeps them; a launch of an
 * object never seen named gets its name read from it (names.h), said in a
 * META_NAME before the launch.
 */
static int names_on_api(struct ts_live *l, const struct ts_rec_api *r)
{
	static char buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));
	const struct ts_sym *syms;
	unsigned int n = ts_syms(&syms);
	struct ts_call call;
	char name[TS_MAX_STR];
	uint64_t func;

	if (r->hdr.aux >= n || r->ret)
		return 0;
	/* the same view of the record as the decoder's: values by role, at their C widths */
	ts_call_init(&call, r, &ts_hooks[syms[r->hdr.aux].hook]);
	if (!call.hook)
		return 0;
	switch (call.hook->sem) {
	case TS_SEM_NAME_FUNC:
	case TS_SEM_NAME_KERNEL:
		ts_names_seen(&l->names, r->hdr.pid, call_val(&call, ROLE_OUT_HANDLE), call.str,
			      call.str_len);
		return 0;
	case TS_SEM_GET_NAME:
		ts_names_seen(&l->names, r->hdr.pid, call_val(&call, ROLE_FUNC), call.str,
			      call.str_len);
		return 0;
	case TS_SEM_KERNEL_TO_FUNC:
		return names_of_function(l, r, &call);
	case TS_SEM_LAUNCH:
	case TS_SEM_GRAPH_ADD_KERNEL:
	case TS_SEM_GRAPH_EXEC_KERNEL:
		func = call_val(&call, ROLE_FUNC);
		if (!ts_names_recover(&l->names, r->hdr.pid, func, name, sizeof(name)))
			return 0;
		ts_meta_build(buf, TS_REC_META_NAME, r->hdr.pid, r->hdr.ts, 0, func, 0, name,
			      strlen(name), NULL, 0);
		return put(l, buf);
	default:
		return 0;
	}
}

static const char *gpu_fail_reason(uint32_t why)
{
	switch (why) {
	case TS_GPUF_NO_CUPTI:
		return "libcupti not found beside its libcudart, in ld.so's cache, $CUDA_HOME or "
		       "/usr/local/cuda (give --cupti PATH)";
	case TS_GPUF_OPEN:
		return "the libcupti given with --cupti would not load";
	case TS_GPUF_VERSION:
		return "its CUPTI is older than CUDA 12.0's";
	case TS_GPUF_SUBSCRIBER:
		return "another profiler (nsys, the PyTorch profiler, ...) holds CUPTI's only "
		       "subscriber slot";
	case TS_GPUF_NOT_CUPTI:
		return "the libcupti found lacks a function it needs";
	default:
		return "CUPTI would not start";
	}
}

/* The injection library's word: said on stderr once, as it happens. */
static void gpu_info(struct ts_live *l, const struct ts_rec_gpu_info *r)
{
	char msg[TS_GPU_MSG + 1];

	size_t i;

	/* the traced process wrote it: printable ASCII only reaches the terminal */
	memcpy(msg, r->msg, TS_GPU_MSG);
	msg[TS_GPU_MSG] = '\0';
	for (i = 0; msg[i]; i++)
		if (msg[i] < 0x20 || msg[i] > 0x7e)
			msg[i] = '?';
	switch (r->hdr.flags) {
	case TS_GPUI_STARTED:
		l->gpu_started++;
		debug("--gpu-time: pid %u: CUPTI %llu (%s)\n", r->hdr.pid,
		      (unsigned long long)r->v[0], msg);
		break;
	case TS_GPUI_FAILED:
		l->gpu_failed++;
		warn("--gpu-time: no GPU times for pid %u: %s%s%s; its GPU slices keep host-submit "
		     "times\n",
		     r->hdr.pid, gpu_fail_reason(r->hdr.aux), msg[0] ? ": " : "", msg);
		break;
	case TS_GPUI_DROPPED:
		/* the process's word: a count no run reaches is not said (the decoder counts it) */
		if (ts_rec_validate(r, 0) == TS_VALID)
			l->cupti_dropped = ts_sat_add(l->cupti_dropped, r->v[0]);
		break;
	default:
		break;
	}
}

/*
 * --stacks: a call's site. Its caller is named at first sight (META_CALLER,
 * before the stack that names it); a process whose interpreter is not
 * settled yet (not found, or its layout not checked) is looked at again.
 */
static int stack_record(struct ts_live *l, const struct ts_rec_stack *r)
{
	static char buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));
	const struct ts_live_sites *s = l->sites;
	char name[1024];

	if (!s)
		return 0;
	s->look(s->ctx, r->hdr.pid);
	if (!s->caller(s->ctx, r->hdr.pid, r->caller, name, sizeof(name)))
		return 0;
	ts_meta_build(buf, TS_REC_META_CALLER, r->hdr.pid, r->hdr.ts, 0, r->caller, 0, name,
		      strlen(name), NULL, 0);
	return put(l, buf);
}

int ts_live_on_record(void *ctx, void *data, size_t size)
{
	struct ts_live *l = ctx;
	const struct ts_rec_hdr *h = data;
	int err;

	l->records++;
	if (ts_rec_check(data, size) != TS_REC_OK) {
		l->bad++;
		return 0;
	}
	/* its process may be stopped, waiting for it: acted on at once, never kept */
	if (h->kind == TS_REC_LIB_MAP) {
		if (l->on_lib_map)
			l->on_lib_map(l->lib_map_ctx, data);
		return 0;
	}
	/*
	 * --start-at: the window has not begun. A code object's description is
	 * kept: BPF describes each once, and later stacks name it.
	 */
	if (h->ts < l->start_ns && h->kind != TS_REC_EXIT && h->kind != TS_REC_PYCODE)
		return 0;
	if (h->kind == TS_REC_API) {
		l->api_calls++;
		stub_check(l, data);
		err = names_on_api(l, data);
		if (err)
			return err;
	}
	if (h->kind == TS_REC_PROC) {
		/* an exec: another program, maybe another interpreter or none */
		if (l->sites && (h->flags & TS_PROC_F_EXEC)) {
			debug("--stacks: pid %u execs: its interpreter is looked for anew\n",
			      h->pid);
			l->sites->exit(l->sites->ctx, h->pid);
		}
		if (l->sites)
			l->sites->proc(l->sites->ctx, h->pid);
		return proc_record(l, data);
	}
	if (h->kind == TS_REC_STACK) {
		err = stack_record(l, data);
		if (err)
			return err;
	}
	if (h->kind == TS_REC_GPU_INFO)
		gpu_info(l, data);
	if (h->kind == TS_REC_GPU)
		l->gpu_records++;
	if (h->kind == TS_REC_EXIT) {
		err = put(l, data);
		if (!(h->flags & TS_EXIT_F_THREAD))
			ts_hmap_free_owned(&l->seen, false, h->pid);
		if (!(h->flags & TS_EXIT_F_THREAD) && l->sites)
			l->sites->exit(l->sites->ctx, h->pid);
		return err;
	}
	err = ts_live_describe_pid(l, h->pid, h->ts);
	return err ? err : put(l, data);
}

int ts_live_end(struct ts_live *l, uint64_t drops)
{
	static char buf[TS_META_BUF_SIZE] __attribute__((aligned(8)));
	uint64_t now = ts_now_ns(CLOCK_MONOTONIC);
	int err;

	ts_meta_build(buf, TS_REC_META_DROPS, 0, now, 0, drops, l->bad, NULL, 0, NULL, 0);
	err = put(l, buf);
	if (err)
		return err;
	ts_names_finish(&l->names);
	if (l->gpu_time && l->api_calls && !l->gpu_started && !l->gpu_failed)
		warn("--gpu-time: the CUPTI injection library never started: the program made no "
		     "cuInit through this libcuda, or cleared CUDA_INJECTION64_PATH; GPU slices "
		     "keep host-submit times\n");
	if (l->cupti_dropped)
		warn("--gpu-time: CUPTI dropped %llu activity records (its buffers were full): "
		     "those GPU slices keep host-submit times\n",
		     (unsigned long long)l->cupti_dropped);
	ts_meta_build(buf, TS_REC_META_END, 0, now, 0, 0, 0, NULL, 0, NULL, 0);
	return put(l, buf);
}

void ts_live_free(struct ts_live *l)
{
	if (!l)
		return;
	ts_names_free(&l->names);
	ts_hmap_free_owned(&l->seen, true, 0);
}
