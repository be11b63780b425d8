"""SVG as a predictor: a recurrent method that carries its LSTM states and the context's skips from frame to frame.

The context frames are read as in SVG's generation: their latents come from the posterior (which sees each true
frame), so the LSTMs are warmed on the truth; after the context, z comes from the prior (learned, or N(0, I) for
SVG-FP) and each generated frame is fed back. Batch norm is in evaluation mode (the public code's generation left it
in training mode, which makes a sample depend on the rest of its batch). Row r's latent for frame i is drawn from
`derive_seed(seeds[r], i)`, so a row is the same whatever else is in its batch.
"""

from __future__ import annotations

import torch

from nextframe.methods.base import StatefulPredictor
from nextframe.sampling.sampler import derive_seed


def row_noise(seeds: list[int], key: int, size: int, like: torch.Tensor) -> torch.Tensor:
    """(rows, size) standard normal, row r from its own seed and `key`."""
    draws = [torch.randn(size, generator=torch.Generator().manual_seed(derive_seed(s, key))) for s in seeds]
    return torch.stack(draws).to(like.device, like.dtype)


class SVGPredictor(StatefulPredictor):
    method = "svg_lp"

    def describe(self) -> str:
        return "svg_lp: a latent drawn from the learned prior, then one decoder pass per frame"

    def __init__(self, network):
        self.network = network.eval()
        self.context_frames = network.config.tau

    @property
    def config(self):
        return self.network.config

    @torch.no_grad()
    def start(self, past, seeds):
        net, cfg = self.network, self.network.config
        rows, t = past.shape[:2]
        past = past.to(next(net.parameters()).device)
        codes, skips = net.encoder(past.flatten(0, 1))
        codes = codes.view(rows, t, -1)
        state = net.zero_state(rows, codes)
        for i in range(1, t):  # warm the LSTMs on the context, with the posterior's latents
            mean_q, logvar_q, state["posterior"] = net.posterior(codes[:, i], state["posterior"])
            _, _, state = net.prior_of(codes[:, i - 1], state)
            z = mean_q + (0.5 * logvar_q).exp() * row_noise(seeds, i, cfg.z_dim, codes)
            _, state["predictor"] = net.predictor(torch.cat([codes[:, i - 1], z], 1), state["predictor"])
        return {
            "lstm": state,
            "code": codes[:, -1],
            "skips": [s.view(rows, t, *s.shape[1:])[:, -1] for s in skips],  # the last context frame's
            "time": t,
        }

    @torch.no_grad()
    def step(self, state, j, seeds):
        net, cfg = self.network, self.network.config
        lstm = state["lstm"]
        mean_p, logvar_p, lstm = net.prior_of(state["code"], lstm)
        z = mean_p + (0.5 * logvar_p).exp() * row_noise(seeds, state["time"] + j, cfg.z_dim, mean_p)
        code, lstm["predictor"] = net.predictor(torch.cat([state["code"], z], 1), lstm["predictor"])
        frame = net.decoder(code, state["skips"])
        next_code, _ = net.encoder(frame)
        new = {**state, "lstm": lstm, "code": next_code}
        return frame.cpu(), 1, new
