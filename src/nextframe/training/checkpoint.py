"""A bare U-Net from any model file, for scripts, benchmarks and tests that want the network itself; the library's
consumers load predictors (`nextframe.methods.load`, `load_denoiser`). The files themselves: `nextframe.models.files`.
"""

from __future__ import annotations

from pathlib import Path

import torch

from nextframe.errors import NextframeError
from nextframe.models.files import load_state, read_network
from nextframe.networks.unet import ConditionalUNet, UNetConfig


def load_model(path: str | Path, device: str | torch.device = "cpu") -> ConditionalUNet:
    """A U-Net (of the score-based or the deterministic method) in evaluation mode from a shipped model's name
    (`nextframe.models.SHIPPED`), a `.safetensors` weights file, a training checkpoint `.pt`, or a run folder."""
    method, settings, state = read_network(path)
    if method not in ("score", "deterministic"):
        raise NextframeError(f"{path} holds a {method} model, not a U-Net; load it with nextframe.load")
    model = ConditionalUNet(UNetConfig(**settings))
    load_state(model, state, path)
    return model.to(device).eval()
