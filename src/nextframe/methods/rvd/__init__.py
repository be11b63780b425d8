"""RVD (Yang, Srivastava, Mandt 2022, residual video diffusion): a recurrent deterministic predictor of the next
frame plus a diffusion model of the residual, conditioned on a recurrent context and trained end to end through the
denoising loss alone; sampled frame by frame (`nextframe.sampling.diffusion`)."""

from nextframe.methods.rvd.network import RVD, RVDConfig
from nextframe.methods.rvd.predictor import RVDPredictor
from nextframe.methods.rvd.training import NAME, RVDLoss, Settings, training_method


def build_network(settings: dict) -> RVD:
    return RVD(RVDConfig(**settings))


def predictor(network: RVD, *, sampler: str = "ddpm", sample_steps: int | None = None) -> RVDPredictor:
    """`sampler`: ddpm or ddim, `sample_steps`: levels visited (None: as trained)."""
    return RVDPredictor(network, sample_steps=sample_steps, sampler=sampler)


def benchmark_recipe(sequence: int, block: int) -> dict:
    """`nextframe train` settings for `nextframe benchmark --train-minutes`: windows of the past and a block of
    `block` predicted frames (RVD: 2 + 6 at 64x64), width 16 (its two networks and the ConvGRU cost more per
    example), an EMA of the weights."""
    return {"future": block, "width": 16, "batch_size": 8, "lr": 3e-4, "ema_halflife": 4000}


__all__ = [
    "benchmark_recipe",
    "NAME",
    "RVD",
    "RVDConfig",
    "RVDLoss",
    "RVDPredictor",
    "Settings",
    "build_network",
    "predictor",
    "training_method",
]
