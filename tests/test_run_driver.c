// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel driver layer, with real BPF: the stand-in libcuda's RM and UVM
 * ioctls, mmaps and closes on stand-in devices, decoded and tied to the API
 * call that made them; files that are no device never count. Root only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "trace_json.h"
#include "tracer_run.h"
#include "workloads.h"
#include "fakecuda/cuda_types.h"

static void assert_sane(const struct trace *t)
{
	assert_int_equal(trace_partial_overlaps(t), 0);
	assert_int_equal(trace_unmatched_flows(t), 0);
	assert_int_equal(json_object_get_int64(trace_other(t, "dropped_events")), 0);
}

/*
 * The driver layer: the stand-in libcuda issues the RM and UVM ioctls the real
 * one does on stand-in devices (copies of /dev/zero, character devices of
 * major 1, at /dev/nvidiactl and /dev/nvidia-uvm, which the tracer tells
 * apart by name, like the devices; a file that is no device never counts).
 */
static bool made_devs;
static const char decoy_dev[] = "/dev/nvidia-tsbpf-decoy";

static bool standin_devs(void)
{
	static const char *const devs[] = { "/dev/nvidiactl", "/dev/nvidia-uvm" };
	struct stat st;
	int i;

	for (i = 0; i < 2; i++) {
		if (!stat(devs[i], &st) && S_ISCHR(st.st_mode) && major(st.st_rdev) != 1)
			return false; /* a real GPU host: leave its devices alone */
		if (!stat(devs[i], &st) && S_ISCHR(st.st_mode))
			continue; /* a stand-in already */
		unlink(devs[i]);  /* an older stand-in, a regular file */
		if (mknod(devs[i], S_IFCHR | 0600, makedev(1, 5)))
			return false;
	}
	made_devs = true;
	return true;
}

static int trace_driver(const char *out, const char *flag, const char *mode2, struct trace *t)
{
	char *argv[] = { (char *)bin, (char *)flag,	"--lib",   (char *)fakecuda,
			 "-o",	      (char *)out,	"--",	   (char *)fakeapp,
			 "--lib",     (char *)fakecuda, "runtime", (char *)mode2,
			 NULL };
	char err[4096];
	int st;

	setenv("FAKECUDA_DEVDIR", "/dev", 1);
	st = run_tracer(argv, err, sizeof(err));
	unsetenv("FAKECUDA_DEVDIR");
	return st ? st : trace_load(t, out);
}

/* The API slice with the same correlation id, on the same thread, around e. */
static json_object *enclosing_call(const struct trace *t, json_object *e)
{
	size_t i;
	double ts = ev_num(e, "ts"), end = ts + ev_num(e, "dur");

	for (i = 0; i < t->n; i++) {
		json_object *a = trace_event(t, i);
		const char *cat = ev_str(a, "cat");

		if (a == e || !cat || !strcmp(cat, "driver") || strcmp(ev_str(a, "ph"), "X") ||
		    ev_int(a, "tid") != ev_int(e, "tid") ||
		    ev_arg_int(a, "correlation_id") != ev_arg_int(e, "correlation_id"))
			continue;
		if (ev_num(a, "ts") <= ts && end <= ev_num(a, "ts") + ev_num(a, "dur"))
			return a;
	}
	return NULL;
}

static void assert_driver_in(const struct trace *t, const char *name, int n, const char *api)
{
	int i;

	assert_int_equal(trace_count(t, "X", name, HOST), n);
	for (i = 0; i < n; i++) {
		json_object *e = trace_find(t, "X", name, HOST, i), *a = enclosing_call(t, e);

		assert_string_equal(ev_str(e, "cat"), "driver");
		assert_non_null(a);
		assert_string_equal(ev_str(a, "name"), api);
		assert_string_equal(ev_arg_str(e, "api_call"), api);
	}
}

static void test_driver_layer(void **state)
{
	char decoys[600];
	struct trace t;
	json_object *e;
	int i, failed = 0, n;

	if (!standin_devs())
		skip();
	/* files named like the devices but none: the same calls on them never count */
	close(creat(decoy_dev, 0600));
	close(creat(path_in("nvidiactl"), 0600));
	snprintf(decoys, sizeof(decoys), "%s:%s", decoy_dev, path_in("nvidiactl"));
	setenv("FAKECUDA_DECOYS", decoys, 1);
	n = trace_driver(path_in("driver.json"), "-v", "fail", &t);
	unsetenv("FAKECUDA_DECOYS");
	unlink(decoy_dev);
	assert_int_equal(n, 0);
	assert_sane(&t);
	/* one cuInit per workload, each asking the GPU's name */
	assert_driver_in(&t, "RM_CONTROL NV2080_CTRL_CMD_GPU_GET_NAME_STRING", 2, "cuInit");
	assert_driver_in(&t, "UVM_INITIALIZE", 2, "cuInit");
	assert_driver_in(&t, "RM_ALLOC HOPPER_CHANNEL_GPFIFO_A", 1, "cuDevicePrimaryCtxRetain");
	assert_driver_in(&t, "UVM_REGISTER_GPU", 1, "cuDevicePrimaryCtxRetain");
	assert_driver_in(&t, "mmap nvidiactl", 1, "cuMemAllocHost_v2");
	/* 3 + 1 (failing) cuMemAlloc_v2, each an RM_ALLOC unwrapped from IOCTL_XFER_CMD */
	n = trace_count(&t, "X", "RM_ALLOC NV01_MEMORY_LOCAL_USER", HOST);
	assert_int_equal(n, 3 + 1 + 1 + 1); /* + cuMemAllocAsync, cuMemAllocHost */
	for (i = 0; i < n; i++) {
		e = trace_find(&t, "X", "RM_ALLOC NV01_MEMORY_LOCAL_USER", HOST, i);
		assert_int_equal(ev_arg_int(e, "xfer"), 1);
		assert_string_equal(ev_arg_str(e, "class_id"), "0x40");
		assert_non_null(enclosing_call(&t, e));
		if (ev_arg_int(e, "failed") == 1) {
			/* the syscall "succeeded" as far as errno goes; the RM status says no */
			assert_string_equal(ev_arg_str(e, "status_name"), "NV_ERR_NO_MEMORY");
			assert_string_equal(ev_str(enclosing_call(&t, e), "name"), "cuMemAlloc_v2");
			failed++;
		}
	}
	assert_int_equal(failed, 1);
	/* the TCGETS on an ordinary file never reached user space, nor the decoys' calls */
	for (i = 0; (e = trace_find(&t, "X", NULL, HOST, i)); i++)
		if (!strcmp(ev_str(e, "cat"), "driver")) {
			assert_non_null(strstr(ev_arg_str(e, "device"), "nvidia"));
			assert_null(strstr(ev_arg_str(e, "device"), "decoy"));
			assert_null(strstr(ev_str(e, "name"), "decoy"));
		}
	assert_true(trace_count(&t, "C", "driver calls/s", HOST) >= 1);
	trace_free(&t);

	/* --no-driver: none of it */
	assert_int_equal(trace_driver(path_in("nodrv.json"), "--no-driver", "fail", &t), 0);
	assert_int_equal(trace_count(&t, "X", "UVM_INITIALIZE", HOST), 0);
	assert_int_equal(trace_count(&t, "X", "cuInit", HOST), 2);
	trace_free(&t);

	/* --driver-only: the driver layer alone, outside any (untraced) API call */
	assert_int_equal(trace_driver(path_in("drvonly.json"), "--driver-only", "fail", &t), 0);
	assert_int_equal(trace_count(&t, "X", "cuInit", HOST), 0);
	assert_int_equal(trace_count(&t, "X", "RM_ALLOC HOPPER_CHANNEL_GPFIFO_A", HOST), 1);
	assert_null(ev_arg(trace_find(&t, "X", "UVM_INITIALIZE", HOST, 0), "correlation_id"));
	trace_free(&t);
}

static int teardown(void **state)
{
	if (made_devs) {
		unlink("/dev/nvidiactl");
		unlink("/dev/nvidia-uvm");
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_driver_layer),
	};

	if (!tracer_root("test_run_driver"))
		return getenv("CI") != NULL;
	return cmocka_run_group_tests_name("driver", tests, tracer_setup, teardown);
}
