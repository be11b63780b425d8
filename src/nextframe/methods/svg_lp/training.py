"""SVG in the training loop: teacher-forced over windows of tau past and `future` next frames, loss = the summed
per-frame MSE (or, with --recon-loss l1, mean absolute error) + beta x the summed KL(posterior || prior), held-out
PSNR of one sample from the prior."""

from __future__ import annotations

from dataclasses import replace

import torch

from nextframe.errors import NextframeError
from nextframe.methods.svg_lp.network import SVG, SVGConfig
from nextframe.metrics import psnr
from nextframe.settings import from_options
from nextframe.training.trainer import TrainingMethod

NAME = "svg_lp"
COLUMNS = ("heldout_kl", "heldout_psnr")


Settings = SVGConfig  # one dataclass: the network's config, the loss's settings and the flags


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
    net = replace(own, tau=config.tau, channels=channels, size=height, width=config.width)
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
