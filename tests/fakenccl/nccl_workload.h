/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What tests/fakenccl/ncclapp does per rank: the counts the NCCL tests expect. */
#ifndef FAKE_NCCL_WORKLOAD_H
#define FAKE_NCCL_WORKLOAD_H

#define NW_ALLREDUCE_N	   3	/* ncclAllReduce calls, each NW_ALLREDUCE_COUNT float32 */
#define NW_ALLREDUCE_COUNT 1024 /* elements: 4096 bytes */
#define NW_BCAST_COUNT	   256	/* int32, root 0: 1024 bytes */
#define NW_REDUCE_COUNT	   512	/* float64, ncclMax, root 1: 4096 bytes */
#define NW_ALLGATHER_COUNT 128	/* float16 (sendcount): 256 bytes */
#define NW_RS_COUNT	   64	/* float32 (recvcount), ncclSum: 256 bytes */
#define NW_P2P_COUNT	   100	/* uint8, to rank + 1 and from rank - 1, in one group */
/* kernels per rank: one per collective, one for the send/recv group */
#define NW_KERNELS (NW_ALLREDUCE_N + 4 + 1)
/* `flight`: all-reduces before the failing ncclGroupEnd */
#define NW_FLIGHT_ALLREDUCE 4

#endif
