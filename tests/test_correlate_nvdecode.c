// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* NVIDIA driver decoding (RM and UVM ioctls), on canned structs: no root, no driver. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "correlate/corr_int.h"
#include "record/decode.h"
#include "correlate/nvdecode.h"
#include "lib/util.h"
#include "write/writer.h"

static const char *arg_of(const struct ts_slice *s, const char *key)
{
	static char buf[64];
	unsigned int i;

	for (i = 0; i < s->nargs; i++) {
		const struct ts_arg *a = &s->args[i];

		if (strcmp(a->key, key))
			continue;
		if (a->type == TS_ARG_STR)
			snprintf(buf, sizeof(buf), "%.*s", (int)a->str.len, a->str.s);
		else if (a->type == TS_ARG_HEX)
			snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)a->u);
		else
			snprintf(buf, sizeof(buf), "%lld", (long long)a->i);
		return buf;
	}
	return NULL;
}

static void drv(struct ts_rec_driver *r, uint8_t dev, uint32_t nr, uint16_t size, const void *data,
		uint16_t len)
{
	memset(r, 0, sizeof(*r));
	r->hdr.kind = TS_REC_DRIVER;
	r->hdr.aux = TS_DRV_IOCTL;
	r->hdr.flags = dev;
	r->nr = nr;
	r->size = size;
	r->cmd = dev == TS_DEV_UVM ? nr : (3u << 30 | (uint32_t)size << 16 | 'F' << 8 | nr);
	memcpy(r->data, data, len);
	r->data_len = len;
	strcpy(r->dev, dev == TS_DEV_UVM ? "nvidia-uvm" : "nvidiactl");
	r->hdr.size = (TS_DRV_BASE_SIZE + len + 7) & ~7u;
}

static void test_nv_decode(void **state)
{
	uint32_t nvos64[12] = { 1, 2, 3, 0xc86f }, nvos21[8] = { 1, 2, 3, 0x40 };
	uint32_t nvos54[8] = { 1, 2, 0x20800110 }, reg[10] = { 0 };
	uint64_t migrate[10] = { 0x7f0000000000ull, 1 << 21 };
	struct ts_rec_driver r;
	struct ts_drv_info info;
	struct ts_slice s;

	/* NVOS64 (535+): status at 40 */
	nvos64[10] = 0x22;
	drv(&r, TS_DEV_CTL, 0x2b, 48, nvos64, 48);
	memset(&s, 0, sizeof(s));
	ts_drv_decode(&r, 0, &s, &info);
	assert_string_equal(info.name, "RM_ALLOC HOPPER_CHANNEL_GPFIFO_A");
	assert_int_equal(info.status, 0x22);
	assert_string_equal(arg_of(&s, "status_name"), "NV_ERR_INVALID_CLASS");
	assert_string_equal(arg_of(&s, "failed"), "1");
	assert_int_equal(ts_rec_check(&r, sizeof(r)), TS_REC_OK);
	/* NVOS21 (the 32-byte form): status at 28 */
	nvos21[7] = 0;
	drv(&r, TS_DEV_CTL, 0x2b, 32, nvos21, 32);
	memset(&s, 0, sizeof(s));
	ts_drv_decode(&r, 0, &s, &info);
	assert_string_equal(info.name, "RM_ALLOC NV01_MEMORY_LOCAL_USER");
	assert_true(info.has_status && info.status == 0);
	assert_null(arg_of(&s, "failed"));
	/* NVOS21 before 535: status at 24 */
	nvos21[6] = 0x1a;
	nvos21[7] = 0xdead;
	drv(&r, TS_DEV_CTL, 0x2b, 32, nvos21, 32);
	memset(&s, 0, sizeof(s));
	ts_drv_decode(&r, 530, &s, &info);
	assert_int_equal(info.status, 0x1a);
	assert_string_equal(arg_of(&s, "status_name"), "NV_ERR_INSUFFICIENT_RESOURCES");
	memset(&s, 0, sizeof(s));
	ts_drv_decode(&r, 580, &s, &info);
	assert_int_equal(info.status, 0xdead);
	nvos21[6] = nvos21[7] = 0;
	/* RM_CONTROL: cmd at 8, status at 28 */
	nvos54[7] = 0x56;
	drv(&r, TS_DEV_GPU, 0x2a, 32, nvos54, 32);
	memset(&s, 0, sizeof(s));
	ts_drv_decode(&r, 0, &s, &info);
	assert_string_equal(info.name, "RM_CONTROL NV2080_CTRL_CMD_GPU_GET_NAME_STRING");
	assert_string_equal(arg_of(&s, "status_name"), "NV_ERR_NOT_SUPPORTED");
	/* an unknown class and an unknown escape keep their numbers */
	nvos64[3] = 0x1234;
	drv(&r, TS_DEV_CTL, 0x2b, 48, nvos64, 48);
	ts_drv_decode(&r, 0, &s, &info);
	assert_string_equal(info.name, "RM_ALLOC 0x1234");
	drv(&r, TS_DEV_CTL, 0x99, 8, nvos64, 8);
	ts_drv_decode(&r, 0, &s, &info);
	assert_string_equal(info.name, "RM_ESCAPE 0x99");
	/* UVM: plain numbers; MIGRATE base/length, status at 72 */
	((uint32_t *)migrate)[18] = 0x1f;
	drv(&r, TS_DEV_UVM, 51, 0, migrate, 80);
	memset(&s, 0, sizeof(s));
	ts_drv_decode(&r, 0, &s, &info);
	assert_string_equal(info.name, "UVM_MIGRATE");
	assert_string_equal(arg_of(&s, "length"), "2097152");
	assert_int_equal(info.status, 0x1f);
	reg[9] = 0;
	drv(&r, TS_DEV_UVM, 37, 0, reg, 40);
	ts_drv_decode(&r, 0, &s, &info);
	assert_string_equal(info.name, "UVM_REGISTER_GPU");
	drv(&r, TS_DEV_UVM, 0x30000001, 0, reg, 16);
	ts_drv_decode(&r, 0, &s, &info);
	assert_string_equal(info.name, "UVM_INITIALIZE");
	drv(&r, TS_DEV_UVM, 999, 0, reg, 16);
	ts_drv_decode(&r, 0, &s, &info);
	assert_string_equal(info.name, "UVM_IOCTL 999");
	/* a record claiming more data than it holds is refused */
	r.data_len = 200;
	assert_int_equal(ts_rec_check(&r, sizeof(r)), TS_REC_BAD_FIELD);
}

/* ---- ring-buffer replay of checked-in captures ------------------------- */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nv_decode),
	};

	return cmocka_run_group_tests_name("nvdecode", tests, NULL, NULL);
}
