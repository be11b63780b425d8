"""Stochastic Moving MNIST (Denton & Fergus 2018; the same generator is MCVD's), read from the standard MNIST files.

Two digits, resized from 28 to half the canvas, move on a canvas of 64x64; positions are the digits' top-left
corners, within 0 .. size/2 - 1 on each axis, and velocities whole pixels per frame within -4 .. 4. Before each frame
is drawn, a digit past a wall is clamped to it and bounces at a random speed: its velocity across that wall is drawn
from 1 .. 4 away from it, and its velocity along the wall from -4 .. 4 (the deterministic variant negates the
velocity instead). Digits add, and the sum is clipped at 1 (`../shared/docs/reference-notes.md`, SVG's public code).

The 32x32 variant scales every length by one half (16-pixel digits, speeds within -2 .. 2): it is not published, and
says so in its meta.json. Training sequences use MNIST's training digits, the fixed test set its test digits; each
sequence's digit indices, labels and per-frame positions are saved with it (`<split>_truth.npz`), and the two splits
draw from independent streams of the seed, so the test set does not change with the number of training sequences.
"""

from __future__ import annotations

import gzip
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from nextframe.errors import NextframeError
from nextframe.settings import check_fields, setting

IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@dataclass(frozen=True)
class SMMNISTConfig:
    size: int = setting(64, "canvas side: 64 (the SVG/MCVD rules) or 32 (every length halved)", choices=(64, 32))
    frames: int = setting(15, "frames per sequence (SVG: 5 past + 10 future)", low=2, high=1000)
    digits: int = setting(2, "digits per sequence", low=1, high=5)
    n: int = setting(10_000, "training sequences (from MNIST's training digits)", low=1, high=1_000_000)
    test: int = setting(256, "test sequences (from MNIST's test digits; MCVD's protocol: 256)", low=1, high=100_000)
    seed: int = setting(0, "seeds the digits, positions and bounces; the test set depends on it alone", low=0)
    deterministic: bool = setting(False, "bounce by negating the velocity (the deterministic Moving MNIST)")

    def __post_init__(self):
        check_fields(self)

    @property
    def digit(self) -> int:
        return self.size // 2

    @property
    def speed(self) -> int:
        return 4 * self.size // 64

    def to_dict(self) -> dict:
        return {**asdict(self), "digit_size": self.digit, "max_speed": self.speed}


def read_idx(path: Path) -> np.ndarray:
    """An idx file (gzip or not: told by its first bytes, not its name) as a uint8 array."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise NextframeError(f"{path} is a damaged gzip file ({err}); copy it again") from None
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] != 0x08:
        raise NextframeError(f"{path} is not an MNIST idx file of bytes (its header is {raw[:4]!r}); copy it again")
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    body = raw[4 + 4 * dims :]
    if len(body) != int(np.prod(shape)):
        raise NextframeError(f"{path} is truncated: {len(body)} bytes for shape {shape}; copy it again")
    return np.frombuffer(body, np.uint8).reshape(shape)


def find_idx(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz", folder / name.replace("-idx", ".idx")):
        if candidate.is_file():
            return candidate
    raise NextframeError(
        f"--mnist {folder}: no {name} or {name}.gz there; give the folder holding the four standard MNIST idx files"
    )


def load_mnist(folder: str | Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 28, 28) uint8, labels (N,) uint8) of MNIST's `split` ("train" or "test")."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NextframeError(
            f"--mnist {folder}: {'is a file' if folder.exists() else 'no such folder'}; give the folder holding "
            "train-images-idx3-ubyte(.gz) and the other MNIST idx files"
        )
    images, labels = (read_idx(find_idx(folder, name)) for name in IDX_FILES[split])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise NextframeError(f"--mnist {folder}: {split} images {images.shape} and labels {labels.shape} do not match")
    return images, labels


def resize_digits(images: np.ndarray, side: int) -> np.ndarray:
    """Digits resized to side x side, bilinear (anti-aliased when shrinking), as floats in [0, 1]."""
    x = torch.from_numpy(images).float().div_(255.0)[:, None]
    out = torch.nn.functional.interpolate(x, size=(side, side), mode="bilinear", align_corners=False, antialias=True)
    return out[:, 0].clamp_(0, 1).numpy()


def trajectory(rng: np.random.Generator, cfg: SMMNISTConfig) -> np.ndarray:
    """Top-left corners (frames, 2) as (row, column) of one digit, bouncing by SVG's rules."""
    top, v = cfg.size - cfg.digit - 1, cfg.speed
    pos = rng.integers(0, top + 1, size=2)
    vel = rng.integers(-v, v + 1, size=2)
    out = np.empty((cfg.frames, 2), np.int64)
    for t in range(cfg.frames):
        for axis in (0, 1):  # rows then columns, as in the public code
            other = 1 - axis
            if pos[axis] < 0 or pos[axis] > top:
                low_wall = pos[axis] < 0
                pos[axis] = 0 if low_wall else top
                if cfg.deterministic:
                    vel[axis] = -vel[axis]
                else:
                    vel[axis] = rng.integers(1, v + 1) if low_wall else rng.integers(-v, 0)
                    vel[other] = rng.integers(-v, v + 1)
        out[t] = pos
        pos = pos + vel
    return out


def render(digits: np.ndarray, positions: np.ndarray, size: int) -> np.ndarray:
    """digits (D, s, s) in [0, 1], positions (frames, D, 2) -> uint8 frames (frames, 1, size, size)."""
    s = digits.shape[-1]
    canvas = np.zeros((positions.shape[0], size, size), np.float32)
    for t, corners in enumerate(positions):
        for digit, (r, c) in zip(digits, corners):
            canvas[t, r : r + s, c : c + s] += digit
    return np.rint(np.clip(canvas, 0, 1) * 255).astype(np.uint8)[:, None]


def generate(images: np.ndarray, labels: np.ndarray, n: int, rng: np.random.Generator, cfg: SMMNISTConfig):
    """n sequences (n, frames, 1, size, size) uint8 and their truth (digit indices, labels, positions)."""
    index = rng.integers(0, len(images), size=(n, cfg.digits))
    positions = np.empty((n, cfg.frames, cfg.digits, 2), np.int16)
    for i in range(n):
        for d in range(cfg.digits):
            positions[i, :, d] = trajectory(rng, cfg)
    used, inverse = np.unique(index, return_inverse=True)
    shapes = resize_digits(images[used], cfg.digit)[inverse.reshape(index.shape)]  # (n, digits, s, s)
    clips = np.stack([render(shapes[i], positions[i], cfg.size) for i in range(n)])
    return clips, {"digit_index": index, "label": labels[index], "position": positions}


def write_smmnist(
    mnist: str | Path,
    out: str | Path,
    cfg: SMMNISTConfig = SMMNISTConfig(),
    overwrite: bool = False,
    progress: bool = True,
) -> Path:
    """Generate the training and test sequences and save them as a clip dataset folder (see data.store)."""
    from tqdm import tqdm

    from nextframe.data.store import write_dataset
    from nextframe.files import check_out_dir

    check_out_dir(out)
    digits = {split: load_mnist(mnist, split) for split in ("train", "test")}  # both read before any work
    streams = dict(zip(("train", "test"), np.random.SeedSequence(cfg.seed).spawn(2)))
    counts = {"train": cfg.n, "test": cfg.test}
    bar = tqdm(total=cfg.n + cfg.test, unit="seq", desc="SM-MNIST", disable=not progress)

    def chunks(chunk: int = 1000):
        for split in ("train", "test"):
            rng = np.random.default_rng(streams[split])
            for first in range(0, counts[split], chunk):
                clips, truth = generate(*digits[split], min(chunk, counts[split] - first), rng, cfg)
                bar.update(len(clips))
                yield clips, np.full(len(clips), split == "test"), truth

    meta = {
        "kind": "stochastic-moving-mnist",
        "smmnist": cfg.to_dict(),
        "published": cfg.size == 64,  # the 32x32 variant is ours: every length of the published rules halved
        "split": "train: MNIST training digits; test: MNIST test digits, an independent stream of the seed",
        "truth": "digit_index (into the MNIST split), label, position (frames, digits, row/column of the top-left)",
    }
    try:
        return write_dataset(out, chunks(), counts, (cfg.frames, 1, cfg.size, cfg.size), meta, overwrite=overwrite)
    finally:
        bar.close()
