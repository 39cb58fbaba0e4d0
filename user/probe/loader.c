// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "probe/hooks.h"
#include "probe/loader.h"
#include "tracesmith.skel.h"
#include "lib/util.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#define CAP_BPF	    39
#endif

static bool has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* tracefs is where tracepoint ids live; a fresh VM may not have it mounted. */
static void ensure_tracefs(void)
{
	struct stat st;

	if (!stat("/sys/kernel/tracing/events", &st) ||
	    !stat("/sys/kernel/debug/tracing/events", &st))
		return;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) && errno != EBUSY)
		debug("could not mount tracefs on /sys/kernel/tracing: %s\n", strerror(errno));
}

int ts_probes_preflight(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};
	struct rlimit rl;
	struct stat st;

	if (syscall(SYS_capget, &h, d) == 0 && !has_cap(d, CAP_SYS_ADMIN) &&
	    !(has_cap(d, CAP_BPF) && has_cap(d, CAP_PERFMON))) {
		bool bpf = has_cap(d, CAP_BPF), perf = has_cap(d, CAP_PERFMON);

		warn("tracing needs root, or the capabilities CAP_BPF and CAP_PERFMON; this "
		     "process has %s.\n"
		     "  Run it with sudo, or: sudo setcap cap_bpf,cap_perfmon+ep $(which "
		     "tracesmith-bpf)\n"
		     "  Without them, `replay` and `stats` of a capture still work.\n",
		     bpf    ? "CAP_BPF but not CAP_PERFMON"
		     : perf ? "CAP_PERFMON but not CAP_BPF"
			    : "neither (and is not root)");
		return -EPERM;
	}
	if (stat("/sys/kernel/btf/vmlinux", &st)) {
		warn("this kernel has no BTF (/sys/kernel/btf/vmlinux is missing).\n"
		     "  tracesmith-bpf needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.11+).\n");
		return -ENOTSUP;
	}
	ensure_tracefs();
	/* one perf event fd per probe: ~250 of them */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max &&
	    (rl.rlim_cur = rl.rlim_max, setrlimit(RLIMIT_NOFILE, &rl)))
		debug("could not raise RLIMIT_NOFILE: %s\n", strerror(errno));
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && ts_verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && !ts_verbose)
		return 0;
	vwarn(fmt, ap);
	return 0;
}

/* The kernel's uprobe_multi link: not in libbpf 1.1, so called directly. */
#define TS_BPF_TRACE_UPROBE_MULTI    48
#define TS_BPF_TRACE_UPROBE_SESSION  57
#define TS_BPF_F_UPROBE_MULTI_RETURN 1

struct uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 mflags;
	__u32 pid;
	__u32 pad;
};

static bool have_uprobe_multi(const struct btf *btf)
{
	return btf && btf__find_by_name_kind(btf, "bpf_uprobe_multi_link", BTF_KIND_STRUCT) > 0;
}

/* Does the kernel's enum name have the value val? */
static bool btf_enum_has(const struct btf *btf, const char *name, const char *val)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_enum *e = t ? btf_enum(t) : NULL;
	int i;

	for (i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, e[i].name_off), val))
			return true;
	return false;
}

/*
 * uprobe sessions (6.13+): the attach type, and the kfunc that tells entry
 * from return (6.10 has the kfunc for kprobe sessions only).
 */
static bool have_uprobe_session(const struct btf *btf)
{
	return btf && btf__find_by_name_kind(btf, "bpf_session_is_return", BTF_KIND_FUNC) > 0 &&
	       btf_enum_has(btf, "bpf_attach_type", "BPF_TRACE_UPROBE_SESSION");
}

static int attach_multi(struct ts_probes *p, const char *lib, const uint64_t *offs,
			const uint64_t *cookies, unsigned int n)
{
	struct bpf_program *progs[2] = { p->skel->progs.ts_api_entry_multi,
					 p->skel->progs.ts_api_return_multi };
	int i, fd;

	if (p->session)
		progs[0] = p->skel->progs.ts_api_session;
	for (i = 0; i < (p->session ? 1 : 2); i++) {
		struct uprobe_multi_attr a = {
			.prog_fd = bpf_program__fd(progs[i]),
			.attach_type = p->session ? TS_BPF_TRACE_UPROBE_SESSION
						  : TS_BPF_TRACE_UPROBE_MULTI,
			.path = (uintptr_t)lib,
			.offsets = (uintptr_t)offs,
			.cookies = (uintptr_t)cookies,
			.cnt = n,
			.mflags = i ? TS_BPF_F_UPROBE_MULTI_RETURN : 0,
			.pid = 0, /* every process: BPF filters by pid */
		};

		fd = syscall(SYS_bpf, BPF_LINK_CREATE, &a, sizeof(a));
		if (fd < 0)
			return -errno;
		p->fds[p->nfds++] = fd;
	}
	return 0;
}

static int attach_perf(struct ts_probes *p, const char *lib, const uint64_t *offs,
		       const uint64_t *cookies, unsigned int n)
{
	unsigned int i;

	struct bpf_link **links = realloc(p->links, (p->nlinks + 2 * n) * sizeof(*links));

	if (!links)
		return -ENOMEM;
	p->links = links;
	for (i = 0; i < 2 * n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = cookies[i / 2], .retprobe = i % 2);
		struct bpf_program *prog =
			i % 2 ? p->skel->progs.ts_api_return : p->skel->progs.ts_api_entry;
		struct bpf_link *l;

		/* by file and offset: it fires in processes that load libcuda later too */
		l = bpf_program__attach_uprobe_opts(prog, -1, lib, offs[i / 2], &uo);
		if (!l)
			return -errno;
		p->links[p->nlinks++] = l;
	}
	return 0;
}

int ts_probes_attach_lib(struct ts_probes *p, const char *lib, const uint64_t *offsets)
{
	const struct ts_sym *syms;
	unsigned int i, n = ts_syms(&syms), k = 0;
	uint64_t *offs = calloc(n, sizeof(*offs)), *cookies = calloc(n, sizeof(*cookies));
	int err = -ENOMEM;

	if (!offs || !cookies)
		goto cleanup;
	for (i = 0; i < n; i++) {
		if (!offsets[i])
			continue;
		offs[k] = offsets[i];
		/* the spec as loaded (ts_probes_open): what the entry would read, in the cookie */
		cookies[k++] =
			TS_COOKIE(i, syms[i].hook, &p->skel->rodata->hook_specs[syms[i].hook]);
	}
	if (p->multi && p->nfds + 2 > ARRAY_SIZE(p->fds)) {
		err = -E2BIG;
		goto cleanup;
	}
	err = p->multi ? attach_multi(p, lib, offs, cookies, k)
		       : attach_perf(p, lib, offs, cookies, k);
	if (err)
		warn("cannot attach uprobes to %s: %s\n", lib, strerror(-err));
	else
		p->nsyms_attached += k;
cleanup:
	free(offs);
	free(cookies);
	return err;
}

/* The driver layer's tracepoint ids live in tracefs: say exactly why it is off. */
static bool have_syscall_tracepoints(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[128];
	struct stat st;
	unsigned int i;
	int err = ENOENT;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_ioctl", dirs[i]);
		if (!stat(path, &st))
			return true;
		if (errno == EACCES)
			err = EACCES;
	}
	if (err == EACCES)
		warn("cannot read tracefs (/sys/kernel/tracing is root-only here): tracing "
		     "without the driver layer.\n  Run as root for it, or give this user read "
		     "access to /sys/kernel/tracing/events.\n");
	else if (stat("/sys/kernel/tracing/events", &st) && errno == ENOENT)
		warn("tracefs is not mounted and mounting it needs root (CAP_SYS_ADMIN): tracing "
		     "without the driver layer.\n  Mount it: sudo mount -t tracefs nodev "
		     "/sys/kernel/tracing\n");
	else
		warn("this kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS): tracing "
		     "without the driver layer\n");
	return false;
}

static void set_driver_autoload(struct tracesmith_bpf *skel, bool on)
{
	struct bpf_program *progs[] = {
		skel->progs.ts_ioctl_enter, skel->progs.ts_ioctl_exit,	 skel->progs.ts_mmap_enter,
		skel->progs.ts_mmap_exit,   skel->progs.ts_openat_enter, skel->progs.ts_openat_exit,
		skel->progs.ts_close_enter, skel->progs.ts_close_exit,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(progs); i++)
		bpf_program__set_autoload(progs[i], on);
}

_Static_assert(TS_LIB__COUNT <= TS_MAX_WATCHED, "a watched library's slot is its ts_lib_id");

/* The upper libraries' sonames, watched for in mmap (slot = enum ts_lib_id) */
static void set_lib_names(struct tracesmith_bpf *skel, bool opt_in)
{
	unsigned int i;

	for (i = 0; i < TS_LIB__COUNT; i++) {
		struct ts_lib_name *n = (struct ts_lib_name *)&skel->rodata->lib_names[i];

		if (!ts_lib_watched(i, opt_in) || strlen(ts_libs[i].soname) >= sizeof(n->name))
			continue;
		snprintf(n->name, sizeof(n->name), "%s", ts_libs[i].soname);
		n->len = strlen(n->name);
	}
}

struct handoff {
	struct bpf_program *prog;
	const char *func;
};

/* Uprobes on an injection library's hand-off functions, by file: they fire once a process loads it. */
static int attach_handoffs(struct ts_probes *p, const char *lib, const struct handoff *hooks,
			   unsigned int n)
{
	struct bpf_link **links = realloc(p->links, (p->nlinks + n) * sizeof(*links));
	unsigned int i;

	if (!links)
		return -ENOMEM;
	p->links = links;
	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = hooks[i].func);
		struct bpf_link *l =
			bpf_program__attach_uprobe_opts(hooks[i].prog, -1, lib, 0, &uo);

		if (!l) {
			warn("cannot hook %s in %s: %s\n", hooks[i].func, lib, strerror(errno));
			return -errno;
		}
		p->links[p->nlinks++] = l;
	}
	return 0;
}

/* --gpu-time: the injection library hands CUPTI's records to two functions of its own. */
static int attach_gpu(struct ts_probes *p, const char *lib)
{
	const struct handoff hooks[] = {
		{ p->skel->progs.ts_gpu_batch, "ts_cupti_deliver" },
		{ p->skel->progs.ts_gpu_name, "ts_cupti_name" },
	};

	return attach_handoffs(p, lib, hooks, ARRAY_SIZE(hooks));
}

/* NVTX: the injection library hands each thread's batch of events to one function. */
static int attach_nvtx(struct ts_probes *p, const char *lib)
{
	const struct handoff hooks[] = { { p->skel->progs.ts_nvtx_batch, "ts_nvtx_deliver" } };

	return attach_handoffs(p, lib, hooks, ARRAY_SIZE(hooks));
}

/* -v: in one line, what this kernel lacks that the tracer would use, and what that costs */
static void say_fallbacks(const struct ts_probes *p)
{
	if (!p->multi)
		debug("this kernel has no uprobe_multi (6.6+) nor uprobe sessions (6.13+): one "
		      "perf-event uprobe and uretprobe per function instead (the same records; "
		      "slower to attach and detach, a return probe run on every call)\n");
	else if (!p->session)
		debug("this kernel has no uprobe sessions (6.13+): separate entry and return "
		      "probes (the same records; a return probe run on calls not followed)\n");
}

int ts_probes_open(struct ts_probes *p, const struct ts_probe_opts *o)
{
	struct btf *btf;
	unsigned int i;
	bool tracepoints;
	int err;

	memset(p, 0, sizeof(*p));
	libbpf_set_print(libbpf_print);
	p->skel = tracesmith_bpf__open();
	if (!p->skel) {
		err = -errno;
		warn("cannot open the BPF object: %s\n", strerror(-err));
		return err;
	}
	/* the fallback for kernels before 6.6, forced by tests to keep it working */
	/* the kernel's types, parsed once (megabytes): what it can attach */
	btf = btf__load_vmlinux_btf();
	p->multi = have_uprobe_multi(btf) && !getenv("TRACESMITH_NO_UPROBE_MULTI");
	p->session =
		p->multi && have_uprobe_session(btf) && !getenv("TRACESMITH_NO_UPROBE_SESSION");
	btf__free(btf);
	say_fallbacks(p);
	bpf_program__set_autoload(p->skel->progs.ts_api_entry, !p->multi);
	bpf_program__set_autoload(p->skel->progs.ts_api_return, !p->multi);
	bpf_program__set_autoload(p->skel->progs.ts_api_entry_multi, p->multi && !p->session);
	bpf_program__set_autoload(p->skel->progs.ts_api_return_multi, p->multi && !p->session);
	bpf_program__set_autoload(p->skel->progs.ts_api_session, p->session);
	bpf_program__set_expected_attach_type(p->skel->progs.ts_api_entry_multi,
					      TS_BPF_TRACE_UPROBE_MULTI);
	bpf_program__set_expected_attach_type(p->skel->progs.ts_api_return_multi,
					      TS_BPF_TRACE_UPROBE_MULTI);
	bpf_program__set_expected_attach_type(p->skel->progs.ts_api_session,
					      TS_BPF_TRACE_UPROBE_SESSION);
	bpf_program__set_autoload(p->skel->progs.ts_gpu_batch, !!o->gpu_lib);
	bpf_program__set_autoload(p->skel->progs.ts_gpu_name, !!o->gpu_lib);
	bpf_program__set_autoload(p->skel->progs.ts_nvtx_batch, !!o->nvtx_lib);
	p->skel->rodata->filter_pids = o->filter_pids;
	p->skel->rodata->call_sites = o->stacks;
	p->skel->rodata->py_stacks = o->stacks;
	/* without --stacks its maps are never used: one entry each, no memory */
	if (!o->stacks) {
		bpf_map__set_max_entries(p->skel->maps.py_procs, 1);
		bpf_map__set_max_entries(p->skel->maps.py_codes, 1);
	}
	tracepoints = (o->driver || o->watch_libs) && have_syscall_tracepoints();
	p->skel->rodata->trace_driver = o->driver && tracepoints;
	set_driver_autoload(p->skel, p->skel->rodata->trace_driver);
	p->watching = o->watch_libs && tracepoints;
	bpf_program__set_autoload(p->skel->progs.ts_lib_mmap, p->watching);
	set_lib_names(p->skel, o->opt_in_libs);
	for (i = 0; i < ts_nhooks; i++)
		ts_hook_spec(&ts_hooks[i], (struct ts_hook_spec *)&p->skel->rodata->hook_specs[i]);
	err = bpf_map__set_max_entries(p->skel->maps.rb, o->rb_bytes);
	if (!err)
		err = tracesmith_bpf__load(p->skel);
	if (err) {
		warn("cannot load the BPF programs: %s (run with -vv for the verifier log)\n",
		     strerror(-err));
		return err;
	}
	err = tracesmith_bpf__attach(p->skel);
	if (err) {
		warn("cannot attach the scheduler tracepoints: %s\n", strerror(-err));
		return err;
	}
	if (o->api) {
		err = ts_probes_attach_lib(p, o->lib, o->offsets);
		if (err)
			return err;
	}
	if (o->gpu_lib) {
		err = attach_gpu(p, o->gpu_lib);
		if (err)
			return err;
	}
	/* NVTX is on by default: a hand-off we cannot hook (perf-event uprobes refused to a
	 * user with only CAP_BPF and CAP_PERFMON) costs the trace its ranges, not the run */
	if (o->nvtx_lib)
		p->nvtx_hooked = !attach_nvtx(p, o->nvtx_lib);
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.rb), o->on_record, o->ctx, NULL);
	if (!p->rb) {
		err = -errno;
		warn("cannot open the ring buffer: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

int ts_probes_trace_pid(struct ts_probes *p, pid_t pid)
{
	__u32 key = pid;
	__u8 one = 1;

	return bpf_map__update_elem(p->skel->maps.traced, &key, sizeof(key), &one, sizeof(one),
				    BPF_ANY);
}

/*
 * The kernel's ring buffer map: the consumer position on its first page, the
 * producer's on the second (what libbpf maps; libbpf 1.1 has no call for it).
 */
uint64_t ts_probes_ring_fill(struct ts_probes *p, uint64_t *size)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd;
	void *c, *pr;
	unsigned long cons, prod;

	*size = 0;
	if (!p->skel)
		return 0;
	if (!p->rb_cons) {
		fd = bpf_map__fd(p->skel->maps.rb);
		c = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
		if (c == MAP_FAILED)
			return 0;
		pr = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, page);
		if (pr == MAP_FAILED) {
			munmap(c, page);
			return 0;
		}
		p->rb_cons = c;
		p->rb_prod = pr;
		p->rb_size = bpf_map__max_entries(p->skel->maps.rb);
	}
	cons = __atomic_load_n(p->rb_cons, __ATOMIC_ACQUIRE);
	prod = __atomic_load_n(p->rb_prod, __ATOMIC_ACQUIRE);
	*size = p->rb_size;
	return prod > cons ? prod - cons : 0;
}

void ts_probes_no_more_stops(struct ts_probes *p)
{
	if (p && p->skel && p->skel->bss)
		p->skel->bss->lib_map_no_stop = true;
}

int ts_probes_py_proc(struct ts_probes *p, uint32_t pid, const struct ts_py_proc *pp)
{
	__u32 key = pid;

	if (!pp)
		return bpf_map__delete_elem(p->skel->maps.py_procs, &key, sizeof(key), 0);
	return bpf_map__update_elem(p->skel->maps.py_procs, &key, sizeof(key), pp, sizeof(*pp),
				    BPF_ANY);
}

uint64_t ts_probes_drops(const struct ts_probes *p)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	uint64_t total = 0, *vals;
	__u32 zero = 0;

	if (ncpu <= 0 || !p->skel)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map__lookup_elem(p->skel->maps.drops, &zero, sizeof(zero), vals,
				  ncpu * sizeof(*vals), 0))
		for (i = 0; i < ncpu; i++)
			total += vals[i];
	free(vals);
	return total;
}

/*
 * Detaching a probe waits for an RCU grace period in the kernel (~0.05-0.1 s
 * each, one after the other): 8 syscall tracepoints cost ~0.4 s, 200
 * perf-event uprobes ~20 s. Detached from several threads, the waits overlap.
 */
#define DETACH_THREADS 16

struct detach {
	struct bpf_link **links;
	int *fds;
	unsigned int nlinks, nfds, next, done;
	pthread_mutex_t lock;
};

static void *detach_worker(void *arg)
{
	struct detach *d = arg;
	unsigned int i;

	for (;;) {
		pthread_mutex_lock(&d->lock);
		i = d->next++;
		pthread_mutex_unlock(&d->lock);
		if (i >= d->nlinks + d->nfds)
			break;
		if (i < d->nlinks)
			bpf_link__destroy(d->links[i]);
		else
			close(d->fds[i - d->nlinks]);
		pthread_mutex_lock(&d->lock);
		d->done++;
		pthread_mutex_unlock(&d->lock);
	}
	return NULL;
}

static void detach_all(struct detach *d)
{
	pthread_t th[DETACH_THREADS];
	unsigned int n = d->nlinks + d->nfds, nth = n < DETACH_THREADS ? n : DETACH_THREADS, i, k;
	uint64_t t0 = ts_now_ns(CLOCK_MONOTONIC);
	bool said = false;

	pthread_mutex_init(&d->lock, NULL);
	for (k = 0; k < nth; k++)
		if (pthread_create(&th[k], NULL, detach_worker, d))
			break;
	if (!k)
		detach_worker(d); /* no thread to be had: one after the other */
	for (;;) {
		pthread_mutex_lock(&d->lock);
		i = d->done;
		pthread_mutex_unlock(&d->lock);
		if (i >= n || !k)
			break;
		if (!said && ts_now_ns(CLOCK_MONOTONIC) - t0 > 1000000000ull) {
			warn("detaching %u probes (the kernel waits a grace period for each)...\n",
			     n);
			said = true;
		}
		usleep(10000);
	}
	while (k--)
		pthread_join(th[k], NULL);
	pthread_mutex_destroy(&d->lock);
}

/*
 * Perf-event uprobes (kernels without uprobe_multi): as the last reference to
 * each goes, the kernel waits ~50 ms, probe after probe (~13 s for all of
 * them). A child that holds a reference to every link takes that wait: it
 * lets go only once we are gone (its pipe's write end closes when we exit),
 * so our own closes are instant and the run ends now. Until then the probes
 * stay attached, feeding a ring buffer nobody reads.
 */
#define BG_DETACH_MIN 16

static void detach_in_background(void)
{
	int fds[2], null;
	char c;
	pid_t pid;

	if (pipe(fds))
		return;
	pid = fork();
	if (pid != 0) { /* the parent, or no child to be had: detach here */
		close(fds[0]);
		/* fds[1] stays open until we exit: the child's signal to let go */
		if (pid > 0)
			debug("the probes detach in the background (pid %d)\n", pid);
		return;
	}
	close(fds[1]);
	setsid();
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		/* never keep a pipe of whoever started us open */
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	while (read(fds[0], &c, 1) < 0 && errno == EINTR)
		;
	_exit(0); /* the kernel closes every link: the slow part, here */
}

void ts_probes_close(struct ts_probes *p)
{
	struct bpf_object_skeleton *s;
	struct detach d = { 0 };
	struct bpf_link **all;
	int i, n = 0;

	if (!p)
		return;
	ring_buffer__free(p->rb);
	if (!p->multi && p->nlinks >= BG_DETACH_MIN && !getenv("TRACESMITH_DETACH_HERE"))
		detach_in_background();
	s = p->skel ? p->skel->skeleton : NULL;
	all = calloc(p->nlinks + (s ? s->prog_cnt : 0) + 1, sizeof(*all));
	if (all) {
		/* the skeleton's own links too: its destroy then finds them gone */
		for (i = 0; s && i < s->prog_cnt; i++)
			if (*s->progs[i].link) {
				all[n++] = *s->progs[i].link;
				*s->progs[i].link = NULL;
			}
		memcpy(all + n, p->links, p->nlinks * sizeof(*all));
		d.links = all;
		d.nlinks = n + p->nlinks;
		d.fds = p->fds;
		d.nfds = p->nfds;
		detach_all(&d);
	} else {
		for (i = 0; i < (int)p->nlinks; i++)
			bpf_link__destroy(p->links[i]);
		for (i = 0; i < (int)p->nfds; i++)
			close(p->fds[i]);
	}
	free(all);
	free(p->links);
	if (p->rb_cons) {
		munmap((void *)p->rb_cons, sysconf(_SC_PAGESIZE));
		munmap((void *)p->rb_prod, sysconf(_SC_PAGESIZE));
	}
	tracesmith_bpf__destroy(p->skel);
	memset(p, 0, sizeof(*p));
}
