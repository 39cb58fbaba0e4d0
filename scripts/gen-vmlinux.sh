#!/usr/bin/env bash
# Regenerate vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# The checked-in header is what CO-RE compiles against; relocations make the
# programs load on other kernels too, so regenerate only to reach new types.
set -euo pipefail
cd "$(dirname "$0")/.."
case "$(uname -m)" in
x86_64) arch=x86 ;;
aarch64) arch=arm64 ;;
*) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
btf=${1:-/sys/kernel/btf/vmlinux}
mkdir -p "vmlinux/$arch"
bpftool btf dump file "$btf" format c > "vmlinux/$arch/vmlinux.h.tmp"
mv "vmlinux/$arch/vmlinux.h.tmp" "vmlinux/$arch/vmlinux.h"
echo "wrote vmlinux/$arch/vmlinux.h from $btf"
