#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Checker for what Holistic Trace Analysis (HTA) needs of a Kineto JSON trace.

HTA (facebookresearch/HolisticTraceAnalysis) reads PyTorch profiler (Kineto)
traces. These are its documented and coded requirements, checked field by
field on one of our JSON traces (HTA itself is not part of this project):

  - trace_parser: each complete event has ts, dur, name, cat, pid, tid; the
    args HTA keeps by default are "stream" and "correlation" (integers, -1 when
    absent), "bytes" and "memory bandwidth (GB/s)"; a "stream" that is not a
    number becomes -1 (pandas.to_numeric, errors="coerce");
  - an event is GPU work when its stream is not -1 (kernel, temporal, idle-time
    breakdowns, queue length); so GPU work has an integer stream >= 0 and a
    host call never has a number there;
  - categories: GPU work is "kernel", "gpu_memcpy" or "gpu_memset"
    (KERNEL_CATEGORY_PATTERN); CUDA calls are "cuda_driver" / "cuda_runtime";
    memory ops are named "Memcpy ..." / "Memset" (MemoryKernelGroupingPattern)
    and NCCL kernels "nccl..." (CommunicateKernelGroupingPattern);
  - correlation joins a launching call to its GPU work; HTA's queue length
    asserts that no two launch calls share one;
  - Kineto's flows from a call to its GPU work are "ac2g", their id the
    correlation;
  - trace keys: schemaVersion, baseTimeNanoseconds (Unix ns of ts 0),
    deviceProperties (one per device, "id"), distributedInfo (rank,
    world_size); HTA finds a folder's ranks by the first line matching
    '"rank":\\s+(\\d+)', which must be distributedInfo's.

Options: --rank N (distributedInfo must say rank N), --world-size N,
--measured (every copy and memset has measured times: its bandwidth is
required), --min-gpu N (at least N GPU events). Exit 0 if every rule holds,
1 otherwise, each broken rule said once with a count.
"""
import argparse
import collections
import json
import re
import sys

GPU_PID_BASE = 0x7FFF0000
GPU_CATS = {"kernel", "gpu_memcpy", "gpu_memset"}
HOST_CATS = {"cuda_driver", "cuda_runtime"}
# hta/common/trace_symbol_table.py get_runtime_launch_events_mask
LAUNCH_NAMES = {"cudaLaunchKernel", "cudaLaunchKernelExC", "cuLaunchKernel",
                "cuLaunchKernelEx", "cudaMemcpyAsync", "cudaMemsetAsync"}
RANK_RE = re.compile(r'"rank":\s+(\d+)')  # hta/common/trace_file.py


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def numeric(v):
    """What pandas.to_numeric(errors="coerce") makes of it: a number, or None."""
    if is_int(v) or isinstance(v, float):
        return v
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


class Rules:
    def __init__(self):
        self.broken = collections.Counter()
        self.example = {}

    def need(self, ok, rule, ev=None):
        if not ok:
            self.broken[rule] += 1
            self.example.setdefault(rule, ev)


def check_events(trace, r, a):
    corr_host = collections.defaultdict(list)
    corr_gpu = collections.defaultdict(list)
    flows = collections.defaultdict(dict)
    gpu_pids = set()
    ngpu = 0
    for e in trace["traceEvents"]:
        ph = e.get("ph")
        if ph in ("s", "f") and e.get("cat") == "ac2g":
            flows[e.get("id")][ph] = e
        if ph != "X":
            continue
        for k in ("ts", "dur", "name", "cat", "pid", "tid"):
            r.need(k in e, "a complete event has " + k, e)
        args = e.get("args", {})
        cat, gpu = e.get("cat"), e.get("pid", 0) >= GPU_PID_BASE
        stream = numeric(args.get("stream"))
        if gpu:
            gpu_pids.add(e["pid"])
        if cat in GPU_CATS:
            ngpu += 1
            r.need(gpu, "GPU categories are on GPU tracks", e)
            r.need(is_int(args.get("stream")) and args["stream"] >= 0,
                   "GPU work has an integer stream >= 0", e)
            r.need(is_int(args.get("device")), "GPU work has an integer device", e)
            if "submitted_by" not in args:  # joined to its call
                r.need(is_int(args.get("correlation")) and args["correlation"] > 0,
                       "GPU work has an integer correlation", e)
        elif gpu and stream is not None:
            r.need(False, "only GPU work has a number as stream", e)
        if cat in ("gpu_memcpy", "gpu_memset"):
            r.need(re.match(r"^Memcpy|^Memset", e["name"]) is not None,
                   "copies and memsets are named Memcpy.../Memset", e)
            r.need(is_int(args.get("bytes")), "copies and memsets have integer bytes", e)
            bw = args.get("memory bandwidth (GB/s)")
            if a.measured or bw is not None:
                r.need(isinstance(bw, (int, float)) and e["dur"] > 0 and
                       abs(bw - args.get("bytes", 0) / (e["dur"] * 1000.0)) <=
                       0.01 * bw + 0.01, "bandwidth is bytes over the measured time", e)
        if cat in HOST_CATS:
            r.need(not gpu, "CUDA calls are on host tracks", e)
        if not gpu:
            r.need(stream is None, "a host event never has a number as stream", e)
            if cat == "kernel" or cat in GPU_CATS:
                r.need(False, "no GPU category on a host track", e)
        if is_int(args.get("correlation")):
            (corr_gpu if cat in GPU_CATS else corr_host)[args["correlation"]].append(e)
    return corr_host, corr_gpu, flows, gpu_pids, ngpu


def check_joins(corr_host, corr_gpu, flows, r):
    for corr, gpus in corr_gpu.items():
        hosts = corr_host.get(corr, [])
        r.need(any(h.get("cat") in HOST_CATS for h in hosts),
               "GPU work's correlation is a CUDA call's", gpus[0])
        f = flows.get(corr, {})
        r.need("s" in f and "f" in f, "an ac2g flow joins a call to its GPU work", gpus[0])
    for corr, hosts in corr_host.items():
        launches = [h for h in hosts if h.get("name") in LAUNCH_NAMES]
        r.need(len(launches) <= 1, "no two launch calls share a correlation", hosts[0])
    for fid, f in flows.items():
        r.need("s" in f and "f" in f, "ac2g flows have both ends", f)
        if "s" in f:
            r.need(f["s"]["pid"] < GPU_PID_BASE, "ac2g flows start on a host track", f)
        if "f" in f:
            r.need(f["f"]["pid"] >= GPU_PID_BASE and f["f"].get("bp") == "e",
                   "ac2g flows end on a GPU track, bound to the enclosing slice", f)


def check_meta(trace, text, gpu_pids, r, a):
    r.need(is_int(trace.get("schemaVersion")), "schemaVersion is an integer")
    r.need(is_int(trace.get("baseTimeNanoseconds")) and trace["baseTimeNanoseconds"] > 0,
           "baseTimeNanoseconds is the Unix time of ts 0")
    props = trace.get("deviceProperties")
    r.need(isinstance(props, list) and all(is_int(p.get("id")) for p in props),
           "deviceProperties is a list of devices with an integer id")
    ids = {p.get("id") for p in props or []}
    r.need(all(pid - GPU_PID_BASE in ids for pid in gpu_pids),
           "deviceProperties lists every device drawn")
    di = trace.get("distributedInfo")
    first = next((m for m in map(RANK_RE.search, text.splitlines()) if m), None)
    if a.rank is None:
        r.need(di is None or is_int(di.get("rank")), "distributedInfo has an integer rank")
        return
    r.need(isinstance(di, dict) and di.get("rank") == a.rank, "distributedInfo says the rank")
    r.need(first is not None and int(first.group(1)) == a.rank,
           "HTA's folder scan finds the rank")
    if a.world_size is not None:
        r.need(isinstance(di, dict) and di.get("world_size") == a.world_size,
               "distributedInfo says the world size")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("--rank", type=int)
    ap.add_argument("--world-size", type=int)
    ap.add_argument("--measured", action="store_true")
    ap.add_argument("--min-gpu", type=int, default=1)
    a = ap.parse_args()
    text = open(a.trace, encoding="utf-8").read()
    trace = json.loads(text)
    r = Rules()
    corr_host, corr_gpu, flows, gpu_pids, ngpu = check_events(trace, r, a)
    r.need(ngpu >= a.min_gpu, "at least --min-gpu GPU events (%d)" % ngpu)
    check_joins(corr_host, corr_gpu, flows, r)
    check_meta(trace, text, gpu_pids, r, a)
    for rule, n in r.broken.items():
        print("%s: broken %d times; e.g. %s" % (rule, n, json.dumps(r.example[rule])[:400]),
              file=sys.stderr)
    print(json.dumps({"gpu_events": ngpu, "correlations": len(corr_gpu),
                      "ac2g_flows": len(flows)}))
    return 1 if r.broken else 0


if __name__ == "__main__":
    sys.exit(main())
