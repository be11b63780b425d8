"""MCVD (Voleti, Jolicoeur-Martineau, Pal 2022), the concat variant: a DDPM whose noise-predicting U-Net sees the past
frames (and, for interpolation, future frames) concatenated with the noisy block, trained with random masks of the
past and the future so that one model predicts, generates and interpolates; sampled block by block by DDPM or DDIM
(`nextframe.sampling.diffusion`)."""

from nextframe.methods.mcvd.network import MCVDConfig, NoiseUNet
from nextframe.methods.mcvd.predictor import MCVDPredictor
from nextframe.methods.mcvd.training import NAME, MCVDLoss, Settings, masks, training_method


def build_network(settings: dict) -> NoiseUNet:
    return NoiseUNet(MCVDConfig(**settings))


def predictor(network: NoiseUNet, *, sampler: str | None = None, sample_steps: int | None = None) -> MCVDPredictor:
    """`sampler`: ddpm or ddim, `sample_steps`: levels visited; None: as trained."""
    return MCVDPredictor(network, sampler=sampler, sample_steps=sample_steps)


def benchmark_recipe(sequence: int, block: int) -> dict:
    """`nextframe train` settings for `nextframe benchmark --train-minutes`: blocks of `block` frames after the past
    (MCVD's SM-MNIST protocol: 5), lr 3e-4, an EMA of the weights, a learning-rate warm-up and gradient clipping at 1
    as MCVD (its 1,000 warm-up steps of 64 examples shortened to 200 steps of 16: most of a CPU budget otherwise)."""
    return {
        "future": block,
        "width": 32,
        "batch_size": 16,
        "lr": 3e-4,
        "ema_halflife": 4000,
        "warmup_steps": 200,
        "grad_clip": 1.0,
    }


__all__ = [
    "benchmark_recipe",
    "NAME",
    "MCVDConfig",
    "MCVDLoss",
    "MCVDPredictor",
    "NoiseUNet",
    "Settings",
    "build_network",
    "masks",
    "predictor",
    "training_method",
]
