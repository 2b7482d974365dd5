#!/usr/bin/env bash
# This round's start (commit 8d78ec9, a clean checkout: the profiler is unchanged since) against
# now, run alternately, three rounds. Four cases, each one plain or REMUL step and one inference
# on webgpu: the cost suite's Transformer (12 blocks) and GATr (12 blocks) at batch 1 with tiny
# widths, so that the kernels are small and the host's work is most of a step, as on a real GPU
# ({"channels":16,"heads":2}; {"mvChannels":2,"sChannels":8,"heads":2}), and the 3 × 64
# Transformer and GATr (3 blocks), REMUL, N-body `small`, batch 8 (the cases of
# ../2026-11-29-webgpu-host/). Each run is a fresh process with its defaults (before: submit
# batch 15; now: 200, the shorter dispatch path, the Adam mirror).
# Usage: bash docs/measurements/2026-11-29-webgpu-dispatch/before-after.sh OLD OUTDIR
# OLD: a clean checkout of the commit to compare with (8d78ec9 for this folder;
# ../2026-11-29-webgpu-host-4/ ran the same four cases with 245f0ca).
# WARMUP=N sets the warm-up steps of every run (default 5; ../2026-11-30-step-replay/ uses 10).
set -euo pipefail
warmup=${WARMUP:-5}
old=$(cd "${1:?checkout of the commit to compare with}" && pwd)
out=$(mkdir -p "${2:?output folder}" && cd "$2" && pwd)
new=$(cd "$(dirname "$0")/../../.." && pwd)
run() { # case tree file args...
  local tree=$1 file=$2
  shift 2
  (cd "$tree" && deno task profile "$@" --backend webgpu --top 5 --json "$file.json") \
    > "$file.md" 2>&1
  grep -E "^(per|host)" "$file.md" | head -2 | sed "s|^|$(basename "$file"): |"
}
for round in 1 2 3; do
  for which in before after; do
    tree=$new
    [ "$which" = before ] && tree=$old
    run "$tree" "$out/cost-transformer-tiny-$which-round$round" --model transformer --suite cost \
      --scale paper --config '{"channels":16,"heads":2}' --procedure plain --batch 1 \
      --warmup "$warmup" --repeats 30
    run "$tree" "$out/cost-gatr-tiny-$which-round$round" --model gatr --suite cost \
      --scale paper --config '{"mvChannels":2,"sChannels":8,"heads":2}' --procedure plain \
      --batch 1 --warmup "$warmup" --repeats 20
    run "$tree" "$out/transformer-$which-round$round" --model transformer --procedure remul \
      --batch 8 --warmup "$warmup" --repeats 10
    run "$tree" "$out/gatr-$which-round$round" --model gatr --procedure remul --batch 8 \
      --warmup "$warmup" --repeats 10
  done
done
