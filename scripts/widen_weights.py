"""Widen a score model's weights to a larger --width, or deepen them to more --scales, with the same function
(`networks.unet.widen`, Net2WiderNet; `networks.unet.deepen`, a new coarsest scale that starts as a no-op), so that
training can go on with more capacity from where the smaller network stopped instead of from scratch (issue 29: the
32x32 Moving Leaves recipe flattened at width 32 on seen and held-out windows alike).

    python scripts/widen_weights.py runs/s11/tau2-s9-lr1/model.safetensors --width 48 --out runs/s11/wide48.safetensors
    nextframe train ... --init runs/s11/wide48.safetensors --width 48
    python scripts/widen_weights.py src/nextframe/models/leaves-tau2.safetensors --scales 4 --out runs/deep4.safetensors
    nextframe train ... --init runs/deep4.safetensors --scales 4 --freeze-norm

The metadata is the source's (its training totals carry over: the grown network has learned nothing new), with
"widened_from" / "deepened_from" (the source's width or scales, and path). Prints how far the output moved on random
inputs (0 without --noise). A deepened network keeps its function in training only with frozen norms (--freeze-norm).
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
from nextframe.networks.unet import ConditionalUNet, UNetConfig, deepen, widen


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("weights", type=Path, help="a score model's .safetensors")
    p.add_argument("--width", type=int, help="the wider network's channels at the first scale (default: the same)")
    p.add_argument("--scales", type=int, help="the deeper network's scales (default: the same)")
    p.add_argument("--out", type=Path, required=True, help="the grown weights (.safetensors)")
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
            raise NextframeError(f"{args.weights} is a {method} model; only the U-Net methods grow")
        narrow = ConditionalUNet(UNetConfig(**network))
        load_state(narrow, tensors, args.weights)
        c = narrow.config
        width, scales = args.width or c.width, args.scales or c.scales
        if scales < c.scales:
            raise NextframeError(f"--scales {scales} is fewer than the network's {c.scales}; deepen only")
        if (width, scales) == (c.width, c.scales):
            raise NextframeError(f"nothing to grow: give a --width above {c.width} or --scales above {c.scales}")
        with safe_open(str(args.weights), framework="pt") as fh:
            meta = dict(fh.metadata() or {})
        size = json.loads(meta.get("frame_shape", "[1, 32, 32]"))[-1]
        UNetConfig(**{**c.to_dict(), "scales": scales}).check_size(size, size)
        wide = widen(narrow.eval(), width, args.noise, args.seed) if width != c.width else narrow.eval()
        for extra in range(scales - c.scales):
            wide = deepen(wide, seed=args.seed + extra)
    except NextframeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    meta["network"] = json.dumps(wide.config.to_dict())
    if width != c.width:
        meta["widened_from"] = json.dumps({"width": c.width, "path": str(args.weights), "noise": args.noise})
    if scales != c.scales:
        meta["deepened_from"] = json.dumps({"scales": c.scales, "path": str(args.weights)})
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
        f"{args.out}: width {c.width} -> {width}, scales {c.scales} -> {scales}; "
        f"the output moved by {moved:.2%} of its largest value"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
