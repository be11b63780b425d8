#!/usr/bin/env bash
# Train every method at an equal budget of CPU-minutes on one dataset, one after the other on one thread, so that two
# datasets can train side by side on two cores; then score them with `nextframe benchmark` (docs/results/methods/).
#
#   scripts/train_methods.sh smmnist32 MNIST_DIR   [MINUTES] [RUNS]   # SM-MNIST 32x32: 5 past, 10 future frames
#   scripts/train_methods.sh leaves    -           [MINUTES] [RUNS]   # Moving Leaves: 2 past, 9 future frames
#
# MINUTES (default 12) is each run's budget of CPU time spent on optimiser steps (--max-minutes with --budget-clock
# cpu: held-out scoring excluded, and other work on the machine does not shrink it). RUNS (default runs/methods)
# holds the datasets and one folder per dataset and method. A rerun resumes every run from its checkpoint, so a
# budget can be extended by rerunning with a larger MINUTES; `--init` from shipped weights continues after the run
# folders are gone.
set -euo pipefail
kind=${1:?give the dataset: smmnist32 or leaves}
source=${2:?give the MNIST folder for smmnist32 (four idx files), or - for leaves}
minutes=${3:-12}
runs=${4:-runs/methods}
mkdir -p "$runs"
export OMP_NUM_THREADS=1  # one thread per run: two runs share the two cores
case $kind in
  smmnist32)
    data="$runs/smmnist32"
    [ -d "$data" ] || nextframe data smmnist --mnist "$source" --out "$data" --size 32 --n 10000 --test 256 --no-progress
    tau=5 sequence=10 block=5 ;;  # SVG and MCVD's SM-MNIST protocol: 5 past, 10 future; MCVD and RVD in blocks of 5
  leaves)
    data="$runs/leaves"  # the shipped leaves-tau2's data: 100,000 sequences of 11 frames, seed 0
    [ -d "$data" ] || nextframe data leaves --out "$data" --n 100000 --seed 0
    tau=2 sequence=9 block=3 ;;  # tau = 2 (section 3.1) and the rest of each 11-frame sequence; blocks of 3
  *) echo "unknown dataset $kind: use smmnist32 or leaves" >&2; exit 2 ;;
esac

common=(--data "$data" --tau "$tau" --max-minutes "$minutes" --budget-clock cpu --examples-per-epoch 8000
  --heldout-examples 256 --no-progress)
train() {  # name, then the method's flags
  local name=$1
  shift
  nextframe train "${common[@]}" --out "$runs/$kind-$name" "$@" >> "$runs/$kind-$name.log" 2>&1  # appended: a rerun resumes
}

# the score-based denoiser and the deterministic floor: the U-Net of the shipped models (width 32), next frame
train score --method score --width 32 --batch-size 16 --lr 1e-3
train deterministic --method deterministic --width 32 --batch-size 16 --lr 1e-3
# SVG-LP: past + the whole future per window, as SVG trains; Adam 2e-3 (SVG), beta scaled to 32x32 (4e-4)
train svg_lp --method svg_lp --future "$sequence" --width 32 --batch-size 16 --lr 2e-3
# MCVD: blocks of frames after the past (its SM-MNIST protocol: 5), DDPM-100 sampling, EMA of the weights
train mcvd --method mcvd --future "$block" --width 32 --batch-size 16 --lr 3e-4 --ema-halflife 4000
# RVD: windows of past + a block of predicted frames (RVD: 2 + 6 at 64x64), width 16, DDPM over 100 of 1,600 levels
train rvd --method rvd --future "$block" --width 16 --batch-size 8 --lr 3e-4 --ema-halflife 4000
echo "trained: $(ls -d "$runs/$kind"-*/model.safetensors | tr '\n' ' ')"
