/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Names for the NVIDIA driver's numbers; NULL when a number is not known. */
#ifndef TS_NVNAMES_H
#define TS_NVNAMES_H

#include <stdint.h>

const char *nv_class_name(uint32_t id);	     /* RM_ALLOC hClass */
const char *nv_control_name(uint32_t id);    /* RM_CONTROL cmd */
const char *nv_escape_name(uint32_t nr);     /* RM ioctl escape number */
const char *nv_uvm_name(uint32_t nr);	     /* UVM ioctl number */
const char *nv_status_name(uint32_t status); /* NV_STATUS */

#endif
