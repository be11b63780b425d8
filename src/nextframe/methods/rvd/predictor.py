"""RVD as a predictor: the recurrent networks read the past frames; then, frame after frame, mu predicts the next
frame, a residual is sampled by DDPM over `sample_steps` levels of the cosine schedule (x_0 clipped to the
residual's range [-2, 2] / sigma), and mu + sigma y, clipped to the frame range, is read back in. Row r's noise for
frame j comes from `derive_seed(seeds[r], j)`. Cost: sample_steps + 1 network evaluations per frame."""

from __future__ import annotations

import torch

from nextframe.methods.base import StatefulPredictor
from nextframe.sampling.diffusion import alpha_bars, ddim_sample, ddpm_sample
from nextframe.sampling.sampler import derive_seed


class RVDPredictor(StatefulPredictor):
    method = "rvd"

    def __init__(self, network, sample_steps: int | None = None, sampler: str = "ddpm"):
        cfg = network.config
        self.network = network.eval()
        self.context_frames = cfg.tau
        self.sample_steps = cfg.sample_steps if sample_steps is None else sample_steps
        cfg.__class__(**{**cfg.to_dict(), "sample_steps": self.sample_steps})  # checks the count
        self.draw = {"ddpm": ddpm_sample, "ddim": ddim_sample}[sampler]
        self.abar = alpha_bars("cosine", cfg.diffusion_steps)

    def describe(self) -> str:
        name = "DDPM" if self.draw is ddpm_sample else "DDIM"
        return f"rvd: {name} over {self.sample_steps} of {self.network.config.diffusion_steps} levels per frame, a fixed schedule"

    @property
    def config(self):
        return self.network.config

    @torch.no_grad()
    def start(self, past, seeds):
        net = self.network
        device = next(net.parameters()).device
        state = net.zero_state(past.shape[0], past.to(device))
        for i in range(past.shape[1]):
            state = net.read(past[:, i].to(device) * 2 - 1, state)
        return {"rnn": state}

    @torch.no_grad()
    def step(self, state, j, seeds):
        net, cfg = self.network, self.network.config
        rnn = state["rnn"]
        mu = net.mean.predict(rnn["mean"])
        gens = [torch.Generator().manual_seed(derive_seed(s, j)) for s in seeds]
        residual = self.draw(
            lambda x, t: net.denoiser(x, t, rnn["context"]),
            tuple(mu.shape),
            self.abar,
            self.sample_steps,
            gens,
            mu.device,
            clip=2.0 / cfg.sigma,
        )
        frame = (mu + cfg.sigma * residual).clamp(-1, 1)
        return ((frame + 1) / 2).cpu(), self.sample_steps + 1, {"rnn": net.read(frame, rnn)}
