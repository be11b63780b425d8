"""RVD in the training loop: windows of tau frames that only warm the recurrent networks and --future frames whose
residuals are denoised (RVD: 2 + 6), teacher forced; the denoising loss at a uniformly drawn level of the cosine
schedule is the only loss (L1 as in the public code; L2 as in the paper with --noise-loss l2)."""

from __future__ import annotations

from dataclasses import replace

import torch

from nextframe.errors import NextframeError
from nextframe.methods.rvd.network import RVD, RVDConfig
from nextframe.metrics import psnr
from nextframe.sampling.diffusion import alpha_bars
from nextframe.settings import from_options
from nextframe.training.trainer import TrainingMethod

NAME = "rvd"
COLUMNS = ("heldout_mean_psnr", "heldout_psnr")


Settings = RVDConfig  # one dataclass: the networks' config, the loss's setting and the flags
RENAMED = {
    "rvd_multipliers": "multipliers",
    "rvd_diffusion_steps": "diffusion_steps",
    "rvd_sample_steps": "sample_steps",
}
RENAMED["rvd_loss"] = "noise_loss"  # the names of runs saved while every method's flags shared one namespace


def settings(options: dict) -> Settings:
    return from_options(Settings, {RENAMED.get(k, k): v for k, v in options.items()}, NAME)


class RVDLoss:
    def __init__(self, cfg: RVDConfig, l1: bool):
        self.cfg, self.l1 = cfg, l1  # network settings; L1 (public code) or L2 (paper) on the noise
        self.abar = alpha_bars("cosine", cfg.diffusion_steps)

    def __call__(self, net, context, target, generator) -> torch.Tensor:
        cfg, b = self.cfg, len(context)
        frames = torch.cat([context, target], 1).view(b, -1, cfg.channels, cfg.size, cfg.size) * 2 - 1
        predicted = frames.shape[1] - cfg.tau
        levels = torch.randint(0, cfg.diffusion_steps, (b, predicted), generator=generator).to(context.device)
        noise = torch.randn((b, predicted, *frames.shape[2:]), generator=generator).to(context.device)
        return net(frames, levels, noise, self.abar, self.l1)


def training_method(config, shape) -> TrainingMethod:
    own = settings(config.options)
    channels, height, width = shape
    if height != width:
        raise NextframeError(f"RVD here takes square frames, got {height}x{width}")
    if config.tau < 1:
        raise NextframeError("RVD warms its recurrent networks on past frames: --tau 1 or more")
    net = replace(own, tau=config.tau, channels=channels, size=height, width=config.width)
    loss = RVDLoss(net, own.noise_loss == "l1")

    def heldout(model, windows, indices, seed, device) -> dict:
        """PSNR of mu alone and of one sample (20 DDIM levels, cheap) on the first future frame of 64 windows."""
        from nextframe.methods.rvd.predictor import RVDPredictor

        chosen = indices[:64]
        context, target = windows.batch(chosen)
        past = context.view(len(chosen), config.tau, channels, height, width)
        truth = target[:, :channels].reshape(len(chosen), 1, channels, height, width)
        predictor = RVDPredictor(model, sample_steps=20, sampler="ddim")
        state = predictor.start(past, [seed + int(i) for i in chosen])
        mean = ((model.mean.predict(state["rnn"]["mean"]) + 1) / 2).clamp(0, 1).cpu()
        frame = predictor.step(state, 0, [seed + int(i) for i in chosen])[0]
        return {
            "heldout_mean_psnr": psnr(mean[:, None], truth).mean().item(),
            "heldout_psnr": psnr(frame[:, None], truth).mean().item(),
        }

    return TrainingMethod(NAME, lambda: RVD(net), loss, heldout, COLUMNS)
