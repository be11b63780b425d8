"""RVD (Yang, Srivastava, Mandt 2022, residual video diffusion): a recurrent deterministic predictor of the next
frame plus a diffusion model of the residual, conditioned on a recurrent context and trained end to end through the
denoising loss alone; sampled frame by frame (`nextframe.sampling.diffusion`)."""

from nextframe.methods.rvd.network import RVD, RVDConfig
from nextframe.methods.rvd.predictor import RVDPredictor
from nextframe.methods.rvd.training import NAME, RVDLoss, Settings, training_method


def build_network(settings: dict) -> RVD:
    return RVD(RVDConfig(**settings))


def predictor(network: RVD, sample_steps: int | None = None, sampler: str = "ddpm") -> RVDPredictor:
    return RVDPredictor(network, sample_steps, sampler)


__all__ = [
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
