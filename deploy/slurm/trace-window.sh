#!/usr/bin/env bash
# Record the same window on every node of a Slurm job and merge the captures.
# Run inside the job's allocation (sbatch script or salloc shell), alongside the work:
#   deploy/slurm/trace-window.sh [SECONDS] [OUTDIR]      (OUTDIR on a shared filesystem)
# Each node runs `tracesmith-bpf -a --start-at T -d SECONDS` (root: sudo, or a
# prolog), writing OUTDIR/trace-<host>-<time>.tsbpf; the merge is one trace.
set -euo pipefail
secs=${1:-30}
out=${2:-$PWD/tracesmith-${SLURM_JOB_ID:-local}}
start=@$(( $(date +%s) + ${TRACE_DELAY:-20} ))
mkdir -p "$out"
srun --overlap --ntasks-per-node=1 ${SRUN_ARGS:-} \
	${TRACE_SUDO-sudo} tracesmith-bpf -a --start-at "$start" -d "$secs" \
	-o "$out/trace-%h-%t.tsbpf"
tracesmith-bpf merge "$out"/trace-*.tsbpf -o "$out/merged.pftrace" -o "$out/merged.json"
echo "open $out/merged.pftrace in https://ui.perfetto.dev"
