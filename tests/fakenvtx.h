/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The program's side of NVTX, for fakeapp: what nvtx3's headers compile into
 * a program, reduced to what the tests call, with the same injection
 * protocol (nvtx3/nvtxDetail/nvtxInit.h): the first call reads
 * NVTX_INJECTION64_PATH, dlopens it, calls its InitializeInjectionNvtx2 with
 * our export table; the library fills our function-pointer slots. Until
 * then, and if anything fails, every call does nothing (as NVTX does).
 */
#ifndef TS_FAKENVTX_H
#define TS_FAKENVTX_H

#include <dlfcn.h>
#include <stdlib.h>
#include "nvtx/nvtx_abi.h"

static struct {
	int init;
	void (*MarkA)(const char *);
	uint64_t (*RangeStartA)(const char *);
	void (*RangeEnd)(uint64_t);
	int (*RangePushEx)(const struct nvtx_event_attr *);
	int (*RangePushA)(const char *);
	int (*RangePushW)(const wchar_t *);
	int (*RangePop)(void);
	void (*NameCategoryA)(uint32_t, const char *);
	void (*NameOsThreadA)(uint32_t, const char *);
	int (*DomainRangePushEx)(void *, const struct nvtx_event_attr *);
	int (*DomainRangePop)(void *);
	void *(*DomainRegisterStringA)(void *, const char *);
	void *(*DomainCreateA)(const char *);
	nvtx_fnptr *core[NVTX_CBID_CORE_SIZE + 1];
	nvtx_fnptr *core2[NVTX_CBID_CORE2_SIZE + 1];
} fnvtx;

static int fnvtx_table(int module, nvtx_fntable *out, unsigned int *n)
{
	if (module == NVTX_CB_MODULE_CORE) {
		*out = fnvtx.core;
		*n = NVTX_CBID_CORE_SIZE;
	} else if (module == NVTX_CB_MODULE_CORE2) {
		*out = fnvtx.core2;
		*n = NVTX_CBID_CORE2_SIZE;
	} else {
		return 0;
	}
	return 1;
}

static const struct nvtx_etbl_callbacks fnvtx_cb = { sizeof(fnvtx_cb), fnvtx_table };

static const void *fnvtx_export(uint32_t id)
{
	return id == NVTX_ETID_CALLBACKS ? &fnvtx_cb : NULL;
}

#define FNVTX_SLOT(tab, id, f) (tab[id] = (nvtx_fnptr *)&fnvtx.f)

static void fnvtx_init(void)
{
	const char *path = getenv(NVTX_ENV_PATH);
	nvtx_init_injection_fn init;
	void *h;

	if (fnvtx.init++)
		return;
	FNVTX_SLOT(fnvtx.core, NVTX_CBID_CORE_MarkA, MarkA);
	FNVTX_SLOT(fnvtx.core, NVTX_CBID_CORE_RangeStartA, RangeStartA);
	FNVTX_SLOT(fnvtx.core, NVTX_CBID_CORE_RangeEnd, RangeEnd);
	FNVTX_SLOT(fnvtx.core, NVTX_CBID_CORE_RangePushEx, RangePushEx);
	FNVTX_SLOT(fnvtx.core, NVTX_CBID_CORE_RangePushA, RangePushA);
	FNVTX_SLOT(fnvtx.core, NVTX_CBID_CORE_RangePushW, RangePushW);
	FNVTX_SLOT(fnvtx.core, NVTX_CBID_CORE_RangePop, RangePop);
	FNVTX_SLOT(fnvtx.core, NVTX_CBID_CORE_NameCategoryA, NameCategoryA);
	FNVTX_SLOT(fnvtx.core, NVTX_CBID_CORE_NameOsThreadA, NameOsThreadA);
	FNVTX_SLOT(fnvtx.core2, NVTX_CBID_CORE2_DomainRangePushEx, DomainRangePushEx);
	FNVTX_SLOT(fnvtx.core2, NVTX_CBID_CORE2_DomainRangePop, DomainRangePop);
	FNVTX_SLOT(fnvtx.core2, NVTX_CBID_CORE2_DomainRegisterStringA, DomainRegisterStringA);
	FNVTX_SLOT(fnvtx.core2, NVTX_CBID_CORE2_DomainCreateA, DomainCreateA);
	if (!path || !(h = dlopen(path, RTLD_LAZY)))
		return;
	init = (nvtx_init_injection_fn)dlsym(h, NVTX_INIT_SYMBOL);
	if (!init || !init(fnvtx_export))
		memset(&fnvtx.MarkA, 0,
		       offsetof(__typeof__(fnvtx), core) - offsetof(__typeof__(fnvtx), MarkA));
}

/* NVTX's inline wrappers: a call through the slot, or nothing */
#define FNVTX(f, dflt, ...) (fnvtx_init(), fnvtx.f ? fnvtx.f(__VA_ARGS__) : (dflt))

#endif
