"""Widen a score model's weights to a larger --width with the same function (`networks.unet.widen`, Net2WiderNet), so
that training can go on with more capacity from where the narrow network stopped instead of from scratch (issue 29:
the 32x32 Moving Leaves recipe flattened at width 32 on seen and held-out windows alike).

    python scripts/widen_weights.py runs/s11/tau2-s9-lr1/model.safetensors --width 48 --out runs/s11/wide48.safetensors
    nextframe train ... --init runs/s11/wide48.safetensors --width 48

The metadata is the source's (its training totals carry over: the widened network has learned nothing new), with
"widened_from" (the source's width and path). Prints how far the output moved on random inputs (0 without --noise).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from nextframe.errors import NextframeError
from nextframe.files import atomic_path
from nextframe.models.files import load_state, read_network
from nextframe.networks.unet import ConditionalUNet, UNetConfig, widen


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("weights", type=Path, help="a score model's .safetensors")
    p.add_argument("--width", type=int, required=True, help="the wider network's channels at the first scale")
    p.add_argument("--out", type=Path, required=True, help="the widened weights (.safetensors)")
    p.add_argument(
        "--noise",
        type=float,
        default=0.01,
        help="new channels' incoming weights get this times the tensor's std of noise, so copies learn apart (0: exact)",
    )
    p.add_argument("--seed", type=int, default=0, help="which channels are copied, and the noise")
    args = p.parse_args()
    try:
        method, network, tensors = read_network(args.weights)
        if method not in ("score", "deterministic"):
            raise NextframeError(f"{args.weights} is a {method} model; only the U-Net methods widen")
        narrow = ConditionalUNet(UNetConfig(**network))
        load_state(narrow, tensors, args.weights)
        wide = widen(narrow.eval(), args.width, args.noise, args.seed)
    except NextframeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with safe_open(str(args.weights), framework="pt") as fh:
        meta = dict(fh.metadata() or {})
    meta["network"] = json.dumps(wide.config.to_dict())
    meta["widened_from"] = json.dumps({"width": narrow.config.width, "path": str(args.weights), "noise": args.noise})
    c, size = narrow.config, json.loads(meta.get("frame_shape", "[1, 32, 32]"))[-1]
    g = torch.Generator().manual_seed(0)
    noisy = torch.rand(4, c.channels, size, size, generator=g)
    context = torch.rand(4, c.tau * c.channels, size, size, generator=g)
    with torch.no_grad():
        before, after = narrow(noisy, context), wide.eval()(noisy, context)
    moved = float((after - before).abs().max() / before.abs().max())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out) as tmp:
        save_file({k: v.contiguous() for k, v in wide.state_dict().items()}, str(tmp), metadata=meta)
    print(
        f"{args.out}: width {narrow.config.width} -> {args.width}; the output moved by {moved:.2%} of its largest value"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
