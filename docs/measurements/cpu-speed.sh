#!/usr/bin/env bash
# Regenerates the CPU speed measurements of the README ("Performance"): the kernel profile of one
# training step and one inference of each N-body model (deno task profile), the side-by-side
# PyTorch comparison (deno task peer), the default main job's wall time, and worker scaling
# (--jobs 1 vs 2, three interleaved rounds, on the small Transformer cases cut to 300 steps, where
# each case is long enough that a worker's start-up does not dominate). Run on a quiet machine (with
# autogroup scheduling, `nice` on other sessions' jobs does not make them yield; see the README);
# writes docs/measurements/<date>-cpu/ (or $OUT). Needs python3-torch + libopenblas0-pthread for
# the peer comparison (Debian).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-docs/measurements/$(date +%F)-cpu}"
mkdir -p "$out"
for spec in "transformer remul" "transformer plain" "gatr remul" "egnn remul" "gnn remul" "se3-transformer plain"; do
  set -- $spec
  deno task -q profile --model "$1" --procedure "$2" --repeats 10 --json "$out/profile-$1-$2.json" \
    > "$out/profile-$1-$2.md" 2>/dev/null
done
deno task -q profile --model transformer --scale paper --procedure remul --repeats 3 \
  --json "$out/profile-transformer-paper-remul.json" > "$out/profile-transformer-paper-remul.md" 2>/dev/null
deno task -q peer --repeats 20 --rounds 3 --json "$out/peer.json" > "$out/peer.md" 2>&1
start=$(date +%s)
deno task -q bench --out "$out/bench-nbody-small" > "$out/bench.log" 2>&1 || true
echo "default deno task bench: $(( $(date +%s) - start )) s wall" | tee "$out/bench-wall.txt"
# worker scaling: cases per minute at --jobs 1 and 2, three rounds in alternating order (the
# machine's speed drifts over minutes), on the small Transformer cases cut to 300 steps
rm -rf "$out/scaling-transformer-300"
deno task -q scaling --suite nbody --scale small --filter transformer --set train.steps=300 \
  --jobs 1,2 --rounds 3 --out "$out/scaling-transformer-300" > /dev/null 2>&1
