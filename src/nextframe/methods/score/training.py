"""The score-based method in the training loop: the bias-free U-Net with a noisy input, the blind denoising loss over
the run's noise levels, and held-out output PSNR at fixed input PSNRs."""

from __future__ import annotations

from dataclasses import dataclass

from nextframe.errors import NextframeError
from nextframe.evaluation.denoising import denoising_psnr
from nextframe.methods.score.loss import BlindDenoisingLoss
from nextframe.networks.unet import ConditionalUNet, UNetConfig
from nextframe.settings import check_fields, from_options, setting
from nextframe.training.trainer import TrainingMethod

# the held-out loss averages over training's noise levels and hardly sees the ends of the range, which can move by a
# dB or more while it stays put; the log also follows the output PSNR at these input PSNRs (dB)
LOG_PSNRS = (-10, 0, 20, 40)
NAME = "score"
COLUMNS = tuple(f"heldout_psnr_at_{p}dB" for p in LOG_PSNRS)


@dataclass(frozen=True)
class Settings:
    """The denoiser's own setting (`nextframe train --method score --denoiser-output residual`)."""

    denoiser_output: str = setting(
        "clean",
        "clean: the network's last layer is the clean estimate (the paper); residual: it is the denoising residual, "
        "added to the noisy input (the identity at low noise comes free)",
        choices=("clean", "residual"),
    )

    def __post_init__(self):
        check_fields(self)


def settings(options: dict) -> Settings:
    return from_options(Settings, options, NAME)


def training_method(config, shape) -> TrainingMethod:
    """For a `TrainConfig` and frames of `shape` (channels, H, W)."""
    channels, height, width = shape
    if config.future != 1:
        raise NextframeError(f"--future {config.future}: the {NAME} method learns the next frame only; use --future 1")
    unet = UNetConfig(
        tau=config.tau,
        channels=channels,
        width=config.width,
        scales=config.scales,
        noisy_input=True,
        output=settings(config.options).denoiser_output,
    )
    unet.check_size(height, width)
    loss = BlindDenoisingLoss(config.sigma_max, config.tail_sigma, config.tail_share, config.noise_power)

    def heldout(net, windows, indices, seed, device) -> dict:
        denoiser = lambda noisy, context: net(noisy.to(device), context.to(device)).cpu()  # noqa: E731
        rows = denoising_psnr(denoiser, windows, LOG_PSNRS, seed=seed, index=indices)
        return dict(zip(COLUMNS, (r["output_psnr"] for r in rows)))

    return TrainingMethod("score", lambda: ConditionalUNet(unet), loss, heldout, COLUMNS)
