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
    """The denoiser's own settings (`nextframe train --method score --sigma-max 2 ...`): its training noise (the
    loss, `methods.score.loss`) and its output."""

    sigma_max: float = setting(
        1.0,
        "largest training noise std: sigma = sigma_max * u^noise_power, u ~ U[0, 1] (App. E)",
        positive=True,
        high=100.0,
    )
    noise_power: float = setting(
        2.0, "2: App. E's sqrt(sigma) uniform; 1: sigma uniform, more examples at high noise", positive=True, high=10.0
    )
    tail_share: float = setting(
        0.0, "share of examples whose noise std is drawn log-uniformly in [sigma-max, tail-sigma] instead", low=0
    )
    tail_sigma: float = setting(4.0, "top of that tail (4: input PSNR -12 dB)", positive=True, high=1000.0)
    sigma_weighting: float = setting(
        0.0,
        "s0 > 0: weigh each example's squared error by 1 / (sigma + s0), mean 1 over the batch, so the low noise "
        "levels are learned too (0: the paper's plain MSE)",
        low=0,
        high=100.0,
    )
    denoiser_output: str = setting(
        "clean",
        "clean: the network's last layer is the clean estimate (the paper); residual: it is the denoising residual, "
        "added to the noisy input (the identity at low noise comes free)",
        choices=("clean", "residual"),
    )
    gates: bool = setting(
        False,
        "a scale-free multiplicative gate after every U-Net block (networks.unet.ScaleFreeGate; still bias-free and "
        "homogeneous); it starts as the identity, so --init may name weights trained without gates",
    )

    def __post_init__(self):
        check_fields(self)
        if not 0.0 <= self.tail_share < 1.0:
            raise NextframeError(f"--tail-share is a share of the examples, 0 <= share < 1; got {self.tail_share}")
        if self.tail_share > 0 and not self.tail_sigma > self.sigma_max:
            raise NextframeError(
                f"--tail-sigma {self.tail_sigma:g} must exceed --sigma-max {self.sigma_max:g} when --tail-share is set"
            )

    def loss(self) -> BlindDenoisingLoss:
        return BlindDenoisingLoss(
            self.sigma_max, self.tail_sigma, self.tail_share, self.noise_power, self.sigma_weighting
        )


def settings(options: dict) -> Settings:
    return from_options(Settings, options, NAME)


def training_method(config, shape) -> TrainingMethod:
    """For a `TrainConfig` and frames of `shape` (channels, H, W)."""
    channels, height, width = shape
    own = settings(config.options)
    if config.future != 1:
        raise NextframeError(f"--future {config.future}: the {NAME} method learns the next frame only; use --future 1")
    unet = UNetConfig(
        tau=config.tau,
        channels=channels,
        width=config.width,
        scales=config.scales,
        noisy_input=True,
        output=own.denoiser_output,
        gates=own.gates,
    )
    unet.check_size(height, width)
    loss = own.loss()

    def heldout(net, windows, indices, seed, device) -> dict:
        denoiser = lambda noisy, context: net(noisy.to(device), context.to(device)).cpu()  # noqa: E731
        rows = denoising_psnr(denoiser, windows, LOG_PSNRS, seed=seed, index=indices)
        return dict(zip(COLUMNS, (r["output_psnr"] for r in rows)))

    return TrainingMethod("score", lambda: ConditionalUNet(unet), loss, heldout, COLUMNS)
