#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The counts of captures recorded on arm64 (scripts/test-arm64.sh), replayed
by the host's tracer, against the same workloads traced on x86-64 by the
same build: every count `stats --json` gives must be equal; times, pids,
addresses and command lines differ by nature and are left out.

    check_counts.py TRACER ARM64_DIR X86_DIR
Prints one line per check; exit 0 if all hold, 1 otherwise.
"""
import json
import os
import re
import subprocess
import sys

# arm64 capture -> the x86-64 capture of the same workload
SAME_AS = {
    "mix": "mix",  # --: runtime torch triton launchex fail threads (driver layer), NCCL ranks 2
    "pid": "runtime",  # -p on the runtime workload
    "gputime": "gputime",  # --gpu-time: graphs threads
}
DROP = ("_ns", "pid", "command")  # times, ids: by nature different


def counts(o):
    """The counts in a stats object: every value whose key is not a time or an id."""
    if isinstance(o, dict):
        return {k: counts(v) for k, v in sorted(o.items()) if not k.endswith(DROP)}
    if isinstance(o, list) and all(isinstance(v, dict) for v in o):
        # rows in an order of times: sorted by what they hold
        return sorted((counts(v) for v in o), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(o, str):
        return re.sub(r"0x[0-9a-f]+", "0x?", o)  # an address in a name (a graph's handle)
    return o


def stats(tracer, path):
    out = subprocess.run([tracer, "stats", path, "--json"], check=True, capture_output=True)
    d = json.loads(out.stdout)
    # the ring buffer's records: --gpu-time hands its measurements over in batches as they come,
    # and -p starts with what the process already is; every count they carry is compared
    d.pop("records", None)
    # which thread or call site blocked is an id; how many there are and their calls are counts
    for k in ("sync_threads", "sync_sites", "streams", "processes"):
        d[k] = sorted(v.get("calls", v.get("ops", v.get("api_calls"))) for v in d.get(k, []))
    # a process that made no call is the shell that ran the workloads: dash and busybox differ
    d["processes"] = [n for n in d["processes"] if n]
    return counts(d)


def diff(a, b, path=""):
    if type(a) is not type(b):
        return ["%s: %r on arm64, %r on x86-64" % (path, a, b)]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += diff(a.get(k), b.get(k), path + "." + k)
        return out
    if isinstance(a, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, "%s[%d]" % (path, i))]
    return [] if a == b else ["%s: %s on arm64, %s on x86-64" % (path, json.dumps(a), json.dumps(b))]


def replay(tracer, path):
    json_path = path + ".json"
    subprocess.run([tracer, "replay", path, "-o", json_path], check=True, capture_output=True)
    with open(json_path) as f:
        return json.load(f)


def other_data(tracer, path):
    return replay(tracer, path)["otherData"]


def main():
    tracer, res, fix = sys.argv[1:4]
    bad = 0
    for name in list(SAME_AS) + ["all", "gtpid"]:
        if not os.path.exists("%s/%s.tsbpf" % (res, name)):
            print("%-10s MISSING: the guest recorded no %s.tsbpf" % (name, name))
            return 1
    for name, ref in SAME_AS.items():
        d = diff(stats(tracer, "%s/%s.tsbpf" % (res, name)), stats(tracer, "%s/%s.tsbpf" % (fix, ref)))
        print("%-10s %s" % (name, "same counts as x86-64 (%s)" % ref if not d else "DIFFERS:"))
        for line in d[:20]:
            print("    " + (line if len(line) < 400 else line[:400] + "..."))
        bad += bool(d)
    # NCCL: the id each rank joins with is the one ncclGetUniqueId made (passed by value)
    o = replay(tracer, res + "/mix.tsbpf")
    made = [e["args"].get("unique_id_hash") for e in o["traceEvents"]
            if e.get("ph") == "X" and e.get("name") == "ncclGetUniqueId"]
    joined = [e["args"].get("unique_id_hash") for e in o["traceEvents"]
              if e.get("ph") == "X" and e.get("name") == "ncclCommInitRank"]
    ok = len(made) == 1 and made[0] and joined == made * 2
    print("%-10s ncclGetUniqueId made %s, ncclCommInitRank joined %s%s"
          % ("nccl", made, joined, "" if ok else ": WRONG (want the same id twice)"))
    bad += not ok
    # -a: two processes started after the tracer, triton's launches in each (tests/workloads.h)
    s = json.loads(subprocess.run([tracer, "stats", res + "/all.tsbpf", "--json"], check=True,
                                  capture_output=True).stdout)
    launches = sum(k["launches"] for k in s["kernels"] if k["name"] == "triton_poi_fused_add_0")
    procs = len(s["processes"])
    ok = launches == 2 * 7 and procs == 2
    print("%-10s %d launches of triton_poi_fused_add_0 in %d processes (want 14 in 2)%s"
          % ("all", launches, procs, "" if ok else ": WRONG"))
    bad += not ok
    # -p --gpu-time: the injection library loaded with ptrace measures what test_run_gputime says
    o = other_data(tracer, res + "/gtpid.tsbpf")
    got = (o.get("gpu_slices_measured"), o.get("gpu_slices_host_timed"))
    ok = got == (2 * 100 + 6 + 104, 5)
    print("%-10s gpu slices measured, host-timed: %s (want (310, 5))%s"
          % ("gtpid", got, "" if ok else ": WRONG"))
    bad += not ok
    return 1 if bad else 0


sys.exit(main())
