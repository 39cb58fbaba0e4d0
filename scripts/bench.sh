#!/usr/bin/env bash
# make bench: the four benchmark groups of BENCHMARKS.md. Needs root.
# Each figure is run RUNS times: median [min..max]. Nothing here asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
N=${N:-200000}
EVENTS=${EVENTS:-1000000}
LIB=build/fakecuda/libcuda.so.1
APP="build/fakeapp --lib $LIB"
TS=./build/tracesmith-bpf
tmp=$(mktemp -d /tmp/ts-bench-XXXXXX)
trap 'rm -rf "$tmp" "${shm:-}"' EXIT

stat3() { sort -n | awk '{a[NR]=$1} END {if (!NR) {print "- - -"; exit} m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f %.1f %.1f\n", m, a[1], a[NR]}'; }
nsper() { grep -o 'ns_per_launch=[0-9.]*' | cut -d= -f2; }
fmt() { read -r m lo hi; printf "%s [%s..%s]" "$m" "$lo" "$hi"; }
# BPF ns per call of the $N-call program $2 traced with options $1, by the kernel's own count
# (bpf_stats on: all ts_api_ programs' run time, read before the tracer unloads them)
bpf_ns_per_call() {
	$TS $1 --lib "$LIB" -o "$tmp/bs.tsbpf" -- sh -c "$2 >/dev/null; bpftool prog show" 2>/dev/null |
		awk -v n="$N" '/ts_api_/ {for (i = 1; i <= NF; i++) {if ($i == "run_time_ns") t += $(i + 1)}}
		END {printf "%.0f\n", t / n}'
}

echo "## 1. Probe overhead per traced call (cuLaunchKernel, $N calls, $RUNS runs)"
: >"$tmp/a"; : >"$tmp/b"; : >"$tmp/c"; : >"$tmp/d"; drops=0
for _ in $(seq "$RUNS"); do
	$APP storm "$N" | nsper >>"$tmp/a"
	build/floor "$LIB" cuLaunchKernel -- $APP storm "$N" | nsper >>"$tmp/b"
	$TS --lib "$LIB" -o "$tmp/c.tsbpf" -- $APP storm "$N" 2>"$tmp/c.err" | nsper >>"$tmp/c"
	if grep -q DROPPED "$tmp/c.err"; then drops=$((drops + 1)); fi
	if command -v bpftrace >/dev/null; then
		bpftrace -o "$tmp/bt.out" -c "$APP storm $N" -e "
uprobe:$LIB:cuLaunchKernel { @t[tid] = nsecs; @f[tid] = arg0; @g[tid] = arg1; @b[tid] = arg4; }
uretprobe:$LIB:cuLaunchKernel /@t[tid]/ {
	printf(\"%d %lx %d %d %d %d\\n\", tid, @f[tid], @g[tid], @b[tid], retval, nsecs - @t[tid]);
	delete(@t[tid]);
}" 2>/dev/null | nsper >>"$tmp/d" || true
	fi
done
a=$(stat3 <"$tmp/a"); b=$(stat3 <"$tmp/b"); c=$(stat3 <"$tmp/c"); d=$(stat3 <"$tmp/d")
echo "| case | ns per call, median [min..max] |"
echo "|---|---|"
echo "| (a) untraced | $(echo "$a" | fmt) |"
echo "| (b) empty uprobe+uretprobe (floor) | $(echo "$b" | fmt) |"
echo "| (c) tracesmith-bpf, recording | $(echo "$c" | fmt) |"
echo "| (d) bpftrace, same fields printed | $(echo "$d" | fmt) |"
am=${a%% *}; bm=${b%% *}; cm=${c%% *}; dm=${d%% *}
awk -v a="$am" -v b="$bm" -v c="$cm" -v d="$dm" -v runs="$RUNS" -v dr="$drops" 'BEGIN {
	printf "\n(c-a)/(b-a) = %.3f (target <= 1.10); runs with drops: %d of %d\n", (c-a)/(b-a), dr, runs
	if (d != "-") printf "(d-a)/(b-a) = %.3f\n", (d-a)/(b-a) }'

# The same split, without the noise of whole-loop timing: the kernel's own
# count of time spent in each BPF program (kernel.bpf_stats_enabled), RUNS
# times. Per call: all of a run's program time over its calls (a session
# program runs twice per followed call, at entry and at return).
progtime() {
	"$@" -- sh -c "$APP storm $N >/dev/null; bpftool prog show" 2>/dev/null |
		awk -v pat="$PAT" '$0 ~ pat {for (i = 1; i <= NF; i++) {if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1)}
			if (c) printf "%s %.0f %s %s\n", $4, t / c, t, c}'
}
percall() { awk '{t += $3; if ($1 ~ /session/) c = $4 / 2; else if ($1 ~ /entry/) c = $4} END {if (c) printf "%.0f\n", t / c}'; }
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
: >"$tmp/pf"; : >"$tmp/ps"; : >"$tmp/pp"; : >"$tmp/progs"
for _ in $(seq "$RUNS"); do
	PAT="floor_" progtime build/floor "$LIB" cuLaunchKernel >"$tmp/one"
	percall <"$tmp/one" >>"$tmp/pf"; cat "$tmp/one" >>"$tmp/progs"
	PAT="ts_api_" progtime $TS --lib "$LIB" -o "$tmp/p.tsbpf" >"$tmp/one"
	percall <"$tmp/one" >>"$tmp/ps"; cat "$tmp/one" >>"$tmp/progs"
	PAT="ts_api_" TRACESMITH_NO_UPROBE_SESSION=1 progtime $TS --lib "$LIB" -o "$tmp/p.tsbpf" >"$tmp/one"
	percall <"$tmp/one" >>"$tmp/pp"; cat "$tmp/one" >>"$tmp/progs"
done
# --stacks: the same count with callers and Python stacks (bench/pystorm.py:
# 20,000 launches through ctypes from 3 and from 20 frames deep)
PY=${TS_PYTHON:-/usr/bin/python3.11}
: >"$tmp/sc"; : >"$tmp/sp0"; : >"$tmp/sp3"; : >"$tmp/sp20"
for _ in $(seq "$RUNS"); do
	PAT="ts_api_" progtime $TS --stacks --lib "$LIB" -o "$tmp/p.tsbpf" | percall >>"$tmp/sc"
	if [ -x "$PY" ]; then
		$TS --lib "$LIB" -o "$tmp/p.tsbpf" -- "$PY" bench/pystorm.py "$LIB" 20000 3 \
			2>/dev/null >>"$tmp/sp0"
		for d in 3 20; do
			$TS --stacks --lib "$LIB" -o "$tmp/p.tsbpf" -- "$PY" bench/pystorm.py "$LIB" \
				20000 $d 2>/dev/null >>"$tmp/sp$d"
		done
	fi
done
sysctl -qw kernel.bpf_stats_enabled="$old_stats"
echo
echo "| --stacks: BPF ns per call (bpf_stats), median [min..max] |   |"
echo "|---|---|"
echo "| C storm, --stacks (caller, no Python) | $(stat3 <"$tmp/sc" | fmt) |"
if [ -s "$tmp/sp0" ]; then
	echo "| Python, 3 frames, without --stacks | $(stat3 <"$tmp/sp0" | fmt) |"
	echo "| Python, 3 frames, --stacks | $(stat3 <"$tmp/sp3" | fmt) |"
	echo "| Python, 20 frames, --stacks | $(stat3 <"$tmp/sp20" | fmt) |"
fi
echo
echo "| BPF program | ns per run (bpf_stats), median [min..max] |"
echo "|---|---|"
for prog in $(cut -d' ' -f1 "$tmp/progs" | sort -u); do
	echo "| $prog | $(awk -v p="$prog" '$1 == p {print $2}' "$tmp/progs" | stat3 | fmt) |"
done
echo
echo "| per traced call | BPF ns, median [min..max] |"
echo "|---|---|"
echo "| empty pair (floor) | $(stat3 <"$tmp/pf" | fmt) |"
echo "| tracesmith-bpf, uprobe session | $(stat3 <"$tmp/ps" | fmt) |"
echo "| tracesmith-bpf, entry/return pair | $(stat3 <"$tmp/pp" | fmt) |"

# A process the trace does not follow (-p names another) calling the same
# libcuda: what it pays per call, with a session and with the pair.
echo
echo "| a process not followed (-p another) | ns per call, median [min..max] |"
echo "|---|---|"
$APP --preload --wait-file "$tmp/never" runtime &
idle=$!
for c in "uprobe session:" "entry/return pair:1"; do
	: >"$tmp/by"
	for _ in $(seq "$RUNS"); do
		if [ -n "${c#*:}" ]; then export TRACESMITH_NO_UPROBE_SESSION=1; else unset TRACESMITH_NO_UPROBE_SESSION; fi
		: >"$tmp/by.err"
		$TS -p "$idle" --lib "$LIB" -o "$tmp/by.json" 2>"$tmp/by.err" &
		tr=$!
		for _ in $(seq 300); do grep -q 'tracing pid' "$tmp/by.err" && break; sleep 0.1; done
		$APP storm "$N" | nsper >>"$tmp/by"
		kill -INT "$tr"; wait "$tr" || true
	done
	echo "| ${c%%:*} | $(stat3 <"$tmp/by" | fmt) |"
done
unset TRACESMITH_NO_UPROBE_SESSION
kill "$idle"; wait "$idle" 2>/dev/null || true

echo
echo "## 2. Event throughput while tracing live (threads x $N launches)"
echo "| producer threads | to | events/s | dropped |"
echo "|---|---|---|---|"
for ext in tsbpf json; do
	for t in 1 2 4; do
		out=$($TS --lib "$LIB" -o "$tmp/t.$ext" -- $APP stormthreads "$t" "$N" 2>"$tmp/t.err")
		rate=$(echo "$out" | grep -o 'events_per_s=[0-9]*' | cut -d= -f2)
		dropped=$(grep -o '[0-9]* events DROPPED' "$tmp/t.err" | cut -d' ' -f1 || true)
		echo "| $t | .$ext | $rate | ${dropped:-0} |"
	done
done

echo
echo "## 3. Export speed, $EVENTS-event synthetic PyTorch-like capture"
build/gen_capture "$EVENTS" "$tmp/big.tsbpf"
# To the disk and to a tmpfs: on these VMs the kernel's cost of fresh page-cache
# pages (a dd of the same bytes takes as long) hides ours, and "on one core"
# is our work; user+sys CPU says what the process itself spent.
shm=$(mktemp -d /dev/shm/ts-bench-XXXXXX 2>/dev/null || echo "$tmp")
echo "| output | to | events/s, median [min..max] | CPU s (user+sys) | peak RSS MB | size MB | bytes/event |"
echo "|---|---|---|---|---|---|---|"
for ext in json pftrace sqlite; do
	for dir in "$tmp" "$shm"; do
		where=disk; [ "$dir" = "$shm" ] && where=tmpfs
		: >"$tmp/rate"; : >"$tmp/rss"; : >"$tmp/cpu"
		for _ in $(seq "$RUNS"); do
			rm -f "$dir/out.$ext" "$dir/out.$ext.old"
			/usr/bin/time -f "%e %M %U %S" -o "$tmp/time" $TS replay "$tmp/big.tsbpf" -o "$dir/out.$ext"
			read -r secs kb us ss <"$tmp/time"
			awk -v e="$EVENTS" -v s="$secs" 'BEGIN {printf "%.0f\n", e / (s > 0 ? s : 0.001)}' >>"$tmp/rate"
			awk -v u="$us" -v s="$ss" 'BEGIN {printf "%.2f\n", u + s}' >>"$tmp/cpu"
			echo $((kb / 1024)) >>"$tmp/rss"
		done
		size=$(stat -c %s "$dir/out.$ext")
		rm -f "$dir/out.$ext"
		echo "| .$ext | $where | $(stat3 <"$tmp/rate" | fmt) | $(stat3 <"$tmp/cpu" | cut -d' ' -f1) | $(stat3 <"$tmp/rss" | cut -d' ' -f1) | $((size / 1048576)) | $((size / EVENTS)) |"
	done
	eval "size_$ext=$size"
done
[ "$shm" = "$tmp" ] || rm -rf "$shm"
awk -v j="$size_json" -v p="$size_pftrace" 'BEGIN {printf "\nprotobuf is %.2fx smaller than JSON (target >= 3)\n", j / p}'
echo "capture: $(($(stat -c %s "$tmp/big.tsbpf") / EVENTS)) bytes/event"

echo
echo "## 4. Start-up: launch to probes attached"
: >"$tmp/s"
for _ in $(seq "$RUNS"); do
	$TS -v --lib "$LIB" -o "$tmp/s.json" -- /bin/true 2>&1 |
		grep -o 'attached [0-9]* symbols.*after start' | grep -o '[0-9.]* ms' | cut -d' ' -f1 >>"$tmp/s"
done
syms=$($TS -v --lib "$LIB" -o "$tmp/s.json" -- /bin/true 2>&1 | grep -o 'attached [0-9]*' | cut -d' ' -f2)
echo "| probes | ms, median [min..max] |"
echo "|---|---|"
echo "| $syms functions hooked | $(stat3 <"$tmp/s" | fmt) |"

# the background detach of a perf-event run must end before the next one starts
settle() { while pgrep -f '^\[tracesmith-bpf\]$' >/dev/null || ps -eo stat,args | grep -q '^D.*\[tracesmith-bpf\]'; do sleep 0.5; done; }

echo
echo "## 5. Whole run of -- /bin/true: start, trace nothing, stop (s)"
echo "| case | s, median [min..max] |"
echo "|---|---|"
for c in "default:" "--no-driver:--no-driver" "no uprobe_multi (perf-event uprobes):NOMULTI"; do
	label=${c%%:*}; opt=${c#*:}; : >"$tmp/r"
	for _ in $(seq "$RUNS"); do
		settle
		if [ "$opt" = NOMULTI ]; then
			/usr/bin/time -f "%e" -o "$tmp/t" env TRACESMITH_NO_UPROBE_MULTI=1 \
				$TS --lib "$LIB" -o "$tmp/r.json" -- /bin/true 2>/dev/null
		else
			/usr/bin/time -f "%e" -o "$tmp/t" $TS --lib "$LIB" $opt -o "$tmp/r.json" -- /bin/true 2>/dev/null
		fi
		cat "$tmp/t" >>"$tmp/r"
	done
	echo "| $label | $(stat3 <"$tmp/r" | fmt) |"
done
settle

echo
echo "## 6. merge: 8 captures of $EVENTS calls each into one .pftrace"
for i in 1 2 3 4 5 6 7 8; do
	build/gen_capture "$EVENTS" "$tmp/h$i.tsbpf" >/dev/null
	# each its own host (gen_capture writes this machine's name)
	printf 'host-%d\0' "$i" | dd of="$tmp/h$i.tsbpf" bs=1 seek=40 conv=notrunc status=none
done
: >"$tmp/m"; : >"$tmp/mr"
for _ in $(seq "$RUNS"); do
	rm -f "$tmp/m.pftrace"
	/usr/bin/time -f "%e %M" -o "$tmp/t" $TS merge "$tmp"/h?.tsbpf -o "$tmp/m.pftrace" 2>/dev/null
	read -r secs kb <"$tmp/t"
	echo "$secs" >>"$tmp/m"
	echo $((kb / 1024)) >>"$tmp/mr"
done
echo "| inputs | s, median [min..max] | calls/s | peak RSS MB |"
echo "|---|---|---|---|"
ms=$(stat3 <"$tmp/m")
echo "| 8 x $EVENTS calls | $(echo "$ms" | fmt) | $(echo "$ms" | awk -v e="$EVENTS" '{printf "%.0f", 8 * e / $1}') | $(stat3 <"$tmp/mr" | cut -d' ' -f1) |"

echo
echo "## 7. --runtime-api: cudaLaunchKernel through the runtime ($N calls, $RUNS runs)"
# the stand-in runtime's launch is one cuLaunchKernel: with --runtime-api each
# call pays a second probe pair (the runtime's) around the driver's
RTAPP="build/fakecudart/rtapp --cuda $LIB --cudart build/fakecudart/libcudart.so.13 storm $N"
: >"$tmp/ra"; : >"$tmp/rb"; : >"$tmp/rc"
for _ in $(seq "$RUNS"); do
	$RTAPP | nsper >>"$tmp/ra"
	$TS --lib "$LIB" -o "$tmp/r.tsbpf" -- $RTAPP 2>/dev/null | nsper >>"$tmp/rb"
	$TS --runtime-api --lib "$LIB" -o "$tmp/r.tsbpf" -- $RTAPP 2>/dev/null | nsper >>"$tmp/rc"
done
echo "| case | ns per cudaLaunchKernel, median [min..max] |"
echo "|---|---|"
echo "| untraced | $(stat3 <"$tmp/ra" | fmt) |"
echo "| traced, the driver only (default) | $(stat3 <"$tmp/rb" | fmt) |"
echo "| traced, --runtime-api | $(stat3 <"$tmp/rc" | fmt) |"
# the repeatable figure: BPF time per launch by the kernel's own count (bpf_stats;
# other tracers' ts_api_ programs, if any run, are counted too: run it alone)
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
: >"$tmp/rsb"; : >"$tmp/rsc"
for _ in $(seq "$RUNS"); do
	for o in b c; do
		opt=; [ $o = c ] && opt=--runtime-api
		bpf_ns_per_call "$opt" "$RTAPP" >>"$tmp/rs$o"
	done
done
sysctl -qw kernel.bpf_stats_enabled="$old_stats"
echo "| BPF ns per cudaLaunchKernel (bpf_stats), the driver only | $(stat3 <"$tmp/rsb" | fmt) |"
echo "| BPF ns per cudaLaunchKernel (bpf_stats), --runtime-api | $(stat3 <"$tmp/rsc" | fmt) |"
# NVTX: what one push or pop costs the program making it (bench/nvtxstorm.c,
# built with the CUDA toolkit's nvtx3 headers): without an injection library
# (NVTX's own no-op), with ours but not traced (its uprobe not attached), and
# traced (--: batches handed over through one uprobe). cpu is the process's
# own user+system time per call, wall the loop's elapsed time (which also
# holds whatever else ran on the machine's CPUs, the tracer included).
if [ -x build/nvtxstorm ]; then
	echo
	echo "## 8. NVTX push/pop, $N pairs"
	: >"$tmp/n0"; : >"$tmp/n1"; : >"$tmp/n2"
	for _ in $(seq "$RUNS"); do
		env -u NVTX_INJECTION64_PATH build/nvtxstorm "$N" >>"$tmp/n0"
		NVTX_INJECTION64_PATH=$PWD/build/libtracesmith-nvtx.so build/nvtxstorm "$N" >>"$tmp/n1"
		$TS --lib "$LIB" -o "$tmp/n.tsbpf" -- build/nvtxstorm "$N" 2>/dev/null >>"$tmp/n2"
	done
	wall() { grep -o '^ns_per_op=[0-9.]*' "$1" | cut -d= -f2 | stat3 | fmt; }
	cpu() { grep -o 'cpu_ns_per_op=[0-9.]*' "$1" | cut -d= -f2 | stat3 | fmt; }
	echo "| case | wall ns per call | CPU ns per call |"
	echo "|---|---|---|"
	echo "| no injection library | $(wall "$tmp/n0") | $(cpu "$tmp/n0") |"
	echo "| ours, not traced | $(wall "$tmp/n1") | $(cpu "$tmp/n1") |"
	echo "| ours, traced (--) | $(wall "$tmp/n2") | $(cpu "$tmp/n2") |"
fi

echo
echo "## 9. NCCL: ncclAllReduce through the stand-in libnccl ($N calls, $RUNS runs)"
# each call is NCCL's probe pair around the driver's cuLaunchKernel pair (the stand-in launches
# one kernel per collective, as NCCL does); the BPF figure is both pairs' work
NCCLAPP="build/fakenccl/ncclapp --cuda $LIB --nccl build/fakenccl/libnccl.so.2 storm $N"
: >"$tmp/ca"; : >"$tmp/cb"; : >"$tmp/cs"
for _ in $(seq "$RUNS"); do
	$NCCLAPP | nsper >>"$tmp/ca"
	$TS --lib "$LIB" -o "$tmp/c.tsbpf" -- $NCCLAPP 2>/dev/null | nsper >>"$tmp/cb"
done
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
for _ in $(seq "$RUNS"); do
	bpf_ns_per_call "" "$NCCLAPP" >>"$tmp/cs"
done
sysctl -qw kernel.bpf_stats_enabled="$old_stats"
echo "| case | ns per ncclAllReduce, median [min..max] |"
echo "|---|---|"
echo "| untraced | $(stat3 <"$tmp/ca" | fmt) |"
echo "| traced (NCCL and the driver) | $(stat3 <"$tmp/cb" | fmt) |"
echo "| BPF ns per ncclAllReduce (bpf_stats) | $(stat3 <"$tmp/cs" | fmt) |"

echo
echo "## 10. Flight recorder: the same storm recorded to a .tsbpf and kept in memory ($N calls, $RUNS runs)"
# the BPF side is the same programs; what differs is the drain: a capture file's write against a
# copy into the recorder's chunks. Per call as the app sees it, CPU (tracer and app) and peak RSS.
: >"$tmp/fa"; : >"$tmp/fb"; : >"$tmp/fc"; : >"$tmp/fd"
# storm_timed NS USE OPTIONS...: the storm traced with OPTIONS; ns per call to NS, "CPU-s RSS-MiB" to USE
storm_timed() {
	local ns=$1 use=$2
	shift 2
	/usr/bin/time -f "%U %S %M" -o "$tmp/ft" $TS --lib "$LIB" "$@" -- $APP storm "$N" \
		2>>"$tmp/f.err" | nsper >>"$ns"
	awk '{printf "%.2f %d\n", $1 + $2, $3 / 1024}' "$tmp/ft" >>"$use"
}
for _ in $(seq "$RUNS"); do
	storm_timed "$tmp/fa" "$tmp/fc" -o "$tmp/f.tsbpf"
	storm_timed "$tmp/fb" "$tmp/fd" --flight-recorder 60 --snapshot-on hang=30 -o "$tmp/f.json"
done
fdrops=$(grep -c DROPPED "$tmp/f.err" || true)
echo "| case | ns per call, median [min..max] | CPU s, tracer and app | peak RSS MiB (tracer) |"
echo "|---|---|---|---|"
echo "| recording to a .tsbpf | $(stat3 <"$tmp/fa" | fmt) | $(cut -d' ' -f1 "$tmp/fc" | stat3 | fmt) | $(cut -d' ' -f2 "$tmp/fc" | stat3 | fmt) |"
echo "| --flight-recorder 60 --snapshot-on hang=30 (no trigger) | $(stat3 <"$tmp/fb" | fmt) | $(cut -d' ' -f1 "$tmp/fd" | stat3 | fmt) | $(cut -d' ' -f2 "$tmp/fd" | stat3 | fmt) |"
echo "runs with drops: $fdrops of $((2 * RUNS))"
