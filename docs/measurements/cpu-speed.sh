#!/usr/bin/env bash
# Regenerates the CPU speed measurements of the README ("Performance"): the kernel profile of one
# training step and one inference of each N-body model (deno task profile), the side-by-side
# PyTorch comparison (deno task peer) and the default main job's wall time. Run on a quiet
# machine; writes docs/measurements/<date>-cpu/. Needs python3-torch + libopenblas0-pthread for the
# peer comparison (Debian).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="docs/measurements/$(date +%F)-cpu"
mkdir -p "$out"
for spec in "transformer remul" "transformer plain" "gatr remul" "egnn remul" "gnn remul" "se3-transformer plain"; do
  set -- $spec
  deno task -q profile --model "$1" --procedure "$2" --repeats 10 --json "$out/profile-$1-$2.json" \
    > "$out/profile-$1-$2.md" 2>/dev/null
done
deno task -q profile --model transformer --scale paper --procedure remul --repeats 3 \
  --json "$out/profile-transformer-paper-remul.json" > "$out/profile-transformer-paper-remul.md" 2>/dev/null
deno task -q peer --repeats 10 --json "$out/peer.json" > "$out/peer.md" 2>&1
start=$(date +%s)
deno task -q bench --out "$out/bench-nbody-small" > "$out/bench.log" 2>&1 || true
echo "default deno task bench: $(( $(date +%s) - start )) s wall" | tee "$out/bench-wall.txt"
