#!/usr/bin/env bash
# Recipe trials (issue 28 item 2): a few CPU-scale recipes per method, each trained for the same budget of CPU-minutes
# on one dataset, with snapshots of the shipped weights at 3 and MINUTES CPU-minutes for the learning curve
# (scripts/learning_curves.py scores them on the benchmark's clips). One thread, so two datasets run side by side.
#
#   scripts/recipe_trials.sh smmnist32|leaves DATA_DIR [MINUTES] [RUNS] [METHODS...]
#
# DATA_DIR: the dataset from `nextframe data ...` (scripts/train_methods.sh makes both); RUNS (default runs/trials)
# gets one folder per trial, <dataset>-<method>-<recipe>. A rerun resumes each trial, and a finished one costs nothing.
set -euo pipefail
kind=${1:?smmnist32 or leaves}
data=${2:?the dataset folder}
minutes=${3:-8}
runs=${4:-runs/trials}
shift $(( $# < 4 ? $# : 4 ))
methods=("$@")
[ ${#methods[@]} -gt 0 ] || methods=(mcvd rvd)
export OMP_NUM_THREADS=1
case $kind in
  smmnist32) tau=5; block=5 ;;   # SVG and MCVD's protocol: 5 past frames, blocks of 5
  leaves) tau=2; block=3 ;;      # the paper's tau = 2; blocks of 3 (peers.md)
  *) echo "unknown dataset $kind: use smmnist32 or leaves" >&2; exit 2 ;;
esac
common=(--data "$data" --tau "$tau" --future "$block" --budget-clock cpu --max-minutes "$minutes"
        --examples-per-epoch 8000 --heldout-examples 256 --snapshot-minutes "3,$minutes,30,100,300" --no-progress)
# recipe name -> its settings; A is each method's benchmark_recipe (after the issue-28 fixes)
declare -A recipes=(
  [mcvd-A]="--width 32 --batch-size 16 --lr 3e-4 --ema-halflife 4000 --warmup-steps 200 --grad-clip 1"
  [mcvd-B]="--width 32 --batch-size 16 --lr 1e-3 --ema-halflife 4000 --warmup-steps 200 --grad-clip 1"
  [mcvd-C]="--width 16 --batch-size 16 --lr 1e-3 --ema-halflife 4000 --warmup-steps 200 --grad-clip 1"
  [rvd-A]="--width 16 --batch-size 8 --lr 3e-4 --ema-halflife 4000"
  [rvd-B]="--width 16 --batch-size 8 --lr 1e-3 --ema-halflife 4000 --grad-clip 1"
  [rvd-C]="--width 8 --batch-size 16 --lr 1e-3 --ema-halflife 4000 --grad-clip 1"
)
for method in "${methods[@]}"; do
  for recipe in A B C; do
    settings=${recipes[$method-$recipe]:-}
    [ -n "$settings" ] || continue
    out="$runs/$kind-$method-$recipe"
    echo "== $out: $settings"
    # shellcheck disable=SC2086
    nextframe train --method "$method" "${common[@]}" $settings --out "$out"
  done
done
