#!/usr/bin/env bash
# Old against new code, back to back: the same N-body `small` cases cut to 80 steps, alternately
# on a checkout of the code before the speed work and on this one, twice each, --jobs 1.
#   OLD=<a checkout of 0a0d940> [NEW=<this repository>] [OUT=<folder>] bash run.sh
# (e.g. `git worktree add ../remul-old 0a0d940`); then table.md is the medians of the runs'
# train_step_ms and infer_ms per case.
set -uo pipefail
OLD=${OLD:?set OLD to a checkout of commit 0a0d940}
NEW=${NEW:-$(cd "$(dirname "$0")/../../../.." && pwd)}
OUT=${OUT:-$(mktemp -d)}
F='/^(transformer\[(procedure=plain|beta=1,procedure=remul)\]|gatr|gnn\[procedure=plain\]|egnn)/'
S="--scale small --jobs 1 --set train.steps=80 --set eval.equiInputs=4 --set eval.equiSamples=4 --filter $F"
for r in 1 2; do
  for side in old new; do
    if [ "$side" = old ]; then d=$OLD; else d=$NEW; fi
    (cd "$d" && deno task -q bench $S --out "$OUT/$side-$r" > "$OUT/$side-$r.log" 2>&1)
    echo "$side $r done $(date +%T)"
  done
done
echo "results in $OUT/{old,new}-{1,2}/results.jsonl"
