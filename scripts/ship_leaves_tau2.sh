#!/usr/bin/env bash
# Ship a new stage of the 32x32 reference model leaves-tau2 (issue 29, item 5) with everything that names its weights,
# in one change: the weights under the shipped name; the Moving Leaves benchmark's score row (leaves-tau2-score, an
# alias: its row records the SHA-256 of the weights it scored) rescored, with every shipped stage on its learning
# curve; the sampling fixture of tests/test_methods.py redrawn from them; docs/results/leaves-tau2 regenerated (the
# card's three `nextframe experiment` commands); and the card's held-out denoising table measured. The card's text
# (src/nextframe/models/leaves-tau2.md) is then edited by hand with the numbers this prints.
#   Usage: scripts/ship_leaves_tau2.sh WEIGHTS CPU_MINUTES EXAMPLES [DATA]   (CPU-minutes and examples in all, the
#   stages before included; DATA: the Moving Leaves set of the benchmark, runs/methods/leaves)
# After the commit that ships it, add that commit's stage to EARLIER for the next one.
set -euo pipefail
weights=$1; minutes=$2; examples=$3; data=${4:-runs/methods/leaves}
EARLIER=(3d86ccd=221.8:832000 673b392=391.2:1536000 d94edd6=462.2:2144000 6c27ea6=508.0:2384000 b4693bf=609.6:3024000
  docs/results/leaves-tau2/stage6/model.safetensors=643.0:3328000 5f0ce46=688.0:3707712
  docs/results/leaves-tau2/stage8/model.safetensors=733.0:4057216 c85e0d0=777.5:4457216
  docs/results/leaves-tau2/deep4/model.safetensors=867.5:4999040 b7c9121=912.5:5263488)  # 6, 8, 10 kept in git, never shipped
shipped=src/nextframe/models/leaves-tau2.safetensors
cp "$weights" "$shipped"
stages=(); for s in "${EARLIER[@]}"; do stages+=(--stage "$s"); done
python scripts/history_curve.py --dataset leaves --method score --model leaves-tau2-score --data "$data" \
  "${stages[@]}" --stage "$shipped=$minutes:$examples"
python tests/test_methods.py leaves-tau2  # the sampling fixture, with the draw the test checks
for kind in probes decisions recursive; do
  nextframe experiment "$kind" --out docs/results/leaves-tau2 --paper-sampler
done
nextframe evaluate --model leaves-tau2 --data "$data"
