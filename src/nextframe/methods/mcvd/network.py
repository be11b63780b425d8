"""MCVD's network (Voleti et al. 2022, the concat variant): a U-Net that predicts the noise of the current block of k
frames from the noisy block concatenated with the (possibly masked) past frames and, for interpolation, future frames.

At the CPU scale of `../shared/docs/peers.md`: width 32, channel multipliers (1, 2, 2) at 32x32, one residual block
per level, attention at 8x8 only. Residual blocks as in NCSN++/DDPM: group norm whose scale and shift come from the
noise level's embedding, swish, dropout 0.1, outputs scaled by 1/sqrt(2). Frames enter and leave in [-1, 1].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from nextframe.errors import NextframeError
from nextframe.networks.diffusion_blocks import Attention, ResBlock, level_embedding, norm
from nextframe.settings import check_fields, check_frame_size, ints_of, setting


@dataclass(frozen=True)
class MCVDConfig:
    """MCVD's settings, one dataclass for its network, its loss and its flags (`nextframe train --method mcvd
    --sample-steps 100 ...`); the derived fields are set by the run: the data's frames, --tau, --future (the block is
    --future less --future-frames) and --width."""

    tau: int = setting(2, "past frames (p)", low=0, derived=True)
    block: int = setting(1, "frames generated together (k)", low=1, derived=True)
    future_frames: int = setting(0, "frames after the block given as condition (interpolation); 0: none", low=0)
    channels: int = setting(1, "frame channels", low=1, derived=True)
    size: int = setting(32, "frames are size x size", low=1, derived=True)
    width: int = setting(32, "channels of the first level, a multiple of 8 (group norm)", low=8, derived=True)
    multipliers: tuple[int, ...] = setting((1, 2, 2), "channel multipliers per level (peers.md's CPU scale)")
    res_blocks: int = setting(1, "residual blocks per level", low=1, high=4)
    attention: tuple[int, ...] = setting((8,), "resolutions with self-attention (empty: none)")
    dropout: float = setting(0.1, "dropout in the residual blocks", low=0, high=0.9)
    diffusion_steps: int = setting(1000, "noise levels T of the linear schedule (MCVD: 1,000)", low=2, high=100_000)
    beta_start: float = setting(1e-4, "the linear schedule's first beta (MCVD: 1e-4)", positive=True, high=0.5)
    beta_end: float = setting(0.02, "its last beta (MCVD: 0.02)", positive=True, high=0.5)
    sampler: str = setting("ddpm", "ddpm or ddim (eta 0)", choices=("ddpm", "ddim"))
    sample_steps: int = setting(100, "levels visited when sampling (MCVD: DDPM over 100)", low=1)
    # read by the loss, not the network
    past_mask: float = setting(
        0.0,
        "probability of zeroing an example's past, which trains unconditional generation in the same model (MCVD's "
        "pmask50 generation variants: 0.5); 0: prediction, as MCVD's SM-MNIST prediction config",
        low=0,
        high=1,
        loss_only=True,
    )
    future_mask: float = setting(
        0.5,
        "probability of zeroing an example's future frames (trains prediction)",
        low=0,
        high=1,
        loss_only=True,
    )

    def __post_init__(self):
        for name in ("multipliers", "attention"):  # a flag's words, a JSON list or text saved before tuples
            object.__setattr__(self, name, ints_of(getattr(self, name), name))
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
        check_frame_size("MCVD", self.size, height, width)

    def to_dict(self) -> dict:
        return asdict(self)


class NoiseUNet(nn.Module):
    """(noisy block (B, k*C, H, W), level t (B,), condition (B, (p + f)*C, H, W)) -> predicted noise (B, k*C, H, W)."""

    def __init__(self, cfg: MCVDConfig):
        super().__init__()
        self.config = cfg
        cfg.check_levels()
        ch, emb = cfg.width, 4 * cfg.width
        cin = (cfg.tau + cfg.block + cfg.future_frames) * cfg.channels
        self.embed = nn.Sequential(nn.Linear(ch, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.conv_in = nn.Conv2d(cin, ch, 3, padding=1)
        self.down, skips, size, now = nn.ModuleList(), [ch], cfg.size, ch
        for level, m in enumerate(cfg.multipliers):
            for _ in range(cfg.res_blocks):
                self.down.append(ResBlock(now, ch * m, emb, cfg.dropout))
                now = ch * m
                if size in cfg.attention:
                    self.down.append(Attention(now))
                skips.append(now)
            if level + 1 < len(cfg.multipliers):
                self.down.append(nn.Conv2d(now, now, 3, stride=2, padding=1))
                skips.append(now)
                size //= 2
        self.mid = nn.ModuleList(
            [ResBlock(now, now, emb, cfg.dropout), Attention(now), ResBlock(now, now, emb, cfg.dropout)]
        )
        self.up = nn.ModuleList()
        for level, m in reversed(list(enumerate(cfg.multipliers))):
            for _ in range(cfg.res_blocks + 1):
                self.up.append(ResBlock(now + skips.pop(), ch * m, emb, cfg.dropout))
                now = ch * m
                if size in cfg.attention:
                    self.up.append(Attention(now))
            if level > 0:
                self.up.append(nn.Upsample(scale_factor=2, mode="nearest"))
                self.up.append(nn.Conv2d(now, now, 3, padding=1))
                size *= 2
        self.out = nn.Sequential(norm(now), nn.SiLU(), nn.Conv2d(now, cfg.block * cfg.channels, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, noisy: torch.Tensor, t: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        emb = self.embed(level_embedding(t, self.config.width))
        h = self.conv_in(torch.cat([condition, noisy], 1))
        hs = [h]
        for layer in self.down:
            h = layer(h, emb) if isinstance(layer, (ResBlock, Attention)) else layer(h)
            if not isinstance(layer, Attention):
                hs.append(h)
            else:
                hs[-1] = h
        for layer in self.mid:
            h = layer(h, emb)
        for layer in self.up:
            if isinstance(layer, ResBlock):
                h = layer(torch.cat([h, hs.pop()], 1), emb)
            elif isinstance(layer, Attention):
                h = layer(h)
            else:
                h = layer(h)
        return self.out(h)
