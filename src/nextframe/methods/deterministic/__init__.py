"""The deterministic floor: a network that predicts the next frame from the past frames alone (the paper's
prediction-only network, `ConditionalUNet` with `noisy_input=False`), trained by plain MSE (`PredictionLoss`): its
prediction is the conditional mean. With `--point-loss l1` it learns the conditional median instead, the point
forecast with the lowest CRPS: the floor every stochastic method must beat."""

from nextframe.methods.deterministic.predictor import DeterministicPredictor, PredictionLoss
from nextframe.methods.deterministic.training import Settings, training_method
from nextframe.networks.unet import ConditionalUNet, UNetConfig

NAME = "deterministic"


def build_network(settings: dict) -> ConditionalUNet:
    """The prediction-only U-Net its weights were saved with (`UNetConfig` as a dict, noisy_input False)."""
    return ConditionalUNet(UNetConfig(**settings))


def predictor(network: ConditionalUNet) -> DeterministicPredictor:
    return DeterministicPredictor(network)


def benchmark_recipe(sequence: int, block: int) -> dict:
    """`nextframe train` settings for `nextframe benchmark --train-minutes`: the score-based method's U-Net (width
    32), trained on the next frame, so the floor differs from it only in what it learns."""
    from nextframe.methods.score import benchmark_recipe as score_recipe

    return score_recipe(sequence, block)


__all__ = [
    "benchmark_recipe",
    "NAME",
    "DeterministicPredictor",
    "PredictionLoss",
    "Settings",
    "build_network",
    "predictor",
    "training_method",
]
