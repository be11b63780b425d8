"""Every method at the size it ships at on this CPU: parameters, training cost per example and sampling cost per frame.

    python benchmarks/methods.py [--protocol leaves smmnist32] [--steps 8] [--threads 2]

An example is one training window (tau past frames and the method's future frames); the supervised frames per
example say how much each window teaches. Sampling: 8 rows, 2 future frames (after a warm-up call), the
median seconds per generated frame and the network evaluations per frame. Random frames: costs do not depend on the
data. The configurations are each method's `benchmark_recipe`, the ones `scripts/train_methods.sh`
trains with (issue 19 item 6).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from nextframe.analysis.benchmark_training import PROTOCOLS as benchmark_protocols
from nextframe.methods import METHODS, method
from nextframe.training.config import TrainConfig


def recipe_fields(name: str, sequence: int, block: int) -> dict:
    """The method's `benchmark_recipe` without what this script sets itself (the batch) or does not use."""
    recipe = method(name).benchmark_recipe(sequence, block)
    return {k: v for k, v in recipe.items() if k not in ("batch_size", "lr", "ema_halflife")}


KINDS = {"leaves": "moving-leaves", "smmnist32": "stochastic-moving-mnist"}  # protocol -> the data's kind
PROTOCOLS = {  # protocol -> method -> (TrainConfig fields, method options): what `--train-minutes` trains
    protocol: {
        name: (
            {"tau": benchmark_protocols[kind][0], **recipe_fields(name, *benchmark_protocols[kind][1:])},
            {},
        )
        for name in METHODS
    }
    for protocol, kind in KINDS.items()
}


def measure(name: str, fields: dict, options: dict, batch: int, steps: int) -> dict:
    config = TrainConfig(data="-", method=name, options=options, batch_size=batch, **fields)
    spec = method(name).training_method(config, (1, 32, 32))
    torch.manual_seed(0)
    net = spec.build()
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    context = torch.rand(batch, config.tau, 32, 32)
    target = torch.rand(batch, config.future, 32, 32)
    times = []
    for step in range(steps + 1):
        started = time.perf_counter()
        loss = spec.loss(net, context, target, torch.Generator().manual_seed(step))
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - started)
    per_example = statistics.median(times[1:]) / batch
    predictor = method(name).predictor(net.eval())
    past = torch.rand(8, config.tau, 1, 32, 32)
    predictor.predict(past[:1], 1)  # warm-up
    runs = [predictor.predict(past, 2, seed=i) for i in range(2)]
    return {
        "method": name,
        "parameters": params,
        "supervised_frames": config.future if name in ("svg_lp", "rvd", "mcvd") else 1,
        "train_ms_per_example": 1000 * per_example,
        "examples_per_cpu_minute": 60 / per_example,
        "sample_s_per_frame": statistics.median(r.seconds_per_frame for r in runs),
        "evaluations_per_frame": runs[0].evaluations_per_frame,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--protocol", nargs="+", default=list(PROTOCOLS), choices=list(PROTOCOLS))
    p.add_argument("--methods", nargs="+", default=None, help="default: all")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=8, help="timed training steps (median)")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"threads {args.threads}, batch {args.batch}, 32x32 grayscale, torch {torch.__version__}")
    for protocol in args.protocol:
        print(f"\n{protocol}")
        print(
            "| method | parameters | supervised frames / example | train ms / example | sample s / frame | evaluations / frame |"
        )
        print("|---|---|---|---|---|---|")
        for name, (fields, options) in PROTOCOLS[protocol].items():
            if args.methods and name not in args.methods:
                continue
            r = measure(name, fields, options, args.batch, args.steps)
            print(
                f"| {name} | {r['parameters']:,} | {r['supervised_frames']} | {r['train_ms_per_example']:.1f} | "
                f"{r['sample_s_per_frame']:.3f} | {r['evaluations_per_frame']:g} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
