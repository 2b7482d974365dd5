#!/usr/bin/env bash
# The prepared device check for a machine with a real GPU (WebGPU), ≤ 10 minutes on an H200 with
# 16 cores. Writes docs/measurements/<date>-h200/ (OUT=dir to choose another folder):
#   1. kernel profiles of the cost suite's Transformer and GATr (paper scale, plain training) at
#      batch 1, 64 and 256 side by side (kernel counts must not grow with the batch; wall vs host
#      vs GPU time from timestamp-query; readbacks and submits per step), and at batch 1024;
#   2. the WebGPU submit batch (kernels per command buffer) at 15, 200 (the default) and 1000 for
#      the Transformer at batch 64 (what the default in src/backend/webgpu_queue.ts should be);
#   3. the Transformer at batch 64 with the uniform and bind-group caches off
#      (REMUL_WEBGPU_BIND_CACHE=0), with tfjs's own dispatch path
#      (REMUL_WEBGPU_FAST_DISPATCH=0), and with every step through tfjs (REMUL_WEBGPU_REPLAY=0),
#      against step 1's run with all on (steps replayed from about the fifth: 8 warm-up steps);
#   4. the cost suite (Transformer and GATr at batch 1, 16, 64, 256, 1024);
#   5. worker scaling on webgpu: the same 5 N-body smoke cases (GNN, Transformer) with --jobs 1, 2
#      and 4 (do Workers in one process overlap on the GPU?).
# machine.txt records the date, commit, Deno, CPUs, GPU and the adapter's limits (a program that
# would bind more than maxStorageBufferBindingSize fails with an error naming it).
# Each step has its own time limit, so one that hangs costs its limit and no more; the limits add
# up to 585 s (9.75 minutes). SMALL=1 runs every step with tiny sizes (on llvmpipe: ~3.5 minutes; it
# checks that the script works end to end; output under results/ unless OUT is set).
# Run it first when a GPU is lent: `bash docs/measurements/gpu-check.sh`. Deno must be on PATH
# (or DENO=/path/to/deno).
set -uo pipefail
cd "$(dirname "$0")/../.."
deno=${DENO:-deno}
small=${SMALL:-0}
if [ "$small" = 1 ]; then
  out=${OUT:-"results/gpu-check-small-$(date +%F-%H%M%S)"}
  scale=smoke
  batches=1,2
  big=4
  cost_batches="1|2"
  cost_scale=smoke
  reps=(--warmup 1 --repeats 2)
  t_prof=300
  t_big=200
  t_sub=200
  t_off=200
  t_cost=400
  t_scale=600
  scaling_filter='/^(gnn\[procedure=plain\]|transformer\[procedure=plain\])/'
  jobs=1,2
else
  out=${OUT:-"docs/measurements/$(date +%F)-h200"}
  scale=paper
  batches=1,64,256
  big=1024
  cost_batches="1|16|64|256|1024"
  cost_scale=paper
  reps=(--warmup 8 --repeats 5)
  t_prof=90
  t_big=40
  t_sub=45
  t_off=30
  t_cost=120
  t_scale=70
  scaling_filter='/^(gnn\[|transformer\[procedure=(plain|augmentation)\])/'
  jobs=1,2,4
fi
mkdir -p "$out"
start=$(date +%s)
step() { echo "[$(($(date +%s) - start)) s] $*"; }
{
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null)"
  "$deno" --version | head -1
  echo "cpus: $(nproc)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
  # the adapter and the limits that decide what fits (a binding over the first is an error)
  timeout 30 "$deno" eval 'const a = await navigator.gpu?.requestAdapter();
    const l = a?.limits;
    console.log(a ? `adapter: ${a.info?.description} maxStorageBufferBindingSize ${l.maxStorageBufferBindingSize} maxBufferSize ${l.maxBufferSize} maxComputeWorkgroupsPerDimension ${l.maxComputeWorkgroupsPerDimension} timestamp-query ${a.features.has("timestamp-query")}` : "adapter: none");' 2>&1 || true
} > "$out/machine.txt"

for model in transformer gatr; do
  step "profile $model at batch $batches (limit ${t_prof} s)"
  timeout "$t_prof" "$deno" run -A tasks/profile.ts --model "$model" --suite cost \
    --scale "$scale" --backend webgpu --procedure plain --batches "$batches" "${reps[@]}" \
    --json "$out/profile-$model.json" > "$out/profile-$model.md" 2>&1 ||
    echo "  exit $? (see $out/profile-$model.md)"
  grep -E '^(## batch|### |per |host |training steps)' "$out/profile-$model.md" | sed "s/^/  /"
  step "profile $model at batch $big (limit ${t_big} s)"
  timeout "$t_big" "$deno" run -A tasks/profile.ts --model "$model" --suite cost \
    --scale "$scale" --backend webgpu --procedure plain --batch "$big" --warmup 1 --repeats 2 \
    --json "$out/profile-$model-b$big.json" > "$out/profile-$model-b$big.md" 2>&1 ||
    echo "  exit $? (see $out/profile-$model-b$big.md)"
  grep -E '^(### |per |host )' "$out/profile-$model-b$big.md" | sed "s/^/  /"
done

sub_batch=${batches##*,}
[ "$small" = 1 ] || sub_batch=64
for sb in 15 200 1000; do
  step "submit batch $sb: transformer at batch $sub_batch"
  timeout $((t_sub / 3)) "$deno" run -A tasks/profile.ts --model transformer --suite cost \
    --scale "$scale" --backend webgpu --procedure plain --batch "$sub_batch" "${reps[@]}" \
    --submit-batch "$sb" --json "$out/submit-$sb.json" > "$out/submit-$sb.md" 2>&1 ||
    echo "  exit $? (see $out/submit-$sb.md)"
  grep -E '^(### training|per step|host time outside submit)' "$out/submit-$sb.md" |
    sed "s/^/  /"
done

for off in BIND_CACHE FAST_DISPATCH REPLAY; do
  name=$(echo "$off" | tr 'A-Z_' 'a-z-')
  step "REMUL_WEBGPU_$off=0: transformer at batch $sub_batch (limit ${t_off} s)"
  env "REMUL_WEBGPU_$off=0" timeout "$t_off" "$deno" run -A tasks/profile.ts --model transformer \
    --suite cost --scale "$scale" --backend webgpu --procedure plain --batch "$sub_batch" \
    "${reps[@]}" --json "$out/$name-off.json" > "$out/$name-off.md" 2>&1 ||
    echo "  exit $? (see $out/$name-off.md)"
  grep -E '^(### training|per step|host time outside submit|training steps)' "$out/$name-off.md" |
    sed "s/^/  /"
done

step "cost suite (limit ${t_cost} s)"
rm -rf "$out/cost"
timeout "$t_cost" "$deno" run -A tasks/bench.ts --suite cost --scale "$cost_scale" \
  --backend webgpu --filter "/^(transformer|gatr)\\[batchSize=($cost_batches),/" \
  --timeout 60 --out "$out/cost" > "$out/cost.log" 2>&1 || echo "  exit $? (see $out/cost.log)"
tail -n 25 "$out/cost.log" | sed "s/^/  /"

step "worker scaling on webgpu, --jobs $jobs (limit ${t_scale} s)"
rm -rf "$out/scaling"
timeout "$t_scale" "$deno" run -A tasks/scaling.ts --suite nbody --scale smoke --backend webgpu \
  --jobs "$jobs" --filter "$scaling_filter" --out "$out/scaling" > "$out/scaling.log" 2>&1 ||
  echo "  exit $? (see $out/scaling.log)"
cat "$out/scaling/scaling.md" 2>/dev/null | sed "s/^/  /"
step "done: $out"
