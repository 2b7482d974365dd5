#!/usr/bin/env bash
# GradNorm steps on webgpu before (commit 03b8b1e: the task losses read back every step, the
# weights updated on the host) and after (the weights updated on the device, the loss read back
# every 10 steps), run alternately, two rounds. Four cases, each one REMUL+GradNorm step (β₀ = 1)
# and one inference: the cost suite's Transformer (12 blocks) and GATr (12 blocks) at batch 1 with
# tiny widths, so that the host's work is most of a step, as on a real GPU, and the 3 × 64
# Transformer and GATr (3 blocks), N-body `small`, batch 8. Each run is a fresh process.
# Usage: bash docs/measurements/2026-11-29-gradnorm-queued/before-after.sh OLD OUTDIR
# then:  python3 docs/measurements/2026-11-29-webgpu-dispatch/table.py OUTDIR \
#          "before (03b8b1e)" REMUL+GradNorm
set -euo pipefail
old=$(cd "${1:?checkout of 03b8b1e}" && pwd)
out=$(mkdir -p "${2:?output folder}" && cd "$2" && pwd)
new=$(cd "$(dirname "$0")/../../.." && pwd)
run() { # tree file args...
  local tree=$1 file=$2
  shift 2
  (cd "$tree" && deno task profile "$@" --procedure remul-gradnorm --backend webgpu --top 5 \
    --json "$file.json") > "$file.md" 2>&1
  grep -E "^(per|host)" "$file.md" | head -2 | sed "s|^|$(basename "$file"): |"
}
for round in 1 2; do
  for which in before after; do
    tree=$new
    [ "$which" = before ] && tree=$old
    run "$tree" "$out/cost-transformer-tiny-$which-round$round" --model transformer --suite cost \
      --scale paper --config '{"channels":16,"heads":2}' --batch 1 --warmup 5 --repeats 20
    run "$tree" "$out/cost-gatr-tiny-$which-round$round" --model gatr --suite cost \
      --scale paper --config '{"mvChannels":2,"sChannels":8,"heads":2}' --batch 1 --warmup 5 \
      --repeats 10
    run "$tree" "$out/transformer-$which-round$round" --model transformer --batch 8 --warmup 5 \
      --repeats 10
    run "$tree" "$out/gatr-$which-round$round" --model gatr --batch 8 --warmup 5 --repeats 10
  done
done
