/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TS_NVDECODE_H
#define TS_NVDECODE_H

#include <stdbool.h>
#include <stdint.h>
#include "tracesmith.h"
#include "write/writer.h"

struct ts_drv_info {
	char name[96]; /* the slice name: "RM_ALLOC HOPPER_CHANNEL_GPFIFO_A", ... */
	bool has_status;
	uint32_t status; /* NV_STATUS / rmStatus from the struct */
};

/* Name a driver record and add its decoded fields to s's args. */
/*
 * Name a driver record and add its decoded fields to s's args. driver_major is
 * the NVIDIA driver's version (0: unknown, taken as current): layouts moved.
 */
void ts_drv_decode(const struct ts_rec_driver *r, unsigned int driver_major, struct ts_slice *s,
		   struct ts_drv_info *info);

#endif
