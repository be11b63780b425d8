"""Trial, not adopted: one more stage with each window's MSE weighted toward windows that are easy to predict.

    python docs/results/davis/weighted_trial.py runs/davis-tau2-ft7/config.json runs/trialw-tau2
    python docs/results/davis/weighted_trial.py runs/davis-pred-ft7/config.json runs/trialw-pred

Takes a finished stage's config.json, trains 5,000 more steps from its weights with the same settings, and weights
each window's squared error by 1 / (eps + the mean squared difference of its last two past frames), normalised to
mean 1 in each batch. The weight depends only on what the network sees, so the minimiser is still the posterior mean
(Tweedie holds at the optimum); only where a finite network spends its capacity changes. Why and what it gave:
docs/design.md, "Where the -10 dB gap lives". The trainer's loss class is replaced here rather than given a flag,
because the recipe was not adopted.
"""
import json
import sys

import torch

from nextframe.training import trainer
from nextframe.training.config import TrainConfig
from nextframe.training.loss import BlindDenoisingLoss

EPS = 2e-3  # the median window's difference is 5.7e-3; the 5% most static 5e-5, the 5% least 4e-2


class EasyWindowWeightedLoss(BlindDenoisingLoss):
    def __call__(self, net, context, clean, generator):
        noisy = self.noisy_copy(clean, generator)
        weight = 1.0 / (EPS + (context[:, -1] - context[:, -2]).square().mean((1, 2)))
        weight = weight / weight.mean()
        return ((net(noisy, context) - clean).square().mean((1, 2, 3)) * weight).mean()


if __name__ == "__main__":
    trainer.BlindDenoisingLoss = EasyWindowWeightedLoss
    settings = json.load(open(sys.argv[1]))
    settings.update(out=sys.argv[2], init=settings["out"] + "/model.safetensors", max_steps=5000)
    print(f"{trainer.train(TrainConfig.from_dict(settings))['minutes']:.1f} min")
