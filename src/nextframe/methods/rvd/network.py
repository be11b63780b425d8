"""RVD (Yang, Srivastava, Mandt 2022): a deterministic next-frame predictor mu and a diffusion model of the residual
y = (x_t - mu) / sigma, conditioned on a recurrent context; all trained end to end through the denoising loss alone.

From `../shared/docs/peers.md`, at its CPU scale (width 16, multipliers (1, 2, 4) at 32x32):
- mu: a U-Net whose every down level carries a ConvGRU; it reads each frame as it comes and decodes the next from its
  hidden states;
- the context network: per level a residual block, a ConvGRU and a stride-2 conv; its hidden states are the context
  maps the denoiser is given;
- the denoiser: a U-Net of residual blocks modulated by the noise level, the context map of each level concatenated
  to its features, attention at the coarsest level (softmax attention over its 8x8 pixels where RVD has linear
  attention: at 64 pixels the two cost the same).
Frames are in [-1, 1]; sigma is 1 as in the public code, so the residual lies in [-2, 2].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

import torch
from torch import nn

from nextframe.errors import NextframeError
from nextframe.networks.diffusion_blocks import Attention, ResBlock, level_embedding, norm
from nextframe.settings import check_fields, check_frame_size, ints_of, setting


@dataclass(frozen=True)
class RVDConfig:
    """RVD's settings, one dataclass for its networks, its loss and its flags (`nextframe train --method rvd
    --multipliers 1,2,4 ...`); the derived fields are set by the run: the data's frames, --tau and --width."""

    tau: int = setting(2, "context frames read before the first prediction", low=1, derived=True)
    channels: int = setting(1, "frame channels", low=1, derived=True)
    size: int = setting(32, "frames are size x size", low=1, derived=True)
    width: int = setting(16, "channels of the first level, a multiple of 8 (group norm)", low=8, derived=True)
    multipliers: tuple[int, ...] = setting((1, 2, 4), "channel multipliers per level (peers.md's CPU scale)")
    diffusion_steps: int = setting(1600, "levels T of the cosine schedule (RVD: 1,600)", low=2, high=100_000)
    sample_steps: int = setting(
        100, "levels visited when sampling (RVD's code: all 1,600; fewer is a deviation, reported)", low=1
    )
    sigma: float = setting(1.0, "the residual's scale (RVD's code: 1)", positive=True)
    # the names of the settings in runs saved while every method's flags shared one namespace (`from_options`)
    RENAMED: ClassVar[dict] = {
        "rvd_multipliers": "multipliers",
        "rvd_diffusion_steps": "diffusion_steps",
        "rvd_sample_steps": "sample_steps",
        "rvd_loss": "noise_loss",
    }
    # read by the loss, not the networks
    noise_loss: str = setting(
        "l1",
        "error on the predicted noise: l1 (the public code) or l2 (the paper)",
        choices=("l1", "l2"),
        loss_only=True,
    )

    def __post_init__(self):
        object.__setattr__(self, "multipliers", ints_of(self.multipliers, "multipliers"))
        check_fields(self)
        if not self.multipliers or min(self.multipliers) < 1:
            raise NextframeError(f"--multipliers {self.multipliers}: one or more whole numbers of at least 1")
        if self.width % 8:
            raise NextframeError(f"--width {self.width}: group norm needs a multiple of 8")
        if not self.sample_steps <= self.diffusion_steps:
            raise NextframeError(
                f"--sample-steps {self.sample_steps}: must lie between 1 and --diffusion-steps {self.diffusion_steps}"
            )

    def check_levels(self) -> None:
        """The frames halve once per level after the first (checked by the network: the size is the data's)."""
        down = 2 ** (len(self.multipliers) - 1)
        if self.size % down or self.size < down:
            raise NextframeError(
                f"{self.size}x{self.size} frames do not halve {len(self.multipliers) - 1} times; give fewer --multipliers"
            )

    def check_size(self, height: int, width: int) -> None:
        check_frame_size("RVD", self.size, height, width)

    @property
    def level_widths(self) -> list[int]:
        return [self.width * m for m in self.multipliers]

    def to_dict(self) -> dict:
        return asdict(self)


class ConvGRU(nn.Module):
    def __init__(self, cin: int, ch: int):
        super().__init__()
        self.gates = nn.Conv2d(cin + ch, 2 * ch, 3, padding=1)
        self.candidate = nn.Conv2d(cin + ch, ch, 3, padding=1)

    def forward(self, x, h):
        update, reset = torch.sigmoid(self.gates(torch.cat([x, h], 1))).chunk(2, 1)
        new = torch.tanh(self.candidate(torch.cat([x, reset * h], 1)))
        return (1 - update) * h + update * new


class ContextNet(nn.Module):
    """Per level: a residual block, a ConvGRU (its hidden state is that level's context map), a stride-2 conv."""

    def __init__(self, cfg: RVDConfig):
        super().__init__()
        widths = cfg.level_widths
        self.stem = nn.Conv2d(cfg.channels, widths[0], 3, padding=1)
        self.blocks = nn.ModuleList(
            ResBlock(w_in, w, 4 * cfg.width, 0.0) for w_in, w in zip([widths[0], *widths[:-1]], widths)
        )
        self.grus = nn.ModuleList(ConvGRU(w, w) for w in widths)
        self.down = nn.ModuleList(nn.Conv2d(w, w, 3, stride=2, padding=1) for w in widths[:-1])

    def forward(self, frame, hidden: list[torch.Tensor]) -> list[torch.Tensor]:
        x, new = self.stem(frame), []
        for level, (block, gru) in enumerate(zip(self.blocks, self.grus)):
            x = block(x)
            new.append(gru(x, hidden[level]))
            x = new[-1]
            if level < len(self.down):
                x = self.down[level](x)
        return new


class MeanPredictor(nn.Module):
    """mu: a U-Net with a ConvGRU in each down level. `read(frame, hidden)` updates the GRUs with a frame;
    `predict(hidden)` decodes the next frame from them (skips from every level's hidden state)."""

    def __init__(self, cfg: RVDConfig):
        super().__init__()
        widths = cfg.level_widths
        self.stem = nn.Conv2d(cfg.channels, widths[0], 3, padding=1)
        self.encode = nn.ModuleList(
            nn.Sequential(nn.Conv2d(w_in, w, 3, padding=1), norm(w), nn.SiLU())
            for w_in, w in zip([widths[0], *widths[:-1]], widths)
        )
        self.grus = nn.ModuleList(ConvGRU(w, w) for w in widths)
        self.down = nn.ModuleList(nn.Conv2d(w, w, 3, stride=2, padding=1) for w in widths[:-1])
        self.decode = nn.ModuleList(
            nn.Sequential(nn.Conv2d(widths[k] + widths[k + 1], widths[k], 3, padding=1), norm(widths[k]), nn.SiLU())
            for k in range(len(widths) - 1)
        )
        self.out = nn.Conv2d(widths[0], cfg.channels, 3, padding=1)

    def read(self, frame, hidden: list[torch.Tensor]) -> list[torch.Tensor]:
        x, new = self.stem(frame), []
        for level, (enc, gru) in enumerate(zip(self.encode, self.grus)):
            new.append(gru(enc(x), hidden[level]))
            x = new[-1]
            if level < len(self.down):
                x = self.down[level](x)
        return new

    def predict(self, hidden: list[torch.Tensor]) -> torch.Tensor:
        x = hidden[-1]
        for k in range(len(hidden) - 2, -1, -1):
            x = nn.functional.interpolate(x, scale_factor=2, mode="nearest")
            x = self.decode[k](torch.cat([hidden[k], x], 1))
        return self.out(x)


class ResidualDenoiser(nn.Module):
    """(noisy residual (B, C, H, W), level t (B,), context maps per level) -> predicted noise."""

    def __init__(self, cfg: RVDConfig):
        super().__init__()
        widths, emb = cfg.level_widths, 4 * cfg.width
        self.width = cfg.width
        self.embed = nn.Sequential(nn.Linear(cfg.width, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.stem = nn.Conv2d(cfg.channels, widths[0], 3, padding=1)
        self.down = nn.ModuleList(
            ResBlock(w_prev + w, w, emb, 0.0) for w_prev, w in zip([widths[0], *widths[:-1]], widths)
        )  # each level's input is concatenated with its context map
        self.pool = nn.ModuleList(nn.Conv2d(w, w, 3, stride=2, padding=1) for w in widths[:-1])
        self.mid = nn.ModuleList([ResBlock(widths[-1], widths[-1], emb, 0.0), Attention(widths[-1])])
        self.up = nn.ModuleList(
            ResBlock(2 * widths[k] + (widths[k + 1] if k + 1 < len(widths) else 0), widths[k], emb, 0.0)
            for k in range(len(widths))
        )
        self.out = nn.Sequential(norm(widths[0]), nn.SiLU(), nn.Conv2d(widths[0], cfg.channels, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, noisy, t, context: list[torch.Tensor]) -> torch.Tensor:
        emb = self.embed(level_embedding(t, self.width))
        x, skips = self.stem(noisy), []
        for level, block in enumerate(self.down):
            x = block(torch.cat([x, context[level]], 1), emb)
            skips.append(x)
            if level < len(self.pool):
                x = self.pool[level](x)
        for layer in self.mid:
            x = layer(x, emb)
        for k in range(len(self.up) - 1, -1, -1):
            if k + 1 < len(self.up):  # below the coarsest level: up-sample and take the skip
                x = torch.cat([nn.functional.interpolate(x, scale_factor=2, mode="nearest"), skips[k]], 1)
            x = self.up[k](torch.cat([x, context[k]], 1), emb)
        return self.out(x)


class RVD(nn.Module):
    """The three networks. `forward` is the training pass over a window (teacher forced): it returns the denoising
    loss of the residuals of every frame after the first tau, the only loss, so mu learns through it."""

    def __init__(self, cfg: RVDConfig):
        super().__init__()
        self.config = cfg
        cfg.check_levels()
        self.mean, self.context, self.denoiser = MeanPredictor(cfg), ContextNet(cfg), ResidualDenoiser(cfg)

    def zero_state(self, batch: int, like: torch.Tensor) -> dict:
        cfg, state = self.config, {}
        for name in ("mean", "context"):
            state[name] = [
                like.new_zeros(batch, w, cfg.size // 2**k, cfg.size // 2**k) for k, w in enumerate(cfg.level_widths)
            ]
        return state

    def read(self, frame: torch.Tensor, state: dict) -> dict:
        """Both recurrent networks take one frame ([-1, 1])."""
        return {"mean": self.mean.read(frame, state["mean"]), "context": self.context(frame, state["context"])}

    def forward(self, frames: torch.Tensor, levels: torch.Tensor, noise: torch.Tensor, abar: torch.Tensor, l1: bool):
        """frames (B, T, C, H, W) in [-1, 1]; levels (B, T - tau) integers; noise like frames[:, tau:]."""
        cfg = self.config
        b, t = frames.shape[:2]
        state = self.zero_state(b, frames)
        total = frames.new_zeros(())
        for i in range(t):
            if i >= cfg.tau:
                mu = self.mean.predict(state["mean"])
                residual = (frames[:, i] - mu) / cfg.sigma
                a = abar.to(frames.device)[levels[:, i - cfg.tau]].to(frames.dtype).view(-1, 1, 1, 1)
                e = noise[:, i - cfg.tau]
                predicted = self.denoiser(
                    a.sqrt() * residual + (1 - a).sqrt() * e, levels[:, i - cfg.tau], state["context"]
                )
                error = predicted - e
                total = total + (error.abs() if l1 else error.square()).mean()
            state = self.read(frames[:, i], state)
        return total / max(t - cfg.tau, 1)
