// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Driver records -> slices: what each NVIDIA ioctl asked of the driver, and
 * what the driver answered. Struct layouts per NVIDIA's open kernel modules
 * (nvos.h, uvm_ioctl.h of open-gpu-kernel-modules); the struct bytes were read by BPF
 * at syscall exit, so inputs, outputs and the status field are all there.
 */
#include <stdio.h>
#include <string.h>
#include "correlate/nvdecode.h"
#include "correlate/nvnames.h"

#define RM_ALLOC_MEMORY		    0x27
#define RM_FREE			    0x29
#define RM_CONTROL		    0x2a
#define RM_ALLOC		    0x2b
#define RM_MAP_MEMORY		    0x4e
#define UVM_MIGRATE		    51
#define UVM_REGISTER_GPU	    37
#define UVM_MAP_EXTERNAL_ALLOCATION 33
#define UVM_VALIDATE_VA_RANGE	    72
#define UVM_FREE		    34
#define UVM_INITIALIZE		    0x30000001

static bool u32_at(const struct ts_rec_driver *r, unsigned int off, uint32_t *v)
{
	if (off + 4 > r->data_len)
		return false;
	memcpy(v, r->data + off, 4);
	return true;
}

static bool u64_at(const struct ts_rec_driver *r, unsigned int off, uint64_t *v)
{
	if (off + 8 > r->data_len)
		return false;
	memcpy(v, r->data + off, 8);
	return true;
}

static void arg_u32(struct ts_slice *s, const struct ts_rec_driver *r, const char *k,
		    unsigned int off, bool hex)
{
	uint32_t v;

	if (!u32_at(r, off, &v))
		return;
	if (hex)
		ts_arg_hex(s, k, v);
	else
		ts_arg_u64(s, k, v);
}

static void arg_u64(struct ts_slice *s, const struct ts_rec_driver *r, const char *k,
		    unsigned int off, bool hex)
{
	uint64_t v;

	if (!u64_at(r, off, &v))
		return;
	if (hex)
		ts_arg_hex(s, k, v);
	else
		ts_arg_u64(s, k, v);
}

/* The NV_STATUS at off: a non-zero one marks the call failed. */
static void status_at(struct ts_slice *s, const struct ts_rec_driver *r, unsigned int off,
		      struct ts_drv_info *info)
{
	const char *n;
	uint32_t st;

	if (!u32_at(r, off, &st))
		return;
	info->has_status = true;
	info->status = st;
	ts_arg_hex(s, "status", st);
	n = nv_status_name(st);
	if (n)
		ts_arg_str(s, "status_name", n, strlen(n));
	if (st)
		ts_arg_u64(s, "failed", 1);
}

/* Slice "OP NAME" and arg key=NAME for a known id; "OP 0x..." for an unknown one. */
static void name_by_id(struct ts_drv_info *info, struct ts_slice *s, const char *op,
		       const char *key, const char *name, uint32_t id)
{
	if (name) {
		snprintf(info->name, sizeof(info->name), "%s %s", op, name);
		ts_arg_str(s, key, name, strlen(name));
	} else {
		snprintf(info->name, sizeof(info->name), "%s 0x%x", op, id);
	}
}

static void rm_alloc(struct ts_slice *s, const struct ts_rec_driver *r, unsigned int driver_major,
		     struct ts_drv_info *info)
{
	uint32_t cls = 0;

	/* NVOS64 (48 bytes) since 535, NVOS21 (32) before: hClass@12 in both */
	u32_at(r, 12, &cls);
	name_by_id(info, s, "RM_ALLOC", "class", nv_class_name(cls), cls);
	ts_arg_hex(s, "class_id", cls);
	arg_u32(s, r, "h_root", 0, true);
	arg_u32(s, r, "h_parent", 4, true);
	arg_u32(s, r, "h_new", 8, true);
	/* NVOS21 gained paramsSize in 535, which moved its status from 24 to 28 */
	if (r->size == 48)
		status_at(s, r, 40, info);
	else
		status_at(s, r, driver_major && driver_major < 535 ? 24 : 28, info);
}

static void rm_control(struct ts_slice *s, const struct ts_rec_driver *r, struct ts_drv_info *info)
{
	uint32_t cmd = 0;

	u32_at(r, 8, &cmd);
	name_by_id(info, s, "RM_CONTROL", "command", nv_control_name(cmd), cmd);
	ts_arg_hex(s, "cmd", cmd);
	arg_u32(s, r, "params_size", 24, false);
	arg_u32(s, r, "h_client", 0, true);
	arg_u32(s, r, "h_object", 4, true);
	status_at(s, r, 28, info);
}

static void rm_ioctl(struct ts_slice *s, const struct ts_rec_driver *r, unsigned int driver_major,
		     struct ts_drv_info *info)
{
	const char *en = nv_escape_name(r->nr);
	uint64_t limit;

	if (en)
		snprintf(info->name, sizeof(info->name), "%s", en);
	else
		snprintf(info->name, sizeof(info->name), "RM_ESCAPE 0x%x", r->nr);
	ts_arg_hex(s, "escape", r->nr);
	ts_arg_u64(s, "struct_size", r->size);
	if ((r->cmd & 0xff) == 0xd3)
		ts_arg_u64(s, "xfer", 1); /* unwrapped from IOCTL_XFER_CMD */
	switch (r->nr) {
	case RM_ALLOC:
		rm_alloc(s, r, driver_major, info);
		break;
	case RM_CONTROL:
		rm_control(s, r, info);
		break;
	case RM_FREE:
		arg_u32(s, r, "h_root", 0, true);
		arg_u32(s, r, "h_parent", 4, true);
		arg_u32(s, r, "h_object", 8, true);
		status_at(s, r, 12, info);
		break;
	case RM_MAP_MEMORY:
		arg_u32(s, r, "h_memory", 8, true);
		arg_u64(s, r, "offset", 16, false);
		arg_u64(s, r, "length", 24, false);
		arg_u64(s, r, "address", 32, true);
		arg_u32(s, r, "map_fd", 48, false);
		status_at(s, r, 40, info);
		break;
	case RM_ALLOC_MEMORY:
		arg_u32(s, r, "class_id", 12, true);
		if (u64_at(r, 32, &limit))
			ts_arg_u64(s, "length", limit + 1);
		arg_u32(s, r, "map_fd", 48, false);
		status_at(s, r, 40, info);
		break;
	default:
		break;
	}
}

static void uvm_ioctl(struct ts_slice *s, const struct ts_rec_driver *r, struct ts_drv_info *info)
{
	const char *un = nv_uvm_name(r->nr);

	if (un)
		snprintf(info->name, sizeof(info->name), "%s", un);
	else
		snprintf(info->name, sizeof(info->name), "UVM_IOCTL %u", r->nr);
	ts_arg_hex(s, "uvm_ioctl", r->nr);
	switch (r->nr) {
	case UVM_MIGRATE:
		arg_u64(s, r, "base", 0, true);
		arg_u64(s, r, "length", 8, false);
		status_at(s, r, 72, info);
		break;
	case UVM_REGISTER_GPU:
		arg_u32(s, r, "rm_ctrl_fd", 24, false);
		arg_u32(s, r, "h_client", 28, true);
		status_at(s, r, 36, info);
		break;
	case UVM_MAP_EXTERNAL_ALLOCATION:
	case UVM_VALIDATE_VA_RANGE:
		arg_u64(s, r, "base", 0, true);
		arg_u64(s, r, "length", 8, false);
		break;
	case UVM_FREE:
		/* its status moved in driver 590: only the base is certain */
		arg_u64(s, r, "base", 0, true);
		break;
	case UVM_INITIALIZE:
		arg_u64(s, r, "flags", 0, true);
		status_at(s, r, 8, info);
		break;
	default:
		break;
	}
}

void ts_drv_decode(const struct ts_rec_driver *r, unsigned int driver_major, struct ts_slice *s,
		   struct ts_drv_info *info)
{
	size_t devlen = strnlen(r->dev, sizeof(r->dev));

	memset(info, 0, sizeof(*info));
	switch (r->hdr.aux) {
	case TS_DRV_IOCTL:
		if (r->hdr.flags == TS_DEV_UVM || r->hdr.flags == TS_DEV_UVM_TOOLS)
			uvm_ioctl(s, r, info);
		else
			rm_ioctl(s, r, driver_major, info);
		ts_arg_hex(s, "request", r->cmd);
		break;
	case TS_DRV_MMAP:
		snprintf(info->name, sizeof(info->name), "mmap %.*s", (int)devlen, r->dev);
		ts_arg_u64(s, "length", r->cmd);
		ts_arg_hex(s, "prot", r->arg >> 32);
		ts_arg_hex(s, "flags", (uint32_t)r->arg);
		if (r->ret < 0 && r->ret > -4096)
			ts_arg_u64(s, "failed", 1);
		else
			ts_arg_hex(s, "address", r->ret);
		break;
	case TS_DRV_OPEN:
		snprintf(info->name, sizeof(info->name), "open /dev/%.*s", (int)devlen, r->dev);
		ts_arg_hex(s, "flags", r->cmd);
		break;
	case TS_DRV_CLOSE:
		snprintf(info->name, sizeof(info->name), "close %.*s", (int)devlen, r->dev);
		break;
	default:
		snprintf(info->name, sizeof(info->name), "driver op %u", r->hdr.aux);
	}
	ts_arg_str(s, "device", r->dev, devlen);
	ts_arg_i64(s, "fd", r->fd);
	ts_arg_i64(s, "syscall_ret", r->ret);
}
