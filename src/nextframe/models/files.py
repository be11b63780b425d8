"""Model files: inference weights (safetensors, the method and its network's settings as JSON metadata) and full
training checkpoints (torch, read with the weights-only unpickler). Reading and writing weights belongs beside the
shipped models, not to training: the predictors, the analyses and the trainer all come here (diffusers' habit,
`from_pretrained` on the model).

Both are written to a temporary file and renamed, so an interrupted save never leaves a broken file behind.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from nextframe.errors import NextframeError
from nextframe.files import atomic_path

WEIGHTS_FORMAT = "nextframe/2"  # metadata: "method" (its registry name), "network" (its settings as JSON), and extras
UNET_FORMAT = "nextframe-unet/1"  # before methods had names: a U-Net under "unet", read as "score" or "deterministic"


def unet_method(config: dict) -> str:
    """The method a U-Net of the first format belongs to: its noisy input says denoiser or predictor."""
    return "score" if config.get("noisy_input", True) else "deterministic"


def save_checkpoint(path: str | Path, state: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(
    path: str | Path, fix: str = "pass weights (.safetensors) or a checkpoint written by `nextframe train`"
) -> dict:
    """A training checkpoint, read with torch's weights-only unpickler: tensors, numbers, strings and containers, never
    code, so a foreign `.pt` cannot run anything. `fix` ends the message when the file is not one (the trainer's
    resume says "pass --fresh"). Checkpoints of the first format (a U-Net under "unet") gain "method" and "network"."""
    path = Path(path)
    if not path.is_file():
        raise NextframeError(f"checkpoint {path} does not exist; check the path")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for a truncated, foreign or unsafe file
        raise NextframeError(
            f"{path} is corrupt or not a nextframe checkpoint ({err.__class__.__name__}); {fix}"
        ) from None
    if isinstance(state, dict) and "unet" in state and "network" not in state:
        state = {**state, "method": unet_method(state["unet"]), "network": state["unet"]}
    if not isinstance(state, dict) or "model" not in state or "network" not in state or "method" not in state:
        raise NextframeError(f"{path} is not a nextframe training checkpoint; {fix}")
    return state


def save_weights(path: str | Path, model, method: str, extra: dict | None = None) -> None:
    """Inference weights as safetensors, tagged with the method that made them and the network's settings
    (`model.config.to_dict()`); `extra` (e.g. the training settings) as more JSON metadata."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    metadata = {"format": WEIGHTS_FORMAT, "method": method, "network": json.dumps(model.config.to_dict())}
    metadata.update({k: json.dumps(v) for k, v in (extra or {}).items()})
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)


def read_metadata(path: str | Path) -> dict:
    """The metadata of a weights file, JSON fields decoded; files of the first format gain "method" and "network"."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata() or {}
    meta = {k: (v if k in ("format", "method") else json.loads(v)) for k, v in meta.items()}
    if meta.get("format") == UNET_FORMAT and "unet" in meta:
        meta.update(method=unet_method(meta["unet"]), network=meta["unet"])
    return meta


def model_metadata(name_or_path: str | Path) -> dict:
    """The metadata of a model's weights (shipped name, run folder or .safetensors); {} for a training checkpoint."""
    path = model_file(name_or_path)
    return read_metadata(path) if path.suffix == ".safetensors" else {}


def model_file(name_or_path: str | Path) -> Path:
    """The file behind a shipped model's name (`nextframe.models.SHIPPED`), a run folder, or a weights/checkpoint path."""
    from nextframe.models import SHIPPED, shipped_path

    shipped = shipped_path(str(name_or_path))
    path = shipped if shipped is not None and not Path(name_or_path).exists() else Path(name_or_path)
    if not path.suffix and not path.exists():
        raise NextframeError(
            f"{str(path)!r} is neither a file nor a shipped model (shipped: {', '.join(SHIPPED)}); pass a name or a .safetensors path"
        )
    return path / "model.safetensors" if path.is_dir() else path


def read_network(path: str | Path) -> tuple[str, dict, dict]:
    """(method, network settings, weights) from a shipped model's name, a `.safetensors` file (either format), a
    training checkpoint `.pt` or a run folder."""
    path = model_file(path)
    if not path.is_file():
        raise NextframeError(
            f"model file {path} does not exist; pass a .safetensors or checkpoint.pt written by `nextframe train`"
        )
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            meta = read_metadata(path)
            tensors = load_file(str(path))
        except Exception as err:
            raise NextframeError(
                f"model file {path} is corrupt or not safetensors ({err.__class__.__name__}); train or download it again"
            ) from None
        if meta.get("format") not in (WEIGHTS_FORMAT, UNET_FORMAT) or "method" not in meta:
            raise NextframeError(
                f"{path} is not nextframe weights (format {meta.get('format')!r}); pass weights written by `nextframe train`"
            )
        return meta["method"], meta["network"], tensors
    checkpoint = load_checkpoint(path)
    return checkpoint["method"], checkpoint["network"], checkpoint["model"]


def load_state(model, state: dict, path) -> None:
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise NextframeError(
            f"{path} does not match the network its config describes ({str(err).splitlines()[0]}); the file is damaged"
        ) from None
