"""How much each first-layer filter of a conditional denoiser looks at the noisy frame, against the past frames.

    python scripts/davis_first_layer.py runs/davis-tau2-ft2/model.safetensors runs/davis-tau2-ft3/model.safetensors ...

For each weight file: the ratio |W_noisy| / |W_past| of every filter of the first convolution (Frobenius norms of its
3x3 weights on the noisy frame and on all past frames together), the three smallest and the median. A bias-free
network can only ignore a very noisy observation if some channels carry the past frames without it (docs/design.md).
"""

import argparse

import numpy as np

from nextframe.methods import load_denoiser


def ratios(path: str) -> np.ndarray:
    model = load_denoiser(path, "the first-layer filter ratios").network
    tau = model.config.tau
    if tau < 1 or not model.config.noisy_input:
        raise SystemExit(f"{path}: needs a denoiser with tau >= 1")
    weight = model.down[0][0].weight.detach()  # (filters, past frames + noisy frame, 3, 3), noisy frame last
    return (weight[:, tau].flatten(1).norm(dim=1) / weight[:, :tau].flatten(1).norm(dim=1)).numpy()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", nargs="+", help="shipped names or .safetensors of denoisers with tau >= 1")
    for path in parser.parse_args().weights:
        r = np.sort(ratios(path))
        print(
            f"{path}: smallest {', '.join(f'{v:.3f}' for v in r[:3])}; median {np.median(r):.3f} over {len(r)} filters"
        )
