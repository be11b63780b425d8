"""SVG-LP and SVG-FP (Denton & Fergus 2018): a DCGAN-style frame encoder and decoder with skip connections, an LSTM
that predicts the next frame's code from the last one and a latent z, an inference LSTM (the posterior q(z_t | x_<=t))
and, for SVG-LP, a learned prior LSTM p(z_t | x_<t); SVG-FP takes z from N(0, I).

Facts from `../shared/docs/peers.md`: encoder 4 x [conv 4x4 stride 2, batch norm, LeakyReLU 0.2] at 64x64 (one stage
fewer at 32x32), then a 4x4 valid conv to g, batch norm, tanh; the decoder mirrors it with transposed convs, each stage
taking the matching skip; predictor linear(g + z -> rnn), 2 LSTM cells, linear -> g, tanh; posterior and prior
linear(g -> rnn), 1 LSTM cell, heads for the mean and log-variance; weights N(0, 0.02).
One deliberate difference: the skips come from the last context frame. The public code's `i < n_past` takes them from
the one before it (docs/design.md).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from nextframe.errors import NextframeError
from nextframe.settings import check_fields, check_frame_size, setting


@dataclass(frozen=True)
class SVGConfig:
    """SVG's settings, one dataclass for its network, its loss and its flags (`nextframe train --method svg_lp
    --z-dim ...`); the derived fields are set by the run: the data's frames, --tau and --width."""

    tau: int = setting(
        5, "context frames (SVG on SM-MNIST: 5); the skips come from the last of them", low=1, derived=True
    )
    channels: int = setting(1, "frame channels", low=1, derived=True)
    size: int = setting(64, "frames are size x size, a power of two of at least 8", low=8, derived=True)
    width: int = setting(64, "channels of the first encoder stage (SVG: 64; the CPU scale: 32)", low=1, derived=True)
    g_dim: int = setting(128, "frame code dimensions", low=1, high=4096)
    z_dim: int = setting(10, "latent dimensions per frame (SVG on SM-MNIST: 10)", low=1, high=1024)
    rnn_size: int = setting(256, "units of every LSTM cell", low=1, high=4096)
    predictor_layers: int = setting(2, "LSTM cells of the frame predictor", low=1, high=8)
    posterior_layers: int = setting(1, "LSTM cells of the posterior and the prior", low=1, high=8)
    prior: str = setting("learned", "learned: SVG-LP; fixed: SVG-FP (z from N(0, I))", choices=("learned", "fixed"))
    # read by the loss, not the network
    kl_beta: float = setting(
        0.0,
        "weight of the KL term; 0: SVG's 1e-4 at 64x64, scaled by 4096 / pixels (4e-4 at 32x32)",
        low=0,
        loss_only=True,
    )
    recon_loss: str = setting(
        "mse",
        "mse: SVG's Gaussian likelihood (its frames are the conditional mean, a grey haze where a digit may be); l1: a "
        "Laplace likelihood (the conditional median, a clean background; not in SVG's recipe)",
        choices=("mse", "l1"),
        loss_only=True,
    )

    def __post_init__(self):
        check_fields(self)
        if self.size & (self.size - 1):
            raise NextframeError(f"SVG needs square frames whose side is a power of two of at least 8, got {self.size}")

    def beta(self, height: int, width: int) -> float:
        return self.kl_beta or 1e-4 * 4096 / (height * width)

    def check_size(self, height: int, width: int) -> None:
        check_frame_size("SVG", self.size, height, width)

    @property
    def stages(self) -> int:
        return int(math.log2(self.size)) - 2  # stride-2 stages down to 4x4: 4 at 64x64, 3 at 32x32

    def to_dict(self) -> dict:
        return asdict(self)


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2))


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2))


class Encoder(nn.Module):
    """Frame (B, C, H, W) -> (code (B, g), skips: the feature maps of every stage, finest first)."""

    def __init__(self, cfg: SVGConfig):
        super().__init__()
        widths = [cfg.width * 2**k for k in range(cfg.stages)]
        self.stages = nn.ModuleList(_down(cin, cout) for cin, cout in zip([cfg.channels, *widths[:-1]], widths))
        self.code = nn.Sequential(nn.Conv2d(widths[-1], cfg.g_dim, 4, 1, 0), nn.BatchNorm2d(cfg.g_dim), nn.Tanh())

    def forward(self, x):
        skips = []
        for stage in self.stages:
            x = stage(x)
            skips.append(x)
        return self.code(x).flatten(1), skips


class Decoder(nn.Module):
    """(code (B, g), skips) -> frame (B, C, H, W) in [0, 1]."""

    def __init__(self, cfg: SVGConfig):
        super().__init__()
        widths = [cfg.width * 2**k for k in range(cfg.stages)]
        self.start = nn.Sequential(
            nn.ConvTranspose2d(cfg.g_dim, widths[-1], 4, 1, 0), nn.BatchNorm2d(widths[-1]), nn.LeakyReLU(0.2)
        )
        self.stages = nn.ModuleList(_up(2 * widths[k], widths[k - 1]) for k in range(cfg.stages - 1, 0, -1))
        self.out = nn.Sequential(nn.ConvTranspose2d(2 * widths[0], cfg.channels, 4, 2, 1), nn.Sigmoid())

    def forward(self, code, skips):
        x = self.start(code[:, :, None, None])
        for stage, skip in zip(self.stages, reversed(skips[1:])):
            x = stage(torch.cat([x, skip], 1))
        return self.out(torch.cat([x, skips[0]], 1))


class LSTMStack(nn.Module):
    """linear -> LSTM cells -> one or more heads; the hidden state is passed in and out, so a batch of rows can be
    carried frame by frame."""

    def __init__(self, cin: int, hidden: int, layers: int):
        super().__init__()
        self.embed = nn.Linear(cin, hidden)
        self.cells = nn.ModuleList(nn.LSTMCell(hidden, hidden) for _ in range(layers))

    def zero_state(self, batch: int, like: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        z = like.new_zeros(batch, self.embed.out_features)
        return [(z, z) for _ in self.cells]

    def run(self, x, state):
        h, new = self.embed(x), []
        for cell, hc in zip(self.cells, state):
            hc = cell(h, hc)
            new.append(hc)
            h = hc[0]
        return h, new


class FramePredictor(LSTMStack):
    def __init__(self, cfg: SVGConfig):
        super().__init__(cfg.g_dim + cfg.z_dim, cfg.rnn_size, cfg.predictor_layers)
        self.head = nn.Sequential(nn.Linear(cfg.rnn_size, cfg.g_dim), nn.Tanh())

    def forward(self, x, state):
        h, state = self.run(x, state)
        return self.head(h), state


class GaussianLSTM(LSTMStack):
    """The posterior or the learned prior: (mean, log-variance) of z_t."""

    def __init__(self, cfg: SVGConfig):
        super().__init__(cfg.g_dim, cfg.rnn_size, cfg.posterior_layers)
        self.mean, self.logvar = nn.Linear(cfg.rnn_size, cfg.z_dim), nn.Linear(cfg.rnn_size, cfg.z_dim)

    def forward(self, x, state):
        h, state = self.run(x, state)
        return self.mean(h), self.logvar(h), state


def gaussian_kl(mean_q, logvar_q, mean_p, logvar_p) -> torch.Tensor:
    """KL(N(mean_q, exp logvar_q) || N(mean_p, exp logvar_p)) per row, summed over the latent's dimensions."""
    kl = 0.5 * (logvar_p - logvar_q) + (logvar_q.exp() + (mean_q - mean_p) ** 2) / (2 * logvar_p.exp()) - 0.5
    return kl.sum(-1)


class SVG(nn.Module):
    """The whole model. `forward(context, target)` is the teacher-forced training pass (it returns the summed
    per-frame reconstruction error and KL, mean over the batch); `encode`, `prior_step`, `posterior_step` and `decode_step` are the
    pieces the predictor runs frame by frame."""

    def __init__(self, cfg: SVGConfig):
        super().__init__()
        self.config = cfg
        self.encoder, self.decoder = Encoder(cfg), Decoder(cfg)
        self.predictor, self.posterior = FramePredictor(cfg), GaussianLSTM(cfg)
        self.prior = GaussianLSTM(cfg) if cfg.prior == "learned" else None
        self.apply(_init_weights)

    def zero_state(self, batch: int, like: torch.Tensor) -> dict:
        state = {
            "predictor": self.predictor.zero_state(batch, like),
            "posterior": self.posterior.zero_state(batch, like),
        }
        if self.prior is not None:
            state["prior"] = self.prior.zero_state(batch, like)
        return state

    def prior_of(self, code, state):
        """(mean, logvar) of p(z_t | x_<t) from the code of x_{t-1}, and the state after it."""
        if self.prior is None:
            zero = code.new_zeros(code.shape[0], self.config.z_dim)
            return zero, zero, state
        mean, logvar, state["prior"] = self.prior(code, state["prior"])
        return mean, logvar, state

    def forward(self, context: torch.Tensor, target: torch.Tensor, noise: torch.Tensor, norm: str = "mse"):
        """context (B, tau*C, H, W), target (B, F*C, H, W), noise (B, tau + F - 1, z) standard normal ->
        (sum over predicted frames of the reconstruction error, the MSE or with `norm="l1"` the mean absolute error;
        sum over them of the KL summed over z; both means over the batch).
        Every frame after the first is predicted from the one before it, as in SVG's training."""
        c = self.config.channels
        frames = torch.cat([context, target], 1)
        b, t = frames.shape[0], frames.shape[1] // c
        codes, skips = self.encoder(frames.reshape(b * t, c, *frames.shape[2:]))
        codes = codes.view(b, t, -1)
        skips = [s.view(b, t, *s.shape[1:]) for s in skips]
        last = self.config.tau - 1  # the skips of the last context frame, used for every prediction after it
        state = self.zero_state(b, codes)
        recon, kl = frames.new_zeros(()), frames.new_zeros(())
        for i in range(1, t):
            mean_q, logvar_q, state["posterior"] = self.posterior(codes[:, i], state["posterior"])
            mean_p, logvar_p, state = self.prior_of(codes[:, i - 1], state)
            z = mean_q + (0.5 * logvar_q).exp() * noise[:, i - 1]
            code, state["predictor"] = self.predictor(torch.cat([codes[:, i - 1], z], 1), state["predictor"])
            frame_skips = [s[:, min(i - 1, last)] for s in skips]
            prediction = self.decoder(code, frame_skips)
            error = prediction - frames[:, i * c : (i + 1) * c]
            recon = recon + (error.square() if norm == "mse" else error.abs()).mean()
            kl = kl + gaussian_kl(mean_q, logvar_q, mean_p, logvar_p).mean()
        return recon, kl


def _init_weights(m: nn.Module) -> None:
    """DCGAN's initialisation, as SVG: conv weights N(0, 0.02), batch-norm scales N(1, 0.02), biases 0."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)
