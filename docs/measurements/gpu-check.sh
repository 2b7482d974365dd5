#!/usr/bin/env bash
# The prepared device check for a machine with a real GPU (WebGPU): kernel profiles of the cost
# suite's Transformer and GATr at batch 1, 64 and 256 (kernels per step must not grow with the
# batch; host vs kernel time), then the cost suite at paper scale. Writes
# docs/measurements/<date>-gpu/. Run it first when a GPU is lent: `bash docs/measurements/gpu-check.sh`.
# Deno must be on PATH (or DENO=/path/to/deno).
set -uo pipefail
cd "$(dirname "$0")/../.."
deno=${DENO:-deno}
out="docs/measurements/$(date +%F)-gpu"
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/gpu.txt" 2>&1 || true
for model in transformer gatr; do
  for batch in 1 64 256; do
    timeout 240 "$deno" run -A tasks/profile.ts --model "$model" --suite cost --scale paper \
      --backend webgpu --procedure plain --batch "$batch" --warmup 3 --repeats 5 \
      --json "$out/profile-$model-b$batch.json" > "$out/profile-$model-b$batch.md" 2>&1
    grep -E '^### ' "$out/profile-$model-b$batch.md" | sed "s/^/$model b$batch: /"
  done
done
timeout 420 "$deno" run -A tasks/bench.ts --suite cost --scale paper --backend webgpu \
  --filter '/^(transformer|gatr)\[batchSize=(1|16|64|256|1024),/' --timeout 120 \
  --out "$out/cost-paper" > "$out/cost.log" 2>&1
tail -n 30 "$out/cost.log"
