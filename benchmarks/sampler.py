"""Sampler cost: network evaluations per sample and frames per second, for a U-Net on an ambiguous probe.

The shipped leaves-tau2 model by default; `--model untrained` measures a random width-16 network (its evaluation
count is then not meaningful, its speed is).

    python benchmarks/sampler.py [--model leaves-tau2|PATH|untrained] [--batch 1 16] [--repeats 3]
"""

import argparse
import statistics
import time

import torch

from nextframe.data.leaves import make_probe
from nextframe.methods import load_denoiser
from nextframe.networks import ConditionalUNet, UNetConfig
from nextframe.sampling import sample


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", default="leaves-tau2", help="shipped model name, weights path, or 'untrained' (default leaves-tau2)"
    )
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--beta", type=float, default=0.5)
    args = parser.parse_args()
    model = (
        ConditionalUNet(UNetConfig(tau=2, width=16)).eval()
        if args.model == "untrained"
        else load_denoiser(args.model, "the sampler benchmark").network
    )
    probe = make_probe()
    context = torch.from_numpy(probe.context).reshape(1, -1, 32, 32)
    print(f"model {args.model} (width {model.config.width}), beta {args.beta}, threads {torch.get_num_threads()}")
    for batch in args.batch:
        times, evals = [], []
        for r in range(args.repeats):
            start = time.perf_counter()
            result = sample(model, context.repeat(batch, 1, 1, 1), seed=r * batch, beta=args.beta)
            times.append(time.perf_counter() - start)
            evals += result.evaluations.tolist()
        median = statistics.median(times)
        print(
            f"batch {batch:3d}: median {statistics.median(evals):.0f} network evaluations per sample, "
            f"{batch / median:.2f} frames/s ({median / batch:.3f} s per sample), {args.repeats} runs"
        )


if __name__ == "__main__":
    main()
