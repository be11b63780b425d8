"""nextframe: probabilistic video prediction by score-based conditional density estimation (Fiquet & Simoncelli 2024).

    import nextframe
    model = nextframe.load("runs/leaves/model.safetensors")
    result = nextframe.sample(model, context)        # context: (B, tau*C, H, W) in [0, 1]
    result.frames, result.evaluations, result.sigmas
"""

from nextframe.errors import NextframeError
from nextframe.sampling import SampleResult, one_step, rollout, sample

__version__ = "0.1.0"


def load(name_or_path, device="cpu"):
    """A trained network in evaluation mode, from a `.safetensors` weights file, a training checkpoint, or a run folder."""
    from pathlib import Path

    from nextframe.training.checkpoint import load_model

    if not Path(name_or_path).suffix and not Path(name_or_path).is_dir():
        raise NextframeError(f"no shipped model named {name_or_path!r} (none ship yet); pass the path of a .safetensors file from `nextframe train`")
    return load_model(name_or_path, device)


__all__ = ["NextframeError", "SampleResult", "load", "one_step", "rollout", "sample", "__version__"]
