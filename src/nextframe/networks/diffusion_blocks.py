"""Blocks shared by the noise-predicting networks (MCVD, RVD): the noise level's sinusoidal embedding, residual blocks
modulated by it, self-attention. Unlike the bias-free U-Net (`unet.py`), these have biases and group norm: they are
the peers' blocks."""

from __future__ import annotations

import math

import torch
from torch import nn


def level_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of the integer noise level (Transformer / DDPM)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], 1)


def norm(ch: int) -> nn.GroupNorm:
    """Group norm with up to 32 groups of at least 4 channels; where that count does not divide the channels (a
    width of 24 or 40 meets 144 or 120 channels in the up path), the largest count below it that does."""
    groups = max(min(32, ch // 4), 1)
    while ch % groups:
        groups -= 1
    return nn.GroupNorm(groups, ch)


class ResBlock(nn.Module):
    """Two 3x3 convs, the second norm scaled and shifted by the noise level's embedding, swish, dropout; the output
    (skip + residual) / sqrt(2) (NCSN++/DDPM). `emb` None: no modulation (a block outside the denoiser)."""

    def __init__(self, cin: int, cout: int, emb: int, dropout: float):
        super().__init__()
        self.norm1, self.conv1 = norm(cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2, self.conv2 = norm(cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.modulation = nn.Linear(emb, 2 * cout)  # scale and shift of the second norm, from the level
        self.drop = nn.Dropout(dropout)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()
        nn.init.zeros_(self.conv2.weight)  # each block starts as the identity on its skip
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x, emb=None):
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        h = self.norm2(h)
        if emb is not None:
            scale, shift = self.modulation(emb)[:, :, None, None].chunk(2, 1)
            h = h * (1 + scale) + shift
        h = self.conv2(self.drop(nn.functional.silu(h)))
        return (self.skip(x) + h) / math.sqrt(2)


class Attention(nn.Module):
    """Single-head self-attention over the pixels, residual, scaled by 1/sqrt(2)."""

    def __init__(self, ch: int):
        super().__init__()
        self.norm, self.qkv, self.out = norm(ch), nn.Conv2d(ch, 3 * ch, 1), nn.Conv2d(ch, ch, 1)

    def forward(self, x, emb=None):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).flatten(2).chunk(3, 1)  # (b, c, hw) each
        y = nn.functional.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        return (x + self.out(y.transpose(1, 2).reshape(b, c, h, w))) / math.sqrt(2)
