#!/usr/bin/env bash
# The learning-efficiency study of issue 15: arms that start from the shipped leaves-tau2 weights and differ in one
# setting each, at an equal budget of 7,500 steps of 32 windows (240,000 examples; about 30 CPU minutes per arm on one
# core). Two arms run at a time, one thread each. Usage: scripts/leaves_study_arms.sh DATA OUT ARM [ARM ...]
#   DATA: `nextframe data leaves --out DATA` (seed 0, 100,000 sequences); OUT: parent folder of the run folders.
set -euo pipefail
data=$1; out=$2; shift 2
common=(--data "$data" --init leaves-tau2 --tau 2 --width 32 --batch-size 32 --lr 3e-4 --lr-schedule cosine
        --max-steps 7500 --examples-per-epoch 32000 --heldout-examples 512 --no-progress)
for arm in "$@"; do
  case $arm in
    baseline) extra=(--focus 0.5) ;;                                   # today's recipe (the card's stage 3)
    ema)      extra=(--focus 0.5 --ema-halflife 20000) ;;              # sample from a moving average of the weights
    power1)   extra=(--focus 0.5 --noise-power 1) ;;                   # sigma uniform: more examples at high noise
    focus75)  extra=(--focus 0.75) ;;                                  # three quarters of each batch from approach windows
    tail)     extra=(--focus 0.5 --tail-share 0.2 --tail-sigma 3 --freeze-norm) ;;  # noise up to sigma 3, for a sampler start at sigma0 2
    # Width arms start from scratch (a wider network cannot start from width-32 weights) and stop at equal training
    # minutes, not steps: the question is what a CPU-minute buys. App. E's plateau schedule, since a cosine schedule
    # needs a step count fixed in advance. Run the two together, one thread each.
    width32|width48)
      OMP_NUM_THREADS=1 nextframe train --data "$data" --tau 2 --width "${arm#width}" --batch-size 32 --lr 1e-3 --max-minutes 38 \
        --examples-per-epoch 32000 --heldout-examples 512 --focus 0.5 --no-progress --out "$out/$arm" > "$out/$arm.log" 2>&1
      continue ;;
    *) echo "unknown arm $arm" >&2; exit 2 ;;
  esac
  OMP_NUM_THREADS=1 nextframe train "${common[@]}" "${extra[@]}" --out "$out/$arm" > "$out/$arm.log" 2>&1
done
