# make bench's Python workload for --stacks: N cuLaunchKernel calls through
# ctypes from a stack DEPTH Python frames deep, then the BPF time per call of
# the tracer's (our parent's) ts_api_* programs, from the kernel's own count
# (kernel.bpf_stats_enabled, which the caller turns on).
#   pystorm.py LIBCUDA N DEPTH
import ctypes
import glob
import json
import os
import subprocess
import sys

cu = ctypes.CDLL(sys.argv[1])
n, depth = int(sys.argv[2]), int(sys.argv[3])


def storm(f):
    for _ in range(n):
        cu.cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, None, None, None)


def deeper(level, f):
    # the module's frame and storm's are two of the DEPTH frames
    if level > 2:
        return deeper(level - 1, f)
    return storm(f)


def tracer_prog_ids():
    ids = set()
    for info in glob.glob("/proc/%d/fdinfo/*" % os.getppid()):
        try:
            for line in open(info):
                if line.startswith("prog_id:"):
                    ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


cu.cuInit(0)
m, f = ctypes.c_void_p(), ctypes.c_void_p()
cu.cuModuleLoadData(ctypes.byref(m), b"x")
cu.cuModuleGetFunction(ctypes.byref(f), m, b"bench_kernel")
deeper(depth, f)
ids = tracer_prog_ids()
progs = json.loads(subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True).stdout)
t = c = 0
for p in progs:
    if p.get("id") in ids and p.get("name", "").startswith("ts_api_"):
        t += p.get("run_time_ns", 0)
        c = max(c, p.get("run_cnt", 0))
# a session program runs twice per call; an entry/return pair once each
calls = c / 2 if any("session" in p.get("name", "") for p in progs if p.get("id") in ids) else c
print("%.0f" % (t / calls) if calls else "-")
