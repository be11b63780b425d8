"""MCVD in the training loop: windows of tau past frames, a block of k = --future frames, and `future_frames` more
after it when the model also learns to interpolate. Each example's past is zeroed with probability `past_mask` (0 by
default, as MCVD's prediction config: a model that must also generate unconditionally learns to ignore the past) and
its future frames with probability `future_mask` (prediction rather than interpolation); the loss is the squared
error of the predicted noise at a uniformly drawn level."""

from __future__ import annotations

from dataclasses import replace

import torch

from nextframe.errors import NextframeError
from nextframe.methods.mcvd.network import MCVDConfig, NoiseUNet
from nextframe.metrics import psnr
from nextframe.sampling.diffusion import alpha_bars, q_sample
from nextframe.settings import from_options
from nextframe.training.trainer import TrainingMethod

NAME = "mcvd"
COLUMNS = ("heldout_psnr",)


Settings = MCVDConfig  # one dataclass: the network's config, the loss's masks and the flags


def settings(options: dict) -> Settings:
    return from_options(Settings, options, NAME)


def masks(batch: int, past_mask: float, future_mask: float, generator: torch.Generator):
    """Per example: keep the past (1) or zero it (0), keep the future frames or zero them. The three tasks: past kept
    and future zeroed is prediction, both zeroed is unconditional generation, both kept is interpolation."""
    keep_past = (torch.rand(batch, generator=generator) >= past_mask).float()
    keep_future = (torch.rand(batch, generator=generator) >= future_mask).float()
    return keep_past, keep_future


class MCVDLoss:
    def __init__(self, cfg: MCVDConfig, past_mask: float, future_mask: float):
        self.cfg = cfg
        self.abar = alpha_bars("linear", cfg.diffusion_steps, cfg.beta_start, cfg.beta_end)
        self.past_mask, self.future_mask = past_mask, future_mask  # probabilities of zeroing, per example

    def __call__(self, net, context, target, generator) -> torch.Tensor:
        cfg, b = self.cfg, len(context)
        k = cfg.block * cfg.channels
        block, after = target[:, :k] * 2 - 1, target[:, k:] * 2 - 1  # frames in [-1, 1]
        keep_past, keep_future = masks(b, self.past_mask, self.future_mask, generator)
        past = (context * 2 - 1) * keep_past.view(-1, 1, 1, 1).to(context.device)
        after = after * keep_future.view(-1, 1, 1, 1).to(context.device)
        t = torch.randint(0, cfg.diffusion_steps, (b,), generator=generator).to(context.device)
        noise = torch.randn(block.shape, generator=generator).to(context.device)
        noisy = q_sample(block, t, self.abar, noise)
        return (net(noisy, t, torch.cat([past, after], 1)) - noise).square().mean()


def training_method(config, shape) -> TrainingMethod:
    own = settings(config.options)
    channels, height, width = shape
    if height != width:
        raise NextframeError(f"MCVD here takes square frames, got {height}x{width}")
    if config.future <= own.future_frames:
        raise NextframeError(
            f"--future {config.future} must exceed --future-frames {own.future_frames}: a window holds the block "
            "and the frames after it"
        )
    net = replace(
        own, tau=config.tau, block=config.future - own.future_frames, channels=channels, size=height, width=config.width
    )
    if config.tau < 1:
        raise NextframeError("MCVD predicts from past frames: --tau 1 or more")
    loss = MCVDLoss(net, own.past_mask, own.future_mask)

    def heldout(model, windows, indices, seed, device) -> dict:
        """PSNR of one prediction (past kept, no future frames) per held-out window, with 10 DDIM steps: a cheap
        signal that sampling works, not the benchmark's number."""
        from nextframe.methods.mcvd.predictor import MCVDPredictor

        chosen = indices[:64]
        context, target = windows.batch(chosen)
        past = context.view(len(chosen), config.tau, channels, height, width)
        predictor = MCVDPredictor(model, sampler="ddim", sample_steps=10)
        frames = predictor._predict(past, net.block, [seed + int(i) for i in chosen])[0]
        truth = target[:, : net.block * channels].reshape(frames.shape)
        return {"heldout_psnr": psnr(frames, truth).mean().item()}

    return TrainingMethod(NAME, lambda: NoiseUNet(net), loss, heldout, COLUMNS)
