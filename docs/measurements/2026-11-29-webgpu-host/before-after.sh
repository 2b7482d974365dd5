#!/usr/bin/env bash
# The session's start (commit 90612e0) against now, run alternately (two rounds), with the same
# instrument: OLD is a checkout of 90612e0 into which this commit's src/metrics/kernel_profile.ts
# and src/backend/webgpu_queue.ts were copied (instrumentation only: they add the dispatch, write
# and submit-time counts and do not change a kernel). 3 × 64 Transformer and GATr, REMUL, N-body
# `small`, batch 8.
# Usage: bash docs/measurements/2026-11-29-webgpu-host/before-after.sh OLD OUTDIR
set -euo pipefail
old=$(cd "${1:?checkout of 90612e0 with the instrument files}" && pwd)
out=$(mkdir -p "${2:?output folder}" && cd "$2" && pwd)
new=$(cd "$(dirname "$0")/../../.." && pwd)
for round in 1 2; do
  for model in transformer gatr; do
    for which in before after; do
      tree=$new
      [ "$which" = before ] && tree=$old
      (cd "$tree" && deno task profile --model "$model" --procedure remul --backend webgpu \
        --batch 8 --warmup 5 --repeats 10 --top 5 \
        --json "$out/$model-$which-round$round.json") > "$out/$model-$which-round$round.md" 2>&1
      grep -E "^(per|host)" "$out/$model-$which-round$round.md" | head -2 |
        sed "s/^/$model $which round $round: /"
    done
  done
done
