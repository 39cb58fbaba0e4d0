#!/usr/bin/env bash
# Regenerate vmlinux/<arch>/vmlinux.h from a kernel's BTF.
# The checked-in header is what CO-RE compiles against; relocations make the
# programs load on other kernels too, so regenerate only to reach new types.
#
#   scripts/gen-vmlinux.sh                       the running kernel's, for its architecture
#   scripts/gen-vmlinux.sh BTF-FILE [ARCH]       a BTF or ELF vmlinux file
#   scripts/gen-vmlinux.sh arm64                 Debian's arm64 6.1 kernel (its Image's BTF),
#                                                fetched by scripts/arm64-sysroot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
case "$(uname -m)" in
x86_64) arch=x86 ;;
aarch64) arch=arm64 ;;
*) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
btf=${1:-/sys/kernel/btf/vmlinux}
if [ "$btf" = arm64 ]; then
	scripts/arm64-sysroot.sh
	arch=arm64
	btf=build/arm64/vmlinux.btf
	scripts/image-btf.py build/arm64/kernel/boot/vmlinuz-* "$btf"
fi
arch=${2:-$arch}
mkdir -p "vmlinux/$arch"
bpftool btf dump file "$btf" format c > "vmlinux/$arch/vmlinux.h.tmp"
mv "vmlinux/$arch/vmlinux.h.tmp" "vmlinux/$arch/vmlinux.h"
echo "wrote vmlinux/$arch/vmlinux.h from $btf"
