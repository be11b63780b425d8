"""MCVD as a predictor: block by block, each block of k frames sampled by DDPM (or DDIM) given the last tau frames,
the block then becoming part of the past. Row r's noise for block b comes from `derive_seed(seeds[r], b)`.
A block costs `sample_steps` network evaluations; per generated frame that is sample_steps / k."""

from __future__ import annotations

import math

import torch

from nextframe.methods.base import Predictor
from nextframe.sampling.diffusion import alpha_bars, ddim_sample, ddpm_sample
from nextframe.sampling.sampler import derive_seed


class MCVDPredictor(Predictor):
    method = "mcvd"

    def __init__(self, network, sampler: str | None = None, sample_steps: int | None = None):
        cfg = network.config
        self.network = network.eval()
        self.context_frames = cfg.tau
        self.sampler = cfg.sampler if sampler is None else sampler  # ddpm or ddim; default: as trained
        self.sample_steps = cfg.sample_steps if sample_steps is None else sample_steps
        cfg.__class__(**{**cfg.to_dict(), "sampler": self.sampler, "sample_steps": self.sample_steps})  # checks
        self.abar = alpha_bars("linear", cfg.diffusion_steps, cfg.beta_start, cfg.beta_end)

    def describe(self) -> str:
        cfg = self.network.config
        return (
            f"mcvd: {self.sampler.upper()} over {self.sample_steps} of {cfg.diffusion_steps} levels per block of "
            f"{cfg.block} frame(s), a fixed schedule"
        )

    @property
    def config(self):
        return self.network.config

    @torch.no_grad()
    def _predict(self, past, steps, seeds):
        cfg, net = self.network.config, self.network
        device = next(net.parameters()).device
        rows, c = past.shape[0], cfg.channels
        frames = list(past[:, -cfg.tau :].unbind(1))  # the last tau frames, [0, 1]
        after = torch.zeros(rows, cfg.future_frames * c, cfg.size, cfg.size, device=device)  # no future frames
        draw = ddpm_sample if self.sampler == "ddpm" else ddim_sample
        for b in range(math.ceil(steps / cfg.block)):
            condition = torch.cat([torch.cat(frames[-cfg.tau :], 1).to(device) * 2 - 1, after], 1)
            gens = [torch.Generator().manual_seed(derive_seed(s, b)) for s in seeds]
            block = draw(
                lambda x, t: net(x, t, condition),  # noqa: B023 (used within this iteration)
                (rows, cfg.block * c, cfg.size, cfg.size),
                self.abar,
                self.sample_steps,
                gens,
                device,
            )
            frames += list(((block + 1) / 2).clamp(0, 1).cpu().view(rows, cfg.block, c, cfg.size, cfg.size).unbind(1))
        future = torch.stack(frames[cfg.tau : cfg.tau + steps], 1)
        return future, torch.full((rows, steps), self.sample_steps / cfg.block), None
