"""Set the batch-norm running statistics of trained weights to their mean over many training batches, as
`nextframe train` now does before it writes weights (--norm-batches), for weights written before it did.

    python scripts/recalibrate_norms.py runs/stages/leaves-det/model.safetensors --data runs/methods/leaves \
        --out runs/stages/leaves-det-recal/model.safetensors

The weights' own training settings (their metadata) choose the loss, the batch size and the seed; --batches and
--seed override the number of batches and the draw of windows and noise. Only the running statistics change: every
learned weight is copied as it is, and the metadata (training time, examples seen) is kept.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("weights", help="a shipped name, run folder or .safetensors written by `nextframe train`")
    p.add_argument("--data", required=True, help="the dataset folder the weights were trained on")
    p.add_argument("--out", required=True, help="where to write the recalibrated .safetensors")
    p.add_argument("--batches", type=int, default=64, help="training batches averaged (default 64)")
    p.add_argument("--seed", type=int, default=None, help="draw of windows and noise (default: the run's seed)")
    args = p.parse_args()

    import torch

    from nextframe.data.store import ClipDataset, Windows
    from nextframe.errors import NextframeError
    from nextframe.methods import method
    from nextframe.models.files import load_state, model_file, read_metadata, read_network, save_weights
    from nextframe.training.config import TrainConfig
    from nextframe.training.trainer import calibrate_norms

    try:
        meta = read_metadata(model_file(args.weights))
        if "train" not in meta:
            raise NextframeError(f"{args.weights} carries no training settings; only weights from `nextframe train`")
        config = TrainConfig.from_dict(meta["train"])
        config = replace(config, norm_batches=args.batches, seed=config.seed if args.seed is None else args.seed)
        clips = ClipDataset.open(args.data).clips("train")
        spec = method(config.method).training_method(config, clips.shape[2:])
        model = spec.build()
        _, _, state = read_network(args.weights)
        load_state(model, state, args.weights)
        windows = Windows(clips, config.tau, config.future)
        count = calibrate_norms(model.to(memory_format=torch.channels_last), spec.loss, windows, config, "cpu")
    except NextframeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    save_weights(
        args.out, model, spec.name, {k: v for k, v in meta.items() if k not in ("format", "method", "network")}
    )
    print(f"{args.out}: {count} batch norms set from {args.batches} batches of {config.batch_size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
