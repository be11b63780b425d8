#!/usr/bin/env bash
# Train every method on Stochastic Moving MNIST 32x32 (5 past frames) at an equal budget of CPU-minutes each, two
# runs at a time with one thread each, then score them on the test set (scripts/methods_table.py).
#
#   scripts/train_methods.sh MNIST_DIR [MINUTES] [RUNS]     # e.g. scripts/train_methods.sh ../shared/data/mnist 20
#
# MINUTES (default 20) is each run's training time (--max-minutes: optimiser steps only, held-out scoring excluded);
# RUNS (default runs/methods) holds the dataset and one folder per method. A rerun resumes every run from its
# checkpoint, so a budget can be extended by rerunning with a larger MINUTES. `--init` from shipped weights is the
# way to continue after the run folders are gone.
set -euo pipefail
mnist=${1:?give the MNIST folder (four idx files)}
minutes=${2:-20}
runs=${3:-runs/methods}
mkdir -p "$runs"
data="$runs/smmnist32"
[ -d "$data" ] || nextframe data smmnist --mnist "$mnist" --out "$data" --size 32 --n 10000 --test 256 --no-progress
export OMP_NUM_THREADS=1  # two runs share the two cores

common=(--data "$data" --tau 5 --max-minutes "$minutes" --examples-per-epoch 8000 --heldout-examples 256 --no-progress)
train() {  # name, then the method's flags
  local name=$1
  shift
  nextframe train "${common[@]}" --out "$runs/$name" "$@" > "$runs/$name.log" 2>&1
}

# the score-based denoiser and the deterministic floor: the U-Net of the shipped models (width 32), next frame
train score --method score --width 32 --batch-size 16 --lr 1e-3 &
train deterministic --method deterministic --width 32 --batch-size 16 --lr 1e-3 &
wait
# SVG-LP: 5 past + 10 future per window, as SVG trains on SM-MNIST; Adam 2e-3 (SVG), beta scaled to 32x32 (4e-4)
train svg_lp --method svg_lp --future 10 --width 32 --batch-size 16 --lr 2e-3 &
# MCVD: blocks of 5 frames after 5 past (its SM-MNIST protocol), DDPM-100 sampling, EMA of the weights
train mcvd --method mcvd --future 5 --width 32 --batch-size 16 --lr 3e-4 --ema-halflife 4000 &
wait
# RVD: windows of 5 past + 5 predicted (RVD: 2 + 6 at 64x64), width 16, DDPM over 100 of 1,600 cosine levels
train rvd --method rvd --future 5 --width 16 --batch-size 8 --lr 3e-4 --ema-halflife 4000
echo "trained: $(ls -d "$runs"/*/model.safetensors | tr '\n' ' ')"
