"""Trained models that ship inside the package, found by name: `nextframe.load("leaves-tau2")`, `--model leaves-tau2`.

Each is a safetensors weights file (config as JSON metadata) with a model card beside it (`<name>.md`): the data, the
exact training command, steps, wall time, hardware and held-out denoising PSNR.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SHIPPED = {
    "leaves-tau2": "Moving Leaves, tau = 2 (section 3.1 of the paper): occlusion decisions, recursive generation",
    # the same scene on a 16x16 canvas (`LeavesConfig.for_size`), a quarter of the cost per example: the CPU-scale
    # model of issue 29, which the demo shows beside the 32x32 reference (docs/results/scale-study)
    "leaves16-tau2": "Moving Leaves on a 16x16 canvas, tau = 2: the CPU-scale occlusion model, beside leaves-tau2",
    **{
        f"davis-tau{t}": f"natural video (DAVIS32-style clips), tau = {t} (section 3.2): denoising by memory length"
        for t in range(4)
    },
    "davis-pred": "natural video (DAVIS32-style clips), prediction only from 2 past frames (section 3.2, figure 6's horizontal line)",
    # the five methods on the benchmark's data (docs/results/benchmark): score, deterministic floor, peers; first
    # trained at one budget of 12 CPU-minutes each, then some in stages (each card says its CPU time and curve)
    **{
        f"{prefix}-{suffix}": f"{what}: {method}; its card gives the CPU time it had (docs/results/benchmark)"
        for prefix, what in (
            ("smmnist32", "Stochastic Moving MNIST 32x32, 5 past frames"),
            ("leaves-tau2", "Moving Leaves, 2 past frames"),
        )
        for suffix, method in (
            ("score", "the score-based denoiser (on Moving Leaves: leaves-tau2 itself)"),
            ("pred", "the deterministic floor"),
            ("svg", "SVG-LP"),
            ("mcvd", "MCVD"),
            ("rvd", "RVD"),
        )
    },
}

# names that are another shipped model: on Moving Leaves the score method's row is the paper's reference model
# (hours of CPU in five stages), not a second, weaker copy of the same network trained for 12 minutes
ALIASES = {"leaves-tau2-score": "leaves-tau2"}


def frame_shape(name: str) -> tuple[int, int, int] | None:
    """(C, H, W) of the frames a shipped model was trained on, for the weights written before `nextframe train`
    recorded it: the Moving Leaves and SM-MNIST models are grayscale 32x32; None for the others."""
    if name in SHIPPED and name.startswith(("leaves-", "smmnist32-")):  # leaves16-tau2 records its own
        return (1, 32, 32)
    return None


def shipped_path(name: str) -> Path | None:
    """The weights file of a shipped model, or None when `name` is not one."""
    if name not in SHIPPED:
        return None
    return Path(str(resources.files(__name__).joinpath(f"{ALIASES.get(name, name)}.safetensors")))


def model_card(name: str) -> str:
    return resources.files(__name__).joinpath(f"{ALIASES.get(name, name)}.md").read_text()
