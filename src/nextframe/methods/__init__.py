"""Every method nextframe hosts, by name, and `load`, which turns any weights file into that method's predictor.

A method is a folder here (`score/`, `deterministic/`, ...) whose module names it (`NAME`), builds its network from
the settings saved with its weights (`build_network`), wraps a network in its predictor (`predictor`) and supplies
what the training loop needs (`training_method`, see `nextframe.training.loop.TrainingMethod`). Adding a method is
adding a folder and a line to METHODS; docs/adding-a-method.md walks through it.
"""

from __future__ import annotations

import inspect
from importlib import import_module

from nextframe.errors import NextframeError
from nextframe.methods.base import Prediction, Predictor, StatefulPredictor

METHODS = {  # name -> module
    "score": "nextframe.methods.score",
    "deterministic": "nextframe.methods.deterministic",
    "svg_lp": "nextframe.methods.svg_lp",
    "mcvd": "nextframe.methods.mcvd",
    "rvd": "nextframe.methods.rvd",
}


def method(name: str):
    """The module of a method by its registry name."""
    if name not in METHODS:
        raise NextframeError(f"unknown method {name!r}; nextframe has {', '.join(METHODS)}")
    return import_module(METHODS[name])


def load(name_or_path, device="cpu", **options) -> Predictor:
    """The predictor of any shipped or trained model: a shipped name, a run folder, weights (.safetensors, tagged
    with their method) or a training checkpoint. `options` go to the method's predictor, one vocabulary for all:
    `sampler` (the score method: `SamplerSettings(...)`; MCVD and RVD: "ddpm" or "ddim") and `sample_steps` (MCVD,
    RVD); a method refuses the options it does not have."""
    from nextframe.models import frame_shape
    from nextframe.models.files import load_state, model_metadata, read_network

    name, settings, state = read_network(name_or_path)
    module = method(name)
    accepted = [p for p in inspect.signature(module.predictor).parameters if p != "network"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:  # one vocabulary (sampler, sample_steps), each method taking the part it has
        takes = ", ".join(accepted) if accepted else "no options"
        raise NextframeError(f"{name_or_path} is a {name} model; its predictor takes {takes}, not {', '.join(unknown)}")
    network = module.build_network(settings)
    load_state(network, state, name_or_path)
    predictor = module.predictor(network.to(device).eval(), **options)
    shape = model_metadata(name_or_path).get("frame_shape")  # absent in weights written before it was recorded
    predictor.frame_shape = tuple(shape) if shape else frame_shape(str(name_or_path))
    return predictor


def load_denoiser(name_or_path, purpose: str) -> Predictor:
    """`load`, for the analyses that read a denoiser's output or its Jacobian: the predictor of a method that is its
    own U-Net as a denoiser (`has_denoiser`: the score-based method, and the prediction-only network, which ignores
    its noisy input); any other method is refused, saying that `purpose` needs one."""
    predictor = load(name_or_path)
    if not predictor.has_denoiser:
        raise NextframeError(
            f"{name_or_path} is a {predictor.method} model; {purpose} reads a denoiser's output, so it needs a score "
            "or deterministic (U-Net) model"
        )
    return predictor


def train(config, fresh: bool = False) -> dict:
    """Train (or resume) the method `config.method` names, in the shared loop (`nextframe.training.trainer.train`)."""
    from nextframe.training.trainer import train as loop

    return loop(config, method(config.method), fresh=fresh)


__all__ = ["METHODS", "Prediction", "Predictor", "StatefulPredictor", "load", "load_denoiser", "method", "train"]
