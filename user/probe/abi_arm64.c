// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * arm64 (AAPCS64 as Linux uses it): integer and pointer arguments in x0-x7
 * (slots 0..7), the rest in 8-byte stack slots from the entry sp (slot 8 on,
 * bpf/arch_arm64.h). A struct over 16 bytes passed by value (an
 * ncclUniqueId) is copied by the caller and passed as a pointer to the copy:
 * one slot like any pointer. So every parameter is its own slot.
 */
#include "probe/abi.h"

const unsigned int ts_abi_arg_regs = 8;
const char ts_abi_libdir[] = "/usr/lib/aarch64-linux-gnu";
/* how `ldconfig -p` tags a library of this architecture */
const char ts_abi_ldconfig[] = "AArch64";

unsigned int ts_abi_slot(const struct ts_hook *h, unsigned int i)
{
	return h->vals[i].arg;
}
