#!/usr/bin/env bash
# Record the ring-buffer replay fixtures: a capture of each stand-in workload
# (tests/fixtures/NAME.tsbpf) and its golden trace (NAME.json), replayed by
# this build. Needs root (except --goldens-only). After a decoder change, `make fixtures` and review
# `git diff tests/fixtures`: the diff is the change in what users see.
set -euo pipefail
cd "$(dirname "$0")/.."
lib=build/fakecuda/libcuda.so.1
mkdir -p tests/fixtures
# record NAME MODE...; tracer options in $TOPTS
record() {
	name=$1; shift
	if [ "$goldens_only" = 0 ]; then
		# shellcheck disable=SC2086
		./build/tracesmith-bpf --lib "$lib" ${TOPTS:-} -o "tests/fixtures/$name.tsbpf" -- \
			build/fakeapp --lib "$lib" "$@" >/dev/null
	fi
	./build/tracesmith-bpf replay "tests/fixtures/$name.tsbpf" -o "tests/fixtures/$name.json"
	# outputs keep the file they replace as FILE.old: the fixtures need no copy
	rm -f "tests/fixtures/$name.json.old" "tests/fixtures/$name.tsbpf.old"
}
# --goldens-only: keep the captures, rewrite the goldens (no root needed)
goldens_only=0
[ "${1:-}" = "--goldens-only" ] && goldens_only=1
record runtime runtime
record frameworks torch triton launchex fail
record threads threads
# --gpu-time with the stand-in libcupti: measured GPU records, graph nodes
TOPTS="--gpu-time --cupti build/fakecupti/libcupti.so" record gputime graphs threads
# --gpu-time with CUPTI's kernel facts and device record (the Nsight Systems SQL tests)
TOPTS="--gpu-time --cupti build/fakecupti/libcupti.so" record nsys runtime
# the driver layer, through stand-in devices: copies of /dev/zero (character
# devices of major 1, which the stand-in libcuda requires), never over real ones
made=()
for d in /dev/nvidiactl /dev/nvidia-uvm; do
	if [ ! -e "$d" ]; then mknod -m 600 "$d" c 1 5; made+=("$d"); fi
done
[ "$goldens_only" = 1 ] || [ "$(stat -c %t /dev/nvidiactl)" = 1 ] || { echo "real NVIDIA devices here: skipping the driver fixture"; exit 0; }
FAKECUDA_DEVDIR=/dev record driver runtime fail
[ ${#made[@]} -eq 0 ] || rm -f "${made[@]}"
ls -la tests/fixtures
