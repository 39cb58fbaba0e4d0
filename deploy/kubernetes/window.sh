#!/usr/bin/env bash
# Record the same window on every GPU node (the tracesmith-bpf DaemonSet), collect
# the captures and merge them into one trace.
#   deploy/kubernetes/window.sh [SECONDS] [OUTDIR]
set -euo pipefail
secs=${1:-30}
out=${2:-tracesmith-$(date -u +%Y%m%dT%H%M%SZ)}
ns=kube-system
# a minute ahead: ConfigMap updates reach the pods within about that
start=@$(( $(date +%s) + ${TRACE_DELAY:-75} ))
kubectl -n $ns create configmap tracesmith-window --from-literal=start="$start" \
	--from-literal=seconds="$secs" --dry-run=client -o yaml | kubectl apply -f -
echo "recording $secs s on every node from $start; waiting"
sleep $(( ${TRACE_DELAY:-75} + secs + 15 ))
mkdir -p "$out"
for pod in $(kubectl -n $ns get pods -l app=tracesmith-bpf -o name); do
	kubectl -n $ns exec "${pod#pod/}" -- sh -c 'ls /captures/trace-*.tsbpf' | while read -r f; do
		kubectl -n $ns cp "${pod#pod/}:$f" "$out/$(basename "$f")"
	done
done
tracesmith-bpf merge "$out"/trace-*.tsbpf -o "$out/merged.pftrace" -o "$out/merged.json"
echo "open $out/merged.pftrace in https://ui.perfetto.dev"
