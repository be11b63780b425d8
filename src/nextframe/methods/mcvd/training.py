"""MCVD in the training loop: windows of tau past frames, a block of k = --future frames, and `future_frames` more
after it when the model also learns to interpolate. Each example's past is zeroed with probability `past_mask` (0 by
default, as MCVD's prediction config: a model that must also generate unconditionally learns to ignore the past) and
its future frames with probability `future_mask` (prediction rather than interpolation); the loss is the squared
error of the predicted noise at a uniformly drawn level."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nextframe.errors import NextframeError
from nextframe.methods.mcvd.network import MCVDConfig, NoiseUNet
from nextframe.metrics import psnr
from nextframe.sampling.diffusion import alpha_bars, q_sample
from nextframe.settings import check_fields, from_options, ints_text, setting, text_ints
from nextframe.training.trainer import TrainingMethod

NAME = "mcvd"
COLUMNS = ("heldout_psnr",)


@dataclass(frozen=True)
class Settings:
    """MCVD's own settings (`nextframe train --method mcvd ...`); the block is --future frames, the width --width."""

    # defaults: the network's (MCVDConfig), one source
    multipliers: str = setting(
        ints_text(MCVDConfig.multipliers), "channel multipliers per level, comma-separated (peers.md's CPU scale)"
    )
    res_blocks: int = setting(MCVDConfig.res_blocks, "residual blocks per level", low=1, high=4)
    attention: str = setting(
        ints_text(MCVDConfig.attention), "resolutions with self-attention, comma-separated (empty: none)"
    )
    dropout: float = setting(MCVDConfig.dropout, "dropout in the residual blocks", low=0, high=0.9)
    diffusion_steps: int = setting(
        MCVDConfig.diffusion_steps, "noise levels T of the linear schedule (MCVD: 1,000)", low=2, high=100_000
    )
    sampler: str = setting(MCVDConfig.sampler, "ddpm or ddim (eta 0)", choices=("ddpm", "ddim"))
    sample_steps: int = setting(MCVDConfig.sample_steps, "levels visited when sampling (MCVD: DDPM over 100)", low=1)
    past_mask: float = setting(
        0.0,
        "probability of zeroing an example's past, which trains unconditional generation in the same model (MCVD's "
        "pmask50 generation variants: 0.5); 0: prediction, as MCVD's SM-MNIST prediction config",
        low=0,
    )
    future_frames: int = setting(
        MCVDConfig.future_frames, "frames after the block given as condition (interpolation); 0: none", low=0
    )
    future_mask: float = setting(0.5, "probability of zeroing an example's future frames (trains prediction)", low=0)

    def __post_init__(self):
        check_fields(self)
        for name in ("past_mask", "future_mask"):
            if getattr(self, name) > 1:
                raise NextframeError(f"--{name.replace('_', '-')} {getattr(self, name)}: a probability, at most 1")


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
    net = MCVDConfig(
        tau=config.tau,
        block=config.future - own.future_frames,
        future_frames=own.future_frames,
        channels=channels,
        size=height,
        width=config.width,
        multipliers=text_ints(own.multipliers, "multipliers"),
        res_blocks=own.res_blocks,
        attention=text_ints(own.attention, "attention"),
        dropout=own.dropout,
        diffusion_steps=own.diffusion_steps,
        sampler=own.sampler,
        sample_steps=own.sample_steps,
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
