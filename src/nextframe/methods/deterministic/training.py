"""The deterministic method in the training loop: the prediction-only U-Net, MSE of its prediction, held-out PSNR."""

from __future__ import annotations

from nextframe.errors import NextframeError
from nextframe.evaluation.denoising import denoising_psnr
from nextframe.methods.deterministic.predictor import PredictionLoss
from nextframe.networks.unet import ConditionalUNet, UNetConfig
from nextframe.training.trainer import TrainingMethod

NAME = "deterministic"
COLUMNS = ("heldout_psnr",)


def training_method(config, shape) -> TrainingMethod:
    """For a `TrainConfig` and frames of `shape` (channels, H, W)."""
    channels, height, width = shape
    if config.future != 1:
        raise NextframeError(f"--future {config.future}: the {NAME} method learns the next frame only; use --future 1")
    unet = UNetConfig(tau=config.tau, channels=channels, width=config.width, scales=config.scales, noisy_input=False)
    unet.check_size(height, width)

    def heldout(net, windows, indices, seed, device) -> dict:  # the network ignores the noisy frame: any level will do
        predict = lambda noisy, context: net(noisy.to(device), context.to(device)).cpu()  # noqa: E731
        return {"heldout_psnr": denoising_psnr(predict, windows, (0.0,), seed=seed, index=indices)[0]["output_psnr"]}

    return TrainingMethod("deterministic", lambda: ConditionalUNet(unet), PredictionLoss(), heldout, COLUMNS)
