"""Reference rows for the benchmark that learn nothing: what a score means is clearer beside what no model scores.

On SM-MNIST most pixels are black, so a blank frame already has a low CRPS (0.069 on [0, 1]); a method that forgets
the digits can look good by CRPS alone. These two predictors need only the past frames:
- `copy-last`: every future frame is the last past frame (no motion);
- `blank`: every future frame is the median pixel of the past frames, the best constant under an absolute error (the
  CRPS of a single prediction), so no constant frame scores better.
"""

from __future__ import annotations

import torch

from nextframe.methods.base import Predictor


class CopyLast(Predictor):
    method = "copy-last"
    done = "predicted"

    def __init__(self, context_frames: int):
        self.context_frames = context_frames

    def _predict(self, past, steps, seeds):
        frames = past[:, -1:].repeat(1, steps, 1, 1, 1)
        return frames, torch.zeros(len(past), steps), None


class Blank(Predictor):
    method = "blank"
    done = "predicted"

    def __init__(self, context_frames: int):
        self.context_frames = context_frames

    def _predict(self, past, steps, seeds):
        level = past.flatten(1).median(dim=1).values.view(-1, 1, 1, 1, 1)  # per row: the past frames' median pixel
        frames = level.expand(-1, steps, *past.shape[2:]).contiguous()
        return frames, torch.zeros(len(past), steps), None


BASELINES = {"copy-last": CopyLast, "blank": Blank}
