#!/usr/bin/env bash
# Train every method at an equal budget of CPU-minutes on one dataset and score them all on the same test clips, with
# the same samples and seeds: `nextframe benchmark --train-minutes`, the results shipped in docs/results/benchmark/.
#
#   scripts/train_methods.sh smmnist32 MNIST_DIR   [MINUTES] [RUNS] [OUT]   # SM-MNIST 32x32: 5 past, 10 future frames
#   scripts/train_methods.sh leaves    -           [MINUTES] [RUNS] [OUT]   # Moving Leaves: 2 past, 9 future frames
#
# MINUTES (default 12) is each method's budget of CPU time spent on optimiser steps (held-out scoring excluded; other
# work on the machine does not shrink it). RUNS (default runs/methods) holds the dataset and one run folder per
# method (<dataset>-<method>); OUT (default docs/results/benchmark/<dataset>) the table, figures and report. One
# thread, so the two datasets can run side by side on two cores. A rerun resumes: finished runs and scores are kept,
# and a larger MINUTES trains further (the benchmark then scores the new weights anew).
set -euo pipefail
kind=${1:?give the dataset: smmnist32 or leaves}
source=${2:?give the MNIST folder for smmnist32 (four idx files), or - for leaves}
minutes=${3:-12}
runs=${4:-runs/methods}
out=${5:-docs/results/benchmark/$kind}
mkdir -p "$runs"
export OMP_NUM_THREADS=1
case $kind in
  smmnist32)
    data="$runs/smmnist32"
    [ -d "$data" ] || nextframe data smmnist --mnist "$source" --out "$data" --size 32 --n 10000 --test 256 --no-progress
    scored=(--future 10)  # SVG and MCVD's protocol: 10 frames after 5
    shipped=() ;;
  leaves)
    data="$runs/leaves"  # the shipped leaves-tau2's data: 100,000 sequences of 11 frames, seed 0
    [ -d "$data" ] || nextframe data leaves --out "$data" --n 100000 --seed 0
    scored=(--future 9 --collision-windows 32 --probe-samples 8)  # figure 5's 9-frame rollouts after tau = 2
    shipped=(leaves-tau2) ;;  # and the shipped score model, trained for hours: what more training buys
  *) echo "unknown dataset $kind: use smmnist32 or leaves" >&2; exit 2 ;;
esac

# each method's settings at this machine's scale are its folder's benchmark_recipe; the data sets tau and the windows;
# copy-last and blank learn nothing: reference rows (on SM-MNIST a blank frame already scores a low CRPS)
nextframe benchmark --data "$data" --methods copy-last blank deterministic score svg_lp mcvd rvd "${shipped[@]}" --train-minutes "$minutes" \
  --runs "$runs" --clips 16 --samples 4 "${scored[@]}" --out "$out" --no-progress
