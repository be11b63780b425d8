"""The deterministic method in the training loop: the prediction-only U-Net, the error of its predictions rolled out
over the window's future frames (`--future`, 1: the next frame only; `--point-loss`: MSE, or L1 for the median),
held-out PSNR of the same rollout."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nextframe.errors import NextframeError
from nextframe.methods.deterministic.predictor import PredictionLoss
from nextframe.metrics import psnr
from nextframe.networks.unet import ConditionalUNet, UNetConfig
from nextframe.settings import check_fields, from_options, setting
from nextframe.training.trainer import TrainingMethod

NAME = "deterministic"
COLUMNS = ("heldout_psnr",)


@dataclass(frozen=True)
class Settings:
    """The floor's own setting (`nextframe train --method deterministic --point-loss l1`)."""

    point_loss: str = setting(
        "mse",
        "mse: the conditional mean (the paper's prediction-only network); l1: the conditional median, the point "
        "forecast with the lowest CRPS (a point forecast's CRPS is its mean absolute error)",
        choices=("mse", "l1"),
    )

    def __post_init__(self):
        check_fields(self)


def settings(options: dict) -> Settings:
    return from_options(Settings, options, NAME)


def training_method(config, shape) -> TrainingMethod:
    """For a `TrainConfig` and frames of `shape` (channels, H, W)."""
    channels, height, width = shape
    if config.future > 1 and config.tau == 0:
        raise NextframeError(
            f"--future {config.future} rolls the network out on its own frames, which needs --tau >= 1"
        )
    unet = UNetConfig(tau=config.tau, channels=channels, width=config.width, scales=config.scales, noisy_input=False)
    unet.check_size(height, width)
    loss = PredictionLoss(channels, settings(config.options).point_loss)

    def heldout(net, windows, indices, seed, device) -> dict:  # PSNR of every future frame of the rollout
        values = []
        for start in range(0, len(indices), 256):
            context, clean = windows.batch(indices[start : start + 256])
            frames = loss.rollout(net, context.to(device), config.future).clamp(0, 1).cpu()  # what ships
            values.append(
                psnr(frames.unflatten(1, (config.future, channels)), clean.unflatten(1, (config.future, channels)))
            )
        return {"heldout_psnr": float(torch.cat(values).mean())}

    return TrainingMethod("deterministic", lambda: ConditionalUNet(unet), loss, heldout, COLUMNS)
