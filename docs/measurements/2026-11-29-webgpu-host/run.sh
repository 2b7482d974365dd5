#!/usr/bin/env bash
# Host time per WebGPU dispatch with the uniform and bind-group caches on and off, run
# alternately (two rounds each) on the same machine: the 3 × 64 Transformer's REMUL step and
# GATr's (N-body `small`, batch 8). Usage: bash docs/measurements/2026-11-29-webgpu-host/run.sh OUTDIR
set -euo pipefail
out=${1:?output folder}
mkdir -p "$out"
cd "$(dirname "$0")/../../.."
for round in 1 2; do
  for model in transformer gatr; do
    for cache in 1 0; do
      REMUL_WEBGPU_BIND_CACHE=$cache deno task profile --model "$model" --procedure remul \
        --backend webgpu --batch 8 --warmup 5 --repeats 10 --top 5 \
        --json "$out/$model-cache$cache-round$round.json" > "$out/$model-cache$cache-round$round.md" 2>&1
      grep -E "^(per|host)" "$out/$model-cache$cache-round$round.md" | head -2 | sed "s/^/$model cache=$cache round $round: /"
    done
  done
done
