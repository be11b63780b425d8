#!/bin/bash
# Measure one training stage of the five DAVIS models side by side, from the repository root:
#   bash docs/results/davis/measure_stage.sh ft5 runs/eval-stage6
# psnr-curves of runs/davis-tau{0,1,2,3}-<ft> with runs/davis-pred-<ft> as prediction-only, then filters and cues of
# runs/davis-tau2-<ft>, all written to <out> (figures and JSON), about 1.5 minutes on 2 CPU cores.
set -euo pipefail
ft=$1; out=$2
nextframe experiment psnr-curves --data runs/davis32 --out "$out" --models runs/davis-tau{0,1,2,3}-"$ft"/model.safetensors \
  --prediction runs/davis-pred-"$ft"/model.safetensors
nextframe experiment filters --data runs/davis32 --out "$out" --model runs/davis-tau2-"$ft"/model.safetensors
nextframe experiment cues --data runs/davis32 --out "$out" --model runs/davis-tau2-"$ft"/model.safetensors
