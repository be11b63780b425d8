"""Held-out denoising performance: output PSNR against input PSNR at fixed noise levels."""

from __future__ import annotations

import numpy as np
import torch

from nextframe.data.store import Windows
from nextframe.errors import NextframeError
from nextframe.metrics import psnr


def sigma_for_psnr(input_psnr_db: float) -> float:
    """Noise std whose expected input PSNR (range 1) is the given value: sigma = 10^(-PSNR/20)."""
    return 10.0 ** (-input_psnr_db / 20.0)


PSNR_RANGE = (-20.0, 80.0)  # dB: sigma 10 to 1e-4 for frames in [0, 1]


@torch.no_grad()
def denoising_psnr(
    denoiser,
    windows: Windows,
    input_psnrs=(0.0, 10.0, 20.0, 30.0),
    examples: int = 512,
    seed: int = 0,
    batch: int = 256,
    index: np.ndarray | None = None,
) -> list[dict]:
    """Mean input and output PSNR over fixed held-out windows, one row per input PSNR level.

    The same windows and noise (seeded) are used at every level, so rows differ only by the noise amplitude.
    `index` picks the windows itself (else `examples` of them drawn from `seed`).
    """
    if index is None:
        if int(examples) != examples or examples < 1:
            raise NextframeError(f"--examples {examples}: need at least 1 held-out window")
        if int(seed) != seed or seed < 0:
            raise NextframeError(f"--seed {seed}: seeds are whole numbers from 0")
        index = np.random.default_rng([seed, 11]).permutation(len(windows))[:examples]
    for level in input_psnrs:
        if not PSNR_RANGE[0] <= level <= PSNR_RANGE[1]:
            raise NextframeError(
                f"--psnr {level:g}: input PSNRs must lie in [{PSNR_RANGE[0]:g}, {PSNR_RANGE[1]:g}] dB "
                "(beyond, the noise is far outside training or below float32 resolution)"
            )
    rows = []
    for level in input_psnrs:
        sigma = sigma_for_psnr(level)
        inputs, outputs = [], []
        for b, start in enumerate(range(0, len(index), batch)):
            context, clean = windows.batch(index[start : start + batch])
            noise = torch.randn(clean.shape, generator=torch.Generator().manual_seed(seed * 1000 + b))
            noisy = clean + sigma * noise
            estimate = denoiser(noisy, context).float()
            inputs.append(psnr(noisy, clean))
            outputs.append(psnr(estimate, clean))
        rows.append(
            {
                "input_psnr_target": level,
                "sigma": sigma,
                "input_psnr": float(torch.cat(inputs).mean()),
                "output_psnr": float(torch.cat(outputs).mean()),
            }
        )
    return rows
