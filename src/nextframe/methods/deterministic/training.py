"""The deterministic method in the training loop: the prediction-only U-Net, MSE of its prediction, held-out PSNR."""

from __future__ import annotations

from nextframe.evaluation.denoising import denoising_psnr
from nextframe.methods.deterministic.predictor import PredictionLoss
from nextframe.networks.unet import ConditionalUNet, UNetConfig
from nextframe.training.trainer import TrainingMethod

COLUMNS = ("heldout_psnr",)


def training_method(config, shape) -> TrainingMethod:
    """For a `TrainConfig` and frames of `shape` (channels, H, W)."""
    channels, height, width = shape
    unet = UNetConfig(tau=config.tau, channels=channels, width=config.width, scales=config.scales, noisy_input=False)
    unet.check_size(height, width)

    def heldout(predict, windows, indices, seed) -> dict:  # the network ignores the noisy frame: any level will do
        return {"heldout_psnr": denoising_psnr(predict, windows, (0.0,), seed=seed, index=indices)[0]["output_psnr"]}

    return TrainingMethod("deterministic", lambda: ConditionalUNet(unet), PredictionLoss(), heldout, COLUMNS)
