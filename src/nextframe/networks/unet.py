"""The bias-free conditional U-Net of App. C: past frames and a noisy frame in, an estimate of the clean frame out.

Nothing in the network adds a constant (convolutions without bias, batch norm that only rescales, average pooling,
transposed convolutions without bias), so in evaluation mode it is positively homogeneous of order 1:
net(a*y, a*c) = a*net(y, c) for a > 0. That is what lets one network denoise at every noise level (Mohan et al. 2020)
and makes it a locally linear, analysable map.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
from torch import nn

from nextframe.errors import NextframeError


@dataclass(frozen=True)
class UNetConfig:
    tau: int = 2  # past frames the network sees (0: a plain single-image denoiser)
    channels: int = 1  # channels per frame (1: grayscale, 3: colour)
    width: int = 64  # channels at the first scale, doubled at each coarser scale (App. C)
    scales: int = 3  # spatial scales; frames must be divisible by 2**(scales-1)
    noisy_input: bool = True  # False: the prediction-only variant, which sees the past frames alone
    # "clean": the last convolution is the clean estimate (the paper, App. C); "residual": it is the denoising residual
    # f, and the estimate is the noisy input plus f (DnCNN's form, still bias-free): at low noise the identity is f = 0
    # instead of a map the convolutions must learn to copy (docs/design.md)
    output: str = "clean"
    # a scale-free gate after every block (`ScaleFreeGate`): lets the network pick one input's value by another's
    # geometry ("the larger disk's luminance"), which a bias-free ReLU network can only approximate piecewise, while
    # it stays homogeneous of order 1 (docs/design.md); off is App. C's network
    gates: bool = False

    def __post_init__(self):
        if self.tau < 0 or self.channels < 1 or self.width < 1 or self.scales < 1:
            raise NextframeError(f"invalid network settings {self}; tau >= 0, channels, width and scales >= 1")
        if not self.noisy_input and self.tau == 0:
            raise NextframeError("a prediction-only network needs tau >= 1 past frames")
        if self.output not in ("clean", "residual"):
            raise NextframeError(f"output must be 'clean' or 'residual', got {self.output!r}")
        if self.output == "residual" and not self.noisy_input:
            raise NextframeError(
                "a residual output needs a noisy input to add it to; the prediction-only network has none"
            )

    def check_size(self, height: int, width: int) -> None:
        """Refuse frames the U-Net cannot take: each scale halves them, so they must divide by 2**(scales-1)."""
        multiple = 2 ** (self.scales - 1)
        if height % multiple or width % multiple:
            raise NextframeError(
                f"frames of {height}x{width} pixels do not fit a {self.scales}-scale U-Net; crop or pad them to multiples of {multiple}"
            )

    @property
    def in_channels(self) -> int:
        return self.channels * (self.tau + int(self.noisy_input))

    def to_dict(self) -> dict:
        return asdict(self)


class BiasFreeBatchNorm(nn.Module):
    """Batch norm that only divides by the channel's standard deviation and multiplies by a learned gain.

    No mean subtraction and no additive term: training divides by sqrt(var over (batch, H, W) + eps) and updates a
    running standard deviation; evaluation divides by the running standard deviation. A frozen one divides by the
    running standard deviation in training too and leaves it as it is (`freeze_norm`).
    """

    def __init__(self, channels: int, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.frozen = False
        self.gain = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.register_buffer("running_std", torch.ones(1, channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and not self.frozen:
            std = torch.sqrt(x.var(dim=(0, 2, 3), keepdim=True, unbiased=False) + self.eps)
            with torch.no_grad():
                self.running_std.lerp_(std, self.momentum)
        else:
            std = self.running_std
        return x * (self.gain / std)


def freeze_norm(model: nn.Module) -> nn.Module:
    """Make every batch norm of `model` divide by its running statistics in training as well (bias-free: the
    running standard deviation; PyTorch's: its running mean and variance).

    Why: in training a batch norm divides each example by its batch's statistics, so one very noisy example in a
    batch rescales the features of all the others; fine-tuning on a wider noise range with frozen statistics keeps
    the low-noise examples' scale what it will be in evaluation (docs/design.md, the noise-tail trials).
    """
    for module in model.modules():
        if isinstance(module, BiasFreeBatchNorm):
            module.frozen = True
        elif isinstance(module, nn.modules.batchnorm._BatchNorm) and not getattr(module, "frozen", False):
            # PyTorch's norms (SVG's): in eval mode for every forward pass, so they normalise by (and keep) their
            # running statistics whatever `model.train()` set; their scales and shifts still learn
            module.frozen = True
            module.register_forward_pre_hook(lambda m, _: setattr(m, "training", False))
    return model


@torch.no_grad()
def recalibrate_norms(model: nn.Module, run_batch: Callable[[int], object], batches: int) -> int:
    """Set the running statistics of every batch norm in `model` (bias-free or PyTorch's) to their mean over
    `batches` training-mode passes, `run_batch(k)` running the k-th; returns how many norms were set.

    Why: a running average with momentum 0.1 remembers about the last ten batches, so weights that barely move
    (the end of a cosine schedule) still ship statistics that follow each batch's mix of clips: 2% in the running
    stds swung a Leaves floor's rollout CRPS from 0.046 to 0.056 (docs/notebook.md, 2026-12-07). The mean over many
    batches estimates the same quantity (the mean batch statistic training divided by) with a fraction of the
    noise. Frozen bias-free norms (`freeze_norm`) keep theirs: they divide by them in training too.
    """
    ours = [m for m in model.modules() if isinstance(m, BiasFreeBatchNorm) and not m.frozen]
    torchs = [
        m
        for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats and not getattr(m, "frozen", False)
    ]
    if not (ours or torchs) or batches <= 0:
        return 0
    momenta = [m.momentum for m in ours + torchs]
    was_training = model.training
    model.train()
    for m in torchs:
        m.reset_running_stats()
        m.momentum = None  # PyTorch's cumulative average
    try:
        for k in range(batches):
            for m in ours:
                m.momentum = 1.0 / (k + 1)  # the k-th batch's share of a plain mean
            run_batch(k)
    finally:
        for m, momentum in zip(ours + torchs, momenta):
            m.momentum = momentum
        model.train(was_training)
    return len(ours) + len(torchs)


class ScaleFreeGate(nn.Module):
    """x * 2 sigmoid(W x / rms(x)), W a 1x1 convolution, rms over each example's features: a multiplicative gate
    whose argument does not change when the input is scaled, so the block stays homogeneous of order 1 (up to the
    eps that keeps an all-zero input finite). W starts at zero, where the gate is exactly the identity, so weights
    trained without gates load into a gated network unchanged (`UNetConfig.gates`)."""

    def __init__(self, channels: int, eps: float = 1e-30):
        super().__init__()
        self.eps = eps
        self.mix = nn.Conv2d(channels, channels, 1, bias=False)

    def reset(self) -> None:
        nn.init.zeros_(self.mix.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = (x.square().mean(dim=(1, 2, 3), keepdim=True) + self.eps).sqrt()
        return x * (2 * torch.sigmoid(self.mix(x) / scale))


def conv_block(c_in: int, c_out: int, gate: bool = False) -> nn.Sequential:
    """Two (3x3 convolution, bias-free batch norm, ReLU) stages: one block of the U-Net; `gate`: a `ScaleFreeGate`
    after them."""
    layers = []
    for a, b in ((c_in, c_out), (c_out, c_out)):
        layers += [nn.Conv2d(a, b, 3, padding=1, bias=False), BiasFreeBatchNorm(b), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers, *([ScaleFreeGate(c_out)] if gate else []))


class ConditionalUNet(nn.Module):
    """forward(noisy (B, C, H, W), context (B, tau*C, H, W)) -> clean estimate (B, C, H, W) (with config.output
    "residual", the noisy input plus the last convolution).

    The prediction-only variant (config.noisy_input False) ignores `noisy`, so both fit the sampler's contract.
    """

    def __init__(self, config: UNetConfig = UNetConfig()):
        super().__init__()
        self.config = config
        widths = [config.width * 2**s for s in range(config.scales)]
        self.down = nn.ModuleList()
        c_in = config.in_channels
        for w in widths:
            self.down.append(conv_block(c_in, w, config.gates))
            c_in = w
        self.pool = nn.AvgPool2d(2)
        self.upsample = nn.ModuleList(
            nn.ConvTranspose2d(w, w // 2, 2, stride=2, bias=False) for w in reversed(widths[1:])
        )
        self.up = nn.ModuleList(
            conv_block(w, w // 2, config.gates) for w in reversed(widths[1:])
        )  # input: upsampled + skip
        self.out = nn.Conv2d(widths[0], config.channels, 3, padding=1, bias=False)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        for m in self.modules():
            if isinstance(m, ScaleFreeGate):
                m.reset()

    def check_inputs(self, noisy: torch.Tensor | None, context: torch.Tensor) -> None:
        cfg = self.config
        ref = noisy if cfg.noisy_input else context
        if ref is None or ref.ndim != 4:
            raise NextframeError(
                f"expected frames of shape (batch, channels, H, W), got {None if ref is None else tuple(ref.shape)}"
            )
        cfg.check_size(*ref.shape[-2:])
        expected = cfg.tau * cfg.channels
        if context.shape[1] != expected:
            raise NextframeError(
                f"context has {context.shape[1] // max(cfg.channels, 1)} frames of {cfg.channels} channel(s) "
                f"({context.shape[1]} channels) but this model has tau={cfg.tau}; pass exactly {cfg.tau} past frames"
            )
        if cfg.noisy_input and noisy.shape[1] != cfg.channels:
            raise NextframeError(f"noisy frame has {noisy.shape[1]} channels but the model takes {cfg.channels}")
        if cfg.tau and (context.shape[0] != ref.shape[0] or context.shape[-2:] != ref.shape[-2:]):
            raise NextframeError(
                f"context {tuple(context.shape)} and noisy frame {tuple(ref.shape)} differ in batch or size"
            )

    def forward(self, noisy: torch.Tensor | None, context: torch.Tensor) -> torch.Tensor:
        self.check_inputs(noisy, context)
        x = torch.cat([context, noisy], dim=1) if self.config.noisy_input else context
        skips = []
        for s, block in enumerate(self.down):
            if s:
                x = self.pool(x)
            x = block(x)
            skips.append(x)
        skips.pop()
        for upsample, block in zip(self.upsample, self.up):
            x = block(torch.cat([upsample(x), skips.pop()], dim=1))
        return noisy + self.out(x) if self.config.output == "residual" else self.out(x)


@torch.no_grad()
def widen(model: ConditionalUNet, width: int, noise: float = 0.0, seed: int = 0) -> ConditionalUNet:
    """The same function in a network of a larger `width` (Net2WiderNet, Chen et al. 2016): each new channel of a
    scale copies a random existing channel of that scale (its convolution rows, batch-norm gain and running std), and
    every layer that reads a copied channel divides its weights for it by the number of copies, so the output is
    unchanged (exactly, in training and evaluation mode; ReLU and average pooling act per channel). Then `noise` x the
    tensor's standard deviation is added to the new channels' incoming weights: copies that stayed identical would get
    identical gradients and never become new features.

    Why: the 32x32 Moving Leaves recipe flattened at width 32 on seen and held-out windows alike (underfitting), and a
    wider network trained from scratch would throw away 12 CPU-hours of learning (issue 29)."""
    old = model.config
    if old.gates:
        raise NextframeError(
            "widening keeps the function of gate-free networks only (a gate's rms reads every channel)"
        )
    if width < old.width:
        raise NextframeError(f"--width {width} is narrower than the network's {old.width}; widen only")
    wide = ConditionalUNet(UNetConfig(**{**old.to_dict(), "width": width}))
    g = torch.Generator().manual_seed(seed)
    maps = []  # per scale: new channel -> the old channel it copies
    for s in range(old.scales):
        have, want = old.width * 2**s, width * 2**s
        maps.append(torch.cat([torch.arange(have), torch.randint(0, have, (want - have,), generator=g)]))
    copies = [torch.bincount(m, minlength=old.width * 2**s).double() for s, m in enumerate(maps)]  # per old channel
    identity = torch.arange(old.in_channels)

    def read(weight, dim, mapping, counts=None):
        """`weight` with its `dim` re-indexed by `mapping`; a reading dimension (counts given) divided by the copies."""
        out = weight.double().index_select(dim, mapping)
        if counts is not None:
            shape = [1] * out.ndim
            shape[dim] = -1
            out = out / counts[mapping].reshape(shape)
        return out

    def conv(src, dst, rows, cols, col_counts, transposed=False, fresh=0):
        """Copy a (transposed) convolution: `rows` map its output channels, `cols` its input channels."""
        out_dim, in_dim = (1, 0) if transposed else (0, 1)
        w = read(read(src.weight, out_dim, rows), in_dim, cols, col_counts)
        if noise and fresh:
            new = w.narrow(out_dim, w.shape[out_dim] - fresh, fresh)
            new += noise * src.weight.double().std() * torch.randn(new.shape, generator=g, dtype=torch.float64)
        dst.weight.copy_(w)

    def norm(src, dst, rows):
        dst.gain.copy_(read(src.gain, 1, rows))
        dst.running_std.copy_(read(src.running_std, 1, rows))

    def block(src, dst, cols, col_counts, s):
        """conv_block writing scale s: (conv, norm, relu) twice; the second conv reads the first's copied channels."""
        conv(src[0], dst[0], maps[s], cols, col_counts, fresh=fresh[s])
        norm(src[1], dst[1], maps[s])
        conv(src[3], dst[3], maps[s], maps[s], copies[s], fresh=fresh[s])
        norm(src[4], dst[4], maps[s])

    fresh = [len(m) - len(c) for m, c in zip(maps, copies)]  # new channels per scale
    for s in range(old.scales):
        cols, counts = (identity, None) if s == 0 else (maps[s - 1], copies[s - 1])
        block(model.down[s], wide.down[s], cols, counts, s)
    for i in range(old.scales - 1):
        t = old.scales - 1 - i  # the coarser scale this stage reads
        conv(model.upsample[i], wide.upsample[i], maps[t - 1], maps[t], copies[t], transposed=True, fresh=fresh[t - 1])
        half = len(copies[t - 1])  # old channels upsampled, then the skip's
        cols = torch.cat([maps[t - 1], maps[t - 1] + half])
        counts = torch.cat([copies[t - 1], copies[t - 1]])
        block(model.up[i], wide.up[i], cols, counts, t - 1)
    conv(model.out, wide.out, torch.arange(old.channels), maps[0], copies[0])
    return wide.train(model.training)


@torch.no_grad()
def deepen(model: ConditionalUNet, seed: int = 0) -> ConditionalUNet:
    """The same function in a network with one more, coarser scale (Net2DeeperNet's idea for a U-Net): the old
    scales keep their weights; the new bottom block (pooled, twice the channels) and its transposed convolution start
    from the usual random init, and the new up block that merges them with the old bottom block's output starts as
    the identity on that output and zero on the new path. So the output is unchanged (exactly, in evaluation mode and
    with frozen norms; a training-mode norm divides by batch statistics), and the zero weights get a gradient at once,
    since the new path's features are not zero.

    Why: on 32x32 Moving Leaves the lens recipe's plateau held under width 48 and 64, batch 128 and two learning rates
    (issue 29); the comparison it must make (which disk is larger) spans the canvas, and a fourth scale sees it whole
    at 4x4. Training from scratch would throw away 12 CPU-hours."""
    old = model.config
    if old.gates:
        raise NextframeError("deepening keeps the function of gate-free networks only (a gate rescales its input)")
    with torch.random.fork_rng(devices=[]):  # the new block's random init, without touching the caller's generator
        torch.manual_seed(seed)
        deep = ConditionalUNet(UNetConfig(**{**old.to_dict(), "scales": old.scales + 1}))
    for s in range(old.scales):
        deep.down[s].load_state_dict(model.down[s].state_dict())
    for i in range(old.scales - 1):  # the old up path, now one stage further from the bottom
        deep.upsample[i + 1].load_state_dict(model.upsample[i].state_dict())
        deep.up[i + 1].load_state_dict(model.up[i].state_dict())
    deep.out.load_state_dict(model.out.state_dict())
    merge, c = deep.up[0], old.width * 2 ** (old.scales - 1)  # input: (upsampled new bottom, old bottom output)
    eye = torch.zeros(c, c, 3, 3)
    eye[torch.arange(c), torch.arange(c), 1, 1] = 1.0
    merge[0].weight.zero_()
    merge[0].weight[:, c:] = eye
    merge[3].weight.copy_(eye)
    for norm in (merge[1], merge[4]):  # x * gain / std = x; the old bottom ends in a ReLU, so the ReLUs pass it
        norm.gain.copy_(norm.running_std)
    return deep.train(model.training)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
