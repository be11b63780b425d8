"""Clip datasets on disk: a folder with `meta.json` and one uint8 array (clips, frames, channels, H, W) per split.

The arrays are `.npy` files, memory-mapped for training, so a 100,000-clip Moving Leaves set (1.1 GB) costs no RAM.
A folder is written under a temporary name and renamed when complete, so an interrupted write leaves nothing that
looks like a dataset. Any source of clips (the leaves generator, a user's videos) writes through `write_dataset`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from nextframe.errors import NextframeError
from nextframe.files import readable_mode

SPLITS = ("train", "test")
FORMAT = "nextframe-clips/1"


def write_dataset(
    out: str | Path,
    chunks: Iterable[tuple[np.ndarray, np.ndarray, dict | None]],  # (uint8 clips, split mask: True = test, extras)
    counts: dict[str, int],  # clips per split, known in advance so the arrays can be memory-mapped
    shape: tuple[int, ...],  # (frames, channels, H, W) of one clip
    meta: dict,
    overwrite: bool = False,
) -> Path:
    """Stream chunks of clips into a new dataset folder; `extras` arrays (ground truth) are saved per split as npz."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise NextframeError(f"{out} already exists; choose another --out or pass --overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        arrays = {
            s: np.lib.format.open_memmap(tmp / f"{s}.npy", mode="w+", dtype=np.uint8, shape=(counts[s],) + tuple(shape))
            for s in SPLITS
        }
        filled = {s: 0 for s in SPLITS}
        extras: dict[str, dict[str, list]] = {s: {} for s in SPLITS}
        for clips, is_test, extra in chunks:
            for split, mask in (("train", ~is_test), ("test", is_test)):
                k = int(mask.sum())
                arrays[split][filled[split] : filled[split] + k] = clips[mask]
                filled[split] += k
                for name, value in (extra or {}).items():
                    extras[split].setdefault(name, []).append(value[mask])
        if filled != counts:
            raise RuntimeError(f"internal error: wrote {filled} clips, expected {counts}")
        for split in SPLITS:
            arrays[split].flush()
            if extras[split]:
                np.savez(tmp / f"{split}_truth.npz", **{k: np.concatenate(v) for k, v in extras[split].items()})
        del arrays
        meta = dict(meta, format=FORMAT, clips={s: counts[s] for s in SPLITS}, clip_shape=list(shape))
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
        readable_mode(tmp, folder=True)  # mkdtemp made it 0700
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


@dataclass
class ClipDataset:
    """An opened dataset folder; `clips(split)` is a read-only memory map (clips, frames, channels, H, W) uint8."""

    path: Path
    meta: dict

    @staticmethod
    def open(path: str | Path) -> ClipDataset:
        path = Path(path)
        meta_file = path / "meta.json"
        if path.is_file():
            raise NextframeError(
                f"{path} is a file; pass a dataset folder made by `nextframe data leaves` or `nextframe data video`"
            )
        if not meta_file.is_file():
            raise NextframeError(
                f"{path} is not a nextframe dataset (no meta.json); make one with `nextframe data leaves --out {path}`"
            )
        try:
            meta = json.loads(meta_file.read_text())
        except json.JSONDecodeError as err:
            raise NextframeError(f"{meta_file} is corrupt ({err}); generate the dataset again") from None
        if meta.get("format") != FORMAT:
            raise NextframeError(
                f"{path} has format {meta.get('format')!r}, expected {FORMAT!r}; generate the dataset again"
            )
        return ClipDataset(path, meta)

    def clips(self, split: str) -> np.ndarray:
        file = self.path / f"{split}.npy"
        try:
            array = np.load(file, mmap_mode="r")
        except (OSError, ValueError) as err:
            raise NextframeError(f"cannot read {file} ({err}); generate the dataset again") from None
        if array.dtype != np.uint8 or array.ndim != 5 or list(array.shape[1:]) != self.meta["clip_shape"]:
            raise NextframeError(
                f"{file} holds {array.dtype} {array.shape}, not the uint8 clips meta.json describes; generate the dataset again"
            )
        return array

    def truth(self, split: str) -> dict[str, np.ndarray] | None:
        file = self.path / f"{split}_truth.npz"
        return dict(np.load(file)) if file.is_file() else None


class Windows:
    """All windows of tau past and `future` next consecutive frames of every clip: window j -> (context, target) as
    float tensors.

    The context is the tau past frames stacked along channels, oldest first: (tau*channels, H, W); the target is the
    next frame (channels, H, W), or the next `future` frames stacked the same way (future*channels, H, W).
    """

    def __init__(self, clips: np.ndarray, tau: int, future: int = 1):
        frames = clips.shape[1]
        if future < 1:
            raise NextframeError(f"a window needs at least 1 future frame, got {future}")
        if frames < tau + future:
            raise NextframeError(
                f"clips have {frames} frames but a window of tau={tau} past and {future} future frame(s) needs at least "
                f"{tau + future}; "
                "lower --tau or use longer clips"
            )
        self.clips, self.tau, self.future, self.per_clip = clips, tau, future, frames - tau - future + 1

    def __len__(self) -> int:
        return len(self.clips) * self.per_clip

    def batch(self, index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Gather windows `index` into (context (B, tau*C, H, W), target (B, future*C, H, W)) float32 in [0, 1]."""
        index = np.asarray(index)
        clip, start = np.divmod(index, self.per_clip)
        order = np.argsort(clip, kind="stable")  # sorted reads are kinder to a memory map
        length = self.tau + self.future
        rows = np.empty((len(index), length) + self.clips.shape[2:], np.uint8)
        rows[order] = self.clips[clip[order]][np.arange(len(index))[:, None], start[order, None] + np.arange(length)]
        x = torch.from_numpy(rows).float().div_(255.0)
        b, _, c, h, w = x.shape
        return x[:, : self.tau].reshape(b, self.tau * c, h, w), x[:, self.tau :].reshape(b, self.future * c, h, w)
