#!/usr/bin/env bash
# WebGPU step replay (issue: WebGPU on real GPUs): the commit before it (d671820, a clean checkout;
# its profiler does not count copies or replayed steps) against now, run alternately, three
# rounds. The four cases of ../2026-11-29-webgpu-dispatch/before-after.sh, each one plain or
# REMUL step and one inference on webgpu: the cost suite's Transformer (12 blocks) and GATr (12
# blocks) at batch 1 with tiny widths, so that the kernels are small and the host's work is most
# of a step, as on a real GPU ({"channels":16,"heads":2}; {"mvChannels":2,"sChannels":8,"heads":2}),
# and the 3 × 64 Transformer and GATr (3 blocks), REMUL, N-body `small`, batch 8. Ten warm-up
# steps (five before): steps are replayed from the fifth to the eighth on, so that the timed ones
# are. Each run is a fresh process with its defaults.
# Usage: bash docs/measurements/2026-11-30-step-replay/before-after.sh OLD OUTDIR
set -euo pipefail
WARMUP=10 exec bash "$(dirname "$0")/../2026-11-29-webgpu-dispatch/before-after.sh" "$@"
