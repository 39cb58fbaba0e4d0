#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# PID 1 of the arm64 qemu guest that scripts/test-arm64.sh boots: real traces
# of the stand-in driver by the arm64 tracer, on Debian's arm64 6.1 kernel
# (perf-event uprobes: no uprobe_multi, no sessions) and on its backports'
# newest (6.12: uprobe_multi, no sessions). Each capture goes back
# to the host over the console, base64 between TS-FILE and TS-END lines; the
# host replays them and checks the counts. Every wait is for a condition,
# bounded; the host bounds the whole run.
/bin/busybox mkdir -p /proc /sys /dev /tmp /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
# a state folder the tracer trusts: root's, its parents root's and not writable by others
mkdir -p -m 700 /var/lib/tracesmith
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/ts TRACESMITH_STATE_DIR=/var/lib/tracesmith HOME=/tmp
T=/ts/tracesmith-bpf
L=/ts/libcuda.so.1
A=/ts/fakeapp
O=/tmp/out
mkdir -p $O
cd /tmp || exit 1

step() { echo "TS-STEP $(cut -d" " -f1 /proc/uptime) s: $*"; }
fail() { echo "TS-FAIL $*"; }
# run NAME TRACER-ARGS...: a traced command, its capture in $O/NAME.tsbpf, its errors said
run() {
	name=$1
	shift
	$T "$@" >/dev/null 2>$O/$name.err || { fail "$name: status $?"; cat $O/$name.err; return 1; }
}

# wait_in FILE TEXT: until FILE holds TEXT (the tracer says it is attached), at most 60 s
wait_in() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 600 ] && { fail "no '$2' in $1:"; cat "$1"; return 1; }
		sleep 0.1
	done
}

step "kernel $(uname -r) $(uname -m)"
# Every tracer run on 6.1 costs ~20 s under emulation (its perf-event probes detach one by one,
# and the next attach waits on that): one -- run holds the x86-64 tests' workloads together.
# The driver layer goes through stand-in devices (major 1, as the stand-in requires).
# Then two NCCL ranks (the stand-in libnccl, dlopened): the ncclUniqueId passed by value, on
# arm64 as a pointer to a copy, hashed into the same communicator id by both.
WORKLOADS="runtime torch triton launchex fail threads"
NCCL="/ts/ncclapp --cuda $L --nccl /ts/nccl/libnccl.so.2 ranks 2"
step "-- $WORKLOADS, the driver layer, NCCL (and the one -v line on what this kernel lacks)"
mknod -m 600 /dev/nvidiactl c 1 5
mknod -m 600 /dev/nvidia-uvm c 1 5
# the first run says whether the programs load at all: if not, nothing else is tried
if FAKECUDA_DEVDIR=/dev run mix -v --lib $L -o $O/mix.tsbpf -- \
	sh -c "$A --lib $L $WORKLOADS >/dev/null && $NCCL"; then
	grep -m1 "uprobe" $O/mix.err
	ok=1
fi
rm -f /dev/nvidiactl /dev/nvidia-uvm

# the rest, once the programs load
rest() {
	# -p: a process that has loaded the library, waiting until the tracer is attached
	step "-p"
	rm -f go
	$A --lib $L --preload --wait-file go runtime >/dev/null &
	app=$!
	$T --lib $L -p $app -o $O/pid.tsbpf 2>$O/pid.err &
	tr=$!
	wait_in $O/pid.err "tracing pid" && touch go
	wait $app || fail "-p: the app's status $?"
	wait $tr || { fail "-p: status $?"; cat $O/pid.err; }

	# -a: every process that uses the library, started after the tracer
	step "-a"
	$T -a --lib $L -o $O/all.tsbpf 2>$O/all.err &
	tr=$!
	if wait_in $O/all.err "tracing every process"; then
		$A --lib $L triton >/dev/null || fail "-a: app 1"
		$A --lib $L triton >/dev/null || fail "-a: app 2"
	fi
	kill -INT $tr
	wait $tr || { fail "-a: status $?"; cat $O/all.err; }

	# --gpu-time -- (graphs) and -p (the injection library loaded with ptrace)
	step "--gpu-time -- graphs threads"
	run gputime --lib $L --gpu-time --cupti /ts/libcupti.so -o $O/gputime.tsbpf -- \
		$A --lib $L graphs threads
	step "--gpu-time -p"
	rm -f go
	$A --lib $L --preload --wait-file go runtime threads >/dev/null &
	app=$!
	$T --lib $L --gpu-time --cupti /ts/libcupti.so -p $app -o $O/gtpid.tsbpf 2>$O/gtpid.err &
	tr=$!
	wait_in $O/gtpid.err "tracing pid" && touch go
	wait $app || fail "--gpu-time -p: the app's status $?"
	wait $tr || { fail "--gpu-time -p: status $?"; cat $O/gtpid.err; }
}
[ -n "${ok:-}" ] && rest

for f in $O/*.tsbpf; do
	echo "TS-FILE $(basename $f)"
	base64 $f
	echo "TS-END"
done
step "done"
echo o >/proc/sysrq-trigger
poweroff -f
