// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * x86-64 SysV: integer and pointer arguments in rdi, rsi, rdx, rcx, r8, r9
 * (slots 0..5), the rest on the stack (slot 6 on, bpf/arch_x86.h reads them
 * above the return address). A struct over 16 bytes passed by value (an
 * ncclUniqueId) is copied onto the stack in its place, whole: it takes no
 * register, the parameters after it take the next free ones.
 */
#include "probe/abi.h"

const unsigned int ts_abi_arg_regs = 6;
const char ts_abi_libdir[] = "/usr/lib/x86_64-linux-gnu";
/* how `ldconfig -p` tags a library of this architecture */
const char ts_abi_ldconfig[] = "x86-64";

unsigned int ts_abi_slot(const struct ts_hook *h, unsigned int i)
{
	unsigned int p = h->vals[i].arg, j, mem = 0, mem_slots = 0, regs;

	/* the by-value structs before it: stack slots, not registers */
	for (j = 0; j < h->nvals; j++) {
		if (h->vals[j].op == TS_OP_HASH_ARG && h->vals[j].arg < p) {
			mem++;
			mem_slots += TS_ID_BYTES / 8;
		}
	}
	/* the integer parameters before it, all in registers while there are some */
	regs = p - mem;
	if (h->vals[i].op != TS_OP_HASH_ARG && regs < ts_abi_arg_regs)
		return regs;
	/* on the stack, in parameter order: the integers past the registers, the structs */
	return ts_abi_arg_regs + (regs > ts_abi_arg_regs ? regs - ts_abi_arg_regs : 0) + mem_slots;
}
