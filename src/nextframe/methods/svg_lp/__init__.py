"""SVG-LP (Denton & Fergus 2018, stochastic video generation with a learned prior) and SVG-FP as a setting: a
recurrent VAE whose per-frame latent is inferred from the next frame in training and drawn from a prior learned from
the past when generating. See `network.py` for the architecture and `../shared/docs/peers.md` for the sources."""

from nextframe.methods.svg_lp.network import SVG, SVGConfig, gaussian_kl
from nextframe.methods.svg_lp.predictor import SVGPredictor
from nextframe.methods.svg_lp.training import NAME, Settings, SVGLoss, training_method


def build_network(settings: dict) -> SVG:
    return SVG(SVGConfig(**settings))


def predictor(network: SVG) -> SVGPredictor:
    return SVGPredictor(network)


def benchmark_recipe(sequence: int, block: int) -> dict:
    """`nextframe train` settings for `nextframe benchmark --train-minutes`: windows of the past and the whole future
    `sequence` (SVG trains teacher-forced over the sequence); Adam 2e-3 as SVG."""
    return {"future": sequence, "width": 32, "batch_size": 16, "lr": 2e-3}


__all__ = [
    "benchmark_recipe",
    "NAME",
    "SVG",
    "SVGConfig",
    "SVGLoss",
    "SVGPredictor",
    "Settings",
    "build_network",
    "gaussian_kl",
    "predictor",
    "training_method",
]
