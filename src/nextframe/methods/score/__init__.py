"""The paper's method: a blind conditional denoiser (`networks.unet.ConditionalUNet`, trained by
`loss.BlindDenoisingLoss`) whose residual is the score of the noisy conditional density, sampled by iterative partial
denoising (`sampling.sample`) and rolled out frame by frame (`predictor.ScorePredictor`)."""

from nextframe.methods.score.loss import BlindDenoisingLoss
from nextframe.methods.score.predictor import ScorePredictor, as_predictor
from nextframe.methods.score.training import Settings, training_method
from nextframe.networks.unet import ConditionalUNet, UNetConfig

NAME = "score"


def build_network(settings: dict) -> ConditionalUNet:
    """The U-Net its weights were saved with (`UNetConfig` as a dict)."""
    return ConditionalUNet(UNetConfig(**settings))


def predictor(network: ConditionalUNet, *, sampler=None) -> ScorePredictor:
    """`sampler`: `SamplerSettings` (None: the defaults)."""
    return ScorePredictor(network, sampler)


def benchmark_recipe(sequence: int, block: int) -> dict:
    """`nextframe train` settings for `nextframe benchmark --train-minutes`: the U-Net of the shipped models (width 32),
    trained on the next frame."""
    return {"width": 32, "batch_size": 16, "lr": 1e-3}


__all__ = [
    "as_predictor",
    "benchmark_recipe",
    "NAME",
    "BlindDenoisingLoss",
    "ScorePredictor",
    "Settings",
    "build_network",
    "predictor",
    "training_method",
]
