#!/usr/bin/env bash
# The canvas-scale study of issue 29 (item 3): the score-based denoiser trained from scratch on Moving Leaves at
# canvas SIZE (16, 24 or 32; the same scene, LeavesConfig.for_size), with one recipe for every size, to an equal
# budget of CPU-minutes, keeping snapshots along the way; scripts/scale_study.py then runs the decision instrument on
# every snapshot. One thread per arm, so two arms share the two cores.
#   Usage: scripts/scale_study.sh SIZE MINUTES OUT [extra nextframe-train flags, e.g. --init RUN/model.safetensors]
#   Data: runs/methods/leaves<SIZE> (made here if missing: 100,000 sequences, seed 0; at 32: runs/methods/leaves).
set -euo pipefail
size=$1; minutes=$2; out=$3; shift 3
data=runs/methods/leaves$([ "$size" = 32 ] || echo "$size")
[ -d "$data" ] || nextframe data leaves --out "$data" --size "$size" --n 100000 --seed 0 --no-progress
# App. E's plateau schedule (halve the rate when the held-out loss stalls), as the width arms of the leaves study:
# a cosine schedule would favour the last snapshot of the curve. Width 32, batch 32, half of each batch from the
# data's approach windows (--focus 0.5): the recipe that trained the shipped leaves-tau2.
OMP_NUM_THREADS=1 nextframe train --data "$data" --out "$out" --tau 2 --width 32 --batch-size 32 --lr 1e-3 \
  --focus 0.5 --examples-per-epoch 32000 --heldout-examples 512 --max-minutes "$minutes" --budget-clock cpu \
  --snapshot-minutes 5,10,20,30,60,120,240 --checkpoint-minutes 2 --no-progress "$@"
