"""SVG in the training loop: teacher-forced over windows of tau past and `future` next frames, loss = the summed
per-frame MSE (or, with --recon-loss l1, mean absolute error) + beta x the summed KL(posterior || prior), held-out
PSNR of one sample from the prior."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from nextframe.errors import NextframeError
from nextframe.methods.svg_lp.network import SVG, SVGConfig
from nextframe.metrics import psnr
from nextframe.settings import check_fields, from_options, setting
from nextframe.training.trainer import TrainingMethod

NAME = "svg_lp"
COLUMNS = ("heldout_kl", "heldout_psnr")


@dataclass(frozen=True)
class Settings:
    """SVG's own settings (`nextframe train --method svg_lp --z-dim ...`); the encoder's first width is --width."""

    # defaults: the network's (SVGConfig), one source
    z_dim: int = setting(SVGConfig.z_dim, "latent dimensions per frame (SVG on SM-MNIST: 10)", low=1, high=1024)
    g_dim: int = setting(SVGConfig.g_dim, "frame code dimensions", low=1, high=4096)
    rnn_size: int = setting(SVGConfig.rnn_size, "units of every LSTM cell", low=1, high=4096)
    predictor_layers: int = setting(SVGConfig.predictor_layers, "LSTM cells of the frame predictor", low=1, high=8)
    prior: str = setting(
        SVGConfig.prior, "learned: SVG-LP; fixed: SVG-FP (z from N(0, I))", choices=("learned", "fixed")
    )
    kl_beta: float = setting(
        0.0, "weight of the KL term; 0: SVG's 1e-4 at 64x64, scaled by 4096 / pixels (4e-4 at 32x32)", low=0
    )

    recon_loss: str = setting(
        "mse",
        "mse: SVG's Gaussian likelihood (its frames are the conditional mean, a grey haze where a digit may be); l1: a "
        "Laplace likelihood (the conditional median, a clean background; not in SVG's recipe)",
        choices=("mse", "l1"),
    )

    def __post_init__(self):
        check_fields(self)

    def beta(self, height: int, width: int) -> float:
        return self.kl_beta or 1e-4 * 4096 / (height * width)


def settings(options: dict) -> Settings:
    return from_options(Settings, options, NAME)


class SVGLoss:
    """Reconstruction error + beta KL over a window; the latents' noise is drawn from the batch's generator
    (reproducible resume)."""

    def __init__(self, beta: float, z_dim: int, norm: str = "mse"):
        self.beta, self.z_dim = beta, z_dim  # KL weight; latent size (for the noise)
        self.norm = norm  # "mse" (SVG) or "l1": the reconstruction error per frame

    def __call__(self, net, context, target, generator) -> torch.Tensor:
        recon, kl = self.terms(net, context, target, generator)
        return recon + self.beta * kl

    def terms(self, net, context, target, generator):
        frames = (context.shape[1] + target.shape[1]) // _channels(net)
        noise = torch.randn((len(context), frames - 1, self.z_dim), generator=generator).to(context.device)
        return net(context, target, noise, self.norm)


def _channels(net) -> int:
    return (net.module if hasattr(net, "module") else net).config.channels


def training_method(config, shape) -> TrainingMethod:
    """For a `TrainConfig` (tau past and --future frames per window) and frames of `shape` (channels, H, W)."""
    own = settings(config.options)
    channels, height, width = shape
    if height != width:
        raise NextframeError(f"SVG needs square frames, got {height}x{width}")
    net = SVGConfig(
        tau=config.tau,
        channels=channels,
        size=height,
        width=config.width,
        **{k: v for k, v in asdict(own).items() if k not in ("kl_beta", "recon_loss")},
    )
    loss = SVGLoss(own.beta(height, width), own.z_dim, own.recon_loss)

    def heldout(model, windows, indices, seed, device) -> dict:
        from nextframe.methods.svg_lp.predictor import SVGPredictor

        kls, psnrs = [], []
        for start in range(0, len(indices), 256):
            context, target = windows.batch(indices[start : start + 256])
            g = torch.Generator().manual_seed(seed)
            _, kl = loss.terms(model, context.to(device), target.to(device), g)
            kls.append(float(kl) * len(context))
            past = context.view(len(context), config.tau, channels, height, width)
            seeds = [seed + int(i) for i in indices[start : start + 256]]
            frames = SVGPredictor(model)._predict(past, config.future, seeds)[0]
            truth = target.view_as(frames)
            psnrs.append(psnr(frames, truth).mean(1).sum().item())  # per-frame PSNR, mean over the window's frames
        return {"heldout_kl": sum(kls) / len(indices), "heldout_psnr": sum(psnrs) / len(indices)}

    return TrainingMethod(NAME, lambda: SVG(net), loss, heldout, COLUMNS)
