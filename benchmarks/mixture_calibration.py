"""How well do sampled modes follow the weights of an unbalanced mixture, as sigma0 and beta vary?

Exact blind denoiser of three point masses (weights 0.6, 0.3, 0.1) at constant images 0.2, 0.5, 0.8 of 64 pixels.
The paper's sampler (`nextframe.PAPER`: the ramp from h0 0.01, stop at sigma 0.01) with its sigma0 and beta varied;
the library's default sampler is measured by sampler_frontier.py. For each (sigma0, beta) it prints the
total-variation distance between the frequencies of the modes that the samples reach and the weights, the median
network evaluations, and how many samples did not end within RMS 0.01 of a mode.

    python benchmarks/mixture_calibration.py [--samples 2000] [--dims 64]
"""

import argparse
import collections

import torch

from nextframe.analysis.mixtures import GaussianMixtureDenoiser
from nextframe.sampling import sample
from nextframe.sampling.settings import PAPER


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--dims", type=int, default=64)
    parser.add_argument("--sigma0", type=float, nargs="+", default=[0.5, 1.0, 2.0, 4.0])
    parser.add_argument("--beta", type=float, nargs="+", default=[1.0, 0.5, 0.25, 0.1])
    args = parser.parse_args()
    weights = torch.tensor([0.6, 0.3, 0.1])
    means = torch.stack([torch.full((1, 1, args.dims), v) for v in (0.2, 0.5, 0.8)])
    denoiser = GaussianMixtureDenoiser(means, weights)
    context = torch.zeros(args.samples, 0, 1, args.dims)
    print(
        f"weights {weights.tolist()}; modes 0.2/0.5/0.8 (RMS spacing 0.3); {args.dims} pixels; {args.samples} samples each"
    )
    print(f"{'sigma0':>7} {'beta':>5} {'freq(0.6/0.3/0.1)':>20} {'TV':>7} {'evals':>6} {'off-mode':>8} status")
    for sigma0 in args.sigma0:
        for beta in args.beta:
            result = sample(denoiser, context, seed=0, **{**PAPER.knobs(), "beta": beta, "sigma0": sigma0})
            index, rms = denoiser.nearest(result.frames)
            freq = torch.bincount(index, minlength=3).float() / len(index)
            tv = 0.5 * (freq - weights).abs().sum().item()
            off = int((rms > 0.01).sum())
            evals = result.evaluations.float().median().item()
            status = dict(collections.Counter(result.status))
            print(
                f"{sigma0:7.2f} {beta:5.2f} {'/'.join(f'{f:.3f}' for f in freq.tolist()):>20} {tv:7.3f} {evals:6.0f} {off:8d} {status}",
                flush=True,
            )


if __name__ == "__main__":
    main()
