#!/usr/bin/env bash
# Host time per WebGPU step, fourth round: commit 245f0ca against now (the buffer pool's heap,
# the remembered dispatches, bind groups found by one hash), run alternately, three rounds. The
# four cases of ../2026-11-29-webgpu-dispatch/before-after.sh: the cost suite's Transformer and
# GATr (12 blocks) at batch 1 with tiny widths, plain, and the 3 × 64 Transformer and GATr
# (3 blocks), REMUL, N-body `small`, batch 8. Each run is a fresh process.
# Usage: bash docs/measurements/2026-11-29-webgpu-host-4/before-after.sh OLD OUTDIR
# then:  python3 docs/measurements/2026-11-29-webgpu-dispatch/table.py OUTDIR "before (\`245f0ca\`)"
set -euo pipefail
old=$(cd "${1:?checkout of 245f0ca}" && pwd)
out=$(mkdir -p "${2:?output folder}" && cd "$2" && pwd)
new=$(cd "$(dirname "$0")/../../.." && pwd)
run() { # tree file args...
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
      --warmup 5 --repeats 30
    run "$tree" "$out/cost-gatr-tiny-$which-round$round" --model gatr --suite cost \
      --scale paper --config '{"mvChannels":2,"sChannels":8,"heads":2}' --procedure plain \
      --batch 1 --warmup 5 --repeats 20
    run "$tree" "$out/transformer-$which-round$round" --model transformer --procedure remul \
      --batch 8 --warmup 5 --repeats 10
    run "$tree" "$out/gatr-$which-round$round" --model gatr --procedure remul --batch 8 \
      --warmup 5 --repeats 10
  done
done
