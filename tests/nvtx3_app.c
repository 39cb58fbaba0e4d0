// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A program using the CUDA toolkit's own NVTX v3 headers (nvtx3/), built by
 * test_run_nvtx only where they are installed: proof that our injection
 * library speaks the ABI the real headers compile into programs.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <nvtx3/nvToolsExt.h>

static void *ender(void *id)
{
	nvtxRangeEnd(*(nvtxRangeId_t *)id);
	return NULL;
}

int main(void)
{
	nvtxDomainHandle_t d;
	nvtxEventAttributes_t a = { 0 };
	nvtxRangeId_t id;
	pthread_t t;

	nvtxNameOsThreadA((uint32_t)gettid(), "real-main");
	nvtxRangePushA("real-outer");
	nvtxRangePushA("real-inner");
	nvtxMarkA("real-mark");
	nvtxRangePop();
	nvtxRangePop();
	d = nvtxDomainCreateA("real-domain");
	a.version = NVTX_VERSION;
	a.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
	a.messageType = NVTX_MESSAGE_TYPE_ASCII;
	a.message.ascii = "real-dom-range";
	nvtxDomainRangePushEx(d, &a);
	nvtxDomainRangePop(d);
	id = nvtxRangeStartA("real-async");
	pthread_create(&t, NULL, ender, &id);
	pthread_join(t, NULL);
	return 0;
}
