"""Average the weights of several runs or snapshots of one model (a "model soup"): the mean of every floating tensor,
written as a weights file that loads like any other. Meant for stages continued from the same weights (issue 29: two
arms of leaves-tau2 stage 9 from stage 8), whose snapshots swung by 21 points on the decision instrument while the
learning rate was high: an average of nearby weights sits between the swings.

    python scripts/average_weights.py runs/s11/tau2-s9/model.safetensors runs/s11/tau2-s9-lr1/model.safetensors \
        --out runs/s11/soup/model.safetensors

The files must hold the same network (same metadata "network" and tensor names). The metadata is the first file's,
with "averaged_from" (each source's path and totals) and the training totals made honest: the stage before the
sources once, then each run's longest stage (snapshots of one run were trained once; two runs were trained twice).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from nextframe.errors import NextframeError
from nextframe.files import atomic_path


def average(paths: list[Path]) -> tuple[dict, dict]:
    """(tensors, metadata) of the mean of `paths`' weights."""
    metas = []
    for p in paths:
        with safe_open(str(p), framework="pt") as fh:
            metas.append(fh.metadata() or {})
    if any(m.get("network") != metas[0].get("network") for m in metas):
        raise NextframeError("the files hold different networks; average weights of one model only")
    states = [load_file(str(p)) for p in paths]
    if any(s.keys() != states[0].keys() for s in states):
        raise NextframeError("the files hold different tensors; average weights of one model only")
    tensors = {}
    for k, first in states[0].items():
        if first.is_floating_point():
            tensors[k] = torch.stack([s[k].double() for s in states]).mean(0).to(first.dtype)
        else:  # counters such as num_batches_tracked
            tensors[k] = first
    meta = dict(metas[0])
    stage = {}  # run folder -> its longest stage among the sources (minutes, examples, steps)
    for m in metas:
        run = json.loads(m.get("train", "{}")).get("out", "")
        done = tuple(float(m.get(k, 0)) for k in ("minutes", "examples", "steps"))
        stage[run] = max(stage.get(run, done), done)
    for total, own, i in (
        ("total_minutes", "minutes", 0),
        ("total_examples", "examples", 1),
        ("total_steps", "steps", 2),
    ):
        if total in metas[0]:
            before = float(metas[0][total]) - float(metas[0].get(own, 0))
            value = before + sum(s[i] for s in stage.values())
            meta[total] = json.dumps(value if i == 0 else int(round(value)))
    meta["averaged_from"] = json.dumps(
        [{"path": str(p), "total_minutes": json.loads(m.get("total_minutes", "0"))} for p, m in zip(paths, metas)]
    )
    return tensors, meta


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("weights", nargs="+", type=Path, help=".safetensors files of one model")
    p.add_argument("--out", type=Path, required=True, help="the averaged weights (.safetensors)")
    args = p.parse_args()
    try:
        if len(args.weights) < 2:
            raise NextframeError("give two or more weights files to average")
        missing = [str(w) for w in args.weights if not w.is_file()]
        if missing:
            raise NextframeError(f"{', '.join(missing)} does not exist; check the path")
        tensors, meta = average(args.weights)
    except NextframeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
    print(
        f"{args.out}: the mean of {len(args.weights)} files, {float(meta.get('total_minutes', 0)):.1f} CPU-minutes in all"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
