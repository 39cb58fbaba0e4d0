#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# arm64 on an older kernel and a newer one, in CI: build the arm64 tracer
# (make ARCH=arm64) and the stand-in driver and workloads for arm64, boot
# Debian's arm64 6.1 kernel (perf-event uprobes) and its backports' newest
# (6.12: uprobe_multi) under qemu (software emulation) with them in an initramfs, trace
# the workloads there for real (tests/arm64/init.sh: --, -p, -a, stack
# arguments, graphs, the driver layer, --gpu-time with ptrace), then replay
# what was recorded on the host and check that every count equals the
# same workload's, traced here on x86-64 by this build (tests/arm64/check_counts.py).
# Root: the x86-64 traces are real BPF too.
# Debian's packages are fetched once and cached under build/arm64.
#
#   scripts/test-arm64.sh        (needs gcc-aarch64-linux-gnu, qemu-system-arm: scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/arm64
# the whole guest run, boot to power-off; it takes ~1.5 minutes
QEMU_TIMEOUT=${QEMU_TIMEOUT:-300}

for t in aarch64-linux-gnu-gcc qemu-system-aarch64; do
	command -v $t >/dev/null || {
		echo "test-arm64: no $t: install gcc-aarch64-linux-gnu and qemu-system-arm" \
			"(scripts/setup.sh --deps-only)" >&2
		exit 1
	}
done
t0=$(date +%s)
make -s ARCH=arm64 -j"$(nproc)" static $out/fakecuda/libcuda.so.1 $out/fakeapp \
	$out/fakecupti/libcupti.so $out/fakenccl/libnccl.so.2 $out/fakenccl/ncclapp
make -s -j"$(nproc)" build/tracesmith-bpf build/fakecuda/libcuda.so.1 build/fakeapp \
	build/fakecupti/libcupti.so build/fakenccl/libnccl.so.2 build/fakenccl/ncclapp

# The same workloads traced here on x86-64 by this build: what the arm64 counts must equal
ref=$out/x86
rm -rf "$ref"
mkdir -p "$ref"
state=$(mktemp -d)
made=()
trap 'rm -rf "$state"; [ ${#made[@]} -eq 0 ] || rm -f "${made[@]}"' EXIT
x86() {
	name=$1
	shift
	TRACESMITH_STATE_DIR=$state build/tracesmith-bpf --lib build/fakecuda/libcuda.so.1 \
		-o "$ref/$name.tsbpf" "$@" >/dev/null 2>"$ref/$name.err" ||
		{ echo "test-arm64: the x86-64 run $name failed:" >&2; cat "$ref/$name.err" >&2; exit 1; }
}
app="build/fakeapp --lib build/fakecuda/libcuda.so.1"
# the workloads tests/arm64/init.sh runs together, the driver layer through stand-in devices
# (major 1), never over real ones (as record-fixtures.sh does)
for d in /dev/nvidiactl /dev/nvidia-uvm; do
	if [ ! -e "$d" ]; then mknod -m 600 "$d" c 1 5 && made+=("$d"); fi
done
[ "$(stat -c %t /dev/nvidiactl)" = 1 ] || { echo "test-arm64: real NVIDIA devices here" >&2; exit 1; }
FAKECUDA_DEVDIR=/dev x86 mix -- sh -c "$app runtime torch triton launchex fail threads >/dev/null &&
	build/fakenccl/ncclapp --cuda build/fakecuda/libcuda.so.1 --nccl build/fakenccl/libnccl.so.2 ranks 2"
x86 runtime -- $app runtime
x86 gputime --gpu-time --cupti build/fakecupti/libcupti.so -- $app graphs threads

# the initramfs: busybox, the static tracer, the stand-ins and the arm64 C library they link
root=$out/initramfs
rm -rf "$root"
mkdir -p "$root/bin" "$root/lib" "$root/ts"
cp $out/busybox/bin/busybox "$root/bin/"
ln -s busybox "$root/bin/sh"
cp tests/arm64/init.sh "$root/init"
cp $out/tracesmith-bpf-static "$root/ts/tracesmith-bpf"
cp $out/fakecuda/libcuda.so.1 $out/fakeapp $out/fakecupti/libcupti.so $out/fakenccl/ncclapp "$root/ts/"
mkdir -p "$root/ts/nccl"
cp $out/fakenccl/libnccl.so.2 "$root/ts/nccl/"
for l in ld-linux-aarch64.so.1 libc.so.6; do
	cp -L /usr/aarch64-linux-gnu/lib/$l "$root/lib/"
done
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >$out/initramfs.cpio.gz

# guest KERNEL_DIR NAME PROBES: boot the kernel in KERNEL_DIR under qemu with the initramfs,
# check that the tracer's -v line there says PROBES (which uprobe interface it used), take the
# captures out of its console into $out/NAME, and check every count against the x86-64 runs.
# -cpu max with the cheap pointer-authentication algorithm: the architected one is slow to emulate
guest() {
	local kernel log=$out/console-$2.log res=$out/$2 fails
	kernel=$(ls "$1"/boot/vmlinuz-*)
	echo "test-arm64: booting $(basename "$kernel") under qemu-system-aarch64"
	timeout "$QEMU_TIMEOUT" qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on -smp 2 -m 1G \
		-nographic -nic none -no-reboot -kernel "$kernel" -initrd $out/initramfs.cpio.gz \
		-append "console=ttyAMA0 quiet loglevel=3 panic=-1 rdinit=/init" </dev/null |
		tr -d '\r' >"$log" || true
	grep -E '^TS-(STEP|FAIL)|uprobe' "$log" || true
	grep -q '^TS-STEP .*: done$' "$log" || {
		echo "test-arm64: the guest did not finish (see $log)" >&2
		return 1
	}
	grep -q "$3" "$log" || {
		echo "test-arm64: the tracer on $(basename "$kernel") did not say '$3'" >&2
		return 1
	}
	# the captures, out of the console
	rm -rf "$res"
	mkdir -p "$res"
	awk -v dir="$res" '/^TS-FILE /{f=dir "/" $2 ".b64"; next} /^TS-END$/{f=""; next} f{print > f}' \
		"$log"
	for f in "$res"/*.b64; do base64 -d "$f" >"${f%.b64}" && rm "$f"; done
	fails=$(grep -c '^TS-FAIL' "$log" || true)
	python3 tests/arm64/check_counts.py build/tracesmith-bpf "$res" "$ref" || return 1
	[ "$fails" = 0 ] || { echo "test-arm64: $fails step(s) failed in the guest" >&2; return 1; }
}

# the release's 6.1 (perf-event uprobes, no sessions), then the backports' newest (uprobe_multi)
st=0
guest $out/kernel results "has no uprobe_multi (6.6+) nor uprobe sessions" || st=1
guest $out/kernel-new results-new "has no uprobe sessions (6.13+): separate entry and return" || st=1
echo "test-arm64: $([ $st = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - t0)) s"
exit $st
