#!/usr/bin/env bash
# Old (0a0d940, before the speed work) against new code, same cases, alternating, jobs 1.
O=/work/lead_scratch/oldnew; rm -rf $O; mkdir -p $O
F='/^(transformer\[(procedure=plain|beta=1,procedure=remul)\]|gatr|gnn\[procedure=plain\]|egnn)/'
S="--scale small --jobs 1 --set train.steps=80 --set eval.equiInputs=4 --set eval.equiSamples=4 --filter $F"
for r in 1 2; do
  for side in old new; do
    if [ $side = old ]; then d=/work/lead_scratch/old; else d=/work/lead_scratch/wt; fi
    (cd $d && deno task -q bench $S --out $O/$side-$r > $O/$side-$r.log 2>&1)
    echo "$side $r done $(date +%T)"
  done
done
