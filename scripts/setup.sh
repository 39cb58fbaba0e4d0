#!/usr/bin/env bash
# Set up tracesmith-bpf on Debian 12 (bookworm): install every package that
# building and testing need, build, and trace the bundled demo workload.
#
#   sudo scripts/setup.sh              install, build, trace the demo -> demo.json
#   sudo scripts/setup.sh --deps-only  install the packages only
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
	make gcc clang llvm libclang-rt-14-dev libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev
	libiberty-dev libsqlite3-dev sqlite3 libmicrohttpd-dev libncurses-dev ncurses-base tmux
	libjson-c-dev libcmocka-dev protobuf-compiler pkg-config clang-format cppcheck
	python3 python3-yaml bpftrace linux-perf time procps util-linux
	python3-pandas python3-numpy python3-plotly python3-networkx python3-psutil
	# make ARCH=arm64 and its test under qemu (scripts/test-arm64.sh)
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm cpio
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[ "${1:-}" = "--deps-only" ] && exit 0

make -j"$(nproc)"
make build/fakecuda/libcuda.so.1 build/fakeapp
# The demo: the stand-in driver and a workload that calls it the way the CUDA
# runtime, PyTorch and Triton do. On a GPU host, trace your own program instead:
#   sudo ./tracesmith-bpf -o trace.json -- python train.py
$SUDO ./tracesmith-bpf --lib build/fakecuda/libcuda.so.1 -o demo.json -- \
	build/fakeapp --lib build/fakecuda/libcuda.so.1 all
echo "setup: done. Open demo.json in https://ui.perfetto.dev"
