#!/usr/bin/env python3
"""The deploy/ recipes, checked as far as one machine allows (root; run by test_run_merge).
usage: check_deploy.py TRACER FAKECUDA FAKEAPP WORKDIR

1. Kubernetes: the manifest parses; the DaemonSet is privileged with hostPID, on GPU
   nodes, with /sys/kernel/btf, /sys/kernel/tracing and /proc mounted and a hostPath for
   captures; the script it runs is run here (paths moved into WORKDIR, the tracer
   pointed at the stand-in driver) and records a workload started in the window.
2. Slurm: trace-window.sh runs with an srun that starts each task in its own UTS
   namespace (two "nodes"), and its merge names both hosts with exact counts.
3. The container recipe copies the binary `make static` builds.
Exits 0 when all hold; prints what failed otherwise."""
import json, os, re, stat, subprocess, sys, time
import yaml

TRACER, FAKECUDA, FAKEAPP, WORK = [os.path.abspath(a) for a in sys.argv[1:5]]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VEC_ADD = "vec_add(float*, float const*, int)"


def fail(msg):
    print("check_deploy: " + msg)
    sys.exit(1)


def shim_dir():
    """tracesmith-bpf on PATH: the real one, hooking the stand-in driver when it traces."""
    d = os.path.join(WORK, "bin")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "tracesmith-bpf")
    with open(path, "w") as f:
        f.write('#!/bin/sh\ncase "$1" in -*) exec %s --lib %s "$@";; esac\nexec %s "$@"\n'
                % (TRACER, FAKECUDA, TRACER))
    os.chmod(path, 0o755)
    return d


def kernels_by_host(merged):
    d = json.load(open(merged))
    ev = [e for e in d["traceEvents"] if isinstance(e, dict)]
    names = {e["pid"]: e["args"]["name"] for e in ev if e.get("ph") == "M" and e.get("name") == "process_name"}
    out = {}
    for e in ev:
        if e.get("ph") == "X" and e["name"] == VEC_ADD and e["pid"] >= 0x7FFF0000:
            host = re.search(r"\((.*)\)", names.get(e["pid"], "")).group(1)
            out[host] = out.get(host, 0) + 1
    return d.get("otherData", {}), out


def workload_in_window(start_epoch, delay=0.5):
    """Run the runtime workload once the window has begun."""
    time.sleep(max(0, start_epoch - time.time()) + delay)
    subprocess.run([FAKEAPP, "--lib", FAKECUDA, "runtime"], check=True, stdout=subprocess.DEVNULL)


def check_kubernetes(bindir):
    docs = list(yaml.safe_load_all(open(os.path.join(ROOT, "deploy/kubernetes/tracesmith-bpf.yaml"))))
    ds = next((d for d in docs if d and d.get("kind") == "DaemonSet"), None)
    if not ds:
        fail("no DaemonSet in the manifest")
    pod = ds["spec"]["template"]["spec"]
    c = pod["containers"][0]
    if not pod.get("hostPID") or not c["securityContext"].get("privileged"):
        fail("the DaemonSet must be privileged with hostPID")
    if "nvidia.com/gpu.present" not in pod.get("nodeSelector", {}):
        fail("no GPU node selector")
    paths = {v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    for p in ("/sys/kernel/btf", "/sys/kernel/tracing", "/proc"):
        if p not in paths:
            fail("hostPath %s not mounted" % p)
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    if mounts.get("captures") != "/captures":
        fail("captures are not on a hostPath at /captures")
    script = c["args"][0]
    if "tracesmith-bpf -a --start-at" not in script:
        fail("the pod does not run tracesmith-bpf -a --start-at")
    # the same script, here: one pass of its loop, its paths in WORK
    etc, caps = os.path.join(WORK, "k8s-etc"), os.path.join(WORK, "k8s-captures")
    os.makedirs(etc, exist_ok=True)
    os.makedirs(caps, exist_ok=True)
    start = int(time.time()) + 3
    open(os.path.join(etc, "start"), "w").write("@%d\n" % start)
    open(os.path.join(etc, "seconds"), "w").write("2\n")
    local = script.replace("/etc/tracesmith", etc).replace("/captures", caps)
    local = local.replace("while sleep 5; do", "for _ in 1; do")
    env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"])
    p = subprocess.Popen(["/bin/sh", "-c", local], env=env, stderr=subprocess.PIPE, text=True)
    workload_in_window(start)
    err = p.communicate(timeout=60)[1]
    got = [f for f in os.listdir(caps) if f.startswith("trace-") and f.endswith(".tsbpf")]
    if p.returncode or len(got) != 1:
        fail("the DaemonSet's script made %s (rc %s): %s" % (got, p.returncode, err))
    # trace-%h-%t.tsbpf: this host's name, the window's start in UTC
    want = "trace-%s-%s.tsbpf" % (os.uname().nodename, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(start)))
    if got[0] != want:
        fail("the capture is %s, not %s" % (got[0], want))
    out = os.path.join(WORK, "k8s.json")
    subprocess.run([TRACER, "replay", os.path.join(caps, got[0]), "-o", out], check=True,
                   stderr=subprocess.DEVNULL)
    d = json.load(open(out))
    n = sum(1 for e in d["traceEvents"] if isinstance(e, dict) and e.get("ph") == "X" and e.get("name") == VEC_ADD and e["pid"] >= 0x7FFF0000)
    if n != 100:
        fail("the window's capture has %d vec_add kernels, not 100" % n)


def check_slurm(bindir):
    # srun: each task on its own "node" (a UTS namespace with its own host name)
    srun = os.path.join(bindir, "srun")
    with open(srun, "w") as f:
        f.write('#!/bin/sh\nwhile [ "${1#-}" != "$1" ]; do shift; done\n'
                'for n in node1 node2; do unshare --uts sh -c "hostname $n && exec \\"\\$@\\"" sh "$@" & done\nwait\n')
    os.chmod(srun, 0o755)
    out = os.path.join(WORK, "slurm")
    env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"], TRACE_SUDO="", TRACE_DELAY="3",
               SLURM_JOB_ID="42")
    start = time.time() + 3
    p = subprocess.Popen([os.path.join(ROOT, "deploy/slurm/trace-window.sh"), "2", out], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    workload_in_window(start, 1.0)
    log = p.communicate(timeout=90)[0]
    if p.returncode:
        fail("trace-window.sh failed: " + log)
    other, per_host = kernels_by_host(os.path.join(out, "merged.json"))
    if sorted(other.get("hosts", [])) != ["node1", "node2"] or per_host != {"node1": 100, "node2": 100}:
        fail("the merge has hosts %s and kernels %s" % (other.get("hosts"), per_host))


def check_container():
    text = open(os.path.join(ROOT, "deploy/container/Dockerfile")).read()
    if "COPY build/tracesmith-bpf-static " not in text or "ENTRYPOINT" not in text:
        fail("the Dockerfile does not install the static binary")
    if "tracesmith-bpf-static" not in open(os.path.join(ROOT, "Makefile")).read():
        fail("make static no longer builds build/tracesmith-bpf-static")


bindir = shim_dir()
check_kubernetes(bindir)
check_slurm(bindir)
check_container()
print("check_deploy: kubernetes, slurm and container recipes OK")
