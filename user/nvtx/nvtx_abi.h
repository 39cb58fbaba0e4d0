/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The parts of NVTX v3's injection ABI we use, written from its headers
 * (nvtx3/nvtxDetail/nvtxTypes.h, nvtxInit.h, nvtxImpl.h; NVTX is header-only,
 * so these numbers and layouts are compiled into every program that uses
 * it and cannot change). The program's first NVTX call reads
 * NVTX_INJECTION64_PATH, dlopens that library and calls its
 * InitializeInjectionNvtx2(getExportTable); the library asks the export
 * table for each module's table of function-pointer slots, indexed by
 * callback id, and stores its own functions there.
 */
#ifndef TS_NVTX_ABI_H
#define TS_NVTX_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#define NVTX_ENV_PATH	 "NVTX_INJECTION64_PATH"
#define NVTX_INIT_SYMBOL "InitializeInjectionNvtx2"

/* NvtxExportTableID */
enum { NVTX_ETID_CALLBACKS = 1, NVTX_ETID_VERSIONINFO = 3 };

/* NvtxCallbackModule */
enum { NVTX_CB_MODULE_CORE = 1, NVTX_CB_MODULE_CORE2 = 5 };

/* NvtxCallbackIdCore */
enum {
	NVTX_CBID_CORE_MarkEx = 1,
	NVTX_CBID_CORE_MarkA = 2,
	NVTX_CBID_CORE_MarkW = 3,
	NVTX_CBID_CORE_RangeStartEx = 4,
	NVTX_CBID_CORE_RangeStartA = 5,
	NVTX_CBID_CORE_RangeStartW = 6,
	NVTX_CBID_CORE_RangeEnd = 7,
	NVTX_CBID_CORE_RangePushEx = 8,
	NVTX_CBID_CORE_RangePushA = 9,
	NVTX_CBID_CORE_RangePushW = 10,
	NVTX_CBID_CORE_RangePop = 11,
	NVTX_CBID_CORE_NameCategoryA = 12,
	NVTX_CBID_CORE_NameCategoryW = 13,
	NVTX_CBID_CORE_NameOsThreadA = 14,
	NVTX_CBID_CORE_NameOsThreadW = 15,
	NVTX_CBID_CORE_SIZE = 16,
};

/* NvtxCallbackIdCore2 */
enum {
	NVTX_CBID_CORE2_DomainMarkEx = 1,
	NVTX_CBID_CORE2_DomainRangeStartEx = 2,
	NVTX_CBID_CORE2_DomainRangeEnd = 3,
	NVTX_CBID_CORE2_DomainRangePushEx = 4,
	NVTX_CBID_CORE2_DomainRangePop = 5,
	NVTX_CBID_CORE2_DomainResourceCreate = 6,
	NVTX_CBID_CORE2_DomainResourceDestroy = 7,
	NVTX_CBID_CORE2_DomainNameCategoryA = 8,
	NVTX_CBID_CORE2_DomainNameCategoryW = 9,
	NVTX_CBID_CORE2_DomainRegisterStringA = 10,
	NVTX_CBID_CORE2_DomainRegisterStringW = 11,
	NVTX_CBID_CORE2_DomainCreateA = 12,
	NVTX_CBID_CORE2_DomainCreateW = 13,
	NVTX_CBID_CORE2_DomainDestroy = 14,
	NVTX_CBID_CORE2_Initialize = 15,
	NVTX_CBID_CORE2_SIZE = 16,
};

typedef void (*nvtx_fnptr)(void);
/* an array of pointers to the program's function-pointer slots, indexed by callback id */
typedef nvtx_fnptr **nvtx_fntable;

struct nvtx_etbl_callbacks {
	size_t struct_size;
	int (*GetModuleFunctionTable)(int module, nvtx_fntable *out_table, unsigned int *out_size);
};

struct nvtx_etbl_version {
	size_t struct_size;
	uint32_t version;
	uint32_t reserved0;
	void (*SetInjectionNvtxVersion)(uint32_t version);
};

typedef const void *(*nvtx_get_export_table_fn)(uint32_t id);
typedef int (*nvtx_init_injection_fn)(nvtx_get_export_table_fn get);

/* nvtxColorType_t, nvtxMessageType_t, nvtxPayloadType_t */
enum { NVTX_COLOR_ARGB = 1 };
enum {
	NVTX_MESSAGE_TYPE_ASCII = 1,
	NVTX_MESSAGE_TYPE_UNICODE = 2,
	NVTX_MESSAGE_TYPE_REGISTERED = 3
};

/* nvtxEventAttributes_v2 (version 3, size 48) */
struct nvtx_event_attr {
	uint16_t version;
	uint16_t size;
	uint32_t category;
	int32_t colorType;
	uint32_t color;
	int32_t payloadType;
	int32_t reserved0;
	uint64_t payload; /* the union's 8 bytes */
	int32_t messageType;
	union {
		const char *ascii;
		const wchar_t *unicode;
		const void *registered;
	} message;
};
#define NVTX_EVENT_ATTR_SIZE 48
_Static_assert(sizeof(struct nvtx_event_attr) == NVTX_EVENT_ATTR_SIZE, "nvtxEventAttributes_v2");

#endif
